"""What the end-to-end benchmarks share: their client's event loop, a free port, the dead render a
client reads before it joins (a minimal HTTP GET, the container's tokens), and the server
process they measure (``ServerProcess``)."""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

#: The client's event loop, "asyncio" or "uvloop": the scripts' --client-loop sets it.
CLIENT_LOOP = "asyncio"

_CSRF_META = re.compile(r"""<meta\s+name="csrf-token"\s+content="([^"]*)\"""")
_CONTAINER = re.compile(r"<div\b[^>]*\bdata-phx-session\b[^>]*>", re.DOTALL)
_ATTR = re.compile(r"""([\w:-]+)(?:\s*=\s*"([^"]*)")?""")


def log(text: str = "") -> None:
    print(text, flush=True)


def new_client_loop() -> asyncio.AbstractEventLoop:
    """The client's event loop: uvloop when installed (a cheaper client leaves more CPU to the server)."""
    if CLIENT_LOOP == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=new_client_loop) as runner:
        return runner.run(coro)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def http_get(host: str, port: int, path: str) -> tuple[int, list[str], str]:
    """A minimal HTTP/1.1 GET: status, the Set-Cookie ``name=value`` pairs, the body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        raw = await reader.read()
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    cookies = [
        line.split(":", 1)[1].split(";", 1)[0].strip()
        for line in lines[1:]
        if line.lower().startswith("set-cookie:")
    ]
    if any(line.lower() == "transfer-encoding: chunked" for line in lines[1:]):
        body = _dechunk(body)
    return status, cookies, body.decode("utf-8")


def _dechunk(data: bytes) -> bytes:
    out, i = [], 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[j + 2:j + 2 + size])
        i = j + 2 + size + 2


def parse_page(page: str) -> tuple[str, str, str | None, str]:
    """The container's id, session and static tokens and the CSRF token of a dead render."""
    meta = _CSRF_META.search(page)
    tag = _CONTAINER.search(page)
    if meta is None or tag is None:
        raise ValueError("page has no csrf-token meta or no [data-phx-session] container")
    attrs = {m.group(1): html.unescape(m.group(2) or "") for m in _ATTR.finditer(tag.group(0)[4:-1])}
    return attrs["id"], attrs["data-phx-session"], attrs.get("data-phx-static") or None, html.unescape(meta.group(1))


class ServerProcess:
    """One server subprocess (optionally under cProfile): start, wait until ``ready_path`` answers,
    read its CPU time and memory from /proc, wait for it to go idle, stop it.

    ``argv`` follows ``python``; ``{port}`` in it becomes the free port chosen here. The process's
    output goes to a temporary log, whose tail an error message shows.
    """

    def __init__(self, name: str, argv: list[str], *, ready_path: str, env: dict[str, str] | None = None,
                 profile: str | None = None, log_prefix: str = "bench") -> None:
        self.name = name
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.ready_path = ready_path
        self.env = env or {}
        self.profile = profile
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open while the server runs
            "w+", prefix=f"{log_prefix}-{name.split('[')[0]}-", suffix=".log", delete=False,
        )
        self.proc: subprocess.Popen | None = None

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        cmd = [sys.executable] + (["-m", "cProfile", "-o", self.profile] if self.profile else []) + self.argv
        env = dict(os.environ, **self.env, **(extra_env or {}),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _, _ = run(http_get("127.0.0.1", self.port, self.ready_path))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} server did not answer on port {self.port} within {timeout:g} s:\n"
                           f"{self.log_tail()}")

    def process_cpu_seconds(self) -> float:
        """utime + stime of the whole process (every thread, live or exited), in clock ticks' precision."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def cpu_seconds(self) -> float:
        return self.process_cpu_seconds()

    def status_bytes(self, key: str) -> int:
        """A ``/proc/<pid>/status`` memory line (``VmRSS:``, ``VmHWM:``) in bytes; 0 where missing."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def rss_bytes(self) -> int:
        return self.status_bytes("VmRSS:")

    async def settle(self, max_s: float = 5.0, poll_s: float = 0.05) -> float:
        """Wait until the server stops using CPU (teardown of closed sockets, pending renders).

        Polls instead of sleeping a fixed time; returns the CPU seconds it spent meanwhile.
        """
        start = cpu = self.cpu_seconds()
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            await asyncio.sleep(poll_s)
            now = self.cpu_seconds()
            if now - cpu < 0.001:
                break
            cpu = now
        return self.cpu_seconds() - start

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Stop the server (SIGINT: uvicorn shuts down cleanly, cProfile then writes its file); drop the log."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)

    def log_tail(self, n: int = 30) -> str:
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-n:])
