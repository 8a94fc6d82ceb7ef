"""The two servers that ``benchmarks/uploads.py`` loads: the same upload page on our runtime and on pyview-web.

Both pages hold one auto-upload file input (``docs``: one ``.bin`` file, chunks of
``UPLOAD_BENCH_CHUNK_SIZE`` bytes, at most ``UPLOAD_BENCH_MAX_FILE_SIZE`` bytes), show the last
reported progress, and, once a file is complete, consume it in their progress callback: the file
is read back once through a 1 MiB buffer (its size and CRC-32, :func:`describe`) and the page shows
``consumed: x.bin 50000000 bytes crc32 1a2b3c4d``. The client checks that text in the diff of
its last progress reply, so a number in the results is only kept when the server really stored
every byte in order.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "upload.html"  # shared: both engines read this syntax
CHUNK_SIZE = int(os.environ.get("UPLOAD_BENCH_CHUNK_SIZE", "64000"))  # Phoenix's default
MAX_FILE_SIZE = int(os.environ.get("UPLOAD_BENCH_MAX_FILE_SIZE", str(60_000_000)))
UPLOAD_NAME = "docs"
ACCEPT = [".bin"]
BLOCK = 1 << 20


def describe(name: str, path: str) -> str:
    """What the page shows for a consumed file: its name, size and CRC-32.

    Read back through one 1 MiB buffer, whatever the file's size, so that reading it adds the
    same memory to a 1 MB upload as to a 50 MB one (``f.read(BLOCK)`` in a loop would briefly
    hold two blocks, a 1 MiB peak that only files over one block pay).
    """
    crc, size = 0, 0
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
            size += n
    return f"{name} {size} bytes crc32 {crc:08x}"
