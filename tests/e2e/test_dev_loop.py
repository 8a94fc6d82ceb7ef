"""The development loop in Chromium: ``pyview serve tmpmod:app --reload`` on a tiny app copied into a
temporary folder (a counter view, its template, a stylesheet), edited while a page is open.

* a template edit shows the new markup in place: the count and a ``window`` marker survive (no reload);
* a template that no longer compiles shows the overlay (file, line, caret) over the last good
  render; Escape closes it, the next broken save shows it again, the fix removes it, still no reload;
* a stylesheet edit changes the computed style in place;
* a handler crash shows the Python frames; the view rejoins (a fresh mount) under the overlay;
* a Python edit restarts the worker (its log says so), and the page reconnects and rejoins by
  itself: a fresh mount by the new code, without a page reload (the marker survives).

Every step waits for what the page shows (Playwright's auto-waiting) or for a server log line.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    expect = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
CONNECTED = "[data-phx-main].phx-connected"
OVERLAY = "#pyview-dev-overlay"

APP = '''\
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from pyview_core import LiveView, PyView, event

VERSION = "v1"
HERE = Path(__file__).resolve().parent


class CounterView(LiveView[dict]):
    async def mount(self, socket, session):
        socket.context = {"count": 0, "version": VERSION}

    @event("inc")
    async def inc(self, socket):
        socket.context["count"] += 1

    @event("boom")
    async def boom(self, socket):
        raise RuntimeError("the <boom> handler failed")


app = PyView(head_html='<link rel="stylesheet" href="/static/app.css">')
app.add_live_view("/", CounterView)
app.routes.append(Mount("/static", app=StaticFiles(directory=HERE / "static")))
'''
TEMPLATE = '''\
<main>
<p id="version">{{ version }}</p>
<p id="count">{{ count }}</p>
<button id="inc" phx-click="inc">+1</button> <button id="boom" phx-click="boom">crash</button>
</main>
'''
STYLESHEET = "#count { color: rgb(0, 0, 255); }\n"


@dataclass
class DevServer:
    proc: subprocess.Popen
    base: str
    folder: Path
    lines: "queue.Queue[str]" = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)

    def wait_for_line(self, needle: str, timeout: float = 30.0) -> str:
        """The first line logged from now on that contains ``needle``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the server did not log {needle!r} within {timeout} s:\n" + "".join(self.log[-30:]))
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if needle in line:
                return line


def save(path: Path, text: str) -> None:
    """An editor's save: the new text replaces the file in one rename."""
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dev_server(e2e_prerequisites, tmp_path: Path) -> Iterator[DevServer]:
    folder = tmp_path / "app"
    (folder / "static").mkdir(parents=True)
    (folder / "tmpmod.py").write_text(APP, encoding="utf-8")
    (folder / "tmpmod.html").write_text(TEMPLATE, encoding="utf-8")
    (folder / "static" / "app.css").write_text(STYLESHEET, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for name in ("PYVIEW_SECRET_KEY", "PYVIEW_ENV", "PYVIEW_RELOAD", "PYVIEW_PUBSUB_URL"):
        env.pop(name, None)  # serve --reload generates the secret the worker's restarts share
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pyview_core.cli import main; sys.exit(main())",
         "serve", "tmpmod:app", "--reload", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    server = DevServer(proc, f"http://127.0.0.1:{port}", folder)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.log.append(line)
            server.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        server.wait_for_line("Application startup complete")
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()  # the reloader stops its worker, then itself
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_the_development_loop(browser, dev_server: DevServer, request):
    folder = dev_server.folder
    context = browser.new_context(base_url=dev_server.base)
    context.set_default_timeout(20_000)
    request.addfinalizer(context.close)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"console.{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
    request.node.user_properties.append(("browser console", console))

    page.goto("/")
    page.wait_for_selector(CONNECTED)
    count = page.locator("#count")
    for n in (1, 2, 3):
        page.click("#inc")
        expect(count).to_have_text(str(n))
    page.evaluate("window.__marker = 'the same page'")

    def same_page() -> None:
        assert page.evaluate("window.__marker") == "the same page", "the page was reloaded"

    # A template edit: the new markup, the same state, the same page.
    save(folder / "tmpmod.html", TEMPLATE.replace("<main>\n", '<main>\n<h2 id="edited">edited</h2>\n'))
    expect(page.locator("#edited")).to_have_text("edited")
    expect(count).to_have_text("3")
    same_page()

    # A syntax error: the overlay over the last good render.
    broken = TEMPLATE.replace("<main>\n", '<main>\n{% if count %}<h2 id="edited">edited</h2>{% endfor %}\n')
    save(folder / "tmpmod.html", broken)
    overlay = page.locator(OVERLAY)
    expect(overlay.locator("h2")).to_contain_text("tmpmod.html, line 2, column")
    expect(overlay.locator("tr.error")).to_contain_text("{% endfor %}")
    expect(overlay.locator("tr.caret td.code")).to_contain_text("^")
    expect(count).to_have_text("3")  # the last good render is still there
    expect(page.locator("#edited")).to_have_text("edited")
    page.keyboard.press("Escape")
    expect(overlay).to_have_count(0)
    save(folder / "tmpmod.html", broken + "{% if %}\n")  # still broken: shown again
    expect(overlay.locator("h2")).to_contain_text("tmpmod.html, line")
    same_page()

    # The fix: the overlay goes, the new render comes, still the same page.
    save(folder / "tmpmod.html", TEMPLATE.replace("<main>\n", '<main>\n<h2 id="fixed">fixed</h2>\n'))
    expect(page.locator("#fixed")).to_have_text("fixed")
    expect(overlay).to_have_count(0)
    expect(count).to_have_text("3")
    same_page()

    # A stylesheet edit: the computed style changes in place.
    assert page.eval_on_selector("#count", "el => getComputedStyle(el).color") == "rgb(0, 0, 255)"
    save(folder / "static" / "app.css", "#count { color: rgb(0, 128, 0); }\n")
    page.wait_for_function("getComputedStyle(document.querySelector('#count')).color === 'rgb(0, 128, 0)'")
    expect(page.locator("link[rel=stylesheet]")).to_have_count(1)  # swapped, not added
    same_page()

    # A handler crash: the Python frames; the view rejoins (a fresh mount) under the overlay.
    page.click("#boom")
    expect(overlay.locator("h1")).to_have_text("RuntimeError")
    expect(overlay.locator("pre.message").first).to_have_text("the <boom> handler failed")  # escaped, shown as text
    expect(overlay.locator(".frame", has_text="tmpmod.py").locator("tr.error")).to_contain_text("raise RuntimeError")
    expect(count).to_have_text("0")  # the rejoin's fresh mount
    page.wait_for_selector(CONNECTED)
    expect(overlay).to_have_count(1)  # stays until dismissed
    overlay.locator("button.close").click()
    expect(overlay).to_have_count(0)
    page.click("#inc")
    expect(count).to_have_text("1")
    same_page()

    # A Python edit: the worker restarts; the page reconnects and rejoins by itself.
    save(folder / "tmpmod.py", APP.replace('VERSION = "v1"', 'VERSION = "v2"'))
    dev_server.wait_for_line("Reloading")
    dev_server.wait_for_line("Application startup complete")
    expect(page.locator("#version")).to_have_text("v2")  # mounted by the new code
    expect(count).to_have_text("0")
    page.wait_for_selector(CONNECTED)
    same_page()  # no full reload: the client rejoined on its own
    page.click("#inc")
    expect(count).to_have_text("1")
    assert not [line for line in console if line.startswith("pageerror")], console
