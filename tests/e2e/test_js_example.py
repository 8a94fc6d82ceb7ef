"""The ``/js`` example in Chromium: JS commands built in Python run by the official client, and the
example's colocated hooks (examples/js/js.js) asking the server.

Everything waits with Playwright's auto-waiting ``expect``; transitions (100-150 ms) are waited
for through the state they end in (hidden, visible, focused).
"""

from __future__ import annotations

import re

from test_examples import open_live

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]

ROLLED = re.compile(r"^d(\d+) → (\d+)$")


def roll(page: Page, sides: int = 6) -> int:
    """Click Roll; the Dice hook writes the server's reply. Returns the number rolled."""
    before = page.locator("#history").inner_text()
    page.click("#roll")
    expect(page.locator("#history")).not_to_have_text(before)  # the server's re-render after the reply
    text = page.locator("#rolled").inner_text()
    found = ROLLED.match(text)
    assert found, f"the hook wrote {text!r}"
    assert int(found.group(1)) == sides and 1 <= int(found.group(2)) <= sides
    return int(found.group(2))


def test_the_dice_hook_renders_the_servers_reply(page: Page):
    open_live(page, "/js")
    expect(page.locator("#history")).to_have_text("No rolls yet.")
    first = roll(page)
    expect(page.locator("#history")).to_have_text(f"Last rolls: {first}")
    second = roll(page)
    expect(page.locator("#history")).to_have_text(f"Last rolls: {second}, {first}")
    expect(page.locator("#rolled")).to_have_text(f"d6 → {second}")  # phx-update="ignore" kept it


def test_the_modal_opens_with_focus_inside_and_closes_by_button_escape_and_click_away(page: Page):
    open_live(page, "/js")
    modal, opener = page.locator("#modal"), page.locator("#open-modal")
    expect(opener).to_be_disabled()  # nothing to clear yet
    roll(page)
    expect(modal).to_be_hidden()

    def open_modal() -> None:
        opener.click()
        expect(modal).to_be_visible()
        expect(page.locator("#cancel")).to_be_focused()  # focus_first: the dialog's first control

    open_modal()
    page.click("#cancel")
    expect(modal).to_be_hidden()
    expect(opener).to_be_focused()  # pop_focus: back where it was

    open_modal()
    page.keyboard.press("Escape")  # phx-window-keydown with phx-key="Escape"
    expect(modal).to_be_hidden()
    expect(opener).to_be_focused()

    open_modal()
    page.mouse.click(5, 5)  # the backdrop: outside #modal-content, so phx-click-away
    expect(modal).to_be_hidden()

    open_modal()
    page.click("#confirm-clear")  # JS.push("clear") then hide
    expect(modal).to_be_hidden()
    expect(page.locator("#history")).to_have_text("No rolls yet.")
    expect(opener).to_be_disabled()


def test_the_dropdown_toggles_closes_on_a_click_away_and_picks(page: Page):
    open_live(page, "/js")
    menu, button = page.locator("#menu"), page.locator("#menu-button")
    expect(menu).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")

    button.click()
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    button.click()
    expect(menu).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")

    button.click()
    expect(menu).to_be_visible()
    page.click("h1")  # outside #die-dropdown
    expect(menu).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")

    button.click()
    page.click("#pick-d20")  # JS.push("sides", value={"sides": 20}) then close
    expect(menu).to_be_hidden()
    expect(button).to_have_text("d20 ▾")
    expect(page.locator("#roller")).to_have_attribute("data-sides", "20")
    roll(page, sides=20)
    expect(menu).to_be_hidden()  # the server's re-renders keep what the commands did


def test_push_event_to_a_selector_and_phx_target_reach_the_view(page: Page):
    open_live(page, "/js")
    page.click("#ask-time")  # the Clock hook: pushEventTo("#server", "time", {}), promise form
    expect(page.locator("#time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d \(question 1\)$"))
    expect(page.locator("#asked")).to_have_text("Asked 1 times.")
    page.click("#ask-time")
    expect(page.locator("#time")).to_have_text(re.compile(r"\(question 2\)$"))

    page.click("#ping")  # phx-click with phx-target="#server"
    expect(page.locator("#pings")).to_have_text("1 pings")
    page.click("#ping")
    expect(page.locator("#pings")).to_have_text("2 pings")


def test_live_navigation_from_the_index_finds_the_examples_hooks(page: Page):
    open_live(page, "/")  # the entry loaded here holds every view's hooks
    page.evaluate("window.__marker = 1")
    page.click("a[href='/js']")
    expect(page.locator("#roll")).to_be_visible()
    page.wait_for_selector("[data-phx-main].phx-connected")
    roll(page)
    assert page.evaluate("window.__marker") == 1, "the page was fully reloaded"
