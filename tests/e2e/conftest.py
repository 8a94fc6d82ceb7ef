"""Browser tests: Playwright (sync API) driving Debian's Chromium against the examples app.

The session starts ``python -m uvicorn lab_app:app`` (the examples app plus test-only lab views) on a free port of 127.0.0.1 (fixture
``live_server``) and one Chromium (fixture ``browser``); every test gets a fresh browser context,
i.e. a fresh cookie jar and therefore a fresh pyview session.

Prerequisites are Playwright for Python, ``/usr/bin/chromium`` and the LiveView client bundles
that ``npm ci`` copies into ``pyview_core/static/vendor/``. When one is missing the tests skip
locally and FAIL on CI (``CI`` set to anything but ``""``, ``0`` or ``false``): CI must never
silently skip the browser tests.

Every test in this folder carries the ``e2e`` marker: ``pytest -m "not e2e"`` deselects them.
On failure the report gets the server's stderr for that test and the pages' console output.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from prerequisites import skip_or_fail as skip_or_fail_on_ci

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
VENDOR = ROOT / "pyview_core" / "static" / "vendor"
BUNDLES = ("phoenix.min.js", "phoenix_live_view.min.js")
SECRET = "e2e-only-not-a-real-secret-" + "0123456789abcdefghijk"  # 48 characters, fixed
STARTUP_TIMEOUT = 20.0
assert len(SECRET) == 48

_server_log_key = pytest.StashKey[Path]()
_log_offset_key = pytest.StashKey[int]()
_console_key = pytest.StashKey[list]()


# -- marker -------------------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests (Playwright + /usr/bin/chromium against the examples)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# -- skip locally, fail on CI -------------------------------------------------------------------
def skip_or_fail(reason: str) -> None:
    skip_or_fail_on_ci(f"browser tests cannot run: {reason}")


def missing_prerequisite() -> str | None:
    """Why the browser tests cannot run here (naming the fix), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed; run `python -m pip install -e '.[dev]'` (or `pip install playwright`)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing; run `sudo apt-get install chromium` (Debian's package, not `playwright install`)"
    missing = [name for name in BUNDLES if not (VENDOR / name).is_file()]
    if missing:
        return f"the LiveView client bundles are missing ({', '.join(missing)} in {VENDOR}); run `npm ci` in {ROOT}"
    return None


@pytest.fixture(scope="session")
def e2e_prerequisites() -> None:
    reason = missing_prerequisite()
    if reason is not None:
        skip_or_fail(reason)


# -- the app ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def live_server(e2e_prerequisites, tmp_path_factory, pytestconfig) -> Iterator[str]:
    """The examples app (with the lab views) under uvicorn; yields its base URL (no trailing slash)."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("e2e-server") / "uvicorn.stderr.log"
    pytestconfig.stash[_server_log_key] = log_path
    # lab_app imports the examples (from the checkout) and tests/stream_model.py.
    python_path = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYVIEW_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path}
    env.pop("PYVIEW_ENV", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "lab_app:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _port_answers(port):
            if proc.poll() is not None:
                pytest.fail(f"uvicorn exited with code {proc.returncode} before answering:\n{_read(log_path)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not answer on port {port} within {STARTUP_TIMEOUT:.0f}s:\n{_read(log_path)}",
                            pytrace=False)
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _read(path: Path, offset: int = 0) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"<cannot read {path}: {e}>"


# -- the browser --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser(e2e_prerequisites, chromium):
    return chromium  # tests/conftest.py: one browser for every folder


@pytest.fixture
def new_page(browser, live_server, request) -> Iterator[Callable[[], Page]]:
    """A factory of pages, each in its own fresh context (own cookies: its own pyview session)."""
    contexts = []
    console: list[str] = []
    request.node.stash[_console_key] = console

    def make():
        context = browser.new_context(base_url=live_server)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        tag = f"page{len(contexts)}"
        page.on("console", lambda msg: console.append(f"[{tag} console.{msg.type}] {msg.text}"))
        page.on("pageerror", lambda err: console.append(f"[{tag} pageerror] {err}"))
        page.on("websocket", lambda ws: (
            console.append(f"[{tag} websocket open] {ws.url}"),
            ws.on("close", lambda _ws: console.append(f"[{tag} websocket close] {ws.url}")),
        ))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(autouse=True)
def server_logged_no_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test fails if the server logged a traceback or an error while it ran: the client papers
    over many server-side crashes (it rejoins), which would otherwise go unnoticed."""
    yield
    if "live_server" not in request.fixturenames:
        return
    log_path = request.config.stash.get(_server_log_key, None)
    if log_path is None:
        return
    text = _read(log_path, request.node.stash.get(_log_offset_key, 0))
    if "Traceback" in text or "ERROR" in text:
        pytest.fail(f"the server logged errors during this test:\n{text}", pytrace=False)


# -- failure reports: the server's stderr and the browser console ---------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    log_path = item.config.stash.get(_server_log_key, None)
    if log_path is not None and log_path.exists():
        item.stash[_log_offset_key] = log_path.stat().st_size


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or item.get_closest_marker("e2e") is None:
        return
    log_path = item.config.stash.get(_server_log_key, None)
    if log_path is not None:
        text = _read(log_path, item.stash.get(_log_offset_key, 0)).strip()
        report.sections.append(("uvicorn stderr (during this test)", text or "<empty>"))
    console = item.stash.get(_console_key, None)
    if console:
        report.sections.append(("browser console", "\n".join(console)))
