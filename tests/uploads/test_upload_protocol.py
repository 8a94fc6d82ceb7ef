"""Uploads over the wire (PROTOCOL.md §6.3-6.4), frame by frame, as the 1.2.12 client sends them,
and as a hostile client might: every refusal is a clear error reply, and no byte beyond what the
constraints allow is ever stored. The app runs in process; files are counted in its upload dir.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

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
            frame = self.conn.dispatch(await self.peer.receive(timeout))
            if match(frame):
                return frame

    async def preflight(self, *entries: dict) -> dict:
        reply = await self.request("allow_upload", {"ref": self.upload_ref(), "entries": list(entries)})
        assert reply["status"] == "ok", reply
        return reply["response"]

    async def join(self, topic: str, token: Any, jr: str) -> dict:
        return (await self.frame([jr, jr, topic, "phx_join", {"token": token}]))[4]

    async def start(self, entry: dict = TXT, jr: str = "90") -> str:
        """Preflight one file and join its upload channel, as the client does; its token."""
        token = (await self.preflight(entry))["entries"][entry["ref"]]
        assert (await self.join(f"lvu:{entry['ref']}", token, jr))["status"] == "ok"
        return token

    async def upload_part(self, upload_dir: Path) -> None:
        """Start a 15-byte upload and send its first 10 bytes: a transfer in progress, one file on disk."""
        await self.start()
        await self.send_file("lvu:0", "90", b"0123456789")
        assert len(files_in(upload_dir)) == 1

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


def test_preflight_refuses_what_the_constraints_do_not_allow(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            answer = await wire.preflight(
                {**TXT, "ref": "0", "name": "run.exe", "type": "application/x-msdownload"},
                {**TXT, "ref": "1", "name": "big.txt", "size": 101},
                {**TXT, "ref": "2", "name": "fake.txt", "type": "image/png"},  # the name fits, the type does not
                {**TXT, "ref": "3", "name": "data.csv", "type": "text/csv"},
            )
            assert answer["errors"] == {"0": ["not_accepted"], "1": ["too_large"], "2": ["not_accepted"]}
            assert set(answer["entries"]) == {"3"}
            assert view.has_element("#e-1", text="too_large")
            answer = await wire.preflight(*({**TXT, "ref": str(i)} for i in (4, 5)))  # 3 valid > max_files 2
            upload_ref = wire.upload_ref()
            # as Phoenix does for an auto upload: the first max_files valid files may still upload
            assert answer["errors"] == {upload_ref: ["too_many_files"]} and set(answer["entries"]) == {"4"}
            assert view.has_element("#errors", text="too_many_files")
            assert files_in(upload_dir) == []

    run(scenario())


def test_forged_foreign_and_replayed_tokens_are_refused(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as other:  # another view (another tab)
            foreign = (await Wire(other).preflight(TXT))["entries"]["0"]
            async with live(app, "/upload") as view:
                wire = Wire(view)
                token = (await wire.preflight(TXT))["entries"]["0"]
                assert (await wire.join("lvu:0", token[:-2] + "xx", "91"))["response"] == {"reason": "invalid_token"}
                assert (await wire.join("lvu:0", foreign, "92"))["response"] == {"reason": "invalid_token"}
                assert (await wire.join("lvu:0", "not a token", "93"))["response"] == {"reason": "invalid_token"}
                assert (await wire.join("lvu:7", token, "94"))["response"] == {"reason": "disallowed"}  # the token names entry 0
                assert (await wire.join("lvu:0", token, "95"))["status"] == "ok"
                assert (await wire.join("lvu:0", token, "96"))["response"] == {"reason": "already_registered"}
                await wire.send_file("lvu:0", "95", b"hello, uploads!")
                await wire.progress("0", 100)
                assert view.has_element("#saved", text="a.txt=hello")
                # consumed: the same token cannot upload again
                assert (await wire.join("lvu:0", token, "97"))["response"] == {"reason": "disallowed"}
            assert files_in(upload_dir) == []

    run(scenario())


def test_bytes_past_the_declared_size_stop_the_upload_and_delete_the_file(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            token = (await wire.preflight(TXT))["entries"]["0"]  # declares 15 bytes
            await wire.join("lvu:0", token, "90")
            replies = await wire.send_file("lvu:0", "90", b"0123456789" * 3)
            assert replies[0] == {"status": "ok", "response": {}}
            assert replies[1] == {"status": "error", "response": {"reason": "file_size_limit_exceeded", "limit": 15}}
            assert files_in(upload_dir) == []
            third = await wire.binary(chunk_frame("90", "99", "lvu:0", b"x"), "99", "lvu:0")
            assert third[4]["response"] == {"reason": "unmatched topic"}  # the upload channel is gone
            await wire.progress("0", 50)
            assert view.has_element("#e-0", text="too_large")

    run(scenario())


def test_a_chunk_before_the_previous_answer_is_refused(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            token = (await wire.preflight({**TXT, "size": 20}))["entries"]["0"]
            await wire.join("lvu:0", token, "90")
            wire.peer.send_bytes(chunk_frame("90", "100", "lvu:0", b"0123456789"))
            wire.peer.send_bytes(chunk_frame("90", "101", "lvu:0", b"0123456789"))  # did not wait for 100
            second = await wire.until(lambda f: f[1] == "101" and f[3] == "phx_reply")
            assert second[4]["response"] == {"reason": "a chunk was sent before the previous one was answered"}
            first = await wire.until(lambda f: f[1] == "100" and f[3] == "phx_reply")
            assert first[4]["status"] == "ok"

    run(scenario())


def test_completion_is_judged_by_the_bytes_not_the_client(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            await wire.start()
            await wire.send_file("lvu:0", "90", b"0123456789")  # 10 of 15 bytes
            await wire.progress("0", 100)
            assert view.has_element("#e-0", text="incomplete")
            assert not view.has_element("#saved", text="a.txt")
            assert files_in(upload_dir) == []

    run(scenario())


def test_an_abandoned_upload_times_out_and_its_file_is_deleted(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/slow") as view:  # chunk_timeout 0.2 s
            wire = Wire(view)
            await wire.upload_part(upload_dir)
            error = await wire.until(lambda f: f[2] == "lvu:0" and f[3] == "phx_error")  # then nothing more comes
            assert error[4] == {"reason": "timeout"}
            assert files_in(upload_dir) == []
            await view.render_async()
            assert view.has_element("#e-0", text="timeout")

    run(scenario())


def test_cancel_and_disconnect_delete_the_files(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            answer = await wire.preflight(TXT, {**TXT, "ref": "1", "name": "b.txt"})
            await wire.join("lvu:0", answer["entries"]["0"], "90")
            await wire.join("lvu:1", answer["entries"]["1"], "91")
            await wire.send_file("lvu:0", "90", b"0123456789")
            await wire.send_file("lvu:1", "91", b"0123456789")
            assert len(files_in(upload_dir)) == 2
            reply = await wire.request("event", {"type": "click", "event": "cancel", "value": {"ref": "0"}})
            assert reply["status"] == "ok"
            assert len(files_in(upload_dir)) == 1 and not view.has_element("#e-0")
            refused = await wire.binary(chunk_frame("90", "120", "lvu:0", b"x"), "120", "lvu:0")
            assert refused[4]["response"] == {"reason": "unmatched topic"}
        assert files_in(upload_dir) == []  # the tab closed mid-upload

    run(scenario())


def test_finished_files_not_consumed_are_deleted_with_the_view(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            await wire.request("event", {"type": "click", "event": "keep", "value": {}})
            await wire.start()
            await wire.send_file("lvu:0", "90", b"hello, uploads!")
            await wire.progress("0", 100)
            assert view.has_element("#e-0", text="a.txt 100%")
            assert len(files_in(upload_dir)) == 1
        assert files_in(upload_dir) == []

    run(scenario())


def test_a_form_change_validates_entries_before_any_byte_is_sent(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            uploads = {wire.upload_ref(): [{**TXT, "path": "docs", "name": "x.exe", "type": "application/octet-stream"}]}
            reply = await wire.request("event", {
                "type": "form", "event": "validate", "value": "", "meta": {"_target": "docs"}, "uploads": uploads,
            })
            assert reply["status"] == "ok"
            assert view.has_element("#e-0", text="x.exe 0% not_accepted")
            assert 'data-phx-error-refs="0"' in view.html()

    run(scenario())


def test_a_client_cannot_grow_a_view_by_declaring_files_forever(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            refused = 0
            for batch in range(10):
                entries = [{**TXT, "ref": f"{batch}-{i}", "name": "x.exe"} for i in range(10)]
                reply = await wire.request("allow_upload", {"ref": wire.upload_ref(), "entries": entries})
                refused += reply["status"] == "error"
            assert refused > 0
            assert len(view._channel.uploads.configs["docs"].entries) <= 2 + 32
            assert "holds" in reply["response"]["reason"]

    run(scenario())


def test_a_crash_mid_upload_deletes_the_files(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            await wire.upload_part(upload_dir)
            with pytest.raises(ZeroDivisionError):
                await view.element("#boom").click()
            assert files_in(upload_dir) == []

    run(scenario())


def test_external_uploads_answer_uploader_metadata_and_never_take_bytes(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/external") as view:
            wire = Wire(view)
            answer = await wire.preflight(TXT)
            assert answer["entries"] == {"0": {"uploader": "S3", "url": "https://bucket.example/", "fields": {"key": "docs/a.txt"}}}
            token = wire.view._channel.uploads.signer.sign("upload", {"t": view.topic, "j": view.join_ref, "u": wire.upload_ref(), "e": "0"})
            assert (await wire.join("lvu:0", token, "90"))["response"] == {"reason": "disallowed"}  # no bytes through us
            await wire.progress("0", 40)
            assert view.has_element("#e-0", text="a.txt 40%")
            await wire.progress("0", 100)
            assert view.has_element("#saved", text="a.txt@docs/a.txt;")
            assert files_in(upload_dir) == []

    run(scenario())


def test_a_cancel_closes_the_upload_channel_and_late_progress_is_acknowledged(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            await wire.start()
            await wire.send_file("lvu:0", "90", b"0123456789")
            ref = wire.conn.next_ref()
            wire.conn.send([view.join_ref, ref, view.topic, "event", {"type": "click", "event": "cancel", "value": {"ref": "0"}}])
            seen: list[list] = []
            await wire.until(lambda f: seen.append(f) or (f[1] == ref and f[3] == "phx_reply"))
            # as when Phoenix stops the upload channel: the client stops sending and forgets it
            assert ["lvu:0", "phx_close"] in [f[2:4] for f in seen]
            # reports that crossed the cancel on the wire are acknowledged, not refused
            assert (await wire.progress("0", 66))["status"] == "ok"
            assert (await wire.progress("0", {"error": "unmatched topic"}))["status"] == "ok"
            assert files_in(upload_dir) == []

    run(scenario())


def test_navigating_away_mid_upload_deletes_the_files(upload_dir: Path):
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as view:
            wire = Wire(view)
            await wire.upload_part(upload_dir)
            await view.element("#leave").click()
            view.assert_redirect("/slow")
            await view.follow_redirect()  # the next view joins once the old one has gone
            assert files_in(upload_dir) == []

    run(scenario())


def test_a_stalled_disk_write_does_not_stall_other_views(upload_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from pyview_core import upload_writer

    gate, armed = threading.Event(), threading.Event()
    write = upload_writer._write_all

    def stalling_write(fd: int, data: bytes) -> None:
        if armed.is_set():
            gate.wait(10)  # a disk that hangs until the test lets it go
        write(fd, data)

    monkeypatch.setattr(upload_writer, "_write_all", stalling_write)
    monkeypatch.setattr(upload_writer, "SLOW_WRITE", -1.0)  # after the first write, this upload writes in a thread
    app = upload_views.make_app(upload_dir)

    async def scenario():
        async with live(app, "/upload") as uploading, live(app, "/upload") as other:
            wire = Wire(uploading)
            await wire.start({**TXT, "size": 20})
            await wire.send_file("lvu:0", "90", b"0123456789")  # on the loop; the writer moves to a thread
            armed.set()
            wire.peer.send_bytes(chunk_frame("90", "200", "lvu:0", b"0123456789"))  # this write hangs
            try:
                await Wire(other).request("event", {"type": "click", "event": "keep", "value": {}})  # answered meanwhile
                assert wire.peer.receive_nowait() is None  # the stalled upload is still waiting for its disk
            finally:
                gate.set()
            reply = await wire.until(lambda f: f[1] == "200" and f[3] == "phx_reply")
            assert reply[4]["status"] == "ok"

    run(scenario())
