"""Broadcast fan-out end to end: in-memory pub/sub vs Redis pub/sub on one and on two processes.

Run from the repository root::

    python benchmarks/pubsub.py                      # 10, 100, 1,000 subscribers (~2 minutes)
    python benchmarks/pubsub.py --quick              # 10 and 100 subscribers, few rounds (~10 s)
    python benchmarks/pubsub.py --json pubsub.json   # also write machine-readable results
    python benchmarks/pubsub.py --subscribers 1000 --configs redis-1,redis-2 --client-procs 2

Three configurations, measured in the same command, each with its own ``pyview serve`` processes
(``benchmarks.pubsub_app.app:app`` on free ports of 127.0.0.1, started once for the whole run):

* ``memory``:  one server process, ``InMemoryPubSub`` (``PYVIEW_PUBSUB_URL`` empty);
* ``redis-1``: one server process, ``RedisPubSub`` (``PYVIEW_PUBSUB_URL=redis://...``);
* ``redis-2``: two server processes on the same Redis; the subscribers are split evenly between
  them, the publisher is on the first.

The Redis is a ``redis-server`` this script starts on a free port (no persistence) and stops.
Each configuration has its own topic, so they cannot hear each other through the shared Redis.

Subscribers are WebSocket clients in a separate client process (this script with ``--worker``;
``--client-procs N`` spreads them over N), each doing what a browser does:
the dead render (HTTP GET, cookie kept), the WebSocket upgrade and ``phx_join`` of ``/fanout``,
whose connected mount subscribes to the topic. The publisher is this process: one more
WebSocket, joined to ``/publish`` on the first server, whose ``publish`` event broadcasts. Each
message carries its publish time (``time.time_ns()`` in the server, just before ``broadcast``);
the subscriber's view renders it, and the client subtracts it from ``time.time_ns()`` when the
diff arrives: latency from publish to delivered diff (all processes share the machine's clock).

Per configuration and subscriber count:

* **latency**: one message at a time (the next once every subscriber has the previous one),
  after a few untimed rounds; p50 / p99 / max over all (subscriber, message) pairs. With two
  servers, also each server's subscribers on their own (the publisher's process vs the other).
* **throughput**: bursts of M messages from one ``publish`` event, published back to back (the
  handler yields to the event loop after each broadcast, as M separate events would); from the
  moment the event is sent until every subscriber has the last message: messages/s (M / time),
  diffs/s (every diff pushed to every subscriber / time). A view that finds several messages
  queued handles them all and renders once (``Limits.info_batch``), so under a burst there can
  be fewer diffs than messages × subscribers; ``diffs/delivery`` says how many. Best of the bursts.

Every view counts the messages it handled and renders that count: a subscriber whose count
does not match what was published, a message that never arrives (timeout) or a closed
connection is reported as lost. Server logs are scanned for warnings and errors.

Benchmarks never gate: exit status 0 whatever the numbers (and on errors, which are printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

import _bench_util as bu
import _live_client
from _live_client import ServerProcess, http_get, log, parse_page
from _redis_server import RedisServer, die_with_parent, redis_binary
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri
from websockets.utils import apply_mask

APP = "benchmarks.pubsub_app.app:app"
CONFIGS = ("memory", "redis-1", "redis-2")
CONFIG_LABELS = {
    "memory": "in-memory, 1 process",
    "redis-1": "Redis, 1 process",
    "redis-2": "Redis, 2 processes",
}
TARGET_LATENCY_SUBSCRIBERS = 100
TARGET_LATENCY_RATIO = 2.0  # Redis-1 latency within 2x of in-memory at 100 subscribers
TARGET_SCALE_RATIO = 1.0  # Redis-2 messages/s above Redis-1's
SETUP_CONCURRENCY = 20  # dead renders + joins in flight at once, per client process
SETUP_ONE_TIMEOUT_S = 30.0
WAIT_TIMEOUT_S = 60.0  # a message that has not reached every subscriber by then is lost
STAMP = re.compile(rb'"m(\d+)t(\d+)g(\d+)"')
LOG_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL|Traceback|Exception)\b")


# --- a minimal WebSocket client (no deflate: the servers do not negotiate it) -----------------


def mask_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One final client frame: FIN + opcode, the length, a fresh mask and the masked payload."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + apply_mask(payload, mask)


class WSProtocol(asyncio.Protocol):
    """A WebSocket client on a bare ``asyncio.Protocol``: the ``websockets`` library's sans-I/O
    ``ClientProtocol`` does the opening handshake; then server frames (unmasked, unfragmented
    text frames here) are parsed directly and each text payload goes to ``on_text``."""

    def __init__(self, uri: str, origin: str, cookie: str | None) -> None:
        self.hs = ClientProtocol(parse_uri(uri), origin=Origin(origin), max_size=None)
        self.cookie = cookie
        self.transport: Any = None
        self.buf = bytearray()
        self.open = False
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.on_text: Callable[[bytes], None] = lambda msg: None
        self.on_lost: Callable[[BaseException], None] = lambda exc: None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        request = self.hs.connect()
        if self.cookie:
            request.headers["Cookie"] = self.cookie
        self.hs.send_request(request)
        transport.write(b"".join(self.hs.data_to_send()))

    def send_text(self, text: str) -> None:
        self.transport.write(mask_frame(text.encode()))

    def data_received(self, data: bytes) -> None:
        if not self.open:
            self._handshake(data)
            return
        buf = self.buf
        buf += data
        while True:
            n = len(buf)
            if n < 2:
                return
            b0, b1 = buf[0], buf[1]
            size = b1 & 0x7F
            start = 2
            if size == 126:
                if n < 4:
                    return
                size, start = int.from_bytes(buf[2:4], "big"), 4
            elif size == 127:
                if n < 10:
                    return
                size, start = int.from_bytes(buf[2:10], "big"), 10
            end = start + size
            if n < end:
                return
            payload = bytes(buf[start:end])
            del buf[:end]
            opcode = b0 & 0x0F
            if opcode == 0x1:
                self.on_text(payload)
            elif opcode == 0x9:
                self.transport.write(mask_frame(payload, 0xA))
            elif opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self._fail(ConnectionError(f"server closed the WebSocket (code {code})"))
                self.transport.close()
                return

    def _handshake(self, data: bytes) -> None:
        hs = self.hs
        hs.receive_data(data)
        events = hs.events_received()
        if hs.handshake_exc is not None:
            if not self.opened.done():
                self.opened.set_exception(hs.handshake_exc)
            return
        if hs.state is State.OPEN:
            self.open = True
            if not self.opened.done():
                self.opened.set_result(None)
        for ev in events:
            if isinstance(ev, Frame) and ev.opcode is Opcode.TEXT:
                self.on_text(ev.data)

    def _fail(self, exc: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        self.on_lost(exc)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._fail(exc or ConnectionError("connection closed"))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.on_lost = lambda exc: None
            with contextlib.suppress(Exception):
                self.transport.write(mask_frame((1000).to_bytes(2, "big"), 0x8))
            self.transport.close()


async def open_view(port: int, path: str) -> tuple[WSProtocol, str, dict]:
    """Dead render of ``path``, WebSocket upgrade, ``phx_join``: the protocol, the topic and the join reply."""
    status, cookies, page = await http_get("127.0.0.1", port, path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    view_id, session, static, token = parse_page(page)
    topic = f"lv:{view_id}"
    loop = asyncio.get_running_loop()
    uri = f"ws://127.0.0.1:{port}/live/websocket?_csrf_token={token}&vsn=2.0.0"
    _, proto = await loop.create_connection(
        lambda: WSProtocol(uri, f"http://127.0.0.1:{port}", "; ".join(cookies) or None), "127.0.0.1", port)
    try:
        await proto.opened
        inbox: asyncio.Queue = asyncio.Queue()
        proto.on_text = inbox.put_nowait
        proto.on_lost = inbox.put_nowait
        proto.send_text(json.dumps(["1", "1", topic, "phx_join", {
            "url": f"http://127.0.0.1:{port}{path}",
            "params": {"_csrf_token": token, "_mounts": 0},
            "session": session,
            "static": static,
        }], separators=(",", ":")))
        while True:
            item = await inbox.get()
            if isinstance(item, BaseException):
                raise item
            reply = json.loads(item)
            if reply[1] == "1" and reply[3] == "phx_reply":
                break
        if reply[4].get("status") != "ok" or "rendered" not in reply[4].get("response", {}):
            raise RuntimeError(f"join refused: {json.dumps(reply[4])[:200]}")
        return proto, topic, reply[4]["response"]["rendered"]
    except BaseException:
        proto.close()
        raise


# --- client process (--worker): the subscribers ---------------------------------------------------


class Sub:
    __slots__ = ("got", "last_ns", "last_seq", "port", "proto")

    def __init__(self, port: int) -> None:
        self.port = port  # which server it is connected to
        self.proto: WSProtocol | None = None
        self.last_seq = 0
        self.got = 0
        self.last_ns = 0


class Worker:
    """Holds subscribers; answers one JSON command per stdin line with one JSON line on stdout.

    ``connect`` (targets: [[port, count], ...]), ``mark`` (start a phase: clear the latencies
    and the diff count, note the CPU time), ``wait`` (until every subscriber has message ``seq``:
    the time the last one got it), ``stats`` (the phase's latencies in µs by server port, diffs, CPU seconds and
    every subscriber's handled-message count), ``close`` (the subscribers), ``exit``.
    """

    def __init__(self) -> None:
        self.subs: list[Sub] = []
        self.lat: dict[int, list[int]] = {}
        self.diffs = 0
        self.lost: list[str] = []
        self.cpu0 = time.process_time()
        self.target = 0
        self.remaining = 0
        self.waiter: asyncio.Future | None = None

    def receiver(self, sub: Sub) -> Callable[[bytes], None]:
        clock = time.time_ns
        search = STAMP.search
        port = sub.port

        def on_text(msg: bytes) -> None:
            m = search(msg)
            if m is None:
                return
            now = clock()
            seq = int(m[1])
            self.lat.setdefault(port, []).append((now - int(m[2])) // 1000)
            self.diffs += 1
            sub.got = int(m[3])
            sub.last_ns = now
            if seq > sub.last_seq:
                before = sub.last_seq
                sub.last_seq = seq
                if before < self.target <= seq:
                    self.remaining -= 1
                    if self.remaining == 0 and self.waiter is not None and not self.waiter.done():
                        self.waiter.set_result(None)

        return on_text

    def on_lost(self, sub: Sub) -> Callable[[BaseException], None]:
        def lost(exc: BaseException) -> None:
            self.lost.append(f"{type(exc).__name__}: {exc}")
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_exception(ConnectionError(f"a subscriber lost its connection: {exc}"))
        return lost

    async def connect(self, targets: list[list[Any]], path: str) -> dict:
        sem = asyncio.Semaphore(SETUP_CONCURRENCY)
        errors: list[str] = []

        async def one(port: int) -> None:
            async with sem:
                try:
                    proto, _, _ = await asyncio.wait_for(open_view(port, path), SETUP_ONE_TIMEOUT_S)
                except Exception as exc:  # noqa: BLE001 - reported to the main process
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return
                sub = Sub(port)
                sub.proto = proto
                proto.on_text = self.receiver(sub)
                proto.on_lost = self.on_lost(sub)
                self.subs.append(sub)

        await asyncio.gather(*(one(int(port)) for port, count in targets for _ in range(int(count))))
        return {"ok": not errors, "connected": len(self.subs), "errors": errors[:5], "failed": len(errors)}

    async def wait(self, seq: int, timeout: float) -> dict:
        self.target = seq
        self.remaining = sum(1 for s in self.subs if s.last_seq < seq)
        if self.remaining:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self.waiter, timeout)
            except Exception as exc:  # noqa: BLE001 - a timeout or a lost connection: reported
                behind = [s.last_seq for s in self.subs if s.last_seq < seq]
                return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip(": "), "missing": len(behind),
                        "behind_at": sorted(set(behind))[:5]}
            finally:
                self.waiter = None
                self.target = 0
        return {"ok": True, "t_last_ns": max((s.last_ns for s in self.subs), default=0)}

    def stats(self) -> dict:
        return {"ok": True, "lat_us": self.lat, "diffs": self.diffs, "cpu_s": time.process_time() - self.cpu0,
                "got": [s.got for s in self.subs], "last_seq": [s.last_seq for s in self.subs],
                "lost": self.lost[:5], "lost_count": len(self.lost)}

    def mark(self) -> dict:
        self.lat = {}
        self.diffs = 0
        gc.collect()
        self.cpu0 = time.process_time()
        return {"ok": True}

    def close(self) -> dict:
        for s in self.subs:
            if s.proto is not None:
                s.proto.close()
        self.subs = []
        self.lost = []
        return {"ok": True}

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 26)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        out = sys.stdout
        while True:
            line = await reader.readline()
            if not line:
                break  # the main process is gone
            cmd = json.loads(line)
            op = cmd["op"]
            try:
                if op == "connect":
                    answer = await self.connect(cmd["targets"], cmd["path"])
                elif op == "wait":
                    answer = await self.wait(int(cmd["seq"]), float(cmd["timeout"]))
                elif op == "mark":
                    answer = self.mark()
                elif op == "stats":
                    answer = self.stats()
                elif op == "close":
                    answer = self.close()
                    await asyncio.sleep(0.05)  # let the close frames go out
                elif op == "exit":
                    self.close()
                    out.write(json.dumps({"ok": True}) + "\n")
                    out.flush()
                    return
                else:
                    answer = {"ok": False, "error": f"unknown op {op!r}"}
            except Exception as exc:  # noqa: BLE001 - reported to the main process
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            out.write(json.dumps(answer, separators=(",", ":")) + "\n")
            out.flush()
        self.close()


def worker_main() -> int:
    # Ctrl-C in a terminal reaches the whole process group: the main process stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _live_client.run(Worker().serve())
    return 0


class WorkerProcess:
    """The main process's handle on one client process."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.proc: asyncio.subprocess.Process | None = None
        self.lock = asyncio.Lock()

    async def start(self, client_loop: str) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), "--worker", "--client-loop", client_loop,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 27,
            cwd=ROOT, preexec_fn=die_with_parent,
        )

    async def call(self, op: str, *, reply_within: float = 600.0, **kw: Any) -> dict:
        async with self.lock:
            assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write((json.dumps({"op": op, **kw}) + "\n").encode())
            await self.proc.stdin.drain()
            line = await asyncio.wait_for(self.proc.stdout.readline(), reply_within)
            if not line:
                raise RuntimeError(f"client process {self.index} exited (status {self.proc.returncode})")
            return json.loads(line)

    async def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.call("exit"), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 5)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# --- servers ----------------------------------------------------------------------------------------


class Server(ServerProcess):
    """A ``pyview serve`` of the benchmark app (it dies with this process, see ``die_with_parent``)."""

    def __init__(self, name: str, env: dict[str, str], app: str = APP) -> None:
        super().__init__(name, ["-m", "pyview_core.cli", "serve", app, "--host", "127.0.0.1", "--port", "{port}",
                                "--log-level", "warning"], ready_path="/publish", env=env, log_prefix="pubsub")
        self.problems: list[str] = []

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        env = dict(os.environ, **self.env, **(extra_env or {}),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, *self.argv], cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=die_with_parent)  # noqa: PLW1509 - no threads yet

    def cpu_seconds(self) -> float:
        """CPU time of the whole process so far (all live threads, ``schedstat`` ns; ticks as a fallback)."""
        try:
            total = 0
            for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
                with open(f"/proc/{self.proc.pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            return total / 1e9
        except (OSError, IndexError, ValueError):
            return self.process_cpu_seconds()

    def scan_log(self) -> list[str]:
        """Warning and error lines of the server's log so far (new ones since the last scan)."""
        try:
            self.log.flush()
            with open(self.log.name, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError:
            return []
        seen = getattr(self, "_scanned", 0)
        self._scanned = len(lines)
        new = [line.rstrip() for line in lines[seen:] if LOG_PROBLEM.search(line)]
        self.problems += new
        return new


def stop_servers(servers: list[Server], grace_s: float = 10.0) -> None:
    """SIGINT to every server at once (uvicorn shuts down cleanly), SIGKILL to any still running
    after ``grace_s``; their logs are scanned first and then removed."""
    for s in servers:
        if s.proc is not None:
            s.scan_log()
            if s.proc.poll() is None:
                s.proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace_s
    for s in servers:
        if s.proc is None:
            continue
        try:
            s.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"server {s.name} did not stop within {grace_s:g} s of SIGINT: killed")
            s.proc.kill()
            s.proc.wait()
        s.stop()  # the process has exited: this only closes and removes its log


@dataclass
class Config:
    key: str
    servers: list[Server]
    topic: str

    @property
    def label(self) -> str:
        return CONFIG_LABELS[self.key]


# --- one measurement: a configuration at a subscriber count ---------------------------------------------


@dataclass
class Row:
    config: str
    subscribers: int
    client_procs: int
    backend: str = ""  # the pub/sub class the servers run
    rounds: int = 0
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    max_ms: float = math.nan
    paced_server_cpu_us_per_delivery: float = math.nan  # the latency rounds: one diff per delivery
    paced_server_cpu_s: list[float] = field(default_factory=list)  # each server's, over the latency rounds
    paced_wall_s: float = math.nan
    latency_by_server: list[dict] = field(default_factory=list)  # several processes: each one's subscribers
    burst: int = 0
    bursts: int = 0
    msgs_per_s: float = math.nan
    diffs_per_s: float = math.nan
    diffs_per_delivery: float = math.nan
    burst_s: float = math.nan
    server_cpu_us_per_diff: float = math.nan
    server_cpu_pct: float = math.nan
    redis_cpu_pct: float = math.nan
    client_cpu_pct: list[float] = field(default_factory=list)
    burst_diff_p50_ms: float = math.nan
    burst_runs: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = math.ceil(q / 100.0 * len(sorted_values))
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


class Publisher:
    """The ``/publish`` view on the first server of a configuration, driven from this process."""

    def __init__(self) -> None:
        self.proto: WSProtocol | None = None
        self.topic = ""
        self.backend = ""
        self.shared = False  # messages leave the process (not process-local)
        self.ref = 1
        self.replies: dict[str, asyncio.Future] = {}

    async def open(self, port: int) -> None:
        self.proto, self.topic, rendered = await open_view(port, "/publish")
        found = re.search(r"backend:(\w+):(local|shared)", json.dumps(rendered))
        self.backend, self.shared = (found[1], found[2] == "shared") if found else ("?", False)
        self.proto.on_text = self._on_text
        self.proto.on_lost = self._on_lost

    def _on_text(self, msg: bytes) -> None:
        try:
            frame = json.loads(msg)
        except ValueError:
            return
        if frame[3] == "phx_reply" and frame[1] in self.replies:
            fut = self.replies.pop(frame[1])
            if not fut.done():
                if frame[4].get("status") == "ok":
                    fut.set_result(None)
                else:
                    fut.set_exception(RuntimeError(f"publish refused: {json.dumps(frame[4])[:200]}"))

    def _on_lost(self, exc: BaseException) -> None:
        for fut in self.replies.values():
            if not fut.done():
                fut.set_exception(ConnectionError(f"the publisher lost its connection: {exc}"))

    def publish(self, first: int, count: int) -> asyncio.Future:
        """Send the ``publish`` event; the future resolves with its ok reply."""
        assert self.proto is not None
        self.ref += 1
        ref = str(self.ref)
        fut = asyncio.get_running_loop().create_future()
        self.replies[ref] = fut
        self.proto.send_text(json.dumps(["1", ref, self.topic, "event", {
            "type": "click", "event": "publish", "value": {"first": str(first), "count": str(count)}}],
            separators=(",", ":")))
        return fut

    def close(self) -> None:
        if self.proto is not None:
            self.proto.close()


async def settle(servers: list[Server], max_s: float = 5.0) -> None:
    """Until no server uses CPU any more (teardown of the previous run, pending renders)."""
    await asyncio.gather(*(s.settle(max_s) for s in servers))


def split(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


async def measure(cfg: Config, n: int, workers: list[WorkerProcess], redis: RedisServer | None,
                  seq: list[int], args: argparse.Namespace) -> Row:
    """Connect N subscribers, time the latency rounds, then the bursts; disconnect."""
    row = Row(cfg.key, n, len(workers))
    publisher = Publisher()
    ports = [s.port for s in cfg.servers]
    # Subscriber j goes to server j mod S: each client process splits its share evenly too.
    plan: list[list[list[int]]] = []
    for share in split(n, len(workers)):
        plan.append([[port, k] for port, k in zip(ports, split(share, len(ports))) if k])
    try:
        answers = await asyncio.gather(*(w.call("connect", targets=t, path="/fanout") for w, t in zip(workers, plan)))
        bad = [a for a in answers if not a["ok"]]
        if bad:
            row.errors.append(f"{sum(a['failed'] for a in bad)} of {n} subscribers failed to join; "
                              f"first: {bad[0]['errors'][:1]}")
            return row
        await publisher.open(cfg.servers[0].port)
        if publisher.backend == "?" or publisher.shared == (cfg.key == "memory"):
            want = "a process-local pub/sub" if cfg.key == "memory" else "a pub/sub shared between processes"
            row.errors.append(f"the server runs {publisher.backend}, not {want}")
            return row
        row.backend = publisher.backend
        base = seq[0]

        async def one_round(timeout: float = WAIT_TIMEOUT_S) -> list[dict]:
            seq[0] += 1
            reply = publisher.publish(seq[0], 1)
            answers = await asyncio.gather(*(w.call("wait", seq=seq[0], timeout=timeout) for w in workers))
            await asyncio.wait_for(reply, timeout)
            return answers

        await settle(cfg.servers)
        # Untimed warm-up rounds: first broadcasts, first diffs, the Redis subscriptions in use.
        for _ in range(args.warmup):
            answers = await one_round()
            if not all(a["ok"] for a in answers):
                row.errors.append(f"warm-up: message {seq[0]} lost: {next(a for a in answers if not a['ok'])}")
                return row
        await settle(cfg.servers)
        await asyncio.gather(*(w.call("mark") for w in workers))
        rounds = args.rounds_by_n[n]
        srv0 = [s.cpu_seconds() for s in cfg.servers]
        t_rounds = time.perf_counter()
        for r in range(rounds):
            answers = await one_round()
            if not all(a["ok"] for a in answers):
                row.errors.append(f"latency round {r + 1}: message {seq[0]} lost: "
                                  f"{next(a for a in answers if not a['ok'])}")
                return row
        t_rounds = time.perf_counter() - t_rounds
        row.paced_server_cpu_s = [s.cpu_seconds() - c for s, c in zip(cfg.servers, srv0)]
        row.paced_wall_s = t_rounds
        row.paced_server_cpu_us_per_delivery = sum(row.paced_server_cpu_s) / (n * rounds) * 1e6
        stats = await asyncio.gather(*(w.call("stats") for w in workers))
        lat = sorted(x for s in stats for v in s["lat_us"].values() for x in v)
        row.rounds = rounds
        if len(cfg.servers) > 1:  # which process the subscriber is on: the publisher's, or another
            for i, srv in enumerate(cfg.servers):
                part = sorted(x for s in stats for x in s["lat_us"].get(str(srv.port), []))
                row.latency_by_server.append({"server": srv.name, "publisher_here": i == 0, "pairs": len(part),
                                              "cpu_pct": 100 * row.paced_server_cpu_s[i] / t_rounds,
                                              "min_ms": part[0] / 1e3 if part else math.nan,
                                              "p50_ms": percentile(part, 50) / 1e3,
                                              "p99_ms": percentile(part, 99) / 1e3})
        expected = n * rounds
        if len(lat) != expected:
            row.errors.append(f"latency: {len(lat)} diffs for {expected} (subscriber, message) pairs")
        row.p50_ms = percentile(lat, 50) / 1e3
        row.p99_ms = percentile(lat, 99) / 1e3
        row.max_ms = lat[-1] / 1e3 if lat else math.nan

        # Bursts: M messages from one event, as fast as the publisher's handler can go.
        m = args.burst_by_n[n]
        row.burst, row.bursts = m, args.bursts
        best: dict | None = None
        for b in range(args.bursts):
            await settle(cfg.servers)
            await asyncio.gather(*(w.call("mark") for w in workers))
            srv0 = [s.cpu_seconds() for s in cfg.servers]
            redis0 = redis.cpu_seconds() if redis is not None and cfg.key != "memory" else 0.0
            first = seq[0] + 1
            seq[0] += m
            t0 = time.time_ns()
            reply = publisher.publish(first, m)
            answers = await asyncio.gather(*(w.call("wait", seq=seq[0], timeout=WAIT_TIMEOUT_S + m / 10) for w in workers))
            if not all(a["ok"] for a in answers):
                row.errors.append(f"burst {b + 1}: message {seq[0]} lost: {next(a for a in answers if not a['ok'])}")
                return row
            t_end = max(a["t_last_ns"] for a in answers)
            await asyncio.wait_for(reply, WAIT_TIMEOUT_S)
            srv1 = [s.cpu_seconds() for s in cfg.servers]
            redis1 = redis.cpu_seconds() if redis is not None and cfg.key != "memory" else 0.0
            stats = await asyncio.gather(*(w.call("stats") for w in workers))
            wall = (t_end - t0) / 1e9
            diffs = sum(s["diffs"] for s in stats)
            lat_b = sorted(x for s in stats for v in s["lat_us"].values() for x in v)
            run = {
                "wall_s": wall,
                "msgs_per_s": m / wall,
                "diffs": diffs,
                "diffs_per_s": diffs / wall,
                "diffs_per_delivery": diffs / (n * m),
                "server_cpu_s": [b1 - b0 for b0, b1 in zip(srv0, srv1)],
                "redis_cpu_s": redis1 - redis0,
                "client_cpu_s": [s["cpu_s"] for s in stats],
                "diff_latency_p50_ms": percentile(lat_b, 50) / 1e3,
                "diffs_by_server": [sum(len(st["lat_us"].get(str(srv.port), [])) for st in stats)
                                    for srv in cfg.servers],
            }
            row.burst_runs.append(run)
            if best is None or run["msgs_per_s"] > best["msgs_per_s"]:
                best = run
        assert best is not None
        row.burst_s = best["wall_s"]
        row.msgs_per_s = best["msgs_per_s"]
        row.diffs_per_s = best["diffs_per_s"]
        row.diffs_per_delivery = best["diffs_per_delivery"]
        row.server_cpu_us_per_diff = sum(best["server_cpu_s"]) / best["diffs"] * 1e6 if best["diffs"] else math.nan
        row.server_cpu_pct = 100 * sum(best["server_cpu_s"]) / best["wall_s"]
        row.redis_cpu_pct = 100 * best["redis_cpu_s"] / best["wall_s"] if cfg.key != "memory" else math.nan
        row.client_cpu_pct = [100 * c / best["wall_s"] for c in best["client_cpu_s"]]
        row.burst_diff_p50_ms = best["diff_latency_p50_ms"]

        # Every view must have handled every message published since it joined, once.
        want_got = seq[0] - base
        got = [g for s in stats for g in s["got"]]
        wrong = [g for g in got if g != want_got]
        if wrong:
            row.errors.append(f"{len(wrong)} of {n} views handled a different number of messages than the "
                              f"{want_got} published (e.g. {wrong[:3]}): messages lost or duplicated")
        lost = sum(s["lost_count"] for s in stats)
        if lost:
            row.errors.append(f"{lost} subscriber connections closed: {stats[0]['lost'][:1]}")
        return row
    except Exception as exc:  # noqa: BLE001 - a failed run is reported, the benchmark goes on
        row.errors.append(f"{type(exc).__name__}: {exc}")
        return row
    finally:
        publisher.close()
        with contextlib.suppress(Exception):
            await asyncio.gather(*(w.call("close", reply_within=30) for w in workers))
        await settle(cfg.servers)
        for s in cfg.servers:
            for line in s.scan_log():
                log(f"  server {s.name} log: {line}")


def print_row(row: Row) -> None:
    if row.failed:
        log(f"  ERROR {CONFIG_LABELS[row.config]}, {row.subscribers:,} subscribers: {row.errors[0]}")
        for extra in row.errors[1:]:
            log(f"        {extra}")
        return
    log(f"  {CONFIG_LABELS[row.config]:<20} {row.subscribers:>5,} subscribers ({row.backend}, {row.client_procs} client proc): "
        f"latency p50 {row.p50_ms:7.2f} ms  p99 {row.p99_ms:7.2f} ms  max {row.max_ms:7.2f} ms ({row.rounds} msgs, "
        f"server CPU {row.paced_server_cpu_us_per_delivery:.0f} µs/delivery)  |  "
        f"burst {row.burst}: {row.msgs_per_s:8,.0f} msgs/s  {row.diffs_per_s:9,.0f} diffs/s  "
        f"diffs/delivery {row.diffs_per_delivery:.2f}  server CPU {row.server_cpu_pct:3.0f}%  "
        + (f"redis CPU {row.redis_cpu_pct:3.0f}%  " if not math.isnan(row.redis_cpu_pct) else "")
        + "client CPU " + "/".join(f"{c:.0f}%" for c in row.client_cpu_pct))
    for part in row.latency_by_server:
        log(f"      subscribers on {part['server']}{' (the publisher is here)' if part['publisher_here'] else ''}: "
            f"latency min {part['min_ms']:.2f} ms, p50 {part['p50_ms']:.2f} ms, p99 {part['p99_ms']:.2f} ms; "
            f"server CPU {part['cpu_pct']:.0f}% of the rounds' wall time")


# --- output ------------------------------------------------------------------------------------------


def fmt(v: float, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def ratio(a: float, b: float) -> float | None:
    if a is None or b is None or math.isnan(a) or math.isnan(b) or b == 0:
        return None
    return a / b


def results_table(rows: dict[tuple[str, int], Row], subscribers: list[int], configs: list[str]) -> str:
    header = ["subscribers", "configuration", "latency p50 ms", "p99 ms", "max ms", "p50 vs mem", "p99 vs mem",
              "burst msgs", "msgs/s", "diffs/s", "diffs/delivery", "msgs/s vs redis-1", "server CPU µs/diff",
              "server CPU %", "Redis CPU %", "client CPU %"]
    body = []
    for n in subscribers:
        mem = rows.get(("memory", n))
        r1 = rows.get(("redis-1", n))
        for key in configs:
            r = rows.get((key, n))
            if r is None:
                continue
            if r.failed:
                body.append([f"{n:,}", CONFIG_LABELS[key], "FAILED"] + [""] * (len(header) - 3))
                continue
            p50r = ratio(r.p50_ms, mem.p50_ms) if mem and not mem.failed and key != "memory" else None
            p99r = ratio(r.p99_ms, mem.p99_ms) if mem and not mem.failed and key != "memory" else None
            scale = ratio(r.msgs_per_s, r1.msgs_per_s) if r1 and not r1.failed and key == "redis-2" else None
            body.append([
                f"{n:,}", CONFIG_LABELS[key], fmt(r.p50_ms), fmt(r.p99_ms), fmt(r.max_ms),
                "—" if p50r is None else f"{p50r:.2f}×", "—" if p99r is None else f"{p99r:.2f}×",
                str(r.burst), fmt(r.msgs_per_s, 0), fmt(r.diffs_per_s, 0), f"{r.diffs_per_delivery:.2f}",
                "—" if scale is None else f"{scale:.2f}×", fmt(r.server_cpu_us_per_diff, 1),
                f"{r.server_cpu_pct:.0f}", "—" if math.isnan(r.redis_cpu_pct) else f"{r.redis_cpu_pct:.0f}",
                " / ".join(f"{c:.0f}" for c in r.client_cpu_pct),
            ])
    return bu.markdown_table(header, body, numeric={0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})


def targets(rows: dict[tuple[str, int], Row], subscribers: list[int]) -> list[bu.Target]:
    out: list[bu.Target] = []
    n = TARGET_LATENCY_SUBSCRIBERS
    mem, r1 = rows.get(("memory", n)), rows.get(("redis-1", n))
    if n in subscribers:
        for q in ("p50", "p99"):
            if mem and r1 and not mem.failed and not r1.failed:
                a, b = getattr(r1, f"{q}_ms"), getattr(mem, f"{q}_ms")
                rr = a / b
                out.append(bu.Target(f"{n} subscribers: latency {q}, Redis 1 process / in-memory",
                                     f"{rr:.2f}× ({a:.2f} vs {b:.2f} ms)", f"≤{TARGET_LATENCY_RATIO:g}×",
                                     rr <= TARGET_LATENCY_RATIO))
            else:
                out.append(bu.Target(f"{n} subscribers: latency {q}, Redis 1 process / in-memory", "not measured",
                                     f"≤{TARGET_LATENCY_RATIO:g}×", None))
    for k in subscribers:
        r1, r2 = rows.get(("redis-1", k)), rows.get(("redis-2", k))
        name = f"{k:,} subscribers: msgs/s, Redis 2 processes / 1 process"
        if r1 and r2 and not r1.failed and not r2.failed:
            rr = r2.msgs_per_s / r1.msgs_per_s
            out.append(bu.Target(name, f"{rr:.2f}× ({r2.msgs_per_s:,.0f} vs {r1.msgs_per_s:,.0f}); diffs/s "
                                       f"{r2.diffs_per_s / r1.diffs_per_s:.2f}×",
                                 f">{TARGET_SCALE_RATIO:g}×", rr > TARGET_SCALE_RATIO))
        elif r1 or r2:
            out.append(bu.Target(name, "not measured", f">{TARGET_SCALE_RATIO:g}×", None))
    return out


# --- main ------------------------------------------------------------------------------------------------


class Interrupted(Exception):
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


async def run_all(configs: list[Config], subscribers: list[int], redis: RedisServer | None,
                  args: argparse.Namespace, rows: dict[tuple[str, int], Row]) -> None:
    """Every configuration at every subscriber count; ``rows`` fills as they finish (an
    interrupted run still prints what it measured)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    procs = max(args.procs_by_n[n] for n in subscribers)
    workers = [WorkerProcess(i) for i in range(procs)]
    seq = {c.key: [0] for c in configs}
    try:
        await asyncio.gather(*(w.start(_live_client.CLIENT_LOOP) for w in workers))
        for n in subscribers:
            log(f"\n## {n:,} subscribers ({args.procs_by_n[n]} client process{'es' if args.procs_by_n[n] > 1 else ''}, "
                f"{args.rounds_by_n[n]} latency rounds, {args.bursts} × {args.burst_by_n[n]}-message bursts)")
            for cfg in configs:
                if not all(s.alive() for s in cfg.servers):
                    dead = [s for s in cfg.servers if not s.alive()]
                    row = Row(cfg.key, n, args.procs_by_n[n], errors=[(
                        f"server {dead[0].name} is not running (exit status {dead[0].proc.returncode}); log tail:\n"
                        f"{dead[0].log_tail()}")])
                elif cfg.key != "memory" and (redis is None or not redis.alive()):
                    row = Row(cfg.key, n, args.procs_by_n[n], errors=["redis-server is not running"])
                else:
                    t0 = time.monotonic()
                    row = await measure(cfg, n, workers[:args.procs_by_n[n]], redis, seq[cfg.key], args)
                    if args.verbose:
                        log(f"    ({time.monotonic() - t0:.1f} s)")
                rows[(cfg.key, n)] = row
                print_row(row)
    finally:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGTERM)
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)


def no_nan(value: Any) -> Any:
    """``value`` with every NaN (not measured) as None, so the JSON is valid JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: no_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [no_nan(v) for v in value]
    return value


def parse_ints(text: str) -> list[int]:
    return [int(x) for x in text.replace("_", "").split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 10 and 100 subscribers, few rounds (~10 s)")
    ap.add_argument("--subscribers", default=None, help="comma-separated subscriber counts (default 10,100,1000)")
    ap.add_argument("--configs", default=",".join(CONFIGS), help=f"configurations (default {','.join(CONFIGS)})")
    ap.add_argument("--rounds", default=None,
                    help="latency rounds: one number, or one per subscriber count (default 200,200,100)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed latency rounds first (default 10)")
    ap.add_argument("--burst", default=None,
                    help="messages per burst: one number, or one per subscriber count (default 200,200,100)")
    ap.add_argument("--bursts", type=int, default=None, help="bursts per row, best kept (default 3)")
    ap.add_argument("--client-procs", type=int, default=1,
                    help="client processes holding the subscribers, split evenly (default 1: on 2 CPUs "
                         "a second one adds no CPU, see benchmarks/README.md)")
    ap.add_argument("--client-loop", choices=["auto", "asyncio", "uvloop"], default="auto",
                    help="the clients' event loop (default uvloop if installed)")
    ap.add_argument("--app", default=APP,
                    help=f"the app to serve (default {APP}); another one must serve /fanout and /publish the "
                         "same way, e.g. with another pub/sub adapter")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--verbose", action="store_true", help="print the time each row took")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    have_uvloop = importlib.util.find_spec("uvloop") is not None
    _live_client.CLIENT_LOOP = args.client_loop if args.client_loop != "auto" else ("uvloop" if have_uvloop else "asyncio")
    if args.worker:
        return worker_main()

    q = args.quick
    subscribers = parse_ints(args.subscribers) if args.subscribers else ([10, 100] if q else [10, 100, 1000])
    configs_wanted = [c.strip() for c in args.configs.split(",") if c.strip()]
    for c in configs_wanted:
        if c not in CONFIGS:
            ap.error(f"unknown configuration {c!r} (choose from {', '.join(CONFIGS)})")

    def per_n(value: str | None, default: Callable[[int], int]) -> dict[int, int]:
        if value is None:
            return {n: default(n) for n in subscribers}
        values = parse_ints(value)
        if len(values) == 1:
            return {n: values[0] for n in subscribers}
        if len(values) != len(subscribers):
            ap.error(f"give one value or one per subscriber count ({len(subscribers)}), got {value!r}")
        return dict(zip(subscribers, values))

    args.rounds_by_n = per_n(args.rounds, lambda n: (20 if n <= 100 else 10) if q else (200 if n <= 100 else 100))
    args.burst_by_n = per_n(args.burst, lambda n: 50 if q else (200 if n <= 100 else 100))
    args.warmup = args.warmup if args.warmup is not None else (3 if q else 10)
    args.bursts = args.bursts or (1 if q else 3)
    args.procs_by_n = {n: max(1, args.client_procs) for n in subscribers}

    info = bu.environment_info()
    log("# pubsub: broadcast fan-out, publish → delivered diff")
    log(f"{info['date']}; Python {info['python']} on {info['platform']}; {info['cpu_count']} CPUs, shared by the "
        f"servers, Redis and the client processes; clients on {_live_client.CLIENT_LOOP}; commit {info['git_rev']}")
    load_avg, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load_avg and load_avg[0] > 0.5 * cpus:
        log(f"WARNING: load average {load_avg[0]:.2f} on {cpus} CPUs: other processes compete for the CPU; "
            "the numbers will be noisy")

    previous_sigterm = signal.signal(signal.SIGTERM, _on_sigterm)
    redis: RedisServer | None = None
    servers: list[Server] = []
    configs: list[Config] = []
    rows: dict[tuple[str, int], Row] = {}
    t_start = time.monotonic()
    interrupted = False
    try:
        if any(c != "memory" for c in configs_wanted):
            if redis_binary() is None:
                log("ERROR: redis-server is not installed: the Redis configurations are skipped")
                configs_wanted = [c for c in configs_wanted if c == "memory"]
            else:
                redis = RedisServer().start()
                log(f"redis-server {redis.version} on port {redis.port}, pid {redis.proc.pid}")
        for key in configs_wanted:
            env = {"PUBSUB_BENCH_TOPIC": f"bench:{key}",
                   "PYVIEW_PUBSUB_URL": "" if key == "memory" else redis.url}  # type: ignore[union-attr]
            count = 2 if key == "redis-2" else 1
            cfg = Config(key, [Server(f"{key}#{i + 1}" if count > 1 else key, env, args.app) for i in range(count)],
                         env["PUBSUB_BENCH_TOPIC"])
            configs.append(cfg)
            servers += cfg.servers
        for s in servers:
            s.start()
        for s in servers:
            s.wait_ready()
            log(f"server {s.name}: pyview serve {args.app}, port {s.port}, pid {s.proc.pid}")
        _live_client.run(run_all(configs, subscribers, redis, args, rows))
    except (KeyboardInterrupt, Interrupted, asyncio.CancelledError) as exc:
        interrupted = True
        log(f"\nINTERRUPTED ({type(exc).__name__}): stopping every process")
    except Exception as exc:  # noqa: BLE001 - a benchmark reports its failure and still exits 0
        log(f"ERROR: {type(exc).__name__}: {exc}")
    finally:
        signal.signal(signal.SIGTERM, _on_sigterm)  # the event loop reset it: keep cleanup uninterruptible by it
        try:
            stop_servers(servers)
        except (KeyboardInterrupt, Interrupted):
            for s in servers:
                if s.proc is not None and s.proc.poll() is None:
                    s.proc.kill()
        finally:
            if redis is not None:
                redis.stop()
            signal.signal(signal.SIGTERM, previous_sigterm)

    elapsed = time.monotonic() - t_start
    log(f"\n## summary ({elapsed:.0f} s; {info['cpu_count']} CPUs shared by servers, Redis and clients)\n")
    if rows:
        log(results_table(rows, subscribers, [c.key for c in configs]))
        log()
        tgts = targets(rows, subscribers)
        if tgts:
            log(bu.format_targets(tgts))
            log()
        failed = [r for r in rows.values() if r.failed]
        if failed:
            log(f"{len(failed)} row(s) FAILED (see the errors above)")
    problems = [(s.name, p) for s in servers for p in s.problems]
    if problems:
        log(f"server logs: {len(problems)} warning/error line(s), e.g. {problems[0][0]}: {problems[0][1]}"
            + (" (interrupted: a server stopped while starting prints a KeyboardInterrupt traceback)"
               if interrupted else ""))
    elif servers:
        log("server logs: no warnings or errors")
    if args.json:
        bu.write_json(args.json, no_nan({
            "environment": info,
            "settings": {k: (v if not isinstance(v, dict) else {str(a): b for a, b in v.items()})
                         for k, v in vars(args).items()},
            "client_loop": _live_client.CLIENT_LOOP,
            "redis_version": redis.version if redis is not None else None,
            "elapsed_s": elapsed,
            "rows": [asdict(r) | {"label": CONFIG_LABELS[r.config]} for r in rows.values()],
            "targets": [asdict(t) | {"status": t.status} for t in targets(rows, subscribers)] if rows else [],
            "server_log_problems": [{"server": n, "line": p} for n, p in problems],
            "interrupted": interrupted,
        }))
        log(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
