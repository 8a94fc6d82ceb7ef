"""The ``/live/websocket`` endpoint: Phoenix Channels V2 framing, heartbeats, joins and limits.

One ``LiveConnection`` per WebSocket, three tasks (PROTOCOL.md §2, DESIGN.md §10):

* the **reader** receives frames, checks their size, decodes ``[join_ref, ref, topic, event,
  payload]``, answers heartbeats itself and drops every view message in that view's mailbox.
  It never awaits user code, so a slow handler cannot delay a heartbeat or another view;
* the **writer** (``Outbox``) sends frames in order from a queue bounded in bytes; a client that
  stops reading is closed once the queue is full;
* the **idle watchdog** closes a socket silent for longer than ``idle_timeout``.

Each joined view runs in its own actor task (``LiveChannel``), owned by this connection: when the
socket ends, for whatever reason, every view is stopped and awaited before the endpoint returns.

Malformed input never crashes it: a frame that cannot be decoded is logged and dropped, one that
can be attributed gets an error reply, and an oversized frame closes only this connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional
from urllib.parse import ParseResult, parse_qs

import orjson

from .channel import (
    ALLOW_UPLOAD, CIDS_DESTROYED, CIDS_WILL_DESTROY, EVENT, PATCH, PROGRESS, UPLOAD_CHUNK, UPLOAD_JOIN, UPLOAD_LEAVE,
    LiveChannel,
)
from .dev_errors import DEV_CLIENT_PARAM
from .flash import FlashTokens
from .outbox import Outbox
from .probe import probe_of
from .routing import LiveRoute, parse_live_url
from .runtime import Runtime, view_identity
from .live_socket import Visitor
from .security import InvalidToken, csrf_fingerprint, csrf_valid, mask_csrf, origin_allowed
from .upload_host import TOKEN_MAX_AGE as UPLOAD_TOKEN_MAX_AGE
from .upload_host import TOKEN_PURPOSE as UPLOAD_TOKEN_PURPOSE

logger = logging.getLogger("pyview_core")

SESSION_MAX_AGE = 14 * 24 * 3600  # Phoenix: two weeks
CLOSE_TIMEOUT = 2.0  # how long a close frame may wait for a client that does not read

_CHANNEL_EVENTS = {
    "event": EVENT, "live_patch": PATCH, "cids_will_destroy": CIDS_WILL_DESTROY, "cids_destroyed": CIDS_DESTROYED,
    "allow_upload": ALLOW_UPLOAD, "progress": PROGRESS,
}


class LiveConnection:
    """Serves one WebSocket for as long as it is open."""

    def __init__(self, runtime: Runtime, scope: dict, receive: Any, send: Any) -> None:
        self.runtime = runtime
        self.scope = scope
        self._receive = receive
        self._send = send
        self.channels: dict[str, LiveChannel] = {}
        self.upload_routes: dict[str, LiveChannel] = {}  # lvu:<entry> topic -> the view it uploads to
        self._actors: set[asyncio.Task[None]] = set()
        self.csrf_ok = False
        self.cookie_session: dict[str, Any] = {}
        self.outbox: Optional[Outbox] = None
        self._reader: Optional[asyncio.Task[None]] = None
        self._close_code: Optional[int] = None
        self._last_seen = 0.0
        self._probe = probe_of(scope)

    # --- the ASGI conversation ----------------------------------------------------------------

    async def run(self) -> None:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            return
        refusal = self._refusal()
        if refusal is not None:
            logger.warning("WebSocket refused: %s", refusal)
            await self._send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        await self._send({"type": "websocket.accept"})
        self.runtime.sockets.opened()
        loop = asyncio.get_running_loop()
        self._last_seen = loop.time()
        self.outbox = Outbox(self._send, self.runtime.limits.outbox_bytes, self._on_overflow)
        writer = loop.create_task(self.outbox.run(), name="pyview writer")
        self._reader = reader = loop.create_task(self._read(), name="pyview reader")
        watchdog = loop.create_task(self._idle_watchdog(), name="pyview idle watchdog")
        try:
            await asyncio.wait((reader, writer, watchdog), return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Shielded: if this task itself is cancelled (a forced server shutdown), the views are
            # still stopped and their disconnect() still runs, on their own.
            await asyncio.shield(loop.create_task(self._finish(reader, writer, watchdog), name="pyview connection teardown"))

    async def _finish(self, reader: asyncio.Task[None], writer: asyncio.Task[None], watchdog: asyncio.Task[None]) -> None:
        """Stop reading, stop every view and wait for their teardown, stop writing, then close."""
        reader.cancel()
        watchdog.cancel()
        await self._stop_views()
        assert self.outbox is not None
        self.outbox.close()
        writer.cancel()
        for task in (reader, writer, watchdog):
            try:
                await task
            except asyncio.CancelledError:
                pass
            except OSError:  # the peer went away mid-send (uvicorn's ClientDisconnected is one)
                pass
            except Exception:  # a bug: never silent
                logger.exception("WebSocket %s task failed", task.get_name())
        if self._close_code is not None:
            await self._send_close(self._close_code)
        self.runtime.sockets.closed()
        logger.debug("WebSocket finished: every view stopped and torn down")

    def _refusal(self) -> Optional[str]:
        """Why this upgrade is refused (Origin, protocol version), or None; also checks CSRF."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.scope.get("headers", ())}
        if not origin_allowed(headers.get("origin"), headers.get("host"), self.runtime.allowed_origins):
            return f"origin {headers.get('origin')!r} is not allowed for host {headers.get('host')!r}"
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        vsn = (query.get("vsn") or [""])[-1]
        if not vsn.startswith("2."):
            return f"unsupported channels protocol vsn={vsn!r} (this server speaks 2.x)"
        session = self.scope.get("session")
        if isinstance(session, dict):
            self.cookie_session = session
        token = (query.get("_csrf_token") or [None])[-1]
        # Like Phoenix, a bad CSRF token does not refuse the socket: joins answer "stale" instead,
        # so the client reloads the page and gets a fresh token.
        self.csrf_ok = csrf_valid(token, self.cookie_session.get("_csrf"))
        return None

    async def _read(self) -> None:
        """The reader task: until the client disconnects or the server decides to close."""
        receive = self._receive
        limit = self.runtime.limits.max_frame_bytes
        loop = asyncio.get_running_loop()
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            self._last_seen = loop.time()
            text = message.get("text")
            if text is None:
                data = message.get("bytes") or b""
                if len(data) > limit:
                    self.close(1009, f"binary frame of {len(data)} bytes exceeds {limit}")
                    return
                self._on_binary(data)
                continue
            if len(text) > limit or (len(text) > limit // 4 and len(text.encode()) > limit):
                self.close(1009, f"frame of {len(text.encode())} bytes exceeds {limit}")
                return
            self._on_text(text)

    async def _idle_watchdog(self) -> None:
        """Close sockets silent for longer than the idle timeout (the client beats every 30 s)."""
        timeout = self.runtime.limits.idle_timeout
        loop = asyncio.get_running_loop()
        while True:
            remaining = self._last_seen + timeout - loop.time()
            if remaining <= 0:
                self.close(1001, f"idle for more than {timeout:g} s")
                return
            await asyncio.sleep(remaining)

    def close(self, code: int, reason: str) -> None:
        """Close the WebSocket with ``code``. Never 1000 while views are live: the client would
        reload the page; 1001 and the others make it reconnect and rejoin."""
        if self._close_code is not None:
            return
        self._close_code = code
        logger.info("closing WebSocket (%s): %s", code, reason)
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()

    def _on_overflow(self, queued: int) -> None:
        logger.warning(
            "closing a WebSocket whose client is not reading: %d bytes waiting to be sent (limit %d, "
            "Limits.outbox_bytes)", queued, self.runtime.limits.outbox_bytes,
        )
        self.close(1013, "client too slow")

    async def _send_close(self, code: int) -> None:
        try:
            await asyncio.wait_for(self._send({"type": "websocket.close", "code": code}), CLOSE_TIMEOUT)
        except Exception:  # already gone, or not reading: returning lets the server drop it
            pass

    async def _stop_views(self) -> None:
        """Stop every view and wait for their teardown (``disconnect`` included)."""
        for channel in list(self.channels.values()):
            channel.stop()
        actors = list(self._actors)
        if not actors:
            return
        timeout = self.runtime.limits.stop_timeout * 2
        _done, pending = await asyncio.wait(actors, timeout=timeout)
        for task in pending:
            logger.warning("view task %s did not finish its teardown within %.0f s; cancelling it", task.get_name(), timeout)
            task.cancel()

    def forget(self, channel: LiveChannel) -> None:
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]
        for topic in [t for t, owner in self.upload_routes.items() if owner is channel]:
            del self.upload_routes[topic]

    def release_upload(self, topic: str) -> None:
        """The view ended an ``lvu:`` channel: its frames are no longer routed."""
        self.upload_routes.pop(topic, None)

    # --- frames -------------------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            logger.warning("dropped a frame that is not JSON: %.80r", text)
            return
        if type(frame) is not list or len(frame) != 5:
            logger.warning("dropped a frame that is not [join_ref, ref, topic, event, payload]: %.80r", text)
            return
        join_ref, ref, topic, event, payload = frame
        if not (_is_ref(join_ref) and _is_ref(ref) and type(topic) is str and type(event) is str):
            logger.warning("dropped a frame with malformed refs, topic or event: %.80r", text)
            return
        if type(payload) is not dict:
            self._reply(join_ref, ref, topic, "error", {"reason": "payload must be a JSON object"})
            return
        if topic == "phoenix":
            if event == "heartbeat":
                self._reply(None, ref, "phoenix", "ok", {})
            else:
                self._reply(None, ref, topic, "error", {"reason": f"unknown event {event!r} on phoenix"})
            return
        if event == "phx_join":
            self._join(join_ref, ref, topic, payload)
            return
        channel = self.channels.get(topic)
        if channel is None:
            uploading = self.upload_routes.get(topic)  # an lvu: topic (looked up only off the view path)
            if uploading is not None:
                if event == "phx_leave":
                    uploading.deliver((UPLOAD_LEAVE, ref, (topic, join_ref)))
                else:
                    self._reply(join_ref, ref, topic, "error", {"reason": f"unknown event {event!r} on an upload channel"})
                return
            if event == "phx_leave":
                self._reply(join_ref, ref, topic, "ok", {})
            else:
                self._reply(None, ref, topic, "error", {"reason": "unmatched topic"})
            return
        if join_ref is not None and join_ref != channel.join_ref:
            return  # a message for an earlier incarnation of this channel
        kind = _CHANNEL_EVENTS.get(event)
        if kind is not None:
            channel.deliver((kind, ref, payload))
        elif event == "phx_leave":
            channel.stop()
            self._reply(channel.join_ref, ref, topic, "ok", {})
        else:
            self._reply(channel.join_ref, ref, topic, "error", {"reason": f"unknown event {event!r}"})

    def _on_binary(self, data: bytes) -> None:
        """Binary frames carry upload chunks (PROTOCOL.md §2.3), routed to the view they are for."""
        if len(data) < 5 or data[0] != 0:
            logger.warning("dropped a malformed binary frame")
            return
        sizes = data[1:5]
        fields, offset = [], 5
        for size in sizes:
            fields.append(data[offset:offset + size].decode("utf-8", "replace"))
            offset += size
        if offset > len(data):
            logger.warning("dropped a binary frame shorter than its header says")
            return
        join_ref, ref, topic, event = (field or None for field in fields)
        channel = self.upload_routes.get(topic or "")
        if channel is None or event != "chunk":
            reason = "unmatched topic" if channel is None else f"unknown event {event!r} on an upload channel"
            self._reply(join_ref, ref, topic or "", "error", {"reason": reason})
            return
        refused = channel.uploads.offer_chunk(topic)
        if refused is not None:
            self._reply(join_ref, ref, topic, "error", {"reason": refused})
            return
        channel.deliver((UPLOAD_CHUNK, ref, (topic, join_ref, data[offset:])))

    def _reply(self, join_ref: Any, ref: Any, topic: str, status: str, response: dict) -> None:
        assert self.outbox is not None  # frames are read only after the socket was accepted
        self.outbox.push([join_ref, ref, topic, "phx_reply", {"status": status, "response": response}])

    # --- joining ------------------------------------------------------------------------------

    def _join(self, join_ref: Any, ref: Any, topic: str, payload: dict) -> None:
        if topic.startswith("lvu:"):
            self._join_upload(join_ref, ref, topic, payload)
            return
        if not topic.startswith("lv:"):
            self._reply(join_ref, ref, topic, "error", {"reason": "unmatched topic"})
            return
        if join_ref is None:
            self._reply(None, ref, topic, "error", {"reason": "phx_join needs a join ref"})
            return
        old = self.channels.get(topic)
        if old is not None:  # a duplicate join replaces the old channel
            self.outbox.push([old.join_ref, old.join_ref, topic, "phx_close", {}])
            old.stop()
        if len(self.channels) >= self.runtime.limits.max_channels:
            self._reply(join_ref, ref, topic, "error", {"reason": "too many channels joined"})
            return
        try:
            route, path_params, url, claims = self._authorize(topic, payload)
        except JoinRefused as refused:
            self._reply(join_ref, ref, topic, "error", {"reason": refused.reason})
            return
        assert self.outbox is not None  # joins arrive after the socket was accepted
        channel = LiveChannel(self.runtime, self.outbox.push, self.forget, topic, join_ref, route, self.release_upload)
        params = payload.get("params")
        if self.runtime.development and isinstance(params, dict) and params.get(DEV_CLIENT_PARAM):
            channel.dev_client = True  # app.js on a development page: it shows the overlay, applies live reloads
        self.channels[topic] = channel
        if self._probe is not None:
            self._probe.joined(channel)
        session = {k: v for k, v in self.cookie_session.items() if k != "_csrf"}
        visitor = Visitor(
            self._join_flash(payload, claims), self.scope.get("user"), self.scope.get("auth"),
            mask_csrf(self.cookie_session["_csrf"]),  # present: the join was authorized against it
        )
        actor = channel.start(ref, url, path_params, session, visitor)
        self._actors.add(actor)
        actor.add_done_callback(self._actors.discard)

    def _join_upload(self, join_ref: Any, ref: Any, topic: str, payload: dict) -> None:
        """``lvu:<entry>``: route it to the view its token was signed for, which checks the rest."""
        if join_ref is None:
            self._reply(None, ref, topic, "error", {"reason": "phx_join needs a join ref"})
            return
        if topic in self.upload_routes:
            self._reply(join_ref, ref, topic, "error", {"reason": "already_registered"})
            return
        try:
            claims = self.runtime.signer.load(UPLOAD_TOKEN_PURPOSE, payload.get("token"), max_age=UPLOAD_TOKEN_MAX_AGE)
        except InvalidToken:
            claims = {}
        channel = self.channels.get(claims.get("t", ""))
        if channel is None or channel.join_ref != claims.get("j") or len(self.upload_routes) >= self.runtime.limits.max_channels:
            self._reply(join_ref, ref, topic, "error", {"reason": "invalid_token"})
            return
        self.upload_routes[topic] = channel
        channel.deliver((UPLOAD_JOIN, ref, (topic, join_ref, payload.get("token"))))

    def _join_flash(self, payload: dict, claims: dict) -> Optional[dict[str, str]]:
        """The flash a join starts with: the one a live redirect carried (its signed ``flash``), else,
        on the first mount of a page, the one its dead render showed (PROTOCOL.md §7.3)."""
        if payload.get("flash"):
            return FlashTokens(self.runtime.signer).load(payload["flash"])
        params = payload.get("params")
        first_mount = not isinstance(params, dict) or params.get("_mounts", 0) == 0
        shown = claims.get("fl")
        if first_mount and "redirect" not in payload and isinstance(shown, dict):
            return {k: v for k, v in shown.items() if isinstance(k, str) and isinstance(v, str)}
        return None

    def _authorize(self, topic: str, payload: dict) -> tuple[LiveRoute, dict[str, Any], ParseResult, dict]:
        """The route, path params, URL and session claims this join may mount; ``JoinRefused``
        otherwise (PROTOCOL §8)."""
        if not self.csrf_ok:
            raise JoinRefused("stale")
        runtime = self.runtime
        try:
            claims = runtime.signer.load("session", payload.get("session"), max_age=SESSION_MAX_AGE)
        except InvalidToken as exc:
            logger.info("join %s refused: session token %s", topic, exc)
            raise JoinRefused("stale") from None
        if claims.get("id") != topic[3:] or claims.get("csrf") != csrf_fingerprint(self.cookie_session.get("_csrf")):
            raise JoinRefused("stale")
        navigating = "redirect" in payload
        raw_url = payload.get("redirect") if navigating else payload.get("url")
        url = parse_live_url(raw_url)
        if url is None:
            raise JoinRefused("unauthorized")
        resolved = runtime.router.resolve(url.path)
        if resolved is None:
            raise JoinRefused("unauthorized")
        route, path_params = resolved
        if route.live_session != claims.get("ls"):
            raise JoinRefused("unauthorized")
        if not navigating and view_identity(route.view) != claims.get("view"):
            raise JoinRefused("unauthorized")
        return route, path_params, url, claims


class JoinRefused(Exception):
    """A join answered with an error reply: ``stale`` (reload the page) or ``unauthorized``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_ref(value: Any) -> bool:
    return value is None or type(value) is str
