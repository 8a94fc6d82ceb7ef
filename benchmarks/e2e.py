"""End to end: our LiveView server against its floor (the bare server stack) and pyview-web.

Run from the repository root::

    python -m benchmarks.e2e                               # every section, ~4 minutes
    python -m benchmarks.e2e --quick                       # every section, smaller (~1 minute)
    python -m benchmarks.e2e --only click,session          # some sections: memory,click,session,p99,broadcast,gc
    python -m benchmarks.e2e --only click --serve-variant=all          # our serving alternatives side by side
    python -m benchmarks.e2e --only click --serve-variant="--ws wsproto" --serve-variant="--loop asyncio --http h11"
    python -m benchmarks.e2e --json e2e.json               # also write machine-readable results
    python -m benchmarks.e2e --only click --sides ours --clients 100 --profile-ours /tmp/ours.prof

Three servers, each its own subprocess, started once for the whole run and stopped at the end:

* ``ours``:  ``python -m pyview_core.cli serve benchmarks.e2e_apps.ours:app ...`` (``pyview serve``:
  uvloop + httptools when installed, no per-message deflate, the collector tuned);
* ``floor``: ``pyview serve benchmarks.e2e_apps.floor:app ...`` on exactly the same stack: a bare
  ASGI app that serves a fixed page of the size of our dead render and echoes every WebSocket
  text frame. ``ours / floor`` is what our runtime adds to the transport;
* ``peer``:  ``python -m uvicorn benchmarks.e2e_apps.peer:app ...``: pyview-web 0.9.0 on plain
  uvicorn, as its README runs it (uvicorn's defaults: uvloop/httptools if installed, deflate on);
* optional ``ours[FLAGS]``: ours again with other ``pyview serve`` flags (``--serve-variant``).

The client is this process (asyncio, on uvloop when installed), speaking Phoenix Channels V2 as
the browser does, with no browser: per client an HTTP GET of the page (cookies kept for the
upgrade), the container id, session/static tokens and CSRF meta read from it, the WebSocket
opened with the page's Origin, offering ``permessage-deflate; client_max_window_bits`` as
Chrome and Firefox do (``--no-offer-deflate`` to stop), ``phx_join`` and its ok reply. The
frames are handled on a bare ``asyncio.Protocol`` (the ``websockets`` library's sans-I/O
``ClientProtocol`` does the handshake, and the framing too when deflate was negotiated), so the
client costs less than the servers it measures. Against the floor the join is echoed, not
answered: one round trip of the join frame.

Sections (``--only``):

memory     N idle joined counter views: (server RSS after − before) / N.
click      N clients (1, 10, 100) click ``increment`` K times each, one after another, each
           waiting for its reply: events/s, p50/p99 latency, server CPU per event (all threads,
           ``/proc/<pid>/task/*/schedstat``). Against the floor a click is an echo of the same frame.
session    whole visits: dead render GET + WebSocket handshake + join + 30 clicks + close, C at
           a time: server CPU and wall time per session.
p99        1,000 clients on ours vs 100 on pyview-web, each clicking once per 0.5 s from a
           random phase (the target: loaded, not saturated), then back to back (saturated: in a
           closed loop latency is the queue, p50 ≈ clients / events/s): p50/p99/max latency.
broadcast  N views of ``/broadcast`` subscribed to one topic; one of them clicks ``bump`` M
           times (waiting for each reply); every view renders and pushes each value. Time and
           server CPU until every client has the last value, plus the client's own CPU.
gc         in this process, no server: one 10,000-row tree build next to a long-lived heap,
           under Python's collector defaults and the settings ``pyview serve`` can use.

CPU per event is the steady number on a shared machine (wall-clock rates swing with other
load); ratios come from the same run. Benchmarks never gate: exit status 0.
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
import random
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

import _bench_util as bu
import _live_client
from _live_client import ServerProcess, http_get, log, parse_page, run
from websockets.asyncio.client import connect as ws_connect
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri
from websockets.utils import apply_mask

SECTIONS = ("memory", "click", "session", "p99", "broadcast", "gc")
TARGET_SPEED = 2.0  # click: events/s at TARGET_CLIENTS, ours >= 2x pyview-web ...
TARGET_CLIENTS = 100  # ... with a p99 no worse than pyview-web's
TARGET_CLICK_VS_FLOOR = 1.15  # click: our server CPU per event <= 1.15x the echo's
TARGET_SESSION_VS_FLOOR = 1.3  # session: our server CPU per session <= 1.3x the floor's
SESSION_CLICKS = 30
SETUP_CONCURRENCY = 20  # dead renders + joins in flight at once (untimed)
REPLY_TIMEOUT_S = 60.0  # safety net: a client's clicks must finish within this per 100 clicks
BROADCAST_TIMEOUT_S = 300.0  # safety net for a whole fan-out
SETUP_TIMEOUT_S = 600.0  # safety net for connecting a whole crowd
SETUP_ONE_TIMEOUT_S = 30.0  # ... and for one client's dead render + upgrade + join
VARIANT_PRESETS = [  # --serve-variant=all
    "--ws websockets",
    "--ws wsproto",
    "--loop asyncio --http h11",
    "--ws-per-message-deflate",
    "--no-gc-freeze --gc-threshold 0",
]


# --- servers ------------------------------------------------------------------------------------


class Server(ServerProcess):
    """One server of the comparison: ours (``pyview serve``), the floor (a bare echo) or the peer."""

    def __init__(self, name: str, label: str, argv: list[str], *, env: dict[str, str] | None = None,
                 profile: str | None = None, echo: bool = False) -> None:
        super().__init__(name, argv, ready_path="/counter", env=env, profile=profile, log_prefix="e2e")
        self.label = label
        self.echo = echo  # the floor echoes frames instead of answering them

    @classmethod
    def ours(cls, flags: list[str], profile: str | None = None) -> "Server":
        name = "ours" if not flags else f"ours[{' '.join(flags)}]"
        return cls(name, "pyview_core, pyview serve " + (" ".join(flags) or "(defaults)"),
                   ["-m", "pyview_core.cli", "serve", "benchmarks.e2e_apps.ours:app", "--host", "127.0.0.1",
                    "--port", "{port}", "--log-level", "warning", *flags], profile=profile)

    @classmethod
    def floor(cls, page_bytes: int, profile: str | None = None) -> "Server":
        return cls("floor", f"bare ASGI echo + {page_bytes} B page, pyview serve (same stack as ours)",
                   ["-m", "pyview_core.cli", "serve", "benchmarks.e2e_apps.floor:app", "--host", "127.0.0.1",
                    "--port", "{port}", "--log-level", "warning"],
                   env={"E2E_FLOOR_PAGE_BYTES": str(page_bytes)}, profile=profile, echo=True)

    @classmethod
    def peer(cls, profile: str | None = None) -> "Server":
        return cls("peer", "pyview-web 0.9.0, plain uvicorn (its defaults)",
                   ["-m", "uvicorn", "benchmarks.e2e_apps.peer:app", "--host", "127.0.0.1", "--port", "{port}",
                    "--log-level", "warning"], profile=profile)

    def cpu_seconds(self) -> float:
        """CPU time of the server process so far, all live threads (Linux /proc; 0 elsewhere).

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
            return self.process_cpu_seconds()

    def alive(self) -> bool:
        """Whether the server still runs; says once, loudly, when it has died."""
        if super().alive():
            return True
        if not getattr(self, "_death_reported", False):
            self._death_reported = True
            code = None if self.proc is None else self.proc.returncode
            log(f"  ERROR {self.name}: the server is not running (exit status {code}); its runs are skipped. "
                f"Log tail:\n{self.log_tail()}")
        return False


# --- the client: HTTP and the page ----------------------------------------------------------------


def click_frame(ref: int, topic: str) -> str:
    return f'["1","{ref}","{topic}","event",{{"type":"click","event":"increment","value":{{"value":""}}}}]'


def bump_frame(ref: int, topic: str, n: int) -> str:
    return f'["1","{ref}","{topic}","event",{{"type":"click","event":"bump","value":{{"n":"{n}"}}}}]'


def reply_prefixes(ref: int) -> tuple[str, str]:
    """How a reply to ``ref`` starts: ours sends compact JSON (orjson), pyview-web ``json.dumps`` defaults."""
    return f'["1","{ref}",', f'["1", "{ref}", '


# A push has a null ref; its join ref is the channel's (ours, PROTOCOL.md §2.2) or null (pyview-web, the floor).
PUSH_PREFIXES = (b'["1",null,', b"[null,null,", b'["1", null, ', b"[null, null, ")


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


# --- the client: WebSocket --------------------------------------------------------------------------


class _LeanProtocol(asyncio.Protocol):
    """A WebSocket client connection on a bare ``asyncio.Protocol``.

    The opening handshake is the ``websockets`` library's sans-I/O ``ClientProtocol`` (request,
    key, extension negotiation, checks of the 101 answer). Without deflate, frames are then
    handled here directly: the server's frames are unmasked and, for these small messages,
    never fragmented; each complete text frame goes to ``on_text`` as bytes. When the server
    accepted permessage-deflate, every frame goes through ``ClientProtocol`` instead, which
    compresses and decompresses them. Pings are answered, a close frame ends the connection.
    """

    def __init__(self, uri: str, origin: str, cookie: str | None, offer_deflate: bool) -> None:
        extensions = [ClientPerMessageDeflateFactory()] if offer_deflate else None
        self.hs = ClientProtocol(parse_uri(uri), origin=Origin(origin), extensions=extensions, max_size=None)
        self.cookie = cookie
        self.transport: Any = None
        self.buf = bytearray()
        self.open = False
        self.deflate = False
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

    def send_text(self, payload: bytes) -> None:
        """Send one text message (masked here, or compressed by ``ClientProtocol`` under deflate)."""
        if self.deflate:
            self.hs.send_text(payload)
            self.transport.write(b"".join(self.hs.data_to_send()))
        else:
            self.transport.write(mask_frame(payload))

    def data_received(self, data: bytes) -> None:
        if not self.open or self.deflate:
            self._through_protocol(data)
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

    def _through_protocol(self, data: bytes) -> None:
        hs = self.hs
        hs.receive_data(data)
        events = hs.events_received()
        if not self.open:
            if hs.handshake_exc is not None:
                if not self.opened.done():
                    self.opened.set_exception(hs.handshake_exc)
                return
            if hs.state is State.OPEN:
                self.open = True
                self.deflate = bool(hs.extensions)
                self.opened.set_result(None)
        for event in events:
            if not isinstance(event, Frame):
                continue  # the handshake response
            if event.opcode is Opcode.TEXT:
                self.on_text(event.data)
            elif event.opcode is Opcode.CLOSE:
                self._fail(ConnectionError("server closed the WebSocket"))
        out = hs.data_to_send()
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    def _fail(self, exc: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.on_lost is not None:
            self.on_lost(exc)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._fail(exc or ConnectionError("connection closed"))


class Client:
    """One browser tab's worth of protocol: dead render, WebSocket, join, then clicks.

    Subclasses provide the WebSocket: ``_open`` (the upgrade), ``_send_text``/``_recv_text``
    (untimed join only), ``clicks`` (the timed part) and ``close``. With ``echo`` (the floor),
    the join's answer is its own echo and replies are not checked for ``"status":"ok"``.
    """

    def __init__(self, port: int, *, path: str = "/counter", offer_deflate: bool = True, echo: bool = False) -> None:
        self.port = port
        self.path = path
        self.offer_deflate = offer_deflate
        self.echo = echo
        self.latencies: list[float] = []
        self.error: str | None = None
        self.last_reply: bytes | str | None = None
        self.t_end = 0.0
        self.topic = ""
        self.deflate = False
        self.late = 0  # paced clicks sent late because the previous reply had not come yet

    async def setup(self) -> None:
        port = self.port
        status, cookies, page = await http_get("127.0.0.1", port, self.path)
        if status != 200:
            raise RuntimeError(f"GET {self.path} answered {status}")
        view_id, session, static, token = parse_page(page)
        self.topic = topic = f"lv:{view_id}"
        await self._open(
            f"ws://127.0.0.1:{port}/live/websocket?_csrf_token={token}&vsn=2.0.0",
            f"http://127.0.0.1:{port}",
            "; ".join(cookies) or None,
        )
        join = ["1", "1", topic, "phx_join", {
            "url": f"http://127.0.0.1:{port}{self.path}",
            "params": {"_csrf_token": token, "_mounts": 0},
            "session": session,
            "static": static,
        }]
        await self._send_text(json.dumps(join, separators=(",", ":")))
        while True:
            reply = json.loads(await self._recv_text())
            if reply[1] == "1" and (reply[3] == "phx_reply" or self.echo):
                break
        if self.echo:
            return
        if reply[4].get("status") != "ok" or "rendered" not in reply[4].get("response", {}):
            raise RuntimeError(f"join refused: {json.dumps(reply[4])[:200]}")

    def check_final(self, k: int) -> None:
        """The last reply's diff must carry the count K as a string (both servers start at 0)."""
        if self.error or k == 0 or self.echo:
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

    async def clicks(self, k: int, ready: "Barrier | None") -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


def _ok(msg: bytes | str) -> bool:
    if isinstance(msg, str):
        return '"status":"ok"' in msg or '"status": "ok"' in msg
    return b'"status":"ok"' in msg or b'"status": "ok"' in msg


class LibClient(Client):
    """The ``websockets`` library's asyncio client end to end (``--client websockets``): simple, heavier."""

    ws: Any = None

    async def _open(self, uri: str, origin: str, cookie: str | None) -> None:
        self.ws = await ws_connect(
            uri, origin=origin, additional_headers={"Cookie": cookie} if cookie else None,
            compression="deflate" if self.offer_deflate else None, proxy=None, ping_interval=None, max_queue=None,
        )
        self.deflate = bool(self.ws.protocol.extensions)

    async def _send_text(self, text: str) -> None:
        await self.ws.send(text)

    async def _recv_text(self) -> str:
        return await self.ws.recv()

    async def clicks(self, k: int, ready: "Barrier | None") -> None:
        topic = self.topic
        frames = [(click_frame(ref, topic), reply_prefixes(ref)) for ref in range(2, k + 2)]
        send, recv = self.ws.send, self.ws.recv
        lat = self.latencies
        clock = time.perf_counter
        bad = 0
        msg = None
        if ready is not None:
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
                if not self.echo and not _ok(msg):
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


class LeanClient(Client):
    """The default client: the timed clicks run in the protocol callback, no task switch per click.

    Without deflate, frames are masked and encoded before the barrier; on each reply the
    callback checks its ref with a prefix test on the raw bytes (and ``"status":"ok"`` with a
    substring test), records the latency and writes the next frame at once. Only the last reply
    is decoded, to check the count.
    """

    proto: _LeanProtocol | None = None

    async def _open(self, uri: str, origin: str, cookie: str | None) -> None:
        loop = asyncio.get_running_loop()
        _, self.proto = await loop.create_connection(
            lambda: _LeanProtocol(uri, origin, cookie, self.offer_deflate), "127.0.0.1", self.port)
        await self.proto.opened
        self.deflate = self.proto.deflate
        self._inbox: asyncio.Queue = asyncio.Queue()
        self.proto.on_text = self._inbox.put_nowait
        self.proto.on_lost = lambda exc: self._inbox.put_nowait(exc)

    async def _send_text(self, text: str) -> None:
        self.proto.send_text(text.encode())

    async def _recv_text(self) -> bytes:
        item = await self._inbox.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def sender(self, payloads: list[bytes]) -> Callable[[int], None]:
        """``send(i)`` writes payload i: pre-masked frames, or through ``ClientProtocol`` under deflate."""
        proto = self.proto
        if proto.deflate:
            return lambda i: proto.send_text(payloads[i])
        frames = [mask_frame(p) for p in payloads]
        write = proto.transport.write
        return lambda i: write(frames[i])

    def _reply_counter(self, k: int, prefixes: list, state: dict, done: asyncio.Future,
                       next_click: Callable[[int], None]) -> Callable[[bytes], None]:
        """The ``on_text`` of a click run: recognise reply i by its prefix, record its latency
        (from ``state["t0"]``) and whether it was ok, then ``next_click(i + 1)`` or finish."""
        lat, clock, echo = self.latencies, time.perf_counter, self.echo

        def on_text(msg: bytes) -> None:
            i = state["i"]
            if i >= k or not msg.startswith(prefixes[i]):
                return  # not the reply we wait for (a push): ignore
            now = clock()
            lat.append(now - state["t0"])
            if not echo and not _ok(msg):
                state["bad"] += 1
            i += 1
            state["i"] = i
            if i == k:
                self.t_end = now
                self.last_reply = msg
                if not done.done():
                    done.set_result(None)
                return
            next_click(i)

        return on_text

    async def clicks(self, k: int, ready: "Barrier | None") -> None:
        proto = self.proto
        topic = self.topic
        send = self.sender([click_frame(ref, topic).encode() for ref in range(2, k + 2)])
        prefixes = [tuple(p.encode() for p in reply_prefixes(ref)) for ref in range(2, k + 2)]
        clock = time.perf_counter
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        state = {"i": 0, "t0": 0.0, "bad": 0}

        def next_click(i: int) -> None:
            state["t0"] = clock()
            send(i)

        on_text = self._reply_counter(k, prefixes, state, done, next_click)

        def on_lost(exc: BaseException) -> None:
            if not done.done():
                done.set_exception(exc)

        proto.on_text = on_text
        proto.on_lost = on_lost
        if ready is not None:
            await ready.wait()
        if k == 0:
            return
        try:
            state["t0"] = clock()
            send(0)
            await asyncio.wait_for(done, REPLY_TIMEOUT_S * max(1, k / 100))
            if state["bad"]:
                self.error = f"{state['bad']} of {k} replies were not ok"
        except Exception as exc:  # noqa: BLE001 - any failure fails the run, loudly
            self.t_end = clock()
            self.error = f"{type(exc).__name__}: {exc} (after {state['i']} of {k} replies)"

    async def paced_clicks(self, k: int, ready: "Barrier", interval: float, phase: float) -> None:
        """K clicks at a user's pace: click i is due ``phase + i * interval`` s after the barrier.

        One click in flight at a time, as the client locks a button until its reply: a click that
        falls due before the previous reply is sent on that reply, and counted in ``late``.
        Latency is from the moment a click is sent.
        """
        proto = self.proto
        topic = self.topic
        send = self.sender([click_frame(ref, topic).encode() for ref in range(2, k + 2)])
        prefixes = [tuple(p.encode() for p in reply_prefixes(ref)) for ref in range(2, k + 2)]
        clock = time.perf_counter
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()
        state = {"i": 0, "t0": 0.0, "bad": 0, "start": 0.0}

        def fire(i: int) -> None:
            state["t0"] = clock()
            send(i)

        def schedule(i: int) -> None:
            due = state["start"] + phase + i * interval
            if due <= loop.time():
                if due < loop.time() - 0.001:
                    self.late += 1
                fire(i)
            else:
                loop.call_at(due, fire, i)

        on_text = self._reply_counter(k, prefixes, state, done, schedule)

        def on_lost(exc: BaseException) -> None:
            if not done.done():
                done.set_exception(exc)

        proto.on_text = on_text
        proto.on_lost = on_lost
        await ready.wait()
        state["start"] = loop.time()
        schedule(0)
        try:
            await asyncio.wait_for(done, phase + k * interval + REPLY_TIMEOUT_S * max(1, k / 100))
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
                if proto.deflate:
                    proto.hs.send_close(1000)
                    proto.transport.write(b"".join(proto.hs.data_to_send()))
                else:
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


async def connect_all(clients: list[Client]) -> list[str]:
    """Set up every client (dead render, WebSocket, join), SETUP_CONCURRENCY at a time; their errors."""
    sem = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def setup(c: Client) -> None:
        async with sem:
            try:
                await asyncio.wait_for(c.setup(), SETUP_ONE_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001
                c.error = f"setup: {type(exc).__name__}: {exc}"

    try:
        await asyncio.wait_for(asyncio.gather(*(setup(c) for c in clients)), SETUP_TIMEOUT_S)
    except TimeoutError:
        return [f"setup of {len(clients)} clients did not finish within {SETUP_TIMEOUT_S:g} s"]
    return [c.error for c in clients if c.error]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = math.ceil(q / 100.0 * len(sorted_values))
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


# --- section: click (and p99) -------------------------------------------------------------------


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
    deflate: bool = False
    pace_s: float | None = None  # paced: one click per pace_s per client; None: back to back
    late: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)


async def load(server: Server, n: int, k: int, client: str = "lean", offer_deflate: bool = True,
               pace: float | None = None) -> Run:
    """N clients connect (untimed), then click K times each, released together by a barrier.

    Back to back by default (each click sent on the previous reply: a saturating closed loop);
    with ``pace``, each client clicks once per ``pace`` seconds from a random phase (lean client).
    """
    run_ = Run(server.name, n, k, pace_s=pace)
    clients = [CLIENTS[client](server.port, offer_deflate=offer_deflate, echo=server.echo) for _ in range(n)]
    try:
        run_.errors += await connect_all(clients)
        if run_.errors:
            return run_
        run_.deflate = any(c.deflate for c in clients)
        barrier = Barrier(n)
        if pace:
            rnd = random.Random(n)
            tasks = [asyncio.create_task(c.paced_clicks(k, barrier, pace, rnd.uniform(0, pace))) for c in clients]
        else:
            tasks = [asyncio.create_task(c.clicks(k, barrier)) for c in clients]
        await barrier.all_waiting.wait()
        gc.collect()
        cpu0, srv0 = time.process_time(), server.cpu_seconds()
        t0 = time.perf_counter()
        barrier.event.set()
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=REPLY_TIMEOUT_S * max(1, k / 100) + 10 + k * (pace or 0))
        except TimeoutError:
            run_.errors.append("timed out waiting for replies")
            for t in tasks:
                t.cancel()
            return run_
        cpu1, srv1 = time.process_time(), server.cpu_seconds()
        t_end = max(c.t_end for c in clients)
        for c in clients:
            c.check_final(k)
        run_.errors += [c.error for c in clients if c.error]
        wall = t_end - t0
        lat = sorted(x for c in clients for x in c.latencies)
        run_.wall_s = wall
        run_.events_per_s = n * k / wall if wall > 0 else 0.0
        run_.p50_ms = percentile(lat, 50) * 1e3
        run_.p99_ms = percentile(lat, 99) * 1e3
        run_.max_ms = lat[-1] * 1e3 if lat else float("nan")
        run_.server_cpu_us_per_event = (srv1 - srv0) / (n * k) * 1e6
        run_.server_cpu_pct = 100.0 * (srv1 - srv0) / wall if wall > 0 else 0.0
        run_.client_cpu_pct = 100.0 * (cpu1 - cpu0) / wall if wall > 0 else 0.0
        run_.late = sum(c.late for c in clients)
        return run_
    finally:
        await asyncio.gather(*(c.close() for c in clients))
        await server.settle()


def print_run(run_: Run, tag: str = "") -> None:
    if run_.failed:
        log(f"  ERROR {run_.side} {run_.clients} clients{tag}: RUN FAILED, {len(run_.errors)} error(s); "
            f"first: {run_.errors[0]}")
    else:
        log(f"  {run_.side:<10} {run_.clients:>5} clients{tag}: {run_.events_per_s:>8,.0f} ev/s  "
            f"p50 {run_.p50_ms:6.2f} ms  p99 {run_.p99_ms:7.2f} ms  "
            f"server {run_.server_cpu_us_per_event:5.0f} µs CPU/ev ({run_.server_cpu_pct:3.0f}%)  "
            f"client CPU {run_.client_cpu_pct:3.0f}%{'  deflate' if run_.deflate else ''}"
            + (f"  paced 1/{run_.pace_s:g} s, {run_.late} late" if run_.pace_s else ""))


def section_click(servers: list[Server], clients: list[int], args: argparse.Namespace,
                  report: "Report") -> None:
    """The click table: every side at every client count, alternating order, best of R."""
    best: dict[tuple[str, int], Run] = {}
    cpu_min: dict[tuple[str, int], float] = {}
    for n in clients:
        for r in range(args.repeat):
            order = servers[r % len(servers):] + servers[:r % len(servers)]
            for srv in order:
                if not srv.alive():
                    continue
                k = max(args.clicks, math.ceil(args.min_events / n))  # short runs are all noise
                run_ = run(load(srv, n, k, args.client, args.offer_deflate))
                report.runs.append(asdict(run_))
                print_run(run_, f" #{r + 1}")
                if run_.failed:
                    print(srv.log_tail(), file=sys.stderr)
                    continue
                key = (srv.name, n)
                if key not in best or run_.events_per_s > best[key].events_per_s:
                    best[key] = run_
                cpu_min[key] = min(cpu_min.get(key, math.inf), run_.server_cpu_us_per_event)
    names = [s.name for s in servers]
    header = ["clients", "side", "clicks each", "ev/s", "p50 ms", "p99 ms", "server CPU µs/ev (min)", "vs floor", "vs ours",
              "server CPU %", "client CPU %"]
    rows = []
    for n in clients:
        floor_cpu = cpu_min.get(("floor", n))
        ours_cpu = cpu_min.get(("ours", n))
        for name in names:
            r = best.get((name, n))
            if r is None:
                rows.append([str(n), name, "", "FAILED", "", "", "", "", "", "", ""])
                continue
            cpu = cpu_min[(name, n)]
            rows.append([str(n), name, str(r.clicks), f"{r.events_per_s:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", f"{cpu:,.1f}",
                         f"{cpu / floor_cpu:.2f}×" if floor_cpu else "—",
                         f"{cpu / ours_cpu:.2f}×" if ours_cpu else "—",
                         f"{r.server_cpu_pct:.0f}", f"{r.client_cpu_pct:.0f}"])
    report.table("click: N clients, K clicks each (best ev/s of the repeats; CPU/event: the lowest)",
                 header, rows, numeric={0, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    report.data["click"] = {f"{k[0]}@{k[1]}": asdict(v) | {"server_cpu_us_per_event_min": cpu_min[k]}
                            for k, v in best.items()}
    one = min(clients)
    o, f, p = cpu_min.get(("ours", one)), cpu_min.get(("floor", one)), cpu_min.get(("peer", one))
    if o and f:
        ratio = o / f
        report.targets.append(bu.Target(
            f"click, {one} client: our server CPU per event vs the echo floor",
            f"{ratio:.2f}× ({o:.1f} vs {f:.1f} µs)", f"≤{TARGET_CLICK_VS_FLOOR:g}×", ratio <= TARGET_CLICK_VS_FLOOR))
        bo, bf = best[("ours", one)], best[("floor", one)]
        report.targets.append(bu.Target(
            f"click, {one} client: our p50 latency vs the echo floor", f"{bo.p50_ms / bf.p50_ms:.2f}× "
            f"({bo.p50_ms:.3f} vs {bf.p50_ms:.3f} ms)", "—", None))
    if o and p:
        report.targets.append(bu.Target(
            f"click, {one} client: pyview-web's server CPU per event vs ours", f"{p / o:.2f}× ({p:.1f} vs {o:.1f} µs)",
            "—", None))
    bo, bp = best.get(("ours", TARGET_CLIENTS)), best.get(("peer", TARGET_CLIENTS))
    if bo and bp:
        speed = bo.events_per_s / bp.events_per_s
        report.targets.append(bu.Target(
            f"click, {TARGET_CLIENTS} clients: events/s ours / pyview-web, with p99 no worse",
            f"{speed:.2f}×, p99 {bo.p99_ms:.2f} vs {bp.p99_ms:.2f} ms",
            f"≥{TARGET_SPEED:g}× and p99 ≤", speed >= TARGET_SPEED and bo.p99_ms <= bp.p99_ms))
    for name in names:
        if name.startswith("ours[") and (name, one) in cpu_min and o:
            report.targets.append(bu.Target(f"variant {name}, {one} client: CPU per event vs ours",
                                            f"{cpu_min[(name, one)] / o:.2f}×", "—", None))


def section_p99(servers: dict[str, Server], args: argparse.Namespace, report: "Report") -> None:
    """Ours with a crowd against pyview-web with 100: does our tail stay as short with 10x the users?

    Paced (the target): every client clicks once per ``--p99-pace`` seconds, as people do, so the
    servers are loaded but not saturated. Back to back (informational): every client clicks on
    the previous reply; in such a closed loop the latency is the queue, p50 ≈ clients / events/s,
    so "ours at 1,000 ≤ pyview-web at 100" would need 10x pyview-web's throughput.
    """
    crowd, pace = args.p99_clients, args.p99_pace
    plan = [("ours", crowd, pace), ("peer", TARGET_CLIENTS, pace)]
    if args.p99_peer_crowd:
        plan.append(("peer", crowd, pace))
    plan += [("ours", crowd, None), ("peer", TARGET_CLIENTS, None)]
    results: dict[tuple[str, int, float | None], Run] = {}
    for name, n, pc in plan:
        srv = servers.get(name)
        if srv is None or not srv.alive():
            continue
        k = args.p99_clicks if pc else max(args.p99_clicks, math.ceil(args.min_events / n))
        run_ = run(load(srv, n, k, "lean" if pc else args.client, args.offer_deflate, pace=pc))
        report.runs.append(asdict(run_))
        print_run(run_)
        if not run_.failed:
            results[(name, n, pc)] = run_
        else:
            print(srv.log_tail(), file=sys.stderr)
    header = ["side", "clients", "clicking", "clicks each", "ev/s", "p50 ms", "p99 ms", "max ms",
              "server CPU µs/ev", "server CPU %", "late clicks"]
    rows = [[k[0], f"{k[1]:,}", f"1 per {k[2]:g} s" if k[2] else "back to back", str(v.clicks),
             f"{v.events_per_s:,.0f}", f"{v.p50_ms:.2f}", f"{v.p99_ms:.2f}", f"{v.max_ms:.1f}",
             f"{v.server_cpu_us_per_event:,.1f}", f"{v.server_cpu_pct:.0f}", str(v.late) if k[2] else "—"]
            for k, v in results.items()]
    report.table("p99: latency with a crowd (paced: the target; back to back: saturated, informational)",
                 header, rows, numeric={1, 3, 4, 5, 6, 7, 8, 9, 10})
    report.data["p99"] = {f"{k[0]}@{k[1]}/{'paced' if k[2] else 'closed'}": asdict(v) for k, v in results.items()}
    o, p = results.get(("ours", crowd, pace)), results.get(("peer", TARGET_CLIENTS, pace))
    if o and p:
        report.targets.append(bu.Target(
            f"p99, 1 click per {pace:g} s each: ours at {crowd:,} clients vs pyview-web at {TARGET_CLIENTS}",
            f"{o.p99_ms:.2f} vs {p.p99_ms:.2f} ms", "ours ≤ peer", o.p99_ms <= p.p99_ms))
    o, p = results.get(("ours", crowd, None)), results.get(("peer", TARGET_CLIENTS, None))
    if o and p:
        report.targets.append(bu.Target(
            f"p99, back to back: ours at {crowd:,} clients vs pyview-web at {TARGET_CLIENTS} (needs 10× its ev/s)",
            f"{o.p99_ms:.2f} vs {p.p99_ms:.2f} ms", "—", None))


# --- section: session -----------------------------------------------------------------------------


@dataclass
class SessionRun:
    side: str
    sessions: int
    concurrency: int
    clicks: int
    wall_s: float = 0.0
    sessions_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu_us_per_session: float = 0.0
    client_cpu_pct: float = 0.0
    errors: list[str] = field(default_factory=list)


async def sessions(server: Server, total: int, concurrency: int, k: int, offer_deflate: bool) -> SessionRun:
    """``total`` whole visits, ``concurrency`` at a time; server CPU until it is idle again."""
    res = SessionRun(server.name, total, concurrency, k)
    durations: list[float] = []
    clock = time.perf_counter
    todo = iter(range(total))

    async def worker() -> None:
        for _ in todo:
            c = LeanClient(server.port, offer_deflate=offer_deflate, echo=server.echo)
            t0 = clock()
            try:
                await asyncio.wait_for(c.setup(), SETUP_ONE_TIMEOUT_S)
                await c.clicks(k, None)
                c.check_final(k)
            except Exception as exc:  # noqa: BLE001
                c.error = c.error or f"{type(exc).__name__}: {exc}"
            finally:
                await c.close()
            durations.append(clock() - t0)
            if c.error:
                res.errors.append(c.error)

    await server.settle()
    gc.collect()
    cpu0, srv0, t0 = time.process_time(), server.cpu_seconds(), clock()
    try:
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))),
                               REPLY_TIMEOUT_S * max(1, total * (k + 2) / 100 / concurrency))
    except TimeoutError:
        res.errors.append("timed out")
        return res
    wall = clock() - t0
    cpu1 = time.process_time()
    await server.settle()  # the teardown of the last sessions belongs to them
    srv1 = server.cpu_seconds()
    durations.sort()
    res.wall_s = wall
    res.sessions_per_s = total / wall
    res.p50_ms = percentile(durations, 50) * 1e3
    res.p99_ms = percentile(durations, 99) * 1e3
    res.server_cpu_us_per_session = (srv1 - srv0) / total * 1e6
    res.client_cpu_pct = 100.0 * (cpu1 - cpu0) / wall
    return res


def section_session(servers: list[Server], args: argparse.Namespace, report: "Report") -> None:
    best: dict[str, SessionRun] = {}
    for r in range(args.repeat):
        order = servers[r % len(servers):] + servers[:r % len(servers)]
        for srv in order:
            if not srv.alive():
                continue
            res = run(sessions(srv, args.sessions, args.session_concurrency, SESSION_CLICKS, args.offer_deflate))
            report.runs.append(asdict(res))
            if res.errors:
                log(f"  ERROR {srv.name} sessions #{r + 1}: {len(res.errors)} failed; first: {res.errors[0]}")
                print(srv.log_tail(), file=sys.stderr)
                continue
            log(f"  {srv.name:<10} {res.sessions} sessions ({res.concurrency} at a time) #{r + 1}: "
                f"{res.sessions_per_s:7.1f}/s  p50 {res.p50_ms:6.2f} ms  p99 {res.p99_ms:6.2f} ms  "
                f"server {res.server_cpu_us_per_session:7,.0f} µs CPU/session  client CPU {res.client_cpu_pct:3.0f}%")
            if srv.name not in best or res.server_cpu_us_per_session < best[srv.name].server_cpu_us_per_session:
                best[srv.name] = res
    events = SESSION_CLICKS + 2  # the GET, the join and the clicks (the handshake rides along)
    floor = best.get("floor")
    ours = best.get("ours")
    header = ["side", "server CPU µs/session", f"µs/event (÷{events})", "vs floor", "vs ours", "sessions/s",
              "p50 ms", "p99 ms"]
    rows = []
    for srv in servers:
        s = best.get(srv.name)
        if s is None:
            rows.append([srv.name, "FAILED", "", "", "", "", "", ""])
            continue
        cpu = s.server_cpu_us_per_session
        rows.append([srv.name, f"{cpu:,.0f}", f"{cpu / events:,.1f}",
                     f"{cpu / floor.server_cpu_us_per_session:.2f}×" if floor else "—",
                     f"{cpu / ours.server_cpu_us_per_session:.2f}×" if ours else "—",
                     f"{s.sessions_per_s:,.1f}", f"{s.p50_ms:.2f}", f"{s.p99_ms:.2f}"])
    report.table(f"session: GET + handshake + join + {SESSION_CLICKS} clicks + close "
                 f"({args.sessions} sessions, {args.session_concurrency} at a time; lowest CPU of the repeats)",
                 header, rows, numeric={1, 2, 3, 4, 5, 6, 7})
    report.data["session"] = {k: asdict(v) for k, v in best.items()}
    if ours and floor:
        ratio = ours.server_cpu_us_per_session / floor.server_cpu_us_per_session
        report.targets.append(bu.Target(
            "session: our server CPU per session vs the floor (GET + handshake + 31 echoes)",
            f"{ratio:.2f}× ({ours.server_cpu_us_per_session:,.0f} vs {floor.server_cpu_us_per_session:,.0f} µs)",
            f"≤{TARGET_SESSION_VS_FLOOR:g}×", ratio <= TARGET_SESSION_VS_FLOOR))
    peer = best.get("peer")
    if ours and peer:
        report.targets.append(bu.Target(
            "session: pyview-web's server CPU per session vs ours",
            f"{peer.server_cpu_us_per_session / ours.server_cpu_us_per_session:.2f}×", "—", None))


# --- section: broadcast -------------------------------------------------------------------------


@dataclass
class FanoutRun:
    side: str
    views: int
    broadcasts: int
    wall_s: float = 0.0
    clicker_done_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_us_per_delivery: float = 0.0
    client_cpu_us_per_delivery: float = 0.0
    pushes_min: int = 0
    pushes_mean: float = 0.0
    complete: int = 0
    errors: list[str] = field(default_factory=list)


async def fanout(server: Server, n: int, m: int, offer_deflate: bool, unpaced: bool = False) -> FanoutRun:
    """N views subscribed to one topic; view 0 clicks ``bump`` M times; until all N hold M.

    Paced (the default), each bump waits for the previous one's reply; ``unpaced`` sends all M at
    once, so broadcasts arrive faster than the views render them (what coalescing is for).
    """
    res = FanoutRun(server.name, n, m)
    clients = [LeanClient(server.port, path="/broadcast", offer_deflate=offer_deflate, echo=server.echo)
               for _ in range(n)]
    try:
        res.errors += await connect_all(clients)
        if res.errors:
            return res
        await server.settle()
        loop = asyncio.get_running_loop()
        clock = time.perf_counter
        final = f'"{m}"'.encode()
        pushes = [0] * n
        t_final = [0.0] * n
        remaining = [n]
        all_done: asyncio.Future = loop.create_future()

        def fail(exc: BaseException) -> None:
            if not all_done.done():
                all_done.set_exception(exc)

        def receiver(i: int) -> Callable[[bytes], None]:
            def on_text(msg: bytes) -> None:
                if msg.startswith(PUSH_PREFIXES):
                    pushes[i] += 1
                if not t_final[i] and final in msg:
                    t_final[i] = clock()
                    remaining[0] -= 1
                    if remaining[0] == 0 and not all_done.done():
                        all_done.set_result(None)
            return on_text

        for i, c in enumerate(clients[1:], start=1):
            c.proto.on_text = receiver(i)
            c.proto.on_lost = fail
        clicker = clients[0]
        topic = clicker.topic
        send = clicker.sender([bump_frame(ref, topic, ref - 1).encode() for ref in range(2, m + 2)])
        prefixes = [tuple(p.encode() for p in reply_prefixes(ref)) for ref in range(2, m + 2)]
        own = receiver(0)
        state = {"i": 0, "done": 0.0}

        def on_clicker_text(msg: bytes) -> None:
            own(msg)
            i = state["i"]
            if i < m and msg.startswith(prefixes[i]):
                if not server.echo and not _ok(msg):
                    fail(RuntimeError(f"bump {i + 1} not ok: {msg[:200]!r}"))
                    return
                i += 1
                state["i"] = i
                if i < m:
                    if not unpaced:
                        send(i)
                else:
                    state["done"] = clock()

        clicker.proto.on_text = on_clicker_text
        clicker.proto.on_lost = fail
        gc.collect()
        cpu0, srv0, t0 = time.process_time(), server.cpu_seconds(), clock()
        for i in range(m if unpaced else 1):
            send(i)
        try:
            await asyncio.wait_for(all_done, BROADCAST_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - timeout or a lost connection: report, do not hang
            res.errors.append(f"{type(exc).__name__}: {exc}; {n - remaining[0]} of {n} views got the last value, "
                              f"{state['i']} of {m} bumps answered")
        cpu1, srv1 = time.process_time(), server.cpu_seconds()
        res.complete = n - remaining[0]
        res.wall_s = max(t_final) - t0 if not res.errors else clock() - t0
        res.clicker_done_s = state["done"] - t0 if state["done"] else float("nan")
        res.server_cpu_s = srv1 - srv0
        res.client_cpu_s = cpu1 - cpu0
        deliveries = n * m
        res.server_cpu_us_per_delivery = res.server_cpu_s / deliveries * 1e6
        res.client_cpu_us_per_delivery = res.client_cpu_s / deliveries * 1e6
        res.pushes_min = min(pushes)
        res.pushes_mean = sum(pushes) / n
        return res
    finally:
        await asyncio.gather(*(c.close() for c in clients))
        await server.settle()


def section_broadcast(servers: list[Server], args: argparse.Namespace, report: "Report") -> None:
    results: dict[str, FanoutRun] = {}
    for srv in servers:
        if not srv.alive():
            continue
        res = run(fanout(srv, args.views, args.broadcasts, args.offer_deflate, args.broadcast_unpaced))
        report.runs.append(asdict(res))
        if res.errors:
            log(f"  ERROR {srv.name} broadcast: {res.errors[0]}")
            print(srv.log_tail(), file=sys.stderr)
            continue
        results[srv.name] = res
        log(f"  {srv.name:<10} {res.views:,} views × {res.broadcasts} broadcasts: {res.wall_s:6.2f} s "
            f"(clicker done at {res.clicker_done_s:.2f} s)  server CPU {res.server_cpu_s:5.2f} s  "
            f"client CPU {res.client_cpu_s:5.2f} s  pushes per view min {res.pushes_min} mean {res.pushes_mean:.1f}")
    header = ["side", "seconds until all have the last", "server CPU s", "server µs/delivery", "client CPU s",
              "client µs/delivery", "client CPU % of wall", "pushes per view (min/mean)"]
    rows = [[k, f"{v.wall_s:.2f}", f"{v.server_cpu_s:.2f}", f"{v.server_cpu_us_per_delivery:.1f}",
             f"{v.client_cpu_s:.2f}", f"{v.client_cpu_us_per_delivery:.1f}",
             f"{100 * v.client_cpu_s / v.wall_s:.0f}", f"{v.pushes_min} / {v.pushes_mean:.1f}"]
            for k, v in results.items()]
    pacing = "sent all at once" if args.broadcast_unpaced else "each after the previous reply"
    report.table(f"broadcast: {args.views:,} subscribed views, {args.broadcasts} broadcasts {pacing} "
                 f"({args.views * args.broadcasts:,} deliveries)", header, rows, numeric={1, 2, 3, 4, 5, 6})
    report.data["broadcast"] = {k: asdict(v) for k, v in results.items()}
    o, p = results.get("ours"), results.get("peer")
    if o and p:
        report.targets.append(bu.Target(
            f"broadcast: {args.views:,} views × {args.broadcasts}, time until every view has every message, "
            "pyview-web / ours", f"{p.wall_s / o.wall_s:.2f}× ({o.wall_s:.2f} vs {p.wall_s:.2f} s)", "≥1×",
            o.wall_s <= p.wall_s))
        report.targets.append(bu.Target(
            "broadcast: server CPU, pyview-web / ours", f"{p.server_cpu_s / o.server_cpu_s:.2f}× "
            f"({o.server_cpu_s:.2f} vs {p.server_cpu_s:.2f} s)", "—", None))


# --- section: memory ------------------------------------------------------------------------------


@dataclass
class MemoryRun:
    side: str
    views: int
    rss_before_mib: float = 0.0
    rss_after_mib: float = 0.0
    kib_per_view: float = 0.0
    errors: list[str] = field(default_factory=list)


async def idle_views(server: Server, n: int, offer_deflate: bool) -> MemoryRun:
    res = MemoryRun(server.name, n)
    await server.settle()
    before = server.rss_bytes()
    clients = [LeanClient(server.port, offer_deflate=offer_deflate, echo=server.echo) for _ in range(n)]
    try:
        res.errors += await connect_all(clients)
        await server.settle()
        after = server.rss_bytes()
    finally:
        await asyncio.gather(*(c.close() for c in clients))
        await server.settle()
    res.rss_before_mib = before / 2**20
    res.rss_after_mib = after / 2**20
    res.kib_per_view = (after - before) / n / 1024
    return res


def section_memory(servers: list[Server], args: argparse.Namespace, report: "Report") -> None:
    results: dict[str, MemoryRun] = {}
    for srv in servers:
        if not srv.alive():
            continue
        res = run(idle_views(srv, args.views, args.offer_deflate))
        report.runs.append(asdict(res))
        if res.errors:
            log(f"  ERROR {srv.name} memory: {len(res.errors)} failed; first: {res.errors[0]}")
            continue
        results[srv.name] = res
        log(f"  {srv.name:<10} {res.views:,} idle views: RSS {res.rss_before_mib:.1f} → {res.rss_after_mib:.1f} MiB, "
            f"{res.kib_per_view:.1f} KiB per view")
    header = ["side", "views", "RSS before MiB", "RSS after MiB", "KiB per view"]
    rows = [[k, f"{v.views:,}", f"{v.rss_before_mib:.1f}", f"{v.rss_after_mib:.1f}", f"{v.kib_per_view:.1f}"]
            for k, v in results.items()]
    report.table("memory: idle joined counter views (server RSS after − before) / N, measured first, "
                 "on fresh servers after a warm-up", header, rows, numeric={1, 2, 3, 4})
    report.data["memory"] = {k: asdict(v) for k, v in results.items()}
    o, p, f = results.get("ours"), results.get("peer"), results.get("floor")
    if o and p and o.kib_per_view > 0:
        report.targets.append(bu.Target("memory per idle view, pyview-web / ours",
                                        f"{p.kib_per_view / o.kib_per_view:.2f}× ({o.kib_per_view:.1f} vs "
                                        f"{p.kib_per_view:.1f} KiB)", "—", None))
    if o and f:
        report.targets.append(bu.Target("memory per idle view, ours − floor (what a view adds to a socket)",
                                        f"{o.kib_per_view - f.kib_per_view:.1f} KiB", "—", None))


# --- section: gc (in this process) ----------------------------------------------------------------


GC_TEMPLATE = (
    "<table>{% for r in rows %}<tr id=\"r{{ r.id }}\"><td>{{ r.name }}</td><td>{{ r.v }}</td>"
    "<td>{% if r.v > 5 %}big{% else %}small{% endif %}</td></tr>{% endfor %}</table>"
)
GC_CONFIGS = [  # (generation-0 threshold, freeze after startup)
    (700, False),  # Python's defaults
    (700, True),
    (10_000, True),
    (50_000, True),  # pyview serve's default
    (100_000, True),
]


def section_gc(args: argparse.Namespace, report: "Report") -> None:
    """Why ``pyview serve`` freezes the heap and raises the generation-0 threshold.

    Builds the tree of a 10,000-row table (``Template.tree``) in this process, next to a
    long-lived heap of ``--gc-heap`` container objects standing for what a started server keeps
    (imports, compiled templates, routes: ~57,000 tracked objects for the examples app), under
    each collector setting; CPU time per build (best and median of the rounds) and the time the
    collector itself took (``gc.callbacks``). The settings alternate round by round.
    """
    import statistics

    from pyview_templates import Template

    template = Template(GC_TEMPLATE)
    ctx = {"rows": [{"id": i, "name": f"name {i}", "v": i % 10} for i in range(10_000)]}
    heap = [{"a": [i, str(i)]} for i in range(args.gc_heap)]
    spent = [0.0, 0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            spent[1] = time.process_time()
        else:
            spent[0] += time.process_time() - spent[1]

    saved = gc.get_threshold()
    cpu: dict[tuple[int, bool], list[float]] = {c: [] for c in GC_CONFIGS}
    in_gc: dict[tuple[int, bool], list[float]] = {c: [] for c in GC_CONFIGS}
    gc.callbacks.append(on_gc)
    try:
        for _ in range(args.gc_rounds):
            for threshold, freeze in GC_CONFIGS:
                gc.unfreeze()
                gc.collect()
                if freeze:
                    gc.freeze()
                gc.set_threshold(threshold, saved[1], saved[2])
                template.tree(ctx)
                builds = 5
                spent[0] = 0.0
                t0 = time.process_time()
                for _ in range(builds):
                    template.tree(ctx)
                cpu[(threshold, freeze)].append((time.process_time() - t0) / builds * 1e3)
                in_gc[(threshold, freeze)].append(spent[0] / builds * 1e3)
    finally:
        gc.callbacks.remove(on_gc)
        gc.unfreeze()
        gc.set_threshold(*saved)
        del heap
    base = statistics.median(cpu[(700, False)])
    rows = []
    for c in GC_CONFIGS:
        med = statistics.median(cpu[c])
        rows.append([f"{c[0]:,}", "yes" if c[1] else "no", f"{min(cpu[c]):.2f}", f"{med:.2f}",
                     f"{statistics.median(in_gc[c]):.2f}", f"{base / med:.2f}×"])
    report.table(f"gc: one 10,000-row tree build next to a long-lived heap of {args.gc_heap:,} objects "
                 f"({args.gc_rounds} rounds; ms of CPU)",
                 ["gen-0 threshold", "frozen", "best ms", "median ms", "in the collector ms (median)",
                  "speed-up vs Python's defaults"], rows, numeric={0, 2, 3, 4, 5})
    report.data["gc"] = {f"{c[0]}/{'frozen' if c[1] else 'not frozen'}": {"cpu_ms": cpu[c], "gc_ms": in_gc[c]}
                         for c in GC_CONFIGS}
    ours = statistics.median(cpu[(50_000, True)])
    report.targets.append(bu.Target("gc: 10,000-row tree build, Python's defaults / pyview serve's (freeze, 50,000)",
                                    f"{base / ours:.2f}× ({base:.2f} vs {ours:.2f} ms)", "—", None))


# --- output and main ----------------------------------------------------------------------------


class Report:
    """Tables printed as they are made and again together at the end, targets, JSON data."""

    def __init__(self) -> None:
        self.tables: list[str] = []
        self.targets: list[bu.Target] = []
        self.runs: list[dict[str, Any]] = []
        self.data: dict[str, Any] = {}

    def table(self, title: str, header: list[str], rows: list[list[str]], numeric: set[int]) -> None:
        text = f"### {title}\n\n" + (bu.markdown_table(header, rows, numeric) if rows else "(no successful run)")
        self.tables.append(text)
        log()
        log(text)
        log()


def parse_variants(values: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for value in values:
        if value == "all":
            out += [shlex.split(v) for v in VARIANT_PRESETS]
        else:
            out.append(shlex.split(value))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run (default all: {','.join(SECTIONS)})")
    ap.add_argument("--quick", action="store_true", help="smaller sizes for every section (development)")
    ap.add_argument("--sides", default="ours,floor,peer", help="servers to load (default ours,floor,peer)")
    ap.add_argument("--serve-variant", action="append", default=[], metavar="FLAGS",
                    help="also load ours served with these `pyview serve` flags, e.g. --serve-variant='--ws wsproto' "
                         f"(repeatable; 'all' = {'; '.join(VARIANT_PRESETS)}); in the memory, click and session sections")
    ap.add_argument("--clients", default=None, help="click: comma-separated client counts (default 1,10,100)")
    ap.add_argument("--clicks", type=int, default=None, help="click: clicks per client per run (default 200)")
    ap.add_argument("--min-events", type=int, default=None,
                    help="click: at least this many clicks per run in all, e.g. 1 client clicks 3000 times (default 3000)")
    ap.add_argument("--repeat", type=int, default=None, help="click/session: runs per side; best kept (default 3)")
    ap.add_argument("--sessions", type=int, default=None, help="session: sessions per run (default 200)")
    ap.add_argument("--session-concurrency", type=int, default=10, help="session: sessions at a time (default 10)")
    ap.add_argument("--p99-clients", type=int, default=None, help="p99: our crowd (default 1000)")
    ap.add_argument("--p99-clicks", type=int, default=None, help="p99: clicks per client (default 20)")
    ap.add_argument("--p99-pace", type=float, default=0.5,
                    help="p99: seconds between one client's clicks in the paced runs (default 0.5)")
    ap.add_argument("--p99-peer-crowd", action="store_true", help="p99: also load pyview-web with our crowd")
    ap.add_argument("--views", type=int, default=None, help="broadcast and memory: views (default 1000)")
    ap.add_argument("--broadcasts", type=int, default=None, help="broadcast: messages (default 100)")
    ap.add_argument("--broadcast-unpaced", action="store_true",
                    help="broadcast: send every bump at once instead of after the previous reply (views fall "
                         "behind: what coalescing queued handle_info messages is for; compare with "
                         "E2E_INFO_BATCH=1 in the environment, which turns it off on our side)")
    ap.add_argument("--gc-heap", type=int, default=60_000, help="gc: long-lived objects beside the build (default 60,000)")
    ap.add_argument("--gc-rounds", type=int, default=None, help="gc: rounds over the settings (default 9)")
    ap.add_argument("--client", choices=sorted(CLIENTS), default="lean",
                    help="click/p99: lean (default) or the websockets library's asyncio client")
    ap.add_argument("--client-loop", choices=["auto", "asyncio", "uvloop"], default="auto",
                    help="the client's event loop (default: uvloop if installed)")
    ap.add_argument("--offer-deflate", action=argparse.BooleanOptionalAction, default=True,
                    help="offer permessage-deflate as browsers do (default yes; the server decides)")
    ap.add_argument("--warmup", type=int, default=50, help="untimed clicks per client of the warm-up (4 clients)")
    ap.add_argument("--profile-ours", metavar="PATH", help="run our server under cProfile, writing PATH at exit")
    ap.add_argument("--profile-peer", metavar="PATH", help="the same for pyview-web's server")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)

    q = args.quick
    args.clients = [int(x) for x in (args.clients or "1,10,100").split(",") if x.strip()]
    args.clicks = args.clicks or (100 if q else 200)
    args.repeat = args.repeat or (1 if q else 3)
    args.min_events = args.min_events or (1000 if q else 3000)
    args.sessions = args.sessions or (50 if q else 200)
    args.p99_clients = args.p99_clients or (300 if q else 1000)
    args.p99_clicks = args.p99_clicks or (10 if q else 20)
    args.views = args.views or (300 if q else 1000)
    args.broadcasts = args.broadcasts or (30 if q else 100)
    args.gc_rounds = args.gc_rounds or (3 if q else 9)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    for s in sections:
        if s not in SECTIONS:
            ap.error(f"unknown section {s!r} (choose from {', '.join(SECTIONS)})")
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    for s in sides:
        if s not in ("ours", "floor", "peer"):
            ap.error(f"unknown side {s!r} (choose from ours, floor, peer)")
    variants = parse_variants(args.serve_variant)
    have = {name: importlib.util.find_spec(name) is not None for name in ("uvloop", "httptools")}
    _live_client.CLIENT_LOOP = args.client_loop if args.client_loop != "auto" else ("uvloop" if have["uvloop"] else "asyncio")
    info = bu.environment_info()
    if all(have.values()):
        stack = "uvloop + httptools installed"
    else:
        stack = "uvloop/httptools NOT installed (pip install -e '.[fast]'): asyncio + h11"
    log(f"# end to end: {', '.join(sections)}")
    log(f"{info['date']}; Python {info['python']} on {info['platform']}; {info['cpu_count']} CPUs "
        f"(client and servers share them); {stack}; client: {args.client} on {_live_client.CLIENT_LOOP}, "
        f"offers deflate: {'yes' if args.offer_deflate else 'no'}")
    load_avg, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load_avg and load_avg[0] > 0.5 * cpus:
        log(f"WARNING: load average {load_avg[0]:.2f} on {cpus} CPUs: other processes compete for the CPU; "
            "wall-clock numbers will be noisy (CPU per event and ratios are steadier)")

    report = Report()
    servers: dict[str, Server] = {}
    started: list[Server] = []
    if not any(s != "gc" for s in sections):
        sides = []  # the gc section runs in this process: no server to start
    try:
        if "ours" in sides or "floor" in sides:
            servers["ours"] = Server.ours([], args.profile_ours)
            started.append(servers["ours"])
            servers["ours"].start()
            servers["ours"].wait_ready()
        page_bytes = 1400
        if "ours" in servers:
            page_bytes = len(run(http_get("127.0.0.1", servers["ours"].port, "/counter"))[2].encode())
        if "floor" in sides:
            servers["floor"] = Server.floor(page_bytes)
        if "peer" in sides:
            servers["peer"] = Server.peer(args.profile_peer)
        for flags in variants:
            srv = Server.ours(flags)
            servers[srv.name] = srv
        for srv in servers.values():
            if srv.proc is None:
                srv.start()
                started.append(srv)
        for srv in servers.values():
            srv.wait_ready()
            log(f"{srv.name}: {srv.label}, port {srv.port}, pid {srv.proc.pid}")
        if "ours" not in sides and "ours" in servers:
            servers.pop("ours").stop()
        main_sides = [servers[s] for s in ("ours", "floor", "peer") if s in servers]
        variant_sides = [s for s in servers.values() if s.name.startswith("ours[")]
        for srv in servers.values():
            warm = run(load(srv, 4, args.warmup, "lean", args.offer_deflate))
            if warm.failed:
                log(f"ERROR: {srv.name} warm-up failed: {warm.errors[0]}")
                print(srv.log_tail(), file=sys.stderr)
            elif warm.deflate:
                log(f"{srv.name}: permessage-deflate negotiated")
        for section in SECTIONS:
            if section not in sections:
                continue
            t_section = time.monotonic()
            log(f"\n## {section}")
            if section == "memory":
                section_memory(main_sides + variant_sides, args, report)
            elif section == "click":
                section_click(main_sides + variant_sides, args.clients, args, report)
            elif section == "session":
                section_session(main_sides + variant_sides, args, report)
            elif section == "p99":
                section_p99(servers, args, report)
            elif section == "broadcast":
                section_broadcast(main_sides, args, report)
            elif section == "gc":
                section_gc(args, report)
            log(f"({section}: {time.monotonic() - t_section:.0f} s)")
    except Exception as exc:  # noqa: BLE001 - a benchmark reports its failure and still exits 0
        log(f"ERROR: {type(exc).__name__}: {exc}")
    finally:
        for srv in started:
            srv.stop()

    log("\n## summary\n")
    for text in report.tables:
        log(text)
        log()
    if report.targets:
        log(bu.format_targets(report.targets))
    for side, path in (("ours", args.profile_ours), ("peer", args.profile_peer)):
        if path:
            log(f"\ncProfile of the {side} server written to {path}")
    if args.json:
        bu.write_json(args.json, {
            "environment": info,
            "settings": {k: v for k, v in vars(args).items()},
            "client_loop": _live_client.CLIENT_LOOP,
            "results": report.data,
            "targets": [asdict(t) | {"status": t.status} for t in report.targets],
            "runs": report.runs,
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
