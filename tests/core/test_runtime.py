"""The actor runtime (DESIGN.md §10) over the real protocol: what a slow, crashing or flooded view
must not do to its socket, its neighbours or the server's memory.

Each test here reproduces a defect of the runtime before the actor model (head-of-line
blocking, leaked timers, unbounded queues, teardown races, errors reported in the wrong place)
and fails on that code.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from typing import Any

import protocol_views as views
import pytest
from protocol_client import OK_EMPTY, Closed, Socket, View, get_page, live, open_socket
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from pyview_core import PyView
from pyview_core.pubsub import InMemoryPubSub
from pyview_core.runtime import Limits

SECRET = "runtime-tests-secret-0123456789-abcdefghijkl"


def make_app(**options: Any) -> PyView:
    app = PyView(secret_key=SECRET, **options)
    app.add_live_view("/runtime", views.RuntimeView)
    app.add_live_view("/other", views.OtherView)
    return app


@pytest.fixture(autouse=True)
def _fresh_observations() -> None:
    for log in (views.RUNTIME_LOG, views.BEATS, views.DISCONNECTED):
        log.clear()
    views.VIEW_REFS.clear()
    views._RELEASE.clear()


class _SocketsFinished(logging.Handler):
    """Notes in RUNTIME_LOG each time a connection has torn down all of its views."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("WebSocket finished"):
            views.note(views.RUNTIME_LOG, "socket finished")


@pytest.fixture
def sockets_finished() -> Iterator[None]:
    logger = logging.getLogger("pyview_core")
    handler, level = _SocketsFinished(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client


def join_second(sock: Socket, client: TestClient, path: str) -> View:
    """Join another view on the same socket (as a page with a child view would)."""
    page = get_page(client, path)
    return View(sock, page, sock.join(page))


def send_click(view: View, name: str, value: dict | None = None) -> str:
    """Send a click without waiting for its reply; returns its ref."""
    ref = view.sock.next_ref()
    view.sock.send([view.jr, ref, view.topic, "event", {"type": "click", "event": name, "value": value or {}}])
    return ref


# ================================================================================ head-of-line


def test_a_slow_handler_delays_neither_heartbeats_nor_other_views(client):
    with live(client, "/runtime?tag=slow") as (sock, slow):
        other = join_second(sock, client, "/runtime?tag=other")
        blocked = send_click(slow, "block", {"on": "hol"})
        views.wait_until(lambda: "slow blocked" in views.RUNTIME_LOG)

        assert sock.heartbeat()[4] == OK_EMPTY  # answered while the handler still runs
        reply = other.click("inc")
        assert other.apply(reply)["diff"] == {"0": "1"}

        other.click("release", {"on": "hol"})
        slow.apply(sock.receive_until(blocked))
        assert '<p id="count">100</p>' in slow.html()


def test_a_handler_longer_than_the_idle_timeout_does_not_close_a_healthy_socket():
    with TestClient(make_app(idle_timeout=0.3)) as client, live(client, "/runtime?tag=long") as (sock, slow):
        other = join_second(sock, client, "/runtime?tag=releaser")
        blocked = send_click(slow, "block", {"on": "long"})
        views.wait_until(lambda: "long blocked" in views.RUNTIME_LOG)
        started = time.monotonic()
        while time.monotonic() - started < 1.0:  # the client's heartbeats, back to back, for 3x the timeout
            assert sock.heartbeat()[4] == OK_EMPTY
        other.click("release", {"on": "long"})
        assert sock.receive_until(blocked)[4]["status"] == "ok"


def test_a_silent_socket_is_closed_with_1001_at_its_idle_timeout():
    with TestClient(make_app(idle_timeout=0.2)) as client:
        page = get_page(client, "/runtime")
        with open_socket(client, page.csrf) as sock:
            assert sock.heartbeat()[4] == OK_EMPTY
            with pytest.raises(Closed) as closed:
                sock.recv(timeout=10)  # nothing sent: the watchdog closes at the deadline
            assert closed.value.code == 1001  # never 1000: the client would reload the page


# ================================================================================ timers and jobs


@pytest.mark.parametrize("then, frame", [("navigate", "live_redirect"), ("crash", "phx_error")])
def test_a_tick_that_ends_its_view_leaves_nothing_running(client, sockets_finished, then, frame):
    tag = f"tick-{then}"
    with live(client, f"/runtime?tag={tag}") as (sock, view):
        assert view.click("ticks_then", {"then": then})[4] == OK_EMPTY
        sock.next_event(view.topic, frame)
        views.wait_until(lambda: f"{tag} disconnect" in views.RUNTIME_LOG)
        assert sock.heartbeat()[4] == OK_EMPTY
    views.wait_until(lambda: "socket finished" in views.RUNTIME_LOG)
    assert views.BEATS.count(tag) == 3
    gc.collect()
    assert views.VIEW_REFS[tag]() is None, "a timer (or something else) still holds the view"


def test_views_are_freed_when_their_socket_closes(client, sockets_finished):
    with live(client, "/runtime?tag=gone") as (sock, view):
        assert view.click("ticks_then", {"then": "never", "every": 0.01})[4] == OK_EMPTY
        assert view.click("job_with_cleanup")[4] == OK_EMPTY
        views.wait_until(lambda: "gone job started" in views.RUNTIME_LOG)
    views.wait_until(lambda: "socket finished" in views.RUNTIME_LOG)
    assert views.RUNTIME_LOG.index("gone job cleaned up") < views.RUNTIME_LOG.index("gone disconnect")
    gc.collect()
    assert views.VIEW_REFS["gone"]() is None


def test_a_fast_job_runs_at_the_speed_of_the_view():
    limits = Limits(mailbox_size=64)  # producers wait while 16 messages are queued
    with TestClient(make_app(limits=limits)) as client, live(client, "/runtime?tag=flood") as (sock, view):
        assert view.click("flood", {"n": 3000})[4] == OK_EMPTY
        views.wait_until(lambda: "flood produced 3000" in views.RUNTIME_LOG, timeout=30)
        while '<p id="handled">3000</p>' not in view.html():
            view.apply(sock.next_push(view.topic, "diff"))
        lead = int(view.html().split('<p id="lead">')[1].split("<")[0])
        assert 0 < lead <= 16 + 1, f"the job got {lead} messages ahead of its view"


# ================================================================================ floods


def test_pubsub_outpacing_a_busy_view_stops_that_view_only(caplog):
    limits = Limits(mailbox_size=32)
    with TestClient(make_app(limits=limits)) as client, live(client, "/runtime?tag=busy&topic=news") as (sock, busy):
        healthy = join_second(sock, client, "/runtime?tag=healthy&topic=news")
        publisher = join_second(sock, client, "/runtime?tag=publisher")
        send_click(busy, "block", {"on": "busy"})
        views.wait_until(lambda: "busy blocked" in views.RUNTIME_LOG)
        with caplog.at_level(logging.ERROR, logger="pyview_core"):
            assert publisher.click("broadcast_job", {"topic": "news", "n": 100})[4] == OK_EMPTY
            assert sock.next_event(busy.topic, "phx_error")[4] == {"reason": "channel_crash"}
            while '<p id="seen">100</p>' not in healthy.html():
                healthy.apply(sock.next_push(healthy.topic, "diff"))
        assert '<p id="handled">100</p>' in healthy.html()  # every message, in order, none lost
        assert any("outpaces handle_info" in r.getMessage() and "RuntimeView" in r.getMessage() for r in caplog.records)
        views.wait_until(lambda: "busy disconnect" in views.RUNTIME_LOG)


def test_a_client_flooding_a_busy_view_stops_that_view_only():
    limits = Limits(mailbox_size=16)
    with TestClient(make_app(limits=limits)) as client, live(client, "/runtime?tag=flooded") as (sock, busy):
        other = join_second(sock, client, "/runtime?tag=bystander")
        send_click(busy, "block", {"on": "flooded"})
        views.wait_until(lambda: "flooded blocked" in views.RUNTIME_LOG)
        for _ in range(40):
            send_click(busy, "inc")
        assert sock.next_event(busy.topic, "phx_error")[4] == {"reason": "channel_crash"}
        assert other.apply(other.click("inc"))["diff"] == {"0": "1"}
        assert sock.heartbeat()[4] == OK_EMPTY


# ================================================================================ teardown


def test_teardown_awaits_jobs_and_handlers_before_disconnect(client):
    with live(client, "/runtime?tag=order") as (sock, view):
        assert view.click("job_with_cleanup")[4] == OK_EMPTY
        views.wait_until(lambda: "order job started" in views.RUNTIME_LOG)
        sock.send([view.jr, sock.next_ref(), view.topic, "event", {"type": "click", "event": "block", "value": {"on": "never"}}])
        views.wait_until(lambda: "order blocked" in views.RUNTIME_LOG)
    views.wait_until(lambda: "order disconnect" in views.RUNTIME_LOG)
    log = [entry for entry in views.RUNTIME_LOG if entry.startswith("order ")]
    assert log.index("order job cleaned up") < log.index("order disconnect")
    assert log.count("order disconnect") == 1


class FlakyPubSub(InMemoryPubSub):
    """An adapter whose unsubscribe fails for one topic (a broker that went away)."""

    async def unsubscribe(self, topic: str, subscriber: Any) -> None:
        if topic == "flaky":
            raise ConnectionError("the broker went away")
        await super().unsubscribe(topic, subscriber)


def test_one_failing_unsubscribe_does_not_skip_the_others(caplog):
    pubsub = FlakyPubSub()
    with TestClient(make_app(pubsub=pubsub)) as client:
        with caplog.at_level(logging.ERROR, logger="pyview_core"):
            with live(client, "/runtime?tag=flaky&topic=flaky") as (sock, view):
                assert view.click("inc")[4]["status"] == "ok"
                join_second(sock, client, "/runtime?tag=steady&topic=steady")
                assert pubsub.subscriber_count("steady") == 1
            views.wait_until(lambda: "flaky disconnect" in views.RUNTIME_LOG and "steady disconnect" in views.RUNTIME_LOG)
        assert pubsub.subscriber_count("steady") == 0
        assert any("'flaky'" in r.getMessage() for r in caplog.records)


# ================================================================================ errors


def test_a_param_error_raised_by_the_handler_itself_is_a_crash(client):
    with live(client, "/runtime?tag=user-error") as (sock, view):
        send_click(view, "user_param_error", {"value": "x"})
        assert sock.next_event(view.topic, "phx_error")[4] == {"reason": "channel_crash"}


def test_error_replies_are_logged_once_per_view_and_event(client, caplog):
    with caplog.at_level(logging.INFO, logger="pyview_core"), live(client, "/runtime?tag=refusals") as (sock, view):
        for _ in range(3):
            assert view.click("nope")[4]["status"] == "error"
            assert view.click("flood", {"n": "many"})[4]["status"] == "error"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warnings if "'nope'" in w] == ["RuntimeView: event 'nope' refused: RuntimeView has no handler for event 'nope'"]
    flood = [w for w in warnings if "'flood'" in w]
    assert len(flood) == 1 and flood[0].startswith("RuntimeView: event 'flood' refused:") and "n" in flood[0]


def test_error_replies_stay_quiet_in_production(caplog):
    with TestClient(make_app(production=True, https_only_cookie=False)) as client:
        with caplog.at_level(logging.INFO, logger="pyview_core"), live(client, "/runtime?tag=prod") as (sock, view):
            assert view.click("nope")[4]["status"] == "error"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("'nope'" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


# ================================================================================ middleware


class RefuseLiveSockets:
    """A user's middleware that turns WebSockets away (an allowlist, an auth check...)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


def test_user_middleware_still_sees_the_live_socket():
    """The live socket skips Starlette's stack only when it holds nothing but ours."""
    app = make_app()
    app.add_middleware(RefuseLiveSockets)
    with TestClient(app) as client:
        page = get_page(client, "/runtime")
        with pytest.raises(WebSocketDisconnect) as refused:
            with open_socket(client, page.csrf):
                pass
        assert refused.value.code == 1008


def test_closed_sockets_leave_no_garbage_behind(sockets_finished):
    """A crowd that leaves gives its memory back without anyone calling the collector."""
    app = make_app()
    app.runtime.sockets.minimum = 1
    with TestClient(app) as client:
        with live(client, "/runtime?tag=swept") as (sock, view):
            assert view.click("inc")[4]["status"] == "ok"
        views.wait_until(lambda: "socket finished" in views.RUNTIME_LOG)
        assert app.runtime.sockets.collections >= 1
        assert views.VIEW_REFS["swept"]() is None
