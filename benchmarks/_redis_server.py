"""A throwaway ``redis-server`` for the benchmarks: a free port of 127.0.0.1, no persistence, a
temporary directory; started and stopped by the script that needs it (``benchmarks/pubsub.py``).

The same approach as ``tests/redis_server.py`` (benchmarks do not import from ``tests/``), plus
what a benchmark wants: the server's CPU time, and ``die_with_parent`` so that no child of a
benchmark outlives it, even when the benchmark itself is killed.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def die_with_parent() -> None:
    """``preexec_fn`` for a child process: SIGTERM it when its parent dies (Linux; a no-op elsewhere),
    and give it the default SIGINT disposition.

    Cleanup in ``finally`` covers errors, Ctrl-C and SIGTERM; this covers a SIGKILLed benchmark
    (a test's timeout, the OOM killer), which would otherwise leave its servers running.
    """
    # A benchmark started in the background inherits SIGINT ignored; its children must still stop on it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str | None:
    """``redis-server`` on the PATH, else ``/usr/bin/redis-server``, else None."""
    found = shutil.which("redis-server")
    if found:
        return found
    return "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None


class RedisServer:
    """One redis-server process on ``port``; ``url`` is its redis:// URL."""

    def __init__(self, binary: str | None = None) -> None:
        binary = binary or redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed (e.g. `sudo apt-get install redis-server`)")
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="pyview-bench-redis-")
        self.proc: subprocess.Popen | None = None
        self.version = ""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--protected-mode", "no", "--loglevel", "warning"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - the benchmarks start no threads
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                output = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}: {output}")
            if self.ping():
                info = self.command("INFO", "server").decode(errors="replace")
                for line in info.splitlines():
                    if line.startswith("redis_version:"):
                        self.version = line.split(":", 1)[1].strip()
                return self
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} within {timeout:g} s")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args: str) -> bytes:
        """One command over a fresh connection; the raw reply (enough for small replies)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            parts = "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
            s.sendall(f"*{len(args)}\r\n{parts}".encode())
            return s.recv(65536)

    def cpu_seconds(self) -> float:
        """utime + stime of the redis-server process (clock ticks), 0 when unknown."""
        if self.proc is None:
            return 0.0
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Terminate (kill after 10 s) and remove the directory; safe to call twice."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
