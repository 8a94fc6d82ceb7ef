"""Presence: who is on a topic, across every process of the app (Phoenix.Presence's API).

    presence = Presence(app.pubsub)

    async def mount(self, socket, session):
        socket.context = {"online": presence.list("room:lobby")}
        if is_connected(socket):
            await socket.subscribe("room:lobby")                       # to get presence_diff
            await presence.track(socket, "room:lobby", session["user"], {"status": "online"})

    async def handle_info(self, event, socket):
        if event.name == "presence_diff":                              # {"joins": ..., "leaves": ...}
            socket.context["online"] = presence.list("room:lobby")

``track`` registers a connected view's entry ``(topic, key, meta)``; the entry goes away with
the view (closed, crashed, navigated away) or with ``untrack``; ``update`` replaces its meta.
``list(topic)`` is ``{key: {"metas": [meta, ...]}}`` over every process, each meta carrying its
``phx_ref`` (and ``phx_ref_prev`` after an update), as in Phoenix. Each change is handed to the
views of this process that subscribed to the topic as ``InfoEvent("presence_diff", {"joins":
{key: {"metas": [...]}}, "leaves": {...}})``; an update appears in both (old meta in leaves,
new meta in joins).

How the processes (nodes) share their entries
---------------------------------------------
Each node owns its entries and is the only one to change them. It broadcasts each change as a
small delta on an internal topic (``channel``), numbered by a per-node sequence number, a
heartbeat every ``heartbeat`` seconds carrying the current number, and its full state when it
starts, after each reconnection of the pub/sub, and when another node asks for it. A receiver
keeps, for every other node, that node's entries and the last number it saw:

* a delta whose number follows the last one is applied; a gap (a message lost while a
  connection was down: broker pub/sub delivers at most once) makes the receiver ask that node
  for its state, which replaces everything it knew of it and repairs the loss;
* a message from a node it does not know (it started, or came back) is answered the same way;
* a node heard of for ``timeout`` seconds is dropped (reaped), its entries leaving; a node that
  closes says goodbye and is dropped at once.

Why not Phoenix's tracker (a delta CRDT with vector clocks, merged pairwise between nodes)? Its
job is to converge without any ordering guarantee, across a partitioned cluster. Here every
message goes through one broker, which keeps each publisher's messages in order: a per-node
sequence number is then enough to detect a loss, and a full-state resync from the owner enough
to repair it, with a fraction of the code and state. Why not keep the entries in Redis keys
(hashes with expiring members)? That would tie Presence to Redis and add a round trip to every
``list``; this design needs only the ``PubSub`` interface, so it works unchanged over any adapter
(``RedisPubSub`` today; with ``InMemoryPubSub`` there are no other nodes and nothing is sent),
and ``list`` reads memory. The heartbeats are what lets a node notice a process that died
without saying goodbye (killed, out of memory, machine gone) and drop its entries.

Nothing here blocks the event loop: pub/sub callbacks only update memory and queue what must be
sent; a task of Presence's own sends it, and a send that fails (the broker is down and the
pub/sub's outbox is full) is logged at DEBUG and repaired by the resync that follows.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import orjson

from .pubsub import LocalInfo, PubSub, check_topic

logger = logging.getLogger("pyview_core")

HEARTBEAT_ENV = "PYVIEW_PRESENCE_HEARTBEAT"
TIMEOUT_ENV = "PYVIEW_PRESENCE_TIMEOUT"
DEFAULT_HEARTBEAT = 5.0
DEFAULT_TIMEOUT = 15.0
DEFAULT_CHANNEL = "pyview:presence"
DIFF_EVENT = "presence_diff"
SEND_QUEUE_SIZE = 1024  # messages waiting for the sender task; beyond, they are dropped (a resync repairs)
BYE_TIMEOUT = 2.0  # how long aclose waits to hand the goodbye to the pub/sub

Meta = dict[str, Any]
Entries = dict[str, dict[str, list[Meta]]]  # topic -> key -> metas


class NotTracked(ValueError, KeyError):
    """``Presence.update`` of an entry this socket does not track (a ``ValueError`` and a ``KeyError``)."""

    __str__ = BaseException.__str__  # the message as written, not KeyError's repr of it


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 and math.isfinite(value)):
        raise ValueError(f"Presence {name} must be a positive number of seconds, got {value!r}")
    return float(value)


@dataclass(slots=True)
class _Node:
    """What we know of another node: its entries and the last sequence number we applied
    (None while we wait for its state: it is new to us, or we missed one of its messages)."""

    heard: float
    seq: Optional[int] = None
    asked: float = -math.inf
    entries: Entries = field(default_factory=dict)


@dataclass(slots=True)
class _Owner:
    """A socket that tracks entries here: which ones (its leave callback untracks them)."""

    socket: Any
    entries: dict[tuple[str, str], None] = field(default_factory=dict)


class Presence:
    """Presence tracking over a ``PubSub`` (see the module's documentation).

    ``heartbeat``: seconds between this node's heartbeats (default ``PYVIEW_PRESENCE_HEARTBEAT``
    or 5); ``timeout``: seconds after which a silent node is dropped (default
    ``PYVIEW_PRESENCE_TIMEOUT`` or 15), more than twice the heartbeat; ``channel``: the internal
    pub/sub topic the nodes talk on (apps sharing a broker and a prefix need different ones).
    """

    def __init__(
        self, pubsub: PubSub, *, heartbeat: Optional[float] = None, timeout: Optional[float] = None,
        channel: str = DEFAULT_CHANNEL,
    ) -> None:
        self.pubsub = pubsub
        self.heartbeat = _env_seconds(HEARTBEAT_ENV, DEFAULT_HEARTBEAT) if heartbeat is None else _seconds("heartbeat", heartbeat)
        self.timeout = _env_seconds(TIMEOUT_ENV, DEFAULT_TIMEOUT) if timeout is None else _seconds("timeout", timeout)
        if not self.timeout > 2 * self.heartbeat:
            raise ValueError(
                f"Presence timeout ({self.timeout:g} s) must be more than twice the heartbeat ({self.heartbeat:g} s): "
                f"a node is dropped after `timeout` seconds of silence, and one late heartbeat must not drop it "
                f"(set with timeout=/heartbeat= or {TIMEOUT_ENV}/{HEARTBEAT_ENV})"
            )
        self.channel = check_topic(channel)
        self.local_only = bool(getattr(pubsub, "process_local", False))
        self.node = secrets.token_hex(8)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._closed_in: Optional[asyncio.AbstractEventLoop] = None
        self._generation = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._boot: Optional[asyncio.Task[None]] = None
        self._queue: Optional[asyncio.Queue[dict[str, Any]]] = None
        self._pending_state: Optional[dict[str, Any]] = None
        self._seq = 0
        self._local: dict[str, dict[str, dict[int, Meta]]] = {}  # topic -> key -> owner id -> meta, in track order
        self._owners: dict[int, _Owner] = {}
        self._nodes: dict[str, _Node] = {}
        pubsub.on_close(self.aclose)
        pubsub.on_connected(self._on_connected)

    def __repr__(self) -> str:
        mode = "local" if self.local_only else f"heartbeat={self.heartbeat:g}, timeout={self.timeout:g}"
        return f"Presence(node={self.node!r}, {mode}, channel={self.channel!r})"

    # --- lifecycle ----------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        """Start in the running loop with fresh state (again after ``aclose``, or when the loop it
        ran in has gone, as between tests)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        self._loop = loop
        self._closed_in = None
        self._generation += 1
        self.node = secrets.token_hex(8)  # a new node for the others: its numbering starts afresh
        self._seq = 0
        self._local = {}
        self._owners = {}
        self._nodes = {}
        self._pending_state = None
        self._tasks = []
        self._boot = None
        self._queue = None
        if self.local_only:
            return
        self._queue = asyncio.Queue(SEND_QUEUE_SIZE)
        self._boot = loop.create_task(self._join(), name=f"pyview presence join {self.node}")
        self._tasks = [
            self._boot,
            loop.create_task(self._sender(), name=f"pyview presence sender {self.node}"),
            loop.create_task(self._beat(), name=f"pyview presence heartbeat {self.node}"),
        ]

    async def start(self) -> None:
        """Start (idempotent): subscribe to the internal topic and announce this node. Done by
        ``track``/``update`` by themselves; the pub/sub's ``aclose`` closes it."""
        self._ensure_started()
        if self._boot is not None and not self._boot.done():
            await asyncio.shield(self._boot)

    async def aclose(self) -> None:
        """Say goodbye (the other nodes drop this one's entries at once), stop the tasks, forget
        everything. A later use starts again, with fresh state."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and not self.local_only:
            tasks, self._tasks = self._tasks, []
            for task in tasks:
                task.cancel()
            for task in tasks:
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                except Exception:
                    logger.exception("presence: task %s failed", task.get_name())
            try:
                await asyncio.wait_for(self.pubsub.broadcast(self.channel, {"k": "b", "n": self.node}), BYE_TIMEOUT)
            except (asyncio.TimeoutError, Exception) as exc:
                logger.debug("presence: could not say goodbye (%s)", exc)
            try:
                await self.pubsub.unsubscribe(self.channel, self._on_message)
            except Exception as exc:
                logger.debug("presence: unsubscribing from %r failed (%s)", self.channel, exc)
        if self._loop is not None:
            self._generation += 1  # leave callbacks of sockets from before are no-ops now
        self._loop = None
        self._closed_in = loop
        self._tasks = []
        self._boot = None
        self._queue = None
        self._pending_state = None
        self._local = {}
        self._owners = {}
        self._nodes = {}

    # --- the API ------------------------------------------------------------------------------

    async def track(self, socket: Any, topic: str, key: str, meta: Meta) -> str:
        """Track ``key`` with ``meta`` on ``topic`` for this view until it goes away (or ``untrack``);
        the entry's ref (its meta's ``phx_ref``)."""
        _require_connected("track", socket)
        check_topic(topic)
        _check_key("track", topic, key)
        stored = _clean_meta("track", topic, key, meta)
        await self.start()
        owner = self._owner(socket)
        if (topic, key) in owner.entries:
            raise ValueError(
                f"Presence.track: this socket already tracks {key!r} on {topic!r}; "
                "use Presence.update to change its meta"
            )
        ref = _new_ref()
        stored["phx_ref"] = ref
        self._local.setdefault(topic, {}).setdefault(key, {})[id(socket)] = stored
        owner.entries[(topic, key)] = None
        self._changed(topic, {key: [stored]}, {}, {key: [stored]}, {})
        return ref

    async def update(self, socket: Any, topic: str, key: str, meta: Union[Meta, Callable[[Meta], Meta]]) -> str:
        """Replace this socket's meta for ``key`` on ``topic`` (a dict, or a function of the old
        meta); the new ref. Subscribers see the key leave (old meta) and join (new meta)."""
        _require_connected("update", socket)
        check_topic(topic)
        _check_key("update", topic, key)
        owner = self._owners.get(id(socket)) if self._loop is _running_loop() else None
        if owner is None or owner.socket is not socket or (topic, key) not in owner.entries:
            raise NotTracked(f"Presence.update: this socket does not track {key!r} on {topic!r}; call Presence.track first")
        metas = self._local[topic][key]
        old = metas[id(socket)]
        new = meta(dict(old)) if callable(meta) else meta
        stored = _clean_meta("update", topic, key, new)
        stored.pop("phx_ref", None)
        stored.pop("phx_ref_prev", None)
        ref = _new_ref()
        stored["phx_ref"] = ref
        stored["phx_ref_prev"] = old["phx_ref"]
        del metas[id(socket)]
        metas[id(socket)] = stored  # moved to the end, as a leave and a join would
        self._changed(topic, {key: [stored]}, {key: [old]}, {key: [stored]}, {key: [old["phx_ref"]]})
        return ref

    async def untrack(self, socket: Any, topic: str, key: str) -> None:
        """Stop tracking ``key`` on ``topic`` for this socket (nothing happens if it was not tracked)."""
        owner = self._owners.get(id(socket)) if self._loop is _running_loop() else None
        if owner is None or owner.socket is not socket or (topic, key) not in owner.entries:
            return
        del owner.entries[(topic, key)]
        gone = self._remove_local(topic, key, id(socket))
        self._changed(topic, {}, {key: [gone]}, {}, {key: [gone["phx_ref"]]})

    def list(self, topic: str) -> dict[str, dict[str, list[Meta]]]:
        """``{key: {"metas": [meta, ...]}}`` for ``topic`` over every node (this one included);
        the metas of a key in node order, then in the order they were tracked or updated."""
        loop = _running_loop()
        if loop is not None and loop is not self._loop and loop is not self._closed_in:
            self._ensure_started()
        per_node: list[tuple[str, dict[str, list[Meta]]]] = []
        mine = self._local.get(topic)
        if mine:
            per_node.append((self.node, {key: list(metas.values()) for key, metas in mine.items()}))
        for node_id, node in self._nodes.items():
            theirs = node.entries.get(topic)
            if theirs:
                per_node.append((node_id, theirs))
        per_node.sort(key=lambda item: item[0])
        result: dict[str, dict[str, list[Meta]]] = {}
        for _, keys in per_node:
            for key, metas in keys.items():
                if metas:
                    result.setdefault(key, {"metas": []})["metas"].extend(dict(m) for m in metas)
        return result

    # --- local changes ------------------------------------------------------------------------

    def _owner(self, socket: Any) -> _Owner:
        owner = self._owners.get(id(socket))
        if owner is not None and owner.socket is socket:
            return owner
        owner = self._owners[id(socket)] = _Owner(socket)
        generation = self._generation

        async def left() -> None:
            self._left(owner, generation)

        socket.on_leave(left)
        return owner

    def _left(self, owner: _Owner, generation: int) -> None:
        """The view went away: its entries leave, one diff and one delta per topic."""
        if generation != self._generation or self._owners.get(id(owner.socket)) is not owner:
            return
        del self._owners[id(owner.socket)]
        by_topic: dict[str, dict[str, list[Meta]]] = {}
        for topic, key in owner.entries:
            by_topic.setdefault(topic, {})[key] = [self._remove_local(topic, key, id(owner.socket))]
        owner.entries.clear()
        for topic, leaves in by_topic.items():
            self._changed(topic, {}, leaves, {}, {key: [metas[0]["phx_ref"]] for key, metas in leaves.items()})

    def _remove_local(self, topic: str, key: str, owner_id: int) -> Meta:
        keys = self._local[topic]
        metas = keys[key]
        gone = metas.pop(owner_id)
        if not metas:
            del keys[key]
            if not keys:
                del self._local[topic]
        return gone

    def _changed(
        self, topic: str, joins: dict[str, list[Meta]], leaves: dict[str, list[Meta]],
        sent_joins: dict[str, list[Meta]], sent_leaves: dict[str, list[str]],
    ) -> None:
        """A local change: tell this process's subscribers, and the other nodes."""
        self._dispatch(topic, joins, leaves)
        if self.local_only:
            return
        self._seq += 1
        self._send({"k": "d", "n": self.node, "s": self._seq, "t": topic, "j": sent_joins, "l": sent_leaves})

    def _dispatch(self, topic: str, joins: dict[str, list[Meta]], leaves: dict[str, list[Meta]]) -> None:
        """``presence_diff`` to this process's subscribers of ``topic`` (never an empty one)."""
        joins = {key: metas for key, metas in joins.items() if metas}
        leaves = {key: metas for key, metas in leaves.items() if metas}
        if not (joins or leaves) or not self.pubsub.subscriber_count(topic):
            return
        payload = {
            "joins": {key: {"metas": [dict(m) for m in metas]} for key, metas in joins.items()},
            "leaves": {key: {"metas": [dict(m) for m in metas]} for key, metas in leaves.items()},
        }
        self.pubsub.deliver_local(topic, LocalInfo(DIFF_EVENT, payload))

    # --- sending ------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> bool:
        """Queue ``message`` for the sender task; a full queue drops it (the numbering shows the
        loss to the others, who ask for a resync)."""
        if self._queue is None:
            return False
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            logger.debug("presence: send queue full; dropped a %r message", message.get("k"))
            return False
        return True

    def _send_state(self, reply_wanted: bool) -> None:
        """Queue this node's full state, unless one is already waiting to be sent (it will do:
        it is sent after everything queued before it, and its snapshot is what they left)."""
        pending = self._pending_state
        if pending is not None:
            if reply_wanted:
                pending["r"] = True
            return
        entries = {
            topic: {key: list(metas.values()) for key, metas in keys.items()} for topic, keys in self._local.items()
        }
        message = {"k": "s", "n": self.node, "s": self._seq, "e": entries, "r": reply_wanted}
        if self._send(message):
            self._pending_state = message

    def _ask(self, node_id: str, node: _Node) -> None:
        node.seq = None  # deltas are ignored until its state arrives (the state includes them)
        node.asked = time.monotonic()
        self._send({"k": "a", "n": self.node, "to": node_id})

    async def _sender(self) -> None:
        queue = self._queue
        assert queue is not None
        while True:
            message = await queue.get()
            if message is self._pending_state:
                self._pending_state = None
            try:
                await self.pubsub.broadcast(self.channel, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker is down and the outbox full: a resync repairs it
                logger.debug("presence: could not send a %r message (%s)", message.get("k"), exc)

    async def _join(self) -> None:
        try:
            await self.pubsub.subscribe(self.channel, self._on_message)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("presence: subscribing to %r failed; this node works alone", self.channel)
            return
        self._send_state(reply_wanted=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                self._send({"k": "h", "n": self.node, "s": self._seq})
                self._reap()
            except Exception:
                logger.exception("presence: heartbeat failed")

    def _reap(self) -> None:
        now = time.monotonic()
        for node_id, node in list(self._nodes.items()):
            if now - node.heard > self.timeout:
                count = sum(len(metas) for keys in node.entries.values() for metas in keys.values())
                logger.info(
                    "presence: node %s not heard from for %.1f s; dropped its %d entr%s",
                    node_id, now - node.heard, count, "y" if count == 1 else "ies",
                )
                self._drop(node_id)
            elif node.seq is None and now - node.asked >= 2 * self.heartbeat:
                self._ask(node_id, node)  # the ask or its answer was lost: ask again

    def _drop(self, node_id: str) -> None:
        node = self._nodes.pop(node_id, None)
        if node is not None:
            for topic, keys in node.entries.items():
                self._dispatch(topic, {}, keys)

    # --- receiving ----------------------------------------------------------------------------

    def _on_connected(self) -> None:
        """The pub/sub (re)connected: announce our state and ask for everyone's (what was
        published while we were away is lost)."""
        if self._loop is not None and self._loop is _running_loop() and not self.local_only:
            self._send_state(reply_wanted=True)

    def _on_message(self, topic: str, message: Any) -> None:
        if self._loop is None or self._loop is not _running_loop():
            return  # a subscription left from an event loop that has gone
        try:
            kind = message["k"]
            node_id = message["n"]
            if node_id == self.node or not isinstance(node_id, str):
                return
            if kind == "b":
                if node_id in self._nodes:
                    logger.debug("presence: node %s said goodbye", node_id)
                    self._drop(node_id)
                return
            node = self._nodes.get(node_id)
            if node is None:
                node = self._nodes[node_id] = _Node(heard=time.monotonic())
                if kind != "s":
                    self._ask(node_id, node)
            else:
                node.heard = time.monotonic()
            if kind == "d":
                self._on_delta(node_id, node, message)
            elif kind == "h":
                seq = message["s"]
                if node.seq is not None and seq > node.seq:
                    self._ask(node_id, node)  # it sent something we did not get
            elif kind == "s":
                self._on_state(node, message)
            elif kind == "a":
                if message.get("to") == self.node:
                    self._send_state(reply_wanted=False)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            logger.debug("presence: ignored a malformed message on %r (%s: %s)", topic, type(exc).__name__, exc)

    def _on_delta(self, node_id: str, node: _Node, message: dict[str, Any]) -> None:
        seq = message["s"]
        if node.seq is None:
            return  # waiting for its state, which will include this
        if seq <= node.seq:
            return
        if seq != node.seq + 1:
            self._ask(node_id, node)
            return
        topic = message["t"]
        check_topic(topic)
        joins = _parse_keys(message["j"])
        left_refs = message["l"]
        if not isinstance(left_refs, dict):
            raise TypeError("leaves must be a dict")
        node.seq = seq
        keys = node.entries.setdefault(topic, {})
        leaves: dict[str, list[Meta]] = {}
        for key, refs in left_refs.items():
            metas = keys.get(key)
            if not metas:
                continue
            refs = set(refs)
            leaves[key] = [m for m in metas if m["phx_ref"] in refs]
            remaining = [m for m in metas if m["phx_ref"] not in refs]
            if remaining:
                keys[key] = remaining
            else:
                del keys[key]
        for key, metas in joins.items():
            keys.setdefault(key, []).extend(metas)
        if not keys:
            del node.entries[topic]
        self._dispatch(topic, joins, leaves)

    def _on_state(self, node: _Node, message: dict[str, Any]) -> None:
        seq = message["s"]
        if not isinstance(seq, int):
            raise TypeError("the sequence number must be an int")
        raw = message["e"]
        if not isinstance(raw, dict):
            raise TypeError("entries must be a dict")
        entries: Entries = {}
        for topic, keys in raw.items():
            parsed = _parse_keys(keys)
            if parsed:
                entries[check_topic(topic)] = parsed
        old, node.entries, node.seq = node.entries, entries, seq
        for topic in [*old, *(t for t in entries if t not in old)]:
            before, after = old.get(topic, {}), entries.get(topic, {})
            joins: dict[str, list[Meta]] = {}
            leaves: dict[str, list[Meta]] = {}
            for key in [*before, *(k for k in after if k not in before)]:
                was, now = before.get(key, []), after.get(key, [])
                was_refs = {m["phx_ref"] for m in was}
                now_refs = {m["phx_ref"] for m in now}
                leaves[key] = [m for m in was if m["phx_ref"] not in now_refs]
                joins[key] = [m for m in now if m["phx_ref"] not in was_refs]
            self._dispatch(topic, joins, leaves)
        if message.get("r"):
            self._send_state(reply_wanted=False)


# --- helpers -----------------------------------------------------------------------------------


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _new_ref() -> str:
    return secrets.token_urlsafe(9)


def _require_connected(what: str, socket: Any) -> None:
    if getattr(socket, "connected", False) is not True or not callable(getattr(socket, "on_leave", None)):
        raise TypeError(f"Presence.{what} needs a connected socket: call it under `if is_connected(socket)`")


def _check_key(what: str, topic: str, key: Any) -> None:
    if not isinstance(key, str):
        raise TypeError(f"Presence.{what} on {topic!r}: the key must be a str, got {key!r} ({type(key).__name__})")


def _clean_meta(what: str, topic: str, key: str, meta: Any) -> Meta:
    """``meta`` as it arrives on other nodes (through JSON), or a TypeError naming topic and key."""
    if not isinstance(meta, dict):
        raise TypeError(f"Presence.{what} on {topic!r} for {key!r}: the meta must be a dict, got {type(meta).__name__}")
    try:
        return orjson.loads(orjson.dumps(meta))
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise TypeError(
            f"Presence.{what} on {topic!r} for {key!r}: the meta is not JSON-encodable ({exc}); metas travel "
            "between processes as JSON: use dicts with str keys, lists, str, numbers, bools, None"
        ) from None


def _parse_keys(raw: Any) -> dict[str, list[Meta]]:
    """``{key: [meta, ...]}`` from another node, checked (every meta a dict with a str phx_ref)."""
    if not isinstance(raw, dict):
        raise TypeError("expected {key: [meta, ...]}")
    parsed: dict[str, list[Meta]] = {}
    for key, metas in raw.items():
        if not isinstance(metas, list) or not all(isinstance(m, dict) and isinstance(m.get("phx_ref"), str) for m in metas):
            raise TypeError(f"bad metas for {key!r}")
        if metas:
            parsed[key] = metas
    return parsed
