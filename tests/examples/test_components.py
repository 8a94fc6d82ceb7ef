"""The kanban example (``examples/components``): live components inside live components.

Each column is a ``KanbanColumn`` component and each card a ``KanbanCard`` placed by its column.
A card's own events (edit, cancel, save) re-render that card alone: the diff is ``{"c": {...}}``
with its cid only, and no other component's ``update`` runs. A column's (add, delete) re-render
that column: its cards get ``update``, and only what changed travels. Moving a card is the view's event: it re-renders every column, and the card, placed by
another column, keeps its cid and its state. In Chromium: tests/e2e/test_components_example.py.

``record_diffs`` reads what the client merges by wrapping the test client's ``_merge``, and
``live_cids`` the server's components through ``view._channel`` (the test client has no public
record of the diffs it received, nor of the server's components).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from async_runner import run
from example_dom import attr, ids, make_app, nodes, text, texts
from selectolax.lexbor import LexborHTMLParser

from examples.components.board import COLUMNS, MAX_TITLE, SEED, Board, KanbanCard, KanbanColumn
from pyview_core.testing import live

app = make_app()

SEEDED = {"todo": ["c1", "c2", "c3"], "doing": ["c4", "c5"], "done": ["c6"]}  # the card ids of SEED


# --- reading the page --------------------------------------------------------------------------


def board(view) -> dict[str, list[str]]:
    """Column id -> the card ids it shows, top to bottom."""
    return {column: [card.removeprefix("card-") for card in ids(view, f"#cards-{column} > li")] for column, _ in COLUMNS}


def titles(view, column: str) -> list[str]:
    return texts(view, f"#cards-{column} .kanban-title")


def cid(view, css: str) -> int:
    """The cid the client marked the component root at ``css`` with (``data-phx-component``)."""
    value = attr(view, css, "data-phx-component")
    assert value is not None, f"{css} is not a component's root"
    return int(value)


def card_cid(view, card: str) -> int:
    return cid(view, f"#card-{card}")


def column_cids(view) -> dict[str, int]:
    return {column: cid(view, f"#column-{column}") for column, _ in COLUMNS}


def live_cids(view) -> set[int]:
    """The cids the server keeps components for (the view's component registry)."""
    return set(view._channel.components.cids)


def record_diffs(view) -> list[dict[str, Any]]:
    """Every diff the client merges from now on (pushes and replies), in order."""
    seen: list[dict[str, Any]] = []
    merge = view._merge

    def recording(diff: dict[str, Any]) -> None:
        seen.append(diff)
        merge(diff)

    view._merge = recording
    return seen


def only_components(diff: dict[str, Any]) -> set[int]:
    """The cids of a diff that carries components alone (nothing of the view), else a failure."""
    assert set(diff) == {"c"}, f"the view re-rendered too: {sorted(diff)}"
    return {int(k) for k in diff["c"]}


@pytest.fixture
def updates(monkeypatch) -> Counter:
    """How many times each component's ``update`` ran: ("Card", id) / ("Column", id) -> count."""
    calls: Counter = Counter()
    for name, cls in (("Card", KanbanCard), ("Column", KanbanColumn)):
        original = cls.update

        async def counting(self, assigns, socket, original=original, name=name):
            calls[(name, assigns["id"])] += 1
            await original(self, assigns, socket)

        monkeypatch.setattr(cls, "update", counting)
    return calls


# --- the board ------------------------------------------------------------------------------------


def test_three_columns_of_seeded_cards_each_a_component():
    async def scenario():
        async with live(app, "/components") as view:
            assert view.title == "Kanban board · pyview"
            assert texts(view, ".kanban-column-title") == [f"{title} {len(SEED[column])}" for column, title in COLUMNS]
            assert board(view) == SEEDED
            assert {column: titles(view, column) for column, _ in COLUMNS} == SEED
            columns = column_cids(view)
            cards = {card: card_cid(view, card) for column in SEEDED.values() for card in column}
            assert len(set(columns.values()) | set(cards.values())) == 9 == len(live_cids(view))
            assert live_cids(view) == set(columns.values()) | set(cards.values())
            # Events: a card's own buttons target it, Delete its column, the moves the view.
            assert attr(view, "#edit-c1-button", "phx-target") == str(cards["c1"])
            assert attr(view, "#delete-c1", "phx-target") == "#column-todo"
            assert attr(view, "#card-c1 button.move-next", "phx-target") is None
            assert attr(view, "#add-doing-0", "phx-target") == str(columns["doing"])
            # The hooks and the keyboard controls: ◀ only where there is a column to the left.
            assert attr(view, "#cards-doing", "phx-hook") == "ColumnDrop" and attr(view, "#cards-doing", "data-column") == "doing"
            assert attr(view, "#card-c4", "phx-hook") == "CardDrag" and attr(view, "#card-c4", "draggable") == "true"
            assert [n.attributes["aria-label"] for n in nodes(view, "#card-c1 button.move")] == ["Move to Doing"]
            assert [n.attributes["aria-label"] for n in nodes(view, "#card-c4 button.move")] == ["Move to To do", "Move to Done"]
            assert [n.attributes["aria-label"] for n in nodes(view, "#card-c6 button.move")] == ["Move to Doing"]

    run(scenario())


def test_the_dead_render_shows_the_board_and_links_the_shared_stylesheet():
    async def scenario():
        async with live(app, "/components") as view:
            page = LexborHTMLParser(view._page.html)  # the HTTP page the join started from
            assert [n.attributes["id"] for n in page.css("#cards-doing > li")] == ["card-c4", "card-c5"]
            assert [n.text() for n in page.css("#card-c4 .kanban-title")] == ["Fix the login redirect"]
            assert page.css_first('head link[rel=stylesheet]').attributes["href"] == "/assets/examples.css"

    run(scenario())


# --- a card's own events: only that card -----------------------------------------------------------


def test_edit_then_save_re_renders_that_card_alone(updates):
    async def scenario():
        async with live(app, "/components") as view:
            c2 = card_cid(view, "c2")
            updates.clear()
            diffs = record_diffs(view)

            await view.element("#edit-c2-button").click()
            assert only_components(diffs[-1]) == {c2}
            assert view.has_element("#card-c2.editing form#edit-c2")
            assert attr(view, "#title-c2", "value") == "Review the components PR"
            assert attr(view, "#card-c2", "draggable") == "false"
            assert attr(view, "#edit-c2", "phx-target") == str(c2)
            assert titles(view, "todo") == ["Write the release notes", "Plan the next sprint"]  # c2 shows a form

            await view.form("#edit-c2", {"title": "  Review   the kanban PR "}).submit()
            assert only_components(diffs[-1]) == {c2}
            assert titles(view, "todo") == ["Write the release notes", "Review the kanban PR", "Plan the next sprint"]
            assert not view.has_element("#edit-c2") and card_cid(view, "c2") == c2
            assert updates == Counter()  # no other card, no column, was updated or re-rendered

    run(scenario())


def test_cancel_and_escape_restore_the_card():
    async def scenario():
        async with live(app, "/components") as view:
            diffs = record_diffs(view)
            await view.element("#edit-c5-button").click()
            await view.element("#cancel-c5").click()
            assert only_components(diffs[-1]) == {card_cid(view, "c5")}
            assert titles(view, "doing") == SEED["doing"] and not view.has_element("#edit-c5")

            await view.element("#edit-c5-button").click()
            await view.element("#title-c5").keydown("Escape")  # phx-keydown="cancel" phx-key="Escape"
            assert titles(view, "doing") == SEED["doing"] and not view.has_element("#edit-c5")

    run(scenario())


def test_a_blank_title_is_refused_and_the_form_stays():
    async def scenario():
        async with live(app, "/components") as view:
            await view.element("#edit-c6-button").click()
            await view.form("#edit-c6", {"title": "   "}).submit()
            assert text(view, "#error-c6") == "A card needs a title."
            assert attr(view, "#title-c6", "aria-invalid") == "true"
            assert attr(view, "#title-c6", "maxlength") == str(MAX_TITLE)  # the browser stops the typing there
            await view.form("#edit-c6", {"title": "x" * MAX_TITLE}).submit()
            assert titles(view, "done") == ["x" * MAX_TITLE]
            assert not view.has_element("#error-c6")

    run(scenario())


# --- a column's events: that column (and a new card) ---------------------------------------------------


def test_add_a_card_re_renders_only_its_column_and_the_new_card(updates):
    async def scenario():
        async with live(app, "/components") as view:
            doing = cid(view, "#column-doing")
            before = live_cids(view)
            updates.clear()
            diffs = record_diffs(view)

            await view.form("#add-doing-0", {"title": "Write the tests"}).submit()
            new = card_cid(view, "c7")
            assert new not in before and live_cids(view) == before | {new}
            assert only_components(diffs[-1]) == {doing, new}
            assert titles(view, "doing") == [*SEED["doing"], "Write the tests"]
            assert text(view, "#column-doing .kanban-count") == "3"
            assert ids(view, "#column-doing form.kanban-add") == ["add-doing-1"]  # a new form: an empty input
            # The column re-rendered, so its cards got update (a diff only for what changed: the
            # new card); no other column or card did.
            assert updates == Counter({("Card", "c4"): 1, ("Card", "c5"): 1, ("Card", "c7"): 1})

            await view.form("#add-doing-1", {"title": "   "}).submit()  # nothing to add
            assert titles(view, "doing") == [*SEED["doing"], "Write the tests"]
            assert ids(view, "#column-doing form.kanban-add") == ["add-doing-1"]

    run(scenario())


def test_delete_removes_the_card_and_frees_its_component():
    async def scenario():
        async with live(app, "/components") as view:
            todo, c2 = cid(view, "#column-todo"), card_cid(view, "c2")
            diffs = record_diffs(view)

            await view.element("#delete-c2").click()  # phx-target="#column-todo": the column's event
            assert only_components(diffs[0]) == {todo}
            assert board(view)["todo"] == ["c1", "c3"]
            # The client removed the card, told the server (cids_will_destroy, cids_destroyed),
            # and the server freed it: its cid is gone, and so is its state.
            assert c2 not in live_cids(view) and view._channel.components.entry(c2) is None
            assert len(live_cids(view)) == 8

    run(scenario())


# --- moves: the view's event ---------------------------------------------------------------------------


def leaves(node):
    """The values at the ends of a diff's nested objects (``k``/``kc`` counts left out)."""
    for key, value in node.items():
        if isinstance(value, dict):
            yield from leaves(value)
        elif key not in ("kc", "km"):
            yield value


def test_the_keyboard_buttons_move_a_card_keeping_its_component(updates):
    async def scenario():
        async with live(app, "/components") as view:
            c1, before = card_cid(view, "c1"), live_cids(view)
            updates.clear()
            diffs = record_diffs(view)

            await view.element("#card-c1 button.move-next").click()  # ▶ "Move to Doing"
            assert board(view) == {"todo": ["c2", "c3"], "doing": ["c4", "c5", "c1"], "done": ["c6"]}
            assert card_cid(view, "c1") == c1 and live_cids(view) == before  # the same component, nothing destroyed
            # The view re-rendered: every column and every card got update, once.
            assert set(updates) == {("Column", c) for c, _ in COLUMNS} | {("Card", f"c{i}") for i in range(1, 7)}
            assert set(updates.values()) == {1}
            # The view's own markup did not change: outside "c", the diff only names the places of
            # the components that changed (their cids, so the client re-renders what holds them).
            assert set(diffs[-1]) <= {"0", "c"} and all(type(v) is int for v in leaves(diffs[-1].get("0", {})))
            assert [n.attributes["aria-label"] for n in nodes(view, "#card-c1 button.move")] == ["Move to To do", "Move to Done"]

            await view.element("#card-c1 button.move-next").click()
            await view.element("#card-c1 button.move-prev").click()
            await view.element("#card-c1 button.move-prev").click()
            assert board(view)["todo"] == ["c2", "c3", "c1"] and card_cid(view, "c1") == c1

    run(scenario())


def test_a_drop_moves_the_card_to_its_index_and_the_card_keeps_its_state():
    async def scenario():
        async with live(app, "/components") as view:
            c4 = card_cid(view, "c4")
            await view.element("#edit-c4-button").click()  # component state: editing

            # What the ColumnDrop hook pushes on a drop: to the view (no target).
            await view.element("#cards-todo").hook("move", {"card": "c4", "to": "todo", "index": 1})
            assert board(view) == {"todo": ["c1", "c4", "c2", "c3"], "doing": ["c5"], "done": ["c6"]}
            assert card_cid(view, "c4") == c4
            assert view.has_element("#card-c4.editing form#edit-c4")  # still being edited, in its new column
            await view.form("#edit-c4", {"title": "Fixed the login redirect"}).submit()
            assert titles(view, "todo")[1] == "Fixed the login redirect"

            # Within a column, an index past the end, and a negative one.
            await view.element("#cards-todo").hook("move", {"card": "c1", "to": "todo", "index": 2})
            assert board(view)["todo"] == ["c4", "c2", "c1", "c3"]
            await view.element("#cards-done").hook("move", {"card": "c3", "to": "done", "index": 99})
            await view.element("#cards-done").hook("move", {"card": "c2", "to": "done", "index": -5})
            assert board(view) == {"todo": ["c4", "c1"], "doing": ["c5"], "done": ["c2", "c6", "c3"]}
            # An unknown card or column changes nothing.
            await view.element("#cards-done").hook("move", {"card": "c99", "to": "done"})
            await view.element("#cards-done").hook("move", {"card": "c1", "to": "nowhere"})
            assert board(view) == {"todo": ["c4", "c1"], "doing": ["c5"], "done": ["c2", "c6", "c3"]}

    run(scenario())


def test_a_column_can_be_emptied_and_filled_again():
    async def scenario():
        async with live(app, "/components") as view:
            for card in ("c4", "c5"):
                await view.element(f"#card-{card} button.move-next").click()
            assert board(view)["doing"] == [] and text(view, "#column-doing .kanban-count") == "0"
            await view.element("#cards-doing").hook("move", {"card": "c6", "to": "doing", "index": 0})
            assert board(view) == {"todo": ["c1", "c2", "c3"], "doing": ["c6"], "done": ["c4", "c5"]}

    run(scenario())


# --- the Clear Done modal (the UI kit's modal, a view event) ------------------------------------------------


def test_clearing_the_done_column_destroys_its_cards_components():
    async def scenario():
        async with live(app, "/components") as view:
            await view.element("#card-c5 button.move-next").click()
            done = {card: card_cid(view, card) for card in board(view)["done"]}
            assert set(done) == {"c6", "c5"}
            assert text(view, "#clear-done-count") == "2 done cards will be deleted."
            assert attr(view, "#clear-done", "style") == "display: none"  # opened by show_modal in the browser
            await view.element("#confirm-clear-done").click()  # JS.push("clear_done") + hide_modal
            assert board(view)["done"] == [] and not set(done.values()) & live_cids(view)
            assert "disabled" in nodes(view, "#open-clear-done")[0].attributes

    run(scenario())


# --- the model -------------------------------------------------------------------------------------------


def test_the_board_model():
    b = Board.seeded()
    assert b.order == SEEDED and b.neighbours("todo") == (None, b.column("doing"))
    assert b.add("todo", "  ") is None and b.add("nowhere", "x") is None
    card = b.add("done", "  a   b ")
    assert card is not None and card.title == "a b" and b.order["done"] == ["c6", card.id]
    assert b.move(card.id, "todo", 0) and b.order["todo"][0] == card.id
    assert not b.rename(card.id, "") and b.rename(card.id, "c") and b.cards[card.id].title == "c"
    assert b.rename(card.id, "y" * (MAX_TITLE + 5)) and b.cards[card.id].title == "y" * MAX_TITLE  # the server cuts too
    assert b.delete(card.id) and not b.delete(card.id) and card.id not in b.cards
    assert b.clear("doing") == ["c4", "c5"] and b.order["doing"] == [] and "c4" not in b.cards
