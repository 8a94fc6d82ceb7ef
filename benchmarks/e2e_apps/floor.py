"""The floor for ``benchmarks/e2e.py``: what the server stack alone costs, with no LiveView in it.

    pyview serve benchmarks.e2e_apps.floor:app --port 8003

A bare ASGI app (no Starlette, no sessions, no JSON) served by ``pyview serve`` with the same
loop, HTTP parser and WebSocket settings as ours, so that "ours / floor" is what our runtime adds
on top of uvicorn:

* any GET answers a fixed HTML page of ``E2E_FLOOR_PAGE_BYTES`` bytes (the harness sets it to the
  size of our ``/counter`` dead render). The page carries a CSRF meta and a
  ``[data-phx-session]`` container, so the benchmark client reads it as it reads a real page;
* a WebSocket echoes every text frame back unchanged, so a "click" is one round trip of a frame
  of exactly the size of our click, and a "join" one round trip of the join frame;
* a text frame whose event is ``"bump"`` is echoed, then a ``diff`` push of the same shape as
  ours (``[null,null,topic,"diff",{"0":"n"}]``) is sent to every open WebSocket, one after
  another from the clicker's task: the floor of a broadcast fan-out.
"""

from __future__ import annotations

import json
import os
from typing import Any, Awaitable, Callable

Send = Callable[[dict[str, Any]], Awaitable[None]]
PAGE_BYTES = int(os.environ.get("E2E_FLOOR_PAGE_BYTES", "1400"))
_HEAD = (
    '<!DOCTYPE html><html><head><meta name="csrf-token" content="floor-csrf-token">'
    "<title>floor</title></head><body>"
    '<div id="phx-floor" data-phx-main data-phx-session="floor-session" data-phx-static="">'
)
_TAIL = "</div></body></html>"
_PAD = max(0, PAGE_BYTES - len(_HEAD) - len(_TAIL) - len("<!---->"))
PAGE = (_HEAD + "<!--" + "x" * _PAD + "-->" + _TAIL).encode()
_HTTP_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(PAGE)).encode())],
}
_HTTP_BODY = {"type": "http.response.body", "body": PAGE}

_sockets: dict[int, Send] = {}  # every open WebSocket, for the fan-out


async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]], send: Send) -> None:
    kind = scope["type"]
    if kind == "http":
        await send(_HTTP_START)
        await send(_HTTP_BODY)
    elif kind == "websocket":
        await _websocket(receive, send)
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _websocket(receive: Callable[[], Awaitable[dict[str, Any]]], send: Send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    key = id(send)
    _sockets[key] = send
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                continue
            await send({"type": "websocket.send", "text": text})
            if '"bump"' in text:
                await _fan_out(text)
    finally:
        _sockets.pop(key, None)


async def _fan_out(click: str) -> None:
    frame = json.loads(click)
    n = frame[4].get("value", {}).get("n", "0")
    push = {"type": "websocket.send", "text": f'[null,null,"lv:phx-floor","diff",{{"0":"{n}"}}]'}
    for other in list(_sockets.values()):
        try:
            await other(push)
        except Exception:  # noqa: BLE001 - a socket closing mid-broadcast is not the floor's concern
            pass
