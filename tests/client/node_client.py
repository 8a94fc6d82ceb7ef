"""Python side of ``rendered_node.mjs``: the real LiveView client's merge, in Node.

One long-lived ``node tests/client/rendered_node.mjs`` process serves every test
(see the session fixture ``real_client`` in ``conftest.py``). Requests are JSON
lines; a reader thread collects the answers, so a batch can be written in one go
(:meth:`NodeClient.run_many`) without the two pipes deadlocking.

When Node or the npm package is missing, tests skip locally and FAIL on CI
(the ``CI`` environment variable is set): CI must never silently skip the
real-client properties.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().with_name("rendered_node.mjs")
BUNDLE = ROOT / "node_modules" / "phoenix_live_view" / "priv" / "static" / "phoenix_live_view.esm.js"
PINNED_VERSION = "1.2.12"


class NodeClientError(AssertionError):
    """The real client threw (or the harness failed) at ``step`` (0 = join)."""

    def __init__(self, message: str, step: int | None = None, html: list[str] | None = None) -> None:
        super().__init__(message if step is None else f"step {step}: {message}")
        self.step = step
        self.html = html or []
        self.client_message = message


@dataclass
class ClientRun:
    """Everything the harness reports for one join + diffs, one item per step."""

    html: list[str]
    streams: list[list[Any]] = field(default_factory=list)
    titles: list[str | None] = field(default_factory=list)
    events: list[list[Any]] = field(default_factory=list)
    patches: list[str | None] = field(default_factory=list)
    skips: list[list[str]] = field(default_factory=list)  # skip-placeholder problems per step


def unavailable_reason() -> str | None:
    """Why the real client cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not BUNDLE.is_file():
        return f"the npm package phoenix_live_view is not installed ({BUNDLE} is missing)"
    try:
        version = json.loads((BUNDLE.parents[2] / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "node_modules/phoenix_live_view/package.json is unreadable"
    if version != PINNED_VERSION:
        return f"node_modules/phoenix_live_view is {version}, not the pinned {PINNED_VERSION}"
    return None


def skip_or_fail(reason: str) -> None:
    """pytest.skip locally, pytest.fail on CI."""
    from prerequisites import skip_or_fail as skip_or_fail_on_ci

    skip_or_fail_on_ci(f"real LiveView client unavailable: {reason}; run `npm ci` in {ROOT} (needs node 20)")


class NodeClient:
    """A running ``rendered_node.mjs``. Thread-safe; use as a context manager or call close()."""

    def __init__(self, timeout: float = 60.0) -> None:
        reason = unavailable_reason()
        if reason is not None:
            raise RuntimeError(reason)
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._answers: dict[int, dict] = {}
        self._cond = threading.Condition()
        self._dead: str | None = None
        self._proc = subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(ROOT),
            env={**os.environ, "PYVIEW_ROOT": str(ROOT)},
        )
        self._stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    # -- plumbing ------------------------------------------------------------
    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self._answers[answer.get("id")] = answer
                self._cond.notify_all()
        with self._cond:
            self._dead = "node exited (code %s): %s" % (
                self._proc.poll(),
                b"".join(self._stderr).decode("utf-8", "replace")[-2000:],
            )
            self._cond.notify_all()

    def _read_err(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    def _send(self, requests: list[dict]) -> None:
        data = "".join(json.dumps(r, separators=(",", ":"), allow_nan=False) + "\n" for r in requests)
        with self._lock:
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(data.encode("utf-8"))
                self._proc.stdin.flush()
            except BrokenPipeError:
                raise RuntimeError(self._dead or "node harness is gone") from None

    def _wait(self, ident: int) -> dict:
        with self._cond:
            self._cond.wait_for(lambda: ident in self._answers or self._dead is not None, self.timeout)
            if ident in self._answers:
                return self._answers.pop(ident)
            raise RuntimeError(self._dead or f"node harness timed out after {self.timeout}s")

    @staticmethod
    def _result(answer: dict) -> ClientRun:
        if "error" in answer:
            raise NodeClientError(answer["error"], answer.get("step"), answer.get("html"))
        run = ClientRun(
            answer["html"], answer["streams"], answer["titles"], answer["events"], answer["patches"], answer["skips"]
        )
        for step, problems in enumerate(run.skips):
            if problems:
                # The HTML is right, but the DOM would not be: the client skipped a root whose
                # content changed (or one it never rendered).
                raise NodeClientError("; ".join(problems), step, run.html[:step])
        return run

    # -- API -------------------------------------------------------------------
    def run_full(self, join: dict, diffs: Iterable[dict] = ()) -> ClientRun:
        """Merge ``join`` then each diff with the real client; raises NodeClientError if it throws."""
        result = self.run_many_full([(join, list(diffs))])[0]
        if isinstance(result, NodeClientError):
            raise result
        return result

    def run(self, join: dict, diffs: Iterable[dict] = ()) -> list[str]:
        """HTML after the join and after each diff (client-only attributes stripped)."""
        return self.run_full(join, diffs).html

    def run_many_full(self, cases: Iterable[tuple[dict, list[dict]]]) -> list[ClientRun | NodeClientError]:
        """A batch in one round trip. Each item is a ClientRun, or the NodeClientError it raised
        (returned, not raised, so one crashing case does not hide the others); ``run_full``
        raises it."""
        requests = [{"id": next(self._ids), "join": j, "diffs": list(ds)} for j, ds in cases]
        self._send(requests)
        out: list[ClientRun | NodeClientError] = []
        for r in requests:
            try:
                out.append(self._result(self._wait(r["id"])))
            except NodeClientError as e:
                out.append(e)
        return out

    def run_many(self, cases: Iterable[tuple[dict, list[dict]]]) -> list[list[str] | NodeClientError]:
        return [r if isinstance(r, NodeClientError) else r.html for r in self.run_many_full(cases)]

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> "NodeClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- one process per test session ----------------------------------------------
_shared: NodeClient | None = None
_shared_lock = threading.Lock()


def shared_client() -> NodeClient:
    """The process every test shares (started on first use, closed at exit).

    Skips (locally) or fails (CI) the calling test when the client is unavailable.
    """
    global _shared
    reason = unavailable_reason()
    if reason is not None:
        skip_or_fail(reason)
    with _shared_lock:
        if _shared is None or _shared._proc.poll() is not None:
            import atexit

            _shared = NodeClient()
            atexit.register(_shared.close)
        return _shared
