"""One process of the burst test: ``python burst_node.py URL PREFIX NAME SUBSCRIBERS MESSAGES PUBLISHERS``.

It subscribes SUBSCRIBERS callbacks to one topic through its own ``RedisPubSub``, prints
``ready``, waits for ``go`` on stdin, publishes MESSAGES numbered messages as NAME as fast as it
can, waits until every subscriber has MESSAGES × PUBLISHERS messages (or 30 s), and prints one
JSON line: for each subscriber, the sequence numbers it got from each publisher, compressed to
what the test checks (count, in order, no duplicates).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import defaultdict

import orjson

from pyview_core.redis_pubsub import RedisPubSub


async def main(url: str, prefix: str, name: str, subscribers: int, messages: int, publishers: int) -> None:
    pubsub = RedisPubSub(url, prefix=prefix)
    inboxes: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(subscribers)]

    def subscriber_for(inbox: dict[str, list[int]]):
        def receive(topic: str, message: dict) -> None:
            inbox[message["p"]].append(message["i"])
        return receive

    for inbox in inboxes:
        await pubsub.subscribe("burst", subscriber_for(inbox))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    assert line.strip() == "go", line
    for i in range(messages):
        await pubsub.broadcast("burst", {"p": name, "i": i})
    expected = messages * publishers
    deadline = time.monotonic() + 30
    while any(sum(map(len, inbox.values())) < expected for inbox in inboxes) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # anything extra (a duplicate) would arrive now
    report = []
    for inbox in inboxes:
        report.append({
            publisher: {"count": len(seq), "in_order": seq == sorted(seq), "distinct": len(set(seq))}
            for publisher, seq in inbox.items()
        })
    print(orjson.dumps(report).decode(), flush=True)
    await pubsub.aclose()


if __name__ == "__main__":
    url, prefix, name, subscribers, messages, publishers = sys.argv[1:7]
    asyncio.run(main(url, prefix, name, int(subscribers), int(messages), int(publishers)))
