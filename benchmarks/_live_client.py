"""What the end-to-end benchmarks share: their client's event loop, a free port, and the dead
render a client reads before it joins (a minimal HTTP GET, the container's tokens)."""

from __future__ import annotations

import asyncio
import html
import re
import socket
from collections.abc import Coroutine
from typing import Any

#: The client's event loop, "asyncio" or "uvloop": the scripts' --client-loop sets it.
CLIENT_LOOP = "asyncio"

_CSRF_META = re.compile(r"""<meta\s+name="csrf-token"\s+content="([^"]*)\"""")
_CONTAINER = re.compile(r"<div\b[^>]*\bdata-phx-session\b[^>]*>", re.DOTALL)
_ATTR = re.compile(r"""([\w:-]+)(?:\s*=\s*"([^"]*)")?""")


def log(text: str = "") -> None:
    print(text, flush=True)


def new_client_loop() -> asyncio.AbstractEventLoop:
    """The client's event loop: uvloop when installed (a cheaper client leaves more CPU to the server)."""
    if CLIENT_LOOP == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=new_client_loop) as runner:
        return runner.run(coro)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def http_get(host: str, port: int, path: str) -> tuple[int, list[str], str]:
    """A minimal HTTP/1.1 GET: status, the Set-Cookie ``name=value`` pairs, the body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        raw = await reader.read()
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    cookies = [
        line.split(":", 1)[1].split(";", 1)[0].strip()
        for line in lines[1:]
        if line.lower().startswith("set-cookie:")
    ]
    if any(line.lower() == "transfer-encoding: chunked" for line in lines[1:]):
        body = _dechunk(body)
    return status, cookies, body.decode("utf-8")


def _dechunk(data: bytes) -> bytes:
    out, i = [], 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[j + 2:j + 2 + size])
        i = j + 2 + size + 2


def parse_page(page: str) -> tuple[str, str, str | None, str]:
    """The container's id, session and static tokens and the CSRF token of a dead render."""
    meta = _CSRF_META.search(page)
    tag = _CONTAINER.search(page)
    if meta is None or tag is None:
        raise ValueError("page has no csrf-token meta or no [data-phx-session] container")
    attrs = {m.group(1): html.unescape(m.group(2) or "") for m in _ATTR.finditer(tag.group(0)[4:-1])}
    return attrs["id"], attrs["data-phx-session"], attrs.get("data-phx-static") or None, html.unescape(meta.group(1))
