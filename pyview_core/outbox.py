"""The connection's outbound side: frames in order, a queue bounded in bytes, one writer task.

Views, and the socket reader answering heartbeats, hand frames to ``Outbox.push``, which never
waits: a view's actor must not stall because its client is slow.

The common case costs no task switch. When nothing is queued, ``push`` starts the ASGI ``send``
itself and runs it as far as it goes without waiting; with a client that reads, the server takes
the frame at once (uvicorn's send only waits while the transport is paused) and that is the end
of it. Only a send that has to wait is handed to the writer task, which finishes it and then
sends whatever queued up meanwhile, in order. (Waking a writer task for every frame instead cost
one event-loop iteration per reply, a measurable share of a click.)

If the client stops reading, the server stops taking writes, frames pile up here, and once they
exceed ``limit`` bytes the outbox gives up: it drops what it holds, reports the overflow, and the
connection closes the socket. Memory for a stalled client is therefore bounded by ``limit`` plus
the server's own transport buffer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import Any, Awaitable, Callable, Optional

import orjson

Send = Callable[[dict], Awaitable[None]]


class Outbox:
    """Frames waiting for the socket, their total size, and the task that writes them."""

    __slots__ = (
        "_send", "_frames", "_bytes", "_wake", "_stalled", "limit", "on_overflow", "closed", "failure",
    )

    def __init__(self, send: Send, limit: int, on_overflow: Callable[[int], None]) -> None:
        if limit < 1:
            raise ValueError(f"the outbox limit must be a positive number of bytes, got {limit!r}")
        self._send = send
        self._frames: deque[tuple[str, int]] = deque()
        self._bytes = 0
        self._wake: Optional[asyncio.Future[None]] = None
        # A send that had to wait: (its coroutine, what it waits for, its size). The writer task
        # finishes it before anything queued behind it.
        self._stalled: Optional[tuple[Coroutine[Any, Any, Any], Any, int]] = None
        self.limit = limit
        self.on_overflow = on_overflow
        self.closed = False
        self.failure: Optional[BaseException] = None  # why a send failed (the peer went away)

    @property
    def queued_bytes(self) -> int:
        """Bytes encoded but not yet taken by the server."""
        return self._bytes

    def push(self, frame: list) -> None:
        """Encode ``frame`` and send or queue it. Raises ``TypeError`` for a value JSON cannot
        encode (a bug in the caller, reported where it happened); a closed outbox drops the frame."""
        data = orjson.dumps(frame)
        if self.closed:
            return
        size = len(data)
        if self._stalled is None and not self._frames:
            self._start(data.decode(), size)
            return
        if self._bytes + size > self.limit:
            # One frame larger than the limit is still sent when nothing else waits (a big join
            # render); a queue that keeps growing means the client is not reading.
            queued = self._bytes + size
            self.close()
            self.on_overflow(queued)
            return
        self._frames.append((data.decode(), size))
        self._bytes += size
        self._wake_writer()

    def _start(self, text: str, size: int) -> None:
        """Run one ASGI send until it finishes or has to wait; a waiting send goes to the writer."""
        coro = self._send({"type": "websocket.send", "text": text})
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except BaseException as exc:  # the peer went away: the reader sees the disconnect too
            self._fail(exc)
            return
        self._stalled = (coro, waiting, size)
        self._bytes += size
        self._wake_writer()

    async def run(self) -> None:
        """The writer task: finish a send that had to wait, then send what queued up, in order."""
        frames = self._frames
        while not self.closed:
            if self._stalled is not None:
                coro, waiting, size = self._stalled
                try:
                    await _finish(coro, waiting)
                finally:
                    self._stalled = None
                    if not self.closed:  # close() already released everything
                        self._bytes -= size
            elif frames:
                text, size = frames.popleft()
                self._bytes -= size
                self._start(text, size)
            else:
                wake = asyncio.get_running_loop().create_future()
                self._wake = wake
                try:
                    await wake
                finally:
                    if self._wake is wake:
                        self._wake = None
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        """Stop: drop queued frames (freeing them now) and let the writer task finish."""
        self.closed = True
        self._frames.clear()
        self._bytes = 0
        self._wake_writer()

    def _fail(self, exc: BaseException) -> None:
        self.failure = exc
        self.close()

    def _wake_writer(self) -> None:
        wake, self._wake = self._wake, None
        if wake is not None and not wake.done():
            wake.set_result(None)


async def _finish(coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
    """Drive a coroutine that was started by hand and is waiting on ``waiting`` to its end, as the
    task running it would have: await what it waits for, then resume it with the outcome."""
    try:
        while True:
            try:
                if waiting is None:  # a bare yield: give the loop one turn
                    await asyncio.sleep(0)
                else:
                    # What a task does with a future its coroutine yields: take over the wait (an
                    # asyncio future refuses a second await while still marked as blocking).
                    waiting._asyncio_future_blocking = False
                    await waiting
            except BaseException as exc:
                waiting = coro.throw(exc)
            else:
                waiting = coro.send(None)
    except StopIteration:
        return
    finally:
        coro.close()
