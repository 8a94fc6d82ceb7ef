"""Where an upload's bytes go: a temp file that refuses to grow past its limit.

The limit is the smaller of the declared size and ``max_file_size``: a client that declared 1 KB
and sends more, or sends past the maximum, is stopped at the first byte too many, and the partial
file is deleted.

A chunk is written on the event loop: into the page cache that takes microseconds, and handing
each 64 KB chunk to a worker thread cost more than the write (two thread wake-ups per chunk: 45%
more CPU per MB in ``benchmarks/uploads.py``). A write that takes longer than ``SLOW_WRITE``
seconds (a slow or network disk) moves that upload's later writes to a worker thread, so the loop
is never held for long.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Optional


SLOW_WRITE = 0.002


class UploadTooLarge(Exception):
    """A chunk would take the file past its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class TempFileWriter:
    """One upload's temp file in ``directory``: ``write`` chunks, then ``close`` or ``discard``."""

    def __init__(self, directory: Path, limit: int) -> None:
        self.directory = directory
        self.limit = limit
        self.received = 0
        self.path: Optional[str] = None
        self._fd: Optional[int] = None
        self.threaded = False  # set after a slow write: later writes go to a worker thread

    def open(self) -> str:
        """Create the (empty) file now: a join that cannot create it is refused (``writer_error``)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fd, self.path = tempfile.mkstemp(prefix="pyview-upload-", dir=self.directory)
        return self.path

    async def write(self, chunk: bytes) -> None:
        if self.received + len(chunk) > self.limit:
            raise UploadTooLarge(self.limit)
        if self._fd is None:
            raise OSError("the upload file is closed")
        self.received += len(chunk)
        if self.threaded:
            await asyncio.to_thread(_write_all, self._fd, chunk)
            return
        started = time.perf_counter()
        _write_all(self._fd, chunk)
        if time.perf_counter() - started > SLOW_WRITE:
            self.threaded = True

    def close(self) -> None:
        """Keep the file (the upload is complete); it is deleted when consumed or discarded."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Close and delete the file (cancelled, refused, abandoned, consumed, view gone)."""
        self.close()
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.path = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
