"""The two sockets a LiveView sees: unconnected (the HTTP render) and connected (the WebSocket).

A view's ``mount`` runs once with each. Everything that only makes sense with a live connection
(pub/sub, timers, navigation, client events) exists only on ``ConnectedLiveViewSocket``, so
``is_connected(socket)`` is both the runtime check and, as a ``TypeGuard``, the type checker's.
Side effects the socket cannot perform by itself (navigation, events for the client) are recorded
here and carried out by the channel once the handler returns, in one reply or push.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Callable, Generic, Optional, Protocol, TypeGuard, TypeVar, Union

import orjson
from starlette.authentication import AuthCredentials, UnauthenticatedUser

from .events import InfoEvent
from .flash import Flash
from .uploads import Presign, ProgressCallback, UploadConfig, UploadConstraints
from .security import build_path

T = TypeVar("T")


@dataclass(frozen=True)
class Navigation:
    """A navigation a handler asked for: ``kind`` is patch, navigate or redirect."""

    kind: str
    to: str
    history: str = "push"  # "push" or "replace" (browser history)


@dataclass
class Visitor:
    """What a socket learns from the request behind it (the page's GET, or the WebSocket).

    ``flash``: the messages this page starts with; ``user``/``auth``: Starlette's
    ``AuthenticationMiddleware`` results, if the app has it; ``csrf_token``: a masked token of the
    session's CSRF secret, for forms that post to plain HTTP routes (``phx-trigger-action``).
    """

    flash: Optional[dict[str, str]] = None
    user: Any = None
    auth: Any = None
    csrf_token: str = ""


class _SocketBase:
    """What both sockets have: flash messages and who is connected (Starlette's authentication).

    ``user`` and ``auth`` are the ``request.user`` / ``request.auth`` of the page request and of the
    WebSocket, set by Starlette's ``AuthenticationMiddleware`` when the app has one (otherwise an
    unauthenticated user with no scopes). ``on_mount`` hooks and ``@requires`` read them.
    ``csrf_token`` goes into a form that posts to a plain route: ``PyView.csrf_valid`` checks it.
    """

    def __init__(self) -> None:
        self.flash = Flash()
        self.user: Any = UnauthenticatedUser()
        self.auth: AuthCredentials = AuthCredentials()
        self.csrf_token = ""

    def meet(self, visitor: Visitor) -> None:
        """Take what the request behind this socket says (before any hook or ``mount`` runs)."""
        if visitor.flash:
            self.flash = Flash(visitor.flash)
        if visitor.user is not None:
            self.user = visitor.user
        if visitor.auth is not None:
            self.auth = visitor.auth
        self.csrf_token = visitor.csrf_token

    def put_flash(self, kind: str, message: str) -> None:
        """Show ``message`` under ``kind`` (``"info"``, ``"error"``, …) where the template renders
        ``{{ flash }}``; it also travels with a navigation or redirect made by the same handler."""
        self.flash.put(kind, message)

    def clear_flash(self, kind: Optional[str] = None) -> None:
        """Remove the message of ``kind``, or every message."""
        self.flash.clear(kind)


class UnconnectedSocket(_SocketBase, Generic[T]):
    """The socket of the HTTP (dead) render: state and title only; ``redirect`` becomes an HTTP redirect."""

    connected = False

    def __init__(self) -> None:
        super().__init__()
        self.context: T = None  # type: ignore[assignment]
        self.live_title: Optional[str] = None
        self.navigation: Optional[Navigation] = None

    async def redirect(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        """Answer the HTTP request with a redirect to a local ``path`` instead of the page."""
        self.navigation = Navigation("redirect", build_path(path, params))

    def allow_upload(
        self, name: str, constraints: Optional[UploadConstraints] = None, auto_upload: bool = False,
        progress: Optional[ProgressCallback] = None, external: Optional[Presign] = None,
    ) -> UploadConfig:
        """An upload for the page's first render (files can only arrive once the socket is connected)."""
        return UploadConfig(name, constraints or UploadConstraints(), auto_upload=auto_upload, progress=progress, external=external)

    def __getattr__(self, name: str) -> Any:
        # Only reached for a missing attribute: say why a connected socket's method is not here,
        # rather than a bare AttributeError that sends the developer to the source.
        if not name.startswith("_") and hasattr(ConnectedLiveViewSocket, name):
            raise AttributeError(
                f"socket.{name} needs a live connection, and mount also runs for the page's first "
                f"(HTTP) render, which has none: call it under `if is_connected(socket):`"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ViewHost(Protocol):
    """What a connected socket needs from the runtime that runs its view (the channel).

    The socket records what a handler asks for and forwards the rest here, so this module
    does not depend on the channel (dependencies go down, never up).
    """

    async def subscribe(self, topic: str) -> None: ...

    async def unsubscribe(self, topic: str) -> None: ...

    async def broadcast(self, topic: str, message: Any) -> None: ...

    async def broadcast_from(self, topic: str, message: Any) -> None: ...

    def on_leave(self, callback: Callable[[], Any]) -> None: ...

    async def post_info(self, event: InfoEvent) -> None: ...

    def post_info_nowait(self, event: InfoEvent) -> bool: ...

    def start_job(self, job: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]": ...

    def start_timer(self, event: InfoEvent, seconds: float, repeat: bool) -> "asyncio.Task[Any]": ...

    def allow_upload(
        self, name: str, constraints: UploadConstraints, auto_upload: bool,
        progress: Optional[ProgressCallback], external: Optional[Presign],
    ) -> UploadConfig: ...

    def cancel_upload(self, name: str, ref: str) -> bool: ...

    def send_update(self, cls: type, id: Any, assigns: dict[str, Any]) -> None: ...


class ConnectedLiveViewSocket(_SocketBase, Generic[T]):
    """The socket of a joined view: state, title, pub/sub, timers, jobs, navigation and client events."""

    connected = True

    def __init__(self, host: ViewHost) -> None:
        super().__init__()
        self.context: T = None  # type: ignore[assignment]
        self.live_title: Optional[str] = None
        self.navigation: Optional[Navigation] = None
        self.pending_events: list[list[Any]] = []
        self._host = host

    # --- pub/sub ------------------------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Receive every message broadcast on ``topic`` as ``handle_info(InfoEvent(topic, message))``."""
        await self._host.subscribe(topic)

    async def unsubscribe(self, topic: str) -> None:
        """Stop receiving ``topic`` (leaving the view unsubscribes from everything by itself)."""
        await self._host.unsubscribe(topic)

    async def broadcast(self, topic: str, message: Any) -> None:
        """Send ``message`` to every subscriber of ``topic``, this view included.

        With several processes (``RedisPubSub``) the message travels as JSON: a value that cannot
        be encoded raises ``MessageNotEncodable`` here, and subscribers elsewhere get the decoded
        JSON (tuples as lists, dataclasses as dicts).
        """
        await self._host.broadcast(topic, message)

    async def broadcast_from(self, topic: str, message: Any) -> None:
        """As ``broadcast``, but this view does not get its own message (Phoenix's ``broadcast_from``)."""
        await self._host.broadcast_from(topic, message)

    def on_leave(self, callback: Callable[[], Any]) -> None:
        """Call ``callback()`` (awaited if it returns an awaitable) once this view has gone:
        closed, crashed, or navigated away. ``Presence`` untracks the view's entries this way."""
        self._host.on_leave(callback)

    # --- scheduling and jobs ------------------------------------------------------------------

    def schedule_info(self, event: InfoEvent, seconds: float) -> None:
        """Deliver ``event`` to ``handle_info`` every ``seconds`` until the view goes away.

        A tick that falls due while the view is still busy with earlier messages waits for room
        in its mailbox; ticks missed meanwhile are skipped, not queued up.
        """
        if not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ValueError(f"schedule_info needs a positive interval, got {seconds!r}")
        self._host.start_timer(event, float(seconds), repeat=True)

    def schedule_info_once(self, event: InfoEvent, seconds: Optional[float] = None) -> None:
        """Deliver ``event`` to ``handle_info`` once, after ``seconds`` (or as soon as possible)."""
        if seconds is not None and (not isinstance(seconds, (int, float)) or seconds < 0):
            raise ValueError(f"schedule_info_once needs a delay of 0 or more seconds, got {seconds!r}")
        self._host.start_timer(event, float(seconds or 0), repeat=False)

    async def send_info(self, event: InfoEvent) -> None:
        """Queue ``event`` for this view's ``handle_info`` (Phoenix's ``send(self(), msg)``).

        From a job, it waits while the view's mailbox is busy (a quarter of
        ``Limits.mailbox_size`` messages waiting), so a fast producer runs at the speed the view
        renders. From the view's own handlers it never waits: the event runs after the handler's
        own render. Events sent one after another arrive in that order; after the view has gone
        away, it does nothing.
        """
        await self._host.post_info(event)

    def send_info_nowait(self, event: InfoEvent) -> bool:
        """Queue ``event`` without waiting, or **drop** it when the view's mailbox is busy.

        Returns whether it was queued. For values where only the latest matters (a progress
        figure); use ``await send_info`` for messages that must all arrive.
        """
        return self._host.post_info_nowait(event)

    def start_job(self, job: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]":
        """Run the coroutine ``job`` beside the view, e.g. a long computation that reports each
        result with ``await socket.send_info(...)``. Returns its task: ``task.cancel()`` stops it early.

        The job is cancelled (and awaited) when the view goes away (tab closed, navigation), so it
        cannot outlive its page. An exception in it crashes the view like one in a handler:
        logged with its traceback, and the client rejoins with a fresh mount.
        """
        if not asyncio.iscoroutine(job):
            raise TypeError(f"start_job needs a coroutine (call the async function), got {job!r}")
        return self._host.start_job(job)

    # --- uploads -------------------------------------------------------------------------------

    def allow_upload(
        self, name: str, constraints: Optional[UploadConstraints] = None, auto_upload: bool = False,
        progress: Optional[ProgressCallback] = None, external: Optional[Presign] = None,
    ) -> UploadConfig:
        """Accept files for the ``live_file_input`` of ``name`` (see :mod:`pyview_core.uploads`).

        ``progress(entry, socket)`` runs as chunks arrive; ``auto_upload`` sends files as soon as
        they are chosen (else on submit); ``external(entry, socket)`` presigns a direct upload to
        storage (returns ``ExternalUploadMeta``). Calling it again with the same name replaces the
        upload, cancelling its entries.
        """
        return self._host.allow_upload(name, constraints or UploadConstraints(), auto_upload, progress, external)

    def cancel_upload(self, name: str, ref: str) -> bool:
        """Cancel entry ``ref`` of upload ``name`` (its bytes are deleted); False if there is none."""
        return self._host.cancel_upload(name, ref)

    # --- live components ---------------------------------------------------------------------

    def send_update(self, cls: type, id: Any, **assigns: Any) -> None:
        """Give live component ``(cls, id)`` new assigns: its ``update`` runs, then it re-renders
        (with this handler's render; from a job, as a message of its own). An unknown component
        is logged and ignored (it may have just been removed from the page)."""
        self._host.send_update(cls, id, assigns)

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


LiveViewSocket = Union[ConnectedLiveViewSocket[T], UnconnectedSocket[T]]


def is_connected(socket: LiveViewSocket[T]) -> TypeGuard[ConnectedLiveViewSocket[T]]:
    """True on the WebSocket mount; type checkers then know the socket's connected-only methods."""
    return socket.connected
