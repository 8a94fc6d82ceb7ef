"""Publish/subscribe between views, behind a small adapter interface.

``InMemoryPubSub`` serves one process; ``RedisPubSub`` (``pyview_core.redis_pubsub``) serves
several processes and machines through a Redis broker. Views never know which one is in use:
their socket's ``subscribe``/``broadcast``/``broadcast_from`` call the same coroutines on either.

Subscribers are plain callbacks that must not block: a view's callback only queues the message
for its own ``handle_info``. Every adapter keeps its own process's subscribers in a
``LocalSubscribers`` table, so a message published in a process reaches that process's views
without a trip through the broker (and without being decoded once per view).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable, Optional, Protocol

logger = logging.getLogger("pyview_core")

Subscriber = Callable[[str, Any], None]
PUBSUB_URL_ENV = "PYVIEW_PUBSUB_URL"


@dataclass(frozen=True, slots=True)
class LocalInfo:
    """A message a subscribed view receives as ``InfoEvent(name, payload)`` instead of
    ``InfoEvent(topic, message)``: how ``Presence`` hands ``presence_diff`` to the views on a topic.

    Only delivered in its own process (``PubSub.deliver_local``); never encoded.
    """

    name: str
    payload: Any


class PubSubError(RuntimeError):
    """Something a pub/sub backend could not do; the message says what and why."""


class PubSubUnavailable(PubSubError):
    """The broker has been unreachable long enough that the bounded outbox is full."""


class MessageNotEncodable(PubSubError, TypeError):
    """A message that cannot travel between processes as JSON (raised by ``broadcast``)."""


class PubSub(Protocol):
    """What the app (and ``Presence``) need from a pub/sub backend.

    ``process_local`` is True when messages never leave the process (several workers then
    cannot share it: ``pyview serve --workers`` refuses to start).
    """

    process_local: bool

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None: ...

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None: ...

    async def broadcast(self, topic: str, message: Any) -> None: ...

    async def broadcast_from(self, sender: Subscriber, topic: str, message: Any) -> None: ...

    def deliver_local(self, topic: str, message: Any) -> None: ...

    def subscriber_count(self, topic: str) -> int: ...

    def on_connected(self, callback: Callable[[], None]) -> None: ...

    def on_close(self, callback: Callable[[], Awaitable[None]]) -> None: ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


class LocalSubscribers:
    """Topic → this process's subscribers, in subscription order.

    ``add`` and ``remove`` say whether the topic's local interest appeared or disappeared, which
    is when a broker-backed adapter subscribes or unsubscribes the topic on the broker.
    """

    __slots__ = ("_topics",)

    def __init__(self) -> None:
        self._topics: dict[str, dict[Subscriber, None]] = {}

    def add(self, topic: str, subscriber: Subscriber) -> bool:
        """Add ``subscriber``; True if it is the topic's first."""
        subscribers = self._topics.get(topic)
        if subscribers is None:
            self._topics[topic] = {subscriber: None}
            return True
        subscribers[subscriber] = None
        return False

    def remove(self, topic: str, subscriber: Subscriber) -> bool:
        """Remove ``subscriber``; True if the topic has no subscriber left (and was subscribed)."""
        subscribers = self._topics.get(topic)
        if subscribers is None or subscriber not in subscribers:
            return False
        del subscribers[subscriber]
        if subscribers:
            return False
        del self._topics[topic]
        return True

    def __contains__(self, topic: str) -> bool:
        return topic in self._topics

    def topics(self) -> Iterable[str]:
        return self._topics.keys()

    def count(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def deliver(self, topic: str, message: Any, skip: Optional[Subscriber] = None) -> None:
        """Call every subscriber of ``topic`` but ``skip``; one that raises is logged, not fatal."""
        subscribers = self._topics.get(topic)
        if not subscribers:
            return
        for subscriber in list(subscribers):
            if subscriber == skip:
                continue
            try:
                subscriber(topic, message)
            except Exception:  # one broken subscriber must not starve the others
                logger.exception("pub/sub subscriber failed on topic %r", topic)


def check_topic(topic: Any) -> str:
    """A topic is a non-empty str; anything else is the caller's mistake, named here."""
    if not isinstance(topic, str) or not topic:
        raise TypeError(f"a pub/sub topic must be a non-empty str, got {topic!r}")
    return topic


class InMemoryPubSub:
    """Topic → subscribers in a dict; every subscriber (the sender's own view included) gets the message.

    Messages are handed over as they are (no encoding), so anything can be sent; with
    ``RedisPubSub`` a message must be JSON-encodable.
    """

    process_local = True

    def __init__(self) -> None:
        self._local = LocalSubscribers()
        self._on_close: list[Callable[[], Awaitable[None]]] = []

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        self._local.add(check_topic(topic), subscriber)

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        self._local.remove(topic, subscriber)

    async def broadcast(self, topic: str, message: Any) -> None:
        self._local.deliver(check_topic(topic), message)

    async def broadcast_from(self, sender: Subscriber, topic: str, message: Any) -> None:
        self._local.deliver(check_topic(topic), message, skip=sender)

    def deliver_local(self, topic: str, message: Any) -> None:
        self._local.deliver(topic, message)

    def subscriber_count(self, topic: str) -> int:
        """How many subscribers a topic has (for tests and diagnostics)."""
        return self._local.count(topic)

    def on_connected(self, callback: Callable[[], None]) -> None:
        """Nothing to connect to: the callback is never called."""

    def on_close(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Await ``callback()`` when the app shuts down (``aclose``)."""
        self._on_close.append(callback)

    async def start(self) -> None:
        """Nothing to start."""

    async def aclose(self) -> None:
        for callback in list(self._on_close):
            try:
                await callback()
            except Exception:
                logger.exception("pub/sub close callback %r failed", callback)


def pubsub_from_url(url: Optional[str]) -> PubSub:
    """The backend a URL names: ``redis://``, ``rediss://`` or ``unix://`` → ``RedisPubSub``;
    empty or ``memory://`` → ``InMemoryPubSub``."""
    if not url or url.strip() in ("memory://", "memory"):
        return InMemoryPubSub()
    url = url.strip()
    scheme = url.partition("://")[0].lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"{PUBSUB_URL_ENV}: unsupported pub/sub URL {url!r}; expected redis://host:port/db, "
            "rediss://..., unix:///path/to/redis.sock or memory://"
        )
    try:
        from .redis_pubsub import RedisPubSub
    except ImportError as exc:  # the redis package is an extra
        raise ValueError(
            f"{PUBSUB_URL_ENV} is a Redis URL but the redis package is not installed ({exc}): "
            "pip install 'pyview[redis]'"
        ) from None
    return RedisPubSub(url)


def pubsub_from_env() -> PubSub:
    """``pubsub_from_url(os.environ["PYVIEW_PUBSUB_URL"])``: in-memory when it is not set."""
    return pubsub_from_url(os.environ.get(PUBSUB_URL_ENV))
