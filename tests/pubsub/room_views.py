"""A LiveView that talks through pub/sub, for the view-level tests of test_view_pubsub.py."""

from __future__ import annotations

from typing import Any

from pyview_core import InfoEvent, LiveView, LiveViewSocket, event, is_connected

SECRET = "pubsub-tests-only-" + "0123456789abcdefghijklmnopqrstuv"
TOPIC = "room"


class RoomView(LiveView[dict]):
    template_name = "room.html"

    async def mount(self, socket: LiveViewSocket[dict], session: dict[str, Any]) -> None:
        socket.context = {"heard": [], "notices": []}
        if is_connected(socket):
            await socket.subscribe(TOPIC)

    @event("say")
    async def say(self, socket: Any, text: str) -> None:
        await socket.broadcast(TOPIC, {"text": text})

    @event("say_to_others")
    async def say_to_others(self, socket: Any, text: str) -> None:
        await socket.broadcast_from(TOPIC, {"text": text})

    @event("say_a_set")
    async def say_a_set(self, socket: Any) -> None:
        await socket.broadcast(TOPIC, {"text": {"a", "set"}})

    async def handle_info(self, event: InfoEvent, socket: Any) -> None:
        if event.name == TOPIC:
            socket.context["heard"].append(event.payload["text"])
        else:
            socket.context["notices"].append(f"{event.name}: {event.payload}")
