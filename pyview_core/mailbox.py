"""A view's mailbox: the bounded queue its actor task consumes, one message at a time.

Every message for a joined view goes through here: client events and patches from the socket
reader, pub/sub messages, timer ticks and ``send_info`` from jobs. One task consumes it, so
messages are handled in arrival order without a lock.

Two bounds, because producers differ:

* ``window``: producers that can wait (``await socket.send_info``, timers) wait while this many
  messages are queued, so a fast job runs at the speed the view renders;
* ``capacity``: producers that must not wait (the socket reader, pub/sub fan-out, a view
  sending to itself from its own handler) are refused beyond it. ``offer`` then returns False
  and the caller decides; the runtime stops that view (the client rejoins with a fresh mount)
  rather than grow without bound or drop a message silently.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, Optional, TypeVar

M = TypeVar("M")


class MailboxClosed(Exception):
    """``get`` on a closed, empty mailbox: the view is stopping."""


class Mailbox(Generic[M]):
    """A FIFO with one consumer, a soft bound for waiting producers and a hard bound for the rest."""

    __slots__ = ("_items", "_getter", "_putters", "_loop", "capacity", "window", "closed")

    def __init__(self, capacity: int = 1024, window: Optional[int] = None) -> None:
        if capacity < 1:
            raise ValueError(f"a mailbox needs a capacity of at least 1, got {capacity!r}")
        window = max(1, capacity // 4) if window is None else window
        if not 1 <= window <= capacity:
            raise ValueError(f"the producer window must be between 1 and the capacity {capacity}, got {window!r}")
        self._items: deque[M] = deque()
        self._getter: Optional[asyncio.Future[None]] = None
        self._putters: deque[asyncio.Future[None]] = deque()
        # The loop of the first wait, kept: asking for the running loop costs a getpid() syscall
        # (fork detection) on every call, and the consumer waits once per message.
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self.capacity = capacity
        self.window = window
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def idle(self) -> bool:
        """Empty, with its consumer waiting for the next message (a test client's quiet point)."""
        return not self._items and self._getter is not None

    def offer(self, item: M) -> bool:
        """Queue ``item`` without waiting; False if the mailbox is closed or holds ``capacity`` items."""
        if self.closed or len(self._items) >= self.capacity:
            return False
        self._items.append(item)
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)
        return True

    async def put(self, item: M) -> bool:
        """Queue ``item``, first waiting while ``window`` or more items are queued.

        Returns False (and queues nothing) if the mailbox is or becomes closed.
        """
        while not self.closed and len(self._items) >= self.window:
            waiter = asyncio.get_running_loop().create_future()
            self._putters.append(waiter)
            try:
                await waiter
            except BaseException:
                waiter.cancel()
                if not self.closed and len(self._items) < self.window:
                    self._wake_putter()  # pass the turn on: this producer will not use it
                raise
        return self.offer(item)

    async def get(self) -> M:
        """The oldest item, waiting for one; ``MailboxClosed`` once closed and drained."""
        while not self._items:
            if self.closed:
                raise MailboxClosed()
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            getter = loop.create_future()
            self._getter = getter
            try:
                await getter
            finally:
                if self._getter is getter:
                    self._getter = None
        return self._take()

    def get_nowait(self) -> Optional[M]:
        """The oldest item, or None when the mailbox is empty."""
        return self._take() if self._items else None

    def peek(self) -> Optional[M]:
        """The oldest item without taking it, or None."""
        return self._items[0] if self._items else None

    def close(self) -> None:
        """Refuse new items from now on; wake the consumer and every waiting producer."""
        self.closed = True
        getter, self._getter = self._getter, None
        if getter is not None and not getter.done():
            getter.set_result(None)
        while self._putters:
            waiter = self._putters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> int:
        """Drop every queued item (on teardown, so they are freed at once); returns how many."""
        count = len(self._items)
        self._items.clear()
        return count

    def _take(self) -> M:
        item = self._items.popleft()
        if self._putters and len(self._items) < self.window:
            self._wake_putter()
        return item

    def _wake_putter(self) -> None:
        while self._putters:
            waiter = self._putters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Mailbox {state} {len(self._items)}/{self.capacity} window={self.window} waiting={len(self._putters)}>"

