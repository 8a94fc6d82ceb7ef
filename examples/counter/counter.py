"""Counter: clicks change server state; the count also lives in the URL (``/counter?count=5``)."""

from __future__ import annotations

from typing import TypedDict

from pyview_core import LiveView, LiveViewSocket, event


class CounterContext(TypedDict):
    count: int


class CounterLiveView(LiveView[CounterContext]):
    async def mount(self, socket: LiveViewSocket[CounterContext], session):
        socket.context = {"count": 0}
        socket.live_title = "Counter"

    async def handle_params(self, socket: LiveViewSocket[CounterContext], count: int = 0):
        socket.context["count"] = count

    @event("increment")
    async def increment(self, socket: LiveViewSocket[CounterContext]):
        socket.context["count"] += 1

    @event("decrement")
    async def decrement(self, socket: LiveViewSocket[CounterContext]):
        socket.context["count"] -= 1

    @event("add")
    async def add(self, socket: LiveViewSocket[CounterContext], amount: int):
        socket.context["count"] += amount
