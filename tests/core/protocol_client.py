"""A Phoenix Channels V2 client for the protocol tests, over Starlette's TestClient.

It GETs a page (the dead render), reads the container id, the session/static tokens and the CSRF
meta from the HTML, opens the WebSocket with ``?_csrf_token=…&vsn=2.0.0`` and exchanges frames
``[join_ref, ref, topic, event, payload]``; a ``View`` merges what it receives with our Python
port of the official client's merge.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import protocol_views as views
from starlette.testclient import TestClient

from pyview_core.testing import ClientRendered

HOST = "http://testserver"
ORIGIN = {"origin": HOST}
RECV_TIMEOUT = 5.0  # a safety net: a missing frame fails the test instead of hanging it
OK_EMPTY = {"status": "ok", "response": {}}


# ================================================================================ helpers


@dataclass
class Page:
    """What the client reads from a dead render."""

    path: str
    id: str
    session: str
    static: str
    csrf: str
    html: str

    @property
    def topic(self) -> str:
        return "lv:" + self.id

    @property
    def url(self) -> str:
        return HOST + self.path


_CONTAINER = re.compile(
    r'<div id="(?P<id>[^"]+)" data-phx-main data-phx-session="(?P<session>[^"]*)" data-phx-static="(?P<static>[^"]*)">'
)
_CSRF = re.compile(r'<meta name="csrf-token" content="(?P<csrf>[^"]*)">')


def get_page(client: TestClient, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:200])
    container = _CONTAINER.search(response.text)
    csrf = _CSRF.search(response.text)
    assert container and csrf, response.text[:500]
    return Page(
        path=path,
        id=html.unescape(container["id"]),
        session=html.unescape(container["session"]),
        static=html.unescape(container["static"]),
        csrf=html.unescape(csrf["csrf"]),
        html=response.text,
    )


class Closed(Exception):
    """The server closed the WebSocket."""

    def __init__(self, code: int) -> None:
        super().__init__(f"WebSocket closed with code {code}")
        self.code = code


async def _receive_within(stream: Any, timeout: float) -> Any:
    with anyio.fail_after(timeout):
        return await stream.receive()


class Socket:
    """One client WebSocket: numbered refs, raw frames, and the messages pushed in between."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._ref = 0
        self.inbox: list[list] = []  # frames received while waiting for something else

    def next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    # --- raw I/O ------------------------------------------------------------------------------

    def send(self, frame: Any) -> None:
        self.ws.send_text(frame if isinstance(frame, str) else json.dumps(frame))

    def send_bytes(self, data: bytes) -> None:
        self.ws.send_bytes(data)

    def recv(self, timeout: float = RECV_TIMEOUT) -> list:
        """The next frame from the server (``Closed`` when it closed the socket)."""
        message = self.ws.portal.call(_receive_within, self.ws._send_rx, timeout)
        if message["type"] == "websocket.close":
            raise Closed(message.get("code", 1000))
        assert message["type"] == "websocket.send", message
        assert message.get("text") is not None, f"the server sent a binary frame: {message!r}"
        frame = json.loads(message["text"])
        assert isinstance(frame, list) and len(frame) == 5, frame
        return frame

    def receive_until(self, ref: str) -> list:
        """The reply to ``ref``; frames that arrive before it are kept in ``inbox``."""
        while True:
            frame = self.recv()
            if frame[1] == ref and frame[3] == "phx_reply":
                return frame
            self.inbox.append(frame)

    def next_frame(self) -> list:
        """The oldest frame not consumed yet (from ``inbox`` first)."""
        if self.inbox:
            return self.inbox.pop(0)
        return self.recv()

    def next_push(self, topic: str, event: str | None = None) -> list:
        """The next push on ``topic`` (of ``event`` if given); other frames are kept."""
        for i, frame in enumerate(self.inbox):
            if frame[2] == topic and frame[1] is None and (event is None or frame[3] == event):
                return self.inbox.pop(i)
        while True:
            frame = self.recv()
            if frame[2] == topic and frame[1] is None and (event is None or frame[3] == event):
                return frame
            self.inbox.append(frame)

    def next_event(self, topic: str, event: str) -> list:
        """The next frame on ``topic`` named ``event``, push or not (``phx_error`` carries the join ref)."""
        for i, frame in enumerate(self.inbox):
            if frame[2] == topic and frame[3] == event:
                return self.inbox.pop(i)
        while True:
            frame = self.recv()
            if frame[2] == topic and frame[3] == event:
                return frame
            self.inbox.append(frame)

    # --- channel messages ---------------------------------------------------------------------

    def heartbeat(self) -> list:
        ref = self.next_ref()
        self.send([None, ref, "phoenix", "heartbeat", {}])
        return self.receive_until(ref)

    def assert_nothing_pending(self) -> None:
        """Nothing was sent before the reply to a fresh heartbeat (the server answers in order)."""
        before = len(self.inbox)
        reply = self.heartbeat()
        assert reply[4] == OK_EMPTY
        assert self.inbox[before:] == [], f"unexpected frames: {self.inbox[before:]!r}"

    def join(
        self,
        page: Page,
        *,
        topic: str | None = None,
        url: Any = ...,
        redirect: str | None = None,
        session: Any = ...,
        static: Any = ...,
        extra: dict | None = None,
        join_ref: str | None = None,
    ) -> list:
        """Send ``phx_join`` as the 1.2.12 client does and return its reply."""
        jr = join_ref or self.next_ref()
        payload: dict[str, Any] = {
            "params": {"_csrf_token": page.csrf, "_mounts": 0, "_mount_attempts": 0},
            "session": page.session if session is ... else session,
            "static": page.static if static is ... else static,
            "sticky": False,
        }
        if redirect is not None:
            payload["redirect"] = redirect
            payload["params"]["_live_referer"] = page.url
        elif url is not None:
            payload["url"] = page.url if url is ... else url
        payload.update(extra or {})
        self.send([jr, jr, topic or page.topic, "phx_join", payload])
        return self.receive_until(jr)

    def push(self, topic: str, jr: str | None, event: str, payload: Any) -> list:
        ref = self.next_ref()
        self.send([jr, ref, topic, event, payload])
        return self.receive_until(ref)

    def click(self, view: View, name: str, value: Any = None) -> list:
        payload = {"type": "click", "event": name, "value": value if value is not None else {"value": ""}}
        return self.push(view.topic, view.jr, "event", payload)


class View:
    """A joined view as the client sees it: topic, join ref and the merged rendered tree."""

    def __init__(self, sock: Socket, page: Page, reply: list) -> None:
        assert reply[4]["status"] == "ok", reply
        self.sock = sock
        self.page = page
        self.topic = reply[2]
        self.jr = reply[0]
        self.rendered = ClientRendered(reply[4]["response"]["rendered"])

    def html(self) -> str:
        return self.rendered.html()

    def apply(self, frame: list) -> dict:
        """Merge the diff a reply or a ``diff`` push carries; return the reply's response."""
        if frame[3] == "diff":
            self.rendered.merge(frame[4])
            return frame[4]
        assert frame[4]["status"] == "ok", frame
        response = frame[4]["response"]
        if "diff" in response:
            self.rendered.merge(response["diff"])
        return response

    def click(self, name: str, value: Any = None) -> list:
        return self.sock.click(self, name, value)


@contextmanager
def open_socket(
    client: TestClient,
    csrf: str | None,
    *,
    vsn: str = "2.0.0",
    headers: dict | None = None,
    extra_query: str = "",
) -> Iterator[Socket]:
    query = []
    if csrf is not None:
        query.append("_csrf_token=" + quote(csrf, safe=""))
    if extra_query:
        query.append(extra_query)
    query.append("vsn=" + vsn)
    with client.websocket_connect("/live/websocket?" + "&".join(query), headers=headers or ORIGIN) as ws:
        yield Socket(ws)


@contextmanager
def live(client: TestClient, path: str) -> Iterator[tuple[Socket, View]]:
    """GET ``path``, open a socket with its CSRF token and join it."""
    page = get_page(client, path)
    with open_socket(client, page.csrf) as sock:
        yield sock, View(sock, page, sock.join(page))


wait_for = views.wait_until  # what the views record, waited for on a condition (no polling)
