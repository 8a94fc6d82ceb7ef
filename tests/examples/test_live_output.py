"""The live output example (``examples/live_output``): a server job streaming values into the page.

Runs that must finish use ``every=0`` and ``await view.render_async(...)`` (the job done and all it
sent rendered); stop and restart use a slow job and watch the page until enough values showed.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from async_runner import run
from example_dom import attr, ids, make_app, text, texts

from pyview_core.testing import LiveViewTestError, live

app = make_app()
SLOW = "/output?n=100000&every=0.005"


def sqrt_line(i: int) -> str:
    return f"sqrt({i}) = {math.sqrt(i):.6f}"


def status(view) -> str:
    shown = text(view, "#status")
    assert shown in ("idle", "running", "stopped", "done") and attr(view, "#status", "data-status") == shown
    return shown


def produced(view) -> int:
    return int(text(view, "#produced"))


def log(view) -> list[str]:
    return texts(view, "#log > div")


def check_log_is_the_first(view, count: int) -> None:
    """The log holds exactly the run's values 0..count-1, in order, and the page agrees on count."""
    assert produced(view) == count
    assert log(view) == [sqrt_line(i) for i in range(count)]
    assert ids(view, "#log > div") == [f"log-{i}" for i in range(count)]
    assert text(view, "#latest") == (sqrt_line(count - 1) if count else "—")


async def produced_at_least(view, count: int) -> None:
    await view.wait_for(lambda: produced(view) >= count, timeout=3.0)


def running_jobs() -> list[asyncio.Task]:
    """The tasks of this loop running the example's job (``LiveOutputView.produce``), however wrapped."""

    def awaits_produce(task: asyncio.Task) -> bool:
        coro = task.get_coro()
        while coro is not None:
            if getattr(coro, "__qualname__", "") == "LiveOutputView.produce":
                return True
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        return False

    return [task for task in asyncio.all_tasks() if not task.done() and awaits_produce(task)]


def test_first_render_is_idle():
    async def scenario():
        async with live(app, "/output") as view:
            assert view.title == "Live output · pyview"
            assert status(view) == "idle" and produced(view) == 0
            assert text(view, "#latest") == "—" and log(view) == []
            assert text(view, "#start") == "Start" and not view.has_element("#stop")
            assert view.has_element("p", text="Square roots of 0..9999, one every 0.1 s")
            assert view.has_element("p", text="The log keeps the last 1000 lines.")
            await view.render_async()  # nothing runs before Start
            assert status(view) == "idle"

    run(scenario())


@pytest.mark.parametrize(
    "query, described",
    [
        ("n=5&every=0", "0..4, one every 0.0 s"),
        ("n=0&every=-1", "0..0, one every 0.0 s"),  # at least one value, no negative pause
        ("n=5000000&every=99", "0..999999, one every 10.0 s"),  # at most a million, 10 s apart
        ("every=0.25", "0..9999, one every 0.25 s"),
        ("n=1", "0..0, one every 0.1 s"),
    ],
)
def test_the_url_sets_the_job(query, described):
    async def scenario():
        async with live(app, f"/output?{query}") as view:
            assert view.has_element("p", text=f"Square roots of {described}, computed by a job on the server.")

    run(scenario())


@pytest.mark.parametrize("query", ["n=x", "n=1.5", "every=x", "every=", "n=10&every=fast"])
def test_params_that_do_not_convert_are_a_400(query):
    async def scenario():
        with pytest.raises(LiveViewTestError, match="400"):
            async with live(app, f"/output?{query}"):
                pass

    run(scenario())


@pytest.mark.parametrize("n", [1, 7, 300])
def test_a_run_goes_to_the_end(n):
    async def scenario():
        async with live(app, f"/output?n={n}&every=0") as view:
            await view.element("#start").click()
            await view.render_async(timeout=5)
            assert status(view) == "done"
            check_log_is_the_first(view, n)
            assert text(view, "#start") == "Restart" and not view.has_element("#stop")

    run(scenario())


def test_the_log_keeps_the_last_1000_lines():
    async def scenario():
        async with live(app, "/output?n=1200&every=0") as view:
            await view.element("#start").click()
            await view.render_async(timeout=10)
            assert status(view) == "done" and produced(view) == 1200
            assert text(view, "#latest") == sqrt_line(1199)
            assert log(view) == [sqrt_line(i) for i in range(200, 1200)]
            assert ids(view, "#log > div")[:2] == ["log-200", "log-201"]

    run(scenario())


def test_restart_after_the_end_starts_the_log_over():
    async def scenario():
        async with live(app, "/output?n=5&every=0") as view:
            await view.element("#start").click()
            await view.render_async()
            check_log_is_the_first(view, 5)
            await view.element("#start", text="Restart").click()
            await view.render_async()
            assert status(view) == "done"
            check_log_is_the_first(view, 5)  # not ten lines: the stream was reset

    run(scenario())


def test_stop_keeps_what_arrived_and_nothing_more_comes():
    async def scenario():
        async with live(app, SLOW) as view:
            await view.element("#start").click()
            assert status(view) == "running"
            assert view.has_element("#stop", text="Stop") and text(view, "#start") == "Restart"
            await produced_at_least(view, 3)
            await view.element("#stop").click()
            assert status(view) == "stopped"
            stopped_at = produced(view)
            check_log_is_the_first(view, stopped_at)
            assert not view.has_element("#stop") and text(view, "#start") == "Restart"
            await asyncio.sleep(0.05)  # ten periods of the job
            await view.render_async()  # the job is gone: nothing to wait for
            assert status(view) == "stopped"
            check_log_is_the_first(view, stopped_at)
            with pytest.raises(LiveViewTestError, match="#stop"):
                await view.element("#stop").click()  # no Stop button once stopped

    run(scenario())


def test_restart_while_running_starts_over():
    async def scenario():
        async with live(app, SLOW) as view:
            await view.element("#start").click()
            await produced_at_least(view, 5)
            await view.element("#start", text="Restart").click()  # while running
            assert status(view) == "running"
            assert produced(view) < 5  # the old run's values are gone
            await produced_at_least(view, 3)
            await view.element("#stop").click()
            check_log_is_the_first(view, produced(view))  # only the new run's values, from sqrt(0)

    run(scenario())


def test_each_tab_runs_its_own_job_and_closing_a_tab_ends_it():
    async def scenario():
        async with live(app, SLOW) as b:
            async with live(app, SLOW) as a:
                await a.element("#start").click()
                await produced_at_least(a, 5)
                assert status(b) == "idle" and produced(b) == 0 and log(b) == []

                await b.element("#start").click()
                await produced_at_least(b, 3)
                await a.element("#stop").click()
                a_stopped = a.html()
                b_before = produced(b)
                await produced_at_least(b, b_before + 3)  # B goes on
                assert status(b) == "running"
                assert a.html() == a_stopped and status(a) == "stopped"

                await a.element("#start").click()  # A runs again while the tab closes
                await produced_at_least(a, 1)
            await asyncio.sleep(0.02)
            assert len(running_jobs()) == 1  # closing A's tab cancelled its job; B's runs
            b_before = produced(b)
            await produced_at_least(b, b_before + 2)
            await b.element("#stop").click()
            assert status(b) == "stopped"
            check_log_is_the_first(b, produced(b))
        await asyncio.sleep(0.02)
        assert running_jobs() == []

    run(scenario())


def test_leaving_the_page_while_running_ends_the_job():
    async def scenario():
        async with live(app, SLOW) as view:
            await view.element("#start").click()
            await produced_at_least(view, 2)
            assert len(running_jobs()) == 1
        await asyncio.sleep(0.02)
        assert running_jobs() == []

    run(scenario())
