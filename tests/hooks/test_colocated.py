"""Colocated hooks (``pyview_core/colocated.py``) through the app: discovery at ``add_live_view``,
content-hashed URLs, the entry module, the page's script tags, name conflicts and development reloads.

HTTP goes through Starlette's TestClient; the browser side is tests/hooks/test_colocated_chromium.py.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator

import pytest
from colocated_views import SECRET, ViewFactory, js_path, rewrite, view_factory
from markupsafe import Markup
from starlette.testclient import TestClient

from pyview_core import PyView
from pyview_core.colocated import HookNameConflict
from pyview_core.page import PageContext, default_layout

HOOK_A = "export const Alpha = {mounted() { this.el.textContent = 'alpha'; }};\n"
HOOK_B = "export const Beta = {mounted() {}};\nexport function Gamma() {}\n"
SCRIPT_TAG = re.compile(r'<script (?:type="(module)"|(defer)) phx-track-static src="([^"]+)"></script>')



@pytest.fixture
def views(tmp_path) -> Iterator[ViewFactory]:
    """Make view modules (with or without colocated hooks) in a fresh folder."""
    yield from view_factory(tmp_path)

def make_app(*views_at: tuple[str, type], production: bool = False) -> PyView:
    app = PyView(secret_key=SECRET, production=production)
    for path, view in views_at:
        app.add_live_view(path, view)
    return app


def script_tags(client: TestClient, path: str) -> list[tuple[str, str]]:
    """(kind, src) of each script tag of the page at ``path``, in document order."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    return [(module or defer, src) for module, defer, src in SCRIPT_TAG.findall(response.text)]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


# --- discovery and the page -----------------------------------------------------------------------


def test_an_app_without_hook_files_renders_the_scripts_it_always_did(views):
    app = make_app(("/", views.make("plain")))
    assert app.colocated_hooks.files == () and app.colocated_hooks.entry_url is None
    with TestClient(app) as client:
        assert script_tags(client, "/") == [
            ("defer", "/static/pyview/vendor/phoenix.min.js"),
            ("defer", "/static/pyview/vendor/phoenix_live_view.min.js"),
            ("defer", "/static/pyview/app.js"),
        ]
        assert client.get("/static/pyview/hooks/entry.mjs").status_code == 404


def test_the_default_layout_is_byte_identical_for_classic_scripts():
    page = PageContext(
        id="phx-1", content=Markup("<p>x</p>"), title="T", title_prefix="", title_suffix=" · s",
        default_title="d", csrf_token="c", session="s", static="t", scripts=["/a.js", "/b.js?v=1"],
    )
    expected_scripts = (
        '\n<script defer phx-track-static src="/a.js"></script>'
        '\n<script defer phx-track-static src="/b.js?v=1"></script>\n</head>'
    )
    assert expected_scripts in default_layout(page)


def test_mjs_scripts_are_modules_wherever_they_are_in_the_list():
    assert PageContext.is_module("/x/entry.mjs") and PageContext.is_module("/x/entry.mjs?v=2#top")
    assert not PageContext.is_module("/x/app.js") and not PageContext.is_module("/x/app.js?f=a.mjs")


def test_the_entry_is_a_module_script_right_before_the_bootstrap_on_every_page(views):
    app = PyView(secret_key=SECRET, scripts=["/mine.js"])
    app.add_live_view("/", views.make("plain"))
    app.add_live_view("/hooked", views.make("hooked", js=HOOK_A))
    with TestClient(app) as client:
        for path in ("/", "/hooked"):  # the view without hooks loads them too: live navigation may go there
            assert script_tags(client, path) == [
                ("defer", "/static/pyview/vendor/phoenix.min.js"),
                ("defer", "/static/pyview/vendor/phoenix_live_view.min.js"),
                ("defer", "/mine.js"),
                ("module", "/static/pyview/hooks/entry.mjs"),
                ("defer", "/static/pyview/app.js"),
            ]


def test_each_file_is_served_under_its_module_and_the_hash_of_its_bytes(views):
    view = views.make("hooked", js=HOOK_A)
    app = make_app(("/", view))
    (hook_file,) = app.colocated_hooks.files
    assert hook_file.url == f"/static/pyview/hooks/{view.__module__}-{digest(HOOK_A.encode())}.js"
    assert hook_file.names == ("Alpha",)
    with TestClient(app) as client:
        response = client.get(hook_file.url)
        assert response.status_code == 200
        assert response.content == HOOK_A.encode()
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"


def test_views_sharing_a_module_share_its_file_and_a_view_at_two_paths_counts_once(views):
    view = views.make("shared", js=HOOK_A)
    other = type("Other", (view,), {"__module__": view.__module__})
    app = make_app(("/a", view), ("/b", view), ("/c", other))
    assert [f.names for f in app.colocated_hooks.files] == [("Alpha",)]


def test_discovery_reads_files_when_views_are_added_not_per_request(views, monkeypatch):
    app = make_app(("/", views.make("hooked", js=HOOK_A)))
    with TestClient(app) as client:
        def no_reads(*args, **kwargs):
            raise AssertionError("a production request read a hook file")

        monkeypatch.setattr("pyview_core.colocated.load_hook_file", no_reads)
        monkeypatch.setattr("pyview_core.colocated.hook_path", no_reads)
        app.colocated_hooks.development = False  # development re-checks files, in a worker thread
        assert client.get("/").status_code == 200
        assert client.get(app.colocated_hooks.files[0].url).status_code == 200


# --- the entry module -------------------------------------------------------------------------------


def test_the_entry_imports_every_file_and_registers_their_named_exports(views):
    a, b = views.make("first", js=HOOK_A), views.make("second", js=HOOK_B)
    app = make_app(("/a", a), ("/b", b))
    first, second = app.colocated_hooks.files
    with TestClient(app) as client:
        source = client.get(app.colocated_hooks.entry_url).text
    imports = re.findall(r'^import \* as (m\d+) from "([^"]+)";$', source, flags=re.MULTILINE)
    assert imports == [("m0", first.url), ("m1", second.url)]
    assert f'const files = [["{a.__module__}", m0], ["{b.__module__}", m1]];' in source
    assert "const hooks = (pyview.hooks = pyview.hooks || {});" in source  # keeps hooks other scripts added
    assert 'if (name === "default") continue;' in source
    assert "hooks[name] = hook;" in source
    assert "pyview.colocated = Object.keys(from);" in source  # app.js checks it ran


def test_production_hashes_the_entry_url_and_caches_everything_for_good(views):
    app = make_app(("/a", views.make("first", js=HOOK_A)), production=True)
    entry = app.colocated_hooks.entry_url
    source = app.colocated_hooks.entry_source()
    assert entry == f"/static/pyview/hooks/entry-{digest(source.encode())}.mjs"
    with TestClient(app) as client:
        assert ("module", entry) in script_tags(client, "/a")
        for url in (entry, app.colocated_hooks.files[0].url):
            response = client.get(url)
            assert response.status_code == 200
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert client.get(url, headers={"if-none-match": response.headers["etag"]}).status_code == 304
        stale = app.colocated_hooks.files[0].url.replace(app.colocated_hooks.files[0].digest, "0" * 12)
        assert client.get(stale).status_code == 404
        assert client.get("/static/pyview/hooks/entry.mjs").status_code == 404  # the development URL
        # Another view's file changes the entry, hence its URL; the page names the new one only.
        app.add_live_view("/b", views.make("second", js=HOOK_B))
        new_entry = app.colocated_hooks.entry_url
        assert new_entry != entry
        assert [src for kind, src in script_tags(client, "/a") if kind == "module"] == [new_entry]
        assert client.get(entry).status_code == 404


def test_unknown_hook_urls_are_not_found(views):
    app = make_app(("/", views.make("hooked", js=HOOK_A)))
    with TestClient(app) as client:
        for name in ("nothing.js", "no_such_module-0123456789ab.js", "entry-0123456789ab.mjs"):
            assert client.get(f"/static/pyview/hooks/{name}").status_code == 404
        assert client.get("/static/pyview/app.js").status_code == 200  # the static files are still served


# --- conflicts and diagnostics --------------------------------------------------------------------


def test_two_files_exporting_one_name_fail_at_startup_naming_both(views):
    first = views.make("first", js="export const Same = {};\n")
    second = views.make("second", js="const x = {};\nexport { x as Same };\n")
    app = make_app(("/a", first))
    with pytest.raises(HookNameConflict) as failure:
        app.add_live_view("/b", second)
    message = str(failure.value)
    assert "'Same'" in message and str(js_path(first)) in message and str(js_path(second)) in message
    assert [f.path for f in app.colocated_hooks.files] == [js_path(first)]  # nothing half-registered


def test_the_log_says_where_each_file_is_served(views, caplog):
    caplog.set_level(logging.INFO, logger="pyview_core")
    view = views.make("hooked", js=HOOK_B)
    app = make_app(("/", view))
    (hook_file,) = app.colocated_hooks.files
    assert f"colocated hooks Beta, Gamma: serving {js_path(view)} at {hook_file.url}" in caplog.messages


def test_files_without_named_hooks_are_warned_about(views, caplog):
    caplog.set_level(logging.WARNING, logger="pyview_core")
    make_app(("/a", views.make("empty", js="const helper = 1;\n")), ("/b", views.make("defaulted", js="export default {};\n")))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("empty.js export no named hook" in w for w in warnings), warnings
    assert any("defaulted.js: the default export is ignored" in w for w in warnings), warnings


# --- development ------------------------------------------------------------------------------------


def test_development_serves_an_edited_file_on_the_next_page_load(views):
    view = views.make("hooked", js=HOOK_A)
    app = make_app(("/", view))
    with TestClient(app) as client:
        first = client.get("/static/pyview/hooks/entry.mjs")
        assert first.headers["cache-control"] == "no-cache"
        old_url = app.colocated_hooks.files[0].url
        assert old_url in first.text

        edited = HOOK_A.replace("alpha", "edited alpha")
        rewrite(js_path(view), edited)
        assert script_tags(client, "/")[-2] == ("module", "/static/pyview/hooks/entry.mjs")  # one URL, revalidated
        second = client.get("/static/pyview/hooks/entry.mjs", headers={"if-none-match": first.headers["etag"]})
        assert second.status_code == 200  # not 304: the entry names the new version
        new_url = app.colocated_hooks.files[0].url
        assert new_url != old_url and new_url in second.text and old_url not in second.text
        assert client.get(new_url).text == edited
        unchanged = client.get("/static/pyview/hooks/entry.mjs", headers={"if-none-match": second.headers["etag"]})
        assert unchanged.status_code == 304


def test_development_notices_a_new_conflict_and_a_deleted_file_without_failing(views, caplog):
    caplog.set_level(logging.WARNING, logger="pyview_core")
    a, b = views.make("first", js=HOOK_A), views.make("second", js=HOOK_B)
    app = make_app(("/a", a), ("/b", b))
    with TestClient(app) as client:
        rewrite(js_path(b), HOOK_B + "export const Alpha = {};\n")
        assert client.get("/static/pyview/hooks/entry.mjs").status_code == 200
        assert any("'Alpha' is exported by both" in m for m in caplog.messages), caplog.messages

        js_path(a).unlink()
        source = client.get("/static/pyview/hooks/entry.mjs").text
        assert a.__module__ not in source and b.__module__ in source
        assert any(f"{js_path(a)} are gone" in m for m in caplog.messages), caplog.messages

        rewrite(js_path(a), HOOK_A)  # back again: loaded again
        assert a.__module__ in client.get("/static/pyview/hooks/entry.mjs").text


def test_production_does_not_look_at_the_files_again(views):
    view = views.make("hooked", js=HOOK_A)
    app = make_app(("/", view), production=True)
    url = app.colocated_hooks.files[0].url
    rewrite(js_path(view), HOOK_B)
    with TestClient(app) as client:
        assert client.get(app.colocated_hooks.entry_url).status_code == 200
        assert client.get(url).text == HOOK_A
