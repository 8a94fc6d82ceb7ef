"""``pyview serve`` / ``pyview compile`` (pyview_core/cli.py).

Argument mistakes are checked in-process (fast); serving is checked against a real uvicorn in a
subprocess on a free port of 127.0.0.1, polled until it answers (the timeout is only a safety net
against a hang, never a performance bound).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pyview_core import cli

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-test-secret-not-for-production-0123456789abc"  # 48 characters
READY_TIMEOUT_S = 60.0  # safety net only: a healthy server answers within a second or two

# A raw ASGI app that reports the collector's state, and whether an object its lifespan startup
# created is still visible to the collector (it is not once gc.freeze() ran after startup).
GC_APP = textwrap.dedent('''
    import gc, json

    STARTUP_MARKER = None

    class Marker:
        pass

    async def app(scope, receive, send):
        global STARTUP_MARKER
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    STARTUP_MARKER = Marker()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "http":
            body = json.dumps({
                "threshold": gc.get_threshold(),
                "freeze_count": gc.get_freeze_count(),
                "marker_tracked": any(o is STARTUP_MARKER for o in gc.get_objects()),
            }).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
        elif scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            await receive()

    def create_app():
        return app

    NOT_AN_APP = 42

    def sync_function(scope, receive, send):
        pass
''')


@pytest.fixture
def gc_app_dir(tmp_path: Path) -> Path:
    (tmp_path / "cli_gc_app.py").write_text(GC_APP, encoding="utf-8")
    return tmp_path


@pytest.fixture
def in_dir(monkeypatch: pytest.MonkeyPatch, gc_app_dir: Path) -> Path:
    """Run in-process CLI calls from the temporary app's folder, with a fixed secret."""
    monkeypatch.chdir(gc_app_dir)
    monkeypatch.syspath_prepend(str(gc_app_dir))
    monkeypatch.setenv("PYVIEW_SECRET_KEY", SECRET)
    return gc_app_dir


# --- argument errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("nocolon", "expected MODULE:ATTRIBUTE"),
        ("cli_gc_app:", "expected MODULE:ATTRIBUTE"),
        ("no_such_module_for_cli_test:app", "cannot import module 'no_such_module_for_cli_test'"),
        ("cli_gc_app.sub:app", "cannot import module 'cli_gc_app.sub'"),
        ("cli_gc_app:missing", "has no attribute 'missing'"),
        ("cli_gc_app:NOT_AN_APP", "is not an ASGI app: it is a int"),
        ("cli_gc_app:sync_function", "is not an ASGI app"),
        ("cli_gc_app:create_app", "pass --factory"),
        ("cli_gc_app:Marker", "it is the class Marker"),
        ("examples.app:PyView", "it is the class PyView"),
    ],
)
def test_bad_app_is_one_line_and_exit_2(in_dir, capsys, target: str, expected: str) -> None:
    assert cli.main(["serve", target]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("pyview serve: error: ") and expected in lines[-1], err


def test_factory_that_does_not_return_an_app(in_dir, capsys) -> None:
    (in_dir / "cli_bad_factory.py").write_text("def make():\n    return 'not an app'\n", encoding="utf-8")
    assert cli.main(["serve", "cli_bad_factory:make", "--factory"]) == 2
    assert "cli_bad_factory:make() is not an ASGI app" in capsys.readouterr().err


def test_module_that_raises_shows_its_own_traceback_then_one_line(in_dir, capsys) -> None:
    """The user's bug deserves its traceback; the last line still says what failed."""
    (in_dir / "cli_broken_app.py").write_text("raise RuntimeError('boom at import')\n", encoding="utf-8")
    assert cli.main(["serve", "cli_broken_app:app"]) == 2
    err = capsys.readouterr().err
    assert "cli_broken_app.py" in err and "RuntimeError: boom at import" in err
    assert err.strip().splitlines()[-1] == (
        "pyview serve: error: importing 'cli_broken_app' failed: RuntimeError: boom at import"
    )
    assert "pyview_core/cli.py" not in err  # none of our frames


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--workers", "0"], "--workers must be at least 1, got 0"),
        (["--workers", "-3"], "--workers must be at least 1, got -3"),
        (["--workers", "2", "--reload"], "--workers 2 cannot be combined with --reload"),
        # A raw ASGI app has no pub/sub: nothing would carry broadcasts between the workers.
        (["--workers", "2"], "--workers 2: cli_gc_app:app has no pub/sub (it is a function, not a PyView)"),
    ],
)
def test_workers_mistakes_are_one_line_and_exit_2(in_dir, capsys, argv: list[str], expected: str) -> None:
    assert cli.main(["serve", "cli_gc_app:app", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pyview serve: error: {expected}") and "Traceback" not in err, err


def test_workers_need_an_import_string(in_dir) -> None:
    from cli_gc_app import app

    with pytest.raises(cli.ServeError, match=r"--workers 2 needs the app as an import string"):
        cli.serve(app, workers=2)


def test_workers_with_an_in_memory_pubsub_are_refused_and_the_environment_is_restored(in_dir, monkeypatch, capsys) -> None:
    """No secret set: one is generated for the workers, and taken back when serve() refuses."""
    (in_dir / "cli_memory_app.py").write_text("from pyview_core import PyView\napp = PyView()\n", encoding="utf-8")
    monkeypatch.delenv("PYVIEW_SECRET_KEY")
    monkeypatch.delenv("PYVIEW_PUBSUB_URL", raising=False)
    monkeypatch.delenv("PYVIEW_ENV", raising=False)
    assert cli.main(["serve", "cli_memory_app:app", "--workers", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("pyview serve: error: --workers 3: the app's pub/sub (InMemoryPubSub) is process-local")
    assert "PYVIEW_PUBSUB_URL=redis://host:6379/0" in err and "pubsub=RedisPubSub(...)" in err
    assert "PYVIEW_SECRET_KEY" not in os.environ


def test_workers_never_run_a_production_app_on_a_generated_secret(in_dir, monkeypatch, capsys) -> None:
    """``production=True`` in code is only known once the app is imported: the generated secret
    let it import, and ``serve`` refuses with ``resolve_secret``'s own message."""
    (in_dir / "cli_production_app.py").write_text(textwrap.dedent("""
        from pyview_core import PyView
        from pyview_core.redis_pubsub import RedisPubSub
        app = PyView(production=True, pubsub=RedisPubSub("redis://127.0.0.1:1/0"))  # never connected
    """), encoding="utf-8")
    monkeypatch.delenv("PYVIEW_SECRET_KEY")
    monkeypatch.delenv("PYVIEW_ENV", raising=False)
    assert cli.main(["serve", "cli_production_app:app", "--workers", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("pyview serve: error: PYVIEW_SECRET_KEY is not set. In production"), err
    assert "PYVIEW_SECRET_KEY" not in os.environ


def test_the_log_line_counts_workers() -> None:
    assert "pyview serve: loop " in cli.resolve_options().describe()
    assert cli.resolve_options(workers=4).describe().startswith("pyview serve: 4 workers, loop ")


def test_usage_errors_exit_2(in_dir, capsys) -> None:
    for argv in (["serve"], ["serve", "cli_gc_app:app", "--loop", "nope"], ["serve", "cli_gc_app:app", "--port", "x"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2
    assert cli.main(["serve", "cli_gc_app:app", "--gc-threshold", "-5"]) == 2
    assert "--gc-threshold must be a positive" in capsys.readouterr().err


def test_fast_implementations_fall_back_when_missing(monkeypatch) -> None:
    monkeypatch.setattr(cli, "_installed", lambda name: name not in {"uvloop", "httptools"})
    options = cli.resolve_options()
    assert (options.loop, options.http, options.ws) == ("asyncio", "h11", "websockets-sansio")
    assert options.ws_per_message_deflate is False
    assert "loop asyncio, http h11" in options.describe() and "pyview[fast]" in options.describe()
    with pytest.raises(cli.ServeError, match="uvloop is not installed"):
        cli.resolve_options(loop="uvloop")
    with pytest.raises(cli.ServeError, match="httptools is not installed"):
        cli.resolve_options(http="httptools")


def test_fast_implementations_are_preferred(monkeypatch) -> None:
    monkeypatch.setattr(cli, "_installed", lambda name: True)
    options = cli.resolve_options()
    assert (options.loop, options.http) == ("uvloop", "httptools")
    assert "pyview[fast]" not in options.describe()


def test_compile_is_delegated_to_the_templates_cli(tmp_path, capsys) -> None:
    (tmp_path / "page.html").write_text("<p>{{ name }}</p>", encoding="utf-8")
    assert cli.main(["compile", str(tmp_path), "--check"]) == 0
    assert "checked 1 template(s), 0 error(s)" in capsys.readouterr().err
    (tmp_path / "bad.html").write_text("{% if %}", encoding="utf-8")
    assert cli.main(["compile", str(tmp_path), "--check"]) == 1


def test_console_script_points_here() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'pyview = "pyview_core.cli:main"' in text


# --- a real server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        conn.close()


@contextmanager
def served(args: list[str], cwd: Path, tmp_path: Path, ready_path: str) -> Iterator[tuple[int, Path]]:
    """``python -m pyview_core.cli serve ARGS --port P`` until the block ends; yields (P, log).

    Ready means ``ready_path`` answers 200; the process exiting first, or the safety timeout,
    fails the test with the server's log.
    """
    port = _free_port()
    log_path = tmp_path / f"serve-{port}.log"
    env = {**os.environ, "PYVIEW_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PYVIEW_ENV", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyview_core.cli", "serve", *args, "--port", str(port)],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if _get(port, ready_path)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready after {READY_TIMEOUT_S:g} s:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield port, log_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _upgrade(port: int, path: str, extensions: str) -> tuple[str, dict[str, str]]:
    """Send a WebSocket upgrade offering ``extensions``; return the status line and headers."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://127.0.0.1:{port}\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return head[0], headers


OFFER = "permessage-deflate; client_max_window_bits"


def test_serves_the_examples_without_deflate(tmp_path) -> None:
    with served(["examples.app:app"], ROOT, tmp_path, "/counter") as (port, log_path):
        status, headers, page = _get(port, "/counter")
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert "data-phx-session" in page and "phx-click=\"increment\"" in page
        status_line, ws_headers = _upgrade(port, "/live/websocket?vsn=2.0.0", OFFER)
        assert status_line.startswith("HTTP/1.1 101"), status_line
        assert "permessage-deflate" not in ws_headers.get("sec-websocket-extensions", "")
        log = log_path.read_text()
        assert "pyview serve: loop " in log and "per-message deflate off" in log


def test_gc_is_frozen_after_startup_with_a_larger_threshold(gc_app_dir, tmp_path) -> None:
    with served(["cli_gc_app:app"], gc_app_dir, tmp_path, "/") as (port, _):
        state = json.loads(_get(port, "/")[2])
    assert state["threshold"][0] == cli.DEFAULT_GC_THRESHOLD
    assert state["freeze_count"] > 0
    assert state["marker_tracked"] is False  # frozen after the app's lifespan startup, not before


def test_every_default_can_be_overridden(gc_app_dir, tmp_path) -> None:
    args = ["cli_gc_app:create_app", "--factory", "--no-gc-freeze", "--gc-threshold", "1234",
            "--ws-per-message-deflate", "--loop", "asyncio", "--http", "h11", "--ws", "websockets"]
    with served(args, gc_app_dir, tmp_path, "/") as (port, log_path):
        state = json.loads(_get(port, "/")[2])
        status_line, ws_headers = _upgrade(port, "/", OFFER)
        log = log_path.read_text()
    assert state["threshold"][0] == 1234
    assert state["freeze_count"] == 0 and state["marker_tracked"] is True
    # The control for the test above: when deflate is on, the same offer is accepted.
    assert status_line.startswith("HTTP/1.1 101")
    assert ws_headers.get("sec-websocket-extensions", "").startswith("permessage-deflate")
    assert "loop asyncio, http h11, ws websockets (per-message deflate on), gc not frozen, gen-0 threshold 1234" in log
