"""Broadcast fan-out, for ``benchmarks/pubsub.py``.

    PYVIEW_PUBSUB_URL=redis://127.0.0.1:6379/0 pyview serve benchmarks.pubsub_app.app:app --port 8001

* ``/fanout``: a subscriber. Its connected mount subscribes to the topic; each message it gets
  is rendered: ``m<seq>t<publish time_ns>g<messages received since mount>`` and the message's
  text, so the client that receives the diff knows which message it is, when it was published
  and whether the view missed one.
* ``/publish``: the publisher (it subscribes to nothing). Its ``publish`` event
  (``first``, ``count``) broadcasts ``count`` messages numbered from ``first``, each stamped with
  ``time.time_ns()`` just before its ``broadcast`` call, yielding to the event loop after each
  one when there are several (as many separate events would). Its page shows which pub/sub
  backend the process runs (``InMemoryPubSub`` or ``RedisPubSub``), which the benchmark checks.

The backend is the app's default: ``PYVIEW_PUBSUB_URL`` (a ``redis://`` URL: ``RedisPubSub``,
unset or empty: ``InMemoryPubSub``). ``PUBSUB_BENCH_TOPIC`` names the topic, so that
configurations sharing one Redis cannot hear each other. The secret is fixed (this app is a
benchmark target, never a deployment); the idle timeout is long because the subscribers only
listen (they send no heartbeats).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import TypedDict

from pyview_core import InfoEvent, LiveView, LiveViewSocket, PyView, event, is_connected
from pyview_core.runtime import Limits

SECRET_KEY = "pubsub-benchmark-secret-not-for-production-0123456"
TOPIC = os.environ.get("PUBSUB_BENCH_TOPIC") or "bench:fanout"


class FanoutContext(TypedDict):
    stamp: str
    text: str
    got: int


class FanoutLiveView(LiveView[FanoutContext]):
    template_name = "fanout.html"

    async def mount(self, socket: LiveViewSocket[FanoutContext], session):
        socket.context = {"stamp": "m0t0g0", "text": "", "got": 0}
        if is_connected(socket):
            await socket.subscribe(TOPIC)

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[FanoutContext]):
        message = event.payload
        context = socket.context
        context["got"] += 1
        context["stamp"] = f"m{message['seq']}t{message['t']}g{context['got']}"
        context["text"] = message["text"]


class PublisherContext(TypedDict):
    backend: str
    sent: int


class PublisherLiveView(LiveView[PublisherContext]):
    template_name = "publisher.html"

    async def mount(self, socket: LiveViewSocket[PublisherContext], session):
        pubsub = app.pubsub
        socket.context = {"backend": f"backend:{type(pubsub).__name__}:{'local' if pubsub.process_local else 'shared'}",
                          "sent": 0}

    @event("publish")
    async def publish(self, socket: LiveViewSocket[PublisherContext], first: int = 1, count: int = 1):
        for seq in range(first, first + count):
            await socket.broadcast(TOPIC, {"seq": seq, "t": time.time_ns(), "text": f"message {seq}"})
            if count > 1:
                await asyncio.sleep(0)
        socket.context["sent"] = first + count - 1


app = PyView(secret_key=SECRET_KEY, limits=Limits(idle_timeout=3600.0))
app.add_live_view("/fanout", FanoutLiveView)
app.add_live_view("/publish", PublisherLiveView)
