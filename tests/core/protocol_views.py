"""LiveViews used by ``test_protocol.py`` (each with its template next to this module)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from pyview_core import InfoEvent, LiveView, LiveViewSocket, event, is_connected

# What the views observed, for the tests to inspect (keyed by a name the test chooses).
DISCONNECTED: list[str] = []
DISCONNECT_FINISHED: list[str] = []
BEATS: list[str] = []
JOBS: list[str] = []  # "<tag> started" / "<tag> ended" from ChatView's start_job jobs

# The views run on the TestClient's event loop thread; the tests wait on this condition for what
# they expect to be observed, instead of sleeping or polling.
_OBSERVED = threading.Condition()


def note(log: list[str], item: str) -> None:
    """Record ``item`` in ``log`` and wake tests waiting in ``wait_until``."""
    with _OBSERVED:
        log.append(item)
        _OBSERVED.notify_all()


def wait_until(predicate: Any, timeout: float = 5.0) -> None:
    """Block the test until ``predicate()`` holds after some ``note``; AssertionError after ``timeout``."""
    with _OBSERVED:
        if not _OBSERVED.wait_for(predicate, timeout):
            raise AssertionError(f"not observed within {timeout} s: DISCONNECTED={DISCONNECTED} JOBS={JOBS} BEATS={BEATS[-5:]}")


class CounterView(LiveView[dict]):
    """Typed ``@event`` methods, a form event, titles, push_event, a crash."""

    template_name = "protocol_counter.html"

    async def mount(self, socket: LiveViewSocket[dict], session):
        socket.context = {"count": 0, "name": "", "target": "", "ok": ""}
        socket.live_title = "Counter"

    async def handle_params(self, socket, count: int = 0):
        socket.context["count"] = count

    @event("inc")
    async def inc(self, socket):
        socket.context["count"] += 1

    @event("add")
    async def add(self, socket, amount: int):
        socket.context["count"] += amount

    @event("noop")
    async def noop(self, socket):
        pass

    @event("validate")
    async def validate(self, socket, user: dict, _target: list):
        socket.context["name"] = user.get("name", "")
        socket.context["ok"] = user.get("ok", "")
        socket.context["target"] = "/".join(_target)

    @event("retitle")
    async def retitle(self, socket, title: str):
        socket.live_title = title

    @event("ping")
    async def ping(self, socket, n: int):
        await socket.push_event("pong", {"n": n})

    @event("boom")
    async def boom(self, socket):
        raise RuntimeError("handler exploded")

    @event("push_unserializable")
    async def push_unserializable(self, socket):
        await socket.push_event("saved", {"ids": {1, 2}})  # a set: not JSON


class LegacyView(LiveView[dict]):
    """The legacy ``handle_event(self, event, payload, socket)`` form."""

    template_name = "protocol_legacy.html"

    async def mount(self, socket, session):
        socket.context = {"last": "none", "value": ""}

    async def handle_event(self, event, payload, socket):
        socket.context["last"] = event
        socket.context["value"] = str(payload.get("v", ""))


@dataclass
class PagingParams:
    page: int = 1
    per_page: int = 10
    sort: str = "id"


class ItemsView(LiveView[dict]):
    """``handle_params`` with a path param and a dataclass-typed param."""

    template_name = "protocol_items.html"

    async def mount(self, socket, session):
        socket.context = {"id": 0, "page": 0, "per_page": 0, "sort": ""}

    async def handle_params(self, socket, id: int, paging: PagingParams):
        socket.context.update(id=id, page=paging.page, per_page=paging.per_page, sort=paging.sort)


class NavView(LiveView[dict]):
    """Navigation from events and from ``handle_info`` (``InfoEvent("nav", (kind, path))``)."""

    template_name = "protocol_nav.html"

    async def mount(self, socket, session):
        socket.context = {"q": ""}

    async def handle_params(self, socket, q: str = ""):
        socket.context["q"] = q

    async def _go(self, socket, kind: str, path: str, params: Any = None):
        method = {
            "patch": socket.push_patch,
            "navigate": socket.push_navigate,
            "replace": socket.replace_navigate,
            "redirect": socket.redirect,
        }[kind]
        await method(path, params)

    @event("go")
    async def go(self, socket, kind: str, to: str):
        await self._go(socket, kind, to)

    @event("go_q")
    async def go_q(self, socket, q: str):
        await socket.push_patch("/nav", {"q": q})

    @event("go_later")
    async def go_later(self, socket, kind: str, to: str):
        socket.schedule_info_once(InfoEvent("nav", (kind, to)), 0.001)

    async def handle_info(self, event: InfoEvent, socket):
        if event.name == "nav":
            kind, to = event.payload
            await self._go(socket, kind, to)


class OtherView(LiveView[dict]):
    """A second view of the default live_session (live navigation target)."""

    template_name = "protocol_other.html"

    async def mount(self, socket, session):
        socket.context = {"who": "other"}
        socket.live_title = "Other"


class AdminView(LiveView[dict]):
    """A view of the ``admin`` live_session."""

    template_name = "protocol_other.html"

    async def mount(self, socket, session):
        socket.context = {"who": "admin"}


class RedirectOnMountView(LiveView[dict]):
    """Redirects from mount: on the dead render this is an HTTP 302."""

    template_name = "protocol_other.html"

    async def mount(self, socket, session):
        socket.context = {"who": "gone"}
        await socket.redirect("/counter")


class RedirectWhenConnectedView(LiveView[dict]):
    """Renders over HTTP, redirects when the socket joins."""

    template_name = "protocol_other.html"

    async def mount(self, socket, session):
        socket.context = {"who": "soon gone"}
        if is_connected(socket):
            await socket.redirect("/counter")


class ChatView(LiveView[dict]):
    """Pub/sub, timers and ``disconnect``."""

    template_name = "protocol_chat.html"

    async def mount(self, socket, session):
        socket.context = {"messages": [], "ticks": 0, "tag": ""}
        if is_connected(socket):
            await socket.subscribe("room")
            socket.schedule_info(InfoEvent("slow"), 3600)  # never fires in a test; must be cancelled

    async def handle_params(self, socket, tag: str = ""):
        socket.context["tag"] = tag

    @event("say")
    async def say(self, socket, text: str):
        await socket.broadcast("room", text)

    @event("tick_soon")
    async def tick_soon(self, socket):
        socket.schedule_info_once(InfoEvent("tick"), 0.005)

    @event("navigate_soon")
    async def navigate_soon(self, socket):
        socket.schedule_info_once(InfoEvent("leave"), 0.001)

    @event("crash_soon")
    async def crash_soon(self, socket):
        socket.schedule_info_once(InfoEvent("crash"), 0.001)

    @event("ping_soon")
    async def ping_soon(self, socket):
        socket.schedule_info_once(InfoEvent("ping"), 0.001)

    @event("beat_fast")
    async def beat_fast(self, socket):
        socket.schedule_info(InfoEvent("beat"), 0.005)

    @event("job_start")
    async def job_start(self, socket, ticks: int = 3):
        socket.start_job(self.count_then_wait(socket, ticks))

    async def count_then_wait(self, socket, ticks: int) -> None:
        note(JOBS, f"{socket.context['tag']} started")
        try:
            for _ in range(ticks):
                await socket.send_info(InfoEvent("tick"))
                await asyncio.sleep(0.001)
            await asyncio.sleep(3600)  # a long job: only the view going away ends it
        finally:
            note(JOBS, f"{socket.context['tag']} ended")

    @event("job_crash")
    async def job_crash(self, socket):
        socket.start_job(self.explode())

    async def explode(self) -> None:
        await asyncio.sleep(0.001)
        raise RuntimeError("the job exploded")

    @event("send_self")
    async def send_self(self, socket):
        await socket.send_info(InfoEvent("tick"))
        socket.context["messages"].append("handler")

    async def handle_info(self, event: InfoEvent, socket):
        if event.name == "room":
            socket.context["messages"].append(event.payload)
        elif event.name == "tick":
            socket.context["ticks"] += 1
        elif event.name == "leave":
            await socket.push_navigate("/other")
        elif event.name == "crash":
            raise RuntimeError("handle_info exploded")
        elif event.name == "ping":
            await socket.push_event("pinged", {"ticks": socket.context["ticks"]})
            socket.live_title = "Pinged"
        elif event.name == "beat":
            note(BEATS, socket.context["tag"])

    async def disconnect(self, socket):
        tag = socket.context["tag"]
        note(DISCONNECTED, tag)
        await asyncio.sleep(0)  # a real cleanup awaits something (a DB, a queue, ...)
        note(DISCONNECT_FINISHED, tag)


class PatchOnMountView(LiveView[dict]):
    """``push_patch`` from the connected mount: the join reply carries ``live_patch``."""

    template_name = "protocol_nav.html"

    async def mount(self, socket, session):
        socket.context = {"q": ""}
        if is_connected(socket):
            await socket.push_patch("/patch-on-mount", {"q": "mounted"})

    async def handle_params(self, socket, q: str = ""):
        socket.context["q"] = q


# --- the actor runtime: slow handlers, timers that end their view, floods, teardown order --------

RUNTIME_LOG: list[str] = []  # "<tag> <what>" in the order the runtime made things happen
VIEW_REFS: dict[str, Any] = {}  # tag -> weakref to the connected view instance
_RELEASE: dict[str, asyncio.Event] = {}  # tag -> released by the "release" event of any view


def _release_event(tag: str) -> asyncio.Event:
    if tag not in _RELEASE:
        _RELEASE[tag] = asyncio.Event()
    return _RELEASE[tag]


class RuntimeView(LiveView[dict]):
    """What the actor runtime must survive: a handler that blocks, ticks that end the view, floods."""

    template_name = "protocol_runtime.html"

    async def mount(self, socket, session):
        socket.context = {"count": 0, "handled": 0, "lead": 0, "seen": "", "tag": "", "produced": 0, "beats": 0}

    async def handle_params(self, socket, tag: str = "", topic: str = ""):
        socket.context["tag"] = tag
        if is_connected(socket):
            VIEW_REFS[tag] = weakref.ref(self)
            if topic:
                await socket.subscribe(topic)

    @event("inc")
    async def inc(self, socket):
        socket.context["count"] += 1

    @event("block")
    async def block(self, socket, on: str):
        """Waits until some view sends ``release`` with the same ``on``: a slow handler."""
        note(RUNTIME_LOG, f"{socket.context['tag']} blocked")
        await _release_event(on).wait()
        socket.context["count"] += 100

    @event("release")
    async def release(self, socket, on: str):
        _release_event(on).set()

    @event("ticks_then")
    async def ticks_then(self, socket, then: str, every: float = 0.002):
        """Start a timer whose third tick ends the view (``navigate`` or ``crash``)."""
        socket.context["then"] = then
        socket.schedule_info(InfoEvent("beat"), every)

    @event("flood")
    async def flood(self, socket, n: int):
        """A job that sends ``n`` infos as fast as it can; ``lead`` = how far it ever got ahead."""
        socket.start_job(self._produce(socket, n))

    async def _produce(self, socket, n: int) -> None:
        ctx = socket.context
        for _ in range(n):
            ctx["produced"] += 1
            await socket.send_info(InfoEvent("item", ctx["produced"]))
            ctx["lead"] = max(ctx["lead"], ctx["produced"] - ctx["handled"])
        note(RUNTIME_LOG, f"{ctx['tag']} produced {n}")

    @event("broadcast_job")
    async def broadcast_job(self, socket, topic: str, n: int):
        socket.start_job(self._broadcast(socket, topic, n))

    async def _broadcast(self, socket, topic: str, n: int) -> None:
        for i in range(1, n + 1):
            await socket.broadcast(topic, i)
            await asyncio.sleep(0)  # let the subscribers run, as separate publishers would

    @event("job_with_cleanup")
    async def job_with_cleanup(self, socket):
        socket.start_job(self._cleanup_job(socket.context["tag"]))

    async def _cleanup_job(self, tag: str) -> None:
        note(RUNTIME_LOG, f"{tag} job started")
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0)  # cleanup that awaits: teardown must wait for it
            note(RUNTIME_LOG, f"{tag} job cleaned up")

    @event("user_param_error")
    async def user_param_error(self, socket, value: str = ""):
        from pyview_core.binding import ParamError

        raise ParamError("quantity", value, "int")  # the user's own validation, not the binding's

    async def handle_info(self, event: InfoEvent, socket):
        ctx = socket.context
        if event.name == "beat":
            ctx["beats"] += 1
            note(BEATS, ctx["tag"])
            if ctx["beats"] == 3:
                if ctx["then"] == "crash":
                    raise RuntimeError("the third tick crashed")
                await socket.push_navigate("/other")
        elif event.name == "item":
            ctx["handled"] += 1
            if event.payload != ctx["handled"]:
                raise AssertionError(f"info {event.payload} arrived as number {ctx['handled']}")
        elif event.name == "slow_info":
            try:
                await _release_event(ctx["tag"]).wait()
            finally:
                note(RUNTIME_LOG, f"{ctx['tag']} handle_info ended")
        else:  # a pub/sub topic: integers in order
            ctx["handled"] += 1
            ctx["seen"] = str(event.payload)

    async def disconnect(self, socket):
        note(RUNTIME_LOG, f"{socket.context['tag']} disconnect")
