"""The pytest plugin, as a user meets it: an app module, a test file, and a pytest run of its own.

Each test writes a counter app (``counter_app.py`` and its template) and a user's test file into a
fresh folder, runs pytest there in a subprocess (so no event loop or plugin state of this process
leaks in, and the plugin is found through its installed entry point, as users get it), and checks
the outcome a user would read: the click changed the count, or the output says what went wrong.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pyview_core

pytest_plugins = ["pytester"]

# The subprocesses import this checkout's pyview, whatever the editable install points at.
CHECKOUT = str(Path(pyview_core.__file__).resolve().parents[1])
PYTHONPATH = os.pathsep.join(filter(None, [CHECKOUT, os.environ.get("PYTHONPATH")]))

APP = '''
from pyview_core import LiveView, PyView, event


class Counter(LiveView[dict]):
    template_name = "counter.html"
    start = 0

    async def mount(self, socket, session):
        socket.context = {"count": self.start}

    @event("inc")
    async def inc(self, socket):
        socket.context["count"] += 1


def make_app(start=0):
    class StartingAt(Counter):
        pass

    StartingAt.start = start
    app = PyView(secret_key="x" * 48)
    app.add_live_view("/counter", StartingAt)
    return app


app = make_app()
'''

TEMPLATE = """<p>Count: <span id="count">{{ count }}</span></p>
<button id="inc" phx-click="inc">+1</button>
"""

# One user test, written for each way of running coroutine tests.
CLICK = """
    async with live("/counter") as view:
        assert view.has_element("#count", text="{before}")
        await view.element("#inc").click()
        assert view.has_element("#count", text="{after}")
"""


ASYNCIO = """
    import pytest

    @pytest.mark.asyncio
    async def test_click(live):
"""


def click_test(header: str = ASYNCIO, before: int = 0) -> str:
    return textwrap.dedent(header) + CLICK.format(before=before, after=before + 1)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A folder with the counter app and its template."""
    pytester.makepyfile(counter_app=APP)
    (pytester.path / "counter.html").write_text(TEMPLATE, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", PYTHONPATH)
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    return pytester


# Plugins of this environment that a user's project need not have, and that cost 1.5 s per run.
UNRELATED = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")


# Users get the plugin from the installed entry point. Where the install predates it, the runs
# below load it by name, so that only the entry point test fails, saying to reinstall.
PLUGIN = () if md.entry_points(group="pytest11", name="pyview") else ("-p", "pyview_core.testing.pytest_plugin")


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    # A subprocess: this process may have an event loop left running (Playwright's).
    return project.runpytest_subprocess(*UNRELATED, *PLUGIN, *args)


def test_the_entry_point_loads_the_plugin_without_the_test_client() -> None:
    # Every pytest run of anyone who installed pyview loads the plugin: it must not import the
    # test client (selectolax, the driver) until a test asks for `live`.
    code = (
        "import sys, importlib.metadata as md;"
        "(ep,) = md.entry_points(group='pytest11', name='pyview');"
        "assert ep.value == 'pyview_core.testing.pytest_plugin', ep.value;"
        "ep.load();"
        "heavy = sorted(m for m in sys.modules if m.startswith(('selectolax', 'pyview_core.testing.driver')));"
        "assert not heavy, heavy"
    )
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (
        f"{done.stderr}\n(no `pyview` pytest11 entry point? reinstall: python -m pip install -e . --no-deps)"
    )


def test_live_fixture_under_pytest_asyncio(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=click_test())
    run(project, "--pyview-app", "counter_app:app", "-p", "no:anyio").assert_outcomes(passed=1)


def test_live_fixture_under_anyio(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=click_test("""
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_click(live):
    """))
    run(project, "--pyview-app", "counter_app:app", "-p", "no:asyncio").assert_outcomes(passed=1)


def test_plain_asyncio_run_with_the_fixture_or_without_it(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=textwrap.dedent("""
        import asyncio

        from pyview_core.testing import live as live_in
        from counter_app import app


        async def click(live):
            async with live("/counter") as view:
                await view.element("#inc").click()
                await view.element("#inc").click()
                return view.has_element("#count", text="2")


        def test_direct():
            assert asyncio.run(click(lambda path: live_in(app, path)))


        def test_fixture(live):
            assert asyncio.run(click(live))
    """))
    run(project, "--pyview-app", "counter_app:app", "-p", "no:asyncio", "-p", "no:anyio").assert_outcomes(passed=2)


def test_ini_names_the_app(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\npyview_app = counter_app:app\n")
    project.makepyfile(test_user=click_test())
    run(project).assert_outcomes(passed=1)


def test_a_conftest_fixture_overrides_the_option(project: pytest.Pytester) -> None:
    project.makeconftest("""
        import pytest
        import counter_app

        @pytest.fixture
        def pyview_app():
            return counter_app.make_app(start=10)
    """)
    project.makepyfile(test_user=click_test(before=10))
    # The option names a module that does not exist: the override wins, so it is never imported.
    run(project, "--pyview-app", "no_such_module:app").assert_outcomes(passed=1)


def test_no_app_configured_says_how_to_name_one(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=click_test())
    result = run(project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*define a `pyview_app` fixture in conftest.py or pass --pyview-app module:app*"])


def test_an_app_that_does_not_import_is_named(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=click_test())
    result = run(project, "--pyview-app", "counter_ap:app")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--pyview-app = 'counter_ap:app': cannot import module 'counter_ap'*"])


def test_a_failing_click_shows_what_the_page_has(project: pytest.Pytester) -> None:
    project.makepyfile(test_user="""
        import pytest

        @pytest.mark.asyncio
        async def test_click(live):
            async with live("/counter") as view:
                await view.element("#increment").click()
    """)
    result = run(project, "--pyview-app", "counter_app:app")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*LiveViewTestError: the page has no element matching*#increment*",
        "*<button id=?inc? phx-click=?inc?>*",  # the candidate the user meant
    ])
