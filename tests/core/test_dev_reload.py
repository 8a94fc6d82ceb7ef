"""The development loop over the real protocol, with the real file watcher (watchfiles) running in
the app's lifespan: an edited template re-renders the joined views in place and keeps their state;
a template that no longer compiles (or renders) shows the overlay and leaves the view alive on its
last good render, and the save that fixes it clears the overlay; a handler crash shows the Python
frames; stylesheets and scripts reach the page as events; production sends none of it.

Every wait is on a frame the server sends (with the protocol client's receive timeout as a safety
net), never a sleep.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from protocol_client import Page, Socket, View, get_page, open_socket
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

from pyview_core import LiveView, PyView, event
from pyview_core.cli import RELOAD_EXCLUDES
from pyview_core.dev_errors import ASSETS_EVENT, CLEAR_EVENT, DEV_CLIENT_PARAM, ERROR_EVENT
from pyview_core.dev_reload import WatchPlan, classify

SECRET = "dev-reload-tests-secret-0123456789-abcdefghijk"
PAGE = '<p id="count">{{ count }}</p><button phx-click="inc">+</button>'
CRASH = {"reason": "channel_crash"}


def _explode() -> str:
    raise ZeroDivisionError("the template called explode()")


def make_view(path: Path, source: str) -> type[LiveView]:
    path.write_text(source, encoding="utf-8")

    class Page(LiveView[dict]):
        template_name = str(path)  # absolute: the watcher watches its folder (tmp_path)

        async def mount(self, socket, session):
            socket.context = {"count": 0, "explode": _explode}

        @event("inc")
        async def inc(self, socket):
            socket.context["count"] += 1

        @event("boom")
        async def boom(self, socket):
            raise RuntimeError("handler <b>exploded</b>")

    return Page


def save(path: Path, source: str) -> None:
    """An editor's save: the new text replaces the file in one rename, its mtime moved on."""
    before = path.stat().st_mtime if path.exists() else 0.0
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(source, encoding="utf-8")
    os.utime(temporary, (before + 5, before + 5))
    os.replace(temporary, path)


def join(sock: Socket, client: TestClient, path: str, *, dev_client: bool = True) -> View:
    """Join ``path`` as app.js does on a development page (it says it shows the overlay)."""
    return rejoin(sock, get_page(client, path), dev_client=dev_client, mounts=0)


def rejoin(sock: Socket, page: Page, *, dev_client: bool = True, mounts: int = 1) -> View:
    """Join ``page``'s view (again: the client's rejoin of the same topic after a crash)."""
    params: dict[str, Any] = {"_csrf_token": page.csrf, "_mounts": mounts, "_mount_attempts": 0}
    if dev_client:
        params[DEV_CLIENT_PARAM] = 1
    return View(sock, page, sock.join(page, extra={"params": params}))


def events(frame: list) -> list[list]:
    """The push events a ``diff`` frame carries."""
    assert frame[3] == "diff", frame
    return frame[4].get("e", [])


@contextmanager
def dev_app(tmp_path: Path, *, production: bool = False, **views: str) -> Iterator[tuple[PyView, TestClient, dict]]:
    """An app with live reload on serving one view per keyword (``/name``, template ``name.html``)."""
    app = PyView(secret_key=SECRET, live_reload=True, production=production, https_only_cookie=False)
    classes = {}
    for name, source in views.items():
        classes[name] = make_view(tmp_path / f"{name}.html", source)
        app.add_live_view(f"/{name}", classes[name])
    with TestClient(app) as client:
        yield app, client, classes


def test_a_template_change_rerenders_the_views_that_use_it_and_keeps_their_state(tmp_path):
    with dev_app(tmp_path, counter=PAGE, other="<p>other {{ count }}</p>") as (app, client, _):
        assert app.dev_reloader is not None and app.dev_reloader.running
        with open_socket(client, get_page(client, "/counter").csrf) as sock:
            counter = join(sock, client, "/counter")
            other = join(sock, client, "/other")
            for _ in range(3):
                counter.apply(counter.click("inc"))
            assert '<p id="count">3</p>' in counter.html()

            save(tmp_path / "counter.html", '<h2 id="new">edited</h2>' + PAGE)
            counter.apply(sock.next_push(counter.topic, "diff"))
            assert '<h2 id="new">edited</h2><p id="count">3</p>' in counter.html()  # new markup, same state
            sock.assert_nothing_pending()  # the other view re-rendered too, found no change and sent nothing
            assert other.html() == "<p>other 0</p>"
            counter.apply(counter.click("inc"))  # and the view goes on with the new template
            assert '<h2 id="new">edited</h2><p id="count">4</p>' in counter.html()


def test_a_syntax_error_shows_the_overlay_on_the_last_good_render_and_the_fix_clears_it(tmp_path):
    with dev_app(tmp_path, counter=PAGE) as (_app, client, _):
        with open_socket(client, get_page(client, "/counter").csrf) as sock:
            view = join(sock, client, "/counter")
            view.apply(view.click("inc"))
            broken = '<p>{{ count }}</p>\n<script>alert("x")</script>\n{% if count %}\n{% endfor %}\n'
            save(tmp_path / "counter.html", broken)

            frame = sock.next_push(view.topic, "diff")
            assert set(frame[4]) == {"e"}  # no render was sent: the page keeps the last good one
            [[name, overlay]] = events(frame)
            assert name == ERROR_EVENT
            assert overlay["kind"] == "Template syntax error"
            assert "counter.html:4:" in overlay["title"]
            body = overlay["html"]
            assert "counter.html, line 4, column" in body
            assert '<tr class="caret">' in body and "^</td>" in body
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body  # the template's markup, escaped
            assert "<script>" not in body

            view.apply(view.click("inc"))  # alive, rendering with the last good template
            assert '<p id="count">2</p>' in view.html()
            sock.assert_nothing_pending()  # the same error is not sent again on every render

            save(tmp_path / "counter.html", '<p id="fixed">fixed</p>' + PAGE)
            frame = sock.next_push(view.topic, "diff")
            assert [CLEAR_EVENT, {}] in events(frame)
            view.apply(frame)
            assert '<p id="fixed">fixed</p><p id="count">2</p>' in view.html()


def test_a_render_error_after_an_edit_shows_the_overlay_and_keeps_the_view(tmp_path):
    with dev_app(tmp_path, counter=PAGE) as (_app, client, _):
        with open_socket(client, get_page(client, "/counter").csrf) as sock:
            view = join(sock, client, "/counter")
            view.apply(view.click("inc"))
            save(tmp_path / "counter.html", "<p>{{ count }}</p>\n<p>{{ explode() }}</p>\n")
            [[name, overlay]] = events(sock.next_push(view.topic, "diff"))
            assert name == ERROR_EVENT and "ZeroDivisionError" in overlay["html"]
            assert overlay["kind"] == "Error while rendering a template"
            assert "counter.html, line 2" in overlay["html"] and "{{ explode() }}" in overlay["html"]
            save(tmp_path / "counter.html", '<p id="again">{{ count }}</p>')
            frame = sock.next_push(view.topic, "diff")
            assert [CLEAR_EVENT, {}] in events(frame)
            view.apply(frame)
            assert '<p id="again">1</p>' in view.html()  # the state survived the failed render


def test_a_handler_crash_shows_the_python_frames_and_the_rejoined_page_clears_them_after_an_edit(tmp_path):
    with dev_app(tmp_path, counter=PAGE) as (_app, client, _):
        with open_socket(client, get_page(client, "/counter").csrf) as sock:
            view = join(sock, client, "/counter")
            ref = sock.next_ref()
            sock.send([view.jr, ref, view.topic, "event", {"type": "click", "event": "boom", "value": {}}])
            frame = sock.next_frame()
            [[name, overlay]] = events(frame)
            assert name == ERROR_EVENT and overlay["kind"] == "Unhandled exception"
            assert "RuntimeError" in overlay["title"]
            assert "handler &lt;b&gt;exploded&lt;/b&gt;" in overlay["html"]  # the message, escaped
            assert html.escape('raise RuntimeError("handler <b>exploded</b>")') in overlay["html"]  # its source line
            assert "test_dev_reload.py" in overlay["html"]
            assert sock.next_frame() == [view.jr, view.jr, view.topic, "phx_error", CRASH]

            rejoined = rejoin(sock, view.page)  # the client rejoins the same topic: a fresh mount
            assert rejoined.topic == view.topic
            assert '<p id="count">0</p>' in rejoined.html()
            save(tmp_path / "counter.html", '<p id="edited">{{ count }}</p>')
            frame = sock.next_push(rejoined.topic, "diff")
            assert [CLEAR_EVENT, {}] in events(frame)  # the next successful render after a file change


def test_a_client_without_the_overlay_gets_a_plain_crash(tmp_path):
    with dev_app(tmp_path, counter=PAGE) as (_app, client, _):
        with open_socket(client, get_page(client, "/counter").csrf) as sock:
            view = join(sock, client, "/counter", dev_client=False)
            ref = sock.next_ref()
            sock.send([view.jr, ref, view.topic, "event", {"type": "click", "event": "boom", "value": {}}])
            assert sock.next_frame() == [view.jr, view.jr, view.topic, "phx_error", CRASH]


def test_production_shows_nothing_of_the_source(tmp_path):
    with dev_app(tmp_path, production=True, counter=PAGE) as (app, client, _):
        assert app.dev_reloader is None  # live reload is never on in production
        page = get_page(client, "/counter")
        assert "pyview-dev" not in page.html
        with open_socket(client, page.csrf) as sock:
            view = join(sock, client, "/counter")  # even a client claiming the overlay gets none
            view.apply(view.click("inc"))
            ref = sock.next_ref()
            sock.send([view.jr, ref, view.topic, "event", {"type": "click", "event": "boom", "value": {}}])
            assert sock.next_frame() == [view.jr, view.jr, view.topic, "phx_error", CRASH]
            sock.assert_nothing_pending()


def test_development_pages_carry_the_sign_for_app_js(tmp_path):
    with dev_app(tmp_path, counter=PAGE) as (_app, client, _):
        assert '<meta name="pyview-dev" content="1">' in get_page(client, "/counter").html


def test_stylesheets_are_swapped_and_scripts_reload_the_page(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.css").write_text("p { color: red }", encoding="utf-8")
    (static / "app.js").write_text("console.log(1)", encoding="utf-8")
    app = PyView(secret_key=SECRET, live_reload=True)
    app.add_live_view("/counter", make_view(tmp_path / "counter.html", PAGE))
    app.routes.append(Mount("/assets", app=StaticFiles(directory=static)))
    with TestClient(app) as client, open_socket(client, get_page(client, "/counter").csrf) as sock:
        view = join(sock, client, "/counter")
        plain = join(sock, client, "/counter", dev_client=False)
        save(static / "app.css", "p { color: green }")
        assert events(sock.next_push(view.topic, "diff")) == [[ASSETS_EVENT, {"css": ["/assets/app.css"], "reload": False}]]
        save(static / "app.js", "console.log(2)")
        assert events(sock.next_push(view.topic, "diff")) == [[ASSETS_EVENT, {"css": None, "reload": True}]]
        sock.assert_nothing_pending()  # and a client without the dev loop got neither
        assert plain.click("inc")[4]["status"] == "ok"


def test_the_watcher_ends_with_the_app(tmp_path):
    with dev_app(tmp_path, counter=PAGE) as (app, _client, _):
        reloader = app.dev_reloader
        assert reloader is not None and reloader.running
    assert not reloader.running


def test_what_changes_mean():
    root = Path("/project")
    plan = WatchPlan(roots=(root,), static=((root / "static", "/static"),), hooks=frozenset({root / "views" / "page.js"}))
    changes = classify([
        root / "views" / "page.html", root / "views" / "__pyview__" / "page_html.py", root / "views" / "page.py",
        root / "static" / "app.css", root / "views" / "page.js", root / "static" / "logo.svg", root / ".page.html.swp",
    ], plan)
    assert changes.templates == [root / "views" / "page.html"]
    assert changes.stylesheets == [(root / "static" / "app.css", "/static/app.css")]
    assert changes.scripts == [root / "views" / "page.js"]


@pytest.mark.parametrize("name, restarts", [
    ("app.py", True), ("pkg/views.py", True), ("pkg/__pyview__/page_html.py", False), ("pkg/page.html", False),
    ("static/app.css", False), ("pkg/page.js", False), ("pkg/__pycache__/views.cpython-311.pyc", False),
])
def test_the_reloader_restarts_the_worker_for_python_files_only(tmp_path, monkeypatch, name, restarts):
    import uvicorn
    from uvicorn.supervisors.watchfilesreload import FileFilter

    monkeypatch.chdir(tmp_path)
    config = uvicorn.Config("app:app", reload=True, reload_excludes=RELOAD_EXCLUDES)
    assert FileFilter(config)(tmp_path / name) is restarts
