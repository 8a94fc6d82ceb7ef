"""The stream examples in a real browser: todo, chat with a limit, live output of a server job.

What the page shows is the official client's DOM after it applied our stream operations, so
these tests check order, in-place updates, deletes, resets and limits where users see them.
"""

from __future__ import annotations

import math
import uuid

from test_examples import CONNECTED, assert_no_reload, open_live, send_chat, set_marker

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]


def row_ids(page: Page, container: str) -> list[str]:
    return page.eval_on_selector_all(f"{container} > *", "els => els.map(e => e.id)")


# -- todo ---------------------------------------------------------------------------------------
def add_todo(page: Page, text: str) -> None:
    box = page.locator("#add-form input[name=text]")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#todos li").first.locator("span")).to_have_text(text)


def test_todo_add_toggle_delete_clear_completed(page: Page):
    open_live(page, "/todo")
    set_marker(page)
    for text in ("milk", "bread", "eggs", "tea"):
        add_todo(page, text)
    todos = page.locator("#todos li span")
    expect(todos).to_have_text(["tea", "eggs", "bread", "milk"])  # at=0: newest first
    assert row_ids(page, "#todos") == ["todos-4", "todos-3", "todos-2", "todos-1"]
    expect(page.locator("#add-form input[name=text]")).to_have_value("")

    # Toggle re-inserts the same id: the row changes where it is.
    page.locator("#todos-2 input[type=checkbox]").click()
    expect(page.locator("#todos-2")).to_have_class("completed")
    expect(page.locator("#todos-2 input[type=checkbox]")).to_be_checked()
    page.locator("#todos-4 input[type=checkbox]").click()
    expect(page.locator("#todos-4")).to_have_class("completed")
    expect(todos).to_have_text(["tea", "eggs", "bread", "milk"])
    page.locator("#todos-4 input[type=checkbox]").click()  # and back
    expect(page.locator("#todos-4")).not_to_have_class("completed")

    page.locator("#todos-3 button.delete").click()
    expect(todos).to_have_text(["tea", "bread", "milk"])

    page.locator("#todos-4 input[type=checkbox]").click()
    expect(page.locator("#todos-4")).to_have_class("completed")
    page.click("#clear-completed")  # reset(incomplete)
    expect(todos).to_have_text(["milk"])
    assert row_ids(page, "#todos") == ["todos-1"]

    add_todo(page, "jam")
    expect(todos).to_have_text(["jam", "milk"])
    assert_no_reload(page)


def test_todo_lists_are_per_tab(new_page):
    a, b = new_page(), new_page()
    open_live(a, "/todo")
    open_live(b, "/todo")
    add_todo(a, "only in A")
    add_todo(b, "only in B")
    expect(a.locator("#todos li span")).to_have_text(["only in A"])
    expect(b.locator("#todos li span")).to_have_text(["only in B"])


# -- chat: a stream with limit=-50 -----------------------------------------------------------------
def test_chat_keeps_the_last_50_messages_in_every_tab(new_page):
    a, b = new_page(), new_page()
    open_live(a, "/chat")
    open_live(b, "/chat")
    name_a = a.locator("#name").input_value()
    batch = uuid.uuid4().hex[:6]
    texts = [f"{batch} #{i}" for i in range(1, 53)]
    for text in texts:
        send_chat(a, text)
        expect(a.locator("#messages li").last).to_have_text(f"{name_a}: {text}")
    for p in (a, b):
        items = p.locator("#messages li")
        expect(items).to_have_count(50)
        expect(items.first).to_have_text(f"{name_a}: {texts[2]}")
        expect(items.last).to_have_text(f"{name_a}: {texts[-1]}")
        expect(p.locator("#no-messages")).to_be_hidden()
    # A new tab starts from the room's history: the same last 50.
    c = new_page()
    open_live(c, "/chat")
    expect(c.locator("#messages li")).to_have_text([f"{name_a}: {t}" for t in texts[2:]])


# -- live output ----------------------------------------------------------------------------------
def sqrt_line(i: int) -> str:
    return f"sqrt({i}) = {math.sqrt(i):.6f}"


def test_live_output_runs_to_the_end_and_keeps_the_last_1000_lines(page: Page):
    open_live(page, "/output?n=1200&every=0.001")
    set_marker(page)
    page.click("#start")
    expect(page.locator("#status")).to_have_text("done", timeout=60_000)
    expect(page.locator("#latest")).to_have_text(sqrt_line(1199))
    expect(page.locator("#produced")).to_have_text("1200")
    lines = page.locator("#log > div")
    expect(lines).to_have_count(1000)
    expect(lines.first).to_have_text(sqrt_line(200))
    expect(lines.last).to_have_text(sqrt_line(1199))
    assert row_ids(page, "#log")[:2] == ["log-200", "log-201"]
    assert_no_reload(page)


def produced(page: Page) -> int:
    return int(page.locator("#produced").inner_text())


def test_live_output_stop_and_restart(page: Page):
    open_live(page, "/output?n=100000&every=0.02")
    page.click("#start")
    expect(page.locator("#status")).to_have_text("running")
    page.wait_for_function("Number(document.querySelector('#produced').textContent) >= 5")
    page.click("#stop")
    expect(page.locator("#status")).to_have_text("stopped")
    stopped_at = produced(page)
    page.wait_for_timeout(300)  # fifteen periods: nothing more arrives
    assert produced(page) == stopped_at
    expect(page.locator("#log > div")).to_have_count(stopped_at)
    expect(page.locator("#log > div").last).to_have_text(sqrt_line(stopped_at - 1))

    page.click("#start")  # restart: a new job, the log starts over
    expect(page.locator("#status")).to_have_text("running")
    page.wait_for_function("Number(document.querySelector('#produced').textContent) >= 3")
    expect(page.locator("#log > div").first).to_have_text(sqrt_line(0))
    page.click("#start")  # restart while running
    page.wait_for_function("Number(document.querySelector('#produced').textContent) >= 2")
    expect(page.locator("#log > div").first).to_have_text(sqrt_line(0))
    page.click("#stop")
    expect(page.locator("#status")).to_have_text("stopped")
    count = produced(page)
    expect(page.locator("#log > div")).to_have_count(count)


def test_live_output_each_tab_runs_its_own_job(new_page):
    a, b = new_page(), new_page()
    open_live(a, "/output?n=100000&every=0.02")
    open_live(b, "/output?n=100000&every=0.02")
    a.click("#start")
    a.wait_for_function("Number(document.querySelector('#produced').textContent) >= 5")
    expect(b.locator("#status")).to_have_text("idle")
    assert produced(b) == 0 and b.locator("#log > div").count() == 0

    b.click("#start")
    b.wait_for_function("Number(document.querySelector('#produced').textContent) >= 3")
    a.click("#stop")
    expect(a.locator("#status")).to_have_text("stopped")
    b_before = produced(b)
    b.wait_for_function(f"Number(document.querySelector('#produced').textContent) >= {b_before + 3}")
    expect(b.locator("#status")).to_have_text("running")
    expect(a.locator("#status")).to_have_text("stopped")
    b.click("#stop")
    a.close()  # closing a tab ends its view (and any job); the other tab is unaffected
    expect(b.locator("#status")).to_have_text("stopped")
    b.wait_for_selector(CONNECTED)
