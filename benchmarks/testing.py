"""The test client: one click step on the counter, ours vs Starlette's TestClient harness vs Chromium.

Run from the repository root::

    python benchmarks/testing.py                  # full run: N=200 steps, best of R=3 (~30 s)
    python benchmarks/testing.py --quick          # smoke run: N=30 steps, R=1
    python benchmarks/testing.py --json testing.json
    python benchmarks/testing.py --no-browser     # skip the Chromium row
    python benchmarks/testing.py --profile /tmp/tc.prof   # also cProfile our test client's steps

One *step* is a click on ``<button id="inc" phx-click="increment">`` of the examples' counter
(``examples.app:app``, ``/counter``, ``CounterLiveView``), from the page the client holds to the
page after the server's answer, measured three ways:

1. ``pyview_core.testing.live``, our in-process test client: ``await view.element("#inc").click()``
   finds the button in the merged HTML, builds the payload from its markup, sends the Channels V2
   frame through the app's ASGI interface, awaits the reply, merges the diff and (``check=True``,
   the default) compares the merged page with a fresh render of the view's state. A second row
   runs with ``check=False`` (no comparison). Plain ``asyncio.run``, as a test would.
2. Starlette's ``TestClient`` as the project's protocol tests drive it (``tests/core/protocol_client.py``,
   re-done here: benchmarks do not import from ``tests/``): GET the page, read the container id,
   ``data-phx-session``, ``data-phx-static`` and the CSRF meta, ``websocket_connect`` with the
   page's Origin, ``phx_join``; per step send the click frame, receive until its ``phx_reply``,
   merge the diff with ``pyview_core.testing.ClientRendered`` and read ``.html()``. Both in-process
   ways therefore end every step holding the page's HTML; this one finds no element and checks
   nothing. The app runs on the TestClient's portal thread (anyio on asyncio).
3. Chromium: ``python -m uvicorn examples.app:app`` on a free port of 127.0.0.1 (a subprocess),
   Playwright's sync API driving ``/usr/bin/chromium``; after ``page.goto`` and the LiveView's
   ``.phx-connected``, per step ``page.click("#inc")`` and ``page.wait_for_function`` until
   ``#count`` shows the next number.

Each way: warm-up steps first, then R runs of N timed steps (``time.perf_counter``), the best run
kept; the result is µs per step and the ratio to our test client (``check=True``). Every run opens
a fresh page (and socket, and view). The in-process ways run first, their runs interleaved (each
test-client run its own ``asyncio.run``; the TestClient on its portal thread), Chromium last:
Playwright's sync API leaves an event loop running in the main thread. A missing Chromium, Playwright or uvicorn skips
that row with a note. The issue's goal, under 1 ms per step for our test client, is printed next
to its row; benchmarks never gate: the exit status is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import html as html_lib
import importlib.util
import io
import json
import os
import pstats
import re
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
# Prefer the checkout's packages over anything installed elsewhere.
sys.path.insert(1, str(ROOT))

import _bench_util as bu

# A fixed development secret, so the examples app does not warn about generating one (and the
# uvicorn subprocess gets the same). Never a real secret.
SECRET = "bench-only-not-a-real-secret-" + "0123456789abcdefghij"  # 49 characters
os.environ.setdefault("PYVIEW_SECRET_KEY", SECRET)

APP_SPEC = "examples.app:app"
PATH = "/counter"
HOST = "http://testserver"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [  # as tests/conftest.py launches it
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_US = 1000.0  # the goal: our test client under 1 ms per step
STARTUP_TIMEOUT = 30.0
CLICK = {"type": "click", "event": "increment", "value": {"value": ""}}
_COUNT = re.compile(r'<span id="count">(-?\d+)</span>')


@dataclass
class Row:
    way: str
    how: str
    us_per_step: float | None = None  # best run
    runs_us: list[float] = field(default_factory=list)  # every run, µs per step
    steps: int = 0
    skipped: str | None = None  # why the row could not be measured
    error: str | None = None


def count_of(html: str) -> int:
    found = _COUNT.search(html)
    if not found:
        raise AssertionError(f"no <span id=\"count\"> in the page: {html[:300]!r}")
    return int(found.group(1))


# --- 1. our test client -------------------------------------------------------------------------


async def _testclient_run(app: Any, check: bool, warmup: int, steps: int,
                          profiler: cProfile.Profile | None = None) -> float:
    """One run: a fresh ``live()`` page, ``warmup`` untimed clicks, then ``steps`` timed; µs per step."""
    from pyview_core.testing import live

    async with live(app, PATH, check=check) as view:
        start = count_of(view.html())
        for _ in range(warmup):
            await view.element("#inc").click()
        if profiler is not None:
            profiler.enable()
        t0 = time.perf_counter()
        for _ in range(steps):
            html = await view.element("#inc").click()
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.disable()
        expected = start + warmup + steps
        if count_of(html) != expected:
            raise AssertionError(f"after {warmup + steps} clicks the page shows {count_of(html)}, expected {expected}")
    return elapsed / steps * 1e6


def measure_in_process(app: Any, ours: list[tuple[Row, bool]], starlette: Row, args: argparse.Namespace) -> None:
    """The in-process rows, their runs interleaved (check=True, check=False, Starlette, ...), so a
    slow patch of the machine hits every row alike. Each run of our test client is its own
    ``asyncio.run``; the TestClient runs the app on its portal thread."""
    for _ in range(args.repeats):
        for row, check in ours:
            try:
                row.runs_us.append(asyncio.run(_testclient_run(app, check, args.warmup, args.steps)))
                row.steps = args.steps
            except Exception:  # noqa: BLE001 - a benchmark reports, it does not stop
                row.error = traceback.format_exc(limit=3)
        try:
            starlette.runs_us.append(_starlette_run(app, args.warmup, args.steps))
            starlette.steps = args.steps
        except Exception:  # noqa: BLE001
            starlette.error = traceback.format_exc(limit=3)
    for row in [r for r, _ in ours] + [starlette]:
        if row.runs_us:
            row.us_per_step = min(row.runs_us)


def profile_testclient(app: Any, path: str, args: argparse.Namespace) -> str:
    """cProfile of our test client's timed steps (check=True); the top entries as text."""
    profiler = cProfile.Profile()
    steps = max(args.steps, 1000)
    asyncio.run(_testclient_run(app, True, args.warmup, steps, profiler))
    profiler.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    return f"cProfile of our test client, {steps} steps (check=True), written to {path}:\n{out.getvalue()}"


# --- 2. Starlette's TestClient, driven as the protocol tests do ---------------------------------

_CONTAINER = re.compile(
    r'<div id="(?P<id>[^"]+)" data-phx-main data-phx-session="(?P<session>[^"]*)" data-phx-static="(?P<static>[^"]*)">'
)
_CSRF = re.compile(r'<meta name="csrf-token" content="(?P<csrf>[^"]*)">')


def _starlette_run(app: Any, warmup: int, steps: int) -> float:
    """One run: a fresh TestClient, page, socket and join; ``warmup`` untimed clicks, ``steps`` timed."""
    from starlette.testclient import TestClient

    from pyview_core.testing import ClientRendered

    with TestClient(app) as client:
        response = client.get(PATH)
        if response.status_code != 200:
            raise AssertionError(f"GET {PATH} answered {response.status_code}")
        container, csrf_meta = _CONTAINER.search(response.text), _CSRF.search(response.text)
        if not (container and csrf_meta):
            raise AssertionError(f"no LiveView container or CSRF meta in the page: {response.text[:300]!r}")
        view_id = html_lib.unescape(container["id"])
        session = html_lib.unescape(container["session"])
        static = html_lib.unescape(container["static"])
        csrf = html_lib.unescape(csrf_meta["csrf"])
        topic = "lv:" + view_id
        url = f"/live/websocket?_csrf_token={quote(csrf, safe='')}&vsn=2.0.0"
        with client.websocket_connect(url, headers={"origin": HOST}) as ws:
            ref = 0

            def receive_until(wanted: str) -> list:
                while True:
                    frame = json.loads(ws.receive_text())
                    if frame[1] == wanted and frame[3] == "phx_reply":
                        return frame

            ref += 1
            join_ref = str(ref)
            ws.send_text(json.dumps([join_ref, join_ref, topic, "phx_join", {
                "url": HOST + PATH,
                "params": {"_csrf_token": csrf, "_mounts": 0, "_mount_attempts": 0},
                "session": session,
                "static": static,
                "sticky": False,
            }]))
            reply = receive_until(join_ref)
            if reply[4].get("status") != "ok":
                raise AssertionError(f"join refused: {reply[4]!r}")
            rendered = ClientRendered(reply[4]["response"]["rendered"])
            start = count_of(rendered.html())

            def step() -> str:
                nonlocal ref
                ref += 1
                wanted = str(ref)
                ws.send_text(json.dumps([join_ref, wanted, topic, "event", CLICK]))
                frame = receive_until(wanted)
                response = frame[4]["response"]
                if "diff" in response:
                    rendered.merge(response["diff"])
                return rendered.html()

            for _ in range(warmup):
                step()
            t0 = time.perf_counter()
            for _ in range(steps):
                html = step()
            elapsed = time.perf_counter() - t0
            expected = start + warmup + steps
            if count_of(html) != expected:
                raise AssertionError(f"after {warmup + steps} clicks the page shows {count_of(html)}, expected {expected}")
    return elapsed / steps * 1e6


# --- 3. Chromium against uvicorn ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def browser_missing() -> str | None:
    """Why the Chromium row cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install playwright; never `playwright install`)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if importlib.util.find_spec("uvicorn") is None:
        return "uvicorn is not installed"
    vendor = ROOT / "pyview_core" / "static" / "vendor"
    missing = [n for n in ("phoenix.min.js", "phoenix_live_view.min.js") if not (vendor / n).is_file()]
    if missing:
        return f"the LiveView client bundles are missing ({', '.join(missing)}); run `npm ci`"
    return None


@contextlib.contextmanager
def uvicorn_server() -> Any:
    """``python -m uvicorn examples.app:app`` on a free port; yields its base URL."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-testing-uvicorn-", suffix=".log", delete=False)  # noqa: SIM115
    env = dict(os.environ, PYVIEW_SECRET_KEY=os.environ["PYVIEW_SECRET_KEY"], PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("PYVIEW_ENV", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", APP_SPEC, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _port_answers(port):
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with code {proc.returncode}:\n{_tail(log.name)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer on port {port} within {STARTUP_TIMEOUT:g} s")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


def _tail(path: str, n: int = 20) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return "".join(f.readlines()[-n:])


_SHOWS = "n => document.querySelector('#count').textContent === String(n)"


def measure_chromium(row: Row, args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    with uvicorn_server() as base_url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(args.repeats):
                context = browser.new_context(base_url=base_url)
                context.set_default_timeout(10_000)
                try:
                    page = context.new_page()
                    page.goto(PATH)
                    page.wait_for_selector("[data-phx-main].phx-connected")
                    n = int(page.text_content("#count") or "0")

                    def step(page: Any = page) -> None:
                        nonlocal n
                        n += 1
                        page.click("#inc")
                        page.wait_for_function(_SHOWS, arg=n, polling="raf")

                    for _ in range(args.warmup):
                        step()
                    t0 = time.perf_counter()
                    for _ in range(args.steps):
                        step()
                    elapsed = time.perf_counter() - t0
                    shown = int(page.text_content("#count") or "-1")
                    if shown != n:
                        raise AssertionError(f"#count shows {shown}, expected {n}")
                    row.runs_us.append(elapsed / args.steps * 1e6)
                    row.steps = args.steps
                except Exception:  # noqa: BLE001
                    row.error = traceback.format_exc(limit=3)
                finally:
                    context.close()
        finally:
            browser.close()
    if row.runs_us:
        row.us_per_step = min(row.runs_us)


# --- output -------------------------------------------------------------------------------------


def format_rows(rows: list[Row], reference: Row) -> str:
    body = []
    for row in rows:
        if row.us_per_step is None:
            us, ratio = "—", "—"
        else:
            us = bu._fmt_us(row.us_per_step)
            ratio = "—" if not reference.us_per_step else f"{row.us_per_step / reference.us_per_step:.2f}×"
        note = ""
        if row is reference:
            ok = row.us_per_step is not None and row.us_per_step < TARGET_US
            note = "target: < 1 ms per step" + ("" if row.us_per_step is None else f" ({'PASS' if ok else 'MISS'})")
        if row.skipped:
            note = f"skipped: {row.skipped}"
        elif row.error and row.us_per_step is None:
            note = "ERROR (see below)"
        spread = "—" if len(row.runs_us) < 2 else f"{bu._fmt_us(min(row.runs_us))}–{bu._fmt_us(max(row.runs_us))}"
        body.append([row.way, us, ratio, spread, note])
    return bu.markdown_table(["way", "µs/step", "vs test client", "runs (µs/step)", "note"], body, numeric={1, 2})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: N=30 steps, R=1")
    ap.add_argument("--steps", type=int, help="timed steps per run (default 200, quick 30)")
    ap.add_argument("--repeats", type=int, help="runs per way, the best kept (default 3, quick 1)")
    ap.add_argument("--warmup", type=int, help="untimed steps before each run (default 20, quick 5)")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium row")
    ap.add_argument("--profile", metavar="PATH",
                    help="after the table, cProfile our test client (check=True, ≥1000 steps) and write PATH")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    if args.steps is None:
        args.steps = 30 if args.quick else 200
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.warmup is None:
        args.warmup = 5 if args.quick else 20
    args.steps, args.repeats, args.warmup = max(1, args.steps), max(1, args.repeats), max(0, args.warmup)

    gc.enable()  # as in real use
    info = bu.environment_info()
    print(f"{info['date']}; Python {info['python']} on {info['platform']}; {info['cpu_count']} CPUs")
    print(f"one step = a click on #inc of {APP_SPEC} {PATH}; {args.warmup} warm-up steps, then "
          f"best of {args.repeats} run(s) of {args.steps} steps")
    load, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load and load[0] > 0.5 * cpus:
        print(f"WARNING: load average {load[0]:.2f} on {cpus} CPUs: other processes are competing "
              "for the CPU, expect noisy numbers (ratios are steadier than microseconds)", file=sys.stderr)

    from examples.app import app

    ours = Row("test client (check=True)", "pyview_core.testing.live(app, '/counter'); await view.element('#inc').click()")
    ours_nocheck = Row("test client (check=False)", "the same with live(..., check=False): no fresh-render comparison")
    starlette = Row("Starlette TestClient harness", "TestClient(app).websocket_connect; click frame, receive until the reply, "
                    "ClientRendered.merge + .html()")
    chromium = Row("Chromium (Playwright)", "uvicorn examples.app:app; page.click('#inc') + wait_for_function(#count == n)")

    print("measuring: test client (check=True, check=False) and the Starlette harness, interleaved ...", flush=True)
    measure_in_process(app, [(ours, True), (ours_nocheck, False)], starlette, args)
    if args.no_browser:
        chromium.skipped = "--no-browser"
    else:
        chromium.skipped = browser_missing()
    if chromium.skipped is None:
        print("measuring: Chromium ...", flush=True)
        try:
            measure_chromium(chromium, args)
        except Exception:  # noqa: BLE001
            chromium.error = traceback.format_exc(limit=3)
    else:
        print(f"note: the Chromium row is skipped: {chromium.skipped}")

    rows = [ours, ours_nocheck, starlette, chromium]
    print()
    print(format_rows(rows, ours))
    print()
    print("µs/step: best run's wall time / steps (warm-up excluded); 'vs test client' = this way's time / our")
    print("test client's (check=True): above 1 means slower than it. Every way ends a step with the page's")
    print("HTML; only the test client finds the element in it and (check=True) compares it with a fresh render.")
    for row in rows:
        if row.error:
            print(f"\n{row.way}: ERROR\n{row.error}")

    if args.profile:
        print()
        print(profile_testclient(app, args.profile, args))

    if args.json:
        bu.write_json(args.json, {
            "environment": info,
            "settings": {"steps": args.steps, "repeats": args.repeats, "warmup": args.warmup, "quick": args.quick,
                         "app": APP_SPEC, "path": PATH, "target_us": TARGET_US},
            "results": [
                {**asdict(row), "ratio_vs_test_client": (row.us_per_step / ours.us_per_step
                                                         if row.us_per_step and ours.us_per_step else None)}
                for row in rows
            ],
        })
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
