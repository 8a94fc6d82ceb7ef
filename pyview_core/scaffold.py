"""``pyview new NAME``: a project folder that serves a live view and passes its own tests.

    pyview new shop                  # ./shop/: pyproject.toml, shop/ (app, a view, its template), tests/
    pyview new shop --dir ~/code/x   # the same files in ~/code/x (created, or an existing empty folder)

The project's files are the ``*.tmpl`` files of ``scaffold_files/`` (plain text, not pyview
templates): ``__PROJECT__`` is replaced by the name, ``__PYVIEW_REQUIREMENT__`` by the pyview
requirement. ``FILES`` says where each one goes. Nothing is overwritten: a folder that exists and
has files in it is refused, as is a name that is not a Python package name or would shadow a
module the project imports; each refusal is one line and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import keyword
import os
import re
import shlex
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from .cli import ServeError
from .cli_routes import one_line_errors

PLACEHOLDER = "__PROJECT__"
REQUIREMENT_PLACEHOLDER = "__PYVIEW_REQUIREMENT__"

# scaffold_files/<template> -> the file in the project ({name} is the project's name).
FILES: dict[str, str] = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "gitignore.tmpl": ".gitignore",
    "package_init.py.tmpl": "{name}/__init__.py",
    "app.py.tmpl": "{name}/app.py",
    "counter.py.tmpl": "{name}/counter.py",
    "counter.html.tmpl": "{name}/counter.html",
    "test_counter.py.tmpl": "tests/test_counter.py",
}

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_VALID = "lowercase letters, digits and underscores, starting with a letter"
# Top-level names the project imports or gets from pyview's install (pyview installs `examples`).
_TAKEN = frozenset({
    "pyview", "pyview_core", "pyview_templates", "examples", "tests", "starlette", "uvicorn",
    "pydantic", "markupsafe", "orjson", "itsdangerous", "lark", "websockets", "pytest",
    "pytest_asyncio", "selectolax", "setuptools",
})
# What an existing folder may hold and still count as empty (`git init` first is common).
_IGNORED_IN_EMPTY = frozenset({".git"})


def check_name(name: str) -> None:
    """Refuse (``ServeError``) a name that cannot be the project's package."""
    if keyword.iskeyword(name):
        raise ServeError(f"{name!r} is not a valid project name: it is a Python keyword; "
                         f"use a Python package name ({_VALID})")
    if not _NAME.match(name):
        hint = _suggest(name)
        raise ServeError(f"{name!r} is not a valid project name: use a Python package name ({_VALID}), "
                         f"e.g. {hint!r}")
    if name in sys.stdlib_module_names:
        raise ServeError(f"{name!r} is not a valid project name: it would shadow the standard library's "
                         f"module {name!r}; use another Python package name ({_VALID})")
    if name in _TAKEN:
        raise ServeError(f"{name!r} is not a valid project name: it would shadow {name!r}, which a pyview "
                         f"project imports or pyview installs; use another Python package name ({_VALID})")


def _suggest(name: str) -> str:
    """A valid name close to ``name`` (``My-App`` → ``my_app``), for the refusal's example."""
    fixed = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_")
    if not fixed:
        return "my_app"
    if not fixed[0].isalpha():
        fixed = "app_" + fixed.lstrip("_")
    if keyword.iskeyword(fixed) or fixed in sys.stdlib_module_names or fixed in _TAKEN:
        return f"my_{fixed}"
    return fixed


def _pyview_requirement() -> str:
    """``pyview>=X.Y.Z`` for the pyview that made the project (its API is what the files use)."""
    try:
        return f"pyview>={importlib.metadata.version('pyview')}"
    except importlib.metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "pyview"


def render(template: str, name: str) -> str:
    """One scaffold file's text for project ``name``."""
    source = resources.files(__package__).joinpath("scaffold_files", template).read_text(encoding="utf-8")
    return source.replace(PLACEHOLDER, name).replace(REQUIREMENT_PLACEHOLDER, _pyview_requirement())


def _display(path: Path) -> str:
    """``path`` relative to the current directory when it is below it, else as given."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except (OSError, ValueError):
        return str(path)


def create_project(name: str, directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write project ``name`` into ``directory`` (default ``./name``); return the files written.

    ``directory`` may exist only if it is empty (a ``.git`` folder aside). If writing fails half
    way, what was written is removed again, so a retry meets the same empty folder.
    """
    check_name(name)
    target = Path(directory) if directory is not None else Path(name)
    if target.exists():
        if not target.is_dir():
            raise ServeError(f"{_display(target)} exists and is not a folder: pick another name or --dir")
        try:
            present = sorted(entry.name for entry in target.iterdir() if entry.name not in _IGNORED_IN_EMPTY)
        except OSError as exc:
            raise ServeError(f"cannot read {_display(target)}: {exc.strerror or exc}") from None
        if present:
            shown = ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
            raise ServeError(f"{_display(target)} already exists and is not empty ({shown}): "
                             "pick another name or --dir, or empty it first")
    files = [(template, target / dest.format(name=name)) for template, dest in FILES.items()]
    made_dirs: list[Path] = []
    written: list[Path] = []
    try:
        for template, path in files:
            text = render(template, name)
            for folder in reversed([path.parent, *path.parent.parents]):
                if not folder.exists():
                    folder.mkdir()
                    made_dirs.append(folder)
            with open(path, "x", encoding="utf-8", newline="\n") as out:  # "x": never overwrite
                written.append(path)
                out.write(text)
    except OSError as exc:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
        where = getattr(exc, "filename", None) or target
        raise ServeError(f"cannot write {_display(Path(where))}: {exc.strerror or exc}") from None
    return written


# --- command line -------------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    """Register ``pyview new`` on the ``pyview`` parser's subparsers."""
    p = sub.add_parser(
        "new", help="create a project: an app, a live view, its template and its tests",
        description="Create a project folder that serves a live view and passes its own tests.",
    )
    p.add_argument("name", metavar="NAME", help=f"the project's Python package name ({_VALID})")
    p.add_argument("--dir", dest="directory", metavar="PATH",
                   help="the project folder to create (default ./NAME); an existing one must be empty")
    p.set_defaults(handler=_new_command)


@one_line_errors
def _new_command(args: argparse.Namespace) -> int:
    written = create_project(args.name, args.directory)
    root = Path(args.directory) if args.directory is not None else Path(args.name)
    name = args.name
    print(f"Created the project {name} in {_display(root)}{os.sep}:")
    for path in written:
        print(f"  {_display(path)}")
    cd = "" if root.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(_display(root))} && "
    print()
    print("Next, serve it on http://127.0.0.1:8000 (restarted when a file changes):")
    print(f"  {cd}python -m pip install -e . && pyview serve {name}.app:app --reload")
    print("and run its tests:")
    print(f"  {cd}python -m pip install -e '.[dev]' && python -m pytest")
    return 0
