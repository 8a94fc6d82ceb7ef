"""1,000 subscribers in two processes each get every message of a burst exactly once, in order
per publisher: two real processes (``burst_node.py``), one real redis-server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SUBSCRIBERS_PER_PROCESS = 500
MESSAGES = 300


def test_a_burst_reaches_1000_subscribers_in_two_processes_exactly_once_in_order(redis_server):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    nodes = [
        subprocess.Popen(
            [sys.executable, str(HERE / "burst_node.py"), redis_server.url, "burst-test", name,
             str(SUBSCRIBERS_PER_PROCESS), str(MESSAGES), "2"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for name in ("A", "B")
    ]
    try:
        for node in nodes:
            assert node.stdout.readline().strip() == "ready", node.stderr.read()
        for node in nodes:  # both publish at once
            node.stdin.write("go\n")
            node.stdin.flush()
        reports = []
        for node in nodes:
            out, err = node.communicate(timeout=60)
            assert node.returncode == 0, err
            reports.append(orjson.loads(out.strip().splitlines()[-1]))
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
    subscribers = [inbox for report in reports for inbox in report]
    assert len(subscribers) == 2 * SUBSCRIBERS_PER_PROCESS
    for inbox in subscribers:
        assert set(inbox) == {"A", "B"}
        for publisher, seen in inbox.items():
            assert seen == {"count": MESSAGES, "in_order": True, "distinct": MESSAGES}, (publisher, seen)
