"""Every code block of the guides in ``docs/`` runs here, so the guides cannot drift from the code.

One test per page takes the page's fenced code blocks in order:

- A block whose first line is a comment naming a file (``# counter.py``, ``{# counter.html #}``,
  ``// dice.js``, ``# pytest.ini``) is that file: all of them are written to a fresh folder for the
  page before anything runs, as a reader would save them side by side.
- ``python`` blocks run in order in one namespace per page (a module of its own, so dataclasses
  and typed handlers resolve). A named one is imported as the module it names, from the page's
  folder (so its views find their templates beside it), and its names join the namespace. Every
  ``test_*`` function a block defines runs right after the block (async ones on a fresh event
  loop), so a test uses the ``app`` of the blocks above it. A block marked with
  ``<!-- fragment -->`` on the line before it is only compiled.
- ``html`` blocks are compiled as pyview templates (a named one from the page's folder, so its
  imports and includes resolve); a ``TemplateSecurityWarning`` is an error.
- ``sh`` blocks: every ``pyview ...`` command parses with the real CLI parsers; a ``module:app``
  that names a page's file is loaded as ``pyview serve`` loads it, one that names this repo's
  module must exist; files, extras (``'.[testing]'``) and ``PYVIEW_*`` names must exist.
- ``js`` blocks are checked by ``node --check`` (when Node is installed); ``ini`` and ``toml``
  blocks are parsed. A page with a ``pytest.ini`` runs ``python -m pytest`` in its folder (as
  a reader would), which must pass.

Other checks: mkdocs.yml lists every page, llms.txt links to pages that exist, and
``mkdocs build --strict`` passes when MkDocs is installed (the ``docs`` extra).
"""

from __future__ import annotations

import ast
import asyncio
import configparser
import contextlib
import importlib
import importlib.util
import inspect
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prerequisites import import_or_skip
from async_runner import run

import pyview_core
from pyview_core.cli import build_parser as pyview_parser
from pyview_core.cli import load_app
from pyview_templates import Environment, FileSystemLoader, TemplateSecurityWarning
from pyview_templates.cli import build_parser as compile_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])
# The subprocesses import this checkout's pyview, whatever the editable install points at.
PYTHONPATH = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

LANGUAGES = {"python", "html", "sh", "js", "ini", "toml", "text"}
FRAGMENT = "<!-- fragment -->"
MAX_FRAGMENTS = 4  # across all pages: a fragment is only compiled, so they must stay rare
# A page that shows a whole view and its test must run at least this many tests.
MIN_TESTS = {
    "first-app.md": 1, "templates.md": 1, "events-and-params.md": 3, "forms.md": 1, "streams.md": 1,
    "uploads.md": 2, "components.md": 1, "pubsub-and-presence.md": 2, "testing.md": 3, "security.md": 1,
}
# Plugins the guides' pytest runs do not use, and slow to import (hypothesis: seconds); the pyview
# and asyncio plugins load from their entry points, as a reader's pytest loads them.
FAST_PYTEST = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio"]
# The commands an sh block may use (each is checked below); anything else is a mistake to look at.
COMMANDS = {"pyview", "python", "pytest", "pip", "npm", "mkdocs", "redis-server", "export"}

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)[^\n]*$")
FILE_HEADERS = {
    "python": re.compile(r"#\s*(?P<name>[\w-]+\.py)\b.*"),
    "html": re.compile(r"\{#\s*(?P<name>[\w-]+\.html)\s*#\}"),
    "js": re.compile(r"//\s*(?P<name>[\w-]+\.m?js)\b.*"),
    "ini": re.compile(r"[#;]\s*(?P<name>[\w-]+\.(?:ini|cfg))\b.*"),
    "toml": re.compile(r"#\s*(?P<name>[\w-]+\.toml)\b.*"),
}
REPO_PACKAGES = {"examples", "pyview_core", "pyview_templates", "tests", "benchmarks"}


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    source: str
    fragment: bool

    @property
    def where(self) -> str:
        return f"docs/{self.page.name}:{self.line}"

    @property
    def filename(self) -> str | None:
        header = FILE_HEADERS.get(self.lang)
        first = self.source.split("\n", 1)[0].strip()
        found = header.fullmatch(first) if header else None
        return found["name"] if found else None


def blocks_of(page: Path) -> list[Block]:
    """The fenced code blocks of ``page``, in order (indented fences inside lists included)."""
    lines = page.read_text(encoding="utf-8").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        previous = next((line.strip() for line in reversed(lines[:i]) if line.strip()), "")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not re.fullmatch(rf"[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", lines[j]):
            body.append(lines[j].removeprefix(indent))
            j += 1
        assert j < len(lines), f"docs/{page.name}:{i + 1}: the code block is never closed"
        blocks.append(Block(page, i + 1, opening["lang"].lower(), "\n".join(body) + "\n", previous == FRAGMENT))
        i = j + 1
    return blocks


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]


# ==================================================================================== the pages


def test_the_guides_exist():
    names = {page.name for page in PAGES}
    expected = {"index.md", "first-app.md", "security.md", "deployment.md", *MIN_TESTS}
    assert expected <= names, f"missing guides: {sorted(expected - names)}"


def test_the_first_app_guide_clicks_its_counter_in_a_test():
    tests = [b for b in blocks_of(DOCS / "first-app.md") if b.lang == "python" and (b.filename or "").startswith("test_")]
    assert tests and any(".click()" in b.source for b in tests), "first-app.md must show a test that clicks the counter"


def test_every_block_says_its_language_and_fragments_are_rare():
    for block in ALL_BLOCKS:
        assert block.lang in LANGUAGES, f"{block.where}: code block language {block.lang!r}; use one of {sorted(LANGUAGES)}"
    fragments = [block.where for block in ALL_BLOCKS if block.fragment]
    assert len(fragments) <= MAX_FRAGMENTS, f"too many fragments (only compiled, never run): {fragments}"
    for block in ALL_BLOCKS:
        if block.fragment:
            assert block.lang == "python", f"{block.where}: only python blocks can be fragments"


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_page(page: Path, tmp_path: Path):
    """Write the page's files, then run, compile or check each of its blocks in order."""
    folder = tmp_path / page.stem
    folder.mkdir()
    blocks = blocks_of(page)
    files: dict[str, Block] = {}
    for block in blocks:
        name = block.filename
        if name is None:
            continue
        assert name not in files, f"{block.where}: {name} is already shown at {files[name].where}"
        files[name] = block
        (folder / name).write_text(block.source, encoding="utf-8")

    runner = PageRunner(page, folder, files)
    with runner.activated():
        for block in blocks:
            check = getattr(runner, f"check_{block.lang}", None)
            if check is not None:
                check(block)
        runner.run_pytest_if_configured()
    wanted = MIN_TESTS.get(page.name, 0)
    assert runner.tests_run >= wanted, f"docs/{page.name}: {runner.tests_run} test(s) ran, expected at least {wanted}"


class PageRunner:
    """Runs one page's blocks in one namespace, with the page's folder importable."""

    def __init__(self, page: Path, folder: Path, files: dict[str, Block]) -> None:
        self.page = page
        self.folder = folder
        self.files = files
        self.module_name = "docs_page_" + re.sub(r"\W", "_", page.stem)
        self.module = types.ModuleType(self.module_name)
        self.module.__file__ = str(folder / f"{self.module_name}.py")
        self.namespace = self.module.__dict__
        self.env = Environment(loader=FileSystemLoader(str(folder)))
        self.tests_run = 0

    @contextlib.contextmanager
    def activated(self):
        """The page's folder first on ``sys.path``, its modules forgotten afterwards.

        A page's file may share its name with a module the test run imported already (the
        first-app guide's ``test_counter.py`` and tests/examples/test_counter.py, imported by
        basename): that module is set aside while the page runs and put back afterwards.
        """
        own = {Path(name).stem for name in self.files if name.endswith(".py")}
        set_aside = {name: sys.modules.pop(name) for name in own & set(sys.modules)}
        sys.path.insert(0, str(self.folder))
        sys.modules[self.module_name] = self.module
        try:
            yield
        finally:
            sys.path.remove(str(self.folder))
            for name in [self.module_name, *own]:
                sys.modules.pop(name, None)
            sys.modules.update(set_aside)

    # --- python ----------------------------------------------------------------------------------

    def check_python(self, block: Block) -> None:
        if block.fragment:
            compile(textwrap.dedent(block.source), block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            return
        before = {name: value for name, value in self.namespace.items() if name.startswith("test_")}
        name = block.filename
        if name is not None and name.startswith("test_") and (self.folder / "pytest.ini").exists():
            compile(block.source, block.where, "exec")  # run by pytest itself (run_pytest_if_configured)
            return
        try:
            if name is not None:
                module = importlib.import_module(Path(name).stem)
                self.namespace.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
            else:
                exec(compile(block.source, block.where, "exec"), self.namespace)  # noqa: S102 (running the guide is the point)
        except Exception as exc:
            exc.add_note(f"(running the code block at {block.where})")
            raise
        for test_name, test in list(self.namespace.items()):
            if test_name.startswith("test_") and callable(test) and before.get(test_name) is not test:
                self.run_test(block, test_name, test)

    def run_test(self, block: Block, name: str, test: Callable[..., Any]) -> None:
        required = [p for p in inspect.signature(test).parameters.values() if p.default is p.empty]
        assert not required, (
            f"{block.where}: {name} needs {[p.name for p in required]}; tests that take fixtures belong "
            "in a test_*.py file of a page with a pytest.ini"
        )
        try:
            if inspect.iscoroutinefunction(test):
                run(test())
            else:  # in a thread too: a plain test may call asyncio.run (first-app.md does)
                run(asyncio.to_thread(test))
        except BaseException as exc:
            exc.add_note(f"(the test {name} of {block.where})")
            raise
        self.tests_run += 1

    def run_pytest_if_configured(self) -> None:
        """A page that shows a ``pytest.ini`` shows a project to run pytest in: run it."""
        if not (self.folder / "pytest.ini").exists():
            return
        test_files = sorted(name for name in self.files if name.startswith("test_") and name.endswith(".py"))
        assert test_files, f"docs/{self.page.name} shows a pytest.ini but no test_*.py file"
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", *FAST_PYTEST, *test_files],
            check=False, cwd=self.folder, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": PYTHONPATH},
        )
        assert result.returncode == 0, f"pytest in docs/{self.page.name}'s project failed:\n{result.stdout}\n{result.stderr}"
        passed = re.search(r"(\d+) passed", result.stdout)
        assert passed, result.stdout
        self.tests_run += int(passed.group(1))

    # --- templates -------------------------------------------------------------------------------

    def check_html(self, block: Block) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error", TemplateSecurityWarning)
            try:
                if block.filename is not None:
                    self.env.get_template(block.filename)
                else:
                    self.env.from_string(block.source, name=block.where)
            except Exception as exc:
                exc.add_note(f"(compiling the template at {block.where})")
                raise

    # --- other files -----------------------------------------------------------------------------

    def check_js(self, block: Block) -> None:
        node = shutil.which("node")
        if node is None:
            warnings.warn(f"{block.where}: node is not installed, the JavaScript was not checked")
            return
        source = self.folder / f"_block_{block.line}.mjs"  # ES modules: `export const Hook = ...`
        source.write_text(block.source, encoding="utf-8")
        result = subprocess.run([node, "--check", str(source)], check=False, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"{block.where}: not valid JavaScript:\n{result.stderr}"

    def check_ini(self, block: Block) -> None:
        configparser.ConfigParser().read_string(block.source, source=block.where)

    def check_toml(self, block: Block) -> None:
        tomllib.loads(block.source)

    # --- shell -----------------------------------------------------------------------------------

    def check_sh(self, block: Block) -> None:
        for command in commands_of(block):
            try:
                self.check_command(command)
            except AssertionError as exc:
                raise AssertionError(f"{block.where}: `{shlex.join(command)}`: {exc}") from None

    def check_command(self, words: list[str]) -> None:
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):  # VAR=value prefixes
            check_env_name(words[0].split("=", 1)[0])
            words = words[1:]
        program, args = words[0], words[1:]
        assert program in COMMANDS, f"{program!r} is not a command these docs know how to check"
        if program == "python":
            assert args[:1] == ["-m"], "run modules with python -m"
            module, args = args[1], args[2:]
            if module in ("pytest", "pip", "mkdocs"):
                program = module
            else:
                self.check_module(module)
                if module == "examples":  # `python -m examples [pyview serve options]`
                    self.check_pyview(["serve", "examples.app:app", *args])
                return
        if program == "pyview":
            self.check_pyview(args)
        elif program == "pytest":
            for arg in args:
                if arg.endswith(".py"):
                    self.check_path(arg)
            if "--pyview-app" in args:
                self.check_target(args[args.index("--pyview-app") + 1])
        elif program == "pip":
            assert args[:1] == ["install"], "only pip install"
            for arg in args[1:]:
                extras = re.fullmatch(r"(?:\.|pyview)\[([\w,-]+)\]", arg)
                if extras:
                    unknown = set(extras.group(1).split(",")) - EXTRAS
                    assert not unknown, f"pyproject.toml has no extra {sorted(unknown)}; it has {sorted(EXTRAS)}"
        elif program == "npm":
            assert args[:1] == ["ci"] and (ROOT / "package-lock.json").exists()
        elif program == "mkdocs":
            assert args[:1] in (["build"], ["serve"]) and (ROOT / "mkdocs.yml").exists()
        elif program == "export":
            for arg in args:
                check_env_name(arg.split("=", 1)[0])

    def check_pyview(self, args: list[str]) -> None:
        parser = compile_parser() if args[:1] == ["compile"] else pyview_parser()
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                parsed = parser.parse_args(args)
        except SystemExit as exit:
            assert exit.code == 0, f"the pyview command line refuses it:\n{out.getvalue()}"
            return  # --help
        if parsed.command == "serve":
            self.check_target(parsed.app, factory=parsed.factory)
        elif parsed.command == "compile":
            for path in parsed.paths:
                self.check_path(path)

    def check_target(self, target: str, factory: bool = False) -> None:
        """``module:attr``: one of the page's files is loaded as ``pyview serve`` loads it; one of
        this repo's modules must exist; other names are the reader's own (``myapp.web:app``)."""
        module = target.partition(":")[0]
        if f"{module.split('.')[0]}.py" in self.files:
            load_app(target, factory=factory)
        elif module.split(".")[0] in REPO_PACKAGES:
            self.check_module(module)

    def check_module(self, module: str) -> None:
        if f"{module}.py" in self.files:
            return
        assert importlib.util.find_spec(module) is not None, f"there is no module {module!r}"

    def check_path(self, path: str) -> None:
        """A path names one of the page's files, or one of this repo's if it starts with a repo folder."""
        first = Path(path).parts[0]
        if path in self.files or first in self.files:
            return
        if first in REPO_PACKAGES or first in ("docs", "scripts"):
            assert (ROOT / path).exists(), f"{path} does not exist in this repository"


def commands_of(block: Block) -> list[list[str]]:
    """The simple commands of an sh block: lines joined at ``\\``, comments dropped, split at
    ``&&``, ``||``, ``;`` and ``|``."""
    text = block.source.replace("\\\n", " ")
    commands: list[list[str]] = []
    for line in text.split("\n"):
        words = shlex.split(line, comments=True)
        current: list[str] = []
        for word in words + [";"]:
            if word in ("&&", "||", ";", "|"):
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(word)
    return commands


PYVIEW_SOURCES = "\n".join(path.read_text(encoding="utf-8") for path in Path(pyview_core.__file__).parent.rglob("*.py"))


def check_env_name(name: str) -> None:
    if name.startswith("PYVIEW_"):
        assert f'"{name}"' in PYVIEW_SOURCES, f"pyview_core reads no environment variable {name}"


def test_every_pyview_environment_variable_named_exists():
    texts = [page.read_text(encoding="utf-8") for page in PAGES] + [(ROOT / "llms.txt").read_text(encoding="utf-8")]
    for name in sorted({name for text in texts for name in re.findall(r"\bPYVIEW_[A-Z_]+\b", text)}):
        check_env_name(name)


# ==================================================================================== the site


def test_mkdocs_nav_lists_every_page():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^site_name:\s*pyview\s*$", config, re.MULTILINE)
    listed = re.findall(r"^\s*-\s*(?:[^:\n]+:\s*)?([\w-]+\.md)\s*$", config, re.MULTILINE)
    assert sorted(listed) == sorted(page.name for page in PAGES), listed
    assert listed[0] == "index.md"


def test_llms_txt_follows_the_format_and_links_to_real_pages():
    text = (ROOT / "llms.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0].startswith("# "), "llms.txt starts with an H1"
    assert next(line for line in lines[1:] if line.strip()).startswith("> "), "then a blockquote summary"
    links = re.findall(r"\]\(([^)]+)\)", text)
    for link in links:
        if "://" not in link:
            assert (ROOT / link.split("#")[0]).exists(), f"llms.txt links to {link}, which does not exist"
    linked = {Path(link).name for link in links if link.startswith("docs/")}
    assert {page.name for page in PAGES} <= linked, f"llms.txt does not link {sorted({p.name for p in PAGES} - linked)}"


def test_llms_txt_names_what_exists():
    """Its import line imports, and every socket member it lists is a member of the sockets."""
    text = (ROOT / "llms.txt").read_text(encoding="utf-8")
    imports = re.findall(r"`(from pyview_core import [^`]+)`", text)
    assert imports
    for line in imports:
        exec(line, {})  # noqa: S102
    section = text.split("## Socket methods", 1)[1].split("\n## ", 1)[0]
    from pyview_core import ConnectedLiveViewSocket, UnconnectedSocket

    both = next(line for line in section.split("\n") if line.startswith("- Both sockets:"))
    members = re.findall(r"`(?:await )?([a-z_]+)(?:\(|`)", section)
    assert len(members) > 20, members
    for name in members:
        if name in ("is_connected",):
            continue
        sockets = (UnconnectedSocket, ConnectedLiveViewSocket) if f"`{name}" in both else (ConnectedLiveViewSocket,)
        for socket in sockets:
            instance_attrs = {"context", "live_title", "flash", "user", "auth", "csrf_token", "navigation"}
            assert hasattr(socket, name) or name in instance_attrs, f"llms.txt: {socket.__name__} has no {name!r}"


def test_mkdocs_build_strict(tmp_path: Path):
    import_or_skip("mkdocs", "the docs site cannot be built")  # in the dev extra: CI fails rather than skips
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's end-of-life banner
    )
    assert result.returncode == 0, result.stdout + result.stderr
