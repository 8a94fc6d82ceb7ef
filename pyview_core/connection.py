"""The ``/live/websocket`` endpoint: Phoenix Channels V2 framing, heartbeats, joins and limits.

One ``LiveConnection`` per WebSocket. It checks the Origin and CSRF token before anything else,
decodes each frame (``[join_ref, ref, topic, event, payload]``), answers heartbeats, joins and
leaves ``lv:`` channels, and hands every other message to the channel it names. It is a plain
ASGI app (no per-message wrapper objects) because this loop runs for every click.

Malformed input never crashes it: a frame that cannot be decoded is logged and dropped, one that
can be attributed gets an error reply, and an oversized frame closes only this connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import ParseResult, parse_qs

import orjson

from .channel import LiveChannel, parse_live_url
from .security import InvalidToken, csrf_fingerprint, csrf_valid, origin_allowed

if TYPE_CHECKING:
    from .app import PyView
    from .routing import LiveRoute

logger = logging.getLogger("pyview_core")

MAX_CHANNELS = 100  # Phoenix's per-connection cap
SESSION_MAX_AGE = 14 * 24 * 3600  # Phoenix: two weeks

_OK_EMPTY = {"status": "ok", "response": {}}


class LiveConnection:
    """Serves one WebSocket for as long as it is open."""

    def __init__(self, app: "PyView", scope: dict, receive: Any, send: Any) -> None:
        self.app = app
        self.scope = scope
        self._receive = receive
        self._send = send
        self.channels: dict[str, LiveChannel] = {}
        self.csrf_ok = False
        self.cookie_session: dict[str, Any] = {}
        self._closed = False
        self._last_seen = 0.0

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
        loop = asyncio.get_running_loop()
        self._last_seen = loop.time()
        watchdog = loop.create_task(self._idle_watchdog())
        try:
            await self._serve()
        finally:
            watchdog.cancel()
            for channel in list(self.channels.values()):
                await channel.stop()

    def _refusal(self) -> Optional[str]:
        """Why this upgrade is refused (Origin, protocol version), or None; also checks CSRF."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.scope.get("headers", ())}
        if not origin_allowed(headers.get("origin"), headers.get("host"), self.app.allowed_origins):
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

    async def _serve(self) -> None:
        receive = self._receive
        limit = self.app.max_frame_bytes
        loop = asyncio.get_running_loop()
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                self._closed = True
                return
            self._last_seen = loop.time()
            text = message.get("text")
            if text is None:
                data = message.get("bytes") or b""
                if len(data) > limit:
                    await self.close(1009, f"binary frame of {len(data)} bytes exceeds {limit}")
                    return
                await self._on_binary(data)
                continue
            if len(text) > limit or (len(text) > limit // 4 and len(text.encode()) > limit):
                await self.close(1009, f"frame of {len(text.encode())} bytes exceeds {limit}")
                return
            await self._on_text(text)

    async def _idle_watchdog(self) -> None:
        """Close sockets silent for longer than the idle timeout (the client beats every 30 s)."""
        timeout = self.app.idle_timeout
        loop = asyncio.get_running_loop()
        while not self._closed:
            await asyncio.sleep(min(timeout, 15.0))
            if loop.time() - self._last_seen > timeout:
                await self.close(1001, "idle timeout")
                return

    async def close(self, code: int, reason: str) -> None:
        """Close the WebSocket. Never 1000 while views are live: the client would reload the page."""
        if self._closed:
            return
        self._closed = True
        logger.info("closing WebSocket (%s): %s", code, reason)
        try:
            await self._send({"type": "websocket.close", "code": code})
        except Exception:  # already gone
            pass

    async def send(self, frame: list) -> None:
        if self._closed:
            return
        text = orjson.dumps(frame).decode()  # outside the try: an encoding error is the caller's bug, not a closed socket
        try:
            await self._send({"type": "websocket.send", "text": text})
        except Exception:  # the peer went away mid-send: the receive loop will see the disconnect
            self._closed = True

    def forget(self, channel: LiveChannel) -> None:
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]

    # --- frames -------------------------------------------------------------------------------

    async def _on_text(self, text: str) -> None:
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
            await self._reply(join_ref, ref, topic, "error", {"reason": "payload must be a JSON object"})
            return
        if topic == "phoenix":
            if event == "heartbeat":
                await self.send([None, ref, "phoenix", "phx_reply", _OK_EMPTY])
            else:
                await self._reply(None, ref, topic, "error", {"reason": f"unknown event {event!r} on phoenix"})
            return
        if event == "phx_join":
            await self._join(join_ref, ref, topic, payload)
            return
        channel = self.channels.get(topic)
        if channel is None:
            if event == "phx_leave":
                await self._reply(join_ref, ref, topic, "ok", {})
            else:
                await self._reply(None, ref, topic, "error", {"reason": "unmatched topic"})
            return
        if join_ref is not None and join_ref != channel.join_ref:
            return  # a message for an earlier incarnation of this channel
        if event == "event":
            await channel.on_event(ref, payload)
        elif event == "live_patch":
            await channel.on_live_patch(ref, payload)
        elif event == "phx_leave":
            await channel.stop()
            await channel.reply(ref, {})
        elif event == "cids_will_destroy":
            await channel.reply(ref, {})
        elif event == "cids_destroyed":
            await channel.reply(ref, {"cids": []})  # no components yet: nothing of ours to delete
        else:
            await channel.reply(ref, {"reason": f"unknown event {event!r}"}, "error")

    async def _on_binary(self, data: bytes) -> None:
        """Binary frames carry upload chunks, which this server does not accept yet."""
        if len(data) < 5 or data[0] != 0:
            logger.warning("dropped a malformed binary frame")
            return
        sizes = data[1:5]
        fields, offset = [], 5
        for size in sizes:
            fields.append(data[offset:offset + size].decode("utf-8", "replace"))
            offset += size
        join_ref, ref, topic, _event = fields
        await self._reply(join_ref or None, ref or None, topic, "error", {"reason": "disallowed"})

    async def _reply(self, join_ref: Any, ref: Any, topic: str, status: str, response: dict) -> None:
        await self.send([join_ref, ref, topic, "phx_reply", {"status": status, "response": response}])

    # --- joining ------------------------------------------------------------------------------

    async def _join(self, join_ref: Any, ref: Any, topic: str, payload: dict) -> None:
        if not topic.startswith("lv:"):
            # Upload channels (lvu:) arrive with the uploads work; anything else is unknown.
            reason = "disallowed" if topic.startswith("lvu:") else "unmatched topic"
            await self._reply(join_ref, ref, topic, "error", {"reason": reason})
            return
        if join_ref is None:
            await self._reply(None, ref, topic, "error", {"reason": "phx_join needs a join ref"})
            return
        old = self.channels.pop(topic, None)
        if old is not None:  # a duplicate join replaces the old channel
            await self.send([old.join_ref, old.join_ref, topic, "phx_close", {}])
            await old.stop()
        if len(self.channels) >= MAX_CHANNELS:
            await self._reply(join_ref, ref, topic, "error", {"reason": "too many channels joined"})
            return
        try:
            route, path_params, url = self._authorize(topic, payload)
        except JoinRefused as refused:
            await self._reply(join_ref, ref, topic, "error", {"reason": refused.reason})
            return
        channel = LiveChannel(self, topic, join_ref, route)
        self.channels[topic] = channel
        session = {k: v for k, v in self.cookie_session.items() if k != "_csrf"}
        await channel.join(ref, url, path_params, session)

    def _authorize(self, topic: str, payload: dict) -> tuple["LiveRoute", dict[str, Any], ParseResult]:
        """The route, path params and URL this join may mount; ``JoinRefused`` otherwise (PROTOCOL §8)."""
        if not self.csrf_ok:
            raise JoinRefused("stale")
        app = self.app
        try:
            claims = app.signer.load("session", payload.get("session"), max_age=SESSION_MAX_AGE)
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
        resolved = app.live_router.resolve(url.path)
        if resolved is None:
            raise JoinRefused("unauthorized")
        route, path_params = resolved
        if route.live_session != claims.get("ls"):
            raise JoinRefused("unauthorized")
        if not navigating and app.view_identity(route.view) != claims.get("view"):
            raise JoinRefused("unauthorized")
        return route, path_params, url


class JoinRefused(Exception):
    """A join answered with an error reply: ``stale`` (reload the page) or ``unauthorized``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_ref(value: Any) -> bool:
    return value is None or type(value) is str
