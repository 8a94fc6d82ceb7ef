"""Presence (``pyview_core.presence``): who is on a topic, in one process and across processes.

In memory: the API's shapes (Phoenix's), the diffs subscribers get, and real views (through the
test client, ``presence_views.py``) that track themselves and render ``presence.list``. Over
Redis: two or three nodes in this process, each a ``RedisPubSub`` + ``Presence`` with a short
heartbeat, against a real ``redis-server`` (tests/conftest.py's fixtures); nodes that close, die,
start late, or lose Redis for a while; and a property test of random track/update/untrack/leave
sequences on two nodes against a model. Waits poll a condition with a deadline; no fixed sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
import time
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import presence_views
from async_runner import run
from pyview_core.live_socket import ConnectedLiveViewSocket, UnconnectedSocket
from pyview_core.presence import NotTracked, Presence
from pyview_core.pubsub import InMemoryPubSub, LocalInfo
from pyview_core.redis_pubsub import RedisPubSub
from pyview_core.testing import live

_prefixes = itertools.count()


# ================================================================================ helpers


class FakeHost:
    """Stands in for the channel behind a connected socket: keeps the ``on_leave`` callbacks, and
    ``leave()`` runs them as the channel's teardown does when the view goes away."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], Any]] = []

    def on_leave(self, callback: Callable[[], Any]) -> None:
        self.callbacks.append(callback)

    async def leave(self) -> None:
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            result = callback()
            if asyncio.iscoroutine(result):
                await result


def connected_socket() -> tuple[ConnectedLiveViewSocket, FakeHost]:
    host = FakeHost()
    return ConnectedLiveViewSocket(host), host  # type: ignore[arg-type]


class Diffs:
    """A plain pub/sub subscriber recording the ``presence_diff`` payloads it gets."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.others: list[Any] = []

    def __call__(self, topic: str, message: Any) -> None:
        if isinstance(message, LocalInfo) and message.name == "presence_diff":
            self.got.append(message.payload)
        else:
            self.others.append(message)


class Follower(Diffs):
    """Applies every diff it gets to its own picture ({key: {ref: meta}}), as a client would."""

    def __init__(self) -> None:
        super().__init__()
        self.state: dict[str, dict[str, dict]] = {}

    def __call__(self, topic: str, message: Any) -> None:
        super().__call__(topic, message)
        if not self.got or self.got[-1] is not getattr(message, "payload", None):
            return
        for key, entry in message.payload["leaves"].items():
            for meta in entry["metas"]:
                self.state.get(key, {}).pop(meta["phx_ref"], None)
            if not self.state.get(key, True):
                del self.state[key]
        for key, entry in message.payload["joins"].items():
            for meta in entry["metas"]:
                self.state.setdefault(key, {})[meta["phx_ref"]] = meta


def by_ref(listing: dict[str, dict[str, list[dict]]]) -> dict[str, dict[str, dict]]:
    return {key: {meta["phx_ref"]: meta for meta in entry["metas"]} for key, entry in listing.items()}


async def until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "the condition") -> None:
    """Poll ``condition`` until it holds (AssertionError naming ``what`` after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


class Nodes:
    """Makes nodes (a ``RedisPubSub`` and its ``Presence``) sharing a prefix of their own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"presence{next(_prefixes)}-{secrets.token_hex(3)}"
        self.pubsubs: list[RedisPubSub] = []

    def node(self, heartbeat: float = 0.1, timeout: float = 0.6) -> tuple[RedisPubSub, Presence]:
        pubsub = RedisPubSub(self.url, prefix=self.prefix, max_backoff=0.3)
        self.pubsubs.append(pubsub)
        return pubsub, Presence(pubsub, heartbeat=heartbeat, timeout=timeout)

    async def aclose(self) -> None:
        for pubsub in self.pubsubs:
            await pubsub.aclose()  # closes its Presence too (on_close)


async def die(pubsub: RedisPubSub, presence: Presence, nodes: Nodes) -> None:
    """The process dies without a word: its tasks stop (connections dropped), nothing says goodbye."""
    pending = {*presence._tasks, *pubsub._tasks}
    while pending:  # again if a cancellation was swallowed on the way (redis-py under Python 3.11 can)
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
    nodes.pubsubs.remove(pubsub)


async def acquainted(*presences: Presence) -> None:
    """Wait until every node has had every other's state (so changes travel as deltas)."""

    def knows(p: Presence, q: Presence) -> bool:
        node = p._nodes.get(q.node)
        return node is not None and node.seq is not None

    await until(lambda: all(knows(p, q) for p in presences for q in presences if p is not q), what="the nodes to meet")


def statuses(listing: dict[str, dict[str, list[dict]]]) -> dict[str, list[str]]:
    return {key: [meta["status"] for meta in entry["metas"]] for key, entry in listing.items()}


# ================================================================================ configuration


def test_heartbeat_and_timeout_come_from_the_arguments_or_the_environment(monkeypatch):
    monkeypatch.delenv("PYVIEW_PRESENCE_HEARTBEAT", raising=False)
    monkeypatch.delenv("PYVIEW_PRESENCE_TIMEOUT", raising=False)
    presence = Presence(InMemoryPubSub())
    assert (presence.heartbeat, presence.timeout) == (5.0, 15.0)
    monkeypatch.setenv("PYVIEW_PRESENCE_HEARTBEAT", "2")
    monkeypatch.setenv("PYVIEW_PRESENCE_TIMEOUT", "9.5")
    assert (Presence(InMemoryPubSub()).heartbeat, Presence(InMemoryPubSub()).timeout) == (2.0, 9.5)
    assert Presence(InMemoryPubSub(), heartbeat=1, timeout=3).timeout == 3.0

    monkeypatch.setenv("PYVIEW_PRESENCE_HEARTBEAT", "soon")
    with pytest.raises(ValueError, match="PYVIEW_PRESENCE_HEARTBEAT.*'soon'"):
        Presence(InMemoryPubSub())
    monkeypatch.setenv("PYVIEW_PRESENCE_HEARTBEAT", "1")
    monkeypatch.setenv("PYVIEW_PRESENCE_TIMEOUT", "-4")
    with pytest.raises(ValueError, match="PYVIEW_PRESENCE_TIMEOUT"):
        Presence(InMemoryPubSub())
    with pytest.raises(ValueError, match=r"timeout \(2 s\).*twice the heartbeat \(1 s\)"):
        Presence(InMemoryPubSub(), heartbeat=1, timeout=2)
    monkeypatch.setenv("PYVIEW_PRESENCE_TIMEOUT", "10")
    with pytest.raises(ValueError, match=r"timeout \(10 s\).*heartbeat \(6 s\)"):
        Presence(InMemoryPubSub(), heartbeat=6)


def test_track_refuses_an_unconnected_socket_a_key_that_is_not_a_str_and_a_meta_that_is_not_json():
    async def main():
        presence = Presence(InMemoryPubSub())
        with pytest.raises(TypeError, match=r"needs a connected socket: call it under `if is_connected\(socket\)`"):
            await presence.track(UnconnectedSocket(), "room", "alice", {})
        socket, _ = connected_socket()
        with pytest.raises(TypeError, match="'room'.*key must be a str.*42"):
            await presence.track(socket, "room", 42, {})  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'room'.*'alice'.*must be a dict"):
            await presence.track(socket, "room", "alice", ["online"])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'room'.*'alice'.*not JSON-encodable"):
            await presence.track(socket, "room", "alice", {"since": object()})
        assert presence.list("room") == {}

    run(main())


# ================================================================================ in one process


def test_track_list_update_untrack_have_phoenix_shapes_and_subscribers_get_diffs():
    async def main():
        pubsub = InMemoryPubSub()
        presence = Presence(pubsub)
        diffs = Diffs()
        await pubsub.subscribe("room", diffs)
        alice, _ = connected_socket()
        bob, _ = connected_socket()

        ref = await presence.track(alice, "room", "alice", {"status": "online", "at": (1, 2)})
        assert presence.list("room") == {"alice": {"metas": [{"status": "online", "at": [1, 2], "phx_ref": ref}]}}
        assert diffs.got == [{"joins": {"alice": {"metas": [{"status": "online", "at": [1, 2], "phx_ref": ref}]}}, "leaves": {}}]
        assert presence.list("other") == {}

        ref2 = await presence.track(bob, "room", "alice", {"status": "online"})  # the same user, a second tab
        assert statuses(presence.list("room")) == {"alice": ["online", "online"]}
        with pytest.raises(ValueError, match="already tracks 'alice' on 'room'.*update"):
            await presence.track(bob, "room", "alice", {})

        diffs.got.clear()
        ref3 = await presence.update(alice, "room", "alice", lambda meta: {**meta, "status": "away"})
        new = {"status": "away", "at": [1, 2], "phx_ref": ref3, "phx_ref_prev": ref}
        assert diffs.got == [{
            "joins": {"alice": {"metas": [new]}},
            "leaves": {"alice": {"metas": [{"status": "online", "at": [1, 2], "phx_ref": ref}]}},
        }]
        assert presence.list("room")["alice"]["metas"] == [{"status": "online", "phx_ref": ref2}, new]
        ref4 = await presence.update(alice, "room", "alice", {"status": "busy"})
        assert presence.list("room")["alice"]["metas"][-1] == {"status": "busy", "phx_ref": ref4, "phx_ref_prev": ref3}

        with pytest.raises(NotTracked, match="does not track 'bob' on 'room'.*track first") as missing:
            await presence.update(alice, "room", "bob", {})
        assert isinstance(missing.value, ValueError) and isinstance(missing.value, KeyError)

        diffs.got.clear()
        await presence.untrack(bob, "room", "alice")
        assert diffs.got == [{"joins": {}, "leaves": {"alice": {"metas": [{"status": "online", "phx_ref": ref2}]}}}]
        await presence.untrack(bob, "room", "alice")  # not tracked any more: nothing happens
        await presence.untrack(bob, "nowhere", "x")
        assert len(diffs.got) == 1  # no empty diff
        assert statuses(presence.list("room")) == {"alice": ["busy"]}
        listing = presence.list("room")
        listing["alice"]["metas"][0]["status"] = "mutated by the caller"
        assert statuses(presence.list("room")) == {"alice": ["busy"]}

    run(main())


def test_a_socket_that_goes_away_untracks_all_its_entries():
    async def main():
        pubsub = InMemoryPubSub()
        presence = Presence(pubsub)
        room, lobby = Diffs(), Diffs()
        await pubsub.subscribe("room", room)
        await pubsub.subscribe("lobby", lobby)
        socket, host = connected_socket()
        other, _ = connected_socket()
        await presence.track(socket, "room", "alice", {"n": 1})
        await presence.track(socket, "room", "alice-bot", {"n": 2})
        await presence.track(socket, "lobby", "alice", {"n": 3})
        await presence.track(other, "room", "bob", {"n": 4})
        assert len(host.callbacks) == 1  # one leave callback per socket, whatever it tracks
        room.got.clear()
        lobby.got.clear()

        await host.leave()
        assert statuses_n(presence.list("room")) == {"bob": [4]}
        assert presence.list("lobby") == {}
        assert [sorted(d["leaves"]) for d in room.got] == [["alice", "alice-bot"]] and room.got[0]["joins"] == {}
        assert [sorted(d["leaves"]) for d in lobby.got] == [["alice"]]

    run(main())


def statuses_n(listing: dict[str, dict[str, list[dict]]]) -> dict[str, list[int]]:
    return {key: [meta["n"] for meta in entry["metas"]] for key, entry in listing.items()}


def test_each_event_loop_starts_afresh_and_closing_the_pubsub_closes_presence():
    presence = Presence(InMemoryPubSub())
    socket, host = connected_socket()

    async def first():
        await presence.track(socket, "room", "alice", {})
        assert list(presence.list("room")) == ["alice"]

    async def second():
        assert presence.list("room") == {}  # the view of the loop before has gone with it
        await host.leave()  # a late leave callback of that view does nothing
        again, _ = connected_socket()
        await presence.track(again, "room", "bob", {})
        assert list(presence.list("room")) == ["bob"]
        await presence.pubsub.aclose()  # the app's shutdown
        assert presence.list("room") == {}
        await presence.track(again, "room", "carol", {})  # usable again
        assert list(presence.list("room")) == ["carol"]

    run(first())
    run(second())


# ================================================================================ real views


def people_of(html: str) -> list[str]:
    return re.findall(r'<li id="p-[^"]*">([^<]*)</li>', html)


def text_of(html: str, id: str) -> str:
    found = re.search(rf'<p id="{id}">([^<]*)</p>', html)
    assert found, html
    return found.group(1)


app = presence_views.app


def test_views_see_each_other_join_update_and_leave():
    async def main():
        async with live(app, "/room", session={"user": "alice"}) as alice:
            assert people_of(alice.html()) == ["alice: here"]
            async with live(app, "/room", session={"user": "bob"}) as bob:
                assert people_of(bob.html()) == ["alice: here", "bob: here"]
                await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here", "bob: here"])
                assert text_of(alice.html(), "joined") == "bob"

                await bob.element("#away").click()
                await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here", "bob: away"])
                assert (text_of(alice.html(), "joined"), text_of(alice.html(), "left")) == ("bob", "bob")
                await bob.wait_for(lambda: people_of(bob.html()) == ["alice: here", "bob: away"])
            # bob closed his tab
            await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here"])
            assert (text_of(alice.html(), "joined"), text_of(alice.html(), "left")) == ("", "bob")
        assert presence_views.presence.list(presence_views.TOPIC) == {}

    run(main())


def test_untrack_a_crash_and_navigating_away_each_make_the_view_leave():
    async def main():
        async with live(app, "/room", session={"user": "alice"}) as alice:
            async with live(app, "/room", session={"user": "bob"}) as bob:
                await bob.element("#hide").click()
                await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here"])
                await bob.wait_for(lambda: people_of(bob.html()) == ["alice: here"])
            async with live(app, "/room", session={"user": "carol"}) as carol:
                await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here", "carol: here"])
                with pytest.raises(RuntimeError, match="crashed on purpose"):
                    await carol.element("#boom").click()
                await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here"])
            async with live(app, "/room", session={"user": "dave"}) as dave:
                await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here", "dave: here"])
                await dave.element("#go").click()
                elsewhere = await dave.follow_redirect()
                assert elsewhere.has_element("#elsewhere")
                await alice.wait_for(lambda: people_of(alice.html()) == ["alice: here"])
            assert text_of(alice.html(), "left") == "dave"

    run(main())


# ================================================================================ across processes (Redis)


def test_changes_on_one_node_reach_the_other_nodes_list_and_subscribers(redis_server):
    async def main():
        nodes = Nodes(redis_server.url)
        try:
            _, a = nodes.node()
            b_pubsub, b = nodes.node()
            diffs = Diffs()
            await b_pubsub.subscribe("room", diffs)
            await a.start()
            await b.start()
            alice, alice_host = connected_socket()

            ref = await a.track(alice, "room", "alice", {"status": "online"})
            await until(lambda: "alice" in b.list("room"), what="alice on node B")
            assert b.list("room") == a.list("room") == {"alice": {"metas": [{"status": "online", "phx_ref": ref}]}}
            await until(lambda: diffs.got, what="B's subscriber to get the join")
            assert diffs.got == [{"joins": {"alice": {"metas": [{"status": "online", "phx_ref": ref}]}}, "leaves": {}}]

            bob, _ = connected_socket()
            ref_b = await b.track(bob, "room", "alice", {"status": "on her phone"})  # the same key from B
            await until(lambda: len(a.list("room")["alice"]["metas"]) == 2, what="both metas on A")
            assert a.list("room") == b.list("room")  # same order on every node
            assert {m["phx_ref"] for m in a.list("room")["alice"]["metas"]} == {ref, ref_b}

            diffs.got.clear()
            ref2 = await a.update(alice, "room", "alice", {"status": "away"})
            await until(lambda: diffs.got, what="the update on B")
            assert diffs.got == [{
                "joins": {"alice": {"metas": [{"status": "away", "phx_ref": ref2, "phx_ref_prev": ref}]}},
                "leaves": {"alice": {"metas": [{"status": "online", "phx_ref": ref}]}},
            }]
            assert sorted(statuses(b.list("room"))["alice"]) == ["away", "on her phone"]

            diffs.got.clear()
            await a.untrack(alice, "room", "alice")
            await until(lambda: diffs.got, what="the untrack on B")
            assert diffs.got == [{"joins": {}, "leaves": {"alice": {"metas": [{"status": "away", "phx_ref": ref2, "phx_ref_prev": ref}]}}}]
            assert statuses(b.list("room")) == statuses(a.list("room")) == {"alice": ["on her phone"]}

            await a.track(alice, "lobby", "alice", {"status": "online"})
            await until(lambda: "alice" in b.list("lobby"), what="alice in B's lobby")
            await alice_host.leave()  # the view goes away: its entries leave everywhere
            await until(lambda: b.list("lobby") == {}, what="alice to leave B's lobby")
        finally:
            await nodes.aclose()

    run(main())


def test_a_node_that_closes_is_dropped_at_once(redis_server):
    async def main():
        nodes = Nodes(redis_server.url)
        try:
            # B would only reap A after 30 s: A's entries going within 5 s is A's goodbye
            a_pubsub, a = nodes.node(heartbeat=0.1, timeout=30)
            b_pubsub, b = nodes.node(heartbeat=0.1, timeout=30)
            diffs = Diffs()
            await b_pubsub.subscribe("room", diffs)
            socket, _ = connected_socket()
            await a.track(socket, "room", "alice", {})
            await until(lambda: "alice" in b.list("room"), what="alice on B")
            await a_pubsub.aclose()  # the app shuts down: Presence closes first
            nodes.pubsubs.remove(a_pubsub)
            await until(lambda: b.list("room") == {}, what="B to drop A's entries")
            assert list(diffs.got[-1]["leaves"]) == ["alice"] and diffs.got[-1]["joins"] == {}
        finally:
            await nodes.aclose()

    run(main())


def test_a_node_that_dies_without_goodbye_is_reaped_after_the_timeout(redis_server, caplog):
    caplog.set_level(logging.INFO, logger="pyview_core")

    async def main():
        nodes = Nodes(redis_server.url)
        try:
            a_pubsub, a = nodes.node()
            b_pubsub, b = nodes.node()
            diffs = Diffs()
            await b_pubsub.subscribe("room", diffs)
            socket, _ = connected_socket()
            await a.track(socket, "room", "alice", {})
            await until(lambda: "alice" in b.list("room"), what="alice on B")
            dead = a.node
            await die(a_pubsub, a, nodes)
            await until(lambda: b.list("room") == {}, what="B to reap A")
            assert list(diffs.got[-1]["leaves"]) == ["alice"]
            return dead
        finally:
            await nodes.aclose()

    dead = run(main())
    reaped = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and dead in r.getMessage()]
    assert len(reaped) == 1 and "dropped its 1 entry" in reaped[0], reaped


def test_a_node_that_starts_later_learns_what_the_others_track(redis_server):
    async def main():
        nodes = Nodes(redis_server.url)
        try:
            # no heartbeat within the test: B learns A's entries from the state exchange at its start
            _, a = nodes.node(heartbeat=10, timeout=30)
            socket, _ = connected_socket()
            ref = await a.track(socket, "room", "alice", {"status": "online"})
            b_pubsub, b = nodes.node(heartbeat=10, timeout=30)
            diffs = Diffs()
            await b_pubsub.subscribe("room", diffs)
            await b.start()
            await until(lambda: "alice" in b.list("room"), what="B to learn alice")
            assert b.list("room") == {"alice": {"metas": [{"status": "online", "phx_ref": ref}]}}
            assert diffs.got == [{"joins": {"alice": {"metas": [{"status": "online", "phx_ref": ref}]}}, "leaves": {}}]
            bob, _ = connected_socket()
            await b.track(bob, "room", "bob", {"status": "online"})
            await until(lambda: "bob" in a.list("room"), what="A to learn bob")
        finally:
            await nodes.aclose()

    run(main())


def test_after_a_redis_outage_the_nodes_find_each_other_again(fresh_redis):
    async def main():
        nodes = Nodes(fresh_redis.url)
        try:
            _, a = nodes.node()
            b_pubsub, b = nodes.node()
            diffs = Diffs()
            await b_pubsub.subscribe("room", diffs)
            alice, _ = connected_socket()
            bob, _ = connected_socket()
            await a.track(alice, "room", "alice", {})
            await b.track(bob, "room", "bob", {})
            both = ["alice", "bob"]
            await until(lambda: sorted(a.list("room")) == both and sorted(b.list("room")) == both, what="both on both")

            await asyncio.to_thread(fresh_redis.stop)
            # longer than the timeout: each node reaps the other
            await until(lambda: list(a.list("room")) == ["alice"] and list(b.list("room")) == ["bob"], timeout=10, what="reaping")
            await asyncio.to_thread(fresh_redis.start)
            await until(lambda: sorted(a.list("room")) == both and sorted(b.list("room")) == both, timeout=10, what="the resync")
            assert a.list("room") == b.list("room")
            alice_seen = [("+" if "alice" in d["joins"] else "") + ("-" if "alice" in d["leaves"] else "") for d in diffs.got]
            assert [s for s in alice_seen if s] == ["+", "-", "+"]
        finally:
            await nodes.aclose()

    run(main())


# ================================================================================ the property


OPS = st.lists(
    st.tuples(
        st.sampled_from(["track", "track", "update", "untrack", "leave"]),
        st.integers(0, 1),  # node
        st.integers(0, 2),  # socket slot on that node
        st.sampled_from(["t1", "t2"]),
        st.sampled_from(["a", "b"]),
        st.integers(0, 9),  # the meta's value
    ),
    max_size=14,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_two_nodes_converge_to_the_model_whatever_the_operations(redis_server, ops):
    async def main():
        nodes = Nodes(redis_server.url)
        try:
            made = [nodes.node(), nodes.node()]
            presences = [p for _, p in made]
            followers = [{t: Follower() for t in ("t1", "t2")} for _ in made]
            for (pubsub, _), mine in zip(made, followers):
                for topic, follower in mine.items():
                    await pubsub.subscribe(topic, follower)
            for presence in presences:
                await presence.start()
            await acquainted(*presences)
            sockets = [[connected_socket() for _ in range(3)] for _ in made]
            model: dict[tuple[int, int, str, str], int] = {}  # (node, slot, topic, key) -> value
            for op, n, slot, topic, key, value in ops:
                socket, host = sockets[n][slot]
                presence = presences[n]
                tracked = (n, slot, topic, key) in model
                if op == "track":
                    if tracked:
                        with pytest.raises(ValueError, match="already tracks"):
                            await presence.track(socket, topic, key, {"v": value})
                    else:
                        await presence.track(socket, topic, key, {"v": value})
                        model[(n, slot, topic, key)] = value
                elif op == "update":
                    if tracked:
                        await presence.update(socket, topic, key, {"v": value})
                        model[(n, slot, topic, key)] = value
                    else:
                        with pytest.raises(NotTracked):
                            await presence.update(socket, topic, key, {"v": value})
                elif op == "untrack":
                    await presence.untrack(socket, topic, key)
                    model.pop((n, slot, topic, key), None)
                else:  # the view goes away; a new one takes its slot
                    await host.leave()
                    for entry in [e for e in model if e[:2] == (n, slot)]:
                        del model[entry]
                    sockets[n][slot] = connected_socket()

            def expected(topic: str) -> dict[str, list[int]]:
                found: dict[str, list[int]] = {}
                for (_, _, t, key), value in model.items():
                    if t == topic:
                        found.setdefault(key, []).append(value)
                return {key: sorted(values) for key, values in found.items()}

            def values(listing: dict) -> dict[str, list[int]]:
                return {key: sorted(m["v"] for m in entry["metas"]) for key, entry in listing.items()}

            def settled() -> bool:
                return all(
                    values(p.list(t)) == expected(t) and presences[0].list(t) == presences[1].list(t)
                    and followers[i][t].state == by_ref(p.list(t))
                    for t in ("t1", "t2") for i, p in enumerate(presences)
                )

            try:
                await until(settled, what="the nodes to settle")
            except AssertionError:
                pass  # the assertions below say what differs
            for topic in ("t1", "t2"):
                for i, presence in enumerate(presences):
                    assert values(presence.list(topic)) == expected(topic), (i, topic)
                    assert followers[i][topic].state == by_ref(presence.list(topic)), (i, topic)
                assert presences[0].list(topic) == presences[1].list(topic), topic
        finally:
            await nodes.aclose()

    run(main())
