"""Views for the upload protocol tests (templates beside this module)."""

from __future__ import annotations

from typing import Any

from pyview_core import ExternalUploadMeta, LiveView, PyView, UploadConstraints, event

SECRET = "uploads-tests-only-not-a-secret-" + "0123456789abcdef"
CHUNK = 10  # bytes per chunk: small, so a file takes several


class UploadView(LiveView[dict]):
    """Auto-upload of up to two .txt/.csv files of at most 100 bytes; each is consumed when done."""

    template_name = "upload_view.html"
    chunk_timeout = 5.0

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        constraints = UploadConstraints(
            max_file_size=100, max_files=2, accept=[".txt", "text/csv"], chunk_size=CHUNK, chunk_timeout=self.chunk_timeout,
        )
        config = socket.allow_upload("docs", constraints=constraints, auto_upload=True, progress=self.on_progress)
        socket.context = {"uploads": config, "saved": [], "consume": True}

    async def on_progress(self, entry: Any, socket: Any) -> None:
        if entry.done and socket.context["consume"]:
            with socket.context["uploads"].consume_upload_entry(entry.ref) as upload:
                if upload is not None:
                    socket.context["saved"].append(f"{entry.name}={upload.file.read().decode()}")

    @event("validate")
    async def validate(self, socket: Any, payload: dict) -> None:
        pass

    @event("keep")
    async def keep(self, socket: Any) -> None:
        socket.context["consume"] = False

    @event("leave")
    async def leave(self, socket: Any) -> None:
        await socket.push_navigate("/slow")

    @event("boom")
    async def boom(self, socket: Any) -> None:
        raise ZeroDivisionError("a handler failed mid-upload")

    @event("cancel")
    async def cancel(self, socket: Any, ref: str) -> None:
        socket.cancel_upload("docs", ref)


class SlowUploadView(UploadView):
    chunk_timeout = 0.2


class ExternalUploadView(LiveView[dict]):
    """Files go straight to storage: the presign function answers each entry with uploader metadata."""

    template_name = "upload_view.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        config = socket.allow_upload("docs", constraints=UploadConstraints(max_file_size=100, max_files=2, accept=[".txt"]),
                                     auto_upload=True, progress=self.on_progress, external=self.presign)
        socket.context = {"uploads": config, "saved": []}

    async def presign(self, entry: Any, socket: Any) -> ExternalUploadMeta:
        return ExternalUploadMeta(uploader="S3", url="https://bucket.example/", fields={"key": f"docs/{entry.name}"})

    async def on_progress(self, entry: Any, socket: Any) -> None:
        if entry.done:
            with socket.context["uploads"].consume_upload_entry(entry.ref) as upload:
                socket.context["saved"].append(f"{entry.name}@{upload.meta.fields['key']}")


def make_app(upload_dir: Any) -> PyView:
    app = PyView(secret_key=SECRET, upload_dir=upload_dir)
    app.add_live_view("/upload", UploadView)
    app.add_live_view("/slow", SlowUploadView)
    app.add_live_view("/external", ExternalUploadView)
    return app
