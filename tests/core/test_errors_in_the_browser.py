"""Where a developer sees a broken page: in development, the browser gets an error page with the
message and the source around it, and the terminal gets the short form first; in production the
app refuses to start with a broken template, and a failing page shows nothing of the source."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pyview_core import LiveView, PyView
from pyview_core.view_templates import TemplateStartupError

SECRET = "error-page-tests-secret-0123456789-abcdefghijk"
BROKEN = """<h1>{{ title }}</h1>
<p>one</p>
{% if ready %}<script>alert(1)</script>
{% endfor %}
<p>after</p>
"""


def view_with_template(folder: Path, source: str, *, mount_error: Exception | None = None) -> type[LiveView]:
    path = folder / "page.html"
    path.write_text(source, encoding="utf-8")

    class Page(LiveView[dict]):
        template_name = str(path)

        async def mount(self, socket, session):
            if mount_error is not None:
                raise mount_error
            socket.context = {"title": "Hi", "ready": True}

    return Page


def test_a_broken_template_shows_an_error_page_with_the_source_in_development(tmp_path, caplog):
    app = PyView(secret_key=SECRET)
    app.add_live_view("/", view_with_template(tmp_path, BROKEN))
    with caplog.at_level(logging.ERROR, logger="pyview_core"), TestClient(app) as client:
        response = client.get("/")
    assert response.status_code == 500
    page = response.text
    assert "page.html" in page and "endfor" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the template's own markup, escaped
    assert "<script>alert(1)" not in page
    assert "^" in page  # the caret under the column
    first_line = caplog.records[0].getMessage().splitlines()[0]
    assert "page.html:4:" in first_line  # the short form first: file:line:col


def test_a_crashing_mount_shows_the_python_frames_in_development(tmp_path):
    app = PyView(secret_key=SECRET)
    app.add_live_view("/", view_with_template(tmp_path, "<p>{{ title }}</p>", mount_error=KeyError("user_id")))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert "KeyError" in response.text and "raise mount_error" in response.text


def test_production_refuses_to_start_with_a_broken_template(tmp_path):
    app = PyView(secret_key=SECRET, production=True)
    with pytest.raises(TemplateStartupError) as refused:
        app.add_live_view("/", view_with_template(tmp_path, BROKEN))
    message = str(refused.value)
    assert message.splitlines()[0].startswith(f"{tmp_path / 'page.html'}:4:")
    assert "^" in message and "Page" in message


def test_production_shows_no_source_when_a_page_fails(tmp_path):
    app = PyView(secret_key=SECRET, production=True, https_only_cookie=False)
    app.add_live_view("/", view_with_template(tmp_path, "<p>{{ title }}</p>", mount_error=KeyError("user_id")))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert "user_id" not in response.text and "raise" not in response.text and "KeyError" not in response.text


def test_production_never_reloads_templates(tmp_path):
    view = view_with_template(tmp_path, "<p>first {{ title }}</p>")
    app = PyView(secret_key=SECRET, production=True, https_only_cookie=False)
    app.add_live_view("/", view)
    app.runtime.templates.check_interval = 0  # were auto-reload on, every request would look at the file
    (tmp_path / "page.html").write_text("<p>edited {{ title }}</p>", encoding="utf-8")
    with TestClient(app) as client:
        assert "first Hi" in client.get("/").text  # compiled at startup; the edit is not picked up
