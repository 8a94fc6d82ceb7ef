"""End to end: N WebSocket clients click the counter against one uvicorn worker, ours vs pyview-web.

Run from the repository root::

    python -m benchmarks.e2e                          # clients 1,10,100; 200 clicks each; best of 3
    python -m benchmarks.e2e --clients 100 --clicks 100 --repeat 1
    python -m benchmarks.e2e --json e2e.json          # also write machine-readable results
    python -m benchmarks.e2e --client websockets      # the websockets library's asyncio client instead
    python -m benchmarks.e2e --sides ours --clients 100 --profile-ours /tmp/ours.prof   # cProfile our server

Each server is its own subprocess, started once for the whole run and stopped at the end::

    python -m uvicorn benchmarks.e2e_apps.ours:app --host 127.0.0.1 --port P --workers 1 --log-level warning
    python -m uvicorn benchmarks.e2e_apps.peer:app ...     (pyview-web 0.9.0, same counter, same flags)

The client is this process, asyncio speaking Phoenix Channels V2 (no browser). Per client and per
run: an HTTP GET of ``/counter`` (the dead render; its cookies are kept and sent back on the
WebSocket upgrade), then the container id, ``data-phx-session``, ``data-phx-static`` and the CSRF
meta are read from the page, the WebSocket is opened with the page's Origin, the client joins
``lv:<id>`` and waits for the ok reply. None of that is timed. Then all clients start clicking
together (an ``asyncio.Event`` barrier): K ``increment`` clicks each, one after another, each
waiting for the ``phx_reply`` of its ref before sending the next. events/s = N*K / (time from the
barrier to the last reply); p50/p99 are over every click of the run. The last reply of each client
must carry the count K (both servers start at 0), every reply must be ``ok``; a run with any error
counts as failed and is reported as such.

The default client is lean so that it costs less than the servers it measures: the ``websockets``
library does the opening handshake (its sans-I/O ``ClientProtocol``), then the clicks run in an
``asyncio.Protocol`` callback on raw frames: masked and encoded before the barrier, each reply
recognised by a prefix test on its bytes, the next click written from the same callback. Only the
join reply and the last reply are decoded. ``--client websockets`` uses the library's asyncio
client for everything instead (one task switch and its framing per message).

Both servers are loaded alternately (which one goes first alternates per repeat), each after an
untimed warm-up; the best events/s of the repeats is kept, with that repeat's latencies. Ratios
are ours / peer for events/s (above 1 means we are faster) and peer / ours for p99 (above 1
means our tail is shorter). Also measured: the server's CPU time per event (all its threads,
``/proc/<pid>/task/*/schedstat``, over the timed window) and the client's own CPU use, which
tell whether the client, not the server, was the bottleneck, and stay meaningful when other
processes compete for the CPU. Benchmarks never gate: exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import html
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

import _bench_util as bu
from websockets.asyncio.client import connect as ws_connect
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri
from websockets.utils import apply_mask

TARGET_SPEED = 2.0  # events/s at TARGET_CLIENTS: ours >= 2x pyview-web ...
TARGET_CLIENTS = 100  # ... with a p99 no worse than pyview-web's
SIDES = {
    "ours": ("benchmarks.e2e_apps.ours:app", "pyview_core"),
    "peer": ("benchmarks.e2e_apps.peer:app", "pyview-web 0.9.0"),
}
SETUP_CONCURRENCY = 20  # dead renders + joins in flight at once (untimed)
REPLY_TIMEOUT_S = 60.0  # a whole client's clicks must finish within this many seconds per 100 clicks
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One uvicorn worker in a subprocess (optionally under cProfile)."""

    def __init__(self, side: str, profile: str | None = None, ws: str = "auto") -> None:
        self.side = side
        self.ws = ws
        self.app = SIDES[side][0]
        self.port = free_port()
        self.profile = profile
        self.log = tempfile.NamedTemporaryFile("w+", prefix=f"e2e-{side}-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [sys.executable]
        if self.profile:
            cmd += ["-m", "cProfile", "-o", self.profile]
        cmd += ["-m", "uvicorn", self.app, "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", "1", "--log-level", "warning"]
        if self.ws != "auto":  # default: uvicorn picks (websockets-sansio when websockets is installed)
            cmd += ["--ws", self.ws]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.side} server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _, _ = asyncio.run(http_get("127.0.0.1", self.port, "/counter"))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.side} server did not answer on port {self.port} within {timeout:g} s")

    def cpu_seconds(self) -> float:
        """CPU time of the server process so far, all threads (Linux /proc; 0 elsewhere).

        ``schedstat`` counts nanoseconds on the CPU; ``stat``'s utime+stime (clock ticks, 10 ms)
        is the fallback when the kernel does not provide it.
        """
        try:
            total = 0
            for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
                with open(f"/proc/{self.proc.pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            return total / 1e9
        except (OSError, IndexError, ValueError):
            pass
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

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


# --- the client ---------------------------------------------------------------------------------


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


_CSRF_META = re.compile(r"""<meta\s+name="csrf-token"\s+content="([^"]*)\"""")
_CONTAINER = re.compile(r"<div\b[^>]*\bdata-phx-session\b[^>]*>", re.DOTALL)
_ATTR = re.compile(r"""([\w:-]+)(?:\s*=\s*"([^"]*)")?""")


def parse_page(page: str) -> tuple[str, str, str | None, str]:
    """The container's id, session and static tokens and the CSRF token of a dead render."""
    meta = _CSRF_META.search(page)
    tag = _CONTAINER.search(page)
    if meta is None or tag is None:
        raise ValueError("page has no csrf-token meta or no [data-phx-session] container")
    attrs = {m.group(1): html.unescape(m.group(2) or "") for m in _ATTR.finditer(tag.group(0)[4:-1])}
    return attrs["id"], attrs["data-phx-session"], attrs.get("data-phx-static") or None, html.unescape(meta.group(1))


def click_frame(ref: int, topic: str) -> str:
    return f'["1","{ref}","{topic}","event",{{"type":"click","event":"increment","value":{{"value":""}}}}]'


def reply_prefixes(ref: int) -> tuple[str, str]:
    """How a reply to ``ref`` starts: ours sends compact JSON (orjson), pyview-web ``json.dumps`` defaults."""
    return f'["1","{ref}",', f'["1", "{ref}", '


class Client:
    """One browser tab's worth of protocol: dead render, WebSocket, join, then K clicks.

    Subclasses provide the WebSocket: ``_open`` (the upgrade), ``_send_text``/``_recv_text``
    (untimed join only), ``clicks`` (the timed part) and ``close``.
    """

    def __init__(self, port: int, compression: str | None) -> None:
        self.port = port
        self.compression = compression
        self.latencies: list[float] = []
        self.error: str | None = None
        self.last_reply: bytes | str | None = None
        self.t_end = 0.0
        self.topic = ""

    async def setup(self) -> None:
        port = self.port
        status, cookies, page = await http_get("127.0.0.1", port, "/counter")
        if status != 200:
            raise RuntimeError(f"GET /counter answered {status}")
        view_id, session, static, token = parse_page(page)
        self.topic = topic = f"lv:{view_id}"
        await self._open(
            f"ws://127.0.0.1:{port}/live/websocket?_csrf_token={token}&vsn=2.0.0",
            f"http://127.0.0.1:{port}",
            "; ".join(cookies) or None,
        )
        join = ["1", "1", topic, "phx_join", {
            "url": f"http://127.0.0.1:{port}/counter",
            "params": {"_csrf_token": token, "_mounts": 0},
            "session": session,
            "static": static,
        }]
        await self._send_text(json.dumps(join, separators=(",", ":")))
        while True:
            reply = json.loads(await self._recv_text())
            if reply[1] == "1" and reply[3] == "phx_reply":
                break
        if reply[4].get("status") != "ok" or "rendered" not in reply[4].get("response", {}):
            raise RuntimeError(f"join refused: {json.dumps(reply[4])[:200]}")

    def check_final(self, k: int) -> None:
        """The last reply's diff must carry the count K as a string (both servers start at 0)."""
        if self.error or k == 0:
            return
        try:
            reply = json.loads(self.last_reply)
            diff = reply[4]["response"]["diff"]
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            self.error = f"last reply unreadable ({exc}): {str(self.last_reply)[:200]}"
            return
        if f'"{k}"' not in json.dumps(diff):
            self.error = f"last diff lacks the count {k}: {json.dumps(diff)[:200]}"

    async def _open(self, uri: str, origin: str, cookie: str | None) -> None:
        raise NotImplementedError

    async def _send_text(self, text: str) -> None:
        raise NotImplementedError

    async def _recv_text(self) -> str | bytes:
        raise NotImplementedError

    async def clicks(self, k: int, ready: Barrier) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class LibClient(Client):
    """The ``websockets`` library's asyncio client end to end (``--client websockets``): simple, heavier."""

    ws: Any = None

    async def _open(self, uri: str, origin: str, cookie: str | None) -> None:
        self.ws = await ws_connect(
            uri, origin=origin, additional_headers={"Cookie": cookie} if cookie else None,
            compression=self.compression, proxy=None, ping_interval=None, max_queue=None,
        )

    async def _send_text(self, text: str) -> None:
        await self.ws.send(text)

    async def _recv_text(self) -> str:
        return await self.ws.recv()

    async def clicks(self, k: int, ready: Barrier) -> None:
        topic = self.topic
        frames = [(click_frame(ref, topic), reply_prefixes(ref)) for ref in range(2, k + 2)]
        send, recv = self.ws.send, self.ws.recv
        lat = self.latencies
        clock = time.perf_counter
        bad = 0
        msg = None
        await ready.wait()
        try:
            for frame, prefixes in frames:
                t0 = clock()
                await send(frame)
                while True:
                    msg = await recv()
                    if msg.startswith(prefixes):
                        break
                lat.append(clock() - t0)
                if '"status":"ok"' not in msg and '"status": "ok"' not in msg:
                    bad += 1
            self.t_end = clock()
            self.last_reply = msg
            if bad:
                self.error = f"{bad} of {k} replies were not ok"
        except Exception as exc:  # noqa: BLE001 - any failure fails the run, loudly
            self.t_end = clock()
            self.error = f"{type(exc).__name__}: {exc}"

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


def mask_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One final client frame: FIN + opcode, the length, a fresh random mask and the masked payload."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + apply_mask(payload, mask)


class _LeanProtocol(asyncio.Protocol):
    """A WebSocket client connection on a bare ``asyncio.Protocol``.

    The opening handshake is the ``websockets`` library's sans-I/O ``ClientProtocol`` (request,
    key, checks of the 101 answer). After it, frames are handled here directly: the server's
    frames are unmasked and, for these small messages, never fragmented; each complete text frame
    goes to ``on_text`` as bytes. Pings are answered, a close frame ends the connection.
    """

    def __init__(self, uri: str, origin: str, cookie: str | None) -> None:
        self.hs = ClientProtocol(parse_uri(uri), origin=Origin(origin))
        self.cookie = cookie
        self.transport: Any = None
        self.buf = bytearray()
        self.open = False
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.on_text: Any = None
        self.on_lost: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        request = self.hs.connect()
        if self.cookie:
            request.headers["Cookie"] = self.cookie
        self.hs.send_request(request)
        transport.write(b"".join(self.hs.data_to_send()))

    def data_received(self, data: bytes) -> None:
        if not self.open:
            self.hs.receive_data(data)
            self.hs.events_received()
            if self.hs.handshake_exc is not None:
                if not self.opened.done():
                    self.opened.set_exception(self.hs.handshake_exc)
                return
            if self.hs.state is State.OPEN:
                self.open = True
                self.opened.set_result(None)
            return
        buf = self.buf
        buf += data
        while True:
            n = len(buf)
            if n < 2:
                return
            b0, b1 = buf[0], buf[1]
            size = b1 & 0x7F
            if size < 126:
                start = 2
            elif size == 126:
                if n < 4:
                    return
                size, start = int.from_bytes(buf[2:4], "big"), 4
            else:
                if n < 10:
                    return
                size, start = int.from_bytes(buf[2:10], "big"), 10
            end = start + size
            if n < end:
                return
            payload = bytes(buf[start:end])
            del buf[:end]
            opcode = b0 & 0x0F
            if opcode == 0x1 and b0 & 0x80 and not b1 & 0x80:
                self.on_text(payload)
            elif opcode == 0x9:  # ping: answer with a pong carrying the same data
                self.transport.write(mask_frame(payload, 0xA))
            elif opcode == 0xA:
                pass
            elif opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self._fail(ConnectionError(f"server closed the WebSocket (code {code})"))
                self.transport.close()
                return
            else:
                self._fail(ConnectionError(f"unexpected frame: opcode {opcode}, fin {b0 >> 7}, masked {b1 >> 7}"))
                self.transport.close()
                return

    def _fail(self, exc: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.on_lost is not None:
            self.on_lost(exc)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._fail(exc or ConnectionError("connection closed"))


class LeanClient(Client):
    """The default client: the timed clicks run in the protocol callback, no task switch per click.

    Frames are masked and encoded before the barrier; on each reply the callback checks its ref
    with a prefix test on the raw bytes (and ``"status":"ok"`` with a substring test), records the
    latency and writes the next frame at once. Only the last reply is decoded, to check the count.
    """

    proto: _LeanProtocol | None = None

    async def _open(self, uri: str, origin: str, cookie: str | None) -> None:
        if self.compression:
            raise ValueError("the lean client does not do permessage-deflate: use --client websockets")
        loop = asyncio.get_running_loop()
        _, self.proto = await loop.create_connection(lambda: _LeanProtocol(uri, origin, cookie), "127.0.0.1", self.port)
        await self.proto.opened
        self._inbox: asyncio.Queue = asyncio.Queue()
        self.proto.on_text = self._inbox.put_nowait
        self.proto.on_lost = lambda exc: self._inbox.put_nowait(exc)

    async def _send_text(self, text: str) -> None:
        self.proto.transport.write(mask_frame(text.encode()))

    async def _recv_text(self) -> bytes:
        item = await self._inbox.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def clicks(self, k: int, ready: Barrier) -> None:
        proto = self.proto
        topic = self.topic
        frames = [mask_frame(click_frame(ref, topic).encode()) for ref in range(2, k + 2)]
        prefixes = [tuple(p.encode() for p in reply_prefixes(ref)) for ref in range(2, k + 2)]
        lat = self.latencies
        clock = time.perf_counter
        write = proto.transport.write
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        state = {"i": 0, "t0": 0.0, "bad": 0}

        def on_text(msg: bytes) -> None:
            i = state["i"]
            if not msg.startswith(prefixes[i]):
                return  # not the reply we wait for (a push): ignore
            now = clock()
            lat.append(now - state["t0"])
            if b'"status":"ok"' not in msg and b'"status": "ok"' not in msg:
                state["bad"] += 1
            i += 1
            state["i"] = i
            if i == k:
                self.t_end = now
                self.last_reply = msg
                if not done.done():
                    done.set_result(None)
                return
            state["t0"] = clock()
            write(frames[i])

        def on_lost(exc: BaseException) -> None:
            if not done.done():
                done.set_exception(exc)

        proto.on_text = on_text
        proto.on_lost = on_lost
        await ready.wait()
        if k == 0:
            return
        try:
            state["t0"] = clock()
            write(frames[0])
            await done
            if state["bad"]:
                self.error = f"{state['bad']} of {k} replies were not ok"
        except Exception as exc:  # noqa: BLE001 - any failure fails the run, loudly
            self.t_end = clock()
            self.error = f"{type(exc).__name__}: {exc} (after {state['i']} of {k} replies)"

    async def close(self) -> None:
        proto = self.proto
        if proto is not None and proto.transport is not None and not proto.transport.is_closing():
            proto.on_lost = None
            try:
                proto.transport.write(mask_frame((1000).to_bytes(2, "big"), 0x8))
            finally:
                proto.transport.close()


CLIENTS = {"lean": LeanClient, "websockets": LibClient}


class Barrier:
    """All clients wait here; ``go()`` releases them together once every one is waiting."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.waiting = 0
        self.all_waiting = asyncio.Event()
        self.event = asyncio.Event()

    async def wait(self) -> None:
        self.waiting += 1
        if self.waiting == self.n:
            self.all_waiting.set()
        await self.event.wait()


@dataclass
class Run:
    side: str
    clients: int
    clicks: int
    events_per_s: float = 0.0
    wall_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    server_cpu_us_per_event: float = 0.0
    server_cpu_pct: float = 0.0
    client_cpu_pct: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = math.ceil(q / 100.0 * len(sorted_values))
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


async def load(server: Server, n: int, k: int, client: str = "lean", compression: str | None = None) -> Run:
    run = Run(server.side, n, k)
    clients = [CLIENTS[client](server.port, compression) for _ in range(n)]
    sem = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def setup(c: Client) -> None:
        async with sem:
            try:
                await c.setup()
            except Exception as exc:  # noqa: BLE001
                c.error = f"setup: {type(exc).__name__}: {exc}"

    try:
        await asyncio.gather(*(setup(c) for c in clients))
        run.errors += [c.error for c in clients if c.error]
        if run.errors:
            return run
        barrier = Barrier(n)
        tasks = [asyncio.create_task(c.clicks(k, barrier)) for c in clients]
        await barrier.all_waiting.wait()
        gc.collect()
        cpu0, srv0 = time.process_time(), server.cpu_seconds()
        t0 = time.perf_counter()
        barrier.event.set()
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=REPLY_TIMEOUT_S * max(1, k / 100))
        except TimeoutError:
            run.errors.append("timed out waiting for replies")
            for t in tasks:
                t.cancel()
            return run
        cpu1, srv1 = time.process_time(), server.cpu_seconds()
        t_end = max(c.t_end for c in clients)
        for c in clients:
            c.check_final(k)
        run.errors += [c.error for c in clients if c.error]
        wall = t_end - t0
        lat = sorted(x for c in clients for x in c.latencies)
        run.wall_s = wall
        run.events_per_s = n * k / wall if wall > 0 else 0.0
        run.p50_ms = percentile(lat, 50) * 1e3
        run.p99_ms = percentile(lat, 99) * 1e3
        run.max_ms = lat[-1] * 1e3 if lat else float("nan")
        run.server_cpu_us_per_event = (srv1 - srv0) / (n * k) * 1e6
        run.server_cpu_pct = 100.0 * (srv1 - srv0) / wall if wall > 0 else 0.0
        run.client_cpu_pct = 100.0 * (cpu1 - cpu0) / wall if wall > 0 else 0.0
        return run
    finally:
        await asyncio.gather(*(c.close() for c in clients))


# --- output -------------------------------------------------------------------------------------


def _fmt_rate(v: float | None) -> str:
    return "—" if not v else f"{v:,.0f}"


def _fmt_ms(run: Run | None) -> str:
    if run is None or run.failed:
        return "FAILED" if run is not None else "—"
    return f"{run.p50_ms:.2f} / {run.p99_ms:.2f}"


def results_table(best: dict[tuple[str, int], Run], clients: list[int]) -> str:
    header = ["clients", "ours ev/s", "peer ev/s", "ratio", "ours p50/p99 ms", "peer p50/p99 ms"]
    rows = []
    for n in clients:
        o, p = best.get(("ours", n)), best.get(("peer", n))
        ok_o, ok_p = o is not None and not o.failed, p is not None and not p.failed
        ratio = f"{o.events_per_s / p.events_per_s:.2f}×" if ok_o and ok_p and p.events_per_s else "—"
        rows.append([
            str(n),
            _fmt_rate(o.events_per_s) if ok_o else ("FAILED" if o else "—"),
            _fmt_rate(p.events_per_s) if ok_p else ("FAILED" if p else "—"),
            ratio,
            _fmt_ms(o),
            _fmt_ms(p),
        ])
    return bu.markdown_table(header, rows, numeric={0, 1, 2, 3, 4, 5})


def cpu_table(best: dict[tuple[str, int], Run], clients: list[int]) -> str:
    header = ["clients", "side", "server CPU µs/event", "server CPU %", "client CPU %", "max ms"]
    rows = []
    for n in clients:
        for side in ("ours", "peer"):
            r = best.get((side, n))
            if r is None or r.failed:
                continue
            rows.append([str(n), side, f"{r.server_cpu_us_per_event:,.0f}", f"{r.server_cpu_pct:.0f}",
                         f"{r.client_cpu_pct:.0f}", f"{r.max_ms:.1f}"])
    return bu.markdown_table(header, rows, numeric={0, 2, 3, 4, 5})


def target_line(best: dict[tuple[str, int], Run]) -> str | None:
    o, p = best.get(("ours", TARGET_CLIENTS)), best.get(("peer", TARGET_CLIENTS))
    if o is None or p is None or o.failed or p.failed:
        return None
    speed = o.events_per_s / p.events_per_s
    tail = p.p99_ms / o.p99_ms if o.p99_ms else float("inf")
    ok = speed >= TARGET_SPEED and o.p99_ms <= p.p99_ms
    return (f"target at {TARGET_CLIENTS} clients: events/s ours/peer {speed:.2f}× (goal ≥{TARGET_SPEED:g}×), "
            f"p99 peer/ours {tail:.2f}× (goal ≥1×, i.e. ours {o.p99_ms:.2f} ms vs peer {p.p99_ms:.2f} ms): "
            f"{'PASS' if ok else 'MISS'}")


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", default="1,10,100", help="comma-separated client counts (default 1,10,100)")
    ap.add_argument("--clicks", type=int, default=200, help="clicks per client per run (default 200)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per side and client count; best events/s kept (default 3)")
    ap.add_argument("--sides", default="ours,peer", help="which servers to load (default ours,peer)")
    ap.add_argument("--client", choices=sorted(CLIENTS), default="lean",
                    help="lean: raw frames after a websockets handshake (default); websockets: the library's asyncio client")
    ap.add_argument("--compression", choices=["none", "deflate"], default="none",
                    help="offer permessage-deflate (needs --client websockets; default none)")
    ap.add_argument("--ws", choices=["auto", "websockets-sansio", "websockets", "wsproto"], default="auto",
                    help="uvicorn's WebSocket implementation for both servers (default: uvicorn's own choice)")
    ap.add_argument("--warmup", type=int, default=50, help="untimed clicks per client of the warm-up run (4 clients)")
    ap.add_argument("--profile-ours", metavar="PATH", help="run our server under cProfile, writing PATH at exit")
    ap.add_argument("--profile-peer", metavar="PATH", help="the same for pyview-web's server")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)

    clients = [int(x) for x in args.clients.split(",") if x.strip()]
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    for s in sides:
        if s not in SIDES:
            ap.error(f"unknown side {s!r} (choose from {', '.join(SIDES)})")
    compression = None if args.compression == "none" else "deflate"
    if compression and args.client != "websockets":
        ap.error("--compression deflate needs --client websockets")

    info = bu.environment_info()
    print(f"# end to end: counter, {args.clicks} clicks per client, best of {args.repeat}, clients {clients}")
    print(f"{info['date']}; Python {info['python']} on {info['platform']}; {info['cpu_count']} CPUs "
          f"(client and server share them); client: {args.client}, compression: {args.compression}, uvicorn --ws {args.ws}")
    load_avg, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load_avg and load_avg[0] > 0.5 * cpus:
        print(f"WARNING: load average {load_avg[0]:.2f} on {cpus} CPUs: other processes are competing "
              "for the CPU, expect noisy numbers (ratios are steadier than absolute rates)", file=sys.stderr)

    profiles = {"ours": args.profile_ours, "peer": args.profile_peer}
    servers = {s: Server(s, profiles[s], args.ws) for s in sides}
    runs: list[Run] = []
    best: dict[tuple[str, int], Run] = {}
    try:
        for srv in servers.values():
            srv.start()
        for srv in servers.values():
            srv.wait_ready()
            print(f"{srv.side}: {SIDES[srv.side][1]} on port {srv.port} (pid {srv.proc.pid})", flush=True)
        for srv in servers.values():
            warm = asyncio.run(load(srv, 4, args.warmup, args.client, compression))
            if warm.failed:
                print(f"ERROR: {srv.side} warm-up failed: {warm.errors[0]}", file=sys.stderr)
        for n in clients:
            for r in range(args.repeat):
                order = list(servers.values())
                if r % 2:
                    order.reverse()
                for srv in order:
                    run = asyncio.run(load(srv, n, args.clicks, args.client, compression))
                    runs.append(run)
                    if run.failed:
                        print(f"  ERROR {srv.side} {n} clients, repeat {r + 1}: RUN FAILED, "
                              f"{len(run.errors)} client(s) with errors; first: {run.errors[0]}", flush=True)
                        print(srv.log_tail(), file=sys.stderr)
                    else:
                        print(f"  {srv.side} {n:>4} clients #{r + 1}: {run.events_per_s:>9,.0f} ev/s  "
                              f"p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms  "
                              f"server {run.server_cpu_us_per_event:5.0f} µs CPU/ev ({run.server_cpu_pct:3.0f}%)  "
                              f"client CPU {run.client_cpu_pct:3.0f}%", flush=True)
                    key = (srv.side, n)
                    prev = best.get(key)
                    if prev is None or (prev.failed and not run.failed) or (
                        not run.failed and not prev.failed and run.events_per_s > prev.events_per_s
                    ):
                        best[key] = run
                    time.sleep(0.2)  # let the server finish tearing down the closed sockets
    finally:
        for srv in servers.values():
            srv.stop()

    print()
    print(results_table(best, clients))
    print()
    print("ratio = ours ev/s / peer ev/s (above 1: we are faster). Server CPU and client CPU of the same runs:")
    print()
    print(cpu_table(best, clients))
    line = target_line(best)
    if line:
        print()
        print(line)
    failed = [r for r in runs if r.failed]
    if failed:
        print(f"\nWARNING: {len(failed)} run(s) FAILED (see ERROR lines above); their numbers are not in the table",
              file=sys.stderr)
    saturated = [r for r in best.values() if not r.failed and r.client_cpu_pct >= 90]
    if saturated:
        print("WARNING: the client used ≥90% of a CPU in: "
              + ", ".join(f"{r.side}/{r.clients}" for r in saturated)
              + " — there the client, not the server, may be the limit", file=sys.stderr)
    for side, path in profiles.items():
        if path and side in servers:
            print(f"\ncProfile of the {side} server written to {path}")
    if args.json:
        bu.write_json(args.json, {
            "environment": info,
            "settings": {"clients": clients, "clicks": args.clicks, "repeat": args.repeat,
                         "compression": args.compression},
            "runs": [asdict(r) for r in runs],
            "best": [asdict(r) for r in best.values()],
            "target": line,
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
