"""The connection's outbound side: one writer task and a queue bounded in bytes.

Views, and the socket reader answering heartbeats, hand frames to ``Outbox.push``, which never
waits: a view's actor must not stall because its client is slow. The writer task sends the
frames in order. If the client stops reading, the ASGI server stops accepting writes, frames
pile up here, and once they exceed ``limit`` bytes the outbox gives up: it drops what it holds
and reports the overflow, and the connection closes the socket. Memory for a stalled client is
therefore bounded by ``limit`` plus the server's own transport buffer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Awaitable, Callable, Optional

import orjson

Send = Callable[[dict], Awaitable[None]]


class Outbox:
    """Frames waiting for the socket, their total size, and the task that writes them."""

    __slots__ = ("_send", "_frames", "_bytes", "_wake", "limit", "on_overflow", "closed", "sent_frames", "peak_bytes")

    def __init__(self, send: Send, limit: int, on_overflow: Callable[[int], None]) -> None:
        if limit < 1:
            raise ValueError(f"the outbox limit must be a positive number of bytes, got {limit!r}")
        self._send = send
        self._frames: deque[tuple[str, int]] = deque()
        self._bytes = 0
        self._wake: Optional[asyncio.Future[None]] = None
        self.limit = limit
        self.on_overflow = on_overflow
        self.closed = False
        self.sent_frames = 0
        self.peak_bytes = 0

    @property
    def queued_bytes(self) -> int:
        """Bytes encoded but not yet handed to the server."""
        return self._bytes

    def push(self, frame: list) -> None:
        """Encode ``frame`` and queue it. Raises ``TypeError`` for a value JSON cannot encode
        (a bug in the caller, reported where it happened); a closed outbox drops the frame."""
        data = orjson.dumps(frame)
        if self.closed:
            return
        size = len(data)
        if self._frames and self._bytes + size > self.limit:
            # One frame larger than the limit is still sent when nothing else waits (a big join
            # render); a queue that keeps growing means the client is not reading.
            queued = self._bytes + size
            self.close()
            self.on_overflow(queued)
            return
        self._frames.append((data.decode(), size))
        self._bytes += size
        if self._bytes > self.peak_bytes:
            self.peak_bytes = self._bytes
        wake = self._wake
        if wake is not None:
            self._wake = None
            if not wake.done():
                wake.set_result(None)

    async def run(self) -> None:
        """The writer task: send queued frames in order until closed (or the peer goes away)."""
        frames = self._frames
        send = self._send
        while not self.closed:
            if not frames:
                wake = asyncio.get_running_loop().create_future()
                self._wake = wake
                try:
                    await wake
                finally:
                    if self._wake is wake:
                        self._wake = None
                continue
            text, size = frames.popleft()
            try:
                await send({"type": "websocket.send", "text": text})
            finally:
                if not self.closed:  # close() already released everything
                    self._bytes -= size
            self.sent_frames += 1

    def close(self) -> None:
        """Stop: drop queued frames (freeing them now) and let the writer task finish."""
        self.closed = True
        self._frames.clear()
        self._bytes = 0
        wake, self._wake = self._wake, None
        if wake is not None and not wake.done():
            wake.set_result(None)

