"""Views with live components for the component tests (templates beside this module, ``cp_*.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyview_core import InfoEvent, LiveComponent, LiveView, PyView, event

SECRET = "component-tests-only-not-a-secret-" + "0123456789abcdef"
EVENTS: list[tuple[str, Any]] = []  # (what, detail): mounts, updates, parent infos, in order


@dataclass
class CounterState:
    id: Any = None
    label: str = ""
    count: int = 0


class Counter(LiveComponent[CounterState]):
    """Counts its own clicks; tells its parent when it reaches ``notify_at``."""

    template_name = "cp_counter.html"

    async def mount(self, socket):
        socket.context = CounterState()
        EVENTS.append(("mount", socket.id))

    async def update(self, assigns, socket):
        EVENTS.append(("update", (socket.id, dict(assigns))))
        socket.context.id = assigns["id"]
        if "label" in assigns:
            socket.context.label = assigns["label"]
        if "count" in assigns:
            socket.context.count = assigns["count"]

    @event("inc")
    async def inc(self, socket, by: int = 1):
        socket.context.count += by
        if socket.context.count == 3:
            await socket.send_parent(InfoEvent("reached", {"id": socket.id, "count": 3}))

    @event("flash")
    async def flash(self, socket):
        socket.put_flash("info", f"hello from {socket.id}")

    @event("reset_other")
    async def reset_other(self, socket, other: str):
        socket.send_update(Counter, other, count=0)


class Board(LiveView[dict]):
    """A list of counters the user adds, removes and relabels."""

    template_name = "cp_board.html"

    async def mount(self, socket, session):
        socket.context = {"ids": ["a", "b"], "labels": {"a": "A", "b": "B"}, "reached": []}

    @event("add")
    async def add(self, socket, id: str):
        socket.context["ids"].append(id)
        socket.context["labels"][id] = id.upper()

    @event("remove")
    async def remove(self, socket, id: str):
        socket.context["ids"].remove(id)

    @event("relabel")
    async def relabel(self, socket, id: str, label: str):
        socket.context["labels"][id] = label

    @event("reset")
    async def reset(self, socket, id: str):
        socket.send_update(Counter, id, count=0)

    async def handle_info(self, event, socket):
        EVENTS.append(("info", event.name if hasattr(event, "name") else event))
        socket.context["reached"].append(event.payload["id"] if hasattr(event, "payload") else str(event))


def build_app() -> PyView:
    app = PyView(secret_key=SECRET)
    app.add_live_view("/board", Board)
    return app


app = build_app()
