"""The uploads of one joined view: preflight, the ``lvu:`` channels of its entries, their bytes.

Owned by the view's channel and run by its actor, like everything the view does: the socket
reader only routes an ``lvu:`` frame to the view's mailbox (and refuses a chunk sent before the
previous one was answered, so a view holds at most one chunk per upload in memory). Each entry
that may upload gets a token signed for this view instance, this upload and this entry; a forged,
replayed or foreign token is refused. Bytes are counted as they arrive (:mod:`.upload_writer`).
Every temp file is deleted when its entry is consumed, cancelled, refused, abandoned (no chunk
for ``chunk_timeout``) or when the view goes away.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from .security import InvalidToken, TokenSigner
from .upload_writer import TempFileWriter, UploadTooLarge
from .uploads import (
    ExternalUploadMeta, Presign, ProgressCallback, UploadConfig, UploadConstraints, UploadEntry, upload_error,
)

logger = logging.getLogger("pyview_core")

TOKEN_PURPOSE = "upload"
TOKEN_MAX_AGE = 24 * 3600

Push = Callable[[list], None]


@dataclass
class _Transfer:
    """One joined ``lvu:`` channel: the entry its bytes are for and where they go."""

    topic: str
    join_ref: Any
    config: UploadConfig
    entry: UploadEntry
    writer: TempFileWriter
    in_flight: bool = False
    timer: Optional[asyncio.TimerHandle] = None


class ViewUploads:
    """Everything upload-related for one view instance (``topic`` + ``join_ref``)."""

    def __init__(
        self, signer: TokenSigner, directory: Path, push: Push, topic: str, join_ref: Any,
        on_timeout: Callable[[str], None], release: Callable[[str], None],
    ) -> None:
        self.signer = signer
        self.directory = directory
        self.topic = topic
        self.join_ref = join_ref
        self.configs: dict[str, UploadConfig] = {}
        self._push = push
        self._on_timeout = on_timeout
        self._release = release  # the connection stops routing this lvu topic here
        self._transfers: dict[str, _Transfer] = {}  # by lvu topic
        self._writers: dict[int, TempFileWriter] = {}  # by id(entry): finished files not yet consumed

    # --- what the view asks (through its socket) ----------------------------------------------------

    def allow(
        self, name: str, constraints: UploadConstraints, auto_upload: bool,
        progress: Optional[ProgressCallback], external: Optional[Presign],
    ) -> UploadConfig:
        old = self.configs.get(name)
        if old is not None:
            for entry in list(old.entries):
                old.cancel_entry(entry.ref)
        config = UploadConfig(name, constraints, auto_upload=auto_upload, progress=progress, external=external, discard=self._discard)
        self.configs[name] = config
        return config

    def cancel(self, name: str, ref: str) -> bool:
        config = self.configs.get(name)
        return config.cancel_entry(ref) if config is not None else False

    def by_ref(self, ref: Any) -> Optional[UploadConfig]:
        return next((c for c in self.configs.values() if c.ref == ref), None)

    # --- view channel messages --------------------------------------------------------------------

    def from_form(self, uploads: Any) -> None:
        """A form event's ``uploads``: register (and validate) the files the input holds."""
        if not isinstance(uploads, dict):
            return
        for ref, entries in uploads.items():
            config = self.by_ref(ref)
            if config is not None and isinstance(entries, list):
                config.put_entries(entries)

    async def preflight(self, payload: dict, socket: Any) -> dict[str, Any]:
        """The ``allow_upload`` reply: a token (or external uploader metadata) per valid entry."""
        config = self.by_ref(payload.get("ref"))
        if config is None:
            raise ValueError(f"allow_upload: no upload with ref {payload.get('ref')!r}")
        entries = payload.get("entries")
        config.put_entries(entries)
        refs = [str(e.get("ref")) for e in entries if isinstance(e, dict)]
        answer: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        if config.errors:
            errors[config.ref] = [e.code for e in config.errors]
        # As Phoenix: only the first max_files entries may upload; with too many files, an
        # auto upload still sends those (the user removes the rest), a manual one sends none.
        limit = config.constraints.max_files if config.auto_upload or not config.errors else 0
        valid = [e for e in config.entries if e.valid]
        eligible = {e.ref for e in valid[:limit] if not e.preflighted}
        for ref in refs:
            entry = config.entry(ref)
            if entry is None:
                continue
            if entry.errors:
                errors[ref] = [e.code for e in entry.errors]
                continue
            if ref not in eligible:
                continue
            if config.external is not None:
                meta = config.external(entry, socket)
                if inspect.isawaitable(meta):
                    meta = await meta
                if not isinstance(meta, ExternalUploadMeta):
                    raise TypeError(f"the external= presign function must return ExternalUploadMeta, got {meta!r}")
                entry.meta = meta
                answer[ref] = meta.to_json()
            else:
                answer[ref] = self.signer.sign(TOKEN_PURPOSE, {"t": self.topic, "j": self.join_ref, "u": config.ref, "e": ref})
            entry.preflighted = True
        c = config.constraints
        return {
            "ref": config.ref,
            "config": {
                "chunk_size": c.chunk_size, "chunk_timeout": int(c.chunk_timeout * 1000),
                "max_entries": c.max_files, "max_file_size": c.max_file_size,
            },
            "entries": answer,
            "errors": errors,
        }

    async def progress(self, payload: dict, socket: Any) -> Optional[str]:
        """A ``progress`` report; runs the config's progress callback. An error message for a bad one."""
        config = self.by_ref(payload.get("ref"))
        if config is None:
            return "progress for an unknown upload"
        entry = config.entry(str(payload.get("entry_ref")))
        if entry is None:  # cancelled or consumed while this report was on its way (Phoenix: a no-op)
            return None
        reported = payload.get("progress")
        if isinstance(reported, dict):  # the client failed: {"error": reason}
            entry.errors.append(upload_error("external_client_failure" if entry.meta else "incomplete", str(reported.get("error"))))
            entry.valid = False
            self._discard(entry)
        elif type(reported) is not int or not 0 <= reported <= 100:
            return f"progress must be an integer from 0 to 100, got {reported!r}"
        elif entry.meta is not None:  # external: only the client knows
            entry.progress = reported
            entry.done = reported == 100
        else:  # channel upload: the bytes say how far it is, not the client
            writer = self._writer_of(entry)
            received = writer.received if writer is not None else 0
            if reported == 100 and received != entry.size:
                entry.errors.append(upload_error("incomplete", f"{received} of {entry.size} bytes arrived"))
                entry.valid = False
                self._discard(entry)
            else:
                entry.progress = min(reported, received * 100 // entry.size if entry.size else 100)
                if reported == 100:
                    entry.done = True
                    self._finish(entry)
        if config.progress is not None:
            await config.progress(entry, socket)
        return None

    # --- lvu channels -----------------------------------------------------------------------------

    def claims(self, token: Any) -> dict[str, Any]:
        """The claims of an upload token for this view instance; ``InvalidToken`` otherwise."""
        claims = self.signer.load(TOKEN_PURPOSE, token, max_age=TOKEN_MAX_AGE)
        if claims.get("t") != self.topic or claims.get("j") != self.join_ref:
            raise InvalidToken("the token is for another view")
        return claims

    def join(self, topic: str, join_ref: Any, ref: Any, token: Any) -> bool:
        """Open ``lvu:<entry>`` for a preflighted entry; replies either way. True if joined."""
        try:
            claims = self.claims(token)
        except InvalidToken:
            return self._refuse_join(topic, join_ref, ref, "invalid_token")
        config = self.by_ref(claims.get("u"))
        entry = config.entry(claims.get("e")) if config is not None else None
        if config is None or entry is None or topic != f"lvu:{entry.ref}" or not entry.valid or entry.meta is not None:
            return self._refuse_join(topic, join_ref, ref, "disallowed")
        if entry.done or self._writer_of(entry) is not None or topic in self._transfers:
            return self._refuse_join(topic, join_ref, ref, "already_registered")
        writer = TempFileWriter(self.directory, min(entry.size, config.constraints.max_file_size))
        try:
            entry.path = writer.open()
        except OSError as exc:
            logger.error("upload %s: cannot create a file in %s: %s", entry.name, self.directory, exc)
            return self._refuse_join(topic, join_ref, ref, "writer_error")
        self._writers[id(entry)] = writer
        transfer = self._transfers[topic] = _Transfer(topic, join_ref, config, entry, writer)
        self._arm(transfer)
        self._push([join_ref, ref, topic, "phx_reply", {"status": "ok", "response": {}}])
        return True

    def _refuse_join(self, topic: str, join_ref: Any, ref: Any, reason: str) -> bool:
        self._release(topic)
        self._push([join_ref, ref, topic, "phx_reply", {"status": "error", "response": {"reason": reason}}])
        return False

    def offer_chunk(self, topic: str) -> Optional[str]:
        """From the socket reader, before it queues a chunk: why it is refused, or None."""
        transfer = self._transfers.get(topic)
        if transfer is None:
            return "unmatched topic"
        if transfer.in_flight:
            return "a chunk was sent before the previous one was answered"
        transfer.in_flight = True
        return None

    async def chunk(self, topic: str, join_ref: Any, ref: Any, data: bytes) -> None:
        transfer = self._transfers.get(topic)
        if transfer is None or transfer.join_ref != join_ref:
            self._push([join_ref, ref, topic, "phx_reply", {"status": "error", "response": {"reason": "unmatched topic"}}])
            return
        transfer.in_flight = False
        self._arm(transfer)
        try:
            await transfer.writer.write(data)
        except UploadTooLarge as too_large:
            entry = transfer.entry
            entry.errors.append(upload_error("too_large", f"more than {too_large.limit} bytes arrived"))
            entry.valid = False
            self._end(topic, discard=True)
            self._push([join_ref, ref, topic, "phx_reply", {"status": "error", "response": {"reason": "file_size_limit_exceeded", "limit": too_large.limit}}])
            return
        except OSError as exc:
            logger.error("upload %s: writing failed: %s", transfer.entry.name, exc)
            self._end(topic, discard=True)
            self._push([join_ref, ref, topic, "phx_reply", {"status": "error", "response": {"reason": "writer_error"}}])
            return
        self._push([join_ref, ref, topic, "phx_reply", {"status": "ok", "response": {}}])

    def leave(self, topic: str, join_ref: Any, ref: Any) -> None:
        transfer = self._transfers.get(topic)
        self._end(topic, discard=transfer is not None and not transfer.entry.done)
        self._push([join_ref, ref, topic, "phx_reply", {"status": "ok", "response": {}}])

    def timed_out(self, topic: str) -> bool:
        """No chunk for ``chunk_timeout``: drop the upload and its bytes. True if there was one."""
        transfer = self._transfers.get(topic)
        if transfer is None:
            return False
        entry = transfer.entry
        entry.errors.append(upload_error("timeout", f"no data for {transfer.config.constraints.chunk_timeout:g} s"))
        entry.valid = False
        self._end(topic, discard=True)
        self._push([transfer.join_ref, transfer.join_ref, topic, "phx_error", {"reason": "timeout"}])
        return True


    def close(self) -> None:
        """The view is going away: stop every transfer and delete every file."""
        for topic in list(self._transfers):
            self._end(topic, discard=True)
        for writer in list(self._writers.values()):
            writer.discard()
        self._writers.clear()

    # --- helpers ----------------------------------------------------------------------------------

    def _arm(self, transfer: _Transfer) -> None:
        if transfer.timer is not None:
            transfer.timer.cancel()
        loop = asyncio.get_running_loop()
        transfer.timer = loop.call_later(transfer.config.constraints.chunk_timeout, self._on_timeout, transfer.topic)

    def _end(self, topic: str, discard: bool) -> None:
        self._release(topic)
        transfer = self._transfers.pop(topic, None)
        if transfer is None:
            return
        if transfer.timer is not None:
            transfer.timer.cancel()
        if discard:
            self._discard(transfer.entry)

    def _finish(self, entry: UploadEntry) -> None:
        """Every byte is in: the upload channel closes, the file stays until consumed."""
        self._close_transfers(entry)
        writer = self._writer_of(entry)
        if writer is not None:
            writer.close()

    def _close_transfers(self, entry: UploadEntry) -> None:
        """End ``entry``'s upload channel as Phoenix does when an UploadChannel stops normally:
        ``phx_close``, so the client stops sending and forgets it."""
        for topic, transfer in list(self._transfers.items()):
            if transfer.entry is entry:
                if transfer.timer is not None:
                    transfer.timer.cancel()
                del self._transfers[topic]
                self._release(topic)
                self._push([transfer.join_ref, transfer.join_ref, topic, "phx_close", {}])

    def _writer_of(self, entry: UploadEntry) -> Optional[TempFileWriter]:
        return self._writers.get(id(entry))

    def _discard(self, entry: UploadEntry) -> None:
        """Delete ``entry``'s bytes (and stop its transfer): consumed, cancelled, refused or abandoned."""
        self._close_transfers(entry)
        writer = self._writers.pop(id(entry), None)
        if writer is not None:
            writer.discard()
        entry.path = None
