"""Colocated hooks in Chromium, with the official client against our server (uvicorn in a thread).

* Order: the entry module runs before ``app.js`` creates the ``LiveSocket``, even when the hook
  file is the last thing to arrive (the test holds its response until ``app.js`` is delivered).
* ``pushEventTo`` with a selector, callback and promise forms, and ``phx-target`` on a button:
  the server receives ordinary events on the view's topic and the replies reach the hook.
* Development: an edited file is what the next page load runs.
* A file the browser cannot parse: the page says so in the console (``app.js`` notices).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from colocated_views import SECRET, ViewFactory, js_path, rewrite, view_factory

from pyview_core import PyView

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the chromium fixture skips (or fails on CI) and names the fix
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.e2e

CONNECTED = "[data-phx-main].phx-connected"

PROBE_HTML = """<p id="probe" phx-hook="Probe">dead</p>
<p id="asked">{{ asked }}</p>
<div id="t1" class="target"></div><div id="t2" class="target"></div>
<button id="targeted" phx-click="ask" phx-value-question="from the button" phx-target="#t2">ask</button>
"""

PROBE_JS = """export const Probe = {
  mounted() {
    this.el.textContent = "mounted VERSION";
    window.askTo = (selector, question) => new Promise((resolve) =>
      this.pushEventTo(selector, "ask", {question}, (reply, ref) => resolve({reply, ref})));
    window.askAll = (selector, question) => this.pushEventTo(selector, "ask", {question});
  },
};
"""

# Before any page script: records which hooks exist at the moment app.js stores its new LiveSocket
# (right after constructing it, in the same task), through app.js's own window.pyview object.
RECORD_HOOKS_AT_SOCKET = """
window.pyview = {hooks: {}};
Object.defineProperty(window.pyview, "liveSocket", {
  configurable: true,
  set(socket) {
    window.hooksAtSocket = Object.keys(this.hooks);
    Object.defineProperty(this, "liveSocket", {value: socket, writable: true});
  },
});
"""



@pytest.fixture
def views(tmp_path) -> Iterator[ViewFactory]:
    """Make view modules (with or without colocated hooks) in a fresh folder."""
    yield from view_factory(tmp_path)

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app: PyView) -> Iterator[str]:
    """``app`` under uvicorn in a thread of this process; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="hooks test server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # polling startup, as tests/e2e does: no fixed wait for behaviour
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser_page(chromium) -> Iterator[Callable[[str], Page]]:
    """A page factory: a fresh context per page, its console collected in ``page.console``."""
    contexts = []

    def make(base_url: str) -> Page:
        context = chromium.new_context(base_url=base_url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # not the app's: no 404 noise
        page.console = []  # type: ignore[attr-defined]
        page.on("console", lambda msg: page.console.append(f"{msg.type}: {msg.text}"))  # type: ignore[attr-defined]
        page.on("pageerror", lambda err: page.console.append(f"pageerror: {err}"))  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def probe_app(views: ViewFactory, version: str = "v1") -> PyView:
    app = PyView(secret_key=SECRET)
    app.add_live_view("/", views.make("probe", js=PROBE_JS.replace("VERSION", version), html=PROBE_HTML))
    return app


def test_hooks_are_registered_before_the_live_socket_even_when_their_file_arrives_last(views, browser_page):
    app = probe_app(views)
    with serving(app) as base:
        page = browser_page(base)
        page.add_init_script(RECORD_HOOKS_AT_SOCKET)
        held: list = []
        app_js_delivered: list[bool] = []

        def hold_hook_file(route):
            if app_js_delivered:
                route.continue_()
            else:
                held.append(route)

        def deliver_app_js(route):
            route.fulfill(response=route.fetch())
            app_js_delivered.append(True)
            for waiting in held:
                waiting.continue_()

        page.route("**/static/pyview/hooks/hooks_test_*", hold_hook_file)
        page.route("**/static/pyview/app.js", deliver_app_js)
        page.goto("/")
        page.wait_for_selector(CONNECTED)
        expect(page.locator("#probe")).to_have_text("mounted v1")
        assert app_js_delivered, "app.js was never requested"
        assert page.evaluate("window.hooksAtSocket") == ["Probe"]
        assert page.evaluate("window.pyview.colocated") == ["Probe"]
        assert not [line for line in page.console if line.startswith(("error", "pageerror"))], page.console


def test_push_event_to_a_selector_reaches_the_owning_view_and_the_reply_the_hook(views, browser_page):
    with serving(probe_app(views)) as base:
        page = browser_page(base)
        page.goto("/")
        page.wait_for_selector(CONNECTED)
        expect(page.locator("#probe")).to_have_text("mounted v1")

        answer = page.evaluate("askTo('#t1', 'hello')")  # callback form: (reply, ref)
        assert answer["reply"] == {"answer": "HELLO", "asked": 1}
        assert isinstance(answer["ref"], int)
        expect(page.locator("#asked")).to_have_text("1")

        # Promise form: one settled result per matched element, {reply, ref} when fulfilled.
        results = page.evaluate("askAll('.target', 'both')")
        assert [r["status"] for r in results] == ["fulfilled", "fulfilled"]
        assert sorted(r["value"]["reply"]["asked"] for r in results) == [2, 3]
        assert {r["value"]["reply"]["answer"] for r in results} == {"BOTH"}
        expect(page.locator("#asked")).to_have_text("3")

        page.click("#targeted")  # phx-target="#t2": a DOM selector, not a component id
        expect(page.locator("#asked")).to_have_text("4")
        assert not [line for line in page.console if line.startswith(("error", "pageerror"))], page.console


def test_development_runs_an_edited_hook_file_on_the_next_page_load(views, browser_page):
    app = probe_app(views)
    with serving(app) as base:
        page = browser_page(base)
        page.goto("/")
        page.wait_for_selector(CONNECTED)
        expect(page.locator("#probe")).to_have_text("mounted v1")

        view = app.live_router.routes[0].view
        rewrite(js_path(view), PROBE_JS.replace("VERSION", "v2"))
        page.reload()
        page.wait_for_selector(CONNECTED)
        expect(page.locator("#probe")).to_have_text("mounted v2")


def test_a_hook_file_the_browser_cannot_parse_is_reported_in_the_console(views, browser_page):
    app = PyView(secret_key=SECRET)
    app.add_live_view("/", views.make("broken", js="export const Broken = {mounted() {\n", html=PROBE_HTML))
    with serving(app) as base:
        page = browser_page(base)
        page.goto("/")
        page.wait_for_selector(CONNECTED)  # the page still connects, without the hooks
        expect(page.locator("#probe")).to_have_text("dead")
        assert any(line.startswith("pageerror") for line in page.console), page.console  # the parse error
        assert any("colocated hooks" in line and "did not run before app.js" in line for line in page.console), page.console
