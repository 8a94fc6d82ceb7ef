"""Several processes serving one app: ``pyview serve --workers N``, and separate ``pyview serve``
processes behind one (imaginary) load balancer, against a real redis-server.

What must hold:

* ``--workers 2`` is refused, before anything is served, when the app's pub/sub is in-memory
  (a broadcast would not reach the other worker's views) and together with ``--reload``;
* with ``PYVIEW_PUBSUB_URL`` and no ``PYVIEW_SECRET_KEY``, both workers serve, a page rendered by
  one worker is joined on the other (they share the secret ``serve`` generated), a broadcast made
  on one worker reaches a view on the other, each worker has tuned its own collector, and an
  interrupt stops the parent and both workers cleanly;
* two ``pyview serve`` processes sharing the secret and the broker serve one app without sticky
  sessions: the page from one, the socket to the other, and broadcasts crossing both ways.

Waits are polls or awaited events with deadlines (safety nets against a hang, never bounds).
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from async_runner import run
from phx_client import LiveClient, dynamic
from redis_server import free_port

# Not imported from this folder's conftest.py: `from conftest import ...` finds another folder's
# conftest when pytest is given files of several folders (tests/serving/... tests/core/...).
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SECRET = "workers-tests-secret-0123456789-abcdefghijklmnop"
DEADLINE = 20.0  # seconds; only a safety net
STARTUP_TIMEOUT = 30.0
_PAGE_PID = re.compile(r'<p id="pid">(\d+)</p>')


@dataclass
class Server:
    """A running ``pyview serve workers_app:app`` and its log (stdout and stderr), line by line."""

    proc: subprocess.Popen
    base: str
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for_line(self, needle: str, timeout: float) -> None:
        """Until a line logged from now on contains ``needle`` (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.proc.poll() is not None and self.lines.empty()):
                raise AssertionError(f"the server did not log {needle!r}; its log ends with:\n" + "".join(self.log[-20:]))
            try:
                if needle in self.lines.get(timeout=min(remaining, 0.5)):
                    return
            except queue.Empty:
                pass

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _env(**extra: str) -> dict[str, str]:
    """The test process's environment without any pyview setting, plus ``extra``."""
    python_path = os.pathsep.join(filter(None, [str(ROOT), str(HERE), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path}
    for name in ("PYVIEW_ENV", "PYVIEW_SECRET_KEY", "PYVIEW_PUBSUB_URL", "WEB_CONCURRENCY"):
        env.pop(name, None)
    return {**env, **extra}


def _command(port: int, *args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from pyview_core.cli import main; sys.exit(main())",
            "serve", "workers_app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "info", *args]


def _start(*args: str, env: dict[str, str], workers: int = 1) -> Server:
    """``pyview serve workers_app:app ARGS`` on a free port, once each of its ``workers`` has started."""
    port = free_port()
    proc = subprocess.Popen(_command(port, *args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    server = Server(proc, f"http://127.0.0.1:{port}")

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.log.append(line)
            server.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        for _ in range(workers):
            server.wait_for_line("Application startup complete", timeout=STARTUP_TIMEOUT)
    except BaseException:
        server.stop()
        raise
    return server


def _refused(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(_command(free_port(), *args), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


class Room:
    """One tab in the room: a ``LiveClient`` and the "said" diffs its view was pushed."""

    def __init__(self, base: str, socket_base: str | None = None) -> None:
        self.heard: list[tuple[str, str]] = []  # (text, pid it was said on)
        self._changed = asyncio.Event()
        self.client = LiveClient(base, "/room", on_push=self._on_push, socket_base=socket_base)

    def _on_push(self, event: str, payload: dict) -> None:
        if event == "diff" and dynamic(payload, "1") is not None:  # the template: pid, said, by
            self.heard.append((dynamic(payload, "1"), dynamic(payload, "2")))
            self._changed.set()

    async def open(self) -> Room:
        async with httpx.AsyncClient() as http:  # a connection of its own: any worker may take it
            await self.client.open(http)
        return self

    @property
    def page_pid(self) -> int:
        """The pid of the process that rendered the page (the GET)."""
        match = _PAGE_PID.search(self.client.dead_render)
        assert match, self.client.dead_render[:300]
        return int(match.group(1))

    @property
    def view_pid(self) -> int:
        """The pid of the process the view joined on (the WebSocket)."""
        return int(self.client.rendered["0"])

    async def say(self, text: str) -> None:
        reply = await self.client.click("say", {"text": text})
        assert reply["status"] == "ok", reply

    async def hears(self, text: str) -> str:
        """Wait until ``text`` was pushed to this view; the pid it was said on."""
        deadline = time.monotonic() + DEADLINE
        while True:
            for said, pid in self.heard:
                if said == text:
                    return pid
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} never reached the view on {self.view_pid}; it heard {self.heard}"
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def close(self) -> None:
        await self.client.close()


def _gone(pid: int) -> bool:
    """The process has exited and been reaped (a zombie still has its /proc entry)."""
    return not Path(f"/proc/{pid}").exists()


# --- refusals (nothing is served) ---------------------------------------------------------------


def test_workers_without_a_shared_pubsub_are_refused():
    result = _refused("--workers", "2", env=_env())
    assert result.returncode == 2, result
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pyview serve: error: --workers 2: "), result.stderr
    for reason in ("InMemoryPubSub", "separate process", "other workers", "PYVIEW_PUBSUB_URL=redis://", "RedisPubSub("):
        assert reason in err[0], err[0]
    assert "Uvicorn running" not in result.stdout + result.stderr


def test_workers_with_reload_are_refused(redis_server):
    result = _refused("--workers", "2", "--reload", env=_env(PYVIEW_PUBSUB_URL=redis_server.url))
    assert result.returncode == 2, result
    assert result.stderr.strip() == (
        "pyview serve: error: --workers 2 cannot be combined with --reload (the reloader restarts one "
        "process): use --reload with one worker in development"
    ), result.stderr


# --- two workers ----------------------------------------------------------------------------------


def test_two_workers_share_the_broker_and_the_generated_secret(redis_server):
    env = _env(PYVIEW_PUBSUB_URL=redis_server.url, WORKERS_APP_TOPIC=f"room-{uuid.uuid4().hex}")
    server = _start("--workers", "2", env=env, workers=2)
    try:
        async def scenario() -> tuple[set[int], list[dict]]:
            # Both workers answer: fresh connections until two pids have (the kernel picks a worker).
            states: dict[int, dict] = {}
            deadline = time.monotonic() + DEADLINE
            while len(states) < 2:
                assert time.monotonic() < deadline, f"only worker(s) {sorted(states)} answered"
                async with httpx.AsyncClient() as http:
                    state = (await http.get(server.base + "/pid")).json()
                states[state["pid"]] = state

            # A view on each worker, and one page joined on the other worker than rendered it.
            rooms: dict[int, Room] = {}
            crossed = False
            while len(rooms) < 2 or not crossed:
                assert time.monotonic() < deadline, f"views on {sorted(rooms)}, crossed: {crossed}"
                room = await Room(server.base).open()  # the join asserts that the tokens were accepted
                assert room.view_pid in states and room.page_pid in states
                crossed = crossed or room.page_pid != room.view_pid
                if room.view_pid in rooms:
                    await room.close()
                else:
                    rooms[room.view_pid] = room

            (first, one), (second, other) = rooms.items()
            await one.say("hello from one worker")
            assert await other.hears("hello from one worker") == str(first)
            await other.say("and back from the other")
            assert await one.hears("and back from the other") == str(second)
            for room in rooms.values():
                await room.close()
            return set(states), list(states.values())

        worker_pids, states = run(scenario())
        assert server.pid not in worker_pids
        for state in states:  # each worker tuned its own collector after its startup
            assert state["gc_threshold"] == 50_000 and state["gc_frozen"] > 0, state

        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=30) == 0
        deadline = time.monotonic() + DEADLINE
        while not all(_gone(pid) for pid in worker_pids):
            assert time.monotonic() < deadline, f"orphan workers: {[pid for pid in worker_pids if not _gone(pid)]}"
            time.sleep(0.05)
    finally:
        server.stop()
    log = "".join(server.log)
    assert "pyview serve: 2 workers, loop " in log, log
    assert log.count("generated a development secret, shared by the 2 workers") == 1, log
    assert "PYVIEW_SECRET_KEY is not set: generated a random development secret" not in log  # not per process
    for pid in worker_pids:
        assert f"Finished server process [{pid}]" in log, log
    assert "Stopping parent process" in log and "Traceback" not in log, log


# --- two processes, no sticky sessions --------------------------------------------------------------


def test_two_processes_serve_one_app_without_sticky_sessions(redis_server):
    env = _env(PYVIEW_SECRET_KEY=SECRET, PYVIEW_PUBSUB_URL=redis_server.url,
               WORKERS_APP_TOPIC=f"room-{uuid.uuid4().hex}")
    a = _start(env=env)
    try:
        b = _start(env=env)
        try:
            async def scenario() -> None:
                a_to_b = await Room(a.base, socket_base=b.base).open()  # page from A, view on B
                b_to_a = await Room(b.base, socket_base=a.base).open()  # page from B, view on A
                assert (a_to_b.page_pid, a_to_b.view_pid) == (a.pid, b.pid)
                assert (b_to_a.page_pid, b_to_a.view_pid) == (b.pid, a.pid)
                await a_to_b.say("said on B")
                assert await b_to_a.hears("said on B") == str(b.pid)
                await b_to_a.say("said on A")
                assert await a_to_b.hears("said on A") == str(a.pid)
                await a_to_b.close()
                await b_to_a.close()

            run(scenario())
        finally:
            b.stop()
    finally:
        a.stop()
    for server in (a, b):
        log = "".join(server.log)
        assert "Traceback" not in log and "ERROR" not in log, log
