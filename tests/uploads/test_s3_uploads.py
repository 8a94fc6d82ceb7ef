"""External uploads end to end: the official client in Chromium posts files straight to an
S3-compatible server (moto in server mode, started here) with the POST our view presigned, and the
view learns of each file through the client's progress. Skips locally, fails on CI, without moto,
Chromium or the client bundle.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prerequisites import import_or_skip, skip_or_fail

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUCKET = "pyview-test"
STARTUP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # a process starting up: nothing to await but its port
    raise RuntimeError(f"{what} did not listen on {port} within {STARTUP_TIMEOUT} s")


def start(args: list[str], port: int, what: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    # stderr to a file, not a pipe: a server that logs every request would fill a pipe and stall
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(args, cwd=HERE, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=log)
    process.log = log  # type: ignore[attr-defined]
    try:
        wait_for_port(port, process, what)
    except RuntimeError as exc:
        process.kill()
        process.wait()
        log.seek(0)
        raise RuntimeError(f"{exc}; its stderr:\n{log.read().decode(errors='replace')[-2000:]}") from None
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    import_or_skip("moto.server", "the S3 tests need moto in server mode")
    boto3 = import_or_skip("boto3", "the S3 tests need boto3")
    port = free_port()
    process = start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, "moto server")
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        client.create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        stop(process)


@pytest.fixture(scope="module")
def s3_app(s3_server: str) -> Iterator[str]:
    if not (ROOT / "pyview_core" / "static" / "vendor" / "phoenix_live_view.min.js").is_file():
        skip_or_fail("the LiveView client bundle is missing; run `npm ci`")
    port = free_port()
    process = start(
        [sys.executable, "-m", "uvicorn", "s3_app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        port, "uvicorn", env={"S3_ENDPOINT": s3_server, "S3_BUCKET": BUCKET},
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def test_the_browser_uploads_straight_to_s3(chromium, s3_app: str, s3_server: str):
    import boto3
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=s3_app)
    try:
        page = context.new_page()
        page.goto("/s3")
        page.wait_for_selector("[data-phx-main].phx-connected")
        contents = {"a.txt": b"first file\n" * 100, "b.txt": b"second" * 3000}
        page.set_input_files("#docs-form input[type=file]", files=[
            {"name": name, "mimeType": "text/plain", "buffer": data} for name, data in contents.items()
        ])
        expect(page.locator("#stored li.stored")).to_have_count(2)
        client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        for item in page.locator("#stored li.stored").all():
            key = item.get_attribute("data-key")
            body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            assert body == contents[item.inner_text()]
        expect(page.locator("#entries li")).to_have_count(0)  # consumed
    finally:
        context.close()


def test_a_refused_file_never_reaches_the_store(chromium, s3_app: str, s3_server: str):
    import boto3
    from playwright.sync_api import expect

    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    before = client.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0)
    context = chromium.new_context(base_url=s3_app)
    try:
        page = context.new_page()
        page.goto("/s3")
        page.wait_for_selector("[data-phx-main].phx-connected")
        page.set_input_files("#docs-form input[type=file]", files=[
            {"name": "evil.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" * 10},
        ])
        expect(page.locator("#entries li")).to_contain_text("not_accepted")
        assert client.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == before
    finally:
        context.close()
