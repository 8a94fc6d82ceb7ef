"""The kanban example (/components) in Chromium: live components (columns, and cards inside them)
patched by the official client, and the colocated hooks of examples/components/board.js doing
drag and drop with the browser's own HTML5 drag events (Playwright's ``drag_to``).

A moved card keeps its component: its root's ``data-phx-component`` (the cid) is the same in its
new column. Every test also checks that the page logged no error (uncaught exceptions and
``console.error``, e.g. a hook that throws or a stylesheet that fails to load).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_examples import open_live

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]


@pytest.fixture
def board(page: Page) -> Iterator[Page]:
    """/components, live; after the test, no page error and no console error may have been logged."""
    errors: list[str] = []

    def console(msg) -> None:
        # The browser's own request for /favicon.ico (the examples have none) is not the page's.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console.error: {msg.text} ({msg.location.get('url')})")

    page.on("pageerror", lambda err: errors.append(f"pageerror: {err}"))
    page.on("console", console)
    open_live(page, "/components")
    yield page
    assert errors == [], "the page logged errors:\n" + "\n".join(errors)


def titles(page: Page, column: str):
    return page.locator(f"#cards-{column} .kanban-title")


def cards(page: Page, column: str):
    return page.locator(f"#cards-{column} > li")


def cid(page: Page, card: str) -> str:
    value = page.locator(f"#card-{card}").get_attribute("data-phx-component")
    assert value and value.isdigit(), f"#card-{card} is not a component root: {value!r}"
    return value


def drop_at_end(page: Page, card: str, column: str) -> None:
    """Drag ``card`` onto the bottom edge of ``column``'s list, below its last card."""
    target = page.locator(f"#cards-{column}")
    box = target.bounding_box()
    assert box is not None
    page.locator(f"#card-{card}").drag_to(target, target_position={"x": box["width"] / 2, "y": box["height"] - 2})


def test_the_board_and_its_components(board: Page):
    expect(board).to_have_title("Kanban board · pyview")
    expect(board.locator(".kanban-column-title")).to_have_text(["To do 3", "Doing 2", "Done 1"])
    expect(titles(board, "doing")).to_have_text(["Fix the login redirect", "Draw the kanban example"])
    roots = board.locator("[data-phx-component]")
    expect(roots).to_have_count(9)  # 3 columns + 6 cards
    assert len({roots.nth(i).get_attribute("data-phx-component") for i in range(9)}) == 9
    # The shared stylesheet applies: the columns sit side by side.
    assert board.locator("#board").evaluate("el => getComputedStyle(el).display") == "grid"


def test_edit_a_card_in_place_save_and_cancel(board: Page):
    before = cid(board, "c2")
    board.click("#edit-c2-button")
    field = board.locator("#title-c2")
    expect(field).to_be_focused()  # phx-mounted: JS.focus() on the input the card shows
    expect(field).to_have_value("Review the components PR")
    field.fill("Review the kanban PR")
    field.press("Enter")
    expect(board.locator("#edit-c2")).to_have_count(0)
    expect(board.locator("#edit-c2-button")).to_be_focused()  # the hook puts the focus back on Edit
    expect(titles(board, "todo")).to_have_text(["Write the release notes", "Review the kanban PR", "Plan the next sprint"])
    assert cid(board, "c2") == before

    board.click("#edit-c2-button")
    board.locator("#title-c2").fill("never saved")
    board.click("#cancel-c2")
    expect(board.locator("#edit-c2")).to_have_count(0)
    expect(titles(board, "todo").nth(1)).to_have_text("Review the kanban PR")

    board.click("#edit-c2-button")
    board.locator("#title-c2").press("Escape")  # phx-keydown="cancel" phx-key="Escape"
    expect(board.locator("#edit-c2")).to_have_count(0)
    expect(board.locator("#edit-c2-button")).to_be_focused()
    board.keyboard.press("Enter")  # Edit again, from the keyboard
    expect(board.locator("#title-c2")).to_be_focused()
    board.keyboard.press("Escape")

    board.click("#edit-c2-button")
    board.locator("#title-c2").fill("   ")
    board.click("#save-c2")
    expect(board.locator("#error-c2")).to_have_text("A card needs a title.")


def test_add_a_card_then_delete_it(board: Page):
    box = board.locator("#column-doing input[name=title]")
    box.fill("Write the browser tests")
    box.press("Enter")
    expect(titles(board, "doing")).to_have_text(["Fix the login redirect", "Draw the kanban example", "Write the browser tests"])
    expect(board.locator("#column-doing .kanban-count")).to_have_text("3")
    expect(board.locator("#column-doing input[name=title]")).to_have_value("")  # a new form
    expect(board.locator("#card-c7")).to_have_attribute("data-phx-component", cid(board, "c7"))

    board.click("#delete-c7")
    expect(board.locator("#card-c7")).to_have_count(0)
    board.click("#delete-c1")
    expect(titles(board, "todo")).to_have_text(["Review the components PR", "Plan the next sprint"])
    expect(board.locator("#column-todo .kanban-count")).to_have_text("2")


def test_move_a_card_with_the_keyboard(board: Page):
    c1 = cid(board, "c1")
    board.locator("#card-c1 button.move-next").focus()
    board.keyboard.press("Enter")
    expect(cards(board, "doing").last).to_have_id("card-c1")
    expect(board.locator("#cards-todo #card-c1")).to_have_count(0)
    assert cid(board, "c1") == c1
    # The CardDrag hook keeps the focus on the card's ▶ through the move: Enter again moves on.
    expect(board.locator("#card-c1 button.move-next")).to_be_focused()
    board.keyboard.press("Enter")
    expect(cards(board, "done").last).to_have_id("card-c1")
    expect(board.locator("#card-c1 button.move-prev")).to_be_focused()  # no ▶ in the last column
    board.keyboard.press("Enter")
    expect(cards(board, "doing").last).to_have_id("card-c1")
    assert cid(board, "c1") == c1
    expect(board.locator(".kanban-column-title")).to_have_text(["To do 2", "Doing 3", "Done 1"])


def test_drag_and_drop_a_card_to_another_column(board: Page):
    c1, c6 = cid(board, "c1"), cid(board, "c6")
    drop_at_end(board, "c1", "done")
    expect(cards(board, "done")).to_have_count(2)
    expect(cards(board, "done").last).to_have_id("card-c1")  # dropped below the last card
    expect(titles(board, "todo")).to_have_text(["Review the components PR", "Plan the next sprint"])
    assert cid(board, "c1") == c1

    # Dropped on the upper half of the first card: it goes first.
    board.locator("#card-c6").drag_to(board.locator("#card-c4"), target_position={"x": 20, "y": 5})
    expect(cards(board, "doing").first).to_have_id("card-c6")
    expect(titles(board, "doing")).to_have_text(["Set up the e2e tests", "Fix the login redirect", "Draw the kanban example"])
    assert cid(board, "c6") == c6
    expect(board.locator(".kanban-cards.drop-target")).to_have_count(0)

    # The card keeps its component state too: one being edited stays in its form after a move.
    board.click("#edit-c5-button")
    board.locator("#card-c1").drag_to(board.locator("#card-c5"), target_position={"x": 20, "y": 5})
    expect(cards(board, "doing").nth(2)).to_have_id("card-c1")
    expect(board.locator("#edit-c5")).to_be_visible()


def test_clear_the_done_column_through_the_kits_modal(board: Page):
    modal, opener = board.locator("#clear-done"), board.locator("#open-clear-done")
    expect(modal).to_be_hidden()
    opener.click()
    expect(modal).to_be_visible()
    expect(board.locator("#clear-done-count")).to_have_text("1 done card will be deleted.")
    expect(board.locator("#cancel-clear-done")).to_be_focused()  # focus_first inside the dialog
    board.keyboard.press("Escape")
    expect(modal).to_be_hidden()
    expect(opener).to_be_focused()  # pop_focus

    opener.click()
    board.click("#confirm-clear-done")
    expect(modal).to_be_hidden()
    expect(cards(board, "done")).to_have_count(0)
    expect(opener).to_be_disabled()
    expect(board.locator(".kanban-column-title")).to_have_text(["To do 3", "Doing 2", "Done 0"])

    # An empty column still takes a drop.
    board.locator("#card-c4").drag_to(board.locator("#cards-done"))
    expect(cards(board, "done")).to_have_count(1)
    expect(opener).to_be_enabled()


def test_live_navigation_from_the_index_finds_the_boards_hooks(page: Page):
    open_live(page, "/")
    page.evaluate("window.__marker = 1")
    page.click("a[href='/components']")
    expect(page.locator("#board")).to_be_visible()
    page.wait_for_selector("[data-phx-main].phx-connected")
    drop_at_end(page, "c3", "doing")
    expect(cards(page, "doing").last).to_have_id("card-c3")
    assert page.evaluate("window.__marker") == 1, "the page was fully reloaded"
