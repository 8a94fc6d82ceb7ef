"""Publish/subscribe between views, behind a small adapter interface.

``InMemoryPubSub`` serves one process. A Redis adapter (later) implements the same three
coroutines, so views never know which one is in use. Subscribers are plain callbacks that must
not block: a view's callback only queues the message for its own ``handle_info``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Protocol

logger = logging.getLogger("pyview_core")

Subscriber = Callable[[str, Any], None]


class PubSub(Protocol):
    """What the app needs from a pub/sub backend."""

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None: ...

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None: ...

    async def broadcast(self, topic: str, message: Any) -> None: ...


class InMemoryPubSub:
    """Topic → subscribers in a dict; every subscriber (the sender's own view included) gets the message."""

    def __init__(self) -> None:
        self._topics: dict[str, dict[Subscriber, None]] = {}

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        self._topics.setdefault(topic, {})[subscriber] = None

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is not None:
            subscribers.pop(subscriber, None)
            if not subscribers:
                del self._topics[topic]

    async def broadcast(self, topic: str, message: Any) -> None:
        for subscriber in list(self._topics.get(topic, ())):
            try:
                subscriber(topic, message)
            except Exception:  # one broken subscriber must not starve the others
                logger.exception("pub/sub subscriber failed on topic %r", topic)

    def subscriber_count(self, topic: str) -> int:
        """How many subscribers a topic has (for tests and diagnostics)."""
        return len(self._topics.get(topic, ()))
