"""Chat shared by every open tab, in every process: messages travel through pub/sub
(``subscribe``/``broadcast``), and ``Presence`` shows who is here and who is typing.

The page's messages are a stream: each new message is sent to each tab once, and the browser
keeps the last ``HISTORY_LIMIT`` of them (``limit=-HISTORY_LIMIT``); the views hold none. Each
process keeps the room's recent messages for new tabs (``HISTORY``): every message it hears is
remembered once, whichever process it came from, so a tab opened on any worker starts with the
same history (what was said while the process was not running is not replayed).

Each tab is one presence entry under a key of its own, with its name and whether it is typing;
the presence list and the typing line re-render from ``PRESENCE.list`` on each ``presence_diff``.
A tab that closes, crashes or loses its server leaves the list (at once in its own process, or
via the other processes: a process that dies silently is dropped after the presence timeout).
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from pyview_core import InfoEvent, LiveView, LiveViewSocket, Stream, event, is_connected

from ..realtime import PRESENCE
from ..ui import use_kit

use_kit(__file__)  # JS in chat.html (the new send box is focused as it appears)

TOPIC = "chat:lobby"
HISTORY_LIMIT = 50
TYPING_IDLE = 3.0  # seconds without a keystroke after which a tab stops "typing"
# The room's recent messages in this process: what a new tab starts with.
HISTORY: list[dict[str, Any]] = []
_NODE = secrets.token_hex(3)  # message ids are unique across processes: <node>-<n>
_ids = itertools.count(1)
# Names are unique in a process; the random start makes two processes' guests unlikely to clash.
_names = itertools.count(1000 + secrets.randbelow(8000))


def remember(message: dict[str, Any]) -> None:
    """Keep ``message`` in this process's history once (every view in the process hears it)."""
    if all(m["id"] != message["id"] for m in HISTORY):
        HISTORY.append(message)
        del HISTORY[:-HISTORY_LIMIT]


@dataclass
class ChatContext:
    name: str
    messages: Stream[dict[str, Any]]
    me: str = ""  # this tab's presence key
    sent: int = 0  # bumped per message: the send form gets a new id, so the browser shows it empty
    typing: bool = False
    typed_at: float = 0.0
    here: list[dict[str, Any]] = field(default_factory=list)  # [{"key", "name", "typing"}], by name

    @property
    def typing_names(self) -> list[str]:
        return [p["name"] for p in self.here if p["typing"] and p["key"] != self.me]


class ChatLiveView(LiveView[ChatContext]):
    async def mount(self, socket: LiveViewSocket[ChatContext], session):
        socket.context = ChatContext(name=f"guest-{next(_names)}", messages=Stream(HISTORY, name="messages"))
        socket.live_title = "Chat"
        if is_connected(socket):
            socket.context.me = secrets.token_hex(6)
            await socket.subscribe(TOPIC)
            await PRESENCE.track(socket, TOPIC, socket.context.me, {"name": socket.context.name, "typing": False})
            self.refresh_presence(socket)

    @staticmethod
    def refresh_presence(socket) -> None:
        here = []
        for key, entry in PRESENCE.list(TOPIC).items():
            metas = entry["metas"]
            here.append({"key": key, "name": metas[-1].get("name", "?"), "typing": any(m.get("typing") for m in metas)})
        here.sort(key=lambda p: (p["name"].lower(), p["key"]))
        socket.context.here = here

    async def set_presence(self, socket, **changes: Any) -> None:
        await PRESENCE.update(socket, TOPIC, socket.context.me, lambda meta: {**meta, **changes})

    @event("rename")
    async def rename(self, socket: LiveViewSocket[ChatContext], name: str):
        name = name.strip()[:30]
        if name and name != socket.context.name:
            socket.context.name = name
            await self.set_presence(socket, name=name)

    @event("typing")
    async def typing(self, socket, text: str = ""):
        socket.context.typed_at = time.monotonic()
        typing = bool(text.strip())
        if typing != socket.context.typing:
            socket.context.typing = typing
            await self.set_presence(socket, typing=typing)
        if typing:
            socket.schedule_info_once(InfoEvent("typing_idle"), TYPING_IDLE)

    @event("send")
    async def send(self, socket, text: str):
        text = text.strip()
        if not text:
            return
        message = {"id": f"{_NODE}-{next(_ids)}", "author": socket.context.name, "text": text[:500]}
        socket.context.sent += 1
        if socket.context.typing:
            socket.context.typing = False
            await self.set_presence(socket, typing=False)
        await socket.broadcast(TOPIC, message)

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[ChatContext]):
        if event.name == TOPIC:
            remember(event.payload)
            socket.context.messages.insert(event.payload, limit=-HISTORY_LIMIT)
        elif event.name == "presence_diff":
            self.refresh_presence(socket)
        elif event.name == "typing_idle":
            idle = time.monotonic() - socket.context.typed_at >= TYPING_IDLE * 0.95
            if socket.context.typing and idle:
                socket.context.typing = False
                await self.set_presence(socket, typing=False)
