"""The upload page on our runtime, for ``benchmarks/uploads.py``.

    python -m uvicorn benchmarks.upload_apps.ours:app --host 127.0.0.1 --port 8001

Plain uvicorn, exactly as ``peer.py`` is served (same flags), so the comparison is the two
frameworks' upload paths on the same transport. The secret is fixed (a benchmark target, never a
deployment). Temp files go to our default upload dir, ``$TMPDIR/pyview-uploads``.
"""

from __future__ import annotations

from typing import Any

from pyview_core import LiveView, PyView, UploadConstraints, event

from . import ACCEPT, CHUNK_SIZE, MAX_FILE_SIZE, UPLOAD_NAME, describe

SECRET_KEY = "uploads-benchmark-secret-not-for-production-0123"


class UploadBenchView(LiveView[dict]):
    template_name = "upload.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        constraints = UploadConstraints(max_file_size=MAX_FILE_SIZE, max_files=1, accept=ACCEPT, chunk_size=CHUNK_SIZE)
        config = socket.allow_upload(UPLOAD_NAME, constraints=constraints, auto_upload=True, progress=self.on_progress)
        socket.context = {"uploads": config, "progress": 0, "consumed": "nothing yet"}

    async def on_progress(self, entry: Any, socket: Any) -> None:
        socket.context["progress"] = entry.progress
        if entry.done:
            with socket.context["uploads"].consume_upload_entry(entry.ref) as upload:
                if upload is not None:
                    socket.context["consumed"] = describe(entry.name, upload.path)

    @event("validate")
    async def validate(self, socket: Any, payload: dict) -> None:
        pass


app = PyView(secret_key=SECRET_KEY)
app.add_live_view("/upload", UploadBenchView)
