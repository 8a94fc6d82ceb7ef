"""One joined LiveView on one WebSocket: the loop of PROTOCOL.md §3–§7 for a single ``lv:`` topic.

The channel owns the view instance, its connected socket and its ``Differ``. Every message that
changes the view (a client event, a live patch, a pub/sub or timer message) runs under one lock,
so handlers never interleave, and ends the same way: carry out any navigation the handler asked
for, render, diff, and answer with one reply or push. A user's exception crashes only this
channel (``phx_error``; the client rejoins); the connection and every other view go on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import ParseResult, parse_qs, urlparse

from .binding import ParamError, plan_for
from .diff import Differ
from .events import InfoEvent
from .forms import FormError, decode_form, merge_meta
from .live_socket import ConnectedLiveViewSocket, Navigation
from .live_view import LiveView, UnknownEvent

if TYPE_CHECKING:
    from .connection import LiveConnection
    from .routing import LiveRoute

logger = logging.getLogger("pyview_core")

LIVEVIEW_VERSION = "1.2.12"
_MAX_PATCH_CHAIN = 8  # handle_params may push_patch again; stop runaway loops


class ViewStopped(Exception):
    """Raised inside the channel when navigation ended the view: nothing more is sent for it."""


def url_params(url: ParseResult, path_params: dict[str, Any]) -> dict[str, Any]:
    """The params ``handle_params`` sees: the query string (parse_qs lists) merged with path params."""
    params: dict[str, Any] = parse_qs(url.query, keep_blank_values=True)
    params.update(path_params)
    return params


async def call_handle_params(view: LiveView, socket: Any, url: ParseResult, path_params: dict[str, Any]) -> None:
    """Run ``handle_params`` with typed injection (shared by the dead render and the channel)."""
    params = url_params(url, path_params)
    handler = view.handle_params
    await plan_for(handler).call(handler, {"socket": socket, "url": url, "params": params}, params)


class LiveChannel:
    """The server side of one ``lv:<id>`` channel."""

    def __init__(self, connection: "LiveConnection", topic: str, join_ref: str, route: "LiveRoute") -> None:
        self.connection = connection
        self.topic = topic
        self.join_ref = join_ref
        self.route = route
        self.pubsub = connection.app.pubsub
        self.view: LiveView = route.view()
        self.socket: ConnectedLiveViewSocket = ConnectedLiveViewSocket(self)
        self.differ = Differ()
        self.url: ParseResult = urlparse("/")
        self.closed = False
        self._lock = asyncio.Lock()
        self._sent_title: Optional[str] = None
        self._info_tasks: set[asyncio.Task] = set()

    # --- sending ------------------------------------------------------------------------------

    async def reply(self, ref: Any, response: dict, status: str = "ok") -> None:
        await self.connection.send([self.join_ref, ref, self.topic, "phx_reply", {"status": status, "response": response}])

    async def push(self, event: str, payload: dict) -> None:
        await self.connection.send([self.join_ref, None, self.topic, event, payload])

    # --- lifecycle ----------------------------------------------------------------------------

    async def join(self, ref: Any, url: ParseResult, path_params: dict[str, Any], session: dict[str, Any]) -> None:
        """Mount, handle params and answer the join with the full rendered tree (or a navigation)."""
        async with self._lock:
            self.url = url
            try:
                await self.view.mount(self.socket, session)
                patched = await self._follow_patches()  # a patch from mount replaces the join URL's params
                if patched is None and self.socket.navigation is None:
                    await call_handle_params(self.view, self.socket, self.url, path_params)
                    patched = await self._follow_patches()
                if self.socket.navigation is not None:  # mount or handle_params navigated away
                    await self._answer_join_navigation(ref, self.socket.navigation)
                    return
                response: dict[str, Any] = {
                    "rendered": self.differ.join(self._render(), self._title_change(), self._take_events()),
                    "liveview_version": LIVEVIEW_VERSION,
                }
                if patched is not None:
                    response["live_patch"] = {"to": patched.to, "kind": patched.history}
            except ParamError as exc:
                await self.reply(ref, {"reason": str(exc)}, "error")
                await self.stop()
                return
            except Exception:
                logger.exception("%s failed to join %s", type(self.view).__name__, self.topic)
                await self.reply(ref, {"reason": "join crashed"}, "error")
                await self.stop()
                return
            await self.reply(ref, response)

    async def _answer_join_navigation(self, ref: Any, nav: Navigation) -> None:
        key, body = _navigation_message(nav)
        await self.reply(ref, {key: body}, "error")
        await self.stop()

    async def stop(self) -> None:
        """Release timers and subscriptions, then call the view's ``disconnect``. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.connection.forget(self)
        current = asyncio.current_task()
        for task in list(self._info_tasks):
            if task is not current:  # stop() may run inside one of them; disconnect() must still complete
                task.cancel()
        await self.socket.release()
        try:
            await self.view.disconnect(self.socket)
        except Exception:
            logger.exception("%s.disconnect failed", type(self.view).__name__)

    async def crash(self) -> None:
        """A handler raised: log it, tell the client (it rejoins with a fresh mount), stop."""
        logger.exception("%s crashed on %s", type(self.view).__name__, self.topic)
        await self.connection.send([self.join_ref, self.join_ref, self.topic, "phx_error", {"reason": "channel_crash"}])
        await self.stop()

    # --- client messages ----------------------------------------------------------------------

    async def on_event(self, ref: Any, payload: dict) -> None:
        async with self._lock:
            if self.closed:
                return
            name = payload.get("event")
            if not isinstance(name, str) or not name:
                await self.reply(ref, {"reason": "event: missing event name"}, "error")
                return
            try:
                values = _event_values(payload)
            except (FormError, TypeError) as exc:
                await self.reply(ref, {"reason": f"event {name!r}: {exc}"}, "error")
                return
            if name.startswith("lv:"):
                # lv:clear-flash is the one reserved name; flash is not rendered yet, so nothing to clear.
                status = "ok" if name == "lv:clear-flash" else "error"
                await self.reply(ref, {} if status == "ok" else {"reason": f"reserved event name {name!r}"}, status)
                return
            handler = self._event_handler(name)
            if handler is None:
                await self.reply(ref, {"reason": f"{type(self.view).__name__} has no handler for event {name!r}"}, "error")
                return
            reserved = {"socket": self.socket, "event": name, "payload": values}
            try:
                await plan_for(handler).call(handler, reserved, values)
            except (ParamError, UnknownEvent) as exc:
                logger.info("event %r refused: %s", name, exc)
                await self.reply(ref, {"reason": f"event {name!r}: {exc}"}, "error")
                return
            except Exception:
                await self.crash()
                return
            await self._settle(ref)

    async def on_live_patch(self, ref: Any, payload: dict) -> None:
        async with self._lock:
            if self.closed:
                return
            raw = payload.get("url")
            url = parse_live_url(raw)
            resolved = self.connection.app.live_router.resolve(url.path) if url is not None else None
            if url is None or resolved is None:
                await self.reply(ref, {"reason": f"live_patch: {raw!r} is not a live view URL"}, "error")
                return
            route, path_params = resolved
            if route.view is not self.route.view:
                if route.live_session == self.route.live_session:
                    await self.reply(ref, {"link_redirect": True})
                else:
                    await self.reply(ref, {"reason": "live_patch crosses live sessions"}, "error")
                return
            self.url = url
            try:
                await call_handle_params(self.view, self.socket, url, path_params)
            except ParamError as exc:
                await self.reply(ref, {"reason": str(exc)}, "error")
                return
            except Exception:
                await self.crash()
                return
            await self._settle(ref)

    def on_pubsub(self, topic: str, message: Any) -> None:
        """Pub/sub callback: queue the message for ``handle_info`` without blocking the publisher."""
        self.post_info(InfoEvent(topic, message))

    def post_info(self, event: InfoEvent) -> None:
        """Queue ``event`` for ``handle_info`` without waiting for it. Each delivery waits for the
        view's lock, which wakes waiters first come first served, so events arrive in posting order."""
        if self.closed:
            return
        task = asyncio.get_running_loop().create_task(self.deliver_info(event))
        self._info_tasks.add(task)
        task.add_done_callback(self._info_tasks.discard)

    async def deliver_info(self, event: InfoEvent) -> None:
        """Run ``handle_info`` and push whatever it changed."""
        async with self._lock:
            if self.closed:
                return
            try:
                await self.view.handle_info(event, self.socket)
            except Exception:
                await self.crash()
                return
            await self._settle(None)

    # --- after a handler ----------------------------------------------------------------------

    async def _settle(self, ref: Any) -> None:
        """Carry out navigation, render, diff; answer ``ref`` (a client push) or push to the client."""
        try:
            response = await self._navigate_and_diff()
        except ViewStopped as stopped:
            key, body = _navigation_message(stopped.args[0])
            if ref is not None:
                await self.reply(ref, {key: body})
            else:
                await self.push(key, body)
            await self.connection.send([self.join_ref, self.join_ref, self.topic, "phx_close", {}])
            await self.stop()
            return
        except ParamError as exc:
            if ref is not None:
                await self.reply(ref, {"reason": str(exc)}, "error")
            else:
                logger.warning("push_patch from handle_info: %s", exc)
            return
        except Exception:
            await self.crash()
            return
        if ref is not None:
            await self.reply(ref, response)
            return
        patch = response.get("live_patch")
        if patch is not None:
            await self.push("live_patch", patch)
        diff = response.get("diff")
        if diff is not None:
            await self.push("diff", diff)

    async def _navigate_and_diff(self) -> dict[str, Any]:
        last = await self._follow_patches()
        nav = self.socket.navigation
        if nav is not None:  # a redirect, or a patch into another view: this view ends
            self.socket.navigation = None
            raise ViewStopped(nav)
        response: dict[str, Any] = {} if last is None else {"live_patch": {"to": last.to, "kind": last.history}}
        diff = self.differ.diff(self._render(), self._title_change(), self._take_events())
        if diff:
            response["diff"] = diff
        return response

    async def _follow_patches(self) -> Optional[Navigation]:
        """Run ``handle_params`` for each pending ``push_patch`` within this view (it may patch again,
        up to a limit) and return the last one followed. Any other navigation is left pending."""
        last = None
        for _ in range(_MAX_PATCH_CHAIN):
            nav = self.socket.navigation
            target = self._patch_target(nav) if nav is not None and nav.kind == "patch" else None
            if target is None:
                return last
            self.socket.navigation = None
            self.url, path_params = target
            await call_handle_params(self.view, self.socket, self.url, path_params)
            last = nav
        raise RuntimeError(f"push_patch loop: handle_params patched more than {_MAX_PATCH_CHAIN} times in a row")

    def _patch_target(self, nav: Navigation) -> Optional[tuple[ParseResult, dict[str, Any]]]:
        """The URL and path params of a patch that stays in this view; None if it leads elsewhere."""
        url = urlparse(nav.to)
        resolved = self.connection.app.live_router.resolve(url.path)
        if resolved is None or resolved[0].view is not self.route.view:
            return None
        return url, resolved[1]

    # --- rendering helpers --------------------------------------------------------------------

    def _render(self) -> Any:
        return self.view.render(self.socket.context)

    def _title_change(self) -> Optional[str]:
        title = self.socket.live_title
        if title is None or title == self._sent_title:
            return None
        self._sent_title = title
        return title

    def _take_events(self) -> Optional[list]:
        events = self.socket.pending_events
        if not events:
            return None
        self.socket.pending_events = []
        return events

    def _event_handler(self, name: str) -> Any:
        view_class = type(self.view)
        method = view_class.event_method(name)
        if method is not None:
            return getattr(self.view, method)
        if view_class.handles_events():
            return self.view.handle_event
        return None


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


def parse_live_url(raw: Any) -> Optional[ParseResult]:
    """A client-sent URL (join, live patch) if it is http(s) or scheme-less with a path; else None."""
    if not isinstance(raw, str):
        return None
    try:
        url = urlparse(raw)
    except ValueError:
        return None
    if url.scheme not in ("http", "https", "") or not url.path.startswith("/"):
        return None
    return url


def _navigation_message(nav: Navigation) -> tuple[str, dict[str, Any]]:
    """The push event (or reply key) and payload that leave this view: a full or a live redirect."""
    if nav.kind == "redirect":
        return "redirect", {"to": nav.to}
    return "live_redirect", {"to": nav.to, "kind": nav.history}
