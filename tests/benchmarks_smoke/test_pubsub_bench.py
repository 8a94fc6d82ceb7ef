"""``benchmarks/pubsub.py --quick`` still runs end to end: every configuration (in-memory, Redis
on one process, Redis on two) gets its row, with no lost message and no failed join.

No timing is asserted (benchmarks never gate): only that the script works, so it cannot rot.
It starts its own redis-server and ``pyview serve`` processes; a missing redis-server skips
locally and fails on CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from prerequisites import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "pubsub.py"
LABELS = {"memory": "in-memory, 1 process", "redis-1": "Redis, 1 process", "redis-2": "Redis, 2 processes"}


def test_pubsub_benchmark_quick_run(tmp_path):
    if shutil.which("redis-server") is None and not Path("/usr/bin/redis-server").exists():
        skip_or_fail("the pub/sub benchmark needs redis-server; run `sudo apt-get install redis-server`")
    out = tmp_path / "pubsub.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=180,  # a safety net, not a timing check (~10 s)
    )
    report = f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, report
    assert "## summary" in proc.stdout, report
    for label in LABELS.values():
        assert f"| {label}" in proc.stdout, f"no row for {label!r}\n{report}"

    results = json.loads(out.read_text(encoding="utf-8"))
    rows = {(r["config"], r["subscribers"]): r for r in results["rows"]}
    for config in LABELS:
        for n in (10, 100):
            row = rows.get((config, n))
            assert row is not None, f"no {config} row at {n} subscribers\n{report}"
            assert row["errors"] == [], f"{config} at {n} subscribers failed: {row['errors']}\n{report}"
            assert row["rounds"] > 0 and row["p50_ms"] > 0 and row["msgs_per_s"] > 0, row
