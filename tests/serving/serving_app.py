"""The app the real-server tests run under uvicorn (``pyview serve serving_app:app``).

``/soak``: a view that subscribes to ``soak`` and counts the integers broadcast there, checking
that each is the previous one plus one. ``/conductor``: broadcasts 1..n on ``soak`` every
``every`` seconds from a job. ``/slow``: a click that takes ``seconds`` (awaiting, as a database
call would). ``/firehose``: a job that makes its view push about ``rate`` bytes a second.
``/stats``: how many connected views are alive, for the tests to wait on.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pyview_core import InfoEvent, LiveView, PyView, event, is_connected

LIVE_VIEWS = 0
LOG_DISCONNECTS = os.environ.get("SERVING_LOG_DISCONNECTS") == "1"


class Counted(LiveView[dict]):
    template_name = "serving_app.html"

    async def mount(self, socket, session):
        global LIVE_VIEWS
        socket.context = {"count": 0, "last": 0, "errors": 0, "blob": ""}
        if is_connected(socket):
            LIVE_VIEWS += 1

    async def disconnect(self, socket):
        global LIVE_VIEWS
        LIVE_VIEWS -= 1
        if LOG_DISCONNECTS:
            print(f"disconnected {type(self).__name__}", flush=True)


class SoakView(Counted):
    async def mount(self, socket, session):
        await super().mount(socket, session)
        if is_connected(socket):
            await socket.subscribe("soak")

    async def handle_info(self, event: InfoEvent, socket):
        ctx = socket.context
        if event.payload != ctx["last"] + 1:
            ctx["errors"] += 1  # lost or reordered
        ctx["count"] += 1
        ctx["last"] = event.payload


class ConductorView(Counted):
    @event("start")
    async def start(self, socket, n: int, every: float):
        socket.start_job(self._conduct(socket, n, every))

    async def _conduct(self, socket, n: int, every: float) -> None:
        due = time.monotonic()
        for i in range(1, n + 1):
            await socket.broadcast("soak", i)
            due += every
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        await socket.send_info(InfoEvent("done", n))

    async def handle_info(self, event: InfoEvent, socket):
        socket.context["last"] = event.payload


class SlowView(Counted):
    @event("sleep")
    async def sleep(self, socket, seconds: float):
        await asyncio.sleep(seconds)
        socket.context["count"] += 1

    @event("inc")
    async def inc(self, socket):
        socket.context["count"] += 1


class FirehoseView(Counted):
    @event("firehose")
    async def firehose(self, socket, rate: int = 10_000_000, frames: int = 100):
        socket.start_job(self._pump(socket, rate // frames, 1.0 / frames))

    async def _pump(self, socket, size: int, every: float) -> None:
        i = 0
        while True:
            i += 1
            await socket.send_info(InfoEvent("chunk", (i, size)))
            await asyncio.sleep(every)

    async def handle_info(self, event: InfoEvent, socket):
        i, size = event.payload
        socket.context["count"] = i
        socket.context["blob"] = (f"{i:08d}" * (size // 8 + 1))[:size]  # a new value each time: a full diff


async def stats(request: Request) -> JSONResponse:
    """Live views (mounted and not yet disconnected); with ``?objects=1`` also how many view,
    channel and connection objects the collector still finds (to tell a leak from the allocator
    keeping freed memory)."""
    body: dict = {"views": LIVE_VIEWS, "pid": os.getpid()}
    if request.query_params.get("objects"):
        from pyview_core.channel import LiveChannel
        from pyview_core.connection import LiveConnection

        gc.collect()
        kinds = {"views": LiveView, "channels": LiveChannel, "connections": LiveConnection}
        body["objects"] = {name: sum(isinstance(o, kind) for o in gc.get_objects()) for name, kind in kinds.items()}
    return JSONResponse(body)


app = PyView(routes=[Route("/stats", stats)])
app.add_live_view("/soak", SoakView)
app.add_live_view("/conductor", ConductorView)
app.add_live_view("/slow", SlowView)
app.add_live_view("/firehose", FirehoseView)
