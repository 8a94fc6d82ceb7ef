"""The same counter (and broadcasting counter) on pyview-web 0.9.0 (module ``pyview``), for ``benchmarks/e2e.py``.

    python -m uvicorn benchmarks.e2e_apps.peer:app --host 127.0.0.1 --port 8002

(plain uvicorn, as pyview-web's README runs its examples).

It renders ``examples/counter/counter.html`` itself (pyview-web's Ibis reads the same
``{{ count }}`` syntax), through pyview-web's own template cache, so both servers send the same
page by construction. The handlers mirror ``examples/counter/counter.py``: mount at 0, ``?count=`` from the URL, and
``increment``/``decrement``/``add`` change ``socket.context["count"]``. ``/broadcast`` mirrors
``ours.py``'s fan-out page with pyview-web's own ``subscribe``/``broadcast`` (the same API).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypedDict

# pyview-web signs its CSRF and session tokens with PYVIEW_SECRET (a random one per process
# otherwise); fix it as ours.py fixes its secret_key. Must be set before pyview is imported.
os.environ.setdefault("PYVIEW_SECRET", "e2e-benchmark-peer-secret-not-for-production-01")

from pyview import LiveView, LiveViewSocket, PyView, is_connected  # noqa: E402
from pyview.events import InfoEvent  # noqa: E402
from pyview.template import LiveRender, template_file  # noqa: E402

COUNTER_HTML = str(Path(__file__).resolve().parents[2] / "examples" / "counter" / "counter.html")
BROADCAST_HTML = str(Path(__file__).resolve().parent / "broadcast.html")
TOPIC = "e2e:fanout"


class CounterContext(TypedDict):
    count: int


def _first_int(values: Any, default: int = 0) -> int:
    """A query value as pyview-web hands it over (``parse_qs``: a list of strings), as an int."""
    if isinstance(values, list):
        values = values[0] if values else default
    try:
        return int(values)
    except (TypeError, ValueError):
        return default


class PeerCounterLiveView(LiveView[CounterContext]):
    async def mount(self, socket: LiveViewSocket[CounterContext], session):
        socket.context = {"count": 0}
        socket.live_title = "Counter"

    async def handle_params(self, url, params, socket: LiveViewSocket[CounterContext]):
        socket.context["count"] = _first_int(params.get("count"), 0)

    async def handle_event(self, event, payload, socket: LiveViewSocket[CounterContext]):
        if event == "increment":
            socket.context["count"] += 1
        elif event == "decrement":
            socket.context["count"] -= 1
        elif event == "add":
            socket.context["count"] += _first_int(payload.get("amount"), 0)

    async def render(self, assigns, meta):
        # pyview-web's default looks for <module>.html; ours is the example's own template.
        return LiveRender(template_file(COUNTER_HTML), assigns, meta)


class PeerBroadcastLiveView(LiveView[CounterContext]):
    async def mount(self, socket: LiveViewSocket[CounterContext], session):
        socket.context = {"count": 0}
        if is_connected(socket):
            await socket.subscribe(TOPIC)

    async def handle_event(self, event, payload, socket: LiveViewSocket[CounterContext]):
        if event == "bump":
            await socket.broadcast(TOPIC, _first_int(payload.get("n"), 0))

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[CounterContext]):
        socket.context["count"] = event.payload

    async def render(self, assigns, meta):
        return LiveRender(template_file(BROADCAST_HTML), assigns, meta)


app = PyView()
app.add_live_view("/counter", PeerCounterLiveView)
app.add_live_view("/broadcast", PeerBroadcastLiveView)
