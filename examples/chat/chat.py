"""Chat shared by every open tab: messages travel through pub/sub (``subscribe``/``broadcast``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from pyview_core import InfoEvent, LiveView, LiveViewSocket, event, is_connected

TOPIC = "chat:lobby"
HISTORY_LIMIT = 50
HISTORY: list[dict[str, Any]] = []  # the room's recent messages, shared by all views in this process
_ids = itertools.count(1)
_names = itertools.count(1)


@dataclass
class ChatContext:
    name: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    sent: int = 0  # bumped per message: the send form gets a new id, so the browser shows it empty


class ChatLiveView(LiveView[ChatContext]):
    async def mount(self, socket: LiveViewSocket[ChatContext], session):
        socket.context = ChatContext(name=f"guest-{next(_names)}", messages=list(HISTORY))
        socket.live_title = "Chat"
        if is_connected(socket):
            await socket.subscribe(TOPIC)

    @event("rename")
    async def rename(self, socket: LiveViewSocket[ChatContext], name: str):
        socket.context.name = name.strip()[:30] or socket.context.name

    @event("send")
    async def send(self, socket, text: str):
        text = text.strip()
        if not text:
            return
        message = {"id": next(_ids), "author": socket.context.name, "text": text[:500]}
        HISTORY.append(message)
        del HISTORY[:-HISTORY_LIMIT]
        socket.context.sent += 1
        await socket.broadcast(TOPIC, message)

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[ChatContext]):
        if event.name == TOPIC:
            socket.context.messages.append(event.payload)  # in-place mutation is fine
            del socket.context.messages[:-HISTORY_LIMIT]
