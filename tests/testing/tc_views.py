"""LiveViews for the test client's own tests (templates beside this module, ``tc_*.html``)."""

from __future__ import annotations

import asyncio
from typing import Any

from pyview_core import InfoEvent, LiveView, LiveViewSocket, PyView, event, is_connected

SECRET = "testing-client-tests-only-" + "0123456789abcdefghijklmn"
DISCONNECTED: list[str] = []


class CounterView(LiveView[dict]):
    """Clicks with values, a disabled button, keys, focus, a hook, a title, push_event, a patch link."""

    template_name = "tc_counter.html"

    async def mount(self, socket: LiveViewSocket[dict], session: dict[str, Any]) -> None:
        socket.context = {"count": 0, "user": session.get("user_id"), "last_key": "", "focused": 0, "pins": []}
        socket.live_title = "Count 0"

    async def handle_params(self, socket: Any, count: int = 0) -> None:
        socket.context["count"] = count

    @event("inc")
    async def inc(self, socket: Any) -> None:
        socket.context["count"] += 1
        socket.live_title = f"Count {socket.context['count']}"

    @event("add")
    async def add(self, socket: Any, amount: int, id: int = 0) -> None:
        socket.context["count"] += amount + id
        await socket.push_event("counted", {"count": socket.context["count"]})

    @event("dec")
    async def dec(self, socket: Any) -> None:
        socket.context["count"] -= 1

    @event("key")
    async def key(self, socket: Any, key: str) -> None:
        socket.context["last_key"] = key

    @event("focused")
    async def focused(self, socket: Any) -> None:
        socket.context["focused"] += 1

    @event("pin")
    async def pin(self, socket: Any, x: int, y: int) -> None:
        socket.context["pins"].append((x, y))

    @event("ask")
    async def ask(self, socket: Any, x: int) -> dict:
        return {"answer": x * 2}

    @event("ask_badly")
    async def ask_badly(self, socket: Any) -> Any:
        return {"when": object()}

    @event("not_a_reply")
    async def not_a_reply(self, socket: Any) -> int:
        socket.context["last_key"] = "returned 5"
        return 5

    @event("echo")
    async def echo(self, socket: Any, payload: dict) -> None:
        socket.context["last_key"] = repr(sorted(payload.items()))

    async def disconnect(self, socket: Any) -> None:
        DISCONNECTED.append("counter")


class SignupView(LiveView[dict]):
    """A form with every kind of field; the page shows the last params each event received."""

    template_name = "tc_signup.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"changed": "", "saved": "", "email": ""}

    @event("validate")
    async def validate(self, socket: Any, payload: dict) -> None:
        socket.context["changed"] = repr(payload)
        socket.context["email"] = (payload.get("user") or {}).get("email", "")

    @event("save")
    async def save(self, socket: Any, payload: dict) -> None:
        socket.context["saved"] = repr(payload)


class NavView(LiveView[dict]):
    """push_patch, push_navigate and redirect from events and from handle_info."""

    template_name = "tc_nav.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"page": 1}

    async def handle_params(self, socket: Any, page: int = 1) -> None:
        socket.context["page"] = page

    @event("next")
    async def next_page(self, socket: Any) -> None:
        await socket.push_patch("/nav", {"page": socket.context["page"] + 1})

    @event("away")
    async def away(self, socket: Any) -> None:
        await socket.push_navigate("/counter", {"count": 7})

    @event("leave")
    async def leave(self, socket: Any) -> None:
        await socket.redirect("/signup")

    async def handle_info(self, event: InfoEvent, socket: Any) -> None:
        if event.name == "jump":
            await socket.push_patch("/nav", {"page": event.payload})


class JobsView(LiveView[dict]):
    """A job that reports back through send_info, and a repeating timer (never waited for)."""

    template_name = "tc_jobs.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"results": [], "ticks": 0, "news": ""}
        if is_connected(socket):
            socket.schedule_info(InfoEvent("tick"), 3600)
            await socket.subscribe("news")

    @event("work")
    async def work(self, socket: Any, n: int = 3) -> None:
        async def job() -> None:
            for i in range(n):
                await asyncio.sleep(0.001)
                await socket.send_info(InfoEvent("result", i * i))

        socket.start_job(job())

    async def handle_info(self, event: InfoEvent, socket: Any) -> None:
        if event.name == "result":
            socket.context["results"].append(event.payload)
        elif event.name == "tick":
            socket.context["ticks"] += 1
        elif event.name == "news":
            socket.context["news"] = event.payload


class CrashView(LiveView[dict]):
    """Crashes in a handler, in its template, and (on the WebSocket only) in mount."""

    template_name = "tc_crash.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"items": [1, 2], "divisor": 1}

    async def handle_params(self, socket: Any, join_crash: int = 0) -> None:
        if join_crash and is_connected(socket):
            raise KeyError("crashed on join")

    @event("boom")
    async def boom(self, socket: Any) -> None:
        raise ZeroDivisionError("boom in a handler")

    @event("bad_template")
    async def bad_template(self, socket: Any) -> None:
        socket.context["divisor"] = 0


class UnsafeView(LiveView[dict]):
    """Diff-unsafe on purpose: its render hands back the same tree, mutated in place."""

    template_name = "tc_unsafe.html"

    def __init__(self) -> None:
        self._tree: Any = None

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"count": 0}

    @event("inc")
    async def inc(self, socket: Any) -> None:
        socket.context["count"] += 1

    def render(self, context: Any) -> Any:
        if self._tree is None:
            self._tree = super().render(context)
        else:
            self._tree.dynamics[0] = str(context["count"])  # the Differ still holds this list
        return self._tree


class SloppyView(LiveView[dict]):
    """Markup that works by luck: a duplicate id, a phx-change form without an id."""

    template_name = "tc_sloppy.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {}

    @event("noop")
    async def noop(self, socket: Any, payload: dict) -> None:
        pass


class GateView(LiveView[dict]):
    """Sends the browser away from mount: over HTTP (``?over=http``) or once connected."""

    template_name = "tc_unsafe.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"count": 0}

    async def handle_params(self, socket: Any, over: str = "http") -> None:
        if over == "http":
            await socket.redirect("/counter", {"count": 2})
        elif is_connected(socket):
            await socket.push_navigate("/nav", {"page": 4})


def make_app(**kwargs: Any) -> PyView:
    app = PyView(secret_key=SECRET, **kwargs)
    app.add_live_view("/counter", CounterView)
    app.add_live_view("/signup", SignupView)
    app.add_live_view("/nav", NavView)
    app.add_live_view("/jobs", JobsView)
    app.add_live_view("/crash", CrashView)
    app.add_live_view("/unsafe", UnsafeView)
    app.add_live_view("/sloppy", SloppyView)
    app.add_live_view("/gate", GateView)
    app.add_live_view("/other-session", CounterView, live_session="other")
    return app


app = make_app()
