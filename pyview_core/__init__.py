"""pyview's live runtime: LiveViews, sockets, the Starlette app and the Cython diff core.

    from pyview_core import PyView, LiveView, LiveViewSocket, is_connected

    class Counter(LiveView[dict]):
        async def mount(self, socket: LiveViewSocket[dict], session):
            socket.context = {"count": 0}

        @event("inc")
        async def inc(self, socket):
            socket.context["count"] += 1

    app = PyView()
    app.add_live_view("/", Counter)        # template: counter.html next to this module
"""

from .app import PyView
from .events import BaseEventHandler, InfoEvent, event
from .live_socket import ConnectedLiveViewSocket, LiveViewSocket, UnconnectedSocket, is_connected
from .live_view import LiveView
from .stream import Stream, StreamError

__all__ = [
    "BaseEventHandler", "ConnectedLiveViewSocket", "InfoEvent", "LiveView", "LiveViewSocket", "PyView", "Stream",
    "StreamError", "UnconnectedSocket", "event", "is_connected",
]
