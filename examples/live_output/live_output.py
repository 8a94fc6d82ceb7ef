"""Live output of a long-running server job: the page shows each value as the job produces it.

"Start" runs ``square_roots`` as a job of this view (``socket.start_job``); the job reports each
value with ``await socket.send_info`` and ``handle_info`` shows it: the latest value at the top and one
more line in the log, a stream whose ``limit=-LOG_LINES`` makes the browser keep only the last
lines. The server keeps no log at all, and each tab runs its own job, cancelled when the tab
goes away. No JavaScript, no polling.

``/output?n=…&every=…`` changes the job: how many values, and the seconds between them.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Optional

from pyview_core import InfoEvent, LiveView, LiveViewSocket, Stream, event, is_connected

LOG_LINES = 1000
MAX_VALUES = 1_000_000


async def square_roots(n: int, every: float) -> AsyncIterator[tuple[int, float]]:
    """The stand-in for real work: one result every ``every`` seconds."""
    for i in range(n):
        await asyncio.sleep(every)
        yield i, math.sqrt(i)


@dataclass
class Line:
    id: int
    text: str


@dataclass
class OutputContext:
    log: Stream[Line]
    n: int = 10_000
    every: float = 0.1
    run: int = 0  # which run the page shows; values of an older (stopped) run are ignored
    produced: int = 0
    latest: str = "—"
    status: str = "idle"  # idle | running | stopped | done
    job: Optional[asyncio.Task] = None
    log_lines: int = LOG_LINES


class LiveOutputView(LiveView[OutputContext]):
    async def mount(self, socket: LiveViewSocket[OutputContext], session):
        socket.context = OutputContext(log=Stream(name="log"))
        socket.live_title = "Live output"

    async def handle_params(self, socket: LiveViewSocket[OutputContext], n: int = 10_000, every: float = 0.1):
        socket.context.n = max(1, min(n, MAX_VALUES))
        # 0 is fine: `await send_info` waits whenever the view falls behind, so even a job that
        # never sleeps runs only as fast as the page renders.
        socket.context.every = max(0.0, min(every, 10.0))

    @event("start")
    async def start(self, socket: LiveViewSocket[OutputContext]):
        """Start a job, or start over: a running job is cancelled and the log cleared."""
        if not is_connected(socket):
            return
        ctx = socket.context
        self._cancel(ctx)
        ctx.run += 1
        ctx.produced, ctx.latest, ctx.status = 0, "—", "running"
        ctx.log.reset()
        ctx.job = socket.start_job(self.produce(socket, ctx.run, ctx.n, ctx.every))

    @event("stop")
    async def stop(self, socket: LiveViewSocket[OutputContext]):
        ctx = socket.context
        if ctx.status == "running":
            self._cancel(ctx)
            ctx.status = "stopped"

    async def produce(self, socket, run: int, n: int, every: float) -> None:
        async for i, value in square_roots(n, every):
            await socket.send_info(InfoEvent("value", (run, i, value)))
        await socket.send_info(InfoEvent("done", run))

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[OutputContext]):
        ctx = socket.context
        if event.name == "value":
            run, i, value = event.payload
            if run != ctx.run or ctx.status != "running":
                return  # sent before a stop or a restart, delivered after it
            ctx.produced = i + 1
            ctx.latest = f"sqrt({i}) = {value:.6f}"
            ctx.log.insert(Line(id=i, text=ctx.latest), limit=-LOG_LINES)
        elif event.name == "done" and event.payload == ctx.run and ctx.status == "running":
            ctx.status, ctx.job = "done", None

    @staticmethod
    def _cancel(ctx: OutputContext) -> None:
        if ctx.job is not None:
            ctx.job.cancel()
            ctx.job = None
