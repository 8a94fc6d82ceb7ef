"""The todo example (``examples/todo``): a stream the server only sends changes to.

Add (a ``phx-submit`` form), toggle (a checkbox's ``phx-click``, the row updated in place),
delete (the row removed), clear completed (the stream reset to the incomplete todos).
"""

from __future__ import annotations

import pytest
from async_runner import run
from example_dom import ids, make_app, nodes
from hypothesis import given, settings
from hypothesis import strategies as st

from pyview_core.testing import LiveViewTestError, live

app = make_app()


def rows(view) -> list[tuple[int, str, bool]]:
    """The list as the user sees it, top to bottom: (id, text, completed), checked against the markup."""
    shown = []
    for li in nodes(view, "#todos > li"):
        todo_id = int(li.attributes["id"].removeprefix("todos-"))
        completed = "completed" in (li.attributes.get("class") or "").split()
        box = li.css_first("input[type=checkbox]")
        assert ("checked" in box.attributes) == completed, li.html
        assert box.attributes.get("phx-value-id") == str(todo_id)
        assert li.css_first("button.delete").attributes.get("phx-value-id") == str(todo_id)
        shown.append((todo_id, li.css_first("span").text(), completed))
    return shown


def form_id(view) -> str:
    (found,) = ids(view, "#add-form form")
    return found


async def add(view, words: str) -> None:
    await view.form("#add-form form", {"text": words}).submit()


async def toggle(view, todo_id: int) -> None:
    await view.element(f"#todos-{todo_id} input[type=checkbox]").click()


async def delete(view, todo_id: int) -> None:
    await view.element(f"#todos-{todo_id} button.delete").click()


def test_an_empty_list():
    async def scenario():
        async with live(app, "/todo") as view:
            assert view.title == "Todos · pyview"
            assert rows(view) == [] and form_id(view) == "add-0"
            assert view.has_element("#clear-completed", text="Clear completed")

    run(scenario())


def test_new_todos_go_on_top_and_the_box_is_emptied():
    async def scenario():
        async with live(app, "/todo") as view:
            for words in ("milk", "bread", "eggs", "tea"):
                await add(view, words)
            assert rows(view) == [(4, "tea", False), (3, "eggs", False), (2, "bread", False), (1, "milk", False)]
            assert form_id(view) == "add-4"  # a new form each time: the browser shows it empty
            assert "value" not in nodes(view, "#add-form input[name=text]")[0].attributes

    run(scenario())


def test_blank_todos_are_ignored_and_text_is_trimmed_cut_and_escaped():
    async def scenario():
        async with live(app, "/todo") as view:
            await add(view, "")
            await add(view, "   ")
            assert rows(view) == [] and form_id(view) == "add-0"
            await add(view, "  spaced out  ")
            await add(view, "z" * 250)
            await add(view, "<b>bold</b> & <i>co</i>")
            assert rows(view) == [(3, "<b>bold</b> & <i>co</i>", False), (2, "z" * 200, False), (1, "spaced out", False)]
            assert nodes(view, "#todos b, #todos i") == []

    run(scenario())


def test_toggle_changes_the_row_in_place():
    async def scenario():
        async with live(app, "/todo") as view:
            for words in ("milk", "bread", "eggs", "tea"):
                await add(view, words)
            await toggle(view, 2)
            await toggle(view, 4)
            assert rows(view) == [(4, "tea", True), (3, "eggs", False), (2, "bread", True), (1, "milk", False)]
            await toggle(view, 4)  # and back
            assert rows(view) == [(4, "tea", False), (3, "eggs", False), (2, "bread", True), (1, "milk", False)]

    run(scenario())


def test_delete_removes_the_row():
    async def scenario():
        async with live(app, "/todo") as view:
            for words in ("milk", "bread", "eggs"):
                await add(view, words)
            await toggle(view, 1)
            await delete(view, 2)
            assert rows(view) == [(3, "eggs", False), (1, "milk", True)]
            await delete(view, 1)  # a completed one too
            assert rows(view) == [(3, "eggs", False)]
            with pytest.raises(LiveViewTestError, match="todos-2"):
                await delete(view, 2)  # its row is gone: nothing to click
            await delete(view, 3)
            assert rows(view) == []

    run(scenario())


def test_clear_completed_keeps_the_incomplete_ones_in_order():
    async def scenario():
        async with live(app, "/todo") as view:
            for words in ("milk", "bread", "eggs", "tea"):
                await add(view, words)
            await toggle(view, 2)
            await delete(view, 3)
            await toggle(view, 4)
            await view.element("#clear-completed").click()
            assert rows(view) == [(1, "milk", False)]
            await add(view, "jam")  # ids go on: the cleared ones are not reused
            assert rows(view) == [(5, "jam", False), (1, "milk", False)]
            await view.element("#clear-completed").click()  # nothing completed: the list stays
            assert rows(view) == [(5, "jam", False), (1, "milk", False)]
            await toggle(view, 5)
            await toggle(view, 1)
            await view.element("#clear-completed").click()
            assert rows(view) == []

    run(scenario())


def test_each_tab_has_its_own_list():
    async def scenario():
        async with live(app, "/todo") as a:
            async with live(app, "/todo") as b:
                await add(a, "only in A")
                await add(b, "only in B")
                await toggle(b, 1)
                assert rows(a) == [(1, "only in A", False)]
                assert rows(b) == [(1, "only in B", True)]

    run(scenario())


def test_the_add_form_has_no_validation_and_takes_only_its_field():
    async def scenario():
        async with live(app, "/todo") as view:
            with pytest.raises(LiveViewTestError, match="no phx-change"):
                await view.form("#add-form form", {"text": "x"}).change()  # typing sends nothing
            with pytest.raises(LiveViewTestError, match="completed"):
                await view.form("#add-form form", {"text": "x", "completed": "true"}).submit()
            assert rows(view) == []

    run(scenario())


# ================================================================================ a model

TEXTS = st.text(alphabet="ab <&>\"'é", max_size=6)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_sequence_of_actions_matches_a_list_model(data):
    actions = []
    n = data.draw(st.integers(1, 20), label="actions")
    # Drawn up front (positions, not ids): each is resolved against the list at that point.
    for _ in range(n):
        kind = data.draw(st.sampled_from(["add", "add", "toggle", "delete", "clear"]))
        actions.append((kind, data.draw(TEXTS) if kind == "add" else data.draw(st.integers(0, 30))))

    async def scenario():
        model: list[list] = []  # [id, text, completed], top to bottom
        next_id, added = 1, 0
        async with live(app, "/todo") as view:
            for kind, arg in actions:
                if kind == "add":
                    await add(view, arg)
                    if arg.strip():
                        model.insert(0, [next_id, arg.strip(), False])
                        next_id, added = next_id + 1, added + 1
                elif kind == "clear":
                    await view.element("#clear-completed").click()
                    model = [row for row in model if not row[2]]
                elif model:
                    row = model[arg % len(model)]
                    if kind == "toggle":
                        await toggle(view, row[0])
                        row[2] = not row[2]
                    else:
                        await delete(view, row[0])
                        model.remove(row)
                assert rows(view) == [tuple(row) for row in model], (kind, arg)
                assert form_id(view) == f"add-{added}"

    run(scenario())
