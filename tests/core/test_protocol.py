"""The wire protocol of ``/live/websocket`` (PROTOCOL.md §2, §3, §6, §7, §8), over Starlette's TestClient.

Every test talks to a real ``PyView`` in process: it GETs a page (the dead render), reads the
container id, the session/static tokens and the CSRF meta from the HTML, opens the WebSocket with
``?_csrf_token=…&vsn=2.0.0`` and exchanges Phoenix Channels V2 frames ``[join_ref, ref, topic,
event, payload]``. Frames the protocol spells out are compared exactly.

All sockets of a test share one event loop (``with TestClient(app)``), so pub/sub between two
sockets works as it does under uvicorn.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import protocol_views as views  # tests/core is on sys.path (pytest rootdir-less "prepend" import mode)
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from protocol_client import (  # noqa: F401  (tests/core is on sys.path)
    HOST, OK_EMPTY, ORIGIN, Closed, Socket, View, get_page, live, open_socket, wait_for,
)
from pyview_core import PyView
from pyview_core.testing import ClientRendered

SECRET = "protocol-tests-secret-0123456789-abcdefghij"
MAX_FRAME = 16_384
STALE = {"status": "error", "response": {"reason": "stale"}}
UNAUTHORIZED = {"status": "error", "response": {"reason": "unauthorized"}}
UNMATCHED = {"status": "error", "response": {"reason": "unmatched topic"}}
CRASH = {"reason": "channel_crash"}


# ================================================================================ the app


async def plain_page(request):
    return PlainTextResponse("not a live view")


def make_app(**options: Any) -> PyView:
    options.setdefault("max_frame_bytes", MAX_FRAME)
    app = PyView(secret_key=SECRET, routes=[Route("/plain", plain_page)], **options)
    app.add_live_view("/counter", views.CounterView)
    app.add_live_view("/legacy", views.LegacyView)
    app.add_live_view("/items/{id:int}", views.ItemsView)
    app.add_live_view("/nav", views.NavView)
    app.add_live_view("/other", views.OtherView)
    app.add_live_view("/go-away", views.RedirectOnMountView)
    app.add_live_view("/bounce", views.RedirectWhenConnectedView)
    app.add_live_view("/chat", views.ChatView)
    app.add_live_view("/patch-on-mount", views.PatchOnMountView)
    app.add_live_view("/admin", views.AdminView, live_session="admin")
    return app


@pytest.fixture
def app() -> PyView:
    views.DISCONNECTED.clear()
    views.DISCONNECT_FINISHED.clear()
    views.JOBS.clear()
    return make_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


# ================================================================================ transport


def test_heartbeat_reply_is_exact(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        sock.send([None, "7", "phoenix", "heartbeat", {}])
        assert sock.recv() == [None, "7", "phoenix", "phx_reply", {"status": "ok", "response": {}}]


def test_socket_url_as_sent_by_the_real_client_is_accepted(client):
    page = get_page(client, "/counter")
    extra = (
        "_track_static%5B0%5D=http%3A%2F%2Ftestserver%2Fstatic%2Fpyview%2Fapp.js"
        "&_mounts=0&_mount_attempts=0&_live_referer=undefined"
    )
    with open_socket(client, page.csrf, extra_query=extra) as sock:
        assert sock.join(page)[4]["status"] == "ok"


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://testserver.evil.example", "http://testserver:8080", "ws://testserver"])
def test_foreign_origin_is_refused_before_upgrade(client, origin):
    page = get_page(client, "/counter")
    with pytest.raises(WebSocketDisconnect) as info, open_socket(client, page.csrf, headers={"origin": origin}):
        pass
    assert info.value.code != 1000


def test_missing_origin_is_allowed_for_non_browser_clients(client):
    page = get_page(client, "/counter")
    with client.websocket_connect(f"/live/websocket?_csrf_token={quote(page.csrf)}&vsn=2.0.0") as ws:
        sock = Socket(ws)
        assert sock.join(page)[4]["status"] == "ok"


@pytest.mark.parametrize("query", ["vsn=1.0.0", "vsn=", "", "vsn=20"])
def test_unsupported_protocol_version_is_refused(client, query):
    page = get_page(client, "/counter")
    url = f"/live/websocket?_csrf_token={quote(page.csrf)}" + (f"&{query}" if query else "")
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(url, headers=ORIGIN):
        pass


def test_idle_connection_is_closed_with_1001_and_heartbeats_keep_it_open():
    with TestClient(make_app(idle_timeout=0.3)) as client:
        page = get_page(client, "/counter")
        with open_socket(client, page.csrf) as sock:
            started = time.monotonic()
            while time.monotonic() - started < 1.0:  # three times the timeout, never silent
                assert sock.heartbeat()[4] == OK_EMPTY
            with pytest.raises(Closed) as info:  # then silent: closed at the deadline
                sock.recv(timeout=10)
            assert info.value.code == 1001  # never 1000: the client would reload the page


# ================================================================================ joining


def test_join_reply_has_the_full_rendered_tree_title_and_version(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        sock.send(["4", "4", page.topic, "phx_join", {
            "url": page.url, "params": {"_csrf_token": page.csrf, "_mounts": 0, "_mount_attempts": 0},
            "session": page.session, "static": page.static, "sticky": False,
        }])
        frame = sock.recv()
        assert frame[:4] == ["4", "4", page.topic, "phx_reply"]
        assert frame[4]["status"] == "ok"
        response = frame[4]["response"]
        assert set(response) == {"rendered", "liveview_version"}
        assert response["liveview_version"] == "1.2.12"
        rendered = response["rendered"]
        assert isinstance(rendered["s"], list) and all(isinstance(s, str) for s in rendered["s"])
        assert rendered["t"] == "Counter"
        client_view = ClientRendered(rendered)
        assert client_view.title == "Counter"
        assert '<p id="count">0</p>' in client_view.html()
        # the dead render showed the same content inside the container
        assert client_view.html() in page.html


def test_refs_are_opaque_strings(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        sock.send(["jr:x", "jr:x", page.topic, "phx_join", {"url": page.url, "params": {}, "session": page.session, "static": None}])
        assert sock.recv()[:4] == ["jr:x", "jr:x", page.topic, "phx_reply"]
        sock.send(["jr:x", "ref 1/a", page.topic, "event", {"type": "click", "event": "noop", "value": {}}])
        assert sock.recv() == ["jr:x", "ref 1/a", page.topic, "phx_reply", OK_EMPTY]


def test_join_reply_carries_live_patch_when_mount_patched(client):
    page = get_page(client, "/patch-on-mount")
    with open_socket(client, page.csrf) as sock:
        reply = sock.join(page)
        assert reply[4]["status"] == "ok"
        assert reply[4]["response"]["live_patch"] == {"to": "/patch-on-mount?q=mounted", "kind": "push"}
        assert View(sock, page, reply).html() == "<div>q=mounted</div>"


def test_component_destruction_messages_are_answered(client):
    with live(client, "/counter") as (sock, view):
        assert sock.push(view.topic, view.jr, "cids_will_destroy", {"cids": [1, 2]})[4] == OK_EMPTY
        assert sock.push(view.topic, view.jr, "cids_destroyed", {"cids": [1, 2]})[4] == {
            "status": "ok", "response": {"cids": []},
        }


def test_join_with_a_null_static_token(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        assert sock.join(page, static=None)[4]["status"] == "ok"


def test_join_without_a_title_sends_no_t(client):
    page = get_page(client, "/legacy")
    with open_socket(client, page.csrf) as sock:
        reply = sock.join(page)
        assert reply[4]["status"] == "ok"
        assert "t" not in reply[4]["response"]["rendered"]


def test_join_url_with_params_of_the_same_view_runs_handle_params(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        view = View(sock, page, sock.join(page, url=HOST + "/counter?count=5"))
        assert '<p id="count">5</p>' in view.html()


def test_join_with_path_and_dataclass_params(client):
    page = get_page(client, "/items/5?page=2&sort=name&id=99")
    assert "item 5 page 2 per 10 sort name" in page.html  # the path param wins over ?id=
    with open_socket(client, page.csrf) as sock:
        view = View(sock, page, sock.join(page))
        assert "item 5 page 2 per 10 sort name" in view.html()


def _tamper(token: str) -> str:
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


@pytest.mark.parametrize(
    "session",
    ["tampered", "missing", None, "", 42, ["x"], "static-token", "not a token"],
)
def test_join_with_a_bad_session_token_is_stale(client, session):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        if session == "tampered":
            value = _tamper(page.session)
        elif session == "static-token":  # a validly signed token for another purpose
            value = page.static
        else:
            value = session
        jr = sock.next_ref()
        payload = {"url": page.url, "params": {}, "static": page.static, "session": value}
        if session == "missing":
            del payload["session"]
        sock.send([jr, jr, page.topic, "phx_join", payload])
        assert sock.receive_until(jr) == [jr, jr, page.topic, "phx_reply", STALE]
        assert sock.join(page)[4]["status"] == "ok"  # the socket is still fine


def test_session_token_of_another_view_id_is_stale(client):
    first = get_page(client, "/counter")
    second = get_page(client, "/counter")
    with open_socket(client, first.csrf) as sock:
        reply = sock.join(first, session=second.session)
        assert reply[4] == STALE
        assert sock.join(first)[4]["status"] == "ok"


@pytest.mark.parametrize("csrf", ["bad", "", None, "tampered"])
def test_bad_csrf_token_in_socket_url_makes_joins_stale(client, csrf):
    page = get_page(client, "/counter")
    token = _tamper(page.csrf) if csrf == "tampered" else csrf
    with open_socket(client, token) as sock:
        assert sock.heartbeat()[4] == OK_EMPTY  # the socket itself is accepted (like Phoenix)
        reply = sock.join(page)
        assert reply[4] == STALE
        assert sock.join(get_page(client, "/other"))[4] == STALE


def test_session_token_is_bound_to_the_cookie_session(app, client):
    page = get_page(client, "/counter")
    with TestClient(app) as stranger:  # another browser: its own cookie and CSRF secret
        own = get_page(stranger, "/counter")
        with open_socket(stranger, own.csrf) as sock:
            assert sock.join(page)[4] == STALE  # someone else's page tokens
            assert sock.join(own)[4]["status"] == "ok"


def test_join_url_of_another_view_is_unauthorized(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        assert sock.join(page, url=HOST + "/legacy")[4] == UNAUTHORIZED
        assert sock.join(page, url=HOST + "/admin")[4] == UNAUTHORIZED


@pytest.mark.parametrize(
    "url",
    [HOST + "/nowhere", HOST + "/plain", "javascript:alert(1)", "counter", None, 5, "ftp://testserver/counter"],
)
def test_join_url_that_is_not_a_live_view_is_unauthorized(client, url):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        assert sock.join(page, url=url)[4] == UNAUTHORIZED


def test_live_navigation_join_to_a_view_of_the_same_live_session(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        first = View(sock, page, sock.join(page))
        # the client leaves with the old join ref, then joins the same topic with `redirect`
        leave_ref = sock.next_ref()
        sock.send([first.jr, leave_ref, page.topic, "phx_leave", {}])
        assert sock.receive_until(leave_ref)[4] == OK_EMPTY
        reply = sock.join(page, redirect=HOST + "/other")
        assert reply[4]["status"] == "ok"
        second = View(sock, page, reply)
        assert second.jr != first.jr
        assert second.html() == "<div>other</div>"
        assert second.rendered.title == "Other"
        assert reply[4]["response"]["liveview_version"] == "1.2.12"


def test_live_navigation_join_to_another_live_session_is_unauthorized(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        assert sock.join(page, redirect=HOST + "/admin")[4] == UNAUTHORIZED
        assert sock.join(page, redirect=HOST + "/plain")[4] == UNAUTHORIZED
        assert sock.join(page, redirect=HOST + "/nowhere")[4] == UNAUTHORIZED


def test_duplicate_join_closes_the_old_channel_with_its_old_join_ref(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        old = View(sock, page, sock.join(page, join_ref="10"))
        old.apply(old.click("inc"))
        sock.send(["11", "11", page.topic, "phx_join", {
            "url": page.url, "params": {}, "session": page.session, "static": page.static,
        }])
        assert sock.recv() == ["10", "10", page.topic, "phx_close", {}]
        reply = sock.recv()
        assert reply[:4] == ["11", "11", page.topic, "phx_reply"] and reply[4]["status"] == "ok"
        new = View(sock, page, reply)
        assert '<p id="count">0</p>' in new.html()  # a fresh mount
        # the old join ref is stale now: ignored without a reply
        ref = sock.next_ref()
        sock.send(["10", ref, page.topic, "event", {"type": "click", "event": "inc", "value": {}}])
        sock.assert_nothing_pending()
        assert new.apply(new.click("inc"))["diff"]
        assert '<p id="count">1</p>' in new.html()


def test_upload_channel_join_is_an_error(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        sock.send(["3", "3", "lvu:0", "phx_join", {"token": "whatever"}])
        reply = sock.recv()
        assert reply[:4] == ["3", "3", "lvu:0", "phx_reply"]
        assert reply[4]["status"] == "error"
        assert sock.heartbeat()[4] == OK_EMPTY


def test_join_of_an_unknown_topic_kind_is_an_error(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        sock.send(["3", "3", "room:lobby", "phx_join", {}])
        reply = sock.recv()
        assert reply[1:4] == ["3", "room:lobby", "phx_reply"] and reply[4]["status"] == "error"


@pytest.mark.parametrize("event", ["event", "live_patch", "heartbeat", "cids_destroyed", "whatever"])
def test_message_on_an_unjoined_topic_is_unmatched(client, event):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        sock.send(["1", "2", "lv:phx-nope", event, {"event": "inc", "type": "click", "value": {}}])
        assert sock.recv() == [None, "2", "lv:phx-nope", "phx_reply", UNMATCHED]


def test_phx_leave_on_an_unjoined_topic_is_ok(client):
    page = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        sock.send(["1", "2", "lv:phx-nope", "phx_leave", {}])
        assert sock.recv() == ["1", "2", "lv:phx-nope", "phx_reply", OK_EMPTY]


def test_phx_leave_stops_the_channel(client):
    page = get_page(client, "/chat?tag=leaver")
    with open_socket(client, page.csrf) as sock:
        view = View(sock, page, sock.join(page))
        assert client.app.pubsub.subscriber_count("room") == 1
        ref = sock.next_ref()
        sock.send([view.jr, ref, page.topic, "phx_leave", {}])
        assert sock.receive_until(ref) == [view.jr, ref, page.topic, "phx_reply", OK_EMPTY]
        assert view.click("say", {"text": "x"})[4] == UNMATCHED  # gone at once
        wait_for(lambda: views.DISCONNECT_FINISHED == ["leaver"])  # torn down after the reply, as Phoenix does
        assert client.app.pubsub.subscriber_count("room") == 0


def test_message_with_a_stale_join_ref_is_ignored(client):
    with live(client, "/counter") as (sock, view):
        ref = sock.next_ref()
        sock.send(["999", ref, view.topic, "event", {"type": "click", "event": "inc", "value": {}}])
        ref2 = sock.next_ref()
        sock.send(["999", ref2, view.topic, "phx_leave", {}])
        sock.assert_nothing_pending()
        # and nothing happened: the count is still 0, the channel still joined
        view.apply(view.click("inc"))
        assert '<p id="count">1</p>' in view.html()


def test_channel_cap_is_100_per_connection(client):
    pages = [get_page(client, "/other") for _ in range(101)]
    with open_socket(client, pages[0].csrf) as sock:
        for page in pages[:100]:
            assert sock.join(page)[4]["status"] == "ok"
        assert sock.join(pages[100])[4] == {"status": "error", "response": {"reason": "too many channels joined"}}
        # leaving one frees a slot; rejoining an already joined topic does not need one
        ref = sock.next_ref()
        sock.send([None, ref, pages[0].topic, "phx_leave", {}])
        assert sock.receive_until(ref)[4] == OK_EMPTY
        assert sock.join(pages[100])[4]["status"] == "ok"
        assert sock.join(pages[1])[4]["status"] == "ok"


def test_redirect_from_mount_on_the_dead_render_is_an_http_redirect(client):
    response = client.get("/go-away", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/counter"


def test_redirect_from_the_connected_mount_answers_the_join_with_a_redirect(client):
    page = get_page(client, "/bounce")
    with open_socket(client, page.csrf) as sock:
        reply = sock.join(page)
        assert reply[4] == {"status": "error", "response": {"redirect": {"to": "/counter"}}}
        assert sock.push(page.topic, reply[0], "event", {"type": "click", "event": "x", "value": {}})[4] == UNMATCHED


def test_bad_typed_param_on_the_dead_render_is_400_and_on_join_an_error(client):
    assert client.get("/items/5?page=abc").status_code == 400
    page = get_page(client, "/items/5")
    with open_socket(client, page.csrf) as sock:
        reply = sock.join(page, url=HOST + "/items/5?page=abc")
        assert reply[4]["status"] == "error"
        assert sock.join(page)[4]["status"] == "ok"


# ================================================================================ events


def test_click_with_typed_value(client):
    with live(client, "/counter") as (_sock, view):
        reply = view.click("add", {"amount": "5", "value": ""})
        assert reply[:4] == [view.jr, reply[1], view.topic, "phx_reply"]
        response = view.apply(reply)
        assert set(response) == {"diff"}
        assert '<p id="count">5</p>' in view.html()
        view.apply(view.click("add", {"amount": 3}))  # a JSON number from JS.push / a hook
        assert '<p id="count">8</p>' in view.html()
        view.apply(view.click("inc"))
        assert '<p id="count">9</p>' in view.html()


def test_form_event_with_nested_keys_and_target(client):
    with live(client, "/counter") as (sock, view):
        reply = sock.push(view.topic, view.jr, "event", {
            "type": "form", "event": "validate",
            "value": "user%5Bname%5D=Jo&user%5B_unused_ok%5D=&user%5Bok%5D=true",
            "meta": {"_target": "user[name]"}, "uploads": {},
        })
        view.apply(reply)
        assert '<p id="form">Jo|true|user/name</p>' in view.html()


def test_event_whose_payload_does_not_convert_is_an_error_and_the_view_lives(client):
    with live(client, "/counter") as (_sock, view):
        for bad in ({"amount": "abc"}, {}, {"amount": {"x": 1}}, {"amount": 1.5}, {"amount": None}, {"amount": True}):
            reply = view.click("add", bad)
            assert reply[4]["status"] == "error", bad
            assert set(reply[4]["response"]) == {"reason"}
        view.apply(view.click("add", {"amount": "2"}))
        assert '<p id="count">2</p>' in view.html()


def test_unknown_event_is_an_error_and_the_view_lives(client):
    with live(client, "/counter") as (_sock, view):
        reply = view.click("no_such_event")
        assert reply[4]["status"] == "error"
        view.apply(view.click("inc"))
        assert '<p id="count">1</p>' in view.html()


def test_lv_clear_flash_is_ok_and_other_lv_events_are_errors(client):
    with live(client, "/counter") as (_sock, view):
        reply = view.click("lv:clear-flash", {"key": "info"})
        assert reply[4]["status"] == "ok"
        for name in ("lv:other", "lv:", "lv:clear-flash-x"):
            assert view.click(name)[4]["status"] == "error", name
        view.apply(view.click("inc"))
        assert '<p id="count">1</p>' in view.html()


def test_event_without_change_replies_an_empty_object(client):
    with live(client, "/counter") as (_sock, view):
        reply = view.click("noop")
        assert reply == [view.jr, reply[1], view.topic, "phx_reply", OK_EMPTY]


def test_legacy_handle_event(client):
    with live(client, "/legacy") as (_sock, view):
        view.apply(view.click("anything", {"v": "42"}))
        assert view.html() == "<div>anything:42</div>"
        view.apply(view.click("other", {"v": 7}))
        assert view.html() == "<div>other:7</div>"


def test_push_event_travels_as_e_in_the_reply_diff(client):
    with live(client, "/counter") as (_sock, view):
        reply = view.click("ping", {"n": "3"})
        assert reply[4] == {"status": "ok", "response": {"diff": {"e": [["pong", {"n": 3}]]}}}


def test_title_change_travels_as_t_once(client):
    with live(client, "/counter") as (_sock, view):
        assert view.rendered.title == "Counter"
        assert view.click("retitle", {"title": "New <title>"})[4] == {
            "status": "ok", "response": {"diff": {"t": "New <title>"}},
        }
        assert view.click("retitle", {"title": "New <title>"})[4] == OK_EMPTY


# ================================================================================ crashes


def test_handler_exception_crashes_only_that_channel(client):
    counter = get_page(client, "/counter")
    legacy = get_page(client, "/legacy")
    with open_socket(client, counter.csrf) as sock:
        view = View(sock, counter, sock.join(counter))
        other = View(sock, legacy, sock.join(legacy))
        view.apply(view.click("inc"))
        ref = sock.next_ref()
        sock.send([view.jr, ref, view.topic, "event", {"type": "click", "event": "boom", "value": {}}])
        assert sock.recv() == [view.jr, view.jr, view.topic, "phx_error", CRASH]
        # the crashed channel is gone ...
        assert view.click("inc")[4] == UNMATCHED
        # ... the other view on the same connection works ...
        other.apply(other.click("hello", {"v": "1"}))
        assert other.html() == "<div>hello:1</div>"
        # ... a second connection works ...
        with live(client, "/counter") as (_sock2, view2):
            view2.apply(view2.click("inc"))
            assert '<p id="count">1</p>' in view2.html()
        # ... and the client's rejoin of the crashed topic mounts from scratch
        reply = sock.join(counter, extra={"params": {"_csrf_token": counter.csrf, "_mounts": 1}})
        rejoined = View(sock, counter, reply)
        assert '<p id="count">0</p>' in rejoined.html()
        rejoined.apply(rejoined.click("inc"))
        assert '<p id="count">1</p>' in rejoined.html()


def test_handle_info_exception_pushes_phx_error(client):
    with live(client, "/chat?tag=crasher") as (sock, view):
        assert view.click("crash_soon")[4] == OK_EMPTY
        assert sock.next_frame() == [view.jr, view.jr, view.topic, "phx_error", CRASH]
        wait_for(lambda: "crasher" in views.DISCONNECTED)
        assert client.app.pubsub.subscriber_count("room") == 0


# ================================================================================ live_patch


def test_live_patch_to_the_same_view_replies_with_a_diff(client):
    with live(client, "/items/5") as (sock, view):
        assert "item 5 page 1 per 10 sort id" in view.html()
        reply = sock.push(view.topic, view.jr, "live_patch", {"url": HOST + "/items/7?page=2&sort=name"})
        assert set(view.apply(reply)) == {"diff"}
        assert "item 7 page 2 per 10 sort name" in view.html()
        # the same URL again: nothing changed
        reply = sock.push(view.topic, view.jr, "live_patch", {"url": HOST + "/items/7?page=2&sort=name"})
        assert reply[4] == OK_EMPTY


def test_live_patch_with_a_bad_param_is_an_error_and_the_view_lives(client):
    with live(client, "/items/5") as (sock, view):
        reply = sock.push(view.topic, view.jr, "live_patch", {"url": HOST + "/items/5?page=abc"})
        assert reply[4]["status"] == "error"
        view.apply(sock.push(view.topic, view.jr, "live_patch", {"url": HOST + "/items/6"}))
        assert "item 6 page 1" in view.html()


def test_live_patch_to_another_view_of_the_live_session_is_a_link_redirect(client):
    with live(client, "/counter") as (sock, view):
        reply = sock.push(view.topic, view.jr, "live_patch", {"url": HOST + "/other"})
        assert reply == [view.jr, reply[1], view.topic, "phx_reply", {"status": "ok", "response": {"link_redirect": True}}]


@pytest.mark.parametrize(
    "url",
    [HOST + "/admin", HOST + "/plain", HOST + "/nowhere", "javascript:alert(1)", "relative/path", None, 3, ["x"]],
)
def test_live_patch_to_a_url_that_is_not_live_here_is_an_error(client, url):
    with live(client, "/counter") as (sock, view):
        reply = sock.push(view.topic, view.jr, "live_patch", {"url": url})
        assert reply[4]["status"] == "error"
        view.apply(view.click("inc"))
        assert '<p id="count">1</p>' in view.html()


# ================================================================================ navigation


def test_push_patch_from_an_event(client):
    with live(client, "/nav") as (_sock, view):
        reply = view.click("go", {"kind": "patch", "to": "/nav?q=hello"})
        response = view.apply(reply)
        assert set(response) == {"diff", "live_patch"}
        assert response["live_patch"] == {"to": "/nav?q=hello", "kind": "push"}
        assert view.html() == "<div>q=hello</div>"
        response = view.apply(view.click("go_q", {"q": "a b&c"}))
        assert response["live_patch"] == {"to": "/nav?q=a+b%26c", "kind": "push"}
        assert view.html() == "<div>q=a b&amp;c</div>"


@pytest.mark.parametrize("kind, history", [("navigate", "push"), ("replace", "replace")])
def test_push_navigate_from_an_event(client, kind, history):
    with live(client, "/nav") as (sock, view):
        reply = view.click("go", {"kind": kind, "to": "/other"})
        assert reply[4] == {"status": "ok", "response": {"live_redirect": {"to": "/other", "kind": history}}}
        # the view stopped; the client leaves (ok) and joins the target with `redirect`
        ref = sock.next_ref()
        sock.send([view.jr, ref, view.topic, "phx_leave", {}])
        assert sock.receive_until(ref)[4] == OK_EMPTY
        assert View(sock, view.page, sock.join(view.page, redirect=HOST + "/other")).html() == "<div>other</div>"


def test_redirect_from_an_event_replies_and_closes(client):
    with live(client, "/nav") as (sock, view):
        reply = view.click("go", {"kind": "redirect", "to": "/plain"})
        assert reply[4] == {"status": "ok", "response": {"redirect": {"to": "/plain"}}}
        assert sock.next_frame() == [view.jr, view.jr, view.topic, "phx_close", {}]
        assert view.click("go", {"kind": "patch", "to": "/nav"})[4] == UNMATCHED


def test_push_patch_from_handle_info_pushes_live_patch_then_diff(client):
    with live(client, "/nav") as (sock, view):
        assert view.click("go_later", {"kind": "patch", "to": "/nav?q=later"})[4] == OK_EMPTY
        assert sock.next_frame() == [view.jr, None, view.topic, "live_patch", {"to": "/nav?q=later", "kind": "push"}]
        diff = sock.next_frame()
        assert diff[:4] == [view.jr, None, view.topic, "diff"]
        view.apply(diff)
        assert view.html() == "<div>q=later</div>"


@pytest.mark.parametrize("kind, history", [("navigate", "push"), ("replace", "replace")])
def test_push_navigate_from_handle_info_pushes_live_redirect(client, kind, history):
    with live(client, "/nav") as (sock, view):
        assert view.click("go_later", {"kind": kind, "to": "/other"})[4] == OK_EMPTY
        assert sock.next_frame() == [view.jr, None, view.topic, "live_redirect", {"to": "/other", "kind": history}]
        assert view.click("go", {"kind": "patch", "to": "/nav"})[4] == UNMATCHED  # the view stopped


def test_redirect_from_handle_info_pushes_redirect_and_closes(client):
    with live(client, "/nav") as (sock, view):
        assert view.click("go_later", {"kind": "redirect", "to": "/plain?x=1"})[4] == OK_EMPTY
        assert sock.next_frame() == [view.jr, None, view.topic, "redirect", {"to": "/plain?x=1"}]
        assert sock.next_frame() == [view.jr, view.jr, view.topic, "phx_close", {}]




@pytest.mark.parametrize("via", ["event", "handle_info"])
def test_live_redirect_is_followed_by_phx_close(client, via):
    with live(client, "/nav") as (sock, view):
        if via == "event":
            assert "live_redirect" in view.click("go", {"kind": "navigate", "to": "/other"})[4]["response"]
        else:
            view.click("go_later", {"kind": "navigate", "to": "/other"})
            assert sock.next_frame()[3] == "live_redirect"
        assert sock.heartbeat()[4] == OK_EMPTY  # everything the server sent for it has arrived
        assert [view.jr, view.jr, view.topic, "phx_close", {}] in sock.inbox


UNSAFE_TARGETS = ["//evil.com", "/\t/evil.com", "javascript:alert(1)", "/\\evil.com", "https://evil.com", "/%09/evil.com"]


@pytest.mark.parametrize("kind", ["patch", "navigate", "redirect"])
@pytest.mark.parametrize("target", UNSAFE_TARGETS)
@pytest.mark.parametrize("event", ["go", "go_later"])
def test_unsafe_navigation_targets_never_reach_the_client(client, kind, target, event):
    with live(client, "/nav") as (sock, view):
        ref = sock.next_ref()
        sock.send([view.jr, ref, view.topic, "event", {"type": "click", "event": event, "value": {"kind": kind, "to": target}}])
        frames = []
        while True:
            frame = sock.recv()
            frames.append(frame)
            if frame[3] == "phx_error" or (frame[1] == ref and frame[4].get("status") == "error"):
                break
        for frame in frames:
            payload = json.dumps(frame)
            assert "evil" not in payload and "javascript" not in payload, frame
            assert frame[3] not in ("live_patch", "live_redirect", "redirect"), frame
        assert frames[-1] == [view.jr, view.jr, view.topic, "phx_error", CRASH]
        with live(client, "/nav") as (_sock2, view2):  # the server goes on
            assert view2.click("go", {"kind": "patch", "to": "/nav?q=ok"})[4]["status"] == "ok"


# ================================================================================ real time


def test_broadcast_reaches_the_other_socket_as_a_diff_push(client):
    with live(client, "/chat?tag=a") as (sock_a, view_a), live(client, "/chat?tag=b") as (sock_b, view_b):
        assert client.app.pubsub.subscriber_count("room") == 2
        reply = view_a.click("say", {"text": "hi <b>"})
        assert reply[4]["status"] == "ok"
        view_a.apply(reply)
        push = sock_b.next_push(view_b.topic, "diff")
        assert push[:4] == [view_b.jr, None, view_b.topic, "diff"]
        view_b.apply(push)
        assert "<li>hi &lt;b&gt;</li>" in view_b.html()
        # the sender is a subscriber too
        view_a.apply(sock_a.next_push(view_a.topic, "diff"))
        assert "<li>hi &lt;b&gt;</li>" in view_a.html()


def test_schedule_info_once_pushes_a_diff(client):
    with live(client, "/chat?tag=t") as (sock, view):
        assert view.click("tick_soon")[4] == OK_EMPTY
        push = sock.next_push(view.topic, "diff")
        view.apply(push)
        assert "ticks 1" in view.html()
        sock.assert_nothing_pending()


def test_push_event_and_title_in_a_pushed_diff(client):
    with live(client, "/chat?tag=p") as (sock, view):
        assert view.click("ping_soon")[4] == OK_EMPTY
        push = sock.next_push(view.topic, "diff")
        assert push == [view.jr, None, view.topic, "diff", {"e": [["pinged", {"ticks": 0}]], "t": "Pinged"}]


def test_disconnect_after_close_releases_timers_and_subscriptions(client):
    with live(client, "/chat?tag=closer") as (sock, _view):
        assert client.app.pubsub.subscriber_count("room") == 1
        sock.ws.close(1001)
        wait_for(lambda: "closer" in views.DISCONNECTED)
        assert client.app.pubsub.subscriber_count("room") == 0


def test_duplicate_join_and_crash_release_subscriptions(client):
    page = get_page(client, "/chat?tag=dup")
    with open_socket(client, page.csrf) as sock:
        first = View(sock, page, sock.join(page))
        assert client.app.pubsub.subscriber_count("room") == 1
        second = View(sock, page, sock.join(page))
        assert sock.inbox.pop(0) == [first.jr, first.jr, page.topic, "phx_close", {}]
        assert client.app.pubsub.subscriber_count("room") == 1
        assert views.DISCONNECTED == ["dup"]
        second.apply(second.click("say", {"text": "once"}))
        view_push = sock.next_push(page.topic, "diff")
        assert view_push[0] == second.jr
        second.apply(view_push)
        assert second.html().count("<li>once</li>") == 1


def test_disconnect_runs_after_timers_are_cancelled(client):
    with live(client, "/chat?tag=beater") as (sock, view):
        assert view.click("beat_fast")[4] == OK_EMPTY
        wait_for(lambda: views.BEATS.count("beater") >= 2)
        sock.ws.close(1001)
        wait_for(lambda: "beater" in views.DISCONNECT_FINISHED)
        # Timers are cancelled and awaited before disconnect() runs; that nothing of the view is
        # left running afterwards is tests/core/test_runtime.py's views-are-freed test.
        assert client.app.pubsub.subscriber_count("room") == 0




def test_a_job_reports_through_send_info_in_order_and_ends_with_the_view(client):
    with live(client, "/chat?tag=worker") as (sock, view):
        assert view.click("job_start", {"ticks": "3"})[4] == OK_EMPTY
        for n in (1, 2, 3):
            view.apply(sock.next_push(view.topic, "diff"))
            assert f"ticks {n}" in view.html()
        assert views.JOBS == ["worker started"]
        sock.ws.close(1001)
        wait_for(lambda: "worker" in views.DISCONNECTED)
        wait_for(lambda: "worker ended" in views.JOBS)


def test_an_exception_in_a_job_crashes_only_that_view(client):
    with live(client, "/chat?tag=calm") as (sock, calm), live(client, "/chat?tag=boom") as (sock_b, boom):
        assert boom.click("job_crash")[4] == OK_EMPTY
        assert sock_b.next_frame() == [boom.jr, boom.jr, boom.topic, "phx_error", CRASH]
        wait_for(lambda: "boom" in views.DISCONNECTED)
        calm.apply(calm.click("tick_soon"))
        calm.apply(sock.next_push(calm.topic, "diff"))
        assert "ticks 1" in calm.html()


def test_send_info_from_a_handler_arrives_after_its_reply(client):
    with live(client, "/chat?tag=self") as (sock, view):
        reply = view.click("send_self")
        view.apply(reply)
        assert "<li>handler</li>" in view.html() and "ticks 0" in view.html()
        view.apply(sock.next_push(view.topic, "diff"))
        assert "ticks 1" in view.html()


@pytest.mark.parametrize("trigger, tag", [("navigate_soon", "nav-info"), ("crash_soon", "crash-info")])
def test_disconnect_completes_when_handle_info_ends_the_view(client, trigger, tag):
    with live(client, f"/chat?tag={tag}") as (sock, view):
        assert view.click(trigger)[4] == OK_EMPTY
        assert sock.next_frame()[3] in ("live_redirect", "phx_error")
        wait_for(lambda: tag in views.DISCONNECT_FINISHED)
        assert views.DISCONNECTED.count(tag) == 1


def test_disconnect_completes_when_an_event_ends_the_view(client):
    page = get_page(client, "/chat?tag=leave-event")
    with open_socket(client, page.csrf) as sock:
        view = View(sock, page, sock.join(page))
        ref = sock.next_ref()
        sock.send([view.jr, ref, page.topic, "phx_leave", {}])
        assert sock.receive_until(ref)[4] == OK_EMPTY
        wait_for(lambda: views.DISCONNECT_FINISHED == ["leave-event"])



# ================================================================================ robustness


def _frame(*parts: Any) -> str:
    return json.dumps(list(parts), ensure_ascii=False)


def _event(view: View, payload: Any) -> str:
    return _frame(view.jr, "g1", view.topic, "event", payload)


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _binary(jr: str, ref: str, topic: str, event: str, body: bytes, kind: int = 0) -> bytes:
    fields = [f.encode() for f in (jr, ref, topic, event)]
    return bytes([kind, *(len(f) for f in fields)]) + b"".join(fields) + body



# (id, builder(view, spare_page) -> str | bytes, closes_the_connection)
CORPUS = [
    ("not-json", lambda v, s: "hello{", False),
    ("json-number", lambda v, s: "42", False),
    ("json-string", lambda v, s: '"[null,\\"1\\",\\"phoenix\\",\\"heartbeat\\",{}]"', False),
    ("json-null", lambda v, s: "null", False),
    ("json-object", lambda v, s: '{"topic": "phoenix", "event": "heartbeat"}', False),
    ("empty-list", lambda v, s: "[]", False),
    ("4-elements", lambda v, s: '[null,"g1","phoenix","heartbeat"]', False),
    ("6-elements", lambda v, s: '[null,"g1","phoenix","heartbeat",{},{}]', False),
    ("topic-number", lambda v, s: _frame(None, "g1", 5, "heartbeat", {}), False),
    ("ref-number", lambda v, s: _frame(None, 7, "phoenix", "heartbeat", {}), False),
    ("join-ref-object", lambda v, s: _frame({}, "g1", v.topic, "event", {"event": "inc"}), False),
    ("event-number", lambda v, s: _frame(v.jr, "g1", v.topic, 7, {}), False),
    ("payload-list", lambda v, s: _frame(v.jr, "g1", v.topic, "event", []), False),
    ("payload-string", lambda v, s: _frame(v.jr, "g1", v.topic, "event", "inc"), False),
    ("payload-null", lambda v, s: _frame(v.jr, "g1", v.topic, "event", None), False),
    ("heartbeat-payload-list", lambda v, s: _frame(None, "g1", "phoenix", "heartbeat", []), False),
    ("unknown-phoenix-event", lambda v, s: _frame(None, "g1", "phoenix", "phx_join", {}), False),
    ("unknown-topic", lambda v, s: _frame("1", "g1", "lv:phx-unknown", "event", {"event": "inc"}), False),
    ("unknown-event-on-joined-topic", lambda v, s: _frame(v.jr, "g1", v.topic, "whatever", {}), False),
    ("event-without-event", lambda v, s: _event(v, {"type": "click", "value": {}}), False),
    ("event-name-not-string", lambda v, s: _event(v, {"type": "click", "event": ["inc"], "value": {}}), False),
    ("event-value-list", lambda v, s: _event(v, {"type": "click", "event": "add", "value": [1, 2]}), False),
    ("event-value-string", lambda v, s: _event(v, {"type": "click", "event": "add", "value": "5"}), False),
    ("form-value-not-string", lambda v, s: _event(v, {"type": "form", "event": "validate", "value": {"a": 1}}), False),
    ("form-value-bad-utf8", lambda v, s: _event(v, {"type": "form", "event": "validate", "value": "user%5Bname%5D=%FF"}), False),
    ("form-too-many-fields", lambda v, s: _event(v, {"type": "form", "event": "validate", "value": "a=1&" * 1500}), False),
    ("form-too-deep", lambda v, s: _event(v, {"type": "form", "event": "validate", "value": "user" + "[a]" * 200 + "=1"}), False),
    ("form-conflicting-keys", lambda v, s: _event(v, {"type": "form", "event": "validate", "value": "user=1&user%5Bname%5D=x"}), False),
    ("form-meta-garbage", lambda v, s: _event(v, {"type": "form", "event": "validate", "value": "user%5Bname%5D=x", "meta": {"_target": 5}}), False),
    ("form-meta-not-object", lambda v, s: _event(v, {"type": "form", "event": "validate", "value": "user%5Bname%5D=x", "meta": "x"}), False),
    ("deeply-nested-json", lambda v, s: "[" * 7000 + "]" * 7000, False),
    ("deeply-nested-value", lambda v, s: _event(v, {"type": "click", "event": "add", "value": {"amount": json.loads(_nested(900))}}), False),
    ("escaped-lone-surrogate", lambda v, s: '[null,"g1","phoenix","heartbeat",{"x":"\\ud800"}]', False),
    ("number-overflow", lambda v, s: '[null,"g1","phoenix","heartbeat",{"x":1e999}]', False),
    ("huge-integer", lambda v, s: '[null,"g1","phoenix","heartbeat",{"x":' + "9" * 5000 + "}]", False),
    ("join-null-join-ref", lambda v, s: _frame(None, "g1", s.topic, "phx_join", {"session": s.session, "url": s.url}), False),
    ("join-garbage-payload", lambda v, s: _frame("j1", "j1", s.topic, "phx_join", {"session": {"x": 1}, "url": [], "params": 5}), False),
    ("join-url-not-string", lambda v, s: _frame("j1", "j1", s.topic, "phx_join", {"session": s.session, "url": {"x": 1}}), False),
    pytest.param(
        "join-url-bad-ipv6", lambda v, s: _frame("j1", "j1", s.topic, "phx_join", {"session": s.session, "url": "http://[::1/counter"}), False, id="join-url-bad-ipv6",
    ),
    pytest.param(
        "join-url-huge-int-path", lambda v, s: _frame("j1", "j1", s.topic, "phx_join", {"session": s.session, "redirect": HOST + "/items/" + "9" * 5000}), False, id="join-url-huge-int-path",
    ),
    ("live-patch-bad-ipv6", lambda v, s: _frame(v.jr, "g1", v.topic, "live_patch", {"url": "http://[::1/counter"}), False),
    ("live-patch-url-object", lambda v, s: _frame(v.jr, "g1", v.topic, "live_patch", {"url": {"x": 1}}), False),
    pytest.param(
        "live-patch-huge-int-path", lambda v, s: _frame(v.jr, "g1", v.topic, "live_patch", {"url": HOST + "/items/" + "9" * 5000}), False, id="live-patch-huge-int-path",
    ),
    ("cids-destroyed-garbage", lambda v, s: _frame(v.jr, "g1", v.topic, "cids_destroyed", {"cids": "x"}), False),
    ("allow-upload-garbage", lambda v, s: _frame(v.jr, "g1", v.topic, "allow_upload", {"ref": 1, "entries": "x"}), False),
    ("binary-garbage", lambda v, s: b"\xff\xfe\x00garbage", False),
    ("binary-empty", lambda v, s: b"", False),
    ("binary-short-header", lambda v, s: b"\x00\x05", False),
    ("binary-lengths-beyond-data", lambda v, s: b"\x00\xff\xff\xff\xff" + b"x" * 10, False),
    ("binary-not-utf8-fields", lambda v, s: b"\x00\x02\x02\x02\x02" + b"\xff\xfe" * 4 + b"body", False),
    ("binary-chunk-on-joined-topic", lambda v, s: _binary(v.jr, "g1", v.topic, "chunk", b"data"), False),
    ("binary-chunk-on-lvu-topic", lambda v, s: _binary("9", "g1", "lvu:0", "chunk", b"data"), False),
    ("binary-kind-reply", lambda v, s: _binary(v.jr, "g1", v.topic, "event", b"{}", kind=1), False),
    ("oversized-text", lambda v, s: _frame(None, "g1", "phoenix", "heartbeat", {"x": "y" * MAX_FRAME}), True),
    ("oversized-binary", lambda v, s: _binary(v.jr, "g1", v.topic, "chunk", b"z" * MAX_FRAME), True),
    pytest.param(
        "oversized-in-bytes-not-characters", lambda v, s: _frame(None, "g1", "phoenix", "heartbeat", {"x": "\u20ac" * (MAX_FRAME // 2)}), True, id="oversized-in-bytes-not-characters",
    ),
]


@pytest.mark.parametrize("name, build, closes", [pytest.param(*c, id=c[0]) if type(c) is tuple else c for c in CORPUS])
def test_malformed_frame_does_not_break_the_server(client, name, build, closes):
    page = get_page(client, "/counter")
    spare = get_page(client, "/counter")
    with open_socket(client, page.csrf) as sock:
        view = View(sock, page, sock.join(page))
        data = build(view, spare)
        if isinstance(data, bytes):
            sock.send_bytes(data)
        else:
            sock.send(data)
        if closes:
            with pytest.raises(Closed) as info:
                while True:
                    sock.recv(timeout=1)
            assert info.value.code == 1009  # "message too big"; never 1000
        else:
            # the same connection still answers, and can still join and click
            assert sock.heartbeat()[4] == OK_EMPTY
            fresh = View(sock, get_page(client, "/counter"), sock.join(get_page(client, "/counter")))
            fresh.apply(fresh.click("inc"))
            assert '<p id="count">1</p>' in fresh.html()
            for frame in sock.inbox:  # whatever was answered is a well-formed frame
                assert frame[3] in ("phx_reply", "phx_error", "phx_close"), frame
    # a second client connected afterwards works
    with live(client, "/counter") as (sock2, view2):
        assert sock2.heartbeat()[4] == OK_EMPTY
        view2.apply(view2.click("add", {"amount": "2"}))
        assert '<p id="count">2</p>' in view2.html()




def test_unserializable_push_event_value_crashes_only_the_view(client):
    counter = get_page(client, "/counter")
    legacy = get_page(client, "/legacy")
    with open_socket(client, counter.csrf) as sock:
        view = View(sock, counter, sock.join(counter))
        other = View(sock, legacy, sock.join(legacy))
        ref = sock.next_ref()
        sock.send([view.jr, ref, view.topic, "event", {"type": "click", "event": "push_unserializable", "value": {}}])
        frame = sock.recv(timeout=1)
        assert frame == [view.jr, view.jr, view.topic, "phx_error", CRASH] or frame[4]["status"] == "error"
        hb = sock.next_ref()
        sock.send([None, hb, "phoenix", "heartbeat", {}])
        assert sock.recv(timeout=1) == [None, hb, "phoenix", "phx_reply", OK_EMPTY]
        other.apply(other.click("still", {"v": "here"}))
        assert other.html() == "<div>still:here</div>"


_DEEP_JSON_SCRIPT = r"""
import sys
sys.path.insert(0, {core!r})
from starlette.testclient import TestClient
import test_protocol as t
app = t.make_app(max_frame_bytes=1_000_000)  # the default limit
with TestClient(app) as client:
    page = t.get_page(client, "/counter")
    with t.open_socket(client, page.csrf) as sock:
        sock.send('{{"a":' * 130_000 + "1" + "}}" * 130_000)  # ~780 kB, under the frame limit
        assert sock.heartbeat()[4] == t.OK_EMPTY
print("survived")
"""


def test_deeply_nested_frame_under_the_default_limit_does_not_kill_the_process():
    import subprocess
    import sys
    from pathlib import Path

    core = str(Path(__file__).resolve().parent)
    script = _DEEP_JSON_SCRIPT.format(core=core)
    result = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60,
        cwd=str(Path(core).parents[1]),
    )
    assert result.returncode == 0 and "survived" in result.stdout, (result.returncode, result.stderr[-2000:])
