"""Test helpers for pyview applications and for pyview itself.

:class:`ClientRendered` is an in-process model of the LiveView 1.2 client's merge and
render (see :mod:`pyview_core.testing.client`): feed it a join payload and diffs, read the
HTML the browser would show.
"""

from .client import ClientRendered, replay

__all__ = ["ClientRendered", "replay"]
