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

from .app import LiveSession, PyView
from .auth import OnMount, requires
from .events import BaseEventHandler, InfoEvent, event
from .form_tags import errors_tag, input_tag
from .js import JS
from .live_socket import ConnectedLiveViewSocket, LiveViewSocket, UnconnectedSocket, is_connected
from .component_registry import ComponentError
from .live_component import ComponentSocket, LiveComponent, assign
from .live_view import LiveView
from .model_form import to_form
from .presence import NotTracked, Presence
from .pubsub import InMemoryPubSub, MessageNotEncodable, PubSubError, PubSubUnavailable, pubsub_from_env
from .stream import Stream, StreamError
from .uploads import (
    ConsumedUpload, ExternalUploadMeta, UploadConfig, UploadConstraints, UploadEntry, UploadError, live_file_input,
    upload_preview_tag,
)
from pyview_templates import register_filter as _register_filter

# Templates write {{ uploads | live_file_input }} and {{ entry | upload_preview_tag }}.
_register_filter("live_file_input", live_file_input)
_register_filter("upload_preview_tag", upload_preview_tag)
# Model forms (to_form): {{ form.email | input("Email") }} and {{ form.email | errors }}.
_register_filter("input", input_tag)
_register_filter("errors", errors_tag)

__all__ = [
    "BaseEventHandler", "ConnectedLiveViewSocket", "ConsumedUpload", "ExternalUploadMeta", "InfoEvent", "JS", "LiveView",
    "LiveViewSocket", "PyView", "Stream", "StreamError", "UnconnectedSocket", "UploadConfig", "UploadConstraints",
    "UploadEntry", "UploadError", "event", "is_connected", "LiveSession", "OnMount", "requires", "to_form",
    "LiveComponent", "ComponentSocket", "ComponentError", "assign",
    "InMemoryPubSub", "MessageNotEncodable", "NotTracked", "Presence", "PubSubError", "PubSubUnavailable", "RedisPubSub",
    "pubsub_from_env",
]


def __getattr__(name: str):
    # RedisPubSub needs the redis package (the `redis` extra): imported only when asked for.
    if name == "RedisPubSub":
        from .redis_pubsub import RedisPubSub

        return RedisPubSub
    raise AttributeError(f"module 'pyview_core' has no attribute {name!r}")
