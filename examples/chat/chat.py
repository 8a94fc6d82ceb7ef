"""Chat shared by every open tab: messages travel through pub/sub (``subscribe``/``broadcast``).

The page's messages are a stream: each new message is sent to each tab once, and the browser
keeps the last ``HISTORY_LIMIT`` of them (``limit=-HISTORY_LIMIT``); the views hold none.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from pyview_core import InfoEvent, LiveView, LiveViewSocket, Stream, event, is_connected

TOPIC = "chat:lobby"
HISTORY_LIMIT = 50
# The room's recent messages, shared by all views in this process: what a new tab starts with.
HISTORY: list[dict[str, Any]] = []
_ids = itertools.count(1)
_names = itertools.count(1)


@dataclass
class ChatContext:
    name: str
    messages: Stream[dict[str, Any]]
    sent: int = 0  # bumped per message: the send form gets a new id, so the browser shows it empty


class ChatLiveView(LiveView[ChatContext]):
    async def mount(self, socket: LiveViewSocket[ChatContext], session):
        socket.context = ChatContext(name=f"guest-{next(_names)}", messages=Stream(HISTORY, name="messages"))
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
            socket.context.messages.insert(event.payload, limit=-HISTORY_LIMIT)
