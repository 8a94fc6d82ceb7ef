"""A Chromium page holding the official LiveView client with a root view and no server, for tests
that run the client's own code (its form serialiser, its JS command executor) on our output.

``client_page(chromium, body)`` serves ``body`` (which must contain ``<div id="view">``) from a
fake origin, loads the client bundle and makes ``window.liveSocket`` and ``window.rootView``: a
``LiveSocket`` over a socket stub that answers every call with a no-op, and its root view.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prerequisites import require_client_bundle

ORIGIN = "http://client-page.test"

_ROOT_VIEW = """() => {
  class StubSocket {
    constructor() { return new Proxy(this, {get: (target, key) => key in target ? target[key] : () => {}}); }
  }
  window.liveSocket = new LiveView.LiveSocket("/live", StubSocket, {});
  window.rootView = window.liveSocket.newRootView(document.getElementById("view"));
}"""


@contextmanager
def client_page(chromium: Any, body: str) -> Iterator[Any]:
    """A new page with the client and its root view; closed when the block ends."""
    bundle = require_client_bundle()
    page = chromium.new_page()
    try:
        page.set_default_timeout(5_000)
        page.route(f"{ORIGIN}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=body))
        page.goto(f"{ORIGIN}/")
        page.add_script_tag(path=str(bundle))
        page.evaluate(_ROOT_VIEW)
        yield page
    finally:
        page.close()
