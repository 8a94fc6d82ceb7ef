"""Views talking through pub/sub, driven by the test client over the real protocol: in one
process (in-memory) and in two "processes" (two apps, each with its own RedisPubSub, one Redis)."""

from __future__ import annotations

import itertools
import logging

import pytest
import room_views
from async_runner import run

from pyview_core import PyView
from pyview_core.pubsub import InMemoryPubSub, LocalInfo, MessageNotEncodable
from pyview_core.redis_pubsub import RedisPubSub
from pyview_core.testing import live

_prefixes = itertools.count()


def make_app(pubsub) -> PyView:
    app = PyView(secret_key=room_views.SECRET, pubsub=pubsub)
    app.add_live_view("/room", room_views.RoomView)
    return app


def texts(view, selector: str) -> list[str]:
    import re

    block = re.search(rf'<ul id="{selector}">(.*?)</ul>', view.html(), re.S)
    assert block, view.html()
    return re.findall(r"<li>(.*?)</li>", block.group(1))


@pytest.fixture(params=["memory", "redis"])
def two_apps(request):
    """Two apps whose views share pub/sub: one app in memory, or two apps on one Redis."""
    if request.param == "memory":
        app = make_app(InMemoryPubSub())
        return app, app
    server = request.getfixturevalue("redis_server")
    prefix = f"v{next(_prefixes)}"
    return make_app(RedisPubSub(server.url, prefix=prefix)), make_app(RedisPubSub(server.url, prefix=prefix))


def test_a_broadcast_reaches_every_view_the_sender_included(two_apps):
    first, second = two_apps

    async def scenario():
        async with live(first, "/room") as alice, live(second, "/room") as bob:
            await alice.element("#say").click()
            await bob.wait_for(lambda: texts(bob, "heard") == ["hello"], timeout=5)
            assert texts(alice, "heard") == ["hello"]
        await first.pubsub.aclose()
        await second.pubsub.aclose()

    run(scenario())


def test_broadcast_from_skips_the_sending_view(two_apps):
    first, second = two_apps

    async def scenario():
        async with live(first, "/room") as alice, live(second, "/room") as bob, live(first, "/room") as carol:
            await alice.element("#others").click()
            await bob.wait_for(lambda: texts(bob, "heard") == ["psst"], timeout=5)
            await carol.wait_for(lambda: texts(carol, "heard") == ["psst"], timeout=5)
            await alice.element("#say").click()  # ordered after the first: alice hears only this one
            await alice.wait_for(lambda: texts(alice, "heard") == ["hello"], timeout=5)
            await carol.wait_for(lambda: texts(carol, "heard") == ["psst", "hello"], timeout=5)
        await first.pubsub.aclose()
        await second.pubsub.aclose()

    run(scenario())


def test_a_local_info_arrives_under_its_own_name():
    app = make_app(InMemoryPubSub())

    async def scenario():
        async with live(app, "/room") as view:
            app.pubsub.deliver_local(room_views.TOPIC, LocalInfo("presence_diff", {"joins": 1}))
            await view.wait_for(lambda: texts(view, "notices") == ["presence_diff: {&#39;joins&#39;: 1}"], timeout=5)
            assert texts(view, "heard") == []

    run(scenario())


def test_a_message_redis_cannot_carry_fails_the_sending_view_with_a_clear_error(redis_server, caplog):
    app = make_app(RedisPubSub(redis_server.url, prefix=f"v{next(_prefixes)}"))

    async def scenario():
        async with live(app, "/room") as view:
            # The test client re-raises the handler's error, as the server logs it.
            with pytest.raises(MessageNotEncodable, match=r"cannot broadcast on 'room'.*\(Type is not JSON serializable: set\)"):
                await view.element("#set").click()
        await app.pubsub.aclose()

    with caplog.at_level(logging.ERROR, logger="pyview_core"):
        run(scenario())
    assert any("cannot broadcast on 'room'" in r.getMessage() and "not JSON-encodable" in r.getMessage()
               for r in caplog.records), [r.getMessage() for r in caplog.records]
