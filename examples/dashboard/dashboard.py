"""A server-pushed dashboard: ``schedule_info`` ticks every second, no user interaction needed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from pyview_core import InfoEvent, LiveView, LiveViewSocket, is_connected

METRICS = ("cpu", "memory", "requests")


@dataclass
class DashboardContext:
    ticks: int = 0
    clock: str = ""
    values: dict[str, int] = field(default_factory=lambda: {name: 50 for name in METRICS})


class DashboardLiveView(LiveView[DashboardContext]):
    async def mount(self, socket: LiveViewSocket[DashboardContext], session):
        socket.context = DashboardContext(clock=time.strftime("%H:%M:%S"))
        socket.live_title = "Dashboard"
        if is_connected(socket):
            socket.schedule_info(InfoEvent("tick"), 1.0)

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[DashboardContext]):
        if event.name == "tick":
            ctx = socket.context
            ctx.ticks += 1
            ctx.clock = time.strftime("%H:%M:%S")
            for name in METRICS:  # a random walk, kept in 0..100
                ctx.values[name] = max(0, min(100, ctx.values[name] + random.randint(-8, 8)))
