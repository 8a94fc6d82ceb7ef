"""The app of test_workers.py: one live view per tab, all in one chat room, on several processes.

``/room`` renders the pid of the process that rendered it (the dead render and the joined view
can be on different workers) and the last thing said in the room, with the pid of the process
it was said on. The event ``say`` broadcasts ``{"text", "pid"}`` on the room's topic
(``WORKERS_APP_TOPIC``, so that tests sharing a Redis do not hear each other). ``/pid`` answers
with the pid of the process that served the request and the state of its garbage collector.

Run it with ``PYVIEW_PUBSUB_URL=redis://...``: the tests serve it on several workers or processes.
"""

from __future__ import annotations

import gc
import os

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pyview_core import InfoEvent, LiveView, PyView, event, is_connected

TOPIC = os.environ.get("WORKERS_APP_TOPIC", "room")


class RoomView(LiveView[dict]):
    template_name = "workers_app.html"

    async def mount(self, socket, session):
        socket.context = {"pid": os.getpid(), "said": "", "by": 0}
        if is_connected(socket):
            await socket.subscribe(TOPIC)

    @event("say")
    async def say(self, socket, text: str):
        await socket.broadcast(TOPIC, {"text": text, "pid": os.getpid()})

    async def handle_info(self, event: InfoEvent, socket):
        socket.context["said"] = event.payload["text"]
        socket.context["by"] = event.payload["pid"]


async def pid(request: Request) -> JSONResponse:
    return JSONResponse({"pid": os.getpid(), "gc_threshold": gc.get_threshold()[0], "gc_frozen": gc.get_freeze_count()})


app = PyView(routes=[Route("/pid", pid)])
app.add_live_view("/room", RoomView)
