"""``pyview new`` (pyview_core/scaffold.py) and ``pyview routes`` (pyview_core/cli_routes.py).

The generated project is checked as its user meets it: its own test suite runs in a pytest of its
own (a subprocess, with the project's pyproject.toml as its configuration and pyview's plugin
found through its entry point), and its app serves its page through Starlette's TestClient.
``pyview routes`` is checked on the examples app and on views that exercise every column.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata as md
import io
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import pyview_core
from pyview_core import cli, scaffold

ROOT = Path(__file__).resolve().parents[2]
# The subprocess imports this checkout's pyview, whatever the editable install points at.
CHECKOUT = str(Path(pyview_core.__file__).resolve().parents[1])
SECRET = "cli-new-routes-secret-not-for-production-0123456789"
# Users get the plugin from the installed entry point; where the install predates it, load it by name.
PLUGIN = () if md.entry_points(group="pytest11", name="pyview") else ("-p", "pyview_core.testing.pytest_plugin")


def _error_line(capsys: pytest.CaptureFixture[str], command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pyview {command}: error: "), err
    return lines[0]


# --- pyview new ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``pyview new demo`` run in a fresh folder: (the project folder, what the command printed)."""
    where = tmp_path_factory.mktemp("new")
    before = os.getcwd()
    os.chdir(where)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            assert cli.main(["new", "demo"]) == 0
    finally:
        os.chdir(before)
    return where / "demo", printed.getvalue()


@pytest.fixture
def demo_package(project: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The generated project importable (``demo``), from its folder; forgotten again afterwards."""
    root = project[0]
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.chdir(root)
    monkeypatch.setenv("PYVIEW_SECRET_KEY", SECRET)
    yield root
    for name in [name for name in sys.modules if name == "demo" or name.startswith("demo.")]:
        del sys.modules[name]


def test_new_writes_the_project_and_says_what_next(project: tuple[Path, str]) -> None:
    root, printed = project
    expected = ["pyproject.toml", "README.md", ".gitignore", "demo/__init__.py", "demo/app.py",
                "demo/counter.py", "demo/counter.html", "tests/test_counter.py"]
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pyview__" not in p.parts
                  and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts) == sorted(expected)
    for name in expected:
        text = (root / name).read_text(encoding="utf-8")
        assert "__PROJECT__" not in text and "__PYVIEW_REQUIREMENT__" not in text, name
        assert f"demo/{name}" in printed
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "demo"' in pyproject and '"pyview' in pyproject
    assert 'pyview_app = "demo.app:app"' in pyproject and 'asyncio_mode = "auto"' in pyproject
    for dev in ("pytest", "pytest-asyncio", "selectolax"):
        assert f'"{dev}>=' in pyproject
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "pyview serve demo.app:app --reload" in readme and "http://127.0.0.1:8000" in readme
    assert "python -m pip install -e '.[dev]' && python -m pytest" in readme
    gitignore = (root / ".gitignore").read_text(encoding="utf-8").split()
    assert {"__pyview__/", "__pycache__/", ".venv/"} <= set(gitignore)
    assert "cd demo && python -m pip install -e . && pyview serve demo.app:app --reload" in printed
    assert "http://127.0.0.1:8000" in printed and "python -m pytest" in printed


def test_every_scaffold_file_is_written_and_packaged() -> None:
    folder = Path(scaffold.__file__).with_name("scaffold_files")
    assert sorted(p.name for p in folder.iterdir()) == sorted(scaffold.FILES)
    # pytest must never collect them (they are not tests of this repository)
    assert all(name.endswith(".tmpl") for name in scaffold.FILES)
    assert '"scaffold_files/*.tmpl"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_generated_project_passes_its_own_tests(project: tuple[Path, str]) -> None:
    root = project[0]
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), CHECKOUT, os.environ.get("PYTHONPATH")]))
    # Plugins of this environment that the project need not have, and that cost a second per run.
    unrelated = ("-p", "no:hypothesispytest", "-p", "no:benchmark")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *unrelated, *PLUGIN], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout, done.stdout


def test_the_generated_app_serves_its_page(demo_package: Path) -> None:
    app = importlib.import_module("demo.app").app
    with TestClient(app) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert '<p id="count">The count is 0.</p>' in page.text
        assert 'phx-click="add" phx-value-amount="10"' in page.text
        assert "Counter · demo</title>" in page.text
        assert "The count is 5." in client.get("/?count=5").text


def test_routes_of_the_generated_app(demo_package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["routes", "demo.app:app"]) == 0
    out = capsys.readouterr().out
    (row,) = [line for line in out.splitlines() if line.startswith("/ ")]
    assert row.split() == ["/", "demo.counter.CounterLiveView", "default", "-", "demo/counter.html",
                           "count:", "int", "=", "0"]


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["new", "demo", "--dir", str(target)]) == 2
    assert "already exists and is not empty (notes.txt)" in _error_line(capsys, "new")
    assert [p.name for p in target.iterdir()] == ["notes.txt"]  # nothing written
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_new_fills_an_empty_folder_or_one_with_only_git(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["new", "shop", "--dir", str(empty)]) == 0
    assert (empty / "shop" / "counter.py").is_file()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert cli.main(["new", "shop", "--dir", str(repo)]) == 0
    assert 'pyview_app = "shop.app:app"' in (repo / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My-App", "'My-App' is not a valid project name: use a Python package name (lowercase letters, "
                   "digits and underscores, starting with a letter), e.g. 'my_app'"),
        ("9lives", "e.g. 'app_9lives'"),
        ("_private", "starting with a letter"),
        ("class", "'class' is not a valid project name: it is a Python keyword"),
        ("json", "it would shadow the standard library's module 'json'"),
        ("pyview_core", "it would shadow 'pyview_core'"),
    ],
)
def test_new_refuses_a_name_that_is_not_a_package_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["new", name]) == 2
    assert expected in _error_line(capsys, "new")
    assert list(tmp_path.iterdir()) == []


def test_new_removes_what_it_wrote_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    real_render = scaffold.render

    def render(template: str, name: str) -> str:
        if template == "counter.html.tmpl":
            raise OSError(28, "No space left on device", str(tmp_path / "demo" / "demo" / "counter.html"))
        return real_render(template, name)

    monkeypatch.setattr(scaffold, "render", render)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["new", "demo"]) == 2
    assert "No space left on device" in _error_line(capsys, "new")
    assert list(tmp_path.iterdir()) == []  # a retry meets the same empty folder


# --- pyview routes ------------------------------------------------------------------------------


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PYVIEW_SECRET_KEY", SECRET)
    return ROOT


def _rows(out: str) -> dict[str, list[str]]:
    """The live table's rows by path, split on runs of two or more spaces."""
    live = out.split("\n\n")[0].splitlines()[2:]
    return {cells[0]: cells for cells in (re.split(r" {2,}", line) for line in live)}


def test_routes_lists_the_examples(at_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["routes", "examples.app:app"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split("  ")[0] == "PATH"
    rows = _rows(out)
    assert rows["/chat"] == ["/chat", "examples.chat.chat.ChatLiveView", "default", "-", "examples/chat/chat.html", "-"]
    assert rows["/table/{id:int}"] == ["/table/{id:int}", "examples.table.table.ItemLiveView", "default", "id: int",
                                       "examples/table/item.html", "-"]
    assert rows["/account"][1:3] == ["examples.auth.auth.AccountLiveView", "account"]
    assert rows["/account"][4] == "examples/auth/account.html"
    assert rows["/counter"][-1] == "count: int = 0"
    # a dataclass parameter stands for its fields, as binding gathers them from the query string
    assert rows["/table"][-1] == "page: int = 1, per_page: int = 10, sort: 'id'|'name'|'color'|'price' = 'id'"
    other = out.split("\n\n")[1]
    assert "POST     /login" in other and "examples.auth.auth.login_post" in other
    assert "MOUNT    /gallery" in other and "StaticFiles examples/static" in other
    assert "/live/websocket" in other.splitlines()[-1]  # pyview's own, on one line
    assert "live:" not in out  # the live views' HTTP routes are not listed twice


def test_routes_with_a_factory(at_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["routes", "examples.app:create_app", "--factory"]) == 0
    assert "examples.counter.counter.CounterLiveView" in capsys.readouterr().out


VIEWS = textwrap.dedent('''
    import dataclasses
    import enum
    from typing import Optional

    from pyview_core import LiveView, PyView


    class Color(enum.Enum):
        RED = "red"


    @dataclasses.dataclass
    class Filter:
        q: str = ""
        tags: list[str] = dataclasses.field(default_factory=list)


    class SelfRendered(LiveView):
        def render(self, context):
            return None

        async def handle_params(self, url, params, socket):  # the legacy signature
            pass


    class Missing(LiveView):
        template_name = "nowhere.html"

        async def handle_params(self, socket, slug: str, page: Optional[int] = None,
                                color: Color = Color.RED, f: Filter | None = None, **rest):
            pass


    class Wrapper:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            await self.app(scope, receive, send)


    async def raw_app(scope, receive, send):
        pass


    app = PyView(secret_key="s" * 48)
    app.add_live_view("/self", SelfRendered)
    app.add_live_view("/m/{slug}/{rest:path}/{u:uuid}/{x:float}", Missing)
    wrapped = Wrapper(app)
''')


@pytest.fixture
def views_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "cli_routes_views.py").write_text(VIEWS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield "cli_routes_views"
    sys.modules.pop("cli_routes_views", None)


def test_routes_types_and_templates(views_module: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["routes", f"{views_module}:wrapped"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Live routes of {views_module}:wrapped (inside Wrapper): 2\n")
    rows = _rows(out)
    assert rows["/self"][4:] == ["(renders itself)", "params (all of them)"]
    missing = rows["/m/{slug}/{rest:path}/{u:uuid}/{x:float}"]
    assert missing[3] == "slug: str, rest: path, u: uuid, x: float"
    assert missing[4] == "(none) nowhere.html is missing"
    assert missing[5] == ("page: int | None = None, color: Color = <Color.RED: 'red'>, q: str = '', "
                          "tags: list[str] = list(), **rest (any others)")
    assert "Other routes: 0" in out


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("examples.app", "expected MODULE:ATTRIBUTE"),
        ("no_such_module_for_routes:app", "cannot import module 'no_such_module_for_routes'"),
        ("examples.app:nope", "has no attribute 'nope'"),
        ("examples.app:create_app", "pass --factory"),
        ("cli_routes_views:raw_app", "cli_routes_views:raw_app is a cli_routes_views.raw_app, not a PyView"),
    ],
)
def test_routes_of_a_bad_target_is_one_line_and_exit_2(
    views_module: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], target: str, expected: str,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    assert cli.main(["routes", target]) == 2
    assert expected in _error_line(capsys, "routes")


def test_help_lists_the_new_commands() -> None:
    text = cli.build_parser().format_help()
    assert "new" in text and "routes" in text and "serve" in text
