"""Tests against a real server: ``pyview serve serving_app:app`` on a free port of 127.0.0.1.

The fixture ``server`` starts it (one uvicorn worker, our production defaults) and gives the
tests its base URL, its pid (for RSS) and its log, which they can wait on line by line.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SECRET = "serving-tests-secret-0123456789-abcdefghijklm"
STARTUP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``pyview serve`` process and what it logs."""

    proc: subprocess.Popen
    base: str
    lines: "queue.Queue[str]" = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> int:
        """The server's resident memory in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def wait_for_line(self, needle: str, timeout: float = 30.0) -> str:
        """The first line logged from now on that contains ``needle`` (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the server did not log {needle!r} within {timeout} s; its log ends with:\n" + "".join(self.log[-20:]))
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if needle in line:
                return line


def start_server(*args: str, env: dict[str, str] | None = None) -> Server:
    port = _free_port()
    python_path = os.pathsep.join(filter(None, [str(ROOT), str(HERE), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "PYVIEW_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path, **(env or {})}
    environment.pop("PYVIEW_ENV", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pyview_core.cli import main; sys.exit(main())",
         "serve", "serving_app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "info", *args],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    server = Server(proc, f"http://127.0.0.1:{port}")

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.log.append(line)
            server.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    server.wait_for_line("Uvicorn running on", timeout=STARTUP_TIMEOUT)
    return server


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture
def server() -> Iterator[Server]:
    running = start_server()
    try:
        yield running
    finally:
        stop_server(running)
