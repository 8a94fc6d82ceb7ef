"""A connected socket's method called during the HTTP render says what to do, not just that it is missing."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from pyview_core import LiveView, PyView
from pyview_core.live_socket import UnconnectedSocket

SECRET = "unconnected-socket-tests-" + "0123456789abcdefghijklmnop"


@pytest.mark.parametrize("name", ["subscribe", "broadcast", "schedule_info", "push_event", "start_job"])
def test_connected_only_methods_point_to_is_connected(name):
    with pytest.raises(AttributeError, match=rf"socket\.{name} needs a live connection.*`if is_connected\(socket\):`"):
        getattr(UnconnectedSocket(), name)


def test_other_missing_attributes_stay_plain_attribute_errors():
    socket = UnconnectedSocket()
    with pytest.raises(AttributeError, match="'UnconnectedSocket' object has no attribute 'nope'"):
        socket.nope
    assert not hasattr(socket, "_private")
    assert getattr(socket, "subscribe", None) is None  # getattr with a default still works


def test_the_dead_render_error_page_shows_the_hint(tmp_path):
    (tmp_path / "page.html").write_text("<p>hi</p>", encoding="utf-8")

    class Page(LiveView[dict]):
        template_name = str(tmp_path / "page.html")

        async def mount(self, socket, session):
            socket.context = {}
            await socket.subscribe("room")  # forgot `if is_connected(socket):`

    app = PyView(secret_key=SECRET)
    app.add_live_view("/", Page)
    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert "socket.subscribe needs a live connection" in response.text
    assert "is_connected(socket)" in response.text
