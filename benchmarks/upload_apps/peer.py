"""The same upload page on pyview-web 0.9.0 (module ``pyview``), for ``benchmarks/uploads.py``.

    python -m uvicorn benchmarks.upload_apps.peer:app --host 127.0.0.1 --port 8002

It renders the same ``upload.html`` through pyview-web's Ibis, and consumes the finished file the
way pyview-web's upload docs do: ``consume_upload_entry(entry.ref)`` in the progress callback,
once ``entry.done``. pyview-web writes its temp files with ``tempfile.NamedTemporaryFile``
(``$TMPDIR``).
"""

from __future__ import annotations

import os
from typing import Any

# pyview-web signs its CSRF and session tokens with PYVIEW_SECRET (a random one per process
# otherwise); fix it as ours.py fixes its secret_key. Must be set before pyview is imported.
os.environ.setdefault("PYVIEW_SECRET", "uploads-benchmark-peer-secret-not-for-production-01")

from pyview import LiveView, LiveViewSocket, PyView
from pyview.template import LiveRender, template_file
from pyview.uploads import UploadConstraints

from . import ACCEPT, CHUNK_SIZE, MAX_FILE_SIZE, TEMPLATE, UPLOAD_NAME, describe


class PeerUploadBenchView(LiveView[dict]):
    async def mount(self, socket: LiveViewSocket[dict], session):
        constraints = UploadConstraints(max_file_size=MAX_FILE_SIZE, max_files=1, accept=ACCEPT, chunk_size=CHUNK_SIZE)
        config = socket.allow_upload(UPLOAD_NAME, constraints=constraints, auto_upload=True, progress=self.on_progress)
        socket.context = {"uploads": config, "progress": 0, "consumed": "nothing yet"}

    async def on_progress(self, entry: Any, socket: LiveViewSocket[dict]) -> None:
        socket.context["progress"] = entry.progress
        if entry.done:
            with socket.context["uploads"].consume_upload_entry(entry.ref) as upload:
                if upload is not None:
                    socket.context["consumed"] = describe(entry.name, upload.file.name)

    async def handle_event(self, event, payload, socket: LiveViewSocket[dict]):
        pass  # "validate": the form change that declares the file (pyview-web registers it itself)

    async def render(self, assigns, meta):
        return LiveRender(template_file(str(TEMPLATE)), assigns, meta)


app = PyView()
app.add_live_view("/upload", PeerUploadBenchView)
