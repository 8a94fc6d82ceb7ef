"""Soak: 1,000 connected views on one uvicorn worker, each receiving a pub/sub broadcast every
100 ms for 30 s, while one more view runs a 5 s handler.

What must hold: every view handles every message, in order (the view itself counts gaps); the
socket of the slow view keeps answering heartbeats while its handler runs (measured from a
process of its own); and once everyone has disconnected, the server's memory is back to within
10% of where it started.

Where it "started" is after a warm-up round in which 1,000 views connect, get a few broadcasts
and leave: CPython's allocator keeps the arenas it grew at the first peak (the objects are freed,
but a few long-lived ones pin their arenas), so only a second round can tell a leak from the
allocator's high-water mark. The RSS of the fresh process is printed beside it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from async_runner import run
from conftest import Server
from phx_client import LiveClient

VIEWS = 1000
BROADCASTS = 300
EVERY = 0.1
CONNECT_CONCURRENCY = 50
WARM_UP_BROADCASTS = 20


class Tally:
    """What one soak client saw: the view's count, last value and gap counter, from its diffs."""

    def __init__(self) -> None:
        self.count = self.last = self.errors = 0
        self.backwards = 0
        self.done = asyncio.Event()
        self._progress = asyncio.Event()

    async def reached(self, count: int) -> None:
        """Wait until the view has counted ``count`` messages."""
        while self.count < count:
            self._progress.clear()
            await self._progress.wait()

    def join(self, rendered: dict) -> None:
        self.count, self.last, self.errors = int(rendered["0"]), int(rendered["1"]), int(rendered["2"])

    def on_push(self, event: str, payload: dict) -> None:
        if event != "diff":
            return
        if "1" in payload:
            last = int(payload["1"])
            if last <= self.last:
                self.backwards += 1
            self.last = last
        self.count = int(payload.get("0", self.count))
        self.errors = int(payload.get("2", self.errors))
        self._progress.set()
        if self.count >= BROADCASTS:
            self.done.set()


async def _views_alive(http: httpx.AsyncClient, base: str) -> int:
    return (await http.get(base + "/stats")).json()["views"]


async def _wait_for_no_views(http: httpx.AsyncClient, base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while await _views_alive(http, base):
        assert time.monotonic() < deadline, "views still alive after every client disconnected"
        await asyncio.sleep(0.05)  # polling the server's own count: there is no event to await across processes


def test_thousand_views_soak(server: Server):
    async def connect_all(http: httpx.AsyncClient, tallies: list[Tally]) -> list[LiveClient]:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def connect(tally: Tally) -> LiveClient:
            async with gate:
                client = await LiveClient(server.base, "/soak", on_push=tally.on_push).open(http)
            tally.join(client.rendered)
            return client

        return list(await asyncio.gather(*(connect(t) for t in tallies)))

    async def scenario() -> dict:
        # Pooled connections are dropped after 1 s idle, before uvicorn's 5 s keep-alive timeout
        # closes them: a request sent on a connection the server is closing at that moment fails
        # with a ReadError (the run waits idle for broadcasts long enough for that to happen).
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(keepalive_expiry=1.0)) as http:
            rss_fresh = server.rss()
            # The warm-up round: everyone connects, a few broadcasts go round, everyone leaves.
            warm_tallies = [Tally() for _ in range(VIEWS)]
            warm_clients = await connect_all(http, warm_tallies)
            warm_conductor = await LiveClient(server.base, "/conductor").open(http)
            assert (await warm_conductor.click("start", {"n": WARM_UP_BROADCASTS, "every": EVERY}))["status"] == "ok"
            await asyncio.wait_for(asyncio.gather(*(t.reached(WARM_UP_BROADCASTS) for t in warm_tallies)), timeout=60)
            for client in [*warm_clients, warm_conductor]:
                await client.close()
            await _wait_for_no_views(http, server.base)
            rss_start = server.rss()

            tallies = [Tally() for _ in range(VIEWS)]
            clients = await connect_all(http, tallies)
            rss_connected = server.rss()
            conductor = await LiveClient(server.base, "/conductor").open(http)
            probe = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("heartbeat_probe.py")), server.base, "5"],
                stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent,
            )
            assert probe.stdout is not None
            assert json.loads(probe.stdout.readline()) == {"ready": True}

            started = time.monotonic()
            assert (await conductor.click("start", {"n": BROADCASTS, "every": EVERY}))["status"] == "ok"
            await asyncio.wait_for(asyncio.gather(*(t.done.wait() for t in tallies)), timeout=BROADCASTS * EVERY + 60)
            elapsed = time.monotonic() - started
            heartbeats = json.loads(probe.stdout.readline())
            assert probe.wait(timeout=30) == 0
            rss_end_of_run = server.rss()

            for client in [*clients, conductor]:
                await client.close()
            await _wait_for_no_views(http, server.base)
            rss_after = server.rss()

        return {
            "tallies": tallies, "heartbeats": heartbeats, "rss_fresh": rss_fresh, "rss_start": rss_start,
            "rss_connected": rss_connected, "rss_end_of_run": rss_end_of_run, "rss_after": rss_after, "elapsed": elapsed,
        }

    result = run(scenario())
    tallies = result["tallies"]
    assert [t.count for t in tallies] == [BROADCASTS] * VIEWS  # every message handled by every view
    assert sum(t.errors for t in tallies) == 0  # none lost or reordered on the way to handle_info
    assert sum(t.backwards for t in tallies) == 0  # and no diff went backwards on the way to the client
    assert all(t.last == BROADCASTS for t in tallies)

    heartbeats = result["heartbeats"]
    assert heartbeats["reply"] == "ok"
    latencies = sorted(heartbeats["latencies"])
    # Every heartbeat but the last came back while the 5 s handler was still running on that socket.
    assert heartbeats["answered_before_reply"] >= len(latencies) - 1 and len(latencies) >= 5, heartbeats
    mib = 1024 * 1024
    print(
        f"\nsoak: {VIEWS} views x {BROADCASTS} broadcasts in {result['elapsed']:.1f} s; heartbeats during the 5 s handler: "
        f"median {statistics.median(latencies) * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms over {len(latencies)}; "
        f"RSS fresh {result['rss_fresh'] / mib:.1f} MiB, after the warm-up round {result['rss_start'] / mib:.1f} MiB, "
        f"connected {result['rss_connected'] / mib:.1f} MiB, end of run {result['rss_end_of_run'] / mib:.1f} MiB, "
        f"after all disconnected {result['rss_after'] / mib:.1f} MiB"
    )
    assert result["rss_after"] <= result["rss_start"] * 1.10, "memory did not come back after every view left"
