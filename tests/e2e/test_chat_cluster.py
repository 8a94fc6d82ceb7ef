"""The chat across two processes in Chromium: two ``pyview serve examples.app:app`` processes on
two ports share one real ``redis-server`` (``PYVIEW_PUBSUB_URL``) and one secret; pages on both
ports see each other's messages, presence and typing. Then the chaos: Redis restarted mid-chat
(messages resume, presence is rebuilt) and one process killed with SIGKILL (its users leave the
other process's list within the presence timeout).

The presence heartbeat and timeout are shortened through ``PYVIEW_PRESENCE_HEARTBEAT`` /
``PYVIEW_PRESENCE_TIMEOUT`` so that a silent death is noticed in seconds, not the default 15 s.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from redis_server import RedisServer, free_port
from test_examples import CONNECTED, send_chat

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "chat-cluster-tests-only-" + "0123456789abcdefghijklmnop"
HEARTBEAT, TIMEOUT = 0.5, 3.0


@dataclass
class Node:
    """One ``pyview serve`` process and its log."""

    proc: subprocess.Popen
    base: str
    log: list[str] = field(default_factory=list)
    lines: "queue.Queue[str]" = field(default_factory=queue.Queue)

    def wait_for_line(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if needle in line:
                return line
        raise AssertionError(f"{self.base} did not log {needle!r} within {timeout} s:\n" + "".join(self.log[-30:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_node(redis: RedisServer) -> Node:
    port = free_port()
    env = {
        **os.environ, "PYVIEW_SECRET_KEY": SECRET, "PYVIEW_PUBSUB_URL": redis.url, "PYTHONUNBUFFERED": "1",
        "PYVIEW_PRESENCE_HEARTBEAT": str(HEARTBEAT), "PYVIEW_PRESENCE_TIMEOUT": str(TIMEOUT),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PYVIEW_ENV", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pyview_core.cli import main; sys.exit(main())",
         "serve", "examples.app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    node = Node(proc, f"http://127.0.0.1:{port}")

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            node.log.append(line)
            node.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    node.wait_for_line("pub/sub: connected to Redis")
    node.wait_for_line("Uvicorn running on")
    return node


@pytest.fixture
def cluster(e2e_prerequisites, fresh_redis) -> Iterator[tuple[RedisServer, Node, Node]]:
    a, b = start_node(fresh_redis), start_node(fresh_redis)
    try:
        yield fresh_redis, a, b
    finally:
        a.stop()
        b.stop()
    for node in (a, b):
        errors = [line for line in node.log if "Traceback" in line or "ERROR" in line]
        assert not errors, f"{node.base} logged errors:\n" + "".join(node.log)


@pytest.fixture
def open_chat(browser) -> Iterator:
    contexts = []

    def open_on(node: Node) -> Page:
        context = browser.new_context(base_url=node.base)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/chat")
        page.wait_for_selector(CONNECTED)
        return page

    yield open_on
    for context in contexts:
        context.close()


def name_of(page: Page) -> str:
    return page.locator("#name").input_value()


def here(page: Page):
    return page.locator("#here > li")


def test_two_processes_share_messages_presence_and_typing(cluster, open_chat):
    _redis, a, b = cluster
    alice, bob = open_chat(a), open_chat(b)
    name_a, name_b = name_of(alice), name_of(bob)
    for page in (alice, bob):
        expect(here(page)).to_have_count(2)
        expect(here(page).filter(has_text=name_a)).to_have_count(1)
        expect(here(page).filter(has_text=name_b)).to_have_count(1)
    expect(alice.locator("#here li.me")).to_contain_text(f"{name_a} (you)")

    hello = f"hello from A {uuid.uuid4().hex[:6]}"
    send_chat(alice, hello)
    for page in (alice, bob):
        expect(page.locator("#messages li").filter(has_text=hello)).to_have_text(f"{name_a}: {hello}")
    reply = f"hi from B {uuid.uuid4().hex[:6]}"
    send_chat(bob, reply)
    for page in (alice, bob):
        expect(page.locator("#messages li").last).to_have_text(f"{name_b}: {reply}")

    alice.locator("#send-form input[name=text]").press_sequentially("typing…")
    expect(bob.locator("#typing")).to_have_text(f"{name_a} is typing…")
    alice.locator("#send-form input[name=text]").press("Enter")
    expect(bob.locator("#typing")).to_have_text("")
    expect(alice.locator("#send-form input[name=text]")).to_be_focused()

    # A tab that closes leaves the other process's list.
    bob.context.close()
    expect(here(alice)).to_have_count(1)


def test_a_redis_restart_mid_chat(cluster, open_chat):
    redis, a, b = cluster
    alice, bob = open_chat(a), open_chat(b)
    name_a, name_b = name_of(alice), name_of(bob)
    expect(here(alice)).to_have_count(2)

    redis.stop()
    a.wait_for_line("pub/sub: lost Redis")
    b.wait_for_line("pub/sub: lost Redis")
    # Views keep working in their own process meanwhile.
    local = f"said while Redis was down {uuid.uuid4().hex[:6]}"
    send_chat(alice, local)
    expect(alice.locator("#messages li").filter(has_text=local)).to_have_count(1)

    # An outage longer than the presence timeout: each process drops the other's entries ...
    a.wait_for_line("not heard from for")
    b.wait_for_line("not heard from for")
    expect(here(alice)).to_have_count(1)
    expect(here(bob)).to_have_count(1)
    redis.start()
    a.wait_for_line("pub/sub: reconnected to Redis")
    b.wait_for_line("pub/sub: reconnected to Redis")

    # ... and presence is rebuilt when it is back: each process re-announces its entries.
    for page in (alice, bob):
        expect(here(page)).to_have_count(2, timeout=15_000)
        expect(here(page).filter(has_text=name_a)).to_have_count(1)
        expect(here(page).filter(has_text=name_b)).to_have_count(1)
    # Messages resume, both ways.
    after = f"after the restart {uuid.uuid4().hex[:6]}"
    send_chat(bob, after)
    expect(alice.locator("#messages li").filter(has_text=after)).to_have_text(f"{name_b}: {after}")
    back = f"and back {uuid.uuid4().hex[:6]}"
    send_chat(alice, back)
    expect(bob.locator("#messages li").filter(has_text=back)).to_have_text(f"{name_a}: {back}")
    # A tab opened on B after the restart sees A's user too.
    carol = open_chat(b)
    expect(here(carol)).to_have_count(3)


def test_a_killed_process_users_leave_the_other_process_list(cluster, open_chat):
    _redis, a, b = cluster
    alice, bob = open_chat(a), open_chat(b)
    name_b = name_of(bob)
    expect(here(alice).filter(has_text=name_b)).to_have_count(1)

    os.kill(b.proc.pid, signal.SIGKILL)  # no goodbye: only the missing heartbeats tell
    b.proc.wait()
    killed_at = time.monotonic()
    expect(here(alice).filter(has_text=name_b)).to_have_count(0, timeout=(TIMEOUT + 5) * 1000)
    assert time.monotonic() - killed_at < TIMEOUT + 5
    expect(here(alice)).to_have_count(1)
    a.wait_for_line("dropped its 1 entry")  # the reaping is logged
