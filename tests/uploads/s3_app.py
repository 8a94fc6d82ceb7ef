"""A view whose files go straight to an S3-compatible store (the tests run moto in server mode).

``S3_ENDPOINT`` names the store; ``S3_BUCKET`` the bucket. Served by uvicorn in the S3 tests.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from typing import Any

import boto3

from pyview_core import ExternalUploadMeta, LiveView, PyView, UploadConstraints, event

BUCKET = os.environ.get("S3_BUCKET", "pyview-test")
MAX_SIZE = 200_000
s3 = boto3.client(
    "s3", endpoint_url=os.environ.get("S3_ENDPOINT"), region_name="us-east-1",
    aws_access_key_id="test", aws_secret_access_key="test",
)


class S3UploadView(LiveView[dict]):
    template_name = "s3_view.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        config = socket.allow_upload(
            "docs", constraints=UploadConstraints(max_file_size=MAX_SIZE, max_files=3, accept=[".txt"]),
            auto_upload=True, progress=self.on_progress, external=self.presign,
        )
        socket.context = {"uploads": config, "stored": []}

    async def presign(self, entry: Any, socket: Any) -> ExternalUploadMeta:
        key = f"docs/{uuid.uuid4().hex}-{re.sub(r'[^A-Za-z0-9._-]', '_', entry.name)[:60]}"
        post = await asyncio.to_thread(
            s3.generate_presigned_post, BUCKET, key,
            Conditions=[["content-length-range", 0, MAX_SIZE]], ExpiresIn=300,
        )
        return ExternalUploadMeta(uploader="S3", url=post["url"], fields=post["fields"])

    async def on_progress(self, entry: Any, socket: Any) -> None:
        if entry.done:
            with socket.context["uploads"].consume_upload_entry(entry.ref) as upload:
                if upload is not None:
                    socket.context["stored"].append((entry.name, upload.meta.fields["key"]))

    @event("validate")
    async def validate(self, socket: Any, payload: dict) -> None:
        pass


app = PyView(secret_key="s3-tests-only-not-a-secret-" + "0123456789abcdefghijk")
app.add_live_view("/s3", S3UploadView)
