"""How the examples look and feel in Chromium (issue 16): the shared layout's header and nav, the
favicon, no console errors or failed requests, focus after a todo is added, the live-output log
following its newest line, and the table's clickable rows and marked sort column.

"Looks" is checked where the browser computes it: ``getComputedStyle`` of the marked element
against an unmarked one, so a class or attribute nobody styles would not pass.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup
from test_auth_example import log_in
from test_examples import CONNECTED, assert_no_reload, open_live, set_marker

from examples.home.home import EXAMPLES
from examples.layout import layout
from pyview_core.page import PageContext, default_layout

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]

NAV_PATHS = [path for path, _name, _about in EXAMPLES]
HEADER_CURRENT = "header.site-header a[aria-current=page]"

# (the page, the header link marked current on it)
PAGES = [
    ("/", "/"),
    *[(path, path) for path in NAV_PATHS],
    ("/table/15", "/table"),  # an item is part of the table example
    ("/counter?count=3", "/counter"),
]


def style(page: Page, selector: str, prop: str, pseudo: str | None = None) -> str:
    return page.eval_on_selector(selector, "(el, [prop, pseudo]) => getComputedStyle(el, pseudo).getPropertyValue(prop)", [prop, pseudo])


def watch_problems(page: Page) -> list[str]:
    """Console errors, uncaught exceptions, and requests that failed or answered >= 400."""
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda err: problems.append(f"pageerror: {err}"))
    page.on("requestfailed", lambda req: problems.append(f"failed: {req.url} {req.failure}"))
    page.on("response", lambda res: res.status >= 400 and problems.append(f"{res.status}: {res.url}"))
    return problems


# -- the layout: header, nav, the current page ---------------------------------------------------------
def test_the_layout_renders_every_line_the_default_layout_does():
    """The csrf meta, the title and its data-*, the head markup, the scripts, the container: in order."""
    page = PageContext(
        id="phx-F1", content=Markup("<main>hi</main>"), title="A <b>", title_prefix="[", title_suffix=" · x",
        default_title="d", csrf_token="tok&en", session="s.1", static="s.2", scripts=["/a.js", "/h/entry.mjs", "/app.js"],
        head=Markup('<link rel="stylesheet" href="/assets/examples.css">'),
    )
    ours = iter(layout(page).splitlines())
    for line in default_layout(page).splitlines():
        assert any(mine == line for mine in ours), f"missing or out of order: {line!r}"


@pytest.mark.parametrize("path, current", PAGES, ids=[p for p, _ in PAGES])
def test_every_page_has_the_nav_with_its_example_marked_and_a_live_link_home(page: Page, live_server: str, path: str, current: str):
    # The page as served marks it already (no script needed) ...
    html = page.request.get(f"{live_server}{path}").text()
    assert re.findall(r'<a href="([^"]*)"[^>]*aria-current="page"', html) == [current]
    problems = watch_problems(page)
    open_live(page, path)  # ... and so does the browser's DOM once the view joined
    nav = page.locator("header.site-header nav a")
    assert [nav.nth(i).get_attribute("href") for i in range(nav.count())] == NAV_PATHS
    # Every link is live navigation: these pages and their targets share the default live_session.
    assert {nav.nth(i).get_attribute("data-phx-link") for i in range(nav.count())} == {"redirect"}
    expect(page.locator(HEADER_CURRENT)).to_have_count(1)
    expect(page.locator(HEADER_CURRENT)).to_have_attribute("href", current)
    if current != "/":  # the marked link looks different from the others
        other = next(p for p in NAV_PATHS if p != current)
        marked, unmarked = f"header nav a[href='{current}']", f"header nav a[href='{other}']"
        assert style(page, marked, "background-color") != style(page, unmarked, "background-color")
        assert style(page, marked, "color") != style(page, unmarked, "color")

    set_marker(page)
    page.click("header a.site-brand")  # back to the index, by live navigation
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
    expect(page.locator("main.home h1")).to_have_text("pyview examples")
    page.wait_for_selector(CONNECTED)
    assert_no_reload(page)
    expect(page.locator(HEADER_CURRENT)).to_have_attribute("href", "/")
    assert problems == []


def test_the_mark_follows_live_navigation_and_the_back_button(page: Page):
    open_live(page, "/")
    set_marker(page)
    for name, path in (("Counter", "/counter"), ("Table", "/table"), ("Kanban", "/components")):
        page.locator("header nav").get_by_role("link", name=name, exact=True).click()
        expect(page).to_have_url(re.compile(f"{path}$"))
        page.wait_for_selector(CONNECTED)
        expect(page.locator(HEADER_CURRENT)).to_have_attribute("href", path)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/table$"))
    expect(page.locator(HEADER_CURRENT)).to_have_attribute("href", "/table")
    page.wait_for_selector(CONNECTED)
    page.click("#row-4")  # push_navigate to the item: still the table example
    expect(page).to_have_url(re.compile(r"/table/4$"))
    expect(page.locator(HEADER_CURRENT)).to_have_attribute("href", "/table")
    assert_no_reload(page)


def test_from_another_live_session_the_nav_links_are_plain(page: Page):
    log_in(page)
    expect(page).to_have_url(re.compile(r"/account$"))
    page.wait_for_selector(CONNECTED)
    nav = page.locator("header.site-header nav a")
    expect(nav).to_have_count(len(NAV_PATHS))
    expect(page.locator("header.site-header a[data-phx-link]")).to_have_count(0)  # /account is in the "account" session
    expect(page.locator(HEADER_CURRENT)).to_have_attribute("href", "/login")  # the log in example's page
    set_marker(page)
    page.click("header a.site-brand")
    expect(page.locator("main.home h1")).to_have_text("pyview examples")
    assert page.evaluate("window.__marker") is None  # a page load, as for any plain link


def test_the_favicon_is_served_where_browsers_look(page: Page, live_server: str):
    open_live(page, "/counter")
    href = page.locator("head link[rel=icon]").get_attribute("href")
    for url in (href, "/favicon.ico"):
        response = page.request.get(f"{live_server}{url}")
        assert response.status == 200, url
        assert response.headers["content-type"].startswith("image/svg+xml"), url
        assert response.body().startswith(b"<svg")


def test_no_page_logs_an_error_or_a_failed_request(page: Page):
    """The gallery's dead renders too (they link no icon: /favicon.ico answers)."""
    problems = watch_problems(page)
    for path in ["/", *NAV_PATHS, "/table/3", "/account"]:
        open_live(page, path)
    for path in ("/gallery/users", "/gallery/dashboard"):
        page.goto(path)
        page.wait_for_load_state("load")
        page.request.get(page.url.split("/gallery")[0] + "/favicon.ico")  # what a browser would ask for
    assert problems == []


# -- focus ---------------------------------------------------------------------------------------------
def test_the_todo_input_keeps_the_focus_and_is_empty_after_each_add(page: Page):
    open_live(page, "/todo")
    box = page.locator("#add-form input[name=text]")
    expect(box).to_be_focused()  # phx-mounted focuses it when the page joins
    for text in ("milk", "bread"):
        page.keyboard.type(text)  # into the focused box, no click
        page.keyboard.press("Enter")
        expect(page.locator("#todos li span").first).to_have_text(text)
        expect(box).to_be_focused()
        expect(box).to_have_value("")
    box.fill("eggs")
    page.click("#add-form button[type=submit]")  # the button takes the focus; the new box gets it back
    expect(page.locator("#todos li span")).to_have_text(["eggs", "bread", "milk"])
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    assert style(page, "#add-form input[name=text]", "outline-style") != "none"  # and shows it


def test_buttons_show_the_keyboard_focus(page: Page):
    open_live(page, "/counter")
    page.focus("#dec")
    page.keyboard.press("Tab")
    expect(page.locator("#inc")).to_be_focused()
    assert style(page, "#inc", "outline-style") == "solid"
    assert style(page, "#add5", "outline-style") == "none"  # only the focused one


# -- live output ---------------------------------------------------------------------------------------
AT_BOTTOM = "el => el.scrollHeight - el.scrollTop - el.clientHeight <= 4"
NOT_AT_BOTTOM = "el => el.scrollHeight - el.scrollTop - el.clientHeight > 4"


def produced(page: Page) -> int:
    return int(page.inner_text("#produced"))


def wait_for_more(page: Page, lines: int) -> None:
    page.wait_for_function("n => Number(document.querySelector('#produced').textContent) >= n", arg=produced(page) + lines)


def test_the_live_output_log_follows_its_newest_line_until_the_reader_scrolls_up(page: Page):
    open_live(page, "/output?n=100000&every=0.01")
    log = page.locator("#log")
    page.click("#start")
    page.wait_for_function("Number(document.querySelector('#produced').textContent) >= 60")
    assert page.eval_on_selector("#log", "el => el.scrollHeight > el.clientHeight + 100")  # it overflows ...
    for _ in range(3):  # ... and while lines stream in, the newest is in view
        wait_for_more(page, 10)
        assert log.evaluate(AT_BOTTOM)
        newest = page.locator("#log > div").last
        box, frame = newest.bounding_box(), log.bounding_box()
        assert box and frame and frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1

    log.hover()
    page.mouse.wheel(0, -300)  # the reader scrolls up to read
    page.wait_for_function(NOT_AT_BOTTOM, arg=log.element_handle())
    page.wait_for_timeout(300)  # any smooth scrolling has ended
    kept = log.evaluate("el => el.scrollTop")
    first_visible = log.evaluate("el => [...el.children].find(c => c.offsetTop + c.offsetHeight > el.scrollTop)?.id")
    wait_for_more(page, 30)
    assert abs(log.evaluate("el => el.scrollTop") - kept) <= 1  # it stays put
    assert log.evaluate("el => [...el.children].find(c => c.offsetTop + c.offsetHeight > el.scrollTop)?.id") == first_visible
    assert not log.evaluate(AT_BOTTOM)

    page.mouse.wheel(0, 100_000)  # back at the bottom: it follows again
    page.wait_for_function(AT_BOTTOM, arg=log.element_handle())
    wait_for_more(page, 20)
    assert log.evaluate(AT_BOTTOM)
    page.click("#stop")
    expect(page.locator("#status")).to_have_text("stopped")


# -- the table -----------------------------------------------------------------------------------------
def test_a_table_row_looks_clickable_and_opens_on_click_and_on_enter(page: Page):
    open_live(page, "/table")
    set_marker(page)
    assert style(page, "#row-2", "cursor") == "pointer"
    still = style(page, "#row-2", "background-color")
    page.hover("#row-2")
    assert style(page, "#row-2", "background-color") != still  # hovering marks the row

    page.focus("#sort-price")
    page.keyboard.press("Tab")  # the rows come next in the tab order
    expect(page.locator("#row-1")).to_be_focused()
    assert style(page, "#row-1", "outline-style") == "solid"
    page.keyboard.press("Tab")
    expect(page.locator("#row-2")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/table/2$"))
    expect(page.locator("#item-name")).to_have_text("Item 002")
    page.wait_for_selector(CONNECTED)

    page.click("#back")
    expect(page).to_have_url(re.compile(r"/table$"))
    page.wait_for_selector(CONNECTED)
    page.press("#row-7", "Space")  # only Enter opens a row
    page.wait_for_timeout(200)
    expect(page).to_have_url(re.compile(r"/table$"))
    page.click("#row-7 td:nth-child(3)")
    expect(page).to_have_url(re.compile(r"/table/7$"))
    expect(page.locator("#item-name")).to_have_text("Item 007")
    assert_no_reload(page)


def test_the_sorted_column_is_marked_visibly(page: Page):
    open_live(page, "/table")
    headers = page.locator("table thead th")
    for sort in ("id", "price", "color"):
        if sort != "id":
            page.click(f"#sort-{sort}")
            expect(page).to_have_url(re.compile(f"sort={sort}"))
        expect(page.locator("th[aria-sort]")).to_have_count(1)
        marked = page.locator("th[aria-sort]")
        expect(marked).to_have_attribute("aria-sort", "ascending")
        expect(marked.locator("a")).to_have_id(f"sort-{sort}")
        expect(page.locator(f"#sort-{sort}")).to_have_attribute("aria-current", "true")
        other = "name" if sort != "name" else "id"
        sorted_th = f"th:has(#sort-{sort})"
        other_th = f"th:has(#sort-{other})"
        assert style(page, sorted_th, "background-color") != style(page, other_th, "background-color")
        assert style(page, f"#sort-{sort}", "color") != style(page, f"#sort-{other}", "color")
        assert "▲" in style(page, f"#sort-{sort}", "content", "::after")
        assert "▲" not in style(page, f"#sort-{other}", "content", "::after")
    expect(headers).to_have_count(4)
