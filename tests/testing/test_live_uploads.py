"""Uploads in the test client (``file_input``): files chosen, validated, sent in chunks and
consumed through the real protocol, as the 1.2 client does it; each refusal names what the page has.

The views are in ``tcu_views.py``; files left in the app's upload dir are counted after each
scenario (every temp file must be gone once consumed or refused).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import tcu_views
from async_runner import run

from pyview_core.testing import FileInput, LiveViewTestError, file_input, live

A = b"0123456789abcdefghij"  # 20 bytes: 50% is 10 bytes, one chunk of the auto view
B = b"the second file, thirty bytes!"


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def app(upload_dir: Path) -> Any:
    return tcu_views.make_app(upload_dir)


def attr(html: str, name: str, input_name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{input_name}"[^>]*>', html)
    assert tag, html
    found = re.search(rf'{name}="([^"]*)"', tag.group(0))
    return found.group(1) if found else ""


class Recorder:
    """The frames the test browser sends on its socket (text decoded, binary split per §2.3)."""

    def __init__(self, view: Any) -> None:
        self.frames: list[Any] = []
        peer = view._connection.peer
        send_text, send_bytes = peer.send_text, peer.send_bytes

        def text(data: str) -> None:
            self.frames.append(orjson.loads(data))
            send_text(data)

        def binary(data: bytes) -> None:
            sizes, offset, fields = data[1:5], 5, []
            for size in sizes:
                fields.append(data[offset:offset + size].decode())
                offset += size
            self.frames.append(("binary", *fields, data[offset:]))
            send_bytes(data)

        peer.send_text, peer.send_bytes = text, binary

    def events(self) -> list[str]:
        return [f"{f[3]} {f[4]}" if f[0] == "binary" else f"{f[2].split(':')[0]}:{f[3]}" for f in self.frames]


# ================================================================================ auto upload


def test_auto_upload_of_two_files_shows_progress_and_consumes_them(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            upload = file_input(view, "#upload-form", "docs", [{"name": "a.txt", "content": A}, {"name": "b.txt", "content": B}])
            assert view.has_element("#changes", text="0")  # nothing is sent before a step
            html = await upload.render_upload("a.txt", 50)  # chooses both, sends half of a.txt
            assert view.has_element("#entry-0", text="a.txt 50%") and view.has_element("#entry-1", text="b.txt 0%")
            assert view.has_element("#changes", text="1")
            assert attr(html, "data-phx-active-refs", "docs") == "0,1"
            assert attr(html, "data-phx-preflighted-refs", "docs") == "0,1"
            a, b = upload.entries["a.txt"], upload.entries["b.txt"]
            assert (a.ref, a.sent, a.progress, a.done, a.errors) == ("0", 10, 50, False, [])
            assert isinstance(a.token, str) and isinstance(b.token, str) and b.sent == 0
            assert len(files_in(upload_dir)) == 1  # a.txt is on its way; b.txt has not started

            html = await upload.render_upload("a.txt", 100)
            assert view.has_element("#saved li", text="a.txt=0123456789abcdefghij")
            assert not view.has_element("#entry-0") and a.done and a.progress == 100
            assert files_in(upload_dir) == []  # consumed

            await upload.render_upload("b.txt")  # percent defaults to 100
            assert [li for li in re.findall(r"<li>([^<]*)</li>", view.html())] == [
                "a.txt=0123456789abcdefghij", "b.txt=the second file, thirty bytes!",
            ]
            assert not view.has_element("#entries li")
            assert attr(view.html(), "data-phx-active-refs", "docs") == ""

            with pytest.raises(LiveViewTestError, match=r"'a.txt' is already uploaded completely"):
                await upload.render_upload("a.txt", 100)
        assert files_in(upload_dir) == []

    run(scenario())


def test_select_on_an_auto_upload_input_uploads_every_file(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            upload = view.file_input("#upload-form", "docs", [{"name": "a.txt", "content": A}, {"name": "b.txt", "content": B}])
            assert isinstance(upload, FileInput)
            await upload.select()
            assert view.has_element("#saved", text="a.txt=0123456789abcdefghij")
            assert view.has_element("#saved", text="b.txt=the second file, thirty bytes!")
            assert all(e.done and e.progress == 100 for e in upload.entries.values())
            with pytest.raises(LiveViewTestError, match="were chosen already"):
                await upload.select()
        assert files_in(upload_dir) == []

    run(scenario())


def test_the_frames_are_the_clients(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            wire = Recorder(view)
            upload = file_input(view, "#upload-form", "docs", [{"name": "a.txt", "content": A, "last_modified": 1700000000000}])
            upload_ref = attr(view.html(), "data-phx-upload-ref", "docs")
            await upload.select()
            change, preflight, join = wire.frames[0], wire.frames[1], wire.frames[2]
            assert change[2].startswith("lv:") and change[3] == "event"
            assert change[4] == {
                "type": "form", "event": "validate", "value": "", "meta": {"_target": "docs"},
                "uploads": {upload_ref: [{
                    "path": "docs", "ref": "0", "last_modified": 1700000000000, "name": "a.txt",
                    "relative_path": "", "type": "text/plain", "size": 20,
                }]},
            }
            assert preflight[3] == "allow_upload" and preflight[4] == {"ref": upload_ref, "entries": [{
                "last_modified": 1700000000000, "name": "a.txt", "relative_path": "", "size": 20, "type": "text/plain", "ref": "0",
            }]}
            assert join[0] == join[1] and join[2:4] == ["lvu:0", "phx_join"] and join[4] == {"token": upload.entries["a.txt"].token}
            # two chunks of chunk_size 10, each answered before the next, each followed by its progress
            assert wire.events()[3:] == ["lvu:0 chunk", "lv:progress", "lvu:0 chunk", "lv:progress"]
            chunks = [f for f in wire.frames if f[0] == "binary"]
            assert [c[1] for c in chunks] == [join[0]] * 2 and [c[5] for c in chunks] == [A[:10], A[10:]]
            progress = [f[4] for f in wire.frames if f[0] != "binary" and f[3] == "progress"]
            assert progress == [
                {"event": None, "ref": upload_ref, "entry_ref": "0", "progress": 50},
                {"event": None, "ref": upload_ref, "entry_ref": "0", "progress": 100},
            ]
            # entry refs count on per test browser, in selection order
            more = file_input(view, "#upload-form", "docs", [{"name": "c.txt", "content": b"c"}, {"name": "d.txt", "content": b"d"}])
            await more.select()
            assert [more.entries["c.txt"].ref, more.entries["d.txt"].ref] == ["1", "2"]
        assert files_in(upload_dir) == []

    run(scenario())


# ================================================================================ refused files


def test_too_large_and_wrong_type_files_are_shown_and_cannot_be_uploaded(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            upload = file_input(view, "#upload-form", "docs", [
                {"name": "big.txt", "content": b"x" * 101},
                {"name": "pic.png", "content": b"\x89PNG..."},  # type image/png, guessed from the name
                {"name": "ok.txt", "content": b"fine"},
            ])
            assert upload.entries["pic.png"].type == "image/png"
            html = await upload.select()  # succeeds: the page shows the errors, the valid file goes through
            assert view.has_element("#entry-0", text="big.txt 0% too_large")
            assert view.has_element("#entry-1", text="pic.png 0% not_accepted")
            assert view.has_element("#saved", text="ok.txt=fine")
            assert attr(html, "data-phx-error-refs", "docs") == "0,1"
            assert upload.entries["big.txt"].errors == ["too_large"]
            assert upload.entries["pic.png"].errors == ["not_accepted"]
            assert upload.entries["ok.txt"].done and upload.entries["ok.txt"].errors == []
            with pytest.raises(LiveViewTestError, match=r"'big.txt' \(entry 0\) cannot be uploaded: the server refused it: too_large"):
                await upload.render_upload("big.txt")
            with pytest.raises(LiveViewTestError, match=r"'pic.png' \(entry 1\) cannot be uploaded: the server refused it: not_accepted"):
                await upload.render_upload("pic.png", 10)
            assert view.has_element("#entry-0", text="too_large")  # the page is as it was
        assert files_in(upload_dir) == []

    run(scenario())


def test_with_too_many_files_only_the_first_ones_upload(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            upload = file_input(view, "#upload-form", "docs", [{"name": f"{n}.txt", "content": b"x"} for n in "abc"])
            await upload.select()
            # as Phoenix does for an auto upload: the first max_files files still upload, the rest do not
            assert view.has_element("#saved", text="a.txt=x") and view.has_element("#saved", text="b.txt=x")
            assert upload.entries["c.txt"].token is None
            with pytest.raises(LiveViewTestError, match=r"'c.txt' \(entry 2\) cannot be uploaded"):
                await upload.render_upload("c.txt")
            assert not view.has_element("#saved", text="c.txt")
        assert files_in(upload_dir) == []

    run(scenario())


def test_a_cancelled_upload_stops_and_its_bytes_are_deleted(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            upload = file_input(view, "#upload-form", "docs", [{"name": "a.txt", "content": A}, {"name": "b.txt", "content": B}])
            await upload.render_upload("a.txt", 50)
            assert len(files_in(upload_dir)) == 1
            await view.element("#cancel-0").click()
            assert not view.has_element("#entry-0") and files_in(upload_dir) == []
            with pytest.raises(LiveViewTestError, match=r"the file input no longer holds 'a.txt' \(entry 0 is not in its data-phx-active-refs='1'"):
                await upload.render_upload("a.txt")
            await upload.render_upload("b.txt")
            assert view.has_element("#saved", text="b.txt=the second file")
        assert files_in(upload_dir) == []

    run(scenario())


def test_a_refused_join_is_reported_to_the_server_and_raised(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            upload = file_input(view, "#upload-form", "docs", [{"name": "a.txt", "content": A}, {"name": "b.txt", "content": B}])
            await upload.render_upload("a.txt", 50)  # both preflighted; b.txt not joined yet
            upload.entries["b.txt"].token = upload.entries["a.txt"].token  # a token signed for entry 0
            wire = Recorder(view)
            with pytest.raises(LiveViewTestError, match=r"the server refused the upload of 'b.txt' \(entry 1\): disallowed"):
                await upload.render_upload("b.txt")
            # as EntryUploader.error: no leave (never joined), the failure reported on the view's topic
            upload_ref = attr(view.html(), "data-phx-upload-ref", "docs")
            assert wire.events() == ["lvu:phx_join", "lv:progress"]
            assert wire.frames[-1][4] == {"event": None, "ref": upload_ref, "entry_ref": "1", "progress": {"error": "disallowed"}}
            assert view.has_element("#entry-1", text="b.txt 0% incomplete")
            with pytest.raises(LiveViewTestError, match=r"failed earlier: disallowed"):
                await upload.render_upload("b.txt")
            await upload.render_upload("a.txt")
            assert view.has_element("#saved", text="a.txt=")
        assert files_in(upload_dir) == []

    run(scenario())


def test_submit_needs_phx_submit(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/docs") as view:
            upload = file_input(view, "#upload-form", "docs", [{"name": "a.txt", "content": A}])
            with pytest.raises(LiveViewTestError, match=r"form '#upload-form' has no phx-submit"):
                await upload.submit()
            assert view.has_element("#changes", text="0")  # refused before anything was sent

    run(scenario())


# ================================================================================ manual upload


def test_manual_upload_sends_nothing_until_submit_and_the_submit_handler_consumes(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/photos") as view:
            wire = Recorder(view)
            photos = file_input(view, "#photo-form", "photos", [
                {"name": "a.png", "content": b"p" * 150}, {"name": "b.jpg", "content": b"j" * 40},
            ])
            html = await photos.select()  # only the change: the server validates, no byte is sent
            assert wire.events() == ["lv:event"]
            assert view.has_element("#photo-0", text="a.png 0%") and view.has_element("#photo-1", text="b.jpg 0%")
            assert "('_target', ['photos'])" in view.element("#changed").html()
            assert attr(html, "data-phx-preflighted-refs", "photos") == ""
            assert photos.entries["a.png"].token is None and files_in(upload_dir) == []

            await photos.submit({"title": "Trip"})
            saved = re.findall(r"<li>([^<]*)</li>", view.element("#saved").html())
            assert saved == ["title=Trip", "photos:a.png:image/png:150", "photos:b.jpg:image/jpeg:40"]
            kinds = wire.events()
            # uploads first (one preflight, then each file's chunks and progress), the submit last
            assert kinds[:2] == ["lv:event", "lv:allow_upload"] and kinds[-1] == "lv:event"
            assert kinds.count("lvu:phx_join") == 2 and kinds.count("lvu:0 chunk") == 3 and kinds.count("lvu:1 chunk") == 1
            assert wire.frames[-1][4]["event"] == "save" and "uploads" not in wire.frames[-1][4]
            assert all(e.done for e in photos.entries.values())
            assert not view.has_element("#entries li")
        assert files_in(upload_dir) == []

    run(scenario())


def test_the_forms_own_submit_uploads_the_chosen_files_first(app: Any, upload_dir: Path):
    """``view.form(...).submit()`` of a form holding chosen files does what the client does: it
    uploads them, then sends phx-submit (not a submit whose handler finds no files)."""
    async def scenario():
        async with live(app, "/photos") as view:
            wire = Recorder(view)
            await file_input(view, "#photo-form", "photos", [{"name": "a.png", "content": b"p" * 150}]).select()
            await view.form("#photo-form", {"title": "Trip"}).submit()
            saved = re.findall(r"<li>([^<]*)</li>", view.element("#saved").html())
            assert saved == ["title=Trip", "photos:a.png:image/png:150"]
            kinds = wire.events()
            assert kinds[1] == "lv:allow_upload" and kinds.count("lvu:0 chunk") == 3 and kinds[-1] == "lv:event"
            await view.form("#photo-form", {"title": "Again"}).submit()  # nothing left to send: a plain submit
            assert wire.events()[-1] == "lv:event" and wire.events().count("lv:allow_upload") == 1

    run(scenario())


def test_manual_progress_is_the_upload_a_submit_starts(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/photos") as view:
            photos = file_input(view, "#photo-form", "photos", [{"name": "a.png", "content": b"p" * 200}])
            await photos.render_upload("a.png", 50)  # chooses it, preflights, 100 of 200 bytes
            assert view.has_element("#photo-0", text="a.png 50%")
            assert len(files_in(upload_dir)) == 1
            await photos.submit()  # finishes the upload in progress, then submits
            assert view.has_element("#saved", text="photos:a.png:image/png:200")
        assert files_in(upload_dir) == []

    run(scenario())


def test_a_form_with_upload_errors_is_not_submitted(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/photos") as view:
            photos = file_input(view, "#photo-form", "photos", [
                {"name": "a.png", "content": b"p"}, {"name": "notes.txt", "content": b"t"},
            ])
            await photos.select()
            assert view.has_element("#photo-1", text="notes.txt 0% not_accepted")
            with pytest.raises(LiveViewTestError, match=r"upload errors .* 'notes.txt' \(entry 1\), so the client cancels the submit"):
                await photos.submit()
            with pytest.raises(LiveViewTestError, match=r"upload errors"):
                await photos.render_upload("a.png")  # what a submit would start
            with pytest.raises(LiveViewTestError, match=r"the page shows an error for 'notes.txt' \(entry 1 is in data-phx-error-refs"):
                await photos.render_upload("notes.txt")
            assert not view.has_element("#saved li") and files_in(upload_dir) == []

    run(scenario())


def test_a_single_file_input_replaces_its_file(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/photos") as view:
            first = file_input(view, "#photo-form", "avatar", [{"name": "me.png", "content": b"1"}])
            await first.select()
            second = file_input(view, "#photo-form", "avatar", [{"name": "me2.png", "content": b"22"}])
            await second.select()
            assert view.has_element("#avatar-1", text="me2.png") and not view.has_element("#avatar-0")
            with pytest.raises(LiveViewTestError, match=r"no longer holds 'me.png' \(entry 0"):
                await first.render_upload("me.png")
            await second.submit()
            assert view.has_element("#saved", text="avatar:me2.png:image/png:2")
        assert files_in(upload_dir) == []

    run(scenario())


# ================================================================================ refusals of the helper


def test_the_helper_refuses_what_the_page_does_not_offer(app: Any, upload_dir: Path):
    async def scenario():
        async with live(app, "/photos") as view:
            png = [{"name": "a.png", "content": b"p"}]
            with pytest.raises(LiveViewTestError, match=r"no element matching '#nope'; elements with phx-change:\n  <form id=\"photo-form\""):
                file_input(view, "#nope", "photos", png)
            with pytest.raises(LiveViewTestError, match=r"'#changed' is a <pre>, not a <form>"):
                file_input(view, "#changed", "photos", png)
            with pytest.raises(LiveViewTestError, match=r"form '#photo-form' has no file input named 'photo'; its file inputs: 'photos', 'avatar'"):
                file_input(view, "#photo-form", "photo", png)
            with pytest.raises(LiveViewTestError, match=r"has no file input named 'attachment' \(the page has one outside it"):
                file_input(view, "#photo-form", "attachment", png)
            with pytest.raises(LiveViewTestError, match=r"'attachment' of form '#plain-form' is not a live_file_input \(no data-phx-upload-ref\)"):
                file_input(view, "#plain-form", "attachment", png)
            with pytest.raises(LiveViewTestError, match=r"'avatar' of form '#photo-form' takes one file \(it has no multiple attribute.*got 2: 'a.png', 'b.png'"):
                file_input(view, "#photo-form", "avatar", [*png, {"name": "b.png", "content": b"q"}])
            static = file_input(view, "#static-form", "notes", png)
            with pytest.raises(LiveViewTestError, match=r"neither the file input nor the form has phx-change"):
                await static.select()

            with pytest.raises(LiveViewTestError, match=r"is empty: the client ignores files of 0 bytes"):
                file_input(view, "#photo-form", "photos", [{"name": "e.png", "content": b""}])
            with pytest.raises(LiveViewTestError, match=r"two files named 'a.png'"):
                file_input(view, "#photo-form", "photos", [*png, *png])
            with pytest.raises(LiveViewTestError, match=r"unknown keys \['size'\]"):
                file_input(view, "#photo-form", "photos", [{"name": "a.png", "content": b"p", "size": 3}])
            upload = file_input(view, "#photo-form", "photos", png)
            with pytest.raises(LiveViewTestError, match=r"no file 'b.png' was chosen; the files are: 'a.png'"):
                await upload.render_upload("b.png")
            with pytest.raises(LiveViewTestError, match=r"percent must be an int from 1 to 100"):
                await upload.render_upload("a.png", 0)
            assert not view.has_element("#entries li")  # none of it sent anything
        assert files_in(upload_dir) == []

    run(scenario())
