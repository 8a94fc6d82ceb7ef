"""The parts of the actor runtime on their own: the mailbox, the outbox and the task owner."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from async_runner import run
from pyview_core.mailbox import Mailbox, MailboxClosed
from pyview_core.outbox import Outbox
from pyview_core.tasks import OwnerClosed, TaskOwner




# ================================================================================ mailbox


@settings(max_examples=200)
@given(st.integers(1, 8), st.lists(st.sampled_from(["offer", "get"]), max_size=60))
def test_mailbox_is_a_bounded_fifo(capacity, steps):
    """Against a deque model: offers beyond the capacity are refused, the rest come out in order."""

    async def scenario() -> None:
        box: Mailbox[int] = Mailbox(capacity)
        model: deque[int] = deque()
        for n, step in enumerate(steps):
            if step == "offer":
                accepted = box.offer(n)
                assert accepted == (len(model) < capacity)
                if accepted:
                    model.append(n)
            else:
                assert box.get_nowait() == (model.popleft() if model else None)
            assert len(box) == len(model) <= capacity

    run(scenario())


def test_put_waits_at_the_window_and_resumes_in_order():
    async def scenario() -> list[int]:
        box: Mailbox[int] = Mailbox(capacity=8, window=2)
        produced: list[int] = []

        async def producer() -> None:
            for n in range(10):
                await box.put(n)
                produced.append(n)

        task = asyncio.create_task(producer())
        await asyncio.sleep(0)
        assert produced == [0, 1]  # the third waits: two are queued
        assert len(box) == 2
        got = []
        for _ in range(10):
            got.append(await box.get())
            assert len(box) <= 2
        await task
        return got

    assert run(scenario()) == list(range(10))


def test_offer_still_works_while_producers_wait():
    """The window holds back waiting producers only; the reader and pub/sub may go up to the capacity."""

    async def scenario() -> None:
        box: Mailbox[str] = Mailbox(capacity=4, window=1)
        assert await box.put("a")
        waiting = asyncio.create_task(box.put("b"))
        await asyncio.sleep(0)
        assert not waiting.done()
        assert box.offer("event") and box.offer("info")
        assert len(box) == 3
        assert [await box.get() for _ in range(3)] == ["a", "event", "info"]
        assert await waiting
        assert await box.get() == "b"

    run(scenario())


def test_close_wakes_producers_and_the_consumer_drains_what_is_left():
    async def scenario() -> None:
        box: Mailbox[int] = Mailbox(capacity=2, window=1)
        box.offer(1)
        producer = asyncio.create_task(box.put(2))
        await asyncio.sleep(0)
        assert not producer.done()
        box.close()
        assert await producer is False  # woken, and told its message was not queued
        assert await box.get() == 1  # what was queued before the close is still there
        with pytest.raises(MailboxClosed):
            await box.get()
        assert not box.offer(3)

    run(scenario())


def test_close_wakes_a_waiting_consumer():
    async def scenario() -> None:
        box: Mailbox[int] = Mailbox(capacity=2)
        consumer = asyncio.create_task(box.get())
        await asyncio.sleep(0)
        box.close()
        with pytest.raises(MailboxClosed):
            await consumer

    run(scenario())


def test_a_cancelled_producer_passes_its_turn_on():
    async def scenario() -> None:
        box: Mailbox[str] = Mailbox(capacity=4, window=1)
        box.offer("queued")
        first = asyncio.create_task(box.put("first"))
        second = asyncio.create_task(box.put("second"))
        await asyncio.sleep(0)
        first.cancel()
        assert await box.get() == "queued"
        assert await second
        assert await box.get() == "second"
        assert first.cancelled()

    run(scenario())


# ================================================================================ outbox


class StalledSocket:
    """An ASGI send that accepts ``accepted`` frames, then blocks like a client that stopped reading."""

    def __init__(self, accepted: int) -> None:
        self.accepted = accepted
        self.frames: list[str] = []
        self.never = asyncio.Event()

    async def send(self, message: dict) -> None:
        if len(self.frames) >= self.accepted:
            await self.never.wait()
        self.frames.append(message["text"])


def test_outbox_sends_frames_in_order():
    async def scenario() -> list[str]:
        socket = StalledSocket(accepted=1000)
        outbox = Outbox(socket.send, limit=1 << 20, on_overflow=lambda n: pytest.fail("no overflow expected"))
        writer = asyncio.create_task(outbox.run())
        for n in range(50):
            outbox.push([None, str(n), "t", "e", {}])
        while len(socket.frames) < 50:
            await asyncio.sleep(0)
        outbox.close()
        await writer
        return socket.frames

    frames = run(scenario())
    assert [f.split('"')[1] for f in frames] == [str(n) for n in range(50)]


class FlakySocket:
    """An ASGI send that sometimes has to wait, as uvicorn's does while the transport is paused
    (``await writable.wait()``, resumed by ``resume_writing`` on a later turn of the loop)."""

    def __init__(self, waits: list[bool]) -> None:
        self.waits = waits
        self.frames: list[str] = []

    async def send(self, message: dict) -> None:
        if self.waits and self.waits.pop(0):
            writable = asyncio.Event()
            asyncio.get_running_loop().call_soon(writable.set)
            await writable.wait()
        self.frames.append(message["text"])


@settings(max_examples=100)
@given(st.lists(st.booleans(), max_size=40), st.lists(st.integers(0, 3), min_size=1, max_size=40))
def test_outbox_keeps_order_whether_sends_finish_at_once_or_wait(waits, bursts):
    """Frames pushed in bursts, some sends waiting: all arrive, in order, none twice."""

    async def scenario() -> list[str]:
        socket = FlakySocket(list(waits))
        outbox = Outbox(socket.send, limit=1 << 20, on_overflow=lambda n: pytest.fail("no overflow expected"))
        writer = asyncio.create_task(outbox.run())
        n = 0
        for burst in bursts:
            for _ in range(burst):
                outbox.push([None, str(n), "t", "e", {}])
                n += 1
            await asyncio.sleep(0)
        while len(socket.frames) < n:
            if writer.done():
                writer.result()  # the writer died: raise its error here
                pytest.fail("the writer stopped before sending everything")
            await asyncio.sleep(0)
        assert outbox.queued_bytes == 0
        outbox.close()
        await writer
        return socket.frames

    frames = run(scenario())
    assert [f.split('"')[1] for f in frames] == [str(k) for k in range(sum(bursts))]


def test_a_send_that_fails_ends_the_writer_with_its_error():
    async def scenario() -> None:
        async def gone(message: dict) -> None:
            raise ConnectionResetError("the peer went away")

        outbox = Outbox(gone, limit=1000, on_overflow=lambda n: None)
        writer = asyncio.create_task(outbox.run())
        outbox.push([None, "1", "t", "e", {}])  # does not raise into the view that pushed it
        with pytest.raises(ConnectionResetError):
            await writer
        assert outbox.closed

    run(scenario())


def test_outbox_gives_up_on_a_client_that_does_not_read():
    async def scenario() -> tuple[list[int], Outbox, int]:
        socket = StalledSocket(accepted=3)
        overflows: list[int] = []
        outbox = Outbox(socket.send, limit=10_000, on_overflow=overflows.append)
        writer = asyncio.create_task(outbox.run())
        pushed = 0
        while not outbox.closed:
            outbox.push([None, None, "lv:x", "diff", {"0": "x" * 500}])
            pushed += 1
            await asyncio.sleep(0)
        writer.cancel()
        return overflows, outbox, pushed

    overflows, outbox, pushed = run(scenario())
    assert len(overflows) == 1 and 10_000 < overflows[0] <= 10_000 + 600
    assert outbox.queued_bytes == 0  # what it held is released at once
    assert pushed < 30
    outbox.push([None, None, "t", "e", {}])  # after closing, frames are dropped quietly
    assert outbox.queued_bytes == 0


def test_one_frame_larger_than_the_limit_is_still_sent():
    async def scenario() -> list[str]:
        socket = StalledSocket(accepted=10)
        outbox = Outbox(socket.send, limit=100, on_overflow=lambda n: pytest.fail("a lone big frame is not an overflow"))
        writer = asyncio.create_task(outbox.run())
        outbox.push([None, None, "lv:x", "diff", {"0": "y" * 1000}])
        while not socket.frames:
            await asyncio.sleep(0)
        outbox.close()
        await writer
        return socket.frames

    assert len(run(scenario())[0]) > 1000


def test_an_unencodable_frame_is_the_callers_error():
    async def scenario() -> None:
        outbox = Outbox(StalledSocket(1).send, limit=1000, on_overflow=lambda n: None)
        with pytest.raises(TypeError):
            outbox.push([None, None, "t", "e", {"x": object()}])
        assert outbox.queued_bytes == 0

    run(scenario())


# ================================================================================ task owner


def test_aclose_cancels_and_awaits_every_task():
    async def scenario() -> list[str]:
        owner = TaskOwner("view")
        log: list[str] = []

        async def job(name: str) -> None:
            try:
                await asyncio.sleep(3600)
            finally:
                await asyncio.sleep(0)  # cleanup that awaits
                log.append(f"{name} cleaned up")

        tasks = [owner.start(job(f"job{n}")) for n in range(3)]
        await asyncio.sleep(0)
        await owner.aclose()
        log.append("closed")
        assert all(task.done() for task in tasks)
        assert len(owner) == 0
        return log

    log = run(scenario())
    assert log[-1] == "closed" and sorted(log[:-1]) == ["job0 cleaned up", "job1 cleaned up", "job2 cleaned up"]


def test_no_task_starts_after_aclose():
    async def scenario() -> None:
        owner = TaskOwner("view")
        await owner.aclose()

        async def late() -> None:
            raise AssertionError("must never run")

        coro = late()
        with pytest.raises(OwnerClosed):
            owner.start(coro)
        assert coro.cr_frame is None  # closed, not left to warn "never awaited"

    run(scenario())


def test_a_task_that_ignores_cancellation_does_not_hang_teardown(caplog):
    async def scenario() -> None:
        owner = TaskOwner("stubborn view", stop_timeout=0.05)
        release = asyncio.Event()

        async def stubborn() -> None:
            while not release.is_set():
                try:
                    await release.wait()
                except asyncio.CancelledError:
                    continue

        task = owner.start(stubborn())
        await asyncio.sleep(0)
        await owner.aclose()
        assert not task.done()
        release.set()
        await task

    run(scenario())
    assert "ignored its cancellation" in caplog.text


# ================================================================================ socket sweeper


def test_the_sweeper_collects_once_as_many_sockets_closed_as_are_open(monkeypatch):
    from pyview_core import runtime

    collections: list[int] = []
    monkeypatch.setattr(runtime.gc, "collect", lambda: collections.append(1))
    sweeper = runtime.SocketSweeper(minimum=3)
    for _ in range(10):
        sweeper.opened()
    for _ in range(4):
        sweeper.closed()  # 4 closed, 6 open: not yet
    assert collections == []
    sweeper.closed()
    sweeper.closed()  # 6 closed, 4 open
    assert collections == [1]
    for _ in range(3):
        sweeper.closed()  # 3 more (the minimum), 1 open
    assert collections == [1, 1]
    sweeper.closed()
    assert sweeper.open == 0 and collections == [1, 1]  # 1 closed since: below the minimum
