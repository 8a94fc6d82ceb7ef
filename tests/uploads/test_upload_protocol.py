"""Uploads over the wire (PROTOCOL.md §6.3-6.4), frame by frame, as the 1.2.12 client sends them,
and as a hostile client might: every refusal is a clear error reply, and no byte beyond what the
constraints allow is ever stored. The app runs in process; files are counted in its upload dir.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import upload_views
from async_runner import run

from pyview_core.testing import live

TXT = {"ref": "0", "name": "a.txt", "size": 15, "type": "text/plain", "last_modified": 1}


def chunk_frame(join_ref: str, ref: str, topic: str, data: bytes, event: str = "chunk") -> bytes:
    fields = [join_ref.encode(), ref.encode(), topic.encode(), event.encode()]
    return bytes([0, *map(len, fields)]) + b"".join(fields) + data


class Wire:
    """Raw frames on the test client's socket, for what the element-level API cannot express."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.conn = view._connection
        self.peer = self.conn.peer

    def upload_ref(self) -> str:
        found = re.search(r'data-phx-upload-ref="([^"]+)"', self.view.html())
        assert found, self.view.html()
        return found.group(1)

    async def request(self, event: str, payload: dict) -> dict:
        """An lv: channel request through the view (its reply's diff merged); the reply payload."""
        return await self.conn.request(self.view, event, payload)

    async def frame(self, frame: list) -> list:
        """Send a frame on another topic and wait for the reply to its ref (other frames dispatched)."""
        self.conn.send(frame)
        return await self.until(lambda f: f[1] == frame[1] and f[2] == frame[2] and f[3] == "phx_reply")

    async def binary(self, data: bytes, ref: str, topic: str) -> list:
        self.peer.send_bytes(data)
        return await self.until(lambda f: f[1] == ref and f[2] == topic and f[3] == "phx_reply")

    async def until(self, match: Any, timeout: float = 5.0) -> list:
        while True:
            frame = orjson.loads(await self.peer.receive(timeout))
            self.conn.dispatch(orjson.dumps(frame).decode())
            if match(frame):
                return frame

    async def preflight(self, *entries: dict) -> dict:
        reply = await self.request("allow_upload", {"ref": self.upload_ref(), "entries": list(entries)})
        assert reply["status"] == "ok", reply
        return reply["response"]

    async def join(self, topic: str, token: Any, jr: str) -> dict:
        return (await self.frame([jr, jr, topic, "phx_join", {"token": token}]))[4]

    async def send_file(self, topic: str, jr: str, content: bytes, chunk: int = upload_views.CHUNK) -> list[dict]:
        replies = []
        for start in range(0, len(content), chunk):
            ref = self.conn.next_ref()
            replies.append((await self.binary(chunk_frame(jr, ref, topic, content[start:start + chunk]), ref, topic))[4])
        return replies

    async def progress(self, entry_ref: str, percent: Any) -> dict:
        return await self.request("progress", {"event": None, "ref": self.upload_ref(), "entry_ref": entry_ref, "progress": percent})


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def test_a_file_uploads_in_chunks_and_is_consumed(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            answer = await wire.preflight(TXT)
            assert answer["config"] == {"chunk_size": 10, "chunk_timeout": 5000, "max_entries": 2, "max_file_size": 100}
            assert answer["errors"] == {} and set(answer["entries"]) == {"0"}
            assert await wire.join("lvu:0", answer["entries"]["0"], "90") == {"status": "ok", "response": {}}
            assert len(files_in(upload_dir)) == 1  # created at the join
            replies = await wire.send_file("lvu:0", "90", b"hello, uploads!")
            assert replies == [{"status": "ok", "response": {}}] * 2
            await wire.progress("0", 66)
            assert view.has_element("#e-0", text="a.txt 66%")
            await wire.progress("0", 100)
            assert view.has_element("#saved", text="a.txt=hello, uploads!;")
            assert files_in(upload_dir) == []  # consumed: deleted
            assert not view.has_element("#e-0")

    run(scenario())
