"""The dashboard example (``examples/dashboard``): a page updated by the server's own timer.

The example schedules ``InfoEvent("tick")`` every second; the tests deliver that event
themselves (``view.send_info``) instead of waiting for real seconds. Where exact values are
asserted, the example's random walk and clock are replaced by scripted ones.
"""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace
from unittest import mock

from async_runner import run
from example_dom import attr, make_app, text
from hypothesis import given, settings
from hypothesis import strategies as st

from examples.dashboard import dashboard as dashboard_module
from pyview_core import InfoEvent
from pyview_core.testing import live

app = make_app()
METRICS = ["cpu", "memory", "requests"]
TICK = InfoEvent("tick")


def metrics(view) -> dict[str, int]:
    """Each metric's number as shown, checked against its <meter>."""
    shown = {}
    for name in METRICS:
        number = int(text(view, f"#metric-{name} > span"))
        assert attr(view, f"#metric-{name} > meter", "value") == str(number)
        assert text(view, f"#metric-{name}").startswith(name)
        shown[name] = number
    return shown


def ticks(view) -> int:
    return int(text(view, "#ticks"))


class ScriptedRandom:
    """Stands in for the ``random`` module: ``randint`` answers the scripted steps in turn."""

    def __init__(self, steps):
        self.steps = iter(steps)

    def randint(self, low: int, high: int) -> int:
        assert (low, high) == (-8, 8)
        return next(self.steps)


def scripted_clock():
    times = (f"12:{n // 60:02d}:{n % 60:02d}" for n in itertools.count())
    return SimpleNamespace(strftime=lambda fmt: next(times))


def test_first_render():
    async def scenario():
        async with live(app, "/dashboard") as view:
            assert view.title == "Dashboard · pyview"
            assert ticks(view) == 0
            assert metrics(view) == {name: 50 for name in METRICS}
            assert re.fullmatch(r"\d\d:\d\d:\d\d", text(view, "#clock"))

    run(scenario())


def test_each_tick_advances_the_counter_the_clock_and_the_metrics():
    steps = [8, -8, 3, 0, 0, 0, -5, 5, 1]

    async def scenario():
        with mock.patch.object(dashboard_module, "random", ScriptedRandom(steps)), \
                mock.patch.object(dashboard_module, "time", scripted_clock()):
            async with live(app, "/dashboard") as view:
                mounted_at = text(view, "#clock")
                await view.send_info(TICK)
                assert ticks(view) == 1 and metrics(view) == {"cpu": 58, "memory": 42, "requests": 53}
                first = text(view, "#clock")
                assert first != mounted_at
                await view.send_info(TICK)
                assert ticks(view) == 2 and metrics(view) == {"cpu": 58, "memory": 42, "requests": 53}
                assert text(view, "#clock") != first  # the clock shows the time of the last tick
                await view.send_info(TICK)
                assert ticks(view) == 3 and metrics(view) == {"cpu": 53, "memory": 47, "requests": 54}

    run(scenario())


def test_other_info_events_change_nothing():
    async def scenario():
        async with live(app, "/dashboard") as view:
            before = view.html()
            await view.send_info(InfoEvent("tock"))
            await view.send_info(InfoEvent("ticks", 5))
            assert view.html() == before

    run(scenario())


def test_the_walk_stays_within_0_and_100_and_moves_at_most_8_per_tick():
    async def scenario():
        async with live(app, "/dashboard") as view:
            before, seen_ticks = metrics(view), ticks(view)
            for _ in range(150):
                await view.send_info(TICK)
                now, now_ticks = metrics(view), ticks(view)
                # (a real tick of the example's own 1 s timer may land in between: allow for it)
                assert now_ticks >= seen_ticks + 1
                for name in METRICS:
                    assert 0 <= now[name] <= 100
                    assert abs(now[name] - before[name]) <= 8 * (now_ticks - seen_ticks)
                before, seen_ticks = now, now_ticks

    run(scenario())


def test_render_async_does_not_wait_for_the_repeating_timer():
    async def scenario():
        async with live(app, "/dashboard") as view:
            html = await view.render_async(timeout=0.5)  # returns at once: the 1 s tick repeats forever
            assert re.search(r'<span id="ticks">\d+</span>', html)

    run(scenario())


def clamp(value: int) -> int:
    return max(0, min(100, value))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(*[st.integers(-8, 8)] * 3), max_size=30))
def test_scripted_walks_match_a_clamped_model(walk):
    async def scenario():
        with mock.patch.object(dashboard_module, "random", ScriptedRandom(step for steps in walk for step in steps)):
            async with live(app, "/dashboard") as view:
                model = {name: 50 for name in METRICS}
                for n, steps in enumerate(walk, 1):
                    await view.send_info(TICK)
                    model = {name: clamp(model[name] + step) for name, step in zip(METRICS, steps, strict=True)}
                    assert ticks(view) == n and metrics(view) == model

    run(scenario())
