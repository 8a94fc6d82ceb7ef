"""One joined LiveView: an actor that consumes its mailbox (PROTOCOL.md §3–§7 for one ``lv:`` topic).

The channel owns the view instance, its connected socket, its ``Differ``, its mailbox and the
tasks it started (timers, jobs). One task, the actor, runs everything the view does: the join,
then each message from the mailbox in order (client events, live patches, ``handle_info`` for
pub/sub, timers and jobs). Nothing else calls user code, so handlers never interleave and no lock
is needed; the socket reader only drops messages in the mailbox and never waits for a view.

Every message ends the same way: carry out the navigation a handler asked for, render, diff,
and answer with one reply or push (a handler's stream operations that need consecutive diffs
add pushes after it). Consecutive ``handle_info`` messages waiting in the mailbox are handled
together and rendered once.

Teardown is one path for every ending (client close, leave, crash, navigation away, overflow,
server shutdown): stop accepting messages, cancel and await every job and timer, unsubscribe
every topic (one failure does not skip the rest), then call the view's ``disconnect``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Coroutine
from typing import Any, Callable, Optional
from urllib.parse import ParseResult, urlparse

import orjson
from starlette.exceptions import HTTPException

from pyview_templates import TemplateSyntaxError

from .binding import ParamError, plan_for
from .component_globals import bind as bind_components
from .component_globals import unbind as unbind_components
from .component_registry import ComponentRegistry, Entry
from .dev_errors import ASSETS, ASSETS_EVENT, TEMPLATES, clear_event, error_event
from .diff import Differ
from .error_page import short_error
from .auth import run_on_mount
from .events import InfoEvent
from .flash import Flash, FlashTokens
from .flash import bind as bind_flash
from .flash import unbind as unbind_flash
from .forms import FormError, decode_form, merge_meta
from .live_socket import ConnectedLiveViewSocket, Navigation, Visitor
from .live_view import LiveView, UnknownEvent, bind_handle_params, invoke, url_params
from .mailbox import Mailbox, MailboxClosed
from .pubsub import LocalInfo
from .routing import LiveRoute, parse_live_url
from .runtime import Runtime
from .stream import StreamRounds
from .uploads import Presign, ProgressCallback, UploadConfig, UploadConstraints
from .tasks import TaskOwner
from .upload_host import ViewUploads

logger = logging.getLogger("pyview_core")

LIVEVIEW_VERSION = "1.2.12"
_MAX_PATCH_CHAIN = 8  # handle_params may push_patch again; stop runaway loops

# Mailbox message kinds: (EVENT, ref, payload), (PATCH, ref, payload), (INFO, InfoEvent),
# (CIDS_WILL_DESTROY, ref, payload), (CIDS_DESTROYED, ref, payload), (ALLOW_UPLOAD, ref, payload),
# (PROGRESS, ref, payload); for an lvu: topic, (UPLOAD_JOIN, ref, (topic, join_ref, token)),
# (UPLOAD_CHUNK, ref, (topic, join_ref, bytes)), (UPLOAD_LEAVE, ref, (topic, join_ref)), (UPLOAD_TIMEOUT, topic);
# (COMPONENT_UPDATE, (cls, id, assigns)) for a send_update from outside the actor (a job);
# (DEV, what, payload) from the development loop (dev_errors.TEMPLATES or dev_errors.ASSETS).
EVENT, PATCH, INFO, CIDS_WILL_DESTROY, CIDS_DESTROYED, ALLOW_UPLOAD, PROGRESS = range(7)
UPLOAD_JOIN, UPLOAD_CHUNK, UPLOAD_LEAVE, UPLOAD_TIMEOUT, COMPONENT_UPDATE, DEV = range(7, 13)

Push = Callable[[list], None]


class PatchRefused(Exception):
    """The params of a URL (joined, or pushed by ``push_patch``) do not convert for ``handle_params``."""


class MailboxOverflow(RuntimeError):
    """A view's mailbox was full: its client or its pub/sub topics outpace its handlers."""


class LiveChannel:
    """The server side of one ``lv:<id>`` channel, run by ``start()`` as its own task."""

    def __init__(
        self,
        runtime: Runtime,
        push: Push,
        forget: Callable[["LiveChannel"], None],
        topic: str,
        join_ref: str,
        route: LiveRoute,
        release_upload: Callable[[str], None] = lambda topic: None,
    ) -> None:
        self.runtime = runtime
        self.topic = topic
        self.join_ref = join_ref
        self.route = route
        self.view: LiveView = route.view()
        self.view_name = type(self.view).__name__
        self.mailbox: Mailbox[tuple] = Mailbox(runtime.limits.mailbox_size)
        self.jobs = TaskOwner(f"{self.view_name} on {topic}", runtime.limits.stop_timeout)
        self.socket: ConnectedLiveViewSocket = ConnectedLiveViewSocket(self)
        self.differ = Differ()
        self.task: Optional[asyncio.Task[None]] = None
        self.components = ComponentRegistry(
            self.socket, self.view_name, runtime.templates, post_update=self._post_update, owner=lambda: self.task,
            view_module=type(self.view).__module__,
        )
        self._push = push
        self._forget = forget
        self._join_ref: Any = None  # the ref of the join while it is not answered yet
        self._failure: Optional[tuple[BaseException, str]] = None
        self.crash: Optional[tuple[BaseException, str]] = None  # what ended it, and where (for test clients)
        self._sent_title: Optional[str] = None
        self._topics: dict[str, None] = {}
        self._leave_callbacks: list[Callable[[], Any]] = []  # socket.on_leave: run at teardown (Presence untracks)
        self._handlers: dict[Optional[str], tuple[Any, Any]] = {}
        self._release_upload = release_upload
        self._uploads: Optional[ViewUploads] = None  # made by the first upload message: most views never upload
        # Development: whether the page shows the development overlay and applies live reloads
        # (app.js says so in its join params; set by the connection), and the error it shows.
        self.dev_client = False
        self._dev_error: Optional[str] = None  # the short form of the error in the overlay
        self._dev_recheck_queued = False  # development: a template re-check waits in the mailbox

    @property
    def uploads(self) -> ViewUploads:
        """This view's uploads (``allow_upload``, preflight, ``lvu:`` transfers)."""
        if self._uploads is None:
            self._uploads = ViewUploads(
                self.runtime.signer, self.runtime.upload_dir, self._push, self.topic, self.join_ref,
                on_timeout=lambda upload_topic: self.mailbox.offer((UPLOAD_TIMEOUT, upload_topic)),
                release=self._release_upload,
            )
        return self._uploads

    # --- the actor ------------------------------------------------------------------------------

    def start(
        self, ref: Any, url: ParseResult, path_params: dict[str, Any], session: dict[str, Any],
        visitor: Optional[Visitor] = None,
    ) -> "asyncio.Task[None]":
        """Start the actor: join (on_mount hooks, mount, params, first render), then serve the mailbox.

        ``visitor``: what the WebSocket says (flash the page showed or a live redirect carried,
        Starlette's authentication, the CSRF token for forms).
        """
        if visitor is not None:
            self.socket.meet(visitor)
        self._join_ref = ref
        self.task = asyncio.get_running_loop().create_task(self._run(ref, url, path_params, session), name=f"pyview {self.topic}")
        self.runtime.channels.add(self)  # reachable by the development loop until its teardown
        return self.task

    def deliver(self, message: tuple) -> None:
        """Queue a client message (from the socket reader, which must not wait); a full mailbox stops the view."""
        if not self.mailbox.offer(message):
            self._overflowed("the client sends faster than the view handles events")

    def _overflowed(self, overflowing: str) -> None:
        """A producer that must not wait found the mailbox full: the view fails (unless ending anyway)."""
        if not self.mailbox.closed:
            self.fail(MailboxOverflow(
                f"{self.view_name} on {self.topic}: {len(self.mailbox)} messages waiting (limit "
                f"{self.mailbox.capacity}); {overflowing}"
            ), "mailbox")

    def stop(self) -> None:
        """End the view from outside (client closed, left, joined again): the actor tears down."""
        self._end()
        self._forget(self)

    def fail(self, error: BaseException, where: str) -> None:
        """End the view because of ``error`` outside its handlers (a job, an overflow): the client
        gets ``phx_error`` and rejoins with a fresh mount."""
        if not self.mailbox.closed:  # not ending already
            self._failure = (error, where)
            self._end()

    def _end(self) -> None:
        """Stop intake and interrupt the actor, which then tears down."""
        self.mailbox.close()
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(self, ref: Any, url: ParseResult, path_params: dict[str, Any], session: dict[str, Any]) -> None:
        try:
            if await self._join(ref, url, path_params, session):
                await self._serve()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # the cancellation was for us; teardown below must still await
            if self._failure is not None:
                self._crashed(*self._failure)
        except Exception as exc:
            if exc.__traceback__ is not None:  # drop this frame: it runs on, holding the channel
                exc.__traceback__ = exc.__traceback__.tb_next
            self._crashed(exc, "join" if self._join_ref is not None else "handler")
        finally:
            await self._teardown()

    async def _serve(self) -> None:
        mailbox = self.mailbox
        while True:
            try:
                message = await mailbox.get()
            except MailboxClosed:
                return
            kind = message[0]
            if kind == EVENT:
                ended = await self._on_event(message[1], message[2])
            elif kind == INFO:
                ended = await self._on_infos(message[1])
            elif kind == PATCH:
                ended = await self._on_live_patch(message[1], message[2])
            elif kind == UPLOAD_CHUNK:
                await self.uploads.chunk(message[2][0], message[2][1], message[1], message[2][2])
                ended = False
            elif kind == PROGRESS:
                ended = await self._on_progress(message[1], message[2])
            elif kind == ALLOW_UPLOAD:
                ended = await self._on_allow_upload(message[1], message[2])
            elif kind == UPLOAD_JOIN:
                self.uploads.join(message[2][0], message[2][1], message[1], message[2][2])
                ended = False
            elif kind == UPLOAD_LEAVE:
                self.uploads.leave(message[2][0], message[2][1], message[1])
                ended = False
            elif kind == UPLOAD_TIMEOUT:
                ended = await self._settle(None) if self.uploads.timed_out(message[1]) else False
            elif kind == COMPONENT_UPDATE:
                cls, id, assigns = message[1]
                ended = await self._settle(None, only_components=True) if self.components.queue_update(cls, id, assigns) else False
            elif kind == DEV:
                ended = await self._on_dev(message[1], message[2])
            elif kind == CIDS_WILL_DESTROY:
                self.components.mark_for_destroy(_cids(message[2]))
                self._reply(message[1], {})
                ended = False
            else:  # CIDS_DESTROYED: delete what is still marked; the client prunes what we name
                gone = self.components.destroy(_cids(message[2]))
                self.differ.forget(gone)
                self._reply(message[1], {"cids": gone})
                ended = False
            if ended:
                return

    def _crashed(self, error: BaseException, where: str) -> None:
        """Log a crash with its traceback and tell the client (PROTOCOL §2.5, §3.3)."""
        logger.error(
            "%s crashed (%s) on %s: %s", self.view_name, where, self.topic, short_error(error),
            exc_info=None if isinstance(error, MailboxOverflow) else error,
        )
        # Development: the page shows what happened (an overlay with the frames) before it rejoins.
        shown = None
        if self.dev_client and self.runtime.development:
            shown = error_event(error, f"{self.view_name} crashed ({where}) on {self.topic}")
        # Logged: the frames' locals (the view, its state) are no longer needed, even if a log
        # handler keeps the record and its traceback.
        traceback.clear_frames(error.__traceback__)
        self.crash = (error, where)
        if shown is not None:
            self.runtime.channels.overlay_shown(self.topic)
        if self._join_ref is not None:
            response: dict[str, Any] = {"reason": "join crashed"}
            if shown is not None:
                response["events"] = [shown]  # the client dispatches a join error's events
            self._answer_join(response, "error")
        else:
            if shown is not None:
                self._push_event("diff", {"e": [shown]})
            self._push([self.join_ref, self.join_ref, self.topic, "phx_error", {"reason": "channel_crash"}])

    async def _teardown(self) -> None:
        """Stop intake, cancel and await jobs and timers, unsubscribe everything, then ``disconnect``."""
        self._forget(self)
        self.runtime.channels.discard(self)
        self.mailbox.close()
        self.mailbox.clear()
        await self.jobs.aclose()
        if self._uploads is not None:
            try:
                self._uploads.close()  # every temp file of this view is deleted
            except Exception:
                logger.exception("%s: releasing its uploads failed", self.view_name)
        pubsub = self.runtime.pubsub
        for topic in list(self._topics):
            try:
                await pubsub.unsubscribe(topic, self.on_pubsub)
            except Exception:
                logger.exception("%s: unsubscribing from %r failed (continuing with the others)", self.view_name, topic)
        self._topics.clear()
        for callback in self._leave_callbacks:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("%s: a leave callback (%r) failed", self.view_name, callback)
        self._leave_callbacks.clear()
        try:
            await self.view.disconnect(self.socket)
        except Exception:
            logger.exception("%s.disconnect failed", self.view_name)

    # --- what the socket asks of its view (live_socket.ViewHost) ------------------------------

    async def subscribe(self, topic: str) -> None:
        if topic not in self._topics:
            self._topics[topic] = None
            await self.runtime.pubsub.subscribe(topic, self.on_pubsub)

    async def unsubscribe(self, topic: str) -> None:
        if self._topics.pop(topic, 0) is None:
            await self.runtime.pubsub.unsubscribe(topic, self.on_pubsub)

    async def broadcast(self, topic: str, message: Any) -> None:
        await self.runtime.pubsub.broadcast(topic, message)

    async def broadcast_from(self, topic: str, message: Any) -> None:
        await self.runtime.pubsub.broadcast_from(self.on_pubsub, topic, message)

    def on_pubsub(self, topic: str, message: Any) -> None:
        """Pub/sub callback: queue ``InfoEvent(topic, message)`` without blocking the publisher
        (a ``LocalInfo``, such as Presence's ``presence_diff``, arrives under its own name)."""
        event = InfoEvent(message.name, message.payload) if type(message) is LocalInfo else InfoEvent(topic, message)
        if not self.mailbox.offer((INFO, event)):
            self._overflowed(f"pub/sub on {topic!r} outpaces handle_info")

    def on_leave(self, callback: Callable[[], Any]) -> None:
        self._leave_callbacks.append(callback)

    def dev_notify(self, message: tuple) -> bool:
        """The development loop (``runtime.channels``): queue ``(TEMPLATES,)`` or ``(ASSETS, payload)``
        without waiting. A full mailbox skips it (the view is not failed for it), and a re-check
        already waiting makes another one redundant."""
        if message[0] == TEMPLATES:
            if self._dev_recheck_queued:
                return True
            queued = self.mailbox.offer((DEV, TEMPLATES, None))
            self._dev_recheck_queued = queued
            return queued
        return self.mailbox.offer((DEV, message[0], message[1] if len(message) > 1 else None))

    async def post_info(self, event: InfoEvent) -> None:
        """``await socket.send_info``: wait while the mailbox is past its producer window.

        From the view's own handlers it cannot wait (the actor would wait for itself), so it
        queues up to the mailbox's capacity and raises ``MailboxOverflow`` beyond it.
        """
        if asyncio.current_task() is self.task:
            if not self.mailbox.offer((INFO, event)) and not self.mailbox.closed:
                raise MailboxOverflow(
                    f"{self.view_name}: send_info from its own handler with {len(self.mailbox)} messages waiting "
                    f"(limit {self.mailbox.capacity})"
                )
            return
        await self.mailbox.put((INFO, event))

    def post_info_nowait(self, event: InfoEvent) -> bool:
        """``socket.send_info_nowait``: queue unless the producer window is full; False if dropped."""
        if self.mailbox.closed or len(self.mailbox) >= self.mailbox.window:
            return False
        return self.mailbox.offer((INFO, event))

    def start_job(self, job: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]":
        return self.jobs.start(self._guarded(job))

    def send_update(self, cls: type, id: Any, assigns: dict[str, Any]) -> None:
        self.components.send_update(cls, id, assigns)

    def _post_update(self, cls: type, id: Any, assigns: dict[str, Any]) -> None:
        """A ``send_update`` from a job: queued like a message (a full mailbox fails the view)."""
        if not self.mailbox.offer((COMPONENT_UPDATE, (cls, id, assigns))):
            self._overflowed("send_update from a job outpaces the view")

    def allow_upload(
        self, name: str, constraints: UploadConstraints, auto_upload: bool,
        progress: Optional[ProgressCallback], external: Optional[Presign],
    ) -> UploadConfig:
        return self.uploads.allow(name, constraints, auto_upload, progress, external)

    def cancel_upload(self, name: str, ref: str) -> bool:
        return self.uploads.cancel(name, ref)

    def start_timer(self, event: InfoEvent, seconds: float, repeat: bool) -> "asyncio.Task[Any]":
        if repeat:
            return self.jobs.start(self._every(event, seconds), background=True)
        return self.jobs.start(self._once(event, seconds))

    async def _guarded(self, job: Coroutine[Any, Any, Any]) -> None:
        try:
            await job
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.fail(exc, "job")

    async def _every(self, event: InfoEvent, seconds: float) -> None:
        """Queue ``event`` every ``seconds``; beats missed while the view was busy are skipped, not queued."""
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not await self.mailbox.put((INFO, event)):
                return
            due += seconds
            now = loop.time()
            if due < now:
                due = now + seconds

    async def _once(self, event: InfoEvent, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.mailbox.put((INFO, event))

    # --- sending --------------------------------------------------------------------------------

    def _reply(self, ref: Any, response: dict, status: str = "ok") -> None:
        self._push([self.join_ref, ref, self.topic, "phx_reply", {"status": status, "response": response}])

    def _answer_join(self, response: dict, status: str = "ok") -> None:
        """Reply to the join (once: after it, a crash is a ``phx_error``)."""
        ref, self._join_ref = self._join_ref, None
        self._reply(ref, response, status)

    def _push_event(self, event: str, payload: dict) -> None:
        self._push([self.join_ref, None, self.topic, event, payload])

    def _refuse(self, ref: Any, event: str, reason: str, kind: str) -> None:
        """An error reply for something the client sent, logged where the developer looks."""
        self.runtime.warn_refusal(self.view_name, event, reason, kind)
        self._reply(ref, {"reason": reason}, "error")

    # --- join -----------------------------------------------------------------------------------

    async def _join(self, ref: Any, url: ParseResult, path_params: dict[str, Any], session: dict[str, Any]) -> bool:
        """Mount, handle params and answer the join with the full tree (or a navigation). True if joined."""
        socket = self.socket
        await self.runtime.templates.ready(type(self.view))
        hooks = self.route.on_mount
        try:
            if not hooks or await run_on_mount(hooks, socket, session, url_params(url, path_params)):
                await self.view.mount(socket, session)
        except HTTPException as refused:  # a hook refused: the client reloads the page, which answers the status
            logger.info("join of %s on %s refused by on_mount: %s %s", self.view_name, self.topic, refused.status_code, refused.detail)
            self._answer_join({"reason": "unauthorized"}, "error")
            return False
        try:
            patched = await self._follow_patches()  # a patch from mount replaces the join URL's params
            if patched is None and socket.navigation is None:
                await invoke(*self._bind_params(url, path_params))
                patched = await self._follow_patches()
        except PatchRefused as refused:
            self.runtime.warn_refusal(self.view_name, "phx_join", str(refused), "params")
            self._answer_join({"reason": str(refused)}, "error")
            return False
        if socket.navigation is not None:  # a hook, mount or handle_params navigated away
            key, body = self._navigation_message(socket.navigation, socket.flash)  # all of it: none was shown here
            self._answer_join({key: body}, "error")
            return False
        rendered, later = await self._render_diffs(join=True)
        response: dict[str, Any] = {"rendered": rendered, "liveview_version": LIVEVIEW_VERSION}
        if patched is not None:
            response["live_patch"] = {"to": patched.to, "kind": patched.history}
        self._answer_join(response)
        for diff in later:  # stream operations that needed consecutive diffs
            self._push_event("diff", diff)
        return True

    # --- client messages ------------------------------------------------------------------------

    async def _on_event(self, ref: Any, payload: dict) -> bool:
        name = payload.get("event")
        if not isinstance(name, str) or not name:
            self._refuse(ref, "?", "event: missing event name", "payload")
            return False
        try:
            values = _event_values(payload)
        except (FormError, TypeError) as exc:
            self._refuse(ref, name, f"event {name!r}: {exc}", "payload")
            return False
        if name.startswith("lv:"):
            if name != "lv:clear-flash":  # the one reserved name
                self._refuse(ref, name, f"reserved event name {name!r}", "reserved")
                return False
            key = values.get("key")
            self.socket.clear_flash(key if isinstance(key, str) else None)
            return await self._settle(ref)
        uploads = payload.get("uploads")
        if uploads and self._uploads is not None:  # the files a form's file inputs hold: validated before any byte is sent
            try:
                self.uploads.from_form(uploads)
            except ValueError as exc:
                self._refuse(ref, name, f"event {name!r}: uploads: {exc}", "payload")
                return False
        target: Optional[Entry] = None
        if "cid" in payload:  # phx-target names a live component
            target = self.components.entry(payload["cid"])
            if target is None:
                self._refuse(
                    ref, name, f"event {name!r} targets component {payload['cid']!r}, which {self.view_name} does not "
                    "have (removed from the page, or never rendered)", "target",
                )
                return False
            handler_and_plan = _component_handler(target, name)
            owner = target.name
        else:
            handler_and_plan = self._event_handler(name)
            owner = self.view_name
        if handler_and_plan is None:
            self._refuse(ref, name, f"{owner} has no handler for event {name!r}", "unknown")
            return False
        handler, plan = handler_and_plan
        socket: Any = self.socket if target is None else target.socket
        try:
            args, kwargs = plan.arguments({"socket": socket, "event": name, "payload": values}, values)
        except ParamError as exc:  # the payload does not fit the handler's parameters: the client's fault
            self._refuse(ref, name, f"event {name!r}: {exc}", "params")
            return False
        try:  # anything else it raises, ParamError included, is a crash
            result = await invoke(handler, args, kwargs)
        except UnknownEvent as exc:  # a catch-all handle_event saying "not mine"
            self._refuse(ref, name, str(exc), "unknown")
            return False
        reply = None if result is None else self._hook_reply(name, result)
        if target is None:
            return await self._settle(ref, reply)
        self.components.dirty(target.cid)
        # Only the component re-renders, unless what it did shows on the view (a flash).
        return await self._settle(ref, reply, only_components=not self.socket.flash.changed)

    def _hook_reply(self, event: str, result: Any) -> Optional[dict]:
        """A handler's returned dict: the reply a hook's ``pushEvent(..., reply => ...)`` receives."""
        if isinstance(result, dict):
            try:
                orjson.dumps(result)
            except TypeError as exc:
                raise TypeError(f"{self.view_name}: the reply to {event!r} is not JSON-serialisable ({exc})") from None
            return result
        self.runtime.warn_refusal(
            self.view_name, event, f"the handler returned {type(result).__name__}, not a dict: no reply is sent", "reply",
        )
        return None

    async def _on_live_patch(self, ref: Any, payload: dict) -> bool:
        raw = payload.get("url")
        url = parse_live_url(raw)
        resolved = self.runtime.router.resolve(url.path) if url is not None else None
        if url is None or resolved is None:
            self._refuse(ref, "live_patch", f"live_patch: {raw!r} is not a live view URL", "patch")
            return False
        route, path_params = resolved
        if route.view is not self.route.view:
            if route.live_session == self.route.live_session:
                self._reply(ref, {"link_redirect": True})
            else:
                self._refuse(ref, "live_patch", "live_patch crosses live sessions", "patch")
            return False
        try:
            bound = self._bind_params(url, path_params)
        except PatchRefused as refused:
            self._refuse(ref, "live_patch", str(refused), "params")
            return False
        self.socket.clear_flash()  # the user moved on (a patch link, back or forward), as Phoenix does
        await invoke(*bound)
        return await self._settle(ref)

    async def _on_allow_upload(self, ref: Any, payload: dict) -> bool:
        """The preflight: a token (or external uploader metadata) per valid entry, and the new page."""
        try:
            response = await self.uploads.preflight(payload, self.socket)
        except ValueError as exc:
            self._refuse(ref, "allow_upload", str(exc), "upload")
            return False
        diff, later = await self._render_diffs(join=False)
        if diff:
            response["diff"] = diff
        self._reply(ref, response)
        for extra in later:
            self._push_event("diff", extra)
        return False

    async def _on_progress(self, ref: Any, payload: dict) -> bool:
        problem = await self.uploads.progress(payload, self.socket)
        if problem is not None:
            self._refuse(ref, "progress", problem, "upload")
            return False
        return await self._settle(ref)

    async def _on_infos(self, first: InfoEvent) -> bool:
        """``handle_info`` for this message and the ones queued right behind it, then one render."""
        view, socket, mailbox = self.view, self.socket, self.mailbox
        await view.handle_info(first, socket)
        budget = self.runtime.limits.info_batch - 1
        while budget > 0 and socket.navigation is None:
            queued = mailbox.peek()
            if queued is None or queued[0] != INFO:
                break
            mailbox.get_nowait()
            await view.handle_info(queued[1], socket)
            budget -= 1
        return await self._settle(None)

    # --- after a handler ------------------------------------------------------------------------

    async def _settle(self, ref: Any, reply: Optional[dict] = None, only_components: bool = False) -> bool:
        """Navigation, render, diff; answer ``ref`` (a client push) or push. True when the view ended.

        ``reply`` (a handler's returned dict) goes in the answer's diff as ``r``, which resolves the
        hook's ``pushEvent`` promise. ``only_components``: the handler changed components only (it
        was theirs, or a ``send_update``): the view does not re-render."""
        socket = self.socket
        try:
            last = await self._follow_patches() if socket.navigation is not None else None
        except PatchRefused as exc:
            reason = f"push_patch to a URL whose params do not convert: {exc}"
            if ref is not None:
                self._refuse(ref, "push_patch", reason, "params")
            else:
                self.runtime.warn_refusal(self.view_name, "push_patch", reason, "params")
            return False
        nav = socket.navigation
        if nav is not None:  # a redirect, or a patch into another view: this view ends
            socket.navigation = None
            key, body = self._navigation_message(nav, socket.flash.changed)  # what this handler put
            if ref is not None:
                self._reply(ref, {key: body})
            else:
                self._push_event(key, body)
            self._push([self.join_ref, self.join_ref, self.topic, "phx_close", {}])
            return True
        templates, view_class = self.runtime.templates, self.route.view
        if not templates.is_current(view_class):
            try:
                await templates.ready(view_class)  # development: picks up an edited template
            except TemplateSyntaxError as exc:
                if not (self.dev_client and self.runtime.development):
                    raise  # a crash: a client without the overlay would not know why nothing changes
                # The class keeps its last good template: render with it, under the overlay.
                self._show_dev_error(exc, "the last good version of the template is rendered until it is fixed")
        diff, later = await self._render_diffs(join=False, only_components=only_components and last is None)
        if ref is not None:
            response: dict[str, Any] = {} if last is None else {"live_patch": {"to": last.to, "kind": last.history}}
            if reply is not None:
                diff = {**diff, "r": reply}
            if diff:
                response["diff"] = diff
            self._reply(ref, response)
        else:
            if last is not None:
                self._push_event("live_patch", {"to": last.to, "kind": last.history})
            if diff:
                self._push_event("diff", diff)
        for extra in later:  # stream operations that needed consecutive diffs
            self._push_event("diff", extra)
        return False

    # --- development loop -----------------------------------------------------------------------

    async def _on_dev(self, what: str, payload: Any) -> bool:
        """A file changed (development, live reload on): re-render with the templates as they are
        now, or pass a stylesheet/script change to the page."""
        if what == ASSETS:
            if self.dev_client:
                self._push_event("diff", {"e": [[ASSETS_EVENT, payload]]})
            return False
        self._dev_recheck_queued = False
        shown, self._dev_error = self._dev_error, None  # a save that is still wrong shows its error again
        templates, view_class = self.runtime.templates, self.route.view
        try:
            if not templates.is_current(view_class):
                await templates.ready(view_class)
            diff, later = await self._render_diffs(join=False)
        except Exception as exc:
            # Nothing was sent: the page keeps the last good render, under the overlay.
            self._show_dev_error(exc, "the page shows the last good render until the template is fixed")
            return False
        if (self.runtime.channels.overlay_cleared(self.topic) or shown is not None) and self.dev_client:
            diff = {**diff, "e": [*diff.get("e", ()), clear_event()]}
        if diff:  # a view whose output did not change sends nothing
            self._push_event("diff", diff)
        for extra in later:
            self._push_event("diff", extra)
        return False

    def _show_dev_error(self, exc: BaseException, consequence: str) -> None:
        """Development: show ``exc`` in the page's overlay and log it (each distinct error once);
        the view stays alive."""
        key = short_error(exc)
        if key == self._dev_error:
            return
        self._dev_error = key
        if isinstance(exc, TemplateSyntaxError):  # str() has the line and the caret; the parser's frames are noise
            logger.error("%s on %s: %s\n%s\n(%s)", self.view_name, self.topic, key, exc, consequence)
        else:
            logger.error("%s on %s: %s (%s)", self.view_name, self.topic, key, consequence, exc_info=exc)
        if self.dev_client and self.runtime.development:
            self.runtime.channels.overlay_shown(self.topic)
            self._push_event("diff", {"e": [error_event(exc, f"{self.view_name}: {consequence}")]})

    async def _follow_patches(self) -> Optional[Navigation]:
        """Run ``handle_params`` for each pending ``push_patch`` within this view (it may patch again,
        up to a limit) and return the last one followed. Any other navigation is left pending."""
        last = None
        socket = self.socket
        for _ in range(_MAX_PATCH_CHAIN):
            nav = socket.navigation
            target = self._patch_target(nav) if nav is not None and nav.kind == "patch" else None
            if target is None:
                return last
            socket.navigation = None
            await invoke(*self._bind_params(*target))
            last = nav
        raise RuntimeError(f"push_patch loop: handle_params patched more than {_MAX_PATCH_CHAIN} times in a row")

    def _bind_params(self, url: ParseResult, path_params: dict[str, Any]) -> tuple[Any, list, dict]:
        """``handle_params`` bound to this URL; ``PatchRefused`` when its params do not convert
        (the URL's fault, unlike a ``ParamError`` the handler itself raises)."""
        try:
            return bind_handle_params(self.view, self.socket, url, path_params)
        except ParamError as exc:
            raise PatchRefused(str(exc)) from None

    def _patch_target(self, nav: Navigation) -> Optional[tuple[ParseResult, dict[str, Any]]]:
        """The URL and path params of a patch that stays in this view; None if it leads elsewhere."""
        url = urlparse(nav.to)
        resolved = self.runtime.router.resolve(url.path)
        if resolved is None or resolved[0].view is not self.route.view:
            return None
        return url, resolved[1]

    # --- rendering helpers ----------------------------------------------------------------------

    def _render(self) -> Any:
        return self.view.render(self.socket.context)

    def _navigation_message(self, nav: Navigation, flash: dict[str, str] | Flash) -> tuple[str, dict[str, Any]]:
        """The push event (or reply key) and payload that leave this view: a full or a live redirect,
        with ``flash`` signed for the next page (PROTOCOL.md §7.3)."""
        body: dict[str, Any] = {"to": nav.to} if nav.kind == "redirect" else {"to": nav.to, "kind": nav.history}
        token = FlashTokens(self.runtime.signer).sign(flash)
        if token is not None:
            body["flash"] = token
        return ("redirect" if nav.kind == "redirect" else "live_redirect"), body

    async def _render_diffs(self, join: bool, only_components: bool = False) -> tuple[dict, list[dict]]:
        """Render and diff (``join``: the full tree), with a changed title and pending client
        events on top; then the diffs of stream operations that need consecutive ones.

        The view renders, then the live components it placed (and any ``send_update``-d) are
        mounted, updated and rendered; ``only_components`` renders just the components that
        changed, for a diff of ``"c"`` alone."""
        socket, differ, registry = self.socket, self.differ, self.components
        title = socket.live_title
        if title is not None and title != self._sent_title:
            self._sent_title = title
        else:
            title = None
        events = socket.pending_events
        if events:
            socket.pending_events = []
        flash = socket.flash
        bound = bind_flash(flash)
        placing = bind_components(registry)
        rounds = StreamRounds()
        try:
            with rounds.capture():
                registry.begin_pass(view_renders=not only_components)
                tree = None if only_components else self._render()
                components = await registry.settle()
            later = []
            if tree is None:
                first = differ.diff_components(components, title, events or None)
            else:
                # A component no render of this pass placed (send_update, its own event) may sit
                # where the view's render does not reach (a stream row the client keeps): the
                # client patches it in place only from a diff of components alone, so it goes next.
                reached = registry.reached_from_view()
                unplaced = {cid: t for cid, t in components.items() if cid not in reached}
                placed = {cid: t for cid, t in components.items() if cid in reached} if unplaced else components
                first = (differ.join if join else differ.diff)(tree, title, events or None, placed)
                extra = differ.diff_components(unplaced) if unplaced else None
                if extra:
                    later.append(extra)
            while rounds.sent(self._contexts(tree is not None, components)):  # streams that need another diff
                with rounds.capture():
                    tree, components = registry.render_fresh(None if tree is None else self._render, tuple(components))
                extra = differ.diff_components(components) if tree is None else differ.diff(tree, components=components)
                if extra:
                    later.append(extra)
        finally:
            unbind_components(placing)
            unbind_flash(bound)
        if flash.changed:  # shown now: a later navigation carries only what is put after this
            if not flash.read:
                self.runtime.warn_unshown_flash(self.view_name)
            flash.changed = {}
        return first, later

    def _contexts(self, view: bool, components: dict[int, Any]) -> list[Any]:
        """The states a render pass showed: the view's (if it rendered) and its components'."""
        contexts = [self.socket.context] if view else []
        for cid in components:
            entry = self.components.entry(cid)
            if entry is not None:
                contexts.append(entry.socket.context)
        return contexts

    def fresh_tree(self) -> Any:
        """The view and its components rendered from their current state (the test client compares
        it with what the client holds); call it only while the view is idle."""
        placing = bind_components(self.components)
        try:
            tree, _ = self.components.render_fresh(self._render)
        finally:
            unbind_components(placing)
        return tree

    def _event_handler(self, name: str) -> Optional[tuple[Any, Any]]:
        """The bound handler of client event ``name`` and its call plan, or None.

        Cached per view: by name for ``@event`` methods (the class declares a fixed set), under
        None for the catch-all ``handle_event`` (so client-chosen names cannot grow the cache).
        """
        handlers = self._handlers
        found = handlers.get(name)
        if found is not None:
            return found
        view_class = type(self.view)
        method = view_class.event_method(name)
        if method is not None:
            handler = getattr(self.view, method)
            found = handlers[name] = (handler, plan_for(handler))
            return found
        if view_class.handles_events():
            found = handlers.get(None)
            if found is None:
                handler = self.view.handle_event
                found = handlers[None] = (handler, plan_for(handler))
            return found
        return None


def _component_handler(entry: Entry, name: str) -> Optional[tuple[Any, Any]]:
    """A live component's handler of event ``name`` and its call plan (cached on the entry)."""
    handlers = entry.handlers
    found = handlers.get(name)
    if found is not None:
        return found
    cls = entry.cls
    method = cls.event_method(name)  # type: ignore[attr-defined]
    if method is not None:
        handler = getattr(entry.component, method)
        found = handlers[name] = (handler, plan_for(handler))
        return found
    if cls.handles_events():  # type: ignore[attr-defined]
        found = handlers.get(None)
        if found is None:
            handler = entry.component.handle_event  # type: ignore[union-attr]
            found = handlers[None] = (handler, plan_for(handler))
        return found
    return None


def _cids(payload: Any) -> list[Any]:
    """The ``cids`` of a ``cids_will_destroy`` / ``cids_destroyed`` payload (junk gives none)."""
    cids = payload.get("cids") if isinstance(payload, dict) else None
    return cids if isinstance(cids, list) else []


def _event_values(payload: dict) -> dict[str, Any]:
    """The values an event handler is bound from: the click/key value map, or the decoded form."""
    value = payload.get("value")
    if payload.get("type") == "form":
        if not isinstance(value, str):
            raise TypeError("form value must be a URL-encoded string")
        meta = payload.get("meta")
        return merge_meta(decode_form(value), meta if isinstance(meta, dict) else None)
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    return {"value": value}

