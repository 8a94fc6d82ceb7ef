"""The example counter, and a broadcasting counter, served by our runtime, for ``benchmarks/e2e.py``.

    pyview serve benchmarks.e2e_apps.ours:app --port 8001

``/counter`` is ``examples/counter`` unchanged. ``/broadcast`` is the fan-out page: every
connected view subscribes to one topic; a click on ``bump`` (``phx-value-n``) broadcasts ``n``,
and every view (the clicker's too) shows it, one ``diff`` push per view per broadcast.

The secret is fixed so that every run signs tokens the same way (this app is a benchmark target,
never a deployment).
"""

from __future__ import annotations

import os
from typing import TypedDict

from examples.counter.counter import CounterLiveView
from pyview_core import InfoEvent, LiveView, LiveViewSocket, PyView, event, is_connected
from pyview_core.runtime import Limits

SECRET_KEY = "e2e-benchmark-secret-not-for-production-01234567"  # 48 characters
TOPIC = "e2e:fanout"


class BroadcastContext(TypedDict):
    count: int


class BroadcastLiveView(LiveView[BroadcastContext]):
    template_name = "broadcast.html"  # shared with peer.py, so both pages are the same

    async def mount(self, socket: LiveViewSocket[BroadcastContext], session):
        socket.context = {"count": 0}
        if is_connected(socket):
            await socket.subscribe(TOPIC)

    @event("bump")
    async def bump(self, socket: LiveViewSocket[BroadcastContext], n: int = 0):
        await socket.broadcast(TOPIC, n)

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[BroadcastContext]):
        socket.context["count"] = event.payload


# E2E_INFO_BATCH=1 turns off the rendering of queued handle_info messages together (for the
# coalescing measurement in benchmarks/README.md); the default is the runtime's own.
_info_batch = os.environ.get("E2E_INFO_BATCH")
app = PyView(secret_key=SECRET_KEY, limits=Limits(info_batch=int(_info_batch)) if _info_batch else None)
app.add_live_view("/counter", CounterLiveView)
app.add_live_view("/broadcast", BroadcastLiveView)
