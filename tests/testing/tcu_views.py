"""LiveViews for the test client's upload helpers (``file_input``); templates beside this module, ``tcu_*.html``."""

from __future__ import annotations

from typing import Any

from pyview_core import LiveView, PyView, UploadConstraints, event

SECRET = "testing-upload-tests-only-" + "0123456789abcdefghijklmn"


class AutoUploadView(LiveView[dict]):
    """Up to two .txt files of at most 100 bytes, uploaded as soon as they are chosen (chunks of
    10 bytes); each is consumed when done and its content shown."""

    template_name = "tcu_auto.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        constraints = UploadConstraints(max_file_size=100, max_files=2, accept=[".txt"], chunk_size=10)
        docs = socket.allow_upload("docs", constraints=constraints, auto_upload=True, progress=self.on_progress)
        socket.context = {"docs": docs, "saved": [], "changes": 0}

    async def on_progress(self, entry: Any, socket: Any) -> None:
        if entry.done:
            with socket.context["docs"].consume_upload_entry(entry.ref) as upload:
                if upload is not None:
                    socket.context["saved"].append(f"{entry.name}={upload.file.read().decode()}")

    @event("validate")
    async def validate(self, socket: Any, payload: dict) -> None:
        socket.context["changes"] += 1

    @event("cancel")
    async def cancel(self, socket: Any, ref: str) -> None:
        socket.cancel_upload("docs", ref)


class ManualUploadView(LiveView[dict]):
    """Photos (up to three images) and an avatar (one .png), uploaded when the form is submitted;
    the submit handler consumes them. Also a form with a plain file input, and one without phx-change."""

    template_name = "tcu_manual.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        photos = socket.allow_upload("photos", constraints=UploadConstraints(max_files=3, accept=["image/*"], max_file_size=1000, chunk_size=64))
        avatar = socket.allow_upload("avatar", constraints=UploadConstraints(accept=[".png"], chunk_size=64))
        notes = socket.allow_upload("notes")
        socket.context = {"photos": photos, "avatar": avatar, "notes": notes, "changed": "", "saved": []}

    @event("validate")
    async def validate(self, socket: Any, payload: dict) -> None:
        socket.context["changed"] = repr(sorted(payload.items()))

    @event("save")
    async def save(self, socket: Any, payload: dict) -> None:
        saved = [f"title={payload.get('title', '')}"]
        for name in ("photos", "avatar"):
            with socket.context[name].consume_uploads() as files:
                saved.extend(f"{name}:{u.entry.name}:{u.entry.type}:{len(u.file.read())}" for u in files)
        socket.context["saved"] = saved


def make_app(upload_dir: Any) -> PyView:
    app = PyView(secret_key=SECRET, upload_dir=upload_dir)
    app.add_live_view("/docs", AutoUploadView)
    app.add_live_view("/photos", ManualUploadView)
    return app
