"""Run as its own process by the soak test: one client that starts a 5 s handler on its view and,
while it runs, sends a heartbeat every 100 ms on the same socket, timing each reply.

In its own process so that what it measures is the server's responsiveness, not the loop lag of
the test process that is busy with a thousand other clients. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
from phx_client import LiveClient


async def probe(base: str, seconds: float) -> dict:
    async with httpx.AsyncClient(timeout=60) as http:
        client = await LiveClient(base, "/slow").open(http)
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.sleep(1.0)
    slow = asyncio.create_task(client.click("sleep", {"seconds": seconds}))
    latencies, answered_before_reply = [], 0
    while not slow.done():
        latencies.append(await client.heartbeat())
        if not slow.done():
            answered_before_reply += 1
        await asyncio.sleep(0.1)  # the heartbeat cadence of this probe
    reply = await slow
    await client.close()
    return {"latencies": latencies, "answered_before_reply": answered_before_reply, "reply": reply["status"]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(sys.argv[1], float(sys.argv[2])))), flush=True)
