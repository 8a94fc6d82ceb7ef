"""File uploads: what a view allows (``socket.allow_upload``), the entries a client declares, and
what the view gets once the bytes are in (``consume_upload_entry``).

The flow is the official client's (PROTOCOL.md §6.3–6.4): the form's ``phx-change`` declares the
files (name, size, type) and the server validates them before any byte is sent; an
``allow_upload`` preflight answers each valid entry with a signed token; the client joins
``lvu:<entry ref>`` with that token and sends binary chunks, then reports ``progress`` on the
view's channel. Nothing the client declares is trusted: the bytes are counted as they arrive
(:mod:`.upload_writer`), and the name and type are checked against ``accept`` on the server.

This module is the state and its rules; the channel (:mod:`.upload_host`) moves the bytes.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Optional, Union

from markupsafe import Markup, escape

__all__ = [
    "ConsumedUpload", "ExternalUploadMeta", "UploadConfig", "UploadConstraints", "UploadEntry", "UploadError",
    "live_file_input", "upload_preview_tag",
]

DEFAULT_MAX_FILE_SIZE = 8_000_000  # Phoenix's defaults
DEFAULT_CHUNK_SIZE = 64_000
DEFAULT_CHUNK_TIMEOUT = 10.0
#: Entries a view keeps beyond ``max_files`` (refused ones, shown with their errors): a client that
#: declares more is refused, so repeated preflights cannot grow a view's memory.
EXTRA_ENTRIES = 32


@dataclass(frozen=True)
class UploadConstraints:
    """What an upload accepts: size per file, how many files, which types (extensions and/or MIME
    types such as ``"image/*"``; empty: any), and the chunking the client uses."""

    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_files: int = 1
    accept: Sequence[str] = ()
    chunk_size: int = DEFAULT_CHUNK_SIZE
    chunk_timeout: float = DEFAULT_CHUNK_TIMEOUT  # seconds without a chunk before the upload is dropped

    def __post_init__(self) -> None:
        for name in ("max_file_size", "max_files", "chunk_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"UploadConstraints.{name} must be a positive int, got {value!r}")
        if not isinstance(self.chunk_timeout, (int, float)) or not self.chunk_timeout > 0:
            raise ValueError(f"UploadConstraints.chunk_timeout must be a positive number of seconds, got {self.chunk_timeout!r}")
        if isinstance(self.accept, str):
            raise ValueError(f"UploadConstraints.accept must be a list such as ['.jpg', 'image/png'], got the string {self.accept!r}")
        for item in self.accept:
            if not isinstance(item, str) or not (item.startswith(".") and len(item) > 1 or "/" in item):
                raise ValueError(f"UploadConstraints.accept entries are extensions ('.jpg') or MIME types ('image/*'), got {item!r}")
        object.__setattr__(self, "accept", tuple(a.lower() for a in self.accept))

    @property
    def accept_attribute(self) -> Optional[str]:
        """The file input's ``accept`` attribute (a hint for the browser's picker only)."""
        return ",".join(self.accept) if self.accept else None

    def accepts(self, name: str, mime_type: str) -> bool:
        """Whether a file called ``name`` declared as ``mime_type`` fits ``accept``.

        Both must fit, since a client chooses both: the extension (listed, or its usual MIME type
        listed) and the declared type (listed, or the usual type of a listed extension; empty or
        ``application/octet-stream`` pass when the extension does).
        """
        if not self.accept:
            return True
        extension = os.path.splitext(name)[1].lower()
        guessed = mimetypes.guess_type("f" + extension)[0] if extension else None
        exts = {a for a in self.accept if a.startswith(".")}
        types = {a for a in self.accept if "/" in a} | {t for t in (mimetypes.guess_type("f" + e)[0] for e in exts) if t}
        name_fits = extension in exts or (guessed is not None and _type_listed(guessed, types))
        declared = (mime_type or "").lower()
        type_fits = declared in ("", "application/octet-stream") or _type_listed(declared, types)
        return name_fits and type_fits


def _type_listed(mime_type: str, types: set[str]) -> bool:
    major = mime_type.split("/", 1)[0]
    return mime_type in types or f"{major}/*" in types


@dataclass(frozen=True)
class UploadError:
    """Why an entry (or the whole upload) is refused: ``code`` for code, ``message`` for people."""

    code: str
    message: str


_MESSAGES = {
    "too_large": "File is too large",
    "not_accepted": "You have selected an unacceptable file type",
    "too_many_files": "You have selected too many files",
    "incomplete": "The upload stopped before the whole file arrived",
    "timeout": "The upload stalled and was dropped",
    "external_client_failure": "The upload to external storage failed",
}


def upload_error(code: str, detail: str = "") -> UploadError:
    return UploadError(code, _MESSAGES.get(code, code.replace("_", " ").capitalize()) + (f": {detail}" if detail else ""))


@dataclass(frozen=True)
class ExternalUploadMeta:
    """What ``external=presign`` returns: the JS uploader to use (``window.pyview.uploaders[uploader]``)
    and what it needs (for S3: the presigned POST ``url`` and form ``fields``)."""

    uploader: str
    url: Optional[str] = None
    fields: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"uploader": self.uploader, **self.extra}
        if self.url is not None:
            data["url"] = self.url
        if self.fields:
            data["fields"] = self.fields
        return data


@dataclass
class UploadEntry:
    """One file a client declared: what it says about it, and how far its bytes have come."""

    ref: str
    upload_ref: str
    upload_config: str
    name: str
    size: int
    type: str
    last_modified: Optional[int] = None
    progress: int = 0
    done: bool = False
    valid: bool = True
    preflighted: bool = False
    errors: list[UploadError] = field(default_factory=list)
    meta: Optional[ExternalUploadMeta] = None
    path: Optional[str] = None  # the temp file holding the bytes received (channel uploads)

    @property
    def client_name(self) -> str:  # Phoenix's names, for code ported from it
        return self.name

    @property
    def client_size(self) -> int:
        return self.size

    @property
    def client_type(self) -> str:
        return self.type


@dataclass
class ConsumedUpload:
    """A finished upload handed to the view: ``file`` is open for reading (``file.name`` is its
    path) for channel uploads; ``meta`` is what the external uploader was given."""

    entry: UploadEntry
    file: Optional[IO[bytes]] = None
    meta: Optional[ExternalUploadMeta] = None

    @property
    def path(self) -> Optional[str]:
        return self.entry.path


ProgressCallback = Callable[[UploadEntry, Any], Awaitable[None]]
Presign = Callable[[UploadEntry, Any], Union[ExternalUploadMeta, Awaitable[ExternalUploadMeta]]]


class UploadConfig:
    """One ``allow_upload(name, ...)``: its constraints, its ``ref`` (the file input's id) and entries.

    ``entries`` lists every declared file (valid or not, with ``errors``); ``errors`` holds what
    concerns the whole upload (``too_many_files``). The view reads these to render progress and
    errors, and takes finished files with :meth:`consume_upload_entry` or :meth:`consume_uploads`.
    """

    def __init__(
        self,
        name: str,
        constraints: UploadConstraints,
        *,
        auto_upload: bool = False,
        progress: Optional[ProgressCallback] = None,
        external: Optional[Presign] = None,
        discard: Callable[[UploadEntry], None] = lambda entry: None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"allow_upload needs a name, got {name!r}")
        if not isinstance(constraints, UploadConstraints):
            raise TypeError(f"allow_upload(constraints=...) takes an UploadConstraints, got {constraints!r}")
        self.name = name
        self.ref = "phx-" + secrets.token_urlsafe(9)
        self.constraints = constraints
        self.auto_upload = bool(auto_upload)
        self.progress = progress
        self.external = external
        self.entries: list[UploadEntry] = []
        self.errors: list[UploadError] = []
        self._discard = discard  # the channel deletes a temp file / stops a transfer

    # --- what the view does -----------------------------------------------------------------------

    def entry(self, ref: str) -> Optional[UploadEntry]:
        return next((e for e in self.entries if e.ref == ref), None)

    @property
    def completed_entries(self) -> list[UploadEntry]:
        return [e for e in self.entries if e.done and e.valid]


    @contextmanager
    def consume_upload_entry(self, ref: str) -> Iterator[Optional[ConsumedUpload]]:
        """The finished upload ``ref`` (None if there is none, or it is not finished); its temp file
        is deleted and the entry removed when the block ends, whatever happens in it."""
        entry = self.entry(ref)
        if entry is None or not entry.done or not entry.valid:
            yield None
            return
        with self._opened(entry) as upload:
            try:
                yield upload
            finally:
                self._remove(entry)

    @contextmanager
    def consume_uploads(self) -> Iterator[list[ConsumedUpload]]:
        """Every finished upload; their temp files are deleted and entries removed after the block."""
        entries = self.completed_entries
        files: list[ConsumedUpload] = []
        try:
            for entry in entries:
                files.append(ConsumedUpload(entry, open(entry.path, "rb") if entry.path else None, entry.meta))
            yield files
        finally:
            for upload in files:
                if upload.file is not None:
                    upload.file.close()
            for entry in entries:
                self._remove(entry)

    def cancel_entry(self, ref: str) -> bool:
        """Drop entry ``ref`` (a transfer in progress stops; its bytes are deleted). False if unknown."""
        entry = self.entry(ref)
        if entry is None:
            return False
        self._remove(entry)
        return True

    # --- what the channel does --------------------------------------------------------------------

    def put_entries(self, client_entries: Any) -> None:
        """Register the files a client declares (``allow_upload`` preflight or a form's ``uploads``),
        validating each against the constraints; known refs are left as they are."""
        if not isinstance(client_entries, list):
            raise ValueError("upload entries must be a list")
        fresh = [e for e in client_entries if isinstance(e, dict) and self.entry(str(e.get("ref"))) is None]
        room = self.constraints.max_files + EXTRA_ENTRIES - len(self.entries)
        if len(fresh) > max(room, 0) and not (self.constraints.max_files == 1 and len(fresh) == 1):
            raise ValueError(
                f"{len(fresh)} more files declared for {self.name!r}, which holds {len(self.entries)} "
                f"(at most {self.constraints.max_files} + {EXTRA_ENTRIES} refused ones); cancel some first"
            )
        if self.constraints.max_files == 1 and len(fresh) == 1:
            for old in list(self.entries):  # a single-file input: the new file replaces the old one
                self._remove(old)
        for client in fresh:
            self.entries.append(self._validated(client))
        self.errors = [e for e in self.errors if e.code != "too_many_files"]
        if len([e for e in self.entries if e.valid]) > self.constraints.max_files:
            self.errors.append(upload_error("too_many_files", f"at most {self.constraints.max_files}"))

    def _validated(self, client: dict) -> UploadEntry:
        ref, name, size, mime_type = client.get("ref"), client.get("name"), client.get("size"), client.get("type")
        if not isinstance(ref, str) or not ref or len(ref) > 64:
            raise ValueError(f"an upload entry needs a string ref, got {ref!r}")
        entry = UploadEntry(
            ref=ref, upload_ref=self.ref, upload_config=self.name,
            name=name if isinstance(name, str) else "", size=size if type(size) is int else -1,
            type=mime_type if isinstance(mime_type, str) else "",
            last_modified=client.get("last_modified") if type(client.get("last_modified")) is int else None,
        )
        limit = self.constraints.max_file_size
        if entry.size < 0 or entry.size > limit:
            entry.errors.append(upload_error("too_large", f"{entry.size} bytes, at most {limit}"))
        if not self.constraints.accepts(entry.name, entry.type):
            entry.errors.append(upload_error("not_accepted", f"{entry.name!r} ({entry.type or 'no type'}); accepted: {', '.join(self.constraints.accept)}"))
        entry.valid = not entry.errors
        return entry


    def error_refs(self) -> list[str]:
        refs = [self.ref] if self.errors else []
        return refs + [e.ref for e in self.entries if e.errors]

    def _opened(self, entry: UploadEntry) -> Any:
        @contextmanager
        def opened() -> Iterator[ConsumedUpload]:
            handle = open(entry.path, "rb") if entry.path else None
            try:
                yield ConsumedUpload(entry, handle, entry.meta)
            finally:
                if handle is not None:
                    handle.close()
        return opened()

    def _remove(self, entry: UploadEntry) -> None:
        if entry in self.entries:
            self.entries.remove(entry)
        self._discard(entry)
        if len([e for e in self.entries if e.valid]) <= self.constraints.max_files:
            self.errors = [e for e in self.errors if e.code != "too_many_files"]

    def __repr__(self) -> str:
        return f"<UploadConfig {self.name!r} ref={self.ref} entries={len(self.entries)}>"


# --- template filters ---------------------------------------------------------------------------------


def live_file_input(config: UploadConfig, **attrs: Any) -> Markup:
    """The file input the client's upload hook drives (``{{ uploads | live_file_input }}``).

    Its ``data-phx-*`` attributes tell the client which entries are active, preflighted, done and
    in error; they are re-rendered with the page, which is how the client learns the server's state.
    """
    entries = config.entries
    parts = {
        "id": config.ref,
        "type": "file",
        "name": config.name,
        "accept": config.constraints.accept_attribute,
        "data-phx-hook": "Phoenix.LiveFileUpload",
        "data-phx-upload-ref": config.ref,
        "data-phx-active-refs": ",".join(e.ref for e in entries),
        "data-phx-done-refs": ",".join(e.ref for e in entries if e.done),
        "data-phx-preflighted-refs": ",".join(e.ref for e in entries if e.preflighted),
        "data-phx-error-refs": ",".join(config.error_refs()) or None,
        "data-phx-auto-upload": True if config.auto_upload else None,
        "multiple": True if config.constraints.max_files > 1 else None,
        **{k.replace("_", "-"): v for k, v in attrs.items()},
    }
    return Markup("<input" + "".join(_attribute(k, v) for k, v in parts.items()) + ">")


def upload_preview_tag(entry: UploadEntry, **attrs: Any) -> Markup:
    """An ``<img>`` the client fills with a preview of the selected file (before it is uploaded)."""
    parts = {
        "id": f"phx-preview-{entry.ref}",
        "data-phx-upload-ref": entry.upload_ref,
        "data-phx-entry-ref": entry.ref,
        "data-phx-hook": "Phoenix.LiveImgPreview",
        "data-phx-update": "ignore",
        **{k.replace("_", "-"): v for k, v in attrs.items()},
    }
    return Markup("<img" + "".join(_attribute(k, v) for k, v in parts.items()) + ">")


def _attribute(name: str, value: Any) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return f" {name}"
    return f' {name}="{escape(value)}"'
