"""The photo upload example (/uploads) in a real browser: the official client's upload code
(LiveFileUpload hook, preflight, ``lvu:`` channels, binary chunks, progress) against our server.

Files are chosen with ``set_input_files`` or dropped on the drop zone (``dragenter`` and ``drop``
events carrying a DataTransfer built in the page). Kept photos are shared by every tab of the
server process, so each test names its files uniquely and finds them by name; ``#kept-total``
counts every photo kept since the server started, which tells "nothing was kept" for sure.

A transfer is slowed down with the client's own latency simulator
(``liveSocket.enableLatencySim``: each chunk waits that long after the previous one's reply),
so cancelling mid-upload does not depend on the machine's speed.
"""

from __future__ import annotations

import re
import struct
import tempfile
import uuid
import zlib
from pathlib import Path

import pytest
from test_examples import CONNECTED, open_live

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]

AUTO_INPUT = "#auto-form input[type=file]"
MANUAL_INPUT = "#manual-form input[type=file]"
# Where the server's upload channel writes the bytes it receives (pyview's default upload_dir).
LIBRARY_UPLOAD_DIR = Path(tempfile.gettempdir()) / "pyview-uploads"
TOO_LARGE = "File is too large"
NOT_ACCEPTED = "You have selected an unacceptable file type"


def png(rgb: tuple[int, int, int] = (200, 30, 30), width: int = 2, height: int = 2, padding: int = 0) -> bytes:
    """A valid PNG; ``padding`` zero bytes in a private ancillary chunk make it as large as needed."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    extra = chunk(b"prVt", bytes(padding)) if padding else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")  # 1x1


def unique(name: str) -> str:
    return f"{uuid.uuid4().hex[:8]}-{name}"


def file(name: str, data: bytes, mime: str = "image/png") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def kept(page: Page, name: str):
    """The kept photo listed under its original name."""
    return page.locator("#stored li", has=page.locator(".name", has_text=name))


def entry(page: Page, upload: str, name: str):
    """A pending entry of the ``photos`` (automatic) or ``manual`` upload."""
    return page.locator(f"#{upload}-entries li", has=page.locator(".name", has_text=name))


def kept_total(page: Page) -> int:
    return int(page.inner_text("#kept-total"))


def assert_served(page: Page, photo, data: bytes, mime: str) -> None:
    """The thumbnail's URL answers the uploaded bytes, and the browser decoded them."""
    img = photo.locator("img")
    response = page.request.get(img.get_attribute("src"))
    assert response.status == 200 and response.body() == data
    assert response.headers["content-type"] == mime
    assert response.headers["x-content-type-options"] == "nosniff"
    expect(img).not_to_have_js_property("naturalWidth", 0)


def test_several_files_upload_at_once_and_are_listed_and_served_back(page: Page):
    open_live(page, "/uploads")
    expect(page).to_have_title("Uploads · pyview")
    before = kept_total(page)
    files = [file(unique("red.png"), png()), file(unique("blue.png"), png((0, 0, 255), 3, 1)),
             file(unique("dot.gif"), GIF, "image/gif")]
    page.set_input_files(AUTO_INPUT, files=files)
    for f in files:
        photo = kept(page, f["name"])
        expect(photo).to_have_count(1)
        expect(photo.locator(".size")).to_have_text(f"{len(f['buffer'])} Bytes")
        expect(photo.locator("img")).to_have_attribute("alt", f["name"])
        assert_served(page, photo, f["buffer"], f["mimeType"])
    expect(page.locator("#kept-total")).to_have_text(str(before + 3))
    expect(page.locator("#photos-entries li")).to_have_count(0)  # consumed: no longer pending
    expect(page.locator("#stored li").first.locator(".name")).to_have_text(files[-1]["name"])  # newest first


def test_dropping_files_on_the_drop_zone_uploads_them(page: Page):
    open_live(page, "/uploads")
    names, data = [unique("green.png"), unique("dropped.gif")], [png((10, 200, 10)), GIF]
    transfer = page.evaluate_handle(
        """([files]) => {
            const t = new DataTransfer();
            for (const [name, type, bytes] of files) t.items.add(new File([new Uint8Array(bytes)], name, {type}));
            return t;
        }""",
        [[[names[0], "image/png", list(data[0])], [names[1], "image/gif", list(data[1])]]],
    )
    zone = page.locator("#drop-zone")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bphx-drop-target-active\b"))  # the client's hover style
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(zone).not_to_have_class(re.compile(r"\bphx-drop-target-active\b"))
    for name, content, mime in zip(names, data, ["image/png", "image/gif"]):
        photo = kept(page, name)
        expect(photo.locator(".size")).to_have_text(f"{len(content)} Bytes")
        assert_served(page, photo, content, mime)


def test_a_file_too_large_and_one_of_a_refused_type_show_their_errors_and_are_not_kept(page: Page):
    open_live(page, "/uploads")
    before = kept_total(page)
    big, notes, fine = unique("huge.png"), unique("notes.txt"), unique("fine.gif")
    page.set_input_files(AUTO_INPUT, files=[
        file(big, png(padding=5 * 1024 * 1024)),
        file(notes, b"not a photo\n", "text/plain"),
        file(fine, GIF, "image/gif"),
    ])
    # The good one is uploaded and kept; the others wait with their reasons, before any byte was sent.
    expect(kept(page, fine)).to_have_count(1)
    expect(entry(page, "photos", big).locator(".error")).to_have_text(re.compile(f"^{TOO_LARGE}"))
    expect(entry(page, "photos", big).locator("img")).to_have_attribute("src", re.compile(r"^blob:"))  # preview
    expect(entry(page, "photos", notes).locator(".error")).to_have_text(re.compile(f"^{NOT_ACCEPTED}"))
    expect(entry(page, "photos", notes).locator("img")).to_have_count(0)  # no preview for a text file
    expect(page.locator("#kept-total")).to_have_text(str(before + 1))
    expect(kept(page, big)).to_have_count(0)
    expect(kept(page, notes)).to_have_count(0)

    entry(page, "photos", big).locator("button.cancel").click()
    expect(entry(page, "photos", big)).to_have_count(0)
    entry(page, "photos", notes).locator("button.cancel").click()
    expect(page.locator("#photos-entries li")).to_have_count(0)
    # The input works again after the refusals: another photo goes through.
    again = unique("again.png")
    page.set_input_files(AUTO_INPUT, files=[file(again, png((1, 2, 3)))])
    expect(kept(page, again)).to_have_count(1)
    expect(page.locator("#kept-total")).to_have_text(str(before + 2))


def test_with_too_many_files_only_the_first_ones_upload(page: Page):
    open_live(page, "/uploads")
    before = kept_total(page)
    names = [unique(f"{i}.png") for i in range(4)]
    page.set_input_files(AUTO_INPUT, files=[file(n, png()) for n in names])
    # As in Phoenix: the first three still upload (and are kept); the fourth waits, listed, until
    # the user removes it; the error goes once the kept ones leave the input.
    expect(page.locator("#kept-total")).to_have_text(str(before + 3))
    for name in names[:3]:
        expect(kept(page, name)).to_have_count(1)
    expect(page.locator("#auto .upload-error")).to_have_count(0)
    expect(page.locator("#photos-entries li")).to_have_count(1)
    entry(page, "photos", names[3]).locator("button.cancel").click()
    expect(page.locator("#photos-entries li")).to_have_count(0)


def test_bytes_that_are_not_an_image_are_refused_after_the_upload(page: Page):
    open_live(page, "/uploads")
    before = kept_total(page)
    fake = unique("fake.png")  # the name and the declared type pass; the bytes do not
    page.set_input_files(AUTO_INPUT, files=[file(fake, b"<script>alert(1)</script>" * 4)])
    expect(page.locator("#notices li").first).to_have_text(f"{fake} is not a PNG, JPEG or GIF image: not kept")
    expect(entry(page, "photos", fake)).to_have_count(0)
    expect(kept(page, fake)).to_have_count(0)
    expect(page.locator("#kept-total")).to_have_text(str(before))


def test_cancel_mid_upload_drops_the_entry_and_its_bytes(page: Page):
    open_live(page, "/uploads")
    before = kept_total(page)
    leftovers = set(LIBRARY_UPLOAD_DIR.glob("pyview-upload-*"))
    page.evaluate("window.pyview.liveSocket.enableLatencySim(100)")  # 100 ms between chunks
    name = unique("slow.png")
    page.set_input_files(AUTO_INPUT, files=[file(name, png(padding=3_000_000))])  # 47 chunks of 64 kB
    pending = entry(page, "photos", name)
    expect(pending.locator("img")).to_have_attribute("src", re.compile(r"^blob:"))  # the preview
    expect(pending.locator("progress")).to_have_attribute("value", re.compile(r"^[1-9][0-9]?$"))  # under way
    partial = set(LIBRARY_UPLOAD_DIR.glob("pyview-upload-*")) - leftovers
    assert len(partial) == 1, partial  # the bytes received so far

    pending.locator("button.cancel").click()
    expect(pending).to_have_count(0)
    assert not any(path.exists() for path in partial)  # deleted before the page changed

    # Nothing of it is kept, and the input still works: the next photo is the only one kept.
    page.evaluate("window.pyview.liveSocket.disableLatencySim()")
    after = unique("after.png")
    page.set_input_files(AUTO_INPUT, files=[file(after, png((9, 9, 9)))])
    expect(kept(page, after)).to_have_count(1)
    expect(page.locator("#kept-total")).to_have_text(str(before + 1))
    expect(kept(page, name)).to_have_count(0)


def test_manual_upload_waits_for_save(page: Page):
    open_live(page, "/uploads")
    before = kept_total(page)
    files = [file(unique("one.png"), png((50, 50, 50))), file(unique("two.gif"), GIF, "image/gif")]
    page.set_input_files(MANUAL_INPUT, files=files)
    for f in files:
        pending = entry(page, "manual", f["name"])
        expect(pending.locator("progress")).to_have_attribute("value", "0")
        expect(pending.locator("img")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(page.locator("#kept-total")).to_have_text(str(before))
    for f in files:
        expect(kept(page, f["name"])).to_have_count(0)

    page.click("#save")
    for f in files:
        photo = kept(page, f["name"])
        expect(photo.locator(".size")).to_have_text(f"{len(f['buffer'])} Bytes")
        assert_served(page, photo, f["buffer"], f["mimeType"])
    expect(page.locator("#manual-entries li")).to_have_count(0)
    expect(page.locator("#kept-total")).to_have_text(str(before + 2))
    expect(page.locator("#save")).to_have_text("Save")


def test_only_the_last_photos_are_kept_and_served(page: Page):
    open_live(page, "/uploads")
    keep = 12
    names = [unique(f"n{i}.png") for i in range(keep + 1)]
    first_url = None
    for start in range(0, len(names), 3):
        batch = names[start:start + 3]
        page.set_input_files(AUTO_INPUT, files=[file(n, png((i, 0, 0))) for i, n in enumerate(batch)])
        for n in batch:
            expect(kept(page, n)).to_have_count(1)
        if first_url is None:
            first_url = kept(page, names[0]).locator("img").get_attribute("src")
    expect(page.locator("#stored li")).to_have_count(keep)
    expect(kept(page, names[0])).to_have_count(0)  # the oldest was dropped...
    assert page.request.get(first_url).status == 404  # ...and its file deleted
    assert page.request.get(kept(page, names[-1]).locator("img").get_attribute("src")).ok


def test_the_file_route_serves_only_names_the_app_made(page: Page):
    open_live(page, "/uploads")
    for path in ("/uploads/files/0123456789abcdef.png", "/uploads/files/..%2F..%2Fetc%2Fpasswd",
                 "/uploads/files/..%2Fuploads.py", "/uploads/files/x.png"):
        assert page.request.get(path).status == 404, path


def test_another_tab_sees_the_new_photo(new_page):
    first, second = new_page(), new_page()
    open_live(first, "/uploads")
    open_live(second, "/uploads")
    name = unique("shared.png")
    first.set_input_files(AUTO_INPUT, files=[file(name, png((0, 128, 0)))])
    expect(kept(first, name)).to_have_count(1)
    expect(kept(second, name)).to_have_count(1)  # announced over pub/sub


def test_the_index_links_to_the_example(page: Page):
    open_live(page, "/")
    page.get_by_role("link", name="Photo uploads", exact=True).click()
    expect(page).to_have_url(re.compile(r"/uploads$"))
    expect(page).to_have_title("Uploads · pyview")
    page.wait_for_selector(CONNECTED)
    name = unique("from-index.png")
    page.set_input_files(AUTO_INPUT, files=[file(name, png())])
    expect(kept(page, name)).to_have_count(1)


NO_UPLOAD_CHANNEL = "() => !window.pyview.liveSocket.getSocket().channels.some(c => c.topic.startsWith('lvu:'))"


def test_a_kept_upload_leaves_no_upload_channel_open(page: Page):
    open_live(page, "/uploads")
    name = unique("closed.png")
    page.set_input_files(AUTO_INPUT, files=[file(name, png())])
    expect(kept(page, name)).to_have_count(1)
    page.wait_for_function(NO_UPLOAD_CHANNEL, timeout=2_000)
