"""Photo uploads: drag and drop, a progress bar and a preview per file, cancel, errors.

Two ways to upload, side by side: the first form sends each photo as soon as it is chosen
(``auto_upload=True``; ``on_progress`` keeps it the moment its last byte arrives), the second
only when "Save" is pressed (its ``phx-submit`` handler takes every finished file with
``consume_uploads``). The library checks size, count and type before any byte is sent; this
view then checks that the bytes really are a PNG, JPEG or GIF before keeping them.

Kept photos go to ``STORE``: one temp folder per server process (deleted when it stops) holding the
last ``KEEP`` photos, shared by every tab (a new photo is announced over pub/sub, so every open
tab lists it). The server keeps only their metadata in memory; ``photo_file`` serves the bytes
back, for names this store made and still holds, and nothing else.
"""

from __future__ import annotations

import asyncio
import atexit
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from pyview_core import (
    ConsumedUpload,
    InfoEvent,
    LiveView,
    LiveViewSocket,
    UploadConfig,
    UploadConstraints,
    UploadEntry,
    event,
    is_connected,
)

TOPIC = "uploads:photos"
KEEP = 12  # photos kept on disk (and listed); older ones are deleted
MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_FILES = 3
ACCEPT = [".jpg", ".jpeg", ".png", ".gif"]
NOTICES = 5  # messages about files that were refused after the upload, newest first

# What the first bytes of a file say it is: (signature, extension, MIME type).
FORMATS = [
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"GIF87a", ".gif", "image/gif"),
    (b"GIF89a", ".gif", "image/gif"),
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
]
STORED_NAME = re.compile(r"[0-9a-f]{16}\.(png|gif|jpg)")  # what PhotoStore names its files


@dataclass(frozen=True)
class Photo:
    name: str  # the stored file's name, made by the store: the only part of a URL it serves
    original: str  # the name the browser sent (shown, never used as a path)
    size: int
    type: str

    @property
    def url(self) -> str:
        return f"/uploads/files/{self.name}"

    @property
    def dom_id(self) -> str:
        return "photo-" + self.name.split(".")[0]


class PhotoStore:
    """The last ``keep`` photos: files in a temp folder of this process, metadata in memory."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.total = 0  # photos kept since the server started
        self._photos: list[Photo] = []  # newest first
        self._directory: Path | None = None
        self._atexit: Any = None

    @property
    def directory(self) -> Path:
        """Made on first use (so importing the examples creates nothing); see :meth:`clear`."""
        if self._directory is None:
            if self._atexit is None:  # a plain exit; a server calls clear at shutdown (lifespan)
                self._atexit = atexit.register(self.clear)
            self._directory = Path(tempfile.mkdtemp(prefix="pyview-example-uploads-"))
        return self._directory

    def clear(self) -> None:
        """Forget every photo and delete the folder."""
        self._photos = []
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def recent(self) -> list[Photo]:
        return list(self._photos)

    async def add(self, source: IO[bytes], original: str) -> Photo | None:
        """Copy an uploaded file in, under a new name; None if its bytes are not an image we serve."""
        head = source.read(16)
        source.seek(0)
        kind = next(((ext, mime) for sig, ext, mime in FORMATS if head.startswith(sig)), None)
        if kind is None:
            return None
        extension, mime_type = kind
        name = secrets.token_hex(8) + extension
        size = await asyncio.to_thread(_copy, source, self.directory / name)
        photo = Photo(name=name, original=original[:100], size=size, type=mime_type)
        self._photos.insert(0, photo)
        for old in self._photos[self.keep:]:
            (self.directory / old.name).unlink(missing_ok=True)
        del self._photos[self.keep:]
        self.total += 1
        return photo

    def find(self, name: str) -> Photo | None:
        """The photo stored as ``name``: only names this store made and still keeps."""
        if not STORED_NAME.fullmatch(name):
            return None
        return next((p for p in self._photos if p.name == name), None)

    def path(self, photo: Photo) -> Path:
        return self.directory / photo.name


def _copy(source: IO[bytes], target: Path) -> int:
    with open(target, "xb") as out:
        shutil.copyfileobj(source, out)
        return out.tell()


STORE = PhotoStore()


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """The app's lifespan: the kept photos go when the server stops (uvicorn's SIGTERM skips atexit)."""
    try:
        yield
    finally:
        STORE.clear()


async def photo_file(request: Request) -> Response:
    """``GET /uploads/files/{name}``: a kept photo's bytes (404 for any other name)."""
    photo = STORE.find(request.path_params["name"])
    if photo is None:
        return PlainTextResponse("Not found", status_code=404)
    try:
        stat = STORE.path(photo).stat()  # evicted meanwhile: a 404, not a crash
    except FileNotFoundError:
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(
        STORE.path(photo), media_type=photo.type, stat_result=stat,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


@dataclass
class UploadsContext:
    photos: UploadConfig  # uploaded as soon as chosen
    manual: UploadConfig  # uploaded when the form is submitted
    stored: list[Photo] = field(default_factory=list)
    total: int = 0
    notices: list[str] = field(default_factory=list)
    keep: int = KEEP
    max_files: int = MAX_FILES
    max_size: int = MAX_FILE_SIZE


class UploadsLiveView(LiveView[UploadsContext]):
    async def mount(self, socket: LiveViewSocket[UploadsContext], session):
        constraints = UploadConstraints(max_file_size=MAX_FILE_SIZE, max_files=MAX_FILES, accept=ACCEPT)
        socket.context = UploadsContext(
            photos=socket.allow_upload("photos", constraints=constraints, auto_upload=True, progress=self.on_progress),
            manual=socket.allow_upload("manual", constraints=constraints),
        )
        socket.live_title = "Uploads"
        self._refresh(socket.context)
        if is_connected(socket):
            await socket.subscribe(TOPIC)

    async def on_progress(self, entry: UploadEntry, socket: LiveViewSocket[UploadsContext]) -> None:
        """Runs as the bytes of an automatic upload arrive; keeps the photo once all are in."""
        if entry.done:
            with socket.context.photos.consume_upload_entry(entry.ref) as upload:
                if upload is not None:
                    await self._keep(upload, socket)

    @event("validate")
    async def validate(self, socket: LiveViewSocket[UploadsContext]):
        """The forms' phx-change: the chosen files are registered (and checked) by the library."""

    @event("save")
    async def save(self, socket: LiveViewSocket[UploadsContext]):
        """The manual form's submit: the client has sent every chosen file before this event."""
        with socket.context.manual.consume_uploads() as uploads:
            for upload in uploads:
                await self._keep(upload, socket)

    @event("cancel")
    async def cancel(self, socket: LiveViewSocket[UploadsContext], upload: str, ref: str):
        if upload in ("photos", "manual"):
            socket.cancel_upload(upload, ref)

    async def handle_info(self, event: InfoEvent, socket: LiveViewSocket[UploadsContext]):
        if event.name == TOPIC:  # a tab kept a photo (this one included)
            self._refresh(socket.context)

    async def _keep(self, upload: ConsumedUpload, socket: LiveViewSocket[UploadsContext]) -> None:
        name = upload.entry.name
        photo = await STORE.add(upload.file, name) if upload.file is not None else None
        if photo is None:
            self._notice(socket.context, f"{name} is not a PNG, JPEG or GIF image: not kept")
            return
        self._refresh(socket.context)
        await socket.broadcast(TOPIC, photo.name)

    @staticmethod
    def _refresh(ctx: UploadsContext) -> None:
        ctx.stored, ctx.total = STORE.recent(), STORE.total

    @staticmethod
    def _notice(ctx: UploadsContext, text: str) -> None:
        ctx.notices = [text, *ctx.notices][:NOTICES]
