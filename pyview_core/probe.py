"""A seam for in-process test clients (``pyview_core.testing``): an observer carried by the ASGI scope.

A test client that runs the app in its own event loop wants what a browser cannot see: the view
object behind a channel (to render its current state afresh and compare), and the exception a
view crashed with (to raise it in the test instead of a bare ``phx_error``). The runtime tells an
observer found under ``PROBE_KEY`` in the request's scope; servers never put one there, so in
production this costs one dict lookup per connection and per dead render.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol

PROBE_KEY = "pyview.probe"


class Probe(Protocol):
    def joined(self, channel: Any) -> None:
        """A ``LiveChannel`` was created for a join on this connection (before its mount runs)."""

    def crashed(self, error: BaseException) -> None:
        """The dead render failed with ``error`` (answered with an error page)."""


def probe_of(scope: Any) -> Optional[Probe]:
    """The observer in ``scope``, if a test client put one there."""
    return scope.get(PROBE_KEY) if isinstance(scope, dict) else None
