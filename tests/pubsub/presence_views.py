"""A LiveView that tracks itself with ``Presence`` and shows who is there (tests/pubsub/test_presence.py).

Each view tracks its session's ``user`` on ``room:lobby`` when connected, subscribes to the
topic, and renders ``presence.list`` after every ``presence_diff`` (with the last diff, too).
"""

from __future__ import annotations

from typing import Any

from pyview_core import InfoEvent, LiveView, PyView, event, is_connected
from pyview_core.presence import Presence
from pyview_core.pubsub import InMemoryPubSub

SECRET = "presence-tests-only-" + "0123456789abcdefghijklmnopqrstuv"
TOPIC = "room:lobby"

app = PyView(secret_key=SECRET, pubsub=InMemoryPubSub())
presence = Presence(app.pubsub)


def people() -> list[tuple[str, str]]:
    """``(key, "status,status")`` per key, as the page shows them."""
    return [
        (key, ",".join(meta["status"] for meta in entry["metas"]))
        for key, entry in sorted(presence.list(TOPIC).items())
    ]


class RoomView(LiveView[dict]):
    template_name = "presence_room.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        user = session.get("user", "anonymous")
        socket.context = {"user": user, "people": [], "joined": "", "left": "", "diffs": 0}
        if is_connected(socket):
            await socket.subscribe(TOPIC)
            await presence.track(socket, TOPIC, user, {"status": "here"})
        socket.context["people"] = people()

    async def handle_info(self, event: InfoEvent, socket: Any) -> None:
        if event.name == "presence_diff":
            socket.context["diffs"] += 1
            socket.context["joined"] = " ".join(sorted(event.payload["joins"]))
            socket.context["left"] = " ".join(sorted(event.payload["leaves"]))
            socket.context["people"] = people()

    @event("away")
    async def away(self, socket: Any) -> None:
        await presence.update(socket, TOPIC, socket.context["user"], lambda meta: {**meta, "status": "away"})

    @event("hide")
    async def hide(self, socket: Any) -> None:
        await presence.untrack(socket, TOPIC, socket.context["user"])

    @event("boom")
    async def boom(self, socket: Any) -> None:
        raise RuntimeError("the room view crashed on purpose")

    @event("go")
    async def go(self, socket: Any) -> None:
        await socket.push_navigate("/elsewhere")


class ElsewhereView(LiveView[dict]):
    template_name = "presence_elsewhere.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {}


app.add_live_view("/room", RoomView)
app.add_live_view("/elsewhere", ElsewhereView)
