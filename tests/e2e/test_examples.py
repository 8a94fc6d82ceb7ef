"""The examples in a real browser: the official LiveView client against our server.

Every interaction waits for the live connection first (``[data-phx-main].phx-connected``) and
then relies on Playwright's auto-waiting assertions. "No full page reload" is checked with a
marker set on ``window``: a reload (or a dead-render navigation) would lose it.
"""

from __future__ import annotations

import re
import uuid

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]

CONNECTED = "[data-phx-main].phx-connected"


def open_live(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector(CONNECTED)


def set_marker(page: Page) -> None:
    page.evaluate("window.__marker = 1")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was fully reloaded (window.__marker is gone)"


# -- 1. counter ---------------------------------------------------------------------------------
def test_counter_clicks_and_patch_link(page: Page):
    open_live(page, "/counter?count=3")
    count = page.locator("#count")
    expect(count).to_have_text("3")
    expect(page).to_have_title("Counter · pyview")

    page.click("#inc")
    page.click("#inc")
    expect(count).to_have_text("5")
    page.click("#dec")
    expect(count).to_have_text("4")
    page.click("#add5")
    expect(count).to_have_text("9")

    set_marker(page)
    page.click("#reset")
    expect(page).to_have_url(re.compile(r"/counter\?count=0$"))
    expect(count).to_have_text("0")
    assert_no_reload(page)
    page.click("#inc")  # still live after the patch
    expect(count).to_have_text("1")


# -- 2. volume ----------------------------------------------------------------------------------
def test_volume_window_keys(page: Page):
    open_live(page, "/volume")
    volume, meter, muted = page.locator("#volume"), page.locator("#meter"), page.locator("#muted")
    expect(volume).to_have_text("50")
    expect(muted).to_have_count(0)

    page.keyboard.press("ArrowUp")
    expect(volume).to_have_text("60")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(volume).to_have_text("40")
    expect(meter).to_have_text("████░░░░░░")

    page.keyboard.press("m")
    expect(muted).to_be_visible()
    expect(meter).to_have_text("muted")
    expect(volume).to_have_text("40")
    page.keyboard.press("m")
    expect(muted).to_have_count(0)
    expect(meter).to_have_text("████░░░░░░")

    # Another key changes nothing: events are handled in order, so once the ArrowUp that follows
    # it shows, "x" has been handled too, and the state is exactly one step up from 40, unmuted.
    page.keyboard.press("x")
    page.keyboard.press("ArrowUp")
    expect(volume).to_have_text("50")
    expect(meter).to_have_text("█████░░░░░")
    expect(muted).to_have_count(0)


# -- 3. chat ------------------------------------------------------------------------------------
def send_chat(page: Page, text: str) -> None:
    box = page.locator("#send-form input[name=text]")
    box.fill(text)
    box.press("Enter")


def test_chat_between_two_sessions(new_page):
    a, b = new_page(), new_page()
    open_live(a, "/chat")
    open_live(b, "/chat")
    name_a = a.locator("#name").input_value()
    name_b = b.locator("#name").input_value()
    assert name_a.startswith("guest-") and name_b.startswith("guest-") and name_a != name_b

    first = f"hello from A {uuid.uuid4().hex[:8]}"
    send_chat(a, first)
    for p in (a, b):
        expect(p.locator("#messages li").filter(has_text=first)).to_have_text(f"{name_a}: {first}")
    expect(a.locator("#send-form input[name=text]")).to_have_value("")

    second = f"hi from B {uuid.uuid4().hex[:8]}"
    send_chat(b, second)
    for p in (a, b):
        expect(p.locator("#messages li").filter(has_text=second)).to_have_text(f"{name_b}: {second}")
    expect(b.locator("#send-form input[name=text]")).to_have_value("")
    expect(a.locator("#messages li").last).to_have_text(f"{name_b}: {second}")

    # Rename A (a debounced phx-change); leaving the field flushes the debounce, and the server's
    # re-render shows the new name in the (no longer focused) input's value attribute.
    new_name = f"alice-{uuid.uuid4().hex[:4]}"
    a.locator("#name").fill(new_name)
    a.locator("#send-form input[name=text]").focus()
    expect(a.locator("#name")).to_have_attribute("value", new_name)
    third = f"renamed {uuid.uuid4().hex[:8]}"
    send_chat(a, third)
    for p in (a, b):
        expect(p.locator("#messages li").filter(has_text=third)).to_have_text(f"{new_name}: {third}")


# -- 4. table -----------------------------------------------------------------------------------
def test_table_patch_history_and_navigate(page: Page):
    open_live(page, "/table")
    expect(page).to_have_title(re.compile(r"^Table · page 1"))
    expect(page).to_have_title("Table · page 1 of 10 · pyview")
    expect(page.locator("#rows tr")).to_have_count(10)
    expect(page.locator("#row-1")).to_be_visible()
    set_marker(page)

    page.click("#next")
    expect(page).to_have_url(re.compile(r"/table\?(.*&)?page=2(&|$)"))
    expect(page).to_have_title("Table · page 2 of 10 · pyview")
    expect(page.locator("#page")).to_have_text("page 2 of 10")
    expect(page.locator("#row-11")).to_be_visible()
    expect(page.locator("#row-1")).to_have_count(0)
    assert_no_reload(page)
    page2_url = page.url

    page.click("#sort-name")
    expect(page).to_have_url(re.compile(r"/table\?(.*&)?sort=name(&|$)"))
    expect(page.locator("#sort-name")).to_have_attribute("aria-current", "true")
    expect(page).to_have_title("Table · page 1 of 10 · pyview")
    assert_no_reload(page)

    page.go_back()
    expect(page).to_have_url(page2_url)
    expect(page).to_have_title("Table · page 2 of 10 · pyview")
    expect(page.locator("#page")).to_have_text("page 2 of 10")
    expect(page.locator("#rows tr").first).to_have_id("row-11")
    expect(page.locator("#rows tr")).to_have_count(10)
    expect(page.locator("#sort-id")).to_have_attribute("aria-current", "true")
    assert_no_reload(page)

    page.click("#row-15")  # phx-click → push_navigate("/table/15")
    expect(page).to_have_url(re.compile(r"/table/15$"))
    expect(page).to_have_title("Item 015 · pyview")
    expect(page.locator("#item-name")).to_have_text("Item 015")
    page.wait_for_selector(CONNECTED)
    assert_no_reload(page)

    page.click("#back")
    expect(page).to_have_url(re.compile(r"/table$"))
    expect(page).to_have_title("Table · page 1 of 10 · pyview")
    expect(page.locator("#row-1")).to_be_visible()
    assert_no_reload(page)


# -- 5. dashboard -------------------------------------------------------------------------------
def test_dashboard_server_pushes(page: Page):
    open_live(page, "/dashboard")
    start = int(page.locator("#ticks").inner_text())
    clock = page.locator("#clock").inner_text()
    page.wait_for_function(
        "n => Number(document.querySelector('#ticks').textContent) >= n", arg=start + 2, timeout=6_000
    )
    expect(page.locator("#clock")).not_to_have_text(clock, timeout=1_000)


# -- 6. home ------------------------------------------------------------------------------------
def test_home_lists_examples_and_live_redirects(page: Page):
    open_live(page, "/")
    expect(page).to_have_title("Examples · pyview")
    links = page.locator("main.home ul a")
    expect(links).to_have_text([
        "Counter", "Volume", "Chat", "Paginated table", "Dashboard", "Todos", "Live output", "Photo uploads",
        "JS commands and hooks", "Sign up", "Kanban board", "Log in",
    ])
    assert [links.nth(i).get_attribute("href") for i in range(12)] == [
        "/counter", "/volume", "/chat", "/table", "/dashboard", "/todo", "/output", "/uploads", "/js", "/signup",
        "/components", "/login",
    ]

    set_marker(page)
    page.locator("main.home").get_by_role("link", name="Counter", exact=True).click()  # not the header's
    expect(page).to_have_url(re.compile(r"/counter$"))
    expect(page).to_have_title("Counter · pyview")
    expect(page.locator("#count")).to_have_text("0")
    page.wait_for_selector(CONNECTED)
    assert_no_reload(page)
    page.click("#inc")
    expect(page.locator("#count")).to_have_text("1")


# -- 7. reconnect -------------------------------------------------------------------------------
def test_reconnect_after_client_disconnect(page: Page):
    open_live(page, "/counter")
    count = page.locator("#count")
    page.click("#inc")
    page.click("#inc")
    expect(count).to_have_text("2")
    set_marker(page)

    page.evaluate("window.pyview.liveSocket.disconnect()")
    page.wait_for_selector("[data-phx-main]:not(.phx-connected)")
    page.evaluate("window.pyview.liveSocket.connect()")
    page.wait_for_selector(CONNECTED)
    # The rejoin is a fresh mount: the count is the URL's again (0), as in Phoenix LiveView.
    expect(count).to_have_text("0")
    assert_no_reload(page)
    page.click("#inc")
    expect(count).to_have_text("1")


WATCH_CLASSES = """() => {
  const main = document.querySelector('[data-phx-main]');
  window.__classes = [];
  new MutationObserver(() => window.__classes.push(main.className))
    .observe(main, {attributes: true, attributeFilter: ['class']});
}"""


def test_reconnect_after_server_side_close(page: Page):
    """The connection drops under the page (a close frame the client did not ask for, as when the
    server goes away): the client reconnects by itself and rejoins with a fresh mount.

    Playwright routes the page's WebSocket through itself so the test can close it; emulated
    offline mode (``context.set_offline``) cannot do this in this Chromium: it holds the frames
    back but leaves the WebSocket open, so the client never notices.
    """
    sockets = []

    def proxy(ws):
        sockets.append(ws)
        ws.connect_to_server()

    page.route_web_socket(re.compile(r"/live/websocket"), proxy)
    open_live(page, "/counter?count=7")
    count = page.locator("#count")
    page.click("#inc")
    expect(count).to_have_text("8")
    set_marker(page)
    page.evaluate(WATCH_CLASSES)

    assert len(sockets) == 1
    sockets[0].close(code=4000, reason="gone")  # 4000: not a normal closure, so the client reconnects
    page.wait_for_function("() => window.__classes.some(c => !c.split(' ').includes('phx-connected'))")
    page.wait_for_selector(CONNECTED)
    assert len(sockets) >= 2, "the client did not open a new WebSocket"
    expect(count).to_have_text("7")  # a fresh mount from the URL
    assert_no_reload(page)
    page.click("#inc")
    expect(count).to_have_text("8")
