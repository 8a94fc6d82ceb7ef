"""Streams benchmark: a live log as a ``Stream`` (ours) vs a re-sent list (pyview-web 0.9.0).

Run from the repository root::

    python benchmarks/streams.py                  # full run (~45 s on a 2-core VM)
    python benchmarks/streams.py --quick          # smoke run (~20 s)
    python benchmarks/streams.py --json streams.json

The workload is a "live log" page: a heading with the latest value and a log container;
every step appends one line ``{"id": n, "text": "sqrt(n) = ..."}``.

* ours:       the log is a ``pyview_core.Stream``; a step is ``stream.insert(line)`` +
              ``render_rounds`` (``Template.tree(ctx)``, one round for one insert) +
              ``Differ.diff_json(tree)`` (diff + orjson encoding): what the channel does per
              event. Once its diff is made the stream holds nothing, so the cost
              and the memory of a step should not depend on how many lines were delivered.
              A second variant inserts with ``limit=-1000`` as the live-output example does
              (informational).
* pyview-web: the log is a plain list in the context, appended on each step; a step is
              ``list.append`` + ``pyview.vendor.ibis.Template.tree(ctx)`` + ``calc_diff(prev,
              new)`` (the previous tree kept as ``LiveViewSocket.diff`` does) + ``json.dumps``
              (as ``ws_handler`` does). Its comprehension diff re-sends every line each time.

For N = 10, 1,000, 10,000 and 100,000 lines already delivered the script reports the time
of one step, the bytes it sends, and the memory the server keeps for the view (tracemalloc).
Our side reaches N through N real insert + render + diff cycles, so the Differ holds
whatever state real use leaves in it; pyview-web's state after N appends is only its list
and its last tree, so it is built directly (N real appends would cost O(N^2)). A pyview-web
size whose single step takes over 10 s is skipped and the output says so (on a 2-core VM one
step at 100,000 lines takes about a second, so every size is measured). Targets are printed
with PASS/MISS; they never change the exit status (always 0).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
# Prefer the checkout's packages over anything installed elsewhere.
sys.path.insert(1, str(ROOT))

import _bench_util as bu

SIZES = (10, 1_000, 10_000, 100_000)  # lines already delivered before the measured step
BASE_N, BIG_N = 10, 100_000  # the per-step target compares these two sizes
MEM_BASE_N = 1_000  # the memory target compares BIG_N with this size
TARGET_STEP_RATIO = 1.5  # ours: cost of a step after 100,000 lines <= 1.5x the cost after 10
TARGET_MEM_GROWTH_KIB = 64  # ours: state after 100,000 lines <= state after 1,000 + 64 KiB
LIVE_OUTPUT_LIMIT = -1000  # the limit the live-output example inserts with
PEER_MAX_STEP_S = 10.0  # pyview-web sizes whose single step takes longer are not measured

OURS_SRC = (
    '<h1>Live log</h1><p id="latest">{{ latest }}</p>'
    '<div id="log" phx-update="stream">'
    '{% for dom_id, line in lines %}<div id="{{ dom_id }}">{{ line.text }}</div>{% endfor %}'
    "</div>"
)
PEER_SRC = (
    '<h1>Live log</h1><p id="latest">{{ latest }}</p>'
    '<div id="log">'
    '{% for line in lines %}<div id="lines-{{ line.id }}">{{ line.text }}</div>{% endfor %}'
    "</div>"
)


def log_line(n: int) -> dict[str, Any]:
    """The n-th log line, as the application would produce it."""
    return {"id": n, "text": f"sqrt({n}) = {math.sqrt(n):.6f}"}


def expected_page(lines: list[dict[str, Any]], latest: str, *, stream: bool) -> str:
    """The page a browser shows after ``lines`` were appended (the client's DOM for streams)."""
    rows = "".join(f'<div id="lines-{ln["id"]}">{ln["text"]}</div>' for ln in lines)
    update = ' phx-update="stream"' if stream else ""
    return f'<h1>Live log</h1><p id="latest">{latest}</p><div id="log"{update}>{rows}</div>'


# --- the two sides: one connected view each -----------------------------------------------------


class Log(Protocol):
    def join(self) -> Any: ...

    def append(self, line: dict[str, Any]) -> bytes | str: ...


class OursLog:
    """Our server-side state for one view of the page: the Stream, the context, the Differ."""

    def __init__(self, template: Any, Stream: type, Differ: type, limit: int | None = None,
                 render_rounds: Callable | None = None) -> None:
        self.template = template
        self.render_rounds = render_rounds
        self.stream = Stream(name="lines")
        self.ctx: dict[str, Any] = {"latest": "", "lines": self.stream}
        self.differ = Differ()
        self.limit = limit
        self._encode = getattr(self.differ, "diff_json", None) or self._diff_then_dumps

    def _render(self) -> Any:
        return self.template.tree(self.ctx)

    def _trees(self) -> Any:
        """The trees the channel diffs for one event (older checkouts: one render that drains)."""
        if self.render_rounds is None:
            return (self._render(),)
        return self.render_rounds(self._render, self.ctx)

    def join(self) -> dict[str, Any]:
        """The first render; the payload is sent and forgotten, so the view does not keep it."""
        (joined,) = [self.differ.join(tree) for tree in self._trees()]  # nothing pending: one tree
        return joined

    def _diff_then_dumps(self, tree: Any) -> bytes:
        import orjson

        return orjson.dumps(self.differ.diff(tree))

    def append(self, line: dict[str, Any]) -> bytes:
        """One event: insert the line, render, diff, encode. Returns the wire bytes."""
        self.stream.insert(line, limit=self.limit)
        self.ctx["latest"] = line["text"]
        for tree in self._trees():  # one insert: one tree, one diff
            encoded = self._encode(tree)
        return encoded

    def deliver(self, first: int, count: int) -> None:
        """``count`` real events, lines ``first`` .. ``first + count - 1``."""
        for n in range(first, first + count):
            self.append(log_line(n))


class PeerLog:
    """pyview-web's way: the whole log lives in the context and is re-rendered on every change."""

    def __init__(self, template: Any, calc_diff: Callable, socket_cls: type, lines: list[dict[str, Any]]) -> None:
        self.template = template
        self.lines = lines
        self.ctx: dict[str, Any] = {"latest": lines[-1]["text"] if lines else "", "lines": lines}
        self.sock = socket_cls(calc_diff)

    def join(self) -> dict[str, Any]:
        """The first render: pyview-web's first "diff" is the full tree (kept as the previous one)."""
        return self.sock.diff(self.template.tree(self.ctx))

    def append(self, line: dict[str, Any]) -> str:
        """One event: append to the list, render, diff against the previous tree, json.dumps."""
        self.lines.append(line)
        self.ctx["latest"] = line["text"]
        return json.dumps(self.sock.diff(self.template.tree(self.ctx)))


class Sides:
    """Compiled templates and constructors for both sides, so that a log at N is one call."""

    def __init__(self) -> None:
        from importlib import metadata

        import diff as diff_bench  # benchmarks/diff.py: PeerSocket and the client port for "d" trees
        from pyview.template.render_diff import calc_diff
        from pyview.vendor.ibis import Template as IbisTemplate

        from pyview_core import Stream
        from pyview_core.diff import Differ
        from pyview_templates import Template

        try:
            from pyview_core.stream import render_rounds
        except ImportError:  # a checkout from before render rounds: the render drains the stream
            render_rounds = None
        self.Stream, self.Differ, self.render_rounds = Stream, Differ, render_rounds
        self.ours_t = Template(OURS_SRC)
        self.peer_t = IbisTemplate(PEER_SRC)
        self.calc_diff = calc_diff
        self.diff_bench = diff_bench
        self.has_diff_json = callable(getattr(Differ, "diff_json", None))
        self.peer_label = f"pyview-web {metadata.version('pyview-web')}"

    def ours(self, n: int, limit: int | None = None) -> OursLog:
        """Our view after n real insert + render + diff cycles (lines 1..n)."""
        log = OursLog(self.ours_t, self.Stream, self.Differ, limit, self.render_rounds)
        log.join()
        log.deliver(1, n)
        return log

    def peer(self, n: int) -> PeerLog:
        """pyview-web's view after n appends: the list of lines 1..n and its last tree."""
        log = PeerLog(self.peer_t, self.calc_diff, self.diff_bench.PeerSocket, [log_line(i) for i in range(1, n + 1)])
        log.join()
        return log


# --- checks before timing -----------------------------------------------------------------------


def check_ours(sides: Sides, *, steps: int = 5, limit: int | None = None) -> list[str]:
    """Our join + diffs, merged by the Python client model, show the expected lines."""
    import orjson

    from pyview_core.testing.client import ClientRendered

    problems = []
    log = OursLog(sides.ours_t, sides.Stream, sides.Differ, limit, sides.render_rounds)
    client = ClientRendered(orjson.loads(orjson.dumps(log.join())))
    lines = [log_line(n) for n in range(1, steps + 1)]
    for i, line in enumerate(lines):
        raw = log.append(line)
        client.merge(orjson.loads(raw))
        for earlier in lines[:i]:
            if earlier["text"].encode() in raw:
                problems.append(f"the diff of line {line['id']} re-sends line {earlier['id']}: {raw[:200]!r}")
    shown = lines if limit is None else lines[limit:]
    want = expected_page(shown, lines[-1]["text"], stream=True)
    if client.html() != want:
        problems.append(f"limit={limit}: the client shows the wrong page; " + bu.first_difference(client.html(), want))
    return problems


def check_peer(sides: Sides, *, steps: int = 5) -> list[str]:
    """pyview-web renders every line, and its join + diffs (merged by diff.py's client port) agree."""
    db = sides.diff_bench
    problems = []
    log = PeerLog(sides.peer_t, sides.calc_diff, db.PeerSocket, [])
    client = json.loads(json.dumps(log.join()))
    lines = [log_line(n) for n in range(1, steps + 1)]
    for line in lines:
        client = db.client_merge(client, json.loads(log.append(line)))
    html = sides.peer_t.render(log.ctx)
    missing = [ln["id"] for ln in lines if f'<div id="lines-{ln["id"]}">{ln["text"]}</div>' not in html]
    if missing:
        problems.append(f"pyview-web's page lacks lines {missing}: {html[:300]!r}")
    want = expected_page(lines, lines[-1]["text"], stream=False)
    if bu.normalize_ws(html) != bu.normalize_ws(want):
        problems.append("pyview-web renders an unexpected page; " + bu.first_difference(html, want))
    try:
        merged = db.client_html(client)
        if merged != html:
            problems.append("pyview-web's join + diffs do not give its page; " + bu.first_difference(merged, html))
    except db.ClientError as err:
        problems.append(f"pyview-web's diffs cannot be merged by the client: {err}")
    return problems


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Step:
    """One step (append) right after a log delivered ``n`` lines, on one side."""

    n: int
    us: float | None = None
    bytes: int | None = None
    kib: float | None = None
    appends_timed: int | None = None  # per measurement
    skipped: str | None = None
    error: str | None = None


def probe(new_log: Callable[[int], Log], n: int) -> tuple[float, int]:
    """(seconds, bytes) of one step after n lines, the log built untimed: the bytes it sends,
    and a cost estimate that decides how many steps a measurement can afford."""
    log = new_log(n)
    t0 = time.perf_counter()
    out = log.append(log_line(n + 1))
    elapsed = time.perf_counter() - t0
    return elapsed, len(out.encode() if isinstance(out, str) else out)


def time_steps(new_log: Callable[[int], Log], n: int, *, appends: int, repeats: int,
               consecutive: bool = False) -> float:
    """Best-of-R nanoseconds per step right after a log has delivered n lines.

    A step changes the state (the log then holds n + 1 lines), so a measurement is ``appends``
    timed steps spread over a pool of logs built (untimed) at exactly n lines, at most n / 10
    consecutive steps per log: the measured state stays within 10% of n. At n = 10 each step
    gets its own log, at 100,000 one log takes all of them. The pool is built before the clock
    starts, so the timed loop only runs steps, one after another, at every size. Every
    measurement averages the same number of steps, so the garbage collector's periodic work is
    amortised the same way at every size (the collector stays enabled, as in real use).

    ``consecutive=True`` drops the 10% rule (one log takes every step, whatever n): the method
    used at the largest size, applied to a small one, to compare like with like.
    """
    per_log = appends if consecutive else max(1, min(appends, n // 10))
    clock = time.perf_counter_ns
    best = math.inf
    for _ in range(repeats):
        work = []
        left = appends
        while left:
            count = min(per_log, left)
            work.append((new_log(n).append, [log_line(i) for i in range(n + 1, n + 1 + count)]))
            left -= count
        gc.collect()
        t0 = clock()
        for append, lines in work:
            for line in lines:
                append(line)
        elapsed = clock() - t0
        del work
        best = min(best, elapsed / appends)
    return best


def retained_kib(new_log: Callable[[int], Log], n: int) -> float:
    """KiB that tracemalloc sees still allocated after building a log at n lines, while it lives.

    For our side that is the Stream, the context and the Differ after n real cycles; for
    pyview-web the context's list and the previous tree. A small build first warms lazy
    caches (interned keys, template code paths) so that they are not counted.
    """
    warm = new_log(min(n, 100))
    del warm
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        keep = new_log(n)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del keep
    gc.collect()
    return (after - before) / 1024


def measure_side(
    label: str,
    new_log: Callable[[int], Log],
    sizes: tuple[int, ...],
    args: argparse.Namespace,
    *,
    max_step_s: float | None = None,
) -> list[Step]:
    """Time, bytes and memory of one side at every size, smallest first.

    With ``max_step_s`` a size is skipped, and every larger one, when one step is expected to
    take longer than that (extrapolated linearly from the previous size, so that a hopeless
    size costs nothing) or does take longer.
    """
    steps: list[Step] = []
    skip: str | None = None
    last: tuple[int, float] | None = None  # (n, seconds of one step) of the last measured size
    for n in sizes:
        st = Step(n)
        steps.append(st)
        if skip is None and max_step_s is not None and last is not None:
            guess = last[1] * n / last[0]
            if guess > max_step_s:
                skip = f"one step at N={n:,} expected to take ~{guess:.3g} s (> {max_step_s:g} s)"
        if skip is None:
            try:
                seconds, nbytes = probe(new_log, n)
                if max_step_s is not None and seconds > max_step_s:
                    skip = f"one step at N={n:,} took {seconds:.3g} s (> {max_step_s:g} s)"
                else:
                    last = (n, seconds)
                    st.bytes = nbytes
                    st.appends_timed = max(1, min(args.appends, int(args.target_time / max(seconds, 1e-9))))
                    st.us = time_steps(new_log, n, appends=st.appends_timed, repeats=args.repeats) / 1000
                    st.kib = retained_kib(new_log, n)
            except Exception as err:  # noqa: BLE001 - one broken size must not hide the others
                st.error = f"{type(err).__name__}: {err}"
                traceback.print_exc()
        st.skipped = skip
        print(
            f"  {label:<28} N={n:>7,}  {bu._fmt_us(st.us):>9} µs/step  {_int(st.bytes):>9} B  "
            f"{_kib(st.kib):>9} KiB" + (f"  skipped: {st.skipped}" if st.skipped else "")
            + (f"  ERROR: {st.error}" if st.error else ""),
            flush=True,
        )
    return steps


# --- output -------------------------------------------------------------------------------------


def _int(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _kib(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v) < 10:
        return f"{v:.2f}"
    return f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"


def _x(a: float | None, b: float | None) -> str:
    """a / b as a ratio, or a dash."""
    if a is None or not b:
        return "—"
    return f"{a / b:,.2f}×" if a / b < 100 else f"{a / b:,.0f}×"


def side_by_side(ours: list[Step], peer: list[Step]) -> str:
    """The main table: one row per N, ours next to pyview-web, ratios peer / ours."""
    header = ["N", "ours µs", "peer µs", "speed", "ours B", "peer B", "bytes", "ours KiB", "peer KiB", "memory"]
    rows = []
    for o, p in zip(ours, peer):
        rows.append([
            f"{o.n:,}", bu._fmt_us(o.us), bu._fmt_us(p.us) if p.us else "skipped" if p.skipped else "—",
            _x(p.us, o.us), _int(o.bytes), _int(p.bytes), _x(p.bytes, o.bytes),
            _kib(o.kib), _kib(p.kib), _x(p.kib, o.kib),
        ])
    return bu.markdown_table(header, rows, numeric=set(range(10)))


def variants_table(plain: list[Step], limited: list[Step]) -> str:
    """Our two variants, each step's cost relative to the same variant at N = 10."""
    base_plain = next((s.us for s in plain if s.n == BASE_N), None)
    base_limited = next((s.us for s in limited if s.n == BASE_N), None)
    header = ["N", "append µs", f"vs N={BASE_N}", "append B", "KiB",
              f"limit={LIVE_OUTPUT_LIMIT} µs", f"vs N={BASE_N}", f"limit={LIVE_OUTPUT_LIMIT} B", "KiB"]
    rows = []
    for a, b in zip(plain, limited):
        rows.append([
            f"{a.n:,}", bu._fmt_us(a.us), _x(a.us, base_plain), _int(a.bytes), _kib(a.kib),
            bu._fmt_us(b.us), _x(b.us, base_limited), _int(b.bytes), _kib(b.kib),
        ])
    return bu.markdown_table(header, rows, numeric=set(range(9)))


def make_targets(plain: list[Step], limited: list[Step], consecutive_us: float | None) -> list[bu.Target]:
    by_n = {s.n: s for s in plain}
    targets = []
    small, big = by_n.get(BASE_N), by_n.get(BIG_N)
    ok = None
    measured = "—"
    if small and big and small.us and big.us:
        ratio = big.us / small.us
        ok = ratio <= TARGET_STEP_RATIO
        measured = f"{ratio:.2f}× ({bu._fmt_us(big.us)} vs {bu._fmt_us(small.us)} µs)"
    targets.append(bu.Target(f"ours: one insert after {BIG_N:,} lines vs after {BASE_N}", measured,
                          f"≤{TARGET_STEP_RATIO:g}×", ok))
    if big and big.us and consecutive_us:
        targets.append(bu.Target(
            f"ours: the same, N={BASE_N} timed like N={BIG_N:,} (consecutive steps on one log, informational)",
            f"{big.us / consecutive_us:.2f}× ({bu._fmt_us(big.us)} vs {bu._fmt_us(consecutive_us)} µs)", "—", None))
    lim = {s.n: s for s in limited}
    if lim.get(BASE_N) and lim.get(BIG_N) and lim[BASE_N].us and lim[BIG_N].us:
        targets.append(bu.Target(f"ours, limit={LIVE_OUTPUT_LIMIT}: the same (informational)",
                              f"{lim[BIG_N].us / lim[BASE_N].us:.2f}×", "—", None))
    mem_base = by_n.get(MEM_BASE_N)
    ok, measured = None, "—"
    if mem_base and big and mem_base.kib is not None and big.kib is not None:
        growth = big.kib - mem_base.kib
        ok = growth <= TARGET_MEM_GROWTH_KIB
        measured = f"{growth * 1024:+,.0f} B ({big.kib:,.2f} vs {mem_base.kib:,.2f} KiB)"
    targets.append(bu.Target(f"ours: state memory after {BIG_N:,} lines vs after {MEM_BASE_N:,}", measured,
                          f"≤ +{TARGET_MEM_GROWTH_KIB} KiB", ok))
    return targets


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer steps and repeats")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--repeats", type=int, help="best of R measurements (default 7, quick 3)")
    ap.add_argument("--appends", type=int, help="timed steps per measurement, at most (default 400, quick 100)")
    ap.add_argument("--target-time", type=float,
                    help="seconds of timed steps per measurement, at most (default 0.2, quick 0.05)")
    ap.add_argument("--peer-max-step", type=float, default=PEER_MAX_STEP_S, metavar="SECONDS",
                    help=f"skip pyview-web sizes whose single step takes longer (default {PEER_MAX_STEP_S:g})")
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 7
    if args.appends is None:
        args.appends = 100 if args.quick else 400
    if args.target_time is None:
        args.target_time = 0.05 if args.quick else 0.2

    gc.enable()  # as in real use; the benchmark never turns it off
    started = time.perf_counter()
    info = bu.environment_info()
    sides = Sides()
    try:
        import orjson

        info["versions"]["orjson"] = orjson.__version__
    except (ImportError, AttributeError):
        pass
    print(f"Python {info['python']} on {info['platform']}; best of {args.repeats}, "
          f"up to {args.appends} steps / {args.target_time:g} s per measurement")
    print(f"ours: Stream + pyview_templates + pyview_core Differ "
          f"({'diff_json' if sides.has_diff_json else 'diff + orjson.dumps'}); peer: {sides.peer_label} "
          "(plain list, calc_diff, json.dumps)")
    load, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load and load[0] > 0.5 * cpus:
        print(f"WARNING: load average {load[0]:.2f} on {cpus} CPUs: expect noisy numbers", file=sys.stderr)

    warnings: list[str] = []
    for what, problems in (
        ("ours", check_ours(sides)),
        ("ours limit=-3", check_ours(sides, limit=-3)),
        (f"ours limit={LIVE_OUTPUT_LIMIT}", check_ours(sides, limit=LIVE_OUTPUT_LIMIT)),
        ("pyview-web", check_peer(sides)),
    ):
        for p in problems:
            warnings.append(f"{what}: {p}")
            print(f"WARNING: {what}: {p}", file=sys.stderr)
    if not warnings:
        print("checks: our join + 5 diffs give the expected page in the client model (also with limit=-3: "
              "only the last 3 lines); pyview-web's page and merged diffs hold all 5 lines")

    plain = measure_side("ours (append)", sides.ours, SIZES, args)
    limited = measure_side(f"ours (limit={LIVE_OUTPUT_LIMIT})",
                           lambda n: sides.ours(n, LIVE_OUTPUT_LIMIT), SIZES, args)
    peer = measure_side(f"{sides.peer_label} (list)", sides.peer, SIZES, args,
                        max_step_s=args.peer_max_step)
    consecutive_us = None
    try:
        # The largest size's method (all steps on one log) applied at N = 10: no pool of fresh logs.
        consecutive_us = time_steps(sides.ours, BASE_N, appends=args.appends, repeats=args.repeats,
                                    consecutive=True) / 1000
        print(f"  {'ours (append, consecutive)':<28} N={BASE_N:>7,}  {bu._fmt_us(consecutive_us):>9} µs/step  "
              f"(N drifts {BASE_N} → {BASE_N + args.appends})", flush=True)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
    targets = make_targets(plain, limited, consecutive_us)

    print()
    print(side_by_side(plain, peer))
    print()
    print(variants_table(plain, limited))
    print()
    print(bu.format_targets(targets))
    print()
    print("N = lines already delivered; µs = one step (insert/append + tree + diff + JSON encode), best of R;")
    print("B = bytes of that step's encoded diff (ours: orjson; pyview-web: json.dumps defaults, as it sends them);")
    print("KiB = tracemalloc-traced memory the view's state keeps after N steps (ours: Stream, context, Differ;")
    print("pyview-web: the context's list and the previous tree). speed, bytes, memory = pyview-web / ours.")
    skipped = [s for s in peer if s.skipped]
    if skipped:
        measured = [s.n for s in peer if s.us]
        print(f"pyview-web measured up to N={max(measured, default=0):,} only: {skipped[0].skipped}.")
    print(f"total time {time.perf_counter() - started:.0f} s")
    bu.print_warnings(warnings)

    if args.json:
        bu.write_json(
            args.json,
            {
                "environment": info,
                "settings": {
                    "quick": args.quick, "repeats": args.repeats, "appends": args.appends,
                    "target_time_s": args.target_time, "sizes": list(SIZES),
                    "peer_max_step_s": args.peer_max_step, "live_output_limit": LIVE_OUTPUT_LIMIT,
                },
                "warnings": warnings,
                "ours": [asdict(s) for s in plain],
                "ours_limited": [asdict(s) for s in limited],
                "peer": [asdict(s) for s in peer],
                "ours_consecutive_at_base_n_us": consecutive_us,
                "targets": [dict(asdict(t), status=t.status) for t in targets],
            },
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
