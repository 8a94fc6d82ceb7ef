"""The counter example (``examples/counter``) through the test client: clicks, ``?count=``, the reset patch."""

from __future__ import annotations

import pytest
from async_runner import run
from example_dom import make_app, text
from hypothesis import given, settings
from hypothesis import strategies as st

from pyview_core.testing import LiveViewTestError, live

app = make_app()


def count(view) -> int:
    return int(text(view, "#count"))


def test_first_render_shows_zero_and_the_title():
    async def scenario():
        async with live(app, "/counter") as view:
            assert count(view) == 0
            assert view.title == "Counter · pyview"
            assert view.has_element("#dec", text="−") and view.has_element("#inc", text="+")
            assert view.has_element("#add5", text="+5")

    run(scenario())


def test_each_button_changes_the_count():
    async def scenario():
        async with live(app, "/counter?count=3") as view:
            await view.element("#inc").click()
            await view.element("#inc").click()
            assert count(view) == 5
            await view.element("#dec").click()
            assert count(view) == 4
            await view.element("#add5").click()
            assert count(view) == 9
            for _ in range(12):
                await view.element("#dec").click()
            assert count(view) == -3  # no lower bound: − stays enabled below zero
            assert view.title == "Counter · pyview"

    run(scenario())


@pytest.mark.parametrize("start", [0, 3, -7, 1_000_000])
def test_the_count_comes_from_the_url(start):
    async def scenario():
        async with live(app, f"/counter?count={start}") as view:
            assert count(view) == start
            assert view.path == f"/counter?count={start}"
            await view.element("#inc").click()
            assert count(view) == start + 1

    run(scenario())


@pytest.mark.parametrize("bad", ["abc", "1.5", "", "1e3"])
def test_a_count_that_is_not_an_int_is_a_400(bad):
    async def scenario():
        with pytest.raises(LiveViewTestError, match=r"400.*count"):
            async with live(app, f"/counter?count={bad}"):
                pass

    run(scenario())


def test_the_reset_link_patches_the_url_and_the_view_stays_live():
    async def scenario():
        async with live(app, "/counter?count=3") as view:
            await view.element("#add5").click()
            assert count(view) == 8
            await view.element("#reset").click()  # data-phx-link="patch": no new page
            view.assert_patch("/counter?count=0")
            assert view.path == "/counter?count=0" and count(view) == 0
            await view.element("#inc").click()  # still live after the patch
            assert count(view) == 1
            view.refute_patch()  # a click does not change the URL

    run(scenario())


def test_patches_to_the_counter_and_away_from_it():
    async def scenario():
        async with live(app, "/counter") as view:
            await view.patch("/counter?count=42")
            assert count(view) == 42
            await view.patch("/counter")  # no count: the default again
            assert count(view) == 0 and view.path == "/counter"
            with pytest.raises(LiveViewTestError, match="expected int"):
                await view.patch("/counter?count=abc")  # refused; the page stays as it was
            assert count(view) == 0 and view.path == "/counter"
            await view.element("#inc").click()
            assert count(view) == 1
            with pytest.raises(LiveViewTestError, match="another LiveView"):
                await view.patch("/volume")

    run(scenario())


def test_a_session_does_not_carry_the_count_to_another_page_load():
    async def scenario():
        async with live(app, "/counter") as first:
            await first.element("#inc").click()
            async with live(app, "/counter") as second:  # another tab: its own view
                assert count(second) == 0
                await second.element("#dec").click()
                assert count(second) == -1
            assert count(first) == 1

    run(scenario())


@pytest.mark.parametrize("note", ["café", "日本"])
def test_a_url_with_non_ascii_characters_loads(note):
    async def scenario():
        async with live(app, f"/counter?count=2&note={note}") as view:
            assert count(view) == 2

    run(scenario())


CLICKS = {"#inc": 1, "#dec": -1, "#add5": 5}


@settings(max_examples=25, deadline=None)
@given(start=st.integers(-100, 100), steps=st.lists(st.sampled_from([*CLICKS, "#reset"]), max_size=25))
def test_any_sequence_of_clicks_ends_at_the_arithmetic_sum(start, steps):
    async def scenario():
        expected = start
        async with live(app, f"/counter?count={start}") as view:
            for step in steps:
                await view.element(step).click()
                expected = 0 if step == "#reset" else expected + CLICKS[step]
                assert count(view) == expected, (step, view.html())
            assert view.title == "Counter · pyview"
            assert view.path == ("/counter?count=0" if "#reset" in steps else f"/counter?count={start}")

    run(scenario())
