"""Small helpers shared by the benchmark scripts: timing, result rows, output.

Timing follows the usual micro-benchmark rules:

* ``time.perf_counter_ns`` as the clock;
* a warm-up call before anything is measured (imports, lazy caches, the first
  ``Environment`` lexer, ...);
* the loop count K is auto-calibrated so that one measurement takes about
  ``target_s`` seconds, then the best of R measurements is kept (the minimum is
  the least noisy estimate of what the code costs; everything above it is
  interference from the machine);
* the garbage collector stays enabled, as in real use (``timeit`` disables it,
  which hides the cost of allocation-heavy code).

Benchmarks never gate anything: they print, optionally write JSON, and exit 0.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable


# --- timing -------------------------------------------------------------------------------------


def calibrate(fn: Callable[[], Any], target_s: float) -> int:
    """Loop count K such that K calls of ``fn`` take about ``target_s`` seconds."""
    target_ns = target_s * 1e9
    k = 1
    while True:
        t0 = time.perf_counter_ns()
        for _ in range(k):
            fn()
        elapsed = time.perf_counter_ns() - t0
        if elapsed >= target_ns / 10 or k >= 1 << 24:
            # Close enough to extrapolate without paying for the full target again.
            per_call = max(elapsed / k, 1.0)
            return max(1, int(target_ns / per_call))
        k *= 10 if elapsed < target_ns / 1000 else 2


def _run(fn: Callable[[], Any], k: int) -> float:
    """Nanoseconds per call over K calls."""
    t0 = time.perf_counter_ns()
    for _ in range(k):
        fn()
    return (time.perf_counter_ns() - t0) / k


def compare(
    ours: Callable[[], Any],
    peer: Callable[[], Any],
    *,
    target_s: float,
    repeats: int,
) -> tuple[float, float]:
    """Best-of-R ns per call for ``ours`` and ``peer``.

    The two sides alternate within each repeat so that slow drifts of the machine
    (frequency scaling, a noisy neighbour) affect both the same way.
    """
    ours()  # warm-up
    peer()
    k_ours = calibrate(ours, target_s)
    k_peer = calibrate(peer, target_s)
    best_ours = best_peer = float("inf")
    for _ in range(repeats):
        best_ours = min(best_ours, _run(ours, k_ours))
        best_peer = min(best_peer, _run(peer, k_peer))
    return best_ours, best_peer


# --- results ------------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str  # "render" | "tree" | "compile"
    workload: str  # e.g. "table-1000", "dashboard"
    peer: str  # "jinja2 3.1.6", "pyview-web 0.9.0"
    ours_us: float | None
    peer_us: float | None
    target: float | None  # minimum peer/ours ratio, or None for "informational"
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    ours_missing: bool = False

    @property
    def ratio(self) -> float | None:
        if not self.ours_us or not self.peer_us:
            return None
        return self.peer_us / self.ours_us

    @property
    def status(self) -> str:
        if self.ours_missing:
            return "n/a"
        if self.error:
            return "ERROR"
        if self.target is None or self.ratio is None:
            return "info"
        return "PASS" if self.ratio >= self.target else "MISS"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = self.ratio
        d["status"] = self.status
        return d


def _fmt_us(v: float | None) -> str:
    if v is None:
        return "—"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def format_table(results: list[Result]) -> str:
    header = ["benchmark", "workload", "ours (µs)", "peer", "peer (µs)", "ratio", "target", "result"]
    rows = []
    for r in results:
        rows.append(
            [
                r.kind,
                r.workload,
                _fmt_us(r.ours_us),
                r.peer,
                _fmt_us(r.peer_us),
                "—" if r.ratio is None else f"{r.ratio:.2f}×",
                "—" if r.target is None else f"≥{r.target:g}×",
                r.status,
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    numeric = {2, 4, 5}

    def line(cells: list[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            out.append(c.rjust(w) if i in numeric else c.ljust(w))
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join(
        ("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2)) for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def environment_info() -> dict[str, Any]:
    from importlib import metadata

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
            timeout=5,
        ).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        rev = None
    try:
        load = list(os.getloadavg())
    except (AttributeError, OSError):
        load = None
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "loadavg": load,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "git_rev": rev,
        "versions": {
            "pyview": version("pyview"),
            "jinja2": version("jinja2"),
            "markupsafe": version("markupsafe"),
            "pyview-web": version("pyview-web"),
        },
    }


def write_json(path: str, payload: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2, ensure_ascii=False)
        f.write("\n")


# --- tree helpers -------------------------------------------------------------------------------


def join_phoenix(tree: Any) -> str:
    """HTML of a Phoenix LiveView wire-format tree (what pyview-web's ``.tree()`` returns).

    ``{"s": [s0, s1, ...], "0": d0, "1": d1, ...}`` interleaves statics and
    dynamics; ``{"s": [...], "d": [[...], ...]}`` is a comprehension whose entries
    all share the statics. A dynamic is a string or another tree.
    """
    if isinstance(tree, str):
        return tree
    statics = tree["s"]
    if "d" in tree:
        return "".join(_interleave(statics, entry) for entry in tree["d"])
    dynamics = [tree[str(i)] for i in range(len(statics) - 1)]
    return _interleave(statics, dynamics)


def _interleave(statics: list[str], dynamics: list[Any]) -> str:
    out = [statics[0]]
    for d, s in zip(dynamics, statics[1:]):
        out.append(join_phoenix(d))
        out.append(s)
    return "".join(out)


_WS = re.compile(r"\s+")
_WS_BETWEEN_TAGS = re.compile(r">\s+<")


def normalize_ws(html: str) -> str:
    """Whitespace-insensitive form of an HTML string, for comparing engines whose
    whitespace handling differs (Ibis keeps each file's trailing newline, Jinja drops it)."""
    return _WS.sub(" ", _WS_BETWEEN_TAGS.sub("><", html)).strip()


def first_difference(a: str, b: str, context: int = 60) -> str:
    """A short description of where two strings first differ."""
    n = min(len(a), len(b))
    i = next((i for i in range(n) if a[i] != b[i]), n)
    lo = max(0, i - context)
    return (
        f"first difference at offset {i} (lengths {len(a)} vs {len(b)}):\n"
        f"    ours/left : {a[lo:i + context]!r}\n"
        f"    peer/right: {b[lo:i + context]!r}"
    )


# --- timing with an untimed setup (added for diff.py) -------------------------------------------


def _run_with_setup(fn: Callable[[], Any], setup: Callable[[], Any], k: int) -> float:
    """Nanoseconds per call of ``fn`` over K calls, each preceded by an untimed ``setup()``."""
    clock = time.perf_counter_ns
    total = 0
    for _ in range(k):
        setup()
        t0 = clock()
        fn()
        total += clock() - t0
    return total / k


def calibrate_with_setup(fn: Callable[[], Any], setup: Callable[[], Any], target_s: float) -> int:
    """Like ``calibrate`` but only the time spent in ``fn`` (not in ``setup``) counts."""
    target_ns = target_s * 1e9
    k = 1
    while True:
        per_call = _run_with_setup(fn, setup, k)
        elapsed = per_call * k
        if elapsed >= target_ns / 10 or k >= 1 << 24:
            return max(1, int(target_ns / max(per_call, 1.0)))
        k *= 10 if elapsed < target_ns / 1000 else 2


def compare_with_setup(
    ours: Callable[[], Any],
    ours_setup: Callable[[], Any],
    peer: Callable[[], Any],
    peer_setup: Callable[[], Any],
    *,
    target_s: float,
    repeats: int,
) -> tuple[float, float]:
    """Best-of-R ns per call of ``ours`` and ``peer``, each call preceded by its untimed setup.

    For stateful operations (a diff changes the differ's state, so calling it twice in a row
    measures a different thing the second time) the setup puts the state back before every
    timed call. Each call is timed on its own (two ``perf_counter_ns`` reads, ~0.1 µs), so this
    suits calls of a few microseconds and up. The two sides alternate within each repeat, as in
    ``compare``.
    """
    ours_setup()
    ours()  # warm-up
    peer_setup()
    peer()
    k_ours = calibrate_with_setup(ours, ours_setup, target_s)
    k_peer = calibrate_with_setup(peer, peer_setup, target_s)
    best_ours = best_peer = float("inf")
    for _ in range(repeats):
        best_ours = min(best_ours, _run_with_setup(ours, ours_setup, k_ours))
        best_peer = min(best_peer, _run_with_setup(peer, peer_setup, k_peer))
    return best_ours, best_peer


def best_of(fn: Callable[[], Any], *, target_s: float, repeats: int, setup: Callable[[], Any] | None = None) -> float:
    """Best-of-R ns per call of one function (with an optional untimed per-call setup)."""
    if setup is None:
        fn()
        k = calibrate(fn, target_s)
        return min(_run(fn, k) for _ in range(repeats))
    setup()
    fn()
    k = calibrate_with_setup(fn, setup, target_s)
    return min(_run_with_setup(fn, setup, k) for _ in range(repeats))


# --- generic markdown table (added for diff.py) -------------------------------------------------


def markdown_table(header: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    """A GitHub-markdown table with the ``numeric`` columns right-aligned."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            out.append(str(c).rjust(w) if i in numeric else str(c).ljust(w))
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join(
        ("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2)) for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


@dataclass
class Target:
    """A goal printed next to the numbers: PASS/MISS for a reader, never an exit status."""

    name: str
    measured: str
    goal: str
    ok: bool | None  # None: could not be measured

    @property
    def status(self) -> str:
        if self.goal == "—":
            return "info"
        return "n/a" if self.ok is None else ("PASS" if self.ok else "MISS")


def format_targets(targets: list[Target]) -> str:
    body = [[t.name, t.measured, t.goal, t.status] for t in targets]
    return markdown_table(["target", "measured", "goal", "result"], body, numeric=set())


def print_warnings(warnings: list[str]) -> None:
    if warnings:
        print("Warnings:")
        for w in warnings:
            print(f"  - {w}")
