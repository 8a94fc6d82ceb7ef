"""One suite for every pub/sub adapter (in-memory and Redis), then what only Redis has.

Redis is a real ``redis-server`` started by the fixtures (tests/conftest.py); each test uses its
own channel prefix, so tests sharing the session's server cannot hear each other.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any, Callable

import pytest

from async_runner import run
from pyview_core.pubsub import (
    InMemoryPubSub, LocalInfo, MessageNotEncodable, PubSubUnavailable, pubsub_from_env, pubsub_from_url,
)
from pyview_core.redis_pubsub import RedisPubSub

_prefixes = itertools.count()


class Inbox:
    """A subscriber that records what it got (a plain sync callback, as views' are)."""

    def __init__(self, name: str = "inbox") -> None:
        self.name = name
        self.got: list[tuple[str, Any]] = []

    def __call__(self, topic: str, message: Any) -> None:
        self.got.append((topic, message))

    def messages(self) -> list[Any]:
        return [m for _, m in self.got]

    def __repr__(self) -> str:
        return f"Inbox({self.name})"


async def until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds (AssertionError naming ``what`` after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


async def settle(pubsub: Any) -> None:
    """Wait until whatever ``pubsub`` published has come back around Redis (a no-op in memory),
    so that a duplicate delivery, if there were one, would have happened.

    Once the outbox is empty Redis has handled every PUBLISH; a marker published after that by
    another connection reaches this process's subscriber connection after those echoes.
    """
    if isinstance(pubsub, InMemoryPubSub):
        return
    await until(lambda: pubsub.outbox_length == 0, what="the outbox to drain")
    marker = Inbox("marker")
    await pubsub.subscribe("__settle__", marker)
    other = RedisPubSub(pubsub.url, prefix=pubsub._prefix.decode()[:-1])
    try:
        await other.broadcast("__settle__", "done")
        await until(lambda: marker.got, what="the settle marker")
    finally:
        await pubsub.unsubscribe("__settle__", marker)
        await other.aclose()


@pytest.fixture(params=["memory", "redis"])
def make(request):
    """A factory of pub/sub instances of one backend; Redis ones share a per-test prefix."""
    made: list[Any] = []
    if request.param == "memory":
        def factory() -> Any:
            made.append(InMemoryPubSub())
            return made[-1]
    else:
        server = request.getfixturevalue("redis_server")
        prefix = f"t{next(_prefixes)}"

        def factory() -> Any:
            made.append(RedisPubSub(server.url, prefix=prefix))
            return made[-1]
    factory.kind = request.param  # type: ignore[attr-defined]
    return factory


# --- every adapter -------------------------------------------------------------------------------


def test_every_subscriber_gets_every_message_in_order_and_only_its_topic(make):
    async def main():
        pubsub = make()
        a, b, other = Inbox("a"), Inbox("b"), Inbox("other")
        await pubsub.subscribe("room:1", a)
        await pubsub.subscribe("room:1", b)
        await pubsub.subscribe("room:2", other)
        for i in range(20):
            await pubsub.broadcast("room:1", {"i": i})
        await settle(pubsub)
        assert a.messages() == b.messages() == [{"i": i} for i in range(20)]
        assert {t for t, _ in a.got} == {"room:1"}
        assert other.got == []
        await pubsub.aclose()

    run(main())


def test_unsubscribed_subscribers_get_nothing_more(make):
    async def main():
        pubsub = make()
        a, b = Inbox("a"), Inbox("b")
        await pubsub.subscribe("t", a)
        await pubsub.subscribe("t", b)
        await pubsub.broadcast("t", 1)
        await pubsub.unsubscribe("t", a)
        assert pubsub.subscriber_count("t") == 1
        await pubsub.broadcast("t", 2)
        await settle(pubsub)
        assert a.messages() == [1]
        assert b.messages() == [1, 2]
        await pubsub.unsubscribe("t", b)
        await pubsub.unsubscribe("t", b)  # twice, or never subscribed: nothing happens
        await pubsub.unsubscribe("never", b)
        assert pubsub.subscriber_count("t") == 0
        await pubsub.aclose()

    run(main())


def test_subscribing_twice_delivers_once(make):
    async def main():
        pubsub = make()
        a = Inbox()
        await pubsub.subscribe("t", a)
        await pubsub.subscribe("t", a)
        await pubsub.broadcast("t", "x")
        await settle(pubsub)
        assert a.messages() == ["x"]
        await pubsub.aclose()

    run(main())


def test_broadcast_from_skips_only_the_sender(make):
    async def main():
        pubsub = make()
        sender, peer = Inbox("sender"), Inbox("peer")
        await pubsub.subscribe("t", sender)
        await pubsub.subscribe("t", peer)
        await pubsub.broadcast_from(sender, "t", {"from": "sender"})
        await settle(pubsub)
        assert sender.got == []
        assert peer.messages() == [{"from": "sender"}]
        await pubsub.aclose()

    run(main())


def test_a_failing_subscriber_does_not_starve_the_others(make, caplog):
    async def main():
        pubsub = make()

        def broken(topic: str, message: Any) -> None:
            raise RuntimeError("boom")

        a, b = Inbox("a"), Inbox("b")
        await pubsub.subscribe("t", a)
        await pubsub.subscribe("t", broken)
        await pubsub.subscribe("t", b)
        await pubsub.broadcast("t", 1)
        await settle(pubsub)
        assert a.messages() == b.messages() == [1]
        await pubsub.aclose()

    with caplog.at_level(logging.ERROR, logger="pyview_core"):
        run(main())
    assert any("subscriber failed on topic 't'" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("topic", [None, "", 3, b"bytes"])
def test_a_topic_must_be_a_non_empty_str(make, topic):
    async def main():
        pubsub = make()
        with pytest.raises(TypeError, match="topic must be a non-empty str"):
            await pubsub.subscribe(topic, Inbox())
        with pytest.raises(TypeError, match="topic must be a non-empty str"):
            await pubsub.broadcast(topic, "x")
        await pubsub.aclose()

    run(main())


def test_deliver_local_reaches_this_process_only_without_encoding(make):
    async def main():
        here, there = make(), make()
        a, b = Inbox("here"), Inbox("there")
        await here.subscribe("t", a)
        await there.subscribe("t", b)
        notice = LocalInfo("presence_diff", {"joins": {}, "leaves": {}})
        here.deliver_local("t", notice)
        await settle(here)
        assert a.messages() == [notice] and a.messages()[0] is notice
        if make.kind == "redis":
            assert b.got == []  # another process: a LocalInfo never travels
        await here.aclose()
        await there.aclose()

    run(main())


def test_close_callbacks_run_and_the_adapter_works_again_afterwards(make):
    async def main():
        pubsub = make()
        closed: list[str] = []

        async def goodbye() -> None:
            closed.append("bye")

        pubsub.on_close(goodbye)
        a = Inbox()
        await pubsub.subscribe("t", a)
        await pubsub.aclose()
        assert closed == ["bye"]
        await pubsub.broadcast("t", "after")  # e.g. the next app start in the same process
        await settle(pubsub)
        assert a.messages() == ["after"]
        await pubsub.aclose()

    run(main())
    run(_in_a_second_event_loop(make))


async def _in_a_second_event_loop(make) -> None:
    """An adapter made at import time serves each event loop it is used in (tests run many)."""
    pubsub = make()
    a = Inbox()
    await pubsub.subscribe("t", a)
    await pubsub.broadcast("t", 1)
    await settle(pubsub)
    await pubsub.aclose()
    assert a.messages() == [1]


# --- Redis only: between processes ---------------------------------------------------------------


def test_a_message_reaches_every_process_once(redis_server):
    async def main():
        prefix = f"x{next(_prefixes)}"
        one, two = RedisPubSub(redis_server.url, prefix=prefix), RedisPubSub(redis_server.url, prefix=prefix)
        mine, theirs = Inbox("one"), Inbox("two")
        await one.subscribe("t", mine)
        await two.subscribe("t", theirs)
        await one.broadcast("t", {"n": 1})
        await two.broadcast("t", {"n": 2})
        await until(lambda: len(mine.got) == 2 and len(theirs.got) == 2, what="both messages in both processes")
        await settle(one)
        await settle(two)
        # The publisher's own subscriber got its message once: locally, not again from Redis.
        assert sorted(m["n"] for m in mine.messages()) == [1, 2]
        assert sorted(m["n"] for m in theirs.messages()) == [1, 2]
        await one.aclose()
        await two.aclose()

    run(main())


def test_topics_are_subscribed_on_redis_while_this_process_has_interest(redis_server):
    def numsub(channel: str) -> int:
        reply = redis_server.command("PUBSUB", "NUMSUB", channel)
        return int(reply.rsplit(b":", 1)[1].split(b"\r\n")[0])

    async def main():
        prefix = f"n{next(_prefixes)}"
        pubsub = RedisPubSub(redis_server.url, prefix=prefix)
        a, b = Inbox("a"), Inbox("b")
        channel = f"{prefix}:room"
        assert numsub(channel) == 0
        await pubsub.subscribe("room", a)
        assert numsub(channel) == 1  # subscribe returned after Redis confirmed it
        await pubsub.subscribe("room", b)
        assert numsub(channel) == 1  # one connection per process, whatever the number of views
        await pubsub.unsubscribe("room", a)
        assert numsub(channel) == 1
        await pubsub.unsubscribe("room", b)
        await until(lambda: numsub(channel) == 0, what="Redis to drop the unsubscribed channel")
        await pubsub.aclose()

    run(main())


def test_a_message_that_is_not_json_is_refused_at_broadcast_naming_the_topic(redis_server):
    async def main():
        pubsub = RedisPubSub(redis_server.url, prefix=f"e{next(_prefixes)}")
        a = Inbox()
        await pubsub.subscribe("chat", a)
        for bad in ({1, 2}, object(), {1: "int key"}, b"bytes"):
            with pytest.raises(MessageNotEncodable, match=r"cannot broadcast on 'chat'.*not JSON-encodable") as info:
                await pubsub.broadcast("chat", {"value": bad})
            assert isinstance(info.value, TypeError)
        assert a.got == []  # not delivered in this process either
        assert pubsub.outbox_length == 0
        await pubsub.aclose()

    run(main())


def test_every_process_sees_the_json_form_decoded_once(redis_server):
    async def main():
        prefix = f"j{next(_prefixes)}"
        one, two = RedisPubSub(redis_server.url, prefix=prefix), RedisPubSub(redis_server.url, prefix=prefix)
        a1, a2, b1, b2 = Inbox("a1"), Inbox("a2"), Inbox("b1"), Inbox("b2")
        for inbox in (a1, a2):
            await one.subscribe("t", inbox)
        for inbox in (b1, b2):
            await two.subscribe("t", inbox)
        await one.broadcast("t", {"pair": (1, 2)})
        await until(lambda: b1.got and b2.got, what="the other process")
        # The same value in both processes (the tuple arrives as a JSON list everywhere) ...
        assert a1.messages() == b1.messages() == [{"pair": [1, 2]}]
        # ... decoded once per process and shared by its subscribers.
        assert a1.messages()[0] is a2.messages()[0]
        assert b1.messages()[0] is b2.messages()[0]
        await one.aclose()
        await two.aclose()

    run(main())


def test_redis_restart_queues_then_delivers_in_order_and_logs_each_transition(fresh_redis, caplog):
    async def main():
        prefix = f"r{next(_prefixes)}"
        one = RedisPubSub(fresh_redis.url, prefix=prefix, max_backoff=0.2)
        two = RedisPubSub(fresh_redis.url, prefix=prefix, max_backoff=0.2)
        local, remote = Inbox("local"), Inbox("remote")
        await one.subscribe("t", local)
        await two.subscribe("t", remote)
        await one.broadcast("t", 0)
        await until(lambda: remote.messages() == [0], what="the first message")

        fresh_redis.stop()
        await until(lambda: not one.connected and not two.connected, what="both processes to notice")
        for i in range(1, 6):
            await one.broadcast("t", i)  # queued for the others; this process's views get it now
        assert local.messages() == [0, 1, 2, 3, 4, 5]
        assert one.outbox_length == 5

        fresh_redis.start()
        await until(lambda: one.connected and two.connected, timeout=10, what="both processes to reconnect")
        await until(lambda: one.outbox_length == 0, what="the outbox to drain")
        # What was queued while the subscriber was reconnecting may be published before the other
        # process resubscribed (Redis pub/sub keeps nothing): after both are back, nothing is lost.
        await one.broadcast("t", 6)
        await until(lambda: 6 in remote.messages(), what="a message after the restart")
        received = remote.messages()
        assert received == sorted(received) and len(set(received)) == len(received)  # in order, no duplicates
        await one.aclose()
        await two.aclose()

    with caplog.at_level(logging.INFO, logger="pyview_core"):
        run(main())
    lines = [r.getMessage() for r in caplog.records if r.name == "pyview_core"]
    lost = [line for line in lines if "lost Redis" in line]
    back = [line for line in lines if "reconnected to Redis" in line]
    assert len(lost) == 2 and len(back) == 2, lines  # one line per process per transition, not per retry
    assert all("resubscribed" in line for line in back)


def test_broadcast_raises_a_clear_error_once_the_outbox_is_full_while_redis_is_down(fresh_redis):
    async def main():
        pubsub = RedisPubSub(fresh_redis.url, prefix=f"o{next(_prefixes)}", outbox_size=3, max_backoff=0.2)
        local = Inbox()
        await pubsub.subscribe("t", local)
        fresh_redis.stop()
        await until(lambda: not pubsub.connected, what="the lost link")
        for i in range(3):
            await pubsub.broadcast("t", i)
        with pytest.raises(PubSubUnavailable, match=r"cannot broadcast on 't': Redis at redis://127\.0\.0\.1:\d+/0 has been unreachable") as info:
            await pubsub.broadcast("t", 3)
        assert "3 messages are already waiting (outbox_size=3)" in str(info.value)
        assert local.messages() == [0, 1, 2]  # the refused message was not half-delivered
        fresh_redis.start()
        await until(lambda: pubsub.outbox_length == 0, timeout=10, what="the outbox to drain")
        await pubsub.broadcast("t", 3)  # and broadcasting works again
        assert local.messages() == [0, 1, 2, 3]
        await pubsub.aclose()

    run(main())


def test_subscribing_while_redis_is_down_does_not_hang_and_takes_effect_on_reconnect(fresh_redis):
    async def main():
        prefix = f"d{next(_prefixes)}"
        sub = RedisPubSub(fresh_redis.url, prefix=prefix, max_backoff=0.2)
        pub = RedisPubSub(fresh_redis.url, prefix=prefix, max_backoff=0.2)
        await sub.start()
        fresh_redis.stop()
        await until(lambda: not sub.connected, what="the lost link")
        inbox = Inbox()
        await asyncio.wait_for(sub.subscribe("late", inbox), 2)  # returns at once
        fresh_redis.start()
        await until(lambda: sub.connected, timeout=10, what="the reconnect")
        await pub.broadcast("late", "hello")
        await until(lambda: inbox.messages() == ["hello"], what="the message on a topic subscribed while down")
        await sub.aclose()
        await pub.aclose()

    run(main())


def test_an_unreachable_redis_at_startup_is_logged_not_raised(caplog):
    from redis_server import free_port

    async def main():
        pubsub = RedisPubSub(f"redis://:s3cret@127.0.0.1:{free_port()}/0", max_backoff=0.1)
        await pubsub.start(wait=0.3)
        assert not pubsub.connected
        local = Inbox()
        await pubsub.subscribe("t", local)
        await pubsub.broadcast("t", "still works here")
        assert local.messages() == ["still works here"]
        await pubsub.aclose()

    with caplog.at_level(logging.WARNING, logger="pyview_core"):
        run(main())
    warnings = [r.getMessage() for r in caplog.records if "cannot reach Redis" in r.getMessage()]
    assert len(warnings) == 1
    assert "s3cret" not in warnings[0] and ":***@127.0.0.1" in warnings[0]  # no password in the log


# --- choosing a backend --------------------------------------------------------------------------


def test_the_url_picks_the_backend(monkeypatch):
    assert isinstance(pubsub_from_url(None), InMemoryPubSub)
    assert isinstance(pubsub_from_url("memory://"), InMemoryPubSub)
    assert isinstance(pubsub_from_url("redis://localhost:6379/0"), RedisPubSub)
    assert isinstance(pubsub_from_url("unix:///run/redis.sock"), RedisPubSub)
    with pytest.raises(ValueError, match=r"PYVIEW_PUBSUB_URL: unsupported pub/sub URL 'amqp://x'"):
        pubsub_from_url("amqp://x")
    monkeypatch.setenv("PYVIEW_PUBSUB_URL", "redis://127.0.0.1:1/0")
    assert isinstance(pubsub_from_env(), RedisPubSub)
    monkeypatch.delenv("PYVIEW_PUBSUB_URL")
    assert isinstance(pubsub_from_env(), InMemoryPubSub)


def test_a_quiet_subscriber_stays_connected_and_a_frozen_redis_is_noticed(fresh_redis, caplog):
    import os
    import signal

    async def main():
        prefix = f"q{next(_prefixes)}"
        sub = RedisPubSub(fresh_redis.url, prefix=prefix, ping_interval=0.3, max_backoff=0.2)
        inbox = Inbox()
        await sub.subscribe("t", inbox)
        # Quiet for longer than redis-py's default read timeout (5 s): no reconnect, no lost message.
        await asyncio.sleep(5.5)
        pub = RedisPubSub(fresh_redis.url, prefix=prefix)
        await pub.broadcast("t", "still here")
        await until(lambda: inbox.messages() == ["still here"], what="the message after a quiet spell")
        assert sub.connected
        # A Redis that stops answering without closing the connection (a frozen process, a
        # half-open TCP link): the unanswered PING gives it away.
        os.kill(fresh_redis.proc.pid, signal.SIGSTOP)
        try:
            await until(lambda: not sub.connected, what="the frozen link to be noticed")
        finally:
            os.kill(fresh_redis.proc.pid, signal.SIGCONT)
        await until(lambda: sub.connected, timeout=10, what="the reconnect")
        await pub.broadcast("t", "back")
        await until(lambda: inbox.messages() == ["still here", "back"], what="a message after the reconnect")
        await sub.aclose()
        await pub.aclose()

    with caplog.at_level(logging.INFO, logger="pyview_core"):
        run(main())
    lines = [r.getMessage() for r in caplog.records if r.name == "pyview_core"]
    assert sum("no reply from Redis" in line for line in lines) == 1, lines
    assert sum("lost Redis" in line for line in lines) == 1, lines  # nothing during the quiet spell
