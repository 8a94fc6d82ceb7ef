"""A root layout knows which page it wraps: ``PageContext.path`` and ``.live_session``."""

from __future__ import annotations

from starlette.testclient import TestClient

from pyview_core import LiveView, PyView
from pyview_core.page import PageContext, default_layout

SECRET = "root-layout-tests-" + "0123456789abcdefghijklmnopqrstuv"
seen: list[tuple[str, str]] = []


def marking_layout(page: PageContext) -> str:
    seen.append((page.path, page.live_session))
    nav = "".join(
        f'<a href="{href}"{" aria-current=page" if page.path == href else ""}>{href}</a>' for href in ("/a", "/b/7")
    )
    return default_layout(page).replace("<body>", f"<body><nav>{nav}</nav>", 1)


def test_the_layout_gets_the_path_and_live_session_of_the_page(tmp_path):
    (tmp_path / "page.html").write_text("<p>page</p>", encoding="utf-8")

    class Page(LiveView[dict]):
        template_name = str(tmp_path / "page.html")

        async def mount(self, socket, session):
            socket.context = {}

    app = PyView(secret_key=SECRET, root_layout=marking_layout)
    app.add_live_view("/a", Page)
    app.live_session("admin").add_live_view("/b/{id:int}", Page)
    client = TestClient(app)
    seen.clear()
    first = client.get("/a?x=1")
    second = client.get("/b/7")
    assert seen == [("/a", "default"), ("/b/7", "admin")]  # the path without the query string
    assert '<a href="/a" aria-current=page>' in first.text and '<a href="/b/7">' in first.text
    assert '<a href="/b/7" aria-current=page>' in second.text
