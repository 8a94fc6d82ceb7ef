"""The pytest plugin (entry point ``pyview``): a ``live`` fixture that drives your app.

    # pytest.ini: `pyview_app = myproject.web:app`, or run `pytest --pyview-app myproject.web:app`
    async def test_counter(live):
        async with live("/counter") as view:
            await view.element("#inc").click()
            assert view.has_element("#count", text="1")

pytest loads this module in every run of anyone who installed pyview, so it only declares an
option and two fixtures; the test client is imported when a test first asks for it. Nothing here
runs coroutines, so tests run under pytest-asyncio, anyio's plugin, or a plain ``asyncio.run``.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

_HELP = "the app the `live` fixture drives, as MODULE:ATTRIBUTE (as for `pyview serve`)"
_MISSING = (
    "no app for the `live` fixture: define a `pyview_app` fixture in conftest.py or pass --pyview-app module:app"
    " (or set `pyview_app = module:app` in pytest.ini)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    # One name for the app, given once: on the command line or in the ini file (the option wins).
    parser.getgroup("pyview").addoption("--pyview-app", dest="pyview_app", metavar="MODULE:ATTR", help=_HELP)
    parser.addini("pyview_app", _HELP + "; --pyview-app overrides it")


@pytest.fixture(scope="session")
def pyview_app(pytestconfig: pytest.Config) -> Any:
    """The app named by ``--pyview-app`` or the ini key ``pyview_app``, imported once per session.

    Define your own ``pyview_app`` fixture (in conftest.py) instead to build the app per test or
    with test settings; ``live`` then drives that one.
    """
    value = pytestconfig.getoption("pyview_app") or pytestconfig.getini("pyview_app")
    if not value:
        pytest.fail(_MISSING, pytrace=False)
    source = "--pyview-app" if pytestconfig.getoption("pyview_app") else "ini pyview_app"
    from pyview_core.cli import ServeError, load_app  # the same rules and messages as `pyview serve`

    try:
        return load_app(value)
    except ServeError as exc:
        error, cause = str(exc), exc.__cause__
    if cause is not None:  # the module's own code raised while importing: its traceback is what helps
        cause.add_note(f"(importing {source} = {value!r} for the `pyview_app` fixture)")
        raise cause
    pytest.fail(f"{source} = {value!r}: {error}", pytrace=False)


@pytest.fixture
def live(pyview_app: Any) -> Any:
    """``live(path="/", **kwargs)``: :func:`pyview_core.testing.live` bound to ``pyview_app``.

    ``async with live("/counter", session={"user_id": 7}) as view:`` loads the page and joins its view.
    """
    from pyview_core.testing import live as live_in

    return functools.partial(live_in, pyview_app)
