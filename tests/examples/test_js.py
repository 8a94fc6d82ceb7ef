"""The ``/js`` example (``examples/js``) through the test client, which runs no JavaScript: the
rendered commands are checked as the client will parse them, and the server side of the hooks
(``roll``, ``time``) and of the pushes (``sides``, ``clear``, ``ping``) is driven directly.
In Chromium: tests/e2e/test_js_example.py."""

from __future__ import annotations

import json
import re

from async_runner import run
from example_dom import attr, make_app, nodes, text

from examples.js.js import COMMANDS, DIE_SIDES, KEPT_ROLLS
from pyview_core.testing import live

app = make_app()


def commands(view, css: str, binding: str) -> list:
    """The JS command list in ``binding`` of the element at ``css``, parsed as the client parses it."""
    raw = attr(view, css, binding)
    assert raw is not None and raw.startswith("["), f"{binding} of {css}: {raw!r}"
    return json.loads(raw)


def disabled(view, css: str) -> bool:
    (node,) = nodes(view, css)
    return "disabled" in node.attributes


def test_the_modal_and_the_dropdown_carry_the_commands_built_in_python():
    async def scenario():
        async with live(app, "/js") as view:
            assert view.title == "JS commands and hooks · pyview"
            assert commands(view, "#open-modal", "phx-click") == COMMANDS.open_modal.to_encodable()
            for css, binding in [("#cancel", "phx-click"), ("#modal-content", "phx-click-away"), ("#modal-content", "phx-window-keydown")]:
                assert commands(view, css, binding) == COMMANDS.close_modal.to_encodable()
            assert attr(view, "#modal-content", "phx-key") == "Escape"
            assert commands(view, "#confirm-clear", "phx-click") == COMMANDS.clear.to_encodable()
            assert commands(view, "#menu-button", "phx-click") == COMMANDS.toggle_menu.to_encodable()
            assert commands(view, "#die-dropdown", "phx-click-away") == COMMANDS.close_menu.to_encodable()
            assert attr(view, "#modal", "style") == "display: none" and attr(view, "#menu", "style") == "display: none"
            assert [node.attributes["id"] for node in nodes(view, "#menu [role=menuitem]")] == [f"pick-d{n}" for n in DIE_SIDES]

    run(scenario())


def test_the_commands_do_what_the_page_needs():
    kinds = [name for name, _ in COMMANDS.open_modal.to_encodable()]
    assert kinds == ["push_focus", "show", "focus_first"]  # focus moves into the dialog, and back later
    assert [name for name, _ in COMMANDS.close_modal.to_encodable()] == ["hide", "pop_focus"]
    assert COMMANDS.clear.to_encodable()[0] == ["push", {"event": "clear"}]


def test_the_dice_hook_gets_the_roll_as_its_reply():
    async def scenario():
        async with live(app, "/js") as view:
            assert text(view, "#history") == "No rolls yet." and disabled(view, "#open-modal")
            assert attr(view, "#roller", "phx-hook") == "Dice" and attr(view, "#rolled", "phx-update") == "ignore"
            await view.element("#roller").hook("roll", {"sides": 6})
            reply = view.assert_reply()
            assert set(reply) == {"rolled", "sides"} and reply["sides"] == 6 and 1 <= reply["rolled"] <= 6
            assert text(view, "#history") == f"Last rolls: {reply['rolled']}"
            assert not disabled(view, "#open-modal")

    run(scenario())


def test_picking_a_die_changes_what_the_hook_reads_and_a_bad_size_falls_back_to_it():
    async def scenario():
        async with live(app, "/js") as view:
            await view.element("#pick-d20").click()
            assert text(view, "#menu-button") == "d20 ▾"
            assert attr(view, "#roller", "data-sides") == "20"
            await view.element("#roller").hook("roll", {"sides": 7})  # no such die: the chosen one
            assert view.assert_reply()["sides"] == 20

    run(scenario())


def test_the_history_keeps_the_last_rolls_and_clear_empties_it():
    async def scenario():
        async with live(app, "/js") as view:
            rolled = []
            for _ in range(KEPT_ROLLS + 2):
                await view.element("#roller").hook("roll", {"sides": 4})
                rolled.insert(0, view.assert_reply()["rolled"])
            assert text(view, "#history") == "Last rolls: " + ", ".join(map(str, rolled[:KEPT_ROLLS]))
            await view.element("#confirm-clear").click()
            assert text(view, "#history") == "No rolls yet."
            assert disabled(view, "#open-modal")

    run(scenario())


def test_the_clock_hooks_question_and_the_targeted_ping_are_ordinary_events():
    async def scenario():
        async with live(app, "/js") as view:
            assert attr(view, "#ping", "phx-target") == "#server"  # a selector: the view owning it
            await view.element("#clock").hook("time")
            reply = view.assert_reply()
            assert re.fullmatch(r"\d\d:\d\d:\d\d", reply["time"]) and reply["asked"] == 1
            assert text(view, "#asked") == "Asked 1 times."
            await view.element("#ping").click()
            await view.element("#ping").click()
            assert text(view, "#pings") == "2 pings"

    run(scenario())
