"""A client that stops reading while its view pushes about 10 MB/s.

The server must notice (its outbox for that socket fills up), close that socket with a code the
client reconnects from, keep its own memory bounded meanwhile, and go on serving everyone else.
"""

from __future__ import annotations

import asyncio
import html
import statistics
import time
from urllib.parse import quote

import httpx
import orjson
from async_runner import run
from conftest import Server
from phx_client import _CONTAINER, _CSRF, LiveClient
from websockets.asyncio.client import connect

OTHERS = 20
OUTBOX_LIMIT = 4 * 1024 * 1024  # Limits.outbox_bytes, the default


async def stalled_firehose(base: str) -> object:
    """Join /firehose, start the pump, then never read again (the library stops reading for us
    once its queue of one message is full)."""
    async with httpx.AsyncClient() as http:
        page = await http.get(base + "/firehose")
    container, csrf = _CONTAINER.search(page.text), _CSRF.search(page.text)
    assert container and csrf
    cookie = "; ".join(c.split(";", 1)[0] for c in page.headers.get_list("set-cookie"))
    token = html.unescape(csrf["csrf"])
    ws = await connect(
        base.replace("http", "ws", 1) + "/live/websocket?_csrf_token=" + quote(token) + "&vsn=2.0.0",
        additional_headers={"Cookie": cookie, "Origin": base}, compression=None, max_size=None, max_queue=1, ping_interval=None,
    )
    topic = "lv:" + html.unescape(container["id"])
    await ws.send(orjson.dumps(["1", "1", topic, "phx_join", {
        "url": base + "/firehose", "params": {"_csrf_token": token, "_mounts": 0},
        "session": html.unescape(container["session"]), "static": html.unescape(container["static"]),
    }]).decode())
    assert orjson.loads(await ws.recv())[4]["status"] == "ok"
    await ws.send(orjson.dumps(["1", "2", topic, "event", {"type": "click", "event": "firehose", "value": {"rate": 10_000_000}}]).decode())
    return ws  # from here on nobody reads it


async def click_loop(client: LiveClient, until: asyncio.Event, latencies: list[float]) -> None:
    while not until.is_set():
        started = time.perf_counter()
        reply = await client.click("inc")
        assert reply["status"] == "ok", reply
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def test_a_client_that_stops_reading_is_closed_and_costs_bounded_memory(server: Server):
    async def scenario() -> dict:
        async with httpx.AsyncClient(timeout=30) as http:
            others = [await LiveClient(server.base, "/slow").open(http) for _ in range(OTHERS)]
        before: list[float] = []
        phase = asyncio.Event()
        loops = [asyncio.create_task(click_loop(c, phase, before)) for c in others]
        await asyncio.sleep(2.0)  # a baseline of clicks from everyone
        phase.set()
        await asyncio.gather(*loops)

        rss_before = server.rss()
        during: list[float] = []
        done = asyncio.Event()
        loops = [asyncio.create_task(click_loop(c, done, during)) for c in others]
        stalled = await stalled_firehose(server.base)
        closed_line = asyncio.get_running_loop().run_in_executor(None, server.wait_for_line, "client is not reading", 60.0)
        rss_peak = rss_before
        while not closed_line.done():
            rss_peak = max(rss_peak, server.rss())
            await asyncio.sleep(0.02)  # sampling the other process's memory: there is no event for it
        line = await closed_line
        await asyncio.sleep(1.0)  # the others keep clicking after the close, too
        done.set()
        await asyncio.gather(*loops)
        rss_after = server.rss()
        still_open = [c.closed_code is None for c in others]
        for client in others:
            await client.close()
        stalled.transport.abort()  # type: ignore[attr-defined]
        return {"line": line, "before": before, "during": during, "rss_before": rss_before, "rss_peak": rss_peak,
                "rss_after": rss_after, "still_open": still_open}

    result = run(scenario())
    assert "limit 4194304" in result["line"]
    mib = 1024 * 1024
    grown = result["rss_peak"] - result["rss_before"]
    print(
        f"\nslow consumer: closed after {result['line'].strip()!r}; RSS before {result['rss_before'] / mib:.1f} MiB, "
        f"peak {result['rss_peak'] / mib:.1f} MiB (+{grown / mib:.1f}), after {result['rss_after'] / mib:.1f} MiB; "
        f"others' clicks p99 {p99(result['before']) * 1000:.1f} ms before, {p99(result['during']) * 1000:.1f} ms during "
        f"(median {statistics.median(result['before']) * 1000:.1f} / {statistics.median(result['during']) * 1000:.1f} ms, "
        f"{len(result['during'])} clicks)"
    )
    # What the server held for the stalled client: its outbox, a frame being encoded, the
    # transport's buffer; not the 10 MB/s it was asked to push.
    assert grown <= OUTBOX_LIMIT + 12 * mib
    assert result["during"], "the other clients' clicks stopped"
    assert all(result["still_open"])  # nobody else was disconnected
