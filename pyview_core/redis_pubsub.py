"""``RedisPubSub``: pub/sub across processes and machines, with Redis as the broker.

One process holds two Redis connections, whatever the number of views:

* the **subscriber**: one connection in subscribe mode. A topic is subscribed on Redis when
  this process's first view subscribes to it and unsubscribed when its last one leaves; each
  message that arrives is decoded once and handed to every local subscriber.
* the **publisher**: a task that drains a bounded outbox with pipelined ``PUBLISH`` commands,
  so a burst costs one round trip per batch and keeps each process's messages in order.

A message travels as ``<node id> <JSON>`` on the channel ``<prefix>:<topic>``. The publishing
process delivers to its own views at once (one decode of its own encoding, shared by them all)
and drops its own message when Redis echoes it back, so no view gets a message twice.
Messages are JSON (orjson), never pickle: a value that cannot be encoded raises
``MessageNotEncodable`` in ``broadcast``, naming the topic and the value's type.

When Redis is down (see ``docs`` in the class): views keep working in their own process;
``broadcast`` queues up to ``outbox_size`` messages for the other processes, which are sent in
order once Redis is back, and raises ``PubSubUnavailable`` when the outbox is full. Both
connections reconnect with exponential backoff (``0.1 s`` doubling to ``max_backoff``); the
subscriber then subscribes every topic with local interest again. Each transition is one log
line. Messages published while a process was not subscribed are not replayed (Redis pub/sub
delivers at most once); ``Presence`` re-synchronises its state after a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from typing import Any, Awaitable, Callable, Optional

import orjson
from redis import exceptions as redis_errors
from redis.asyncio.connection import AbstractConnection, ConnectionPool

from .pubsub import LocalSubscribers, MessageNotEncodable, PubSubUnavailable, Subscriber, check_topic

logger = logging.getLogger("pyview_core")

# What a dropped or refused connection raises, across redis-py versions and transports.
LINK_ERRORS = (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError, ConnectionError, EOFError)
BATCH = 512  # PUBLISH commands per pipelined write


def redacted(url: str) -> str:
    """The URL for log lines: a password in it is replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}{sep}{user + ':' if user else ':'}***@{host}"


def encode(topic: str, message: Any) -> bytes:
    """``message`` as JSON bytes, or ``MessageNotEncodable`` naming the topic and what failed."""
    try:
        return orjson.dumps(message)
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise MessageNotEncodable(
            f"cannot broadcast on {topic!r}: the message ({type(message).__name__}) is not JSON-encodable "
            f"({exc}). Messages travel between processes as JSON: use dicts with str keys, lists, str, "
            "numbers, bools, None (dataclasses, datetimes and UUIDs arrive as dicts and strings)"
        ) from None


class _Link:
    """Whether Redis is reachable, with one log line per transition (not one per failed retry)."""

    def __init__(self, url: str) -> None:
        self.url = redacted(url)
        self.up = False
        self.ever_up = False
        self.down_since: Optional[float] = None

    def lost(self, who: str, error: BaseException) -> None:
        if self.up or self.down_since is None:
            if self.ever_up:
                logger.warning("pub/sub: lost Redis at %s (%s: %s); reconnecting with backoff", self.url, who, _describe(error))
            else:
                logger.warning("pub/sub: cannot reach Redis at %s (%s: %s); retrying with backoff", self.url, who, _describe(error))
            self.down_since = time.monotonic()
        self.up = False

    def restored(self, topics: int) -> None:
        if self.up:
            return
        if self.ever_up:
            downtime = time.monotonic() - (self.down_since or time.monotonic())
            logger.info("pub/sub: reconnected to Redis at %s after %.1f s; resubscribed %d topics", self.url, downtime, topics)
        else:
            logger.info("pub/sub: connected to Redis at %s", self.url)
        self.up = self.ever_up = True
        self.down_since = None

    def down_for(self) -> float:
        return 0.0 if self.down_since is None else time.monotonic() - self.down_since


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class RedisPubSub:
    """The ``PubSub`` adapter for several processes: ``PyView(pubsub=RedisPubSub("redis://localhost:6379/0"))``.

    ``prefix`` namespaces the Redis channels (apps sharing one Redis need different prefixes);
    ``outbox_size`` bounds the messages kept for other processes while Redis is unreachable;
    ``max_backoff`` caps the wait between reconnection attempts. Connections are opened on first
    use (or by ``start``, which the app calls at startup), in the running event loop.
    """

    process_local = False

    def __init__(
        self, url: str, *, prefix: str = "pyview", outbox_size: int = 10_000, max_backoff: float = 5.0,
        ping_interval: float = 10.0, confirm_timeout: float = 5.0,
    ) -> None:
        if outbox_size < 1:
            raise ValueError(f"outbox_size must be at least 1, got {outbox_size}")
        self.url = url
        self.node = secrets.token_hex(8)  # this process's id: its own messages come back with it
        self.outbox_size = outbox_size
        self.max_backoff = max_backoff
        self.ping_interval = ping_interval
        self.confirm_timeout = confirm_timeout
        # Parses the URL once; connections are made by hand. RESP2: subscribe replies and messages
        # come back as replies to read (RESP3, redis-py's newer default, sends them as pushes).
        # No read timeout (redis-py 6+ defaults to 5 s): the subscriber is quiet for as long as
        # nobody publishes, and _watch checks a quiet link with PING instead.
        self._pool = ConnectionPool.from_url(url, protocol=2, socket_timeout=None, socket_connect_timeout=5.0)
        self._prefix = f"{prefix}:".encode()
        self._control = self._prefix + b"\x00node:" + self.node.encode()  # always subscribed: the link's pulse
        self._origin = self.node.encode() + b" "
        self._local = LocalSubscribers()
        self._link = _Link(url)
        self._on_connected: list[Callable[[], None]] = []
        self._on_close: list[Callable[[], Awaitable[None]]] = []
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._tasks: list[asyncio.Task[None]] = []
        self._sub_conn: Optional[AbstractConnection] = None
        self._pending: dict[bytes, deque[asyncio.Future[None]]] = {}
        self._outbox: deque[tuple[bytes, bytes]] = deque()
        self._has_mail: Optional[asyncio.Event] = None
        self._room: Optional[asyncio.Event] = None
        self._connected: Optional[asyncio.Event] = None
        self._last_read = 0.0  # loop time of the subscriber's last reply or message (for _watch)

    def __repr__(self) -> str:
        return f"RedisPubSub({redacted(self.url)!r}, node={self.node!r})"

    # --- lifecycle ----------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        """Start the subscriber and publisher tasks in the running loop (again, after ``aclose``
        or when the loop they ran in has gone, as between tests)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and self._tasks:
            return
        self._loop = loop
        self._sub_conn = None
        self._pending.clear()
        self._has_mail = asyncio.Event()
        self._room = asyncio.Event()
        self._connected = asyncio.Event()
        if self._outbox:
            self._has_mail.set()
        self._link.up = False
        self._tasks = [
            loop.create_task(self._subscriber(), name=f"pyview pubsub subscriber {self.node}"),
            loop.create_task(self._publisher(), name=f"pyview pubsub publisher {self.node}"),
        ]

    async def start(self, wait: float = 2.0) -> None:
        """Connect now (the app calls this at startup) and wait up to ``wait`` seconds for the
        subscriber to be ready; an unreachable Redis is logged and retried, not raised."""
        self._ensure_started()
        assert self._connected is not None
        try:
            await asyncio.wait_for(asyncio.shield(self._connected.wait()), wait)
        except asyncio.TimeoutError:
            pass

    @property
    def connected(self) -> bool:
        """Whether the subscriber connection is up and subscribed."""
        return self._link.up

    def on_connected(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` each time the subscriber has (re)connected and resubscribed."""
        self._on_connected.append(callback)

    def on_close(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Await ``callback()`` at the start of ``aclose`` (``Presence`` says goodbye there)."""
        self._on_close.append(callback)

    async def aclose(self, flush_timeout: float = 2.0) -> None:
        """Say goodbye (close callbacks), send what is queued if Redis is up, stop both tasks."""
        for callback in list(self._on_close):
            try:
                await callback()
            except Exception:
                logger.exception("pub/sub close callback %r failed", callback)
        if self._tasks and self._loop is asyncio.get_running_loop():
            deadline = time.monotonic() + flush_timeout
            while self._outbox and self._link.up and time.monotonic() < deadline:
                assert self._room is not None
                self._room.clear()
                try:
                    await asyncio.wait_for(self._room.wait(), max(0.0, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
            await _cancel_and_wait(self._tasks)
        self._tasks = []
        self._loop = None
        self._sub_conn = None
        self._link.up = False

    # --- the PubSub interface -----------------------------------------------------------------

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        """Add a local subscriber; the topic's first one subscribes it on Redis and waits for
        Redis to confirm (so a message published elsewhere right after is not missed)."""
        check_topic(topic)
        self._ensure_started()
        if self._local.add(topic, subscriber):
            await self._redis_command(b"SUBSCRIBE", topic, confirm=True)

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        if self._local.remove(topic, subscriber) and self._loop is asyncio.get_running_loop():
            await self._redis_command(b"UNSUBSCRIBE", topic, confirm=False)

    async def broadcast(self, topic: str, message: Any) -> None:
        """Send ``message`` to every subscriber of ``topic`` in every process."""
        await self._publish(topic, message, None)

    async def broadcast_from(self, sender: Subscriber, topic: str, message: Any) -> None:
        """As ``broadcast``, but ``sender`` (a local subscriber) does not get it."""
        await self._publish(topic, message, sender)

    def deliver_local(self, topic: str, message: Any) -> None:
        """Hand ``message`` to this process's subscribers of ``topic`` only (no encoding)."""
        self._local.deliver(topic, message)

    def subscriber_count(self, topic: str) -> int:
        """This process's subscribers of ``topic``."""
        return self._local.count(topic)

    @property
    def outbox_length(self) -> int:
        """Messages waiting for the publisher (for tests and diagnostics)."""
        return len(self._outbox)

    # --- publishing ---------------------------------------------------------------------------

    async def _publish(self, topic: str, message: Any, skip: Optional[Subscriber]) -> None:
        check_topic(topic)
        body = encode(topic, message)
        self._ensure_started()
        while len(self._outbox) >= self.outbox_size:
            if not self._link.up:
                raise PubSubUnavailable(
                    f"cannot broadcast on {topic!r}: Redis at {self._link.url} has been unreachable for "
                    f"{self._link.down_for():.1f} s and {len(self._outbox)} messages are already waiting "
                    f"(outbox_size={self.outbox_size}); this process's own subscribers were not sent it either"
                )
            assert self._room is not None
            self._room.clear()
            await self._room.wait()  # set when the publisher makes room, or when the link drops
        if topic in self._local:
            self._local.deliver(topic, orjson.loads(body), skip)  # one decode, as the other processes do
        self._outbox.append((self._prefix + topic.encode(), self._origin + body))
        assert self._has_mail is not None
        self._has_mail.set()

    async def _publisher(self) -> None:
        """Drain the outbox in pipelined batches; on a dropped link, keep the batch and retry."""
        assert self._has_mail is not None and self._room is not None
        conn: Optional[AbstractConnection] = None
        delay = 0.1
        outbox = self._outbox
        while True:
            await self._has_mail.wait()
            if not outbox:
                self._has_mail.clear()
                continue
            batch = [outbox[i] for i in range(min(BATCH, len(outbox)))]
            try:
                if conn is None:
                    conn = self._pool.make_connection()
                    await conn.connect()
                await conn.send_packed_command([pack_publish(batch)])
                for _ in batch:
                    await conn.read_response()
            except LINK_ERRORS as exc:
                self._link.lost("publisher", exc)
                self._room.set()  # waiting broadcasts re-check: they raise while the link is down
                if conn is not None:
                    await _disconnect(conn)
                    conn = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            except asyncio.CancelledError:
                if conn is not None:
                    await _disconnect(conn)
                raise
            delay = 0.1
            for _ in batch:
                outbox.popleft()
            self._room.set()
            if not outbox:
                self._has_mail.clear()

    # --- subscribing --------------------------------------------------------------------------

    async def _redis_command(self, command: bytes, topic: str, *, confirm: bool) -> None:
        """SUBSCRIBE/UNSUBSCRIBE one topic on the subscriber connection, if it is up.

        When it is down there is nothing to do: the subscriber subscribes every topic with local
        interest when it reconnects.
        """
        conn = self._sub_conn
        if conn is None and confirm and self._link.down_since is None and self._connected is not None:
            # The first connection is being made: its SUBSCRIBE will include this topic, and its
            # control channel, subscribed last, is confirmed after it.
            try:
                await asyncio.wait_for(asyncio.shield(self._connected.wait()), self.confirm_timeout)
            except asyncio.TimeoutError:
                pass
            return
        if conn is None or not conn.is_connected:
            return
        channel = self._prefix + topic.encode()
        future: Optional[asyncio.Future[None]] = None
        if confirm:
            future = asyncio.get_running_loop().create_future()
            self._pending.setdefault(channel, deque()).append(future)
        try:
            await conn.send_packed_command(conn.pack_command(command, channel), check_health=False)
        except LINK_ERRORS:
            return  # the subscriber task sees the same failure and reconnects
        if future is not None:
            try:
                await asyncio.wait_for(asyncio.shield(future), self.confirm_timeout)
            except asyncio.TimeoutError:
                logger.warning("pub/sub: Redis did not confirm the subscription to %r within %.1f s", topic, self.confirm_timeout)

    async def _subscriber(self) -> None:
        """Hold the subscriber connection: (re)connect with backoff, subscribe, dispatch messages."""
        delay = 0.1
        while True:
            conn = self._pool.make_connection()
            try:
                await conn.connect()
                self._sub_conn = conn
                # The control channel last: its confirmation means every topic's came before it.
                channels = [*(self._prefix + t.encode() for t in self._local.topics()), self._control]
                await conn.send_packed_command(conn.pack_command(b"SUBSCRIBE", *channels), check_health=False)
                watchdog = asyncio.get_running_loop().create_task(self._watch(conn), name=f"pyview pubsub watchdog {self.node}")
                try:
                    await self._read(conn, len(channels) - 1)
                finally:
                    watchdog.cancel()
                    await asyncio.gather(watchdog, return_exceptions=True)
            except LINK_ERRORS as exc:
                self._link.lost("subscriber", exc)
            except asyncio.CancelledError:
                self._sub_conn = None
                await _disconnect(conn)
                raise
            except Exception as exc:  # a broken reply or a closed transport mid-read: reconnect all the same
                self._link.lost("subscriber", exc)
            self._sub_conn = None
            self._release_pending()
            assert self._room is not None and self._connected is not None
            if self._connected.is_set():
                delay = 0.1  # it was up until now: the first retry comes soon
            self._connected.clear()
            self._room.set()
            await _disconnect(conn)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    async def _read(self, conn: AbstractConnection, topics: int) -> None:
        """Read replies and messages until the connection fails (raises one of LINK_ERRORS).

        Reads carry no timeout (a timeout per read costs a timer per message); ``_watch``
        notices a silent link instead.
        """
        loop = asyncio.get_running_loop()
        dispatch = self._dispatch
        while True:
            response = await conn.read_response()
            self._last_read = loop.time()
            kind = response[0]
            if kind == b"message":
                dispatch(response[1], response[2])
            elif kind == b"subscribe":
                self._confirmed(response[1], topics)
            # b"unsubscribe" and b"pong" need nothing

    async def _watch(self, conn: AbstractConnection) -> None:
        """After ``ping_interval`` without a reply or message, PING; if nothing arrives within
        another interval, close the connection, which fails the read and starts a reconnect
        (a half-open TCP connection would otherwise block the reader forever)."""
        loop = asyncio.get_running_loop()
        self._last_read = loop.time()
        pinged_at: Optional[float] = None
        while True:
            await asyncio.sleep(self.ping_interval)
            if pinged_at is not None:
                if self._last_read < pinged_at:
                    logger.warning("pub/sub: no reply from Redis at %s to a PING within %.1f s", self._link.url, self.ping_interval)
                    await _disconnect(conn)
                    return
                pinged_at = None
            if loop.time() - self._last_read >= self.ping_interval:
                pinged_at = loop.time()
                await conn.send_packed_command([b"*1\r\n$4\r\nPING\r\n"], check_health=False)

    def _confirmed(self, channel: bytes, topics: int) -> None:
        if channel == self._control:
            assert self._connected is not None
            self._link.restored(topics)
            self._connected.set()
            for callback in list(self._on_connected):
                try:
                    callback()
                except Exception:
                    logger.exception("pub/sub connected callback %r failed", callback)
            return
        waiting = self._pending.get(channel)
        if waiting:
            future = waiting.popleft()
            if not waiting:
                del self._pending[channel]
            if not future.done():
                future.set_result(None)

    def _release_pending(self) -> None:
        """The link dropped: nobody waits for a confirmation that cannot come (the topic is
        subscribed again on reconnect)."""
        for waiting in self._pending.values():
            for future in waiting:
                if not future.done():
                    future.set_result(None)
        self._pending.clear()

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        if data.startswith(self._origin):
            return  # our own message: delivered locally when it was published
        topic = channel[len(self._prefix):].decode("utf-8", "replace")
        if topic not in self._local:
            return
        _, _, body = data.partition(b" ")
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            logger.warning("pub/sub: dropped a message on %r that is not JSON (%s)", topic, exc)
            return
        self._local.deliver(topic, message)


def pack_publish(batch: list[tuple[bytes, bytes]]) -> bytes:
    """``PUBLISH channel data`` for each pair, in RESP, as one buffer for one write (redis-py's
    general ``pack_command`` costs several times more per message)."""
    parts = []
    for channel, data in batch:
        parts.append(b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(channel), channel, len(data), data))
    return b"".join(parts)


async def _cancel_and_wait(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait for them; cancel again if one is still running after a while
    (a cancellation swallowed inside a library must not hang the app's shutdown)."""
    pending = [task for task in tasks if not task.done()]
    for _ in range(10):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, still = await asyncio.wait(pending, timeout=0.5)
        pending = list(still)
    if pending:
        logger.error("pub/sub: %d task(s) did not stop when cancelled: %s", len(pending), [t.get_name() for t in pending])
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            logger.error("pub/sub task %s failed", task.get_name(), exc_info=task.exception())


async def _disconnect(conn: AbstractConnection) -> None:
    try:
        await conn.disconnect(nowait=True)
    except Exception:  # noqa: BLE001 - it is being thrown away
        pass
