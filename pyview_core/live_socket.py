"""The two sockets a LiveView sees: unconnected (the HTTP render) and connected (the WebSocket).

A view's ``mount`` runs once with each. Everything that only makes sense with a live connection
(pub/sub, timers, navigation, client events) exists only on ``ConnectedLiveViewSocket``, so
``is_connected(socket)`` is both the runtime check and, as a ``TypeGuard``, the type checker's.
Side effects the socket cannot perform by itself (navigation, events for the client) are recorded
here and carried out by the channel once the handler returns, in one reply or push.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeGuard, TypeVar, Union

import orjson

from .events import InfoEvent
from .security import build_path

if TYPE_CHECKING:
    from .channel import LiveChannel

T = TypeVar("T")

logger = logging.getLogger("pyview_core")


@dataclass(frozen=True)
class Navigation:
    """A navigation a handler asked for: ``kind`` is patch, navigate or redirect."""

    kind: str
    to: str
    history: str = "push"  # "push" or "replace" (browser history)


class UnconnectedSocket(Generic[T]):
    """The socket of the HTTP (dead) render: state and title only; ``redirect`` becomes an HTTP redirect."""

    connected = False

    def __init__(self) -> None:
        self.context: T = None  # type: ignore[assignment]
        self.live_title: Optional[str] = None
        self.navigation: Optional[Navigation] = None

    async def redirect(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        """Answer the HTTP request with a redirect to a local ``path`` instead of the page."""
        self.navigation = Navigation("redirect", build_path(path, params))


class ConnectedLiveViewSocket(Generic[T]):
    """The socket of a joined view: state, title, pub/sub, timers, navigation and client events."""

    connected = True

    def __init__(self, channel: "LiveChannel") -> None:
        self.context: T = None  # type: ignore[assignment]
        self.live_title: Optional[str] = None
        self.navigation: Optional[Navigation] = None
        self.pending_events: list[list[Any]] = []
        self._channel = channel
        self._topics: set[str] = set()
        self._jobs: set[asyncio.Task] = set()

    # --- pub/sub ------------------------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Receive every message broadcast on ``topic`` as ``handle_info(InfoEvent(topic, message))``."""
        if topic not in self._topics:
            self._topics.add(topic)
            await self._channel.pubsub.subscribe(topic, self._channel.on_pubsub)

    async def broadcast(self, topic: str, message: Any) -> None:
        """Send ``message`` to every subscriber of ``topic``, this view included."""
        await self._channel.pubsub.broadcast(topic, message)

    # --- scheduling ---------------------------------------------------------------------------

    def schedule_info(self, event: InfoEvent, seconds: float) -> None:
        """Deliver ``event`` to ``handle_info`` every ``seconds`` until the view goes away."""
        if not seconds > 0:
            raise ValueError(f"schedule_info needs a positive interval, got {seconds!r}")
        self._start_job(self._every(event, float(seconds)))

    def schedule_info_once(self, event: InfoEvent, seconds: Optional[float] = None) -> None:
        """Deliver ``event`` to ``handle_info`` once, after ``seconds`` (or as soon as possible)."""
        self._start_job(self._once(event, float(seconds or 0)))

    def send_info(self, event: InfoEvent) -> None:
        """Queue ``event`` for this view's ``handle_info`` (Phoenix's ``send(self(), msg)``).

        It returns at once, so a handler can call it too (the event runs after the handler's own
        render); events sent one after another arrive in that order. After the view has gone away
        it does nothing.
        """
        self._channel.post_info(event)

    def start_job(self, job: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]":
        """Run the coroutine ``job`` beside the view, e.g. a long computation that reports each
        result with ``send_info``. Returns its task: ``task.cancel()`` stops it early.

        The job is cancelled when the view goes away (tab closed, navigation), so it cannot
        outlive its page. An exception in it crashes the view like one in a handler: logged
        with its traceback, and the client rejoins with a fresh mount.
        """
        if not asyncio.iscoroutine(job):
            raise TypeError(f"start_job needs a coroutine (call the async function), got {job!r}")
        return self._start_job(self._guarded(job))

    async def _guarded(self, job: Coroutine[Any, Any, Any]) -> None:
        try:
            await job
        except asyncio.CancelledError:
            raise
        except Exception:
            if not self._channel.closed:
                await self._channel.crash()

    def _start_job(self, coro: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]":
        task = asyncio.get_running_loop().create_task(coro)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task

    async def _every(self, event: InfoEvent, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due += seconds
            await self._channel.deliver_info(event)

    async def _once(self, event: InfoEvent, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._channel.deliver_info(event)

    # --- navigation and client events ---------------------------------------------------------

    async def push_patch(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        """Change the URL within this view: ``handle_params`` runs and the browser history gets an entry."""
        self.navigation = Navigation("patch", build_path(path, params))

    async def push_navigate(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        """Live-navigate to another LiveView, pushing a history entry."""
        self.navigation = Navigation("navigate", build_path(path, params))

    async def replace_navigate(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        """Live-navigate to another LiveView, replacing the current history entry."""
        self.navigation = Navigation("navigate", build_path(path, params), "replace")

    async def redirect(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        """A full page load of ``path`` (for pages that are not LiveViews, or external flows)."""
        self.navigation = Navigation("redirect", build_path(path, params))

    async def push_event(self, event: str, value: dict[str, Any]) -> None:
        """Dispatch ``phx:<event>`` on ``window`` and to hooks' ``handleEvent`` with the next diff."""
        if not isinstance(event, str) or not event:
            raise ValueError(f"push_event needs an event name, got {event!r}")
        try:
            orjson.dumps(value)
        except TypeError as exc:
            raise TypeError(f"push_event({event!r}): the value must be JSON-serialisable ({exc})") from None
        self.pending_events.append([event, value])

    # --- teardown -----------------------------------------------------------------------------

    async def release(self) -> None:
        """Cancel timers and drop subscriptions: the framework's cleanup before ``disconnect``."""
        current = asyncio.current_task()
        for task in list(self._jobs):
            if task is not current:
                task.cancel()
        self._jobs.clear()
        for topic in self._topics:
            await self._channel.pubsub.unsubscribe(topic, self._channel.on_pubsub)
        self._topics.clear()


LiveViewSocket = Union[ConnectedLiveViewSocket[T], UnconnectedSocket[T]]


def is_connected(socket: LiveViewSocket[T]) -> TypeGuard[ConnectedLiveViewSocket[T]]:
    """True on the WebSocket mount; type checkers then know the socket's connected-only methods."""
    return socket.connected
