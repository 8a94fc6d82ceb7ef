"""A small asyncio client speaking the LiveView protocol to a real server, many at a time.

Each ``LiveClient`` does what the official client does before any user interaction: GET the
page (the dead render; its session cookie is kept), open ``/live/websocket`` with the page's CSRF
token and the cookie, and join the view. Replies are matched to their refs; pushes go to
``on_push``. It is lean on purpose (one reader task, no merge of the rendered tree) so that a
thousand of them fit beside the server on a small machine.

``socket_base`` sends the WebSocket to another server than the page came from (two processes
behind one load balancer, without sticky sessions); by default both go to ``base``.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

_CONTAINER = re.compile(r'<div id="(?P<id>[^"]+)" data-phx-main data-phx-session="(?P<session>[^"]*)" data-phx-static="(?P<static>[^"]*)">')
_CSRF = re.compile(r'<meta name="csrf-token" content="(?P<csrf>[^"]*)">')


@dataclass
class LiveClient:
    """One browser tab's worth of protocol: a socket with one joined view."""

    base: str
    path: str
    on_push: Callable[[str, dict], None] = lambda event, payload: None
    socket_base: str | None = None
    dead_render: str = ""  # the page the GET returned
    ws: ClientConnection | None = None
    topic: str = ""
    join_ref: str = ""
    rendered: dict = field(default_factory=dict)
    closed_code: int | None = None
    _ref: int = 0
    _replies: dict[str, asyncio.Future] = field(default_factory=dict)
    _reader: asyncio.Task | None = None

    async def open(self, http: httpx.AsyncClient) -> "LiveClient":
        # A request built here carries no cookie from the shared client's jar: every tab gets its
        # own session, even when many open at once.
        response = await http.send(httpx.Request("GET", self.base + self.path))
        response.raise_for_status()
        page = self.dead_render = response.text
        container, csrf = _CONTAINER.search(page), _CSRF.search(page)
        assert container and csrf, page[:300]
        cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_list("set-cookie"))
        # The Origin is the socket server's own, as when a load balancer puts both servers
        # behind one public host.
        socket_base = self.socket_base or self.base
        url = socket_base.replace("http", "ws", 1) + "/live/websocket?_csrf_token=" + quote(html.unescape(csrf["csrf"])) + "&vsn=2.0.0"
        self.ws = await connect(url, additional_headers={"Cookie": cookie, "Origin": socket_base}, compression=None, max_size=None, ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        self.topic = "lv:" + html.unescape(container["id"])
        self.join_ref = self.next_ref()
        reply = await self.call(self.join_ref, "phx_join", {
            "url": self.base + self.path,
            "params": {"_csrf_token": html.unescape(csrf["csrf"]), "_mounts": 0, "_mount_attempts": 0},
            "session": html.unescape(container["session"]),
            "static": html.unescape(container["static"]),
            "sticky": False,
        }, ref=self.join_ref)
        assert reply["status"] == "ok", reply
        self.rendered = reply["response"]["rendered"]
        return self

    def next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def call(self, join_ref: str | None, event: str, payload: dict, *, ref: str | None = None, topic: str | None = None) -> dict:
        """Send a message and wait for its reply's payload (``{"status", "response"}``)."""
        assert self.ws is not None
        ref = ref or self.next_ref()
        reply = self._replies[ref] = asyncio.get_running_loop().create_future()
        await self.ws.send(orjson.dumps([join_ref, ref, topic or self.topic, event, payload]).decode())
        return await reply

    async def click(self, name: str, value: dict | None = None) -> dict:
        return await self.call(self.join_ref, "event", {"type": "click", "event": name, "value": value or {}})

    async def heartbeat(self) -> float:
        """Seconds until the server answered a heartbeat."""
        started = time.perf_counter()
        reply = await self.call(None, "heartbeat", {}, topic="phoenix")
        assert reply == {"status": "ok", "response": {}}, reply
        return time.perf_counter() - started

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                _join_ref, ref, _topic, event, payload = orjson.loads(message)
                if event == "phx_reply":
                    waiter = self._replies.pop(ref, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(payload)
                else:
                    self.on_push(event, payload)
        except Exception:
            pass
        finally:
            self.closed_code = self.ws.close_code
            for waiter in self._replies.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError(f"socket closed ({self.closed_code})"))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close(1001)
        if self._reader is not None:
            await self._reader


def dynamic(diff: dict, *path: str) -> Any:
    """A value inside a diff by its keys, or None when absent."""
    node: Any = diff
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
