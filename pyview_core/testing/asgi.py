"""ASGI in memory: an HTTP GET and a WebSocket to an app running in the caller's event loop.

The test client talks to the real app through the real ASGI interface, as a server would: the
dead render is an ``http`` request whose ``Set-Cookie`` lands in a cookie jar, and the live
socket is a ``websocket`` conversation whose frames pass through two bounded queues. Nothing of
the app is bypassed (middleware, routing, session cookie, origin and CSRF checks all run).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, Optional
from urllib.parse import quote, unquote, urljoin, urlsplit

from .errors import LiveViewTestError

#: Frames the server may have sent that the test has not read yet. Past it the server's own
#: outbox fills up, and a test that never reads is closed like a slow browser (1013).
CLIENT_QUEUE_FRAMES = 4096
SERVER_QUEUE_FRAMES = 64
APP_EXIT_TIMEOUT = 10.0  # how long closing a socket may wait for the app's teardown


class CookieJar:
    """The cookies of one test browser: what ``Set-Cookie`` said, sent back on every request."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def set(self, name: str, value: str) -> None:
        self.cookies[name] = value

    def update(self, headers: list[tuple[bytes, bytes]]) -> None:
        for key, value in headers:
            if key.lower() != b"set-cookie":
                continue
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(value.decode("latin-1"))
            for name, morsel in parsed.items():
                if morsel["max-age"] in ("0",) or morsel.value in ("", "null") and morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def header(self) -> Optional[tuple[bytes, bytes]]:
        if not self.cookies:
            return None
        return b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode("latin-1")


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> Optional[str]:
        wanted = name.lower().encode("latin-1")
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None


@dataclass
class Origin:
    """Where the test browser pretends to be: scheme and host of every request."""

    base_url: str = "http://testserver"
    scheme: str = field(init=False)
    host: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must look like http://host[:port], got {self.base_url!r}")
        self.scheme, self.host = parts.scheme, parts.netloc
        self.base_url = f"{self.scheme}://{self.host}"

    def url(self, path: str) -> str:
        return self.base_url + browser_encoded(path)

    def local(self, location: str) -> str:
        """A Location or href as a local path (absolute URLs of this origin are shortened)."""
        parts = urlsplit(urljoin(self.base_url + "/", location))
        if f"{parts.scheme}://{parts.netloc}" != self.base_url:
            return parts.geturl()
        return parts.path + (f"?{parts.query}" if parts.query else "")


# What a browser leaves as it is in a URL's path and query; anything else is UTF-8 percent-encoded.
_PATH_SAFE = "/%!$&'()*+,;=:@-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def browser_encoded(path: str) -> str:
    """``path`` as a browser puts it on the wire: non-ASCII and spaces percent-encoded (UTF-8)."""
    parts = urlsplit(path)
    encoded = quote(parts.path, safe=_PATH_SAFE)
    if parts.query:
        encoded += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return encoded


def _scope(kind: str, origin: Origin, path: str, headers: list[tuple[bytes, bytes]], extra: dict[str, Any]) -> dict[str, Any]:
    parts = urlsplit(browser_encoded(path))
    port = 443 if origin.scheme == "https" else 80
    host_name = origin.host
    if ":" in host_name:
        host_name, _, port_text = host_name.rpartition(":")
        port = int(port_text)
    scope: dict[str, Any] = {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": (("wss" if origin.scheme == "https" else "ws") if kind == "websocket" else origin.scheme),
        "path": unquote(parts.path or "/"),  # ASGI: decoded; raw_path and query_string as sent
        "raw_path": (parts.path or "/").encode("ascii"),
        "query_string": parts.query.encode("ascii"),
        "root_path": "",
        "headers": [(b"host", origin.host.encode("latin-1")), *headers],
        "server": (host_name, port),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }
    if kind == "http":
        scope["method"] = "GET"
    else:
        scope["subprotocols"] = []
    scope.update(extra)
    return scope


async def http_get(app: Any, origin: Origin, path: str, jar: CookieJar, extra_scope: dict[str, Any]) -> HttpResponse:
    """GET ``path`` from ``app``; the jar takes the response's cookies."""
    return await http_request(app, origin, "GET", path, jar, extra_scope)


async def http_request(
    app: Any, origin: Origin, method: str, path: str, jar: CookieJar, extra_scope: dict[str, Any], form: Optional[str] = None,
) -> HttpResponse:
    """``method`` ``path`` on ``app``, with ``form`` (URL-encoded) as the body of a form post, as
    a browser sends it (its ``Origin`` too); the jar takes the response's cookies."""
    headers = [(b"accept", b"text/html"), (b"user-agent", b"pyview-testing")]
    cookie = jar.header()
    if cookie is not None:
        headers.append(cookie)
    request_body = b""
    if form is not None:
        request_body = form.encode("ascii")
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(request_body)).encode("ascii")),
            (b"origin", origin.base_url.encode("latin-1")),
        ]
    scope = _scope("http", origin, path, headers, extra_scope)
    scope["method"] = method
    done = asyncio.Event()
    sent_request = False
    response: Optional[HttpResponse] = None
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": request_body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal response
        if message["type"] == "http.response.start":
            response = HttpResponse(message["status"], list(message.get("headers", ())))
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    done.set()
    if response is None:
        raise LiveViewTestError(f"{method} {path}: the app returned without answering")
    response.body = b"".join(body)
    jar.update(response.headers)
    return response


class SocketClosed(Exception):
    """The server closed the WebSocket."""

    def __init__(self, code: int) -> None:
        super().__init__(f"the server closed the WebSocket with code {code}")
        self.code = code


class WebSocketPeer:
    """The client end of one WebSocket to an app running as a task of the current event loop.

    Frames from the server wait in a deque bounded at ``CLIENT_QUEUE_FRAMES`` (the server's send
    waits beyond it, as on a socket whose reader stalls); the test waits on one future, not a task
    per frame, so a step costs a few context switches and no more.
    """

    def __init__(self) -> None:
        self._to_server: asyncio.Queue[dict[str, Any]] = asyncio.Queue(SERVER_QUEUE_FRAMES)
        self._inbox: deque[dict[str, Any]] = deque()
        self._waiter: Optional[asyncio.Future[None]] = None
        self._space: Optional[asyncio.Future[None]] = None
        self._task: Optional[asyncio.Task[None]] = None
        self.close_code: Optional[int] = None

    async def connect(self, app: Any, origin: Origin, path: str, jar: CookieJar, extra_scope: dict[str, Any]) -> None:
        """Open the socket; ``SocketClosed`` if the server refuses it (a 403 before the upgrade)."""
        headers = [(b"origin", origin.base_url.encode("latin-1"))]
        cookie = jar.header()
        if cookie is not None:
            headers.append(cookie)
        scope = _scope("websocket", origin, path, headers, extra_scope)
        task = self._task = asyncio.get_running_loop().create_task(self._serve(app, scope), name="pyview test app")
        task.add_done_callback(lambda _task: self._wake())
        await self._to_server.put({"type": "websocket.connect"})
        message = await self._next(APP_EXIT_TIMEOUT)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            await self._finish()
            raise SocketClosed(self.close_code)
        if message["type"] != "websocket.accept":
            raise LiveViewTestError(f"the app answered the WebSocket upgrade with {message!r}")

    async def _serve(self, app: Any, scope: dict[str, Any]) -> None:
        await app(scope, self._to_server.get, self._server_send)

    async def _server_send(self, message: dict[str, Any]) -> None:
        while len(self._inbox) >= CLIENT_QUEUE_FRAMES:
            space = self._space = asyncio.get_running_loop().create_future()
            await space
        self._inbox.append(message)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _take(self) -> dict[str, Any]:
        message = self._inbox.popleft()
        space = self._space
        if space is not None and not space.done():
            space.set_result(None)
        return message

    async def _next(self, timeout: float) -> dict[str, Any]:
        while not self._inbox:
            task = self._task
            assert task is not None
            if task.done():
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    raise LiveViewTestError(f"the app's WebSocket handler failed: {error!r}") from error
                return {"type": "websocket.close", "code": 1006}
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(waiter, timeout)
            finally:
                self._waiter = None
        return self._take()

    def send_text(self, text: str) -> None:
        """Queue a text frame (the server's reader takes it at its next turn)."""
        if self.close_code is not None:
            raise SocketClosed(self.close_code)
        self._to_server.put_nowait({"type": "websocket.receive", "text": text})

    def send_bytes(self, data: bytes) -> None:
        """Queue a binary frame (upload chunks)."""
        if self.close_code is not None:
            raise SocketClosed(self.close_code)
        self._to_server.put_nowait({"type": "websocket.receive", "bytes": data})

    async def receive(self, timeout: float) -> str:
        """The next text frame; ``SocketClosed`` when the server closed; ``TimeoutError`` after ``timeout`` s."""
        if self.close_code is not None:
            raise SocketClosed(self.close_code)
        message = await self._next(timeout)
        return self._text_of(message)

    def receive_nowait(self) -> Optional[str]:
        """A frame that has already arrived, or None."""
        if self.close_code is not None:
            return None
        if not self._inbox:
            return None
        return self._text_of(self._take())

    def _text_of(self, message: dict[str, Any]) -> str:
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise SocketClosed(self.close_code)
        text = message.get("text")
        if text is None:
            raise LiveViewTestError(f"the server sent a binary frame: {message.get('bytes')!r:.80}")
        return text

    async def close(self) -> None:
        """Disconnect like a closed tab and wait until the app has torn every view down."""
        if self._task is None:
            return
        if self.close_code is None:
            self.close_code = 1000
            try:
                self._to_server.put_nowait({"type": "websocket.disconnect", "code": 1000})
            except asyncio.QueueFull:
                self._task.cancel()
        await self._finish()

    async def _finish(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(task, APP_EXIT_TIMEOUT)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
        except TimeoutError:
            raise LiveViewTestError(f"the app did not finish the WebSocket within {APP_EXIT_TIMEOUT:g} s of the disconnect") from None
