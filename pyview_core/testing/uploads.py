"""Uploads in the test client: choose files for a ``live_file_input`` and send their bytes.

    upload = file_input(view, "#upload-form", "photos", [{"name": "a.png", "content": b"..."}])
    await upload.select()                     # the picker closes: phx-change (an auto upload also sends every file)
    html = await upload.render_upload("a.png", 50)  # manual: the preflight and half the bytes, as a submit starts
    await upload.submit()                     # the rest of the bytes, then phx-submit

Everything goes through the real protocol (PROTOCOL.md §6.3–6.4), as the 1.2 client's
``LiveUploader`` sends it (``live_uploader.js``, ``upload_entry.js``, ``entry_uploader.js`` and
``View.pushInput`` / ``pushFormSubmit`` / ``uploadFiles`` in ``view.ts``):

* choosing files sends the form's ``phx-change`` (the input's own, else the form's) with
  ``_target`` = the input's name and ``"uploads": {upload_ref: [{path, ref, last_modified, name,
  relative_path, type, size}]}``; the server validates them before any byte is sent. Entry refs
  are ``"0"``, ``"1"``, ... in selection order, counted per test browser (the client counts per page);
* an ``allow_upload`` preflight on the view's topic declares the files awaiting one and gets a
  token per accepted file, the chunk size and the errors of the refused ones;
* each file joins ``lvu:<ref>`` with its token and sends binary chunk frames of at most the
  preflight's ``chunk_size``, each answered before the next, then a ``progress`` event with
  ``floor(sent / size * 100)`` whenever that grew; at 100 the file is done;
* auto uploads start once the change is answered; manual ones when the form is submitted, and
  the ``phx-submit`` is sent only after every file is in.

Every step is checked against the page like the rest of the client: the form exists, holds a
``live_file_input`` of that name (an ``input[type=file]`` with ``data-phx-upload-ref``), a
single-file input gets one file; a refused file cannot be uploaded. After every step the merged
HTML must equal a fresh render (``LiveViewTest._finish_step``).

To watch progress, call :meth:`FileInput.render_upload` first instead of ``select()``: it chooses
the files (change and, for auto uploads, the preflight) but sends only the bytes asked for, as a
slow connection would show them.
"""

from __future__ import annotations

import itertools
import math
import mimetypes
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

import orjson

from . import dom
from .asgi import SocketClosed
from .controls import is_disabled
from .errors import LiveViewTestError
from .forms import Form
from .messages import names_listing, snippet

if TYPE_CHECKING:
    from .driver import LiveViewTest, _Browser

__all__ = ["FileInput", "SelectedFile", "file_input"]

UPLOAD_REF = "data-phx-upload-ref"
ACTIVE_REFS = "data-phx-active-refs"
PREFLIGHTED_REFS = "data-phx-preflighted-refs"
ERROR_REFS = "data-phx-error-refs"
AUTO_UPLOAD = "data-phx-auto-upload"
_FILE_KEYS = frozenset(("name", "content", "type", "last_modified"))


@dataclass(eq=False)
class SelectedFile:
    """A file a test chose, and what the server answered about it.

    ``ref`` is the entry ref the client gave it (None until the choice was sent); ``token`` the
    preflight's answer for it (None before the preflight, or when it was refused); ``errors`` the
    error codes the preflight answered (the file's own, or the whole upload's such as
    ``too_many_files``); ``sent`` the bytes the server acknowledged; ``progress`` the last
    percentage reported; ``done`` once 100% was reported and answered.
    """

    name: str
    content: bytes = field(repr=False)
    type: str
    last_modified: int
    ref: Optional[str] = None
    token: Any = field(default=None, repr=False)
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    progress: int = 0
    done: bool = False
    chunk_size: int = field(default=0, repr=False)
    # the client's private state of the file (UploadEntry / EntryUploader)
    _preflight_in_progress: bool = field(default=False, repr=False)
    _cancelled: bool = field(default=False, repr=False)
    _cancel_reason: str = field(default="", repr=False)
    _last_progress_sent: int = field(default=-1, repr=False)
    _join_ref: Optional[str] = field(default=None, repr=False)
    _failed: Optional[str] = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


# The files each live_file_input holds (the client's DOM.private(input, "files")), per view and
# upload ref; and the entry ref counter of each test browser (LiveUploader's liveUploaderFileRef).
_TRACKED: "weakref.WeakKeyDictionary[LiveViewTest, dict[str, list[SelectedFile]]]" = weakref.WeakKeyDictionary()
_REF_COUNTERS: "weakref.WeakKeyDictionary[_Browser, itertools.count[int]]" = weakref.WeakKeyDictionary()


def _tracked(view: "LiveViewTest", upload_ref: str) -> list[SelectedFile]:
    return _TRACKED.setdefault(view, {}).setdefault(upload_ref, [])


def _tracked_by_name(view: "LiveViewTest", selector: str, name: str) -> list[SelectedFile]:
    page = view._dom_page()
    for node in page.select(f"{selector} input[type=file][{UPLOAD_REF}]"):
        if node.attributes.get("name") == name:
            return _tracked(view, node.attributes.get(UPLOAD_REF) or "")
    return []


def unsent_upload_input(view: "LiveViewTest", form: Form) -> Optional[str]:
    """The name of a live_file_input of ``form`` holding chosen files not uploaded yet, or None.

    The client uploads those before it sends ``phx-submit`` (``View.pushFormSubmit``)."""
    for control in form._controls:
        node = control.node
        upload_ref = node.attributes.get(UPLOAD_REF) if control.tag == "input" and control.type == "file" else None
        if not upload_ref:
            continue
        for file in _TRACKED.get(view, {}).get(upload_ref, []):
            if file.ref is not None and not file.done and not file._cancelled and file._failed is None and _is_active(file, node):
                return control.name
    return None


def _next_file_ref(view: "LiveViewTest") -> str:
    counter = _REF_COUNTERS.get(view._browser)
    if counter is None:
        counter = _REF_COUNTERS[view._browser] = itertools.count()
    return str(next(counter))


def _refs(node: Any, attribute: str) -> list[str]:
    return (node.attributes.get(attribute) or "").split(",")


def _is_active(file: SelectedFile, node: Any) -> bool:
    """``UploadEntry.isActive``: not sent yet, or still listed by the server (sizes are > 0 here)."""
    return file.ref is None or file.ref in _refs(node, ACTIVE_REFS)


def _is_preflighted(file: SelectedFile, node: Any) -> bool:
    return file.ref is not None and file.ref in _refs(node, PREFLIGHTED_REFS) and _is_active(file, node)


def _awaiting_preflight(files: list[SelectedFile], node: Any) -> list[SelectedFile]:
    """``LiveUploader.filesAwaitingPreflight``."""
    return [f for f in files if _is_active(f, node) and not _is_preflighted(f, node) and not f._preflight_in_progress]


@dataclass
class _Located:
    """The form and the file input, found in the page as it is now."""

    form_node: Any
    form: Form
    input: Any
    upload_ref: str
    inputs: list[Any]  # every live_file_input of the form (LiveUploader works form-wide)


class FileInput:
    """Files chosen for the ``live_file_input`` named ``name`` in the form at ``selector``.

    ``entries`` maps each file's name to a :class:`SelectedFile` (its ref, token, errors,
    progress); ``errors`` holds the error codes the preflight answered for the whole upload.
    """

    def __init__(self, view: "LiveViewTest", selector: str, name: str, files: Iterable[Mapping[str, Any]]) -> None:
        __tracebackhide__ = True
        self.view = view
        self.selector = selector
        self.name = name
        self.files = _files(files)
        self.errors: list[str] = []
        self._selected = False
        located = self._locate("file_input")  # checked now, and again at each use
        if len(self.files) > 1 and "multiple" not in located.input.attributes:
            names = ", ".join(repr(f.name) for f in self.files)
            raise LiveViewTestError(
                f"file input {name!r} of form {selector!r} takes one file (it has no multiple attribute, so the "
                f"picker chooses one); got {len(self.files)}: {names}: {snippet(located.input)}"
            )

    @classmethod
    def resumed(cls, view: "LiveViewTest", selector: str, name: str) -> "FileInput":
        """The input ``name`` whose files were chosen earlier (``view.form(...).submit()`` of a form
        holding them finishes their uploads first, as the client does)."""
        resumed = cls.__new__(cls)
        resumed.view, resumed.selector, resumed.name = view, selector, name
        resumed.files, resumed.errors, resumed._selected = list(_tracked_by_name(view, selector, name)), [], True
        return resumed

    @property
    def entries(self) -> dict[str, SelectedFile]:
        return {f.name: f for f in self.files}

    # --- what a person does -----------------------------------------------------------------------

    async def select(self) -> str:
        """Choose the files: the ``phx-change`` carrying them, then for an auto-upload input the
        preflight and the upload of every file (as the client starts once the change is answered).
        Files the server refuses are not uploaded; the page shows why. The HTML then."""
        __tracebackhide__ = True
        html = await self._choose()
        located = self._locate("select")
        if AUTO_UPLOAD in located.input.attributes and _awaiting_preflight(self._own_tracked(located), located.input):
            html = await self._upload_form()
        return html

    async def render_upload(self, name: str, percent: int = 100) -> str:
        """Send the bytes of the file ``name`` up to ``percent`` of it (chunks of the preflight's
        ``chunk_size``, each answered, and the ``progress`` events the client sends); 100 completes it.

        If the files were not chosen yet, they are first (the change, then the preflight), without
        sending the other files' bytes. A file the server refused raises, naming its error codes.
        """
        __tracebackhide__ = True
        what = f"render_upload of {name!r} ({percent!r}%)"
        file = self._file(name, what)
        if type(percent) is not int or not 0 < percent <= 100:
            raise LiveViewTestError(f"{what}: percent must be an int from 1 to 100")
        self._refuse_failed(file, what)
        if not self._selected:
            await self._choose()
        located = self._locate(what)
        if file.done:
            raise LiveViewTestError(f"{what}: {name!r} is already uploaded completely (100%)")
        self._refuse_inactive(file, what)
        node = self._input_of(file)
        if file.ref in _refs(node, ERROR_REFS):
            raise LiveViewTestError(
                f"{what}: the page shows an error for {name!r} (entry {file.ref} is in {ERROR_REFS} of file input "
                f"{node.attributes.get('name')!r}); the server refused it"
            )
        if file.token is None:
            if AUTO_UPLOAD not in located.input.attributes:  # manual: what a submit starts
                self._refuse_upload_errors(located, what)
            await self._preflight_form(what)
            self._refuse_failed(file, what)
        target = -(-file.size * percent // 100)  # at least `percent` of the bytes
        if target <= file.sent:
            raise LiveViewTestError(f"{what}: {file.sent} of {file.size} bytes of {name!r} are already sent ({file.progress}%)")
        await self._send(file, target, what)
        return self.view._finish_step()

    async def submit(
        self, data: Optional[dict[str, Any]] = None, submitter: Optional[str] = None, value: Optional[dict[str, Any]] = None,
    ) -> str:
        """Submit the form as the client does with files in it: choose them if not done yet, refuse
        when the page shows upload errors (the client cancels such a submit), finish every upload
        in progress, preflight and upload the files awaiting it, then send ``phx-submit`` (with
        ``data`` typed into the form and ``submitter`` pressed, as ``view.form(...).submit``)."""
        __tracebackhide__ = True
        handle = self.view.form(self.selector, data)
        node, form, _filled = handle._model("phx-submit")  # what FormHandle.submit refuses, before any byte is sent
        if not node.attributes.get("phx-submit"):
            raise LiveViewTestError(f"form {self.selector!r} has no phx-submit, so submitting it sends nothing: {snippet(node)}")
        if submitter is not None:
            buttons = form.submit_buttons()
            matches = [b for b in self.view._dom_page().select(submitter) if any(b.mem_id == c.mem_id for c in buttons)]
            if len(matches) != 1:
                listed = "; ".join(snippet(b) for b in buttons[:5]) or "none"
                raise LiveViewTestError(f"submitter {submitter!r} matches {len(matches)} submit buttons of form {self.selector!r}; it has: {listed}")
            if is_disabled(matches[0]):
                raise LiveViewTestError(f"submitter {submitter!r} is disabled: {snippet(matches[0])}")
        if not self._selected:
            await self.select()
        await self._upload_form(submitting=True)
        return await handle.submit(submitter, value)

    # --- the steps --------------------------------------------------------------------------------

    async def _choose(self) -> str:
        """``View.pushInput`` for the file input: track the files, send the change with ``uploads``."""
        __tracebackhide__ = True
        what = f"choosing {', '.join(repr(f.name) for f in self.files)} in file input {self.name!r} of form {self.selector!r}"
        if self._selected:
            raise LiveViewTestError(f"{what}: these files were chosen already; file_input() again to choose others")
        self.view._check_alive(what)
        located = self._locate(what)
        node = located.input
        tracked = _tracked(self.view, located.upload_ref)
        if "multiple" in node.attributes:  # LiveUploader.trackFiles
            tracked.extend(f for f in self.files if not any(f is t for t in tracked))
        else:
            tracked[:] = self.files
        entries = []
        for file in [f for f in tracked if _is_active(f, node)]:  # LiveUploader.serializeUploads
            if file.ref is None:
                file.ref = _next_file_ref(self.view)
            entries.append({
                "path": node.attributes.get("name") or "", "ref": file.ref, "last_modified": file.last_modified,
                "name": file.name, "relative_path": "", "type": file.type, "size": file.size,
            })
        own_event = node.attributes.get("phx-change")
        event = own_event or located.form_node.attributes.get("phx-change")
        if not event:
            raise LiveViewTestError(
                f"{what}: neither the file input nor the form has phx-change, so the client never tracks the "
                f"chosen files and uploads nothing: {snippet(located.form_node)}"
            )
        value = located.form.serialize(only_names=[self.name] if own_event else None)
        payload = {
            "type": "form", "event": event, "value": value,
            "meta": {"_target": self.name, **dom.event_value(located.form_node)},
            "uploads": {located.upload_ref: entries} if entries else {},
        }
        self._selected = True
        return await self.view._push_event(payload, f"{what} ({event!r})", located.form_node)

    async def _upload_form(self, *, submitting: bool = False) -> str:
        """``View.uploadFiles`` and every upload it starts, to the end; a submit first refuses upload
        errors and finishes the uploads in progress (the client's scheduled submit waits for them)."""
        __tracebackhide__ = True
        what = f"submit of form {self.selector!r}" if submitting else f"auto upload of {self.name!r} in form {self.selector!r}"
        located = self._locate(what)
        if submitting:
            self._refuse_upload_errors(located, what)
            for node in located.inputs:
                for file in list(_tracked(self.view, node.attributes.get(UPLOAD_REF) or "")):
                    if file.token is not None and not file.done and not file._cancelled and file._failed is None:
                        await self._send(file, file.size, f"{what}: upload of {file.name!r}")
        uploading = await self._preflight_form(what)
        for file in uploading:
            await self._send(file, file.size, f"{what}: upload of {file.name!r}")
        if submitting:
            located = self._locate(what)
            still = [f for node in located.inputs for f in _awaiting_preflight(_tracked(self.view, node.attributes.get(UPLOAD_REF) or ""), node)]
            if still:
                raise LiveViewTestError(f"{what}: the server refused {self._refused_listing(still)}, so the client does not submit the form")
        return self.view._finish_step()

    async def _preflight_form(self, what: str) -> list[SelectedFile]:
        """``View.uploadFiles``: one ``allow_upload`` per upload input of the form holding files that
        await a preflight; the files it gave a token (the others are cancelled)."""
        __tracebackhide__ = True
        located = self._locate(what)
        accepted: list[SelectedFile] = []
        for node in located.inputs:
            upload_ref = node.attributes.get(UPLOAD_REF) or ""
            files = _awaiting_preflight(_tracked(self.view, upload_ref), node)
            if not files:
                continue
            for file in files:
                file._preflight_in_progress = True
                if file.ref is None:
                    file.ref = _next_file_ref(self.view)
            payload = {"ref": upload_ref, "entries": [
                {"last_modified": f.last_modified, "name": f.name, "relative_path": "", "size": f.size, "type": f.type, "ref": f.ref}
                for f in files
            ]}
            self.view._check_alive(what)
            response = await self.view._request("allow_upload", payload, f"{what}: preflight")
            self.view._finish_step()
            answered = response.get("entries") or {}
            errors = response.get("errors") or {}
            whole = list(errors.get(upload_ref) or [])
            if node.attributes.get("name") == self.name:
                self.errors = whole
            chunk_size = (response.get("config") or {}).get("chunk_size")
            auto = AUTO_UPLOAD in node.attributes
            missing = [f for f in files if not answered.get(f.ref)]
            for file in files:
                file.errors = list(errors.get(file.ref) or []) + ([] if answered.get(file.ref) else whole)
            # handleFailedEntryPreflight: an auto upload drops the refused files, a manual one all of them
            for file in (missing if auto else (files if missing else [])):
                file._preflight_in_progress = False
                file._cancelled = True
                file.token = None
                if file.errors:
                    file._cancel_reason = f"the server refused it: {', '.join(file.errors)}"
                elif file in missing:
                    file._cancel_reason = "the preflight answered no token for it, and no error"
                else:
                    refused = ", ".join(f"{f.name!r} ({', '.join(f.errors) or 'no error given'})" for f in missing)
                    file._cancel_reason = f"the client cancelled it, as the preflight refused {refused} (a manual upload is all or nothing)"
            if not answered:
                continue
            for file in files:
                if file._cancelled:
                    continue
                token = answered[file.ref]
                if not isinstance(token, str):
                    raise LiveViewTestError(
                        f"{what}: the preflight answered {file.name!r} with external uploader metadata {token!r}; "
                        "the test client uploads through the upload channel only"
                    )
                if type(chunk_size) is not int or chunk_size < 1:
                    raise LiveViewTestError(f"{what}: the preflight answered no valid chunk_size: {response.get('config')!r}")
                file.token, file.chunk_size, file._cancelled = token, chunk_size, False
                accepted.append(file)
        return accepted

    async def _send(self, file: SelectedFile, target: int, what: str) -> None:
        """``EntryUploader``: join ``lvu:<ref>`` if not yet, chunks up to ``target`` bytes, progress."""
        __tracebackhide__ = True
        view, connection = self.view, self.view._connection
        topic = f"lvu:{file.ref}"
        if file._join_ref is None:
            join_ref = connection.next_ref()
            reply = await self._lvu_request(
                topic, join_ref, lambda: connection.send([join_ref, join_ref, topic, "phx_join", {"token": file.token}]), what,
            )
            if reply.get("status") != "ok":
                await self._fail(file, _reason(reply), what)
            file._join_ref = join_ref
        while file.sent < target:
            chunk = file.content[file.sent:min(file.sent + file.chunk_size, target)]
            ref = connection.next_ref()
            frame = _chunk_frame(file._join_ref, ref, topic, chunk)
            reply = await self._lvu_request(topic, ref, lambda: connection.peer.send_bytes(frame), what)
            if reply.get("status") != "ok":
                await self._fail(file, _reason(reply), what)
            file.sent += len(chunk)
            percent = math.floor((file.sent / file.size) * 100)  # UploadEntry.progress, in JS float arithmetic
            if percent > file._last_progress_sent:
                percent = min(percent, 100)
                file._last_progress_sent = percent
                await self._progress(file, percent, what)
                file.progress = percent
                if percent == 100:  # answered: LiveUploader.untrackFile
                    file.done = True
                    file._join_ref = None
                    for files in _TRACKED.get(view, {}).values():
                        if any(f is file for f in files):
                            files[:] = [f for f in files if f is not file]
                view._finish_step()

    async def _progress(self, file: SelectedFile, progress: Any, what: str) -> None:
        """``View.pushFileProgress`` on the view's topic."""
        __tracebackhide__ = True
        node = self._input_of(file)
        self.view._check_alive(what)
        payload = {
            "event": node.attributes.get("phx-progress"), "ref": node.attributes.get(UPLOAD_REF),
            "entry_ref": file.ref, "progress": progress,
        }
        await self.view._request("progress", payload, f"{what}: progress {progress!r}")

    async def _fail(self, file: SelectedFile, reason: str, what: str) -> None:
        """``EntryUploader.error``: leave the upload channel, report the failure, then raise."""
        __tracebackhide__ = True
        connection = self.view._connection
        topic = f"lvu:{file.ref}"
        if file._join_ref is not None:
            join_ref, ref = file._join_ref, connection.next_ref()
            await self._lvu_request(topic, ref, lambda: connection.send([join_ref, ref, topic, "phx_leave", {}]), what)
        file._join_ref = None
        file._failed = reason
        if reason != "writer_error":  # the client only logs a refusal of this report
            node = self._input_of(file)
            self.view._check_alive(what)
            await self.view._connection.request(self.view, "progress", {
                "event": node.attributes.get("phx-progress"), "ref": node.attributes.get(UPLOAD_REF),
                "entry_ref": file.ref, "progress": {"error": reason},
            })
            self.view._finish_step()
        raise LiveViewTestError(f"{what}: the server refused the upload of {file.name!r} (entry {file.ref}): {reason}")

    async def _lvu_request(self, topic: str, ref: str, send: Callable[[], None], what: str) -> dict[str, Any]:
        """Send a frame of an upload channel; its reply (or the channel's error) once it arrives."""
        __tracebackhide__ = True
        view, connection = self.view, self.view._connection
        timeout = view._browser.timeout
        send()
        while True:
            try:
                text = await connection.peer.receive(timeout)
            except TimeoutError:
                raise LiveViewTestError(f"{what}: no answer on {topic} within {timeout:g} s") from None
            except SocketClosed as closed:
                raise LiveViewTestError(f"{what}: the server closed the live socket with code {closed.code}") from None
            frame = connection.dispatch(text)
            view._raise_crash()
            if frame is None or frame[2] != topic:
                continue
            if frame[3] == "phx_reply" and frame[1] == ref:
                return frame[4]
            if frame[3] == "phx_error":
                return {"status": "error", "response": frame[4] if isinstance(frame[4], dict) and frame[4] else {"reason": "phx_error"}}

    # --- the page ---------------------------------------------------------------------------------

    def _locate(self, what: str) -> _Located:
        """The form and its live_file_input named ``name``, or an error naming what the page has."""
        __tracebackhide__ = True
        page = self.view._dom_page()
        form_node = page.one(self.selector, binding="phx-change")
        if form_node.tag != "form":
            raise LiveViewTestError(f"{what}: {self.selector!r} is a <{form_node.tag}>, not a <form>: {snippet(form_node)}")
        form = Form(page, form_node)
        files = [c for c in form._controls if c.tag == "input" and c.type == "file"]
        named = [c.node for c in files if c.name == self.name]
        if not named:
            elsewhere = [
                n for n in page.select('input[type="file"]')
                if n.attributes.get("name") == self.name and not any(n.mem_id == c.node.mem_id for c in files)
            ]
            hint = f" (the page has one outside it: {snippet(elsewhere[0])})" if elsewhere else ""
            raise LiveViewTestError(
                f"{what}: form {self.selector!r} has no file input named {self.name!r}{hint}; its file inputs: "
                f"{names_listing([c.name for c in files], self.name)}"
            )
        if len(named) > 1:
            raise LiveViewTestError(f"{what}: form {self.selector!r} has {len(named)} file inputs named {self.name!r}: {snippet(named[0])}")
        node = named[0]
        upload_ref = node.attributes.get(UPLOAD_REF)
        if not upload_ref:
            raise LiveViewTestError(
                f"{what}: file input {self.name!r} of form {self.selector!r} is not a live_file_input (no {UPLOAD_REF}), "
                f"so the client uploads nothing from it: {snippet(node)}"
            )
        if is_disabled(node):
            raise LiveViewTestError(f"{what}: file input {self.name!r} of form {self.selector!r} is disabled: {snippet(node)}")
        inputs = [c.node for c in files if c.node.attributes.get(UPLOAD_REF)]
        return _Located(form_node, form, node, upload_ref, inputs)

    def _own_tracked(self, located: _Located) -> list[SelectedFile]:
        return _tracked(self.view, located.upload_ref)

    def _input_of(self, file: SelectedFile) -> Any:
        """The live_file_input of the form whose files include ``file`` (as the page shows it now)."""
        located = self._locate("upload")
        for node in located.inputs:
            if any(f is file for f in _tracked(self.view, node.attributes.get(UPLOAD_REF) or "")):
                return node
        return located.input

    def _file(self, name: str, what: str) -> SelectedFile:
        __tracebackhide__ = True
        for file in self.files:
            if file.name == name:
                return file
        raise LiveViewTestError(f"{what}: no file {name!r} was chosen; the files are: {names_listing([f.name for f in self.files], name)}")

    def _refuse_failed(self, file: SelectedFile, what: str) -> None:
        __tracebackhide__ = True
        if file._failed is not None:
            raise LiveViewTestError(f"{what}: the upload of {file.name!r} failed earlier: {file._failed}")
        if file._cancelled:
            raise LiveViewTestError(f"{what}: {file.name!r} (entry {file.ref}) cannot be uploaded: {file._cancel_reason}")

    def _refuse_inactive(self, file: SelectedFile, what: str) -> None:
        __tracebackhide__ = True
        node = self._input_of(file)
        if file.ref is None or not any(f is file for f in _tracked(self.view, node.attributes.get(UPLOAD_REF) or "")) or not _is_active(file, node):
            raise LiveViewTestError(
                f"{what}: the file input no longer holds {file.name!r} (entry {file.ref} is not in its "
                f"{ACTIVE_REFS}={node.attributes.get(ACTIVE_REFS)!r}: replaced or cancelled)"
            )

    def _refuse_upload_errors(self, located: _Located, what: str) -> None:
        """``LiveUploader.hasUploadErrors``: the client cancels a submit (and its uploads) then."""
        __tracebackhide__ = True
        problems = []
        for node in located.inputs:
            refs = [r for r in _refs(node, ERROR_REFS) if r]
            if not refs:
                continue
            tracked = {f.ref: f for f in _TRACKED.get(self.view, {}).get(node.attributes.get(UPLOAD_REF) or "", [])}
            named = [f"{tracked[r].name!r} (entry {r})" if r in tracked else f"entry {r}" for r in refs]
            named = ["the whole upload" if r == node.attributes.get(UPLOAD_REF) else n for r, n in zip(refs, named)]
            problems.append(f"{node.attributes.get('name')!r}: {', '.join(named)}")
        if problems:
            raise LiveViewTestError(
                f"{what}: the page shows upload errors ({ERROR_REFS}) for {'; '.join(problems)}, so the client "
                "cancels the submit and uploads nothing"
            )

    @staticmethod
    def _refused_listing(files: list[SelectedFile]) -> str:
        return ", ".join(f"{f.name!r} ({', '.join(f.errors) or 'no reason given'})" for f in files)

    def __repr__(self) -> str:
        return f"<FileInput {self.name!r} of form {self.selector!r}: {', '.join(f.name for f in self.files)}>"


def file_input(view: "LiveViewTest", selector: str, name: str, files: Iterable[Mapping[str, Any]]) -> FileInput:
    """Files for the ``live_file_input`` named ``name`` of the form at ``selector``.

    Each file is ``{"name": ..., "content": bytes or str (UTF-8)}`` with optional ``"type"``
    (guessed from the name, as the browser does; ``""`` if unknown) and ``"last_modified"`` (ms).
    Nothing is sent until :meth:`FileInput.select`, :meth:`~FileInput.render_upload` or
    :meth:`~FileInput.submit`.
    """
    __tracebackhide__ = True
    return FileInput(view, selector, name, files)


# ============================================================================ helpers


def _files(files: Iterable[Mapping[str, Any]]) -> list[SelectedFile]:
    __tracebackhide__ = True
    if isinstance(files, (str, bytes, Mapping)) or not isinstance(files, Iterable):
        raise LiveViewTestError(f"file_input expects a list of files like [{{'name': 'a.png', 'content': b'...'}}], got {files!r:.80}")
    chosen: list[SelectedFile] = []
    now = int(time.time() * 1000)
    for spec in files:
        if not isinstance(spec, Mapping):
            raise LiveViewTestError(f"a file is a dict like {{'name': 'a.png', 'content': b'...'}}, got {spec!r:.80}")
        unknown = set(spec) - _FILE_KEYS
        if unknown:
            raise LiveViewTestError(f"unknown keys {sorted(unknown)} in file {spec.get('name')!r}; a file has: {sorted(_FILE_KEYS)}")
        name, content = spec.get("name"), spec.get("content")
        if not isinstance(name, str) or not name:
            raise LiveViewTestError(f"a file needs a non-empty 'name', got {name!r}")
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise LiveViewTestError(f"file {name!r}: 'content' must be bytes (or str, sent as UTF-8), got {type(content).__name__}")
        content = bytes(content)
        if not content:
            raise LiveViewTestError(f"file {name!r} is empty: the client ignores files of 0 bytes (UploadEntry.isActive)")
        mime = spec.get("type")
        if mime is None:
            mime = mimetypes.guess_type(name)[0] or ""
        if not isinstance(mime, str):
            raise LiveViewTestError(f"file {name!r}: 'type' must be a MIME type string, got {mime!r}")
        modified = spec.get("last_modified", now)
        if type(modified) is not int:
            raise LiveViewTestError(f"file {name!r}: 'last_modified' must be an int (ms since the epoch), got {modified!r}")
        if any(f.name == name for f in chosen):
            raise LiveViewTestError(f"two files named {name!r}: render_upload finds files by name")
        chosen.append(SelectedFile(name, content, mime, modified))
    if not chosen:
        raise LiveViewTestError("file_input needs at least one file")
    return chosen


def _chunk_frame(join_ref: str, ref: str, topic: str, data: bytes, event: str = "chunk") -> bytes:
    """A binary push (PROTOCOL.md §2.3): kind 0, the four field lengths, the fields, the bytes."""
    fields = [join_ref.encode(), ref.encode(), topic.encode(), event.encode()]
    return bytes([0, *map(len, fields)]) + b"".join(fields) + data


def _reason(reply: dict[str, Any]) -> str:
    response = reply.get("response")
    if isinstance(response, dict) and "reason" in response:
        extra = {k: v for k, v in response.items() if k != "reason"}
        return str(response["reason"]) + (f" {orjson.dumps(extra).decode()}" if extra else "")
    return repr(response)

