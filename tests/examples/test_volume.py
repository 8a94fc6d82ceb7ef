"""The volume example (``examples/volume``): window key bindings, ``phx-key``, clamping, mute."""

from __future__ import annotations

import pytest
from async_runner import run
from example_dom import make_app, text
from hypothesis import given, settings
from hypothesis import strategies as st

from pyview_core.testing import LiveViewTestError, live

app = make_app()

# view.keydown(key) presses a key on the page: every phx-window-keydown binding receives it.


def meter_for(volume: int, muted: bool) -> str:
    return "muted" if muted else "█" * (volume // 10) + "░" * (10 - volume // 10)


def shows(view, volume: int, muted: bool) -> bool:
    return (
        int(text(view, "#volume")) == volume
        and text(view, "#meter") == meter_for(volume, muted)
        and view.has_element("#muted", text="(muted)") == muted
    )


def test_first_render():
    async def scenario():
        async with live(app, "/volume") as view:
            assert view.title == "Volume · pyview"
            assert text(view, "#volume") == "50" and text(view, "#meter") == "█████░░░░░"
            assert not view.has_element("#muted")

    run(scenario())


def test_arrow_keys_step_by_ten_and_clamp_at_0_and_100():
    async def scenario():
        async with live(app, "/volume") as view:
            await view.keydown("ArrowUp")
            assert shows(view, 60, False)
            await view.keydown("ArrowDown")
            await view.keydown("ArrowDown")
            assert shows(view, 40, False) and text(view, "#meter") == "████░░░░░░"
            for _ in range(8):
                await view.keydown("ArrowUp")
            assert shows(view, 100, False) and text(view, "#meter") == "██████████"
            for _ in range(12):
                await view.keydown("ArrowDown")
            assert shows(view, 0, False) and text(view, "#meter") == "░░░░░░░░░░"

    run(scenario())


def test_m_toggles_mute_and_other_keys_do_nothing():
    async def scenario():
        async with live(app, "/volume") as view:
            await view.keydown("m")
            assert shows(view, 50, True) and text(view, "#meter") == "muted"
            await view.keydown("ArrowDown")  # the level still moves while muted
            assert shows(view, 40, True)
            await view.keydown("M")  # phx-key matches case-insensitively, as in the client
            assert shows(view, 40, False) and text(view, "#meter") == "████░░░░░░"
            for key in ("x", "Enter", "ArrowLeft", " ", "Escape"):
                await view.keydown(key)
            await view.keydown("ArrowUp")
            assert shows(view, 50, False)

    run(scenario())


def test_the_mute_binding_only_answers_to_m():
    async def scenario():
        async with live(app, "/volume") as view:
            mute = view.element("main.volume > div[phx-key=m]")
            await mute.keydown("ArrowUp")  # phx-key="m": the client sends nothing
            assert shows(view, 50, False)
            await mute.keydown("m")
            assert shows(view, 50, True)
            with pytest.raises(LiveViewTestError, match="phx-keyup"):
                await mute.keyup("m")  # only keydown is bound

    run(scenario())


def test_the_buttons_set_silence_and_maximum():
    async def scenario():
        async with live(app, "/volume") as view:
            await view.element("#max").click()
            assert shows(view, 100, False)
            await view.keydown("ArrowUp")
            assert shows(view, 100, False)
            await view.element("#silence").click()
            assert shows(view, 0, False)
            await view.keydown("m")
            await view.element("#max").click()
            assert shows(view, 100, True)

    run(scenario())


ACTIONS = ["ArrowUp", "ArrowDown", "m", "M", "x", "Enter", "#silence", "#max"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), max_size=25))
def test_any_sequence_of_keys_and_clicks_matches_a_clamped_model(actions):
    async def scenario():
        volume, muted = 50, False
        async with live(app, "/volume") as view:
            for action in actions:
                if action.startswith("#"):
                    await view.element(action).click()
                    volume = 0 if action == "#silence" else 100
                else:
                    await view.keydown(action)
                    if action == "ArrowUp":
                        volume = min(100, volume + 10)
                    elif action == "ArrowDown":
                        volume = max(0, volume - 10)
                    elif action.lower() == "m":
                        muted = not muted
                assert shows(view, volume, muted), (action, view.html())

    run(scenario())
