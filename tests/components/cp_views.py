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

    @event("reset_later")
    async def reset_later(self, socket, id: str):
        async def job():  # outside the view's own task: send_update goes through the mailbox
            socket.send_update(Counter, id, count=0)
        socket.start_job(job())

    @event("update_nobody")
    async def update_nobody(self, socket):
        socket.send_update(Counter, "nobody", count=1)

    async def handle_info(self, event, socket):
        EVENTS.append(("info", event.name))
        socket.context["reached"].append(event.payload["id"])


def build_app() -> PyView:
    app = PyView(secret_key=SECRET)
    app.add_live_view("/board", Board)
    return app


app = build_app()


class TwoRoots(LiveComponent[dict]):
    """A component whose template has two root tags (refused: the client needs one)."""

    template_name = "cp_two_roots.html"


class Crashing(LiveComponent[dict]):
    template_name = "cp_crashing.html"

    async def update(self, assigns, socket):
        raise RuntimeError("update failed on purpose")


class Mistakes(LiveView[dict]):
    """Renders one kind of component mistake, chosen by ``?mode=``."""

    template_name = "cp_errors.html"

    async def mount(self, socket, session):
        socket.context = {"mode": "ok"}

    async def handle_params(self, socket, mode: str = "ok"):
        socket.context["mode"] = mode

    @event("mode")
    async def set_mode(self, socket, mode: str):
        socket.context["mode"] = mode


app.add_live_view("/mistakes", Mistakes)


@dataclass
class LogState:
    lines: Any = None


class Log(LiveComponent[LogState]):
    """A component with a stream of its own (rows added by its own event)."""

    template_name = "cp_log.html"

    async def mount(self, socket):
        from pyview_core import Stream

        socket.context = LogState(lines=Stream(name="lines"))
        self.next = 0

    async def update(self, assigns, socket):
        pass

    @event("log")
    async def log(self, socket, text: str):
        self.next += 1
        socket.context.lines.insert({"id": self.next, "text": text})


class Item(LiveComponent[dict]):
    """One row of a stream of components (the row's root is the component's root)."""

    template_name = "cp_item.html"

    @event("star")
    async def star(self, socket):
        socket.context["starred"] = True


class Streamed(LiveView[dict]):
    """Components as the rows of a stream, and a component with a stream inside."""

    template_name = "cp_streamed.html"

    async def mount(self, socket, session):
        from pyview_core import Stream

        socket.context = {"items": Stream([{"id": 1, "name": "one"}, {"id": 2, "name": "two"}], name="items"), "n": 2}

    @event("add")
    async def add(self, socket):
        socket.context["n"] += 1
        n = socket.context["n"]
        socket.context["items"].insert({"id": n, "name": f"item {n}"})

    @event("drop")
    async def drop(self, socket, id: int):
        socket.context["items"].delete({"id": id})


app.add_live_view("/streamed", Streamed)
