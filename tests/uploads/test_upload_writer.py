"""The temp file an upload's bytes go to: the limit holds on every path, and the bytes are intact
whether they were written on the loop or, after a slow write, in a worker thread."""

from __future__ import annotations

from pathlib import Path

from async_runner import run
from hypothesis import given, settings
from hypothesis import strategies as st

from pyview_core import upload_writer
from pyview_core.upload_writer import TempFileWriter, UploadTooLarge


@settings(max_examples=40, deadline=None)
@given(chunks=st.lists(st.binary(max_size=300), max_size=12), limit=st.integers(0, 2000), slow=st.booleans())
def test_the_file_holds_exactly_the_bytes_up_to_the_limit(tmp_path_factory, chunks, limit, slow):
    directory = tmp_path_factory.mktemp("writer")
    old = upload_writer.SLOW_WRITE
    upload_writer.SLOW_WRITE = -1.0 if slow else 10.0  # every write "slow": the threaded path after the first

    async def scenario() -> tuple[bytes, bool, bool]:
        writer = TempFileWriter(directory, limit)
        path = Path(writer.open())
        written = b""
        refused = False
        for chunk in chunks:
            try:
                await writer.write(chunk)
            except UploadTooLarge:
                refused = True
                break
            written += chunk
        writer.close()
        content = path.read_bytes()
        writer.discard()
        assert not path.exists()
        assert content == written
        return content, refused, writer.threaded

    try:
        content, refused, threaded = run(scenario())
    finally:
        upload_writer.SLOW_WRITE = old
    assert len(content) <= limit
    assert refused == (sum(map(len, chunks)) > limit)
    assert threaded == (slow and bool(chunks) and len(chunks[0]) <= limit)
