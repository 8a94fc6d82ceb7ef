"""Uploads: throughput, server CPU per MB and peak memory, our server vs pyview-web 0.9.0.

Run from the repository root::

    python benchmarks/uploads.py                     # full run: 10 runs per scenario and side (~40 s)
    python benchmarks/uploads.py --quick             # smoke run: 1 repeat, a 20 MB file (~10 s)
    python benchmarks/uploads.py --json uploads.json # also write every run as JSON
    python benchmarks/uploads.py --sides ours --big-mb 200          # one side, a bigger file
    python benchmarks/uploads.py --uvicorn-flags='--ws wsproto'     # other uvicorn flags, for both servers
    python benchmarks/uploads.py --sides ours --profile-ours /tmp/up.prof   # cProfile our server

Two servers, each ``python -m uvicorn <app> --host 127.0.0.1 --port P --log-level warning`` with
the same flags (uvicorn's defaults: uvloop + httptools when installed), each with its own fresh
``TMPDIR`` so that the temp files it leaves behind can be counted:

* ``ours``: ``benchmarks.upload_apps.ours:app`` (pyview_core);
* ``peer``: ``benchmarks.upload_apps.peer:app`` (pyview-web 0.9.0).

Both apps allow one ``.bin`` file of up to 60 MB in chunks of 64,000 bytes (Phoenix's default),
auto-upload, and consume the file in their progress callback once it is done: they read it
back (size and CRC-32) and render ``consumed: x.bin <size> bytes crc32 <crc>``.

The client is this process (asyncio, on uvloop when installed), the ``websockets`` library
driving the frames a browser's LiveView client sends (PROTOCOL.md §6.3–6.4), per upload:
GET the page, open the WebSocket (page cookie, Origin, ``_csrf_token``, ``vsn=2.0.0``; no
permessage-deflate offered unless ``--offer-deflate``), ``phx_join`` ``lv:<id>`` (untimed), then,
timed: the form's change event declaring the file, the ``allow_upload`` preflight, ``phx_join``
on ``lvu:0`` with the entry's token, the binary chunk frames, each sent after the previous
chunk's reply, a ``progress`` event on the view's channel each time another ~10 % is in
(not waited for, as the browser does) and ``progress`` 100 at the end, whose reply diff must
show the consumed file's size and CRC-32.

Scenarios, each repeated R times, the two sides alternating (order rotating):

small     one client uploads a 1 MB file (the memory baseline; its CPU is too small for the
          10 ms ticks of /proc/<pid>/stat, so it only appears in the memory table and the JSON);
big       one client uploads a 50 MB file;
parallel  20 clients, each on its own WebSocket and view, upload a 1 MB file each, all at once.

Per run: MB/s (MB = 10**6 bytes; bytes / wall time from the first upload frame to the last
100 % reply), server CPU per MB (utime + stime of the server process, all threads, from
``/proc/<pid>/stat`` before and after, the server idle at both reads), the client's own CPU
per MB, and the server's peak RSS during the run (``VmHWM``, reset before each run by writing
5 to ``/proc/<pid>/clear_refs``; where that is refused, the cumulative peak, and the order
small → big keeps the comparison meaningful). The best MB/s of the runs is reported, and CPU
per MB over all the runs together (each reading is in 10 ms ticks: the total is what is
precise). Ratios: throughput ours / peer, CPU peer / ours: above 1 means we are better.
Benchmarks never gate: the exit status is 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import random
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

import _bench_util as bu
import _live_client
from _live_client import ServerProcess, http_get, log, parse_page, run
from websockets.asyncio.client import connect as ws_connect

MB = 1_000_000
MIB = 1 << 20
CHUNK_SIZE = 64_000  # Phoenix's default; both apps configure it explicitly
MAX_FILE_SIZE = 60_000_000
FILE_NAME = "x.bin"
FILE_TYPE = "application/octet-stream"
UPLOAD_NAME = "docs"  # the file input's name in both apps
PATH = "/upload"
TARGET_MEMORY_GROWTH_MIB = 2.0  # ours: peak RSS during the big upload <= during the 1 MB one + this
SETUP_TIMEOUT_S = 30.0

SIDES = {
    "ours": ("benchmarks.upload_apps.ours:app", "pyview_core on plain uvicorn", "1.2"),
    "peer": ("benchmarks.upload_apps.peer:app", "pyview-web 0.9.0 on plain uvicorn", "0.20"),
}


# --- servers ------------------------------------------------------------------------------------


class Server(ServerProcess):
    """One ``python -m uvicorn`` subprocess with its own TMPDIR (to count the temp files it leaves)."""

    def __init__(self, side: str, flags: list[str], env: dict[str, str], profile: str | None) -> None:
        app, label, dialect = SIDES[side]
        super().__init__(side, ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "{port}",
                                "--log-level", "warning", *flags],
                         ready_path=PATH, env=env, profile=profile, log_prefix="uploads")
        self.side = side
        self.app, self.label, self.dialect = app, label, dialect
        self.tmpdir = tempfile.mkdtemp(prefix=f"uploads-bench-{side}-")
        self.clear_refs_ok: bool | None = None

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        super().start({"TMPDIR": self.tmpdir, **(extra_env or {})})

    def rss(self) -> int:
        return self.rss_bytes()

    def peak_rss(self) -> int:
        return self.status_bytes("VmHWM:")

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            self.clear_refs_ok = True
        except OSError:
            self.clear_refs_ok = False
        return self.clear_refs_ok

    def files_left(self) -> int:
        """Regular files under this server's TMPDIR: finished uploads are consumed, so 0 is expected."""
        return sum(len(files) for _, _, files in os.walk(self.tmpdir))

    async def settle(self, max_s: float = 5.0, poll_s: float = 0.1) -> float:
        """Wait until the server stops using CPU: no new clock tick over 100 ms."""
        return await super().settle(max_s, poll_s)

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


# --- the client: page, socket, frames -------------------------------------------------------------


_UPLOAD_REF = re.compile(r'data-phx-upload-ref="([^"]+)"')


def find_upload_ref(tree: Any) -> str | None:
    """The file input's ``data-phx-upload-ref`` in a rendered tree (the connected mount's, not the dead render's)."""
    if isinstance(tree, str):
        m = _UPLOAD_REF.search(tree)
        return m.group(1) if m else None
    items = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else ()
    for item in items:
        found = find_upload_ref(item)
        if found:
            return found
    return None


def chunk_frame(join_ref: str, ref: str, topic: str, data: bytes | memoryview) -> bytes:
    """A binary upload frame (PROTOCOL.md §2.3): kind 0, four lengths, the four fields, the bytes."""
    fields = [join_ref.encode(), ref.encode(), topic.encode(), b"chunk"]
    return b"".join([bytes([0, *map(len, fields)]), *fields, data])


class UploadFailed(Exception):
    pass


@dataclass
class Payload:
    """The bytes one client uploads and what the server must report once it consumed them."""

    data: bytes
    expected: str  # "x.bin <size> bytes crc32 <crc>"

    @classmethod
    def make(cls, size: int, seed: int) -> Payload:
        data = random.Random(seed).randbytes(size)  # incompressible, like most uploaded files
        return cls(data, f"{FILE_NAME} {size} bytes crc32 {zlib.crc32(data):08x}")


class Uploader:
    """One browser tab: the page, its WebSocket and its view, then one file uploaded through them.

    ``dialect`` is the LiveView client the server expects for the form's change event: ``1.2``
    (ours; PROTOCOL.md §6.1: ``_target`` in ``meta``, the value without the file input) or
    ``0.20`` (pyview-web targets phoenix_live_view 0.20.17, whose client put ``_target`` into
    the URL-encoded value; pyview-web reads it from there to find the upload). Everything
    else is the same frames for both.
    """

    def __init__(self, port: int, dialect: str, payload: Payload, offer_deflate: bool) -> None:
        self.port = port
        self.dialect = dialect
        self.payload = payload
        self.offer_deflate = offer_deflate
        self.ws: Any = None
        self.topic = ""
        self.upload_ref = ""
        self.ref = 1
        self.pending_progress: set[str] = set()
        self.chunk_size = 0
        self.duration = 0.0
        self.progress_events = 0
        self.error: str | None = None

    def next_ref(self) -> str:
        self.ref += 1
        return str(self.ref)

    async def setup(self) -> None:
        status, cookies, page = await http_get("127.0.0.1", self.port, PATH)
        if status != 200:
            raise UploadFailed(f"GET {PATH} answered {status}")
        view_id, session, static, token = parse_page(page)
        self.topic = f"lv:{view_id}"
        self.ws = await ws_connect(
            f"ws://127.0.0.1:{self.port}/live/websocket?_csrf_token={token}&vsn=2.0.0",
            origin=f"http://127.0.0.1:{self.port}",
            additional_headers={"Cookie": "; ".join(cookies)} if cookies else None,
            compression="deflate" if self.offer_deflate else None, max_size=None, proxy=None,
        )
        await self.ws.send(json.dumps(["1", "1", self.topic, "phx_join", {
            "url": f"http://127.0.0.1:{self.port}{PATH}", "params": {"_csrf_token": token, "_mounts": 0},
            "session": session, "static": static,
        }]))
        reply = await self.until(self.topic, "1")
        rendered = reply.get("response", {}).get("rendered")
        if reply.get("status") != "ok" or rendered is None:
            raise UploadFailed(f"join refused: {json.dumps(reply)[:200]}")
        ref = find_upload_ref(rendered)
        if ref is None:
            raise UploadFailed("the joined view renders no data-phx-upload-ref")
        self.upload_ref = ref

    async def until(self, topic: str, ref: str) -> dict:
        """Read frames until the reply to ``ref`` on ``topic``; progress replies on the way are checked."""
        recv, loads = self.ws.recv, json.loads
        while True:
            msg = loads(await recv())
            if msg[3] == "phx_reply":
                if msg[1] == ref and msg[2] == topic:
                    return msg[4]
                if msg[1] in self.pending_progress:
                    self.pending_progress.discard(msg[1])
                    if msg[4].get("status") != "ok":
                        raise UploadFailed(f"progress refused: {json.dumps(msg[4])[:200]}")
            elif msg[3] in ("phx_error", "phx_close") and msg[2] in (topic, self.topic):
                raise UploadFailed(f"{msg[3]} on {msg[2]}: {json.dumps(msg[4])[:200]}")

    async def request(self, event: str, payload: dict) -> dict:
        ref = self.next_ref()
        await self.ws.send(json.dumps(["1", ref, self.topic, event, payload]))
        reply = await self.until(self.topic, ref)
        if reply.get("status") != "ok":
            raise UploadFailed(f"{event} refused: {json.dumps(reply)[:300]}")
        return reply["response"]

    async def progress(self, percent: int) -> str:
        ref = self.next_ref()
        self.progress_events += 1
        await self.ws.send(json.dumps(["1", ref, self.topic, "progress", {
            "event": None, "ref": self.upload_ref, "entry_ref": "0", "progress": percent}]))
        return ref

    async def upload(self) -> None:
        """The timed part: declare, preflight, join lvu:0, chunks + progress, progress 100, check."""
        data = self.payload.data
        size = len(data)
        entry = {"ref": "0", "name": FILE_NAME, "size": size, "type": FILE_TYPE, "last_modified": 1_795_211_150_977}
        t0 = time.perf_counter()
        try:
            form = {"type": "form", "event": "validate", "uploads": {self.upload_ref: [{"path": UPLOAD_NAME, **entry}]}}
            if self.dialect == "1.2":
                form |= {"value": "", "meta": {"_target": UPLOAD_NAME}}
            else:
                form |= {"value": f"_target={UPLOAD_NAME}"}
            await self.request("event", form)
            answer = await self.request("allow_upload", {"ref": self.upload_ref, "entries": [entry]})
            token = (answer.get("entries") or {}).get("0")
            if token is None or answer.get("errors") or answer.get("error"):
                raise UploadFailed(f"preflight gave no token: {json.dumps(answer)[:300]}")
            self.chunk_size = int(answer.get("config", {}).get("chunk_size") or 0)
            if self.chunk_size <= 0:
                raise UploadFailed(f"preflight has no chunk_size: {json.dumps(answer)[:300]}")
            jr = self.next_ref()
            topic = "lvu:0"
            send, until = self.ws.send, self.until
            await send(json.dumps([jr, jr, topic, "phx_join", {"token": token}]))
            joined = await until(topic, jr)
            if joined.get("status") != "ok":
                raise UploadFailed(f"lvu join refused: {json.dumps(joined)[:200]}")
            view = memoryview(data)
            step = self.chunk_size
            next_mark = 10
            for offset in range(0, size, step):
                ref = self.next_ref()
                await send(chunk_frame(jr, ref, topic, view[offset:offset + step]))
                reply = await until(topic, ref)
                if reply.get("status") != "ok":
                    raise UploadFailed(f"chunk at {offset} refused: {json.dumps(reply)[:200]}")
                percent = min(offset + step, size) * 100 // size
                if next_mark <= percent < 100:
                    self.pending_progress.add(await self.progress(percent))
                    next_mark = percent // 10 * 10 + 10
            final = await until(self.topic, await self.progress(100))
            if final.get("status") != "ok":
                raise UploadFailed(f"progress 100 refused: {json.dumps(final)[:200]}")
            if self.payload.expected not in json.dumps(final):
                raise UploadFailed(f"the last diff does not show {self.payload.expected!r}: {json.dumps(final)[:300]}")
            if self.pending_progress:
                raise UploadFailed(f"{len(self.pending_progress)} progress events never answered")
        except Exception as exc:  # noqa: BLE001 - any failure fails the run, loudly
            self.error = f"{type(exc).__name__}: {exc}"
        self.duration = time.perf_counter() - t0

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


# --- runs ---------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    title: str
    clients: int
    size: int  # bytes per client
    in_table: bool


@dataclass
class Run:
    scenario: str
    side: str
    clients: int
    bytes: int
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    rss_before: int = 0
    peak_rss: int = 0
    peak_reset: bool = False
    slowest_client_s: float = 0.0
    chunk_size: int = 0
    files_left: int = 0
    error: str | None = None

    @property
    def mb_s(self) -> float:
        return self.bytes / MB / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_mb(self) -> float:
        return self.server_cpu_s * 1000 / (self.bytes / MB)

    @property
    def client_ms_per_mb(self) -> float:
        return self.client_cpu_s * 1000 / (self.bytes / MB)


async def one_run(server: Server, scenario: Scenario, payload: Payload, offer_deflate: bool) -> Run:
    result = Run(scenario.name, server.side, scenario.clients, scenario.clients * scenario.size)
    clients = [Uploader(server.port, server.dialect, payload, offer_deflate) for _ in range(scenario.clients)]
    try:
        try:
            async with asyncio.timeout(SETUP_TIMEOUT_S):
                await asyncio.gather(*(c.setup() for c in clients))
        except Exception as exc:  # noqa: BLE001
            result.error = f"setup: {type(exc).__name__}: {exc}"
            return result
        await server.settle()
        result.peak_reset = server.reset_peak()
        result.rss_before = server.rss()
        cpu0, ccpu0 = server.cpu_seconds(), time.process_time()
        t0 = time.perf_counter()
        # Generous safety net: 1 MB/s at least.
        try:
            async with asyncio.timeout(60 + result.bytes / MB):
                await asyncio.gather(*(c.upload() for c in clients))
        except TimeoutError:
            result.error = "timed out"
        result.wall_s = time.perf_counter() - t0
        result.client_cpu_s = time.process_time() - ccpu0
        await server.settle()
        result.server_cpu_s = server.cpu_seconds() - cpu0
        # VmHWM lags VmRSS by a few pages (the kernel batches its RSS counters): never below either reading.
        result.peak_rss = max(server.peak_rss(), result.rss_before, server.rss())
        result.slowest_client_s = max(c.duration for c in clients)
        result.chunk_size = clients[0].chunk_size
        errors = [c.error for c in clients if c.error]
        if errors and result.error is None:
            result.error = f"{len(errors)} of {len(clients)} uploads failed; first: {errors[0]}"
        if result.error is None and result.chunk_size != CHUNK_SIZE:
            result.error = f"the server asked for chunks of {result.chunk_size} bytes, not {CHUNK_SIZE}"
    finally:
        await asyncio.gather(*(c.close() for c in clients))
        await server.settle()
        result.files_left = server.files_left()
    return result


def summarize(runs: list[Run]) -> dict[str, Any] | None:
    good = [r for r in runs if r.error is None]
    if not good:
        return None
    return {
        "runs": len(good),
        "mb_s": max(r.mb_s for r in good),
        "mb_s_median": statistics.median(r.mb_s for r in good),
        # CPU over all the runs together: /proc/<pid>/stat counts 10 ms ticks, so one run's
        # reading is off by up to a tick (~8 % of a 20 MB run); the total is off by no more.
        "cpu_ms_per_mb": sum(r.server_cpu_s for r in good) * 1000 / (sum(r.bytes for r in good) / MB),
        "cpu_ms_per_mb_min": min(r.cpu_ms_per_mb for r in good),
        "cpu_ms_per_mb_median": statistics.median(r.cpu_ms_per_mb for r in good),
        "client_ms_per_mb": sum(r.client_cpu_s for r in good) * 1000 / (sum(r.bytes for r in good) / MB),
        "peak_rss": max(r.peak_rss for r in good),
        "rss_before": min(r.rss_before for r in good),
        "slowest_client_s": min(r.slowest_client_s for r in good),
        "peak_reset": all(r.peak_reset for r in good),
    }


def mib(n: float) -> str:
    return f"{n / MIB:.1f}"


def fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}×"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 repeat, a 20 MB big file")
    ap.add_argument("--repeat", type=int, default=None, help="runs per scenario and side (default 10; quick 1)")
    ap.add_argument("--big-mb", type=float, default=None, help="size of the big file in MB (default 50; quick 20)")
    ap.add_argument("--small-mb", type=float, default=1.0, help="size of each small file in MB (default 1)")
    ap.add_argument("--clients", type=int, default=20, help="parallel: clients uploading at once (default 20)")
    ap.add_argument("--sides", default="ours,peer", help="servers to load (default ours,peer)")
    ap.add_argument("--uvicorn-flags", default="", help="extra uvicorn flags for both servers, e.g. '--ws wsproto'")
    ap.add_argument("--offer-deflate", action=argparse.BooleanOptionalAction, default=False,
                    help="offer permessage-deflate (default no: the client would spend its time compressing "
                         "incompressible chunks, and both servers inflating them)")
    ap.add_argument("--client-loop", choices=["auto", "asyncio", "uvloop"], default="auto",
                    help="the client's event loop (default: uvloop if installed)")
    ap.add_argument("--profile-ours", metavar="PATH", help="run our server under cProfile, writing PATH at exit")
    ap.add_argument("--profile-peer", metavar="PATH", help="the same for pyview-web's server")
    ap.add_argument("--json", metavar="PATH", help="also write every run as JSON")
    args = ap.parse_args(argv)

    repeat = args.repeat or (1 if args.quick else 10)
    big = int((args.big_mb or (20 if args.quick else 50)) * MB)
    small = int(args.small_mb * MB)
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    for s in sides:
        if s not in SIDES:
            ap.error(f"unknown side {s!r} (choose from {', '.join(SIDES)})")
    flags = shlex.split(args.uvicorn_flags)
    have_uvloop = importlib.util.find_spec("uvloop") is not None
    _live_client.CLIENT_LOOP = args.client_loop if args.client_loop != "auto" else ("uvloop" if have_uvloop else "asyncio")
    scenarios = [
        Scenario("small", f"1 × {small / MB:g} MB", 1, small, False),
        Scenario("big", f"1 × {big / MB:g} MB", 1, big, True),
        Scenario("parallel", f"{args.clients} × {small / MB:g} MB at once", args.clients, small, True),
    ]
    env = {"UPLOAD_BENCH_CHUNK_SIZE": str(CHUNK_SIZE), "UPLOAD_BENCH_MAX_FILE_SIZE": str(max(MAX_FILE_SIZE, big + MB))}

    info = bu.environment_info()
    try:
        from importlib import metadata

        stack = {d: metadata.version(d) for d in ("uvicorn", "websockets", "uvloop", "httptools")
                 if importlib.util.find_spec(d) is not None}
    except Exception:  # noqa: BLE001
        stack = {}
    log("# uploads: ours vs pyview-web 0.9.0")
    log(f"{info['date']}; Python {info['python']} on {info['platform']}; {info['cpu_count']} CPUs "
        f"(client and servers share them); {', '.join(f'{k} {v}' for k, v in stack.items())}")
    log(f"servers: python -m uvicorn APP --host 127.0.0.1 --port P --log-level warning {' '.join(flags)}".rstrip())
    log(f"chunks of {CHUNK_SIZE:,} bytes; {repeat} run(s) per scenario and side; client on {_live_client.CLIENT_LOOP}, "
        f"permessage-deflate offered: {'yes' if args.offer_deflate else 'no'}")
    load_avg, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load_avg and load_avg[0] > 0.5 * cpus:
        log(f"WARNING: load average {load_avg[0]:.2f} on {cpus} CPUs: other processes compete for the CPU; "
            "MB/s will be noisy (CPU per MB and the ratios are steadier)")
    if args.profile_ours or args.profile_peer:
        log("NOTE: a server runs under cProfile: its numbers are inflated, compare nothing with them")

    payloads = {small: Payload.make(small, 1)}
    payloads.setdefault(big, Payload.make(big, 2))
    servers: dict[str, Server] = {}
    runs: list[Run] = []
    warnings: list[str] = []
    profiles = {"ours": args.profile_ours, "peer": args.profile_peer}
    try:
        for side in sides:
            servers[side] = Server(side, flags, env, profiles[side])
            servers[side].start()
        for side, srv in list(servers.items()):
            try:
                srv.wait_ready()
            except RuntimeError as exc:
                log(f"ERROR: {exc}")
                servers.pop(side)
                srv.stop()
                continue
            log(f"{side}: {srv.label}, port {srv.port}, pid {srv.proc.pid}, TMPDIR {srv.tmpdir}")
        # Warm-up (untimed): imports, lazy caches, thread pools, on every path the runs take.
        for side, srv in list(servers.items()):
            for sc in (scenarios[0], scenarios[2]):
                warm = run(one_run(srv, sc, payloads[sc.size], args.offer_deflate))
                if warm.error:
                    log(f"ERROR: {side} warm-up ({sc.title}) failed: {warm.error}\n{srv.log_tail()}")
                    servers.pop(side).stop()
                    break
            else:
                log(f"{side}: warmed up; idle RSS {mib(srv.rss())} MiB")
        order = list(servers)
        for sc in scenarios:
            log(f"\n## {sc.name}: {sc.title}" + (" (memory baseline; its CPU is a tick or two of 10 ms)" if not sc.in_table else ""))
            for rep in range(repeat):
                rotated = order[rep % len(order):] + order[:rep % len(order)] if order else []
                for side in rotated:
                    srv = servers[side]
                    if not srv.alive():
                        log(f"  ERROR {side}: the server is not running:\n{srv.log_tail()}")
                        continue
                    r = run(one_run(srv, sc, payloads[sc.size], args.offer_deflate))
                    runs.append(r)
                    if r.error:
                        log(f"  {side:4} run {rep + 1}: ERROR {r.error}")
                        continue
                    log(f"  {side:4} run {rep + 1}: {r.mb_s:7.1f} MB/s, server CPU {r.cpu_ms_per_mb:6.2f} ms/MB, "
                        f"client CPU {r.client_ms_per_mb:5.2f} ms/MB, RSS {mib(r.rss_before)} → peak "
                        f"{mib(r.peak_rss)} MiB, {r.wall_s:.2f} s")
                    if r.files_left:
                        warnings.append(f"{side}, {sc.name}: {r.files_left} temp file(s) left in its TMPDIR after the run")
    except Exception as exc:  # noqa: BLE001 - a benchmark reports its failure and still exits 0
        log(f"ERROR: {type(exc).__name__}: {exc}")
    finally:
        for srv in servers.values():
            srv.stop()

    summary = {sc.name: {side: summarize([r for r in runs if r.scenario == sc.name and r.side == side])
                         for side in sides} for sc in scenarios}
    log("\n## summary\n")
    header = ["scenario", "side", "MB/s (best)", "server CPU ms/MB", "client CPU ms/MB", "peak RSS MiB",
              "throughput ours/peer", "CPU peer/ours"]
    rows = []
    targets: list[bu.Target] = []
    for sc in scenarios:
        if not sc.in_table:
            continue
        ours, peer = summary[sc.name].get("ours"), summary[sc.name].get("peer")
        t_ratio = ratio(ours and ours["mb_s"], peer and peer["mb_s"])
        c_ratio = ratio(peer and peer["cpu_ms_per_mb"], ours and ours["cpu_ms_per_mb"])
        for side in sides:
            s = summary[sc.name].get(side)
            if s is None:
                rows.append([sc.title, side, "ERROR", "—", "—", "—", "", ""])
                continue
            rows.append([sc.title, side, fmt(s["mb_s"]), f"{s['cpu_ms_per_mb']:.2f}", f"{s['client_ms_per_mb']:.2f}",
                         mib(s["peak_rss"]), fmt_ratio(t_ratio) if side == "ours" else "",
                         fmt_ratio(c_ratio) if side == "ours" else ""])
        if ours and peer:
            targets.append(bu.Target(f"{sc.title}: throughput, ours / pyview-web",
                                     f"{t_ratio:.2f}× ({fmt(ours['mb_s'])} vs {fmt(peer['mb_s'])} MB/s)", "≥1×", t_ratio >= 1))
            targets.append(bu.Target(f"{sc.title}: server CPU per MB, pyview-web / ours",
                                     f"{c_ratio:.2f}× ({ours['cpu_ms_per_mb']:.2f} vs {peer['cpu_ms_per_mb']:.2f} ms)",
                                     "≥1×", c_ratio >= 1))
    log(bu.markdown_table(header, rows, numeric={2, 3, 4, 5, 6, 7}))
    log()
    mem_header = ["side", "idle RSS MiB", f"peak, {scenarios[0].title} MiB", f"peak, {scenarios[1].title} MiB",
                  f"{big / MB:g} MB − {small / MB:g} MB MiB", f"peak, {args.clients} × {small / MB:g} MB MiB"]
    mem_rows = []
    reset_everywhere = True
    for side in sides:
        s_small, s_big, s_par = (summary[n].get(side) for n in ("small", "big", "parallel"))
        if not (s_small and s_big):
            continue
        reset_everywhere &= s_small["peak_reset"] and s_big["peak_reset"]
        growth = (s_big["peak_rss"] - s_small["peak_rss"]) / MIB
        mem_rows.append([side, mib(s_small["rss_before"]), mib(s_small["peak_rss"]), mib(s_big["peak_rss"]),
                         f"{growth:+.1f}", mib(s_par["peak_rss"]) if s_par else "—"])
        goal = f"≤ +{TARGET_MEMORY_GROWTH_MIB:g} MiB" if side == "ours" else "—"
        targets.append(bu.Target(f"peak RSS, {side}: {scenarios[1].title} vs {scenarios[0].title}",
                                 f"{growth:+.1f} MiB ({mib(s_small['peak_rss'])} → {mib(s_big['peak_rss'])})",
                                 goal, growth <= TARGET_MEMORY_GROWTH_MIB if side == "ours" else None))
    log("Server peak RSS (VmHWM) " + ("during each run (reset before it through /proc/<pid>/clear_refs)"
                                       if reset_everywhere else "cumulative (clear_refs refused): small ran before big"))
    log()
    log(bu.markdown_table(mem_header, mem_rows, numeric={1, 2, 3, 4, 5}))
    log()
    if targets:
        log(bu.format_targets(targets))
    bu.print_warnings(warnings)
    failed = [r for r in runs if r.error]
    if failed:
        log(f"\n{len(failed)} run(s) failed and are left out of the tables.")
    if args.json:
        bu.write_json(args.json, {
            "environment": info | {"stack": stack},
            "settings": vars(args) | {"repeat": repeat, "big_bytes": big, "small_bytes": small, "chunk_size": CHUNK_SIZE,
                                      "uvicorn_flags": flags, "client_loop": _live_client.CLIENT_LOOP},
            "summary": summary,
            "targets": [asdict(t) | {"status": t.status} for t in targets],
            "runs": [asdict(r) | {"mb_s": r.mb_s, "cpu_ms_per_mb": r.cpu_ms_per_mb,
                                  "client_ms_per_mb": r.client_ms_per_mb} for r in runs],
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
