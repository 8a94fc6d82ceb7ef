"""Views made on the fly in a temporary folder, each module with its template and, maybe, its hooks.

``ViewFactory.make("name", js=...)`` writes ``name.py`` (one ``LiveView`` class, ``View``),
``name.html`` and, when ``js`` is given, ``name.js``, imports the module under a unique name and
returns the class: what ``add_live_view`` gets in a real app, with a real ``__file__``.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

SECRET = "hooks-tests-only-not-a-real-secret-0123456789abc"  # 48 characters, fixed
assert len(SECRET) == 48

VIEW_SOURCE = '''
from pyview_core import LiveView, event


class View(LiveView[dict]):
    async def mount(self, socket, session):
        socket.context = {"asked": 0}

    @event("ask")
    async def ask(self, socket, question: str = ""):
        socket.context["asked"] += 1
        return {"answer": question.upper(), "asked": socket.context["asked"]}
'''

DEFAULT_HTML = '<p id="asked">{{ asked }}</p>'

_counter = itertools.count()


class ViewFactory:
    """Makes view modules under ``folder``; ``close()`` forgets the imported modules."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.modules: list[str] = []

    def make(self, name: str, *, js: Optional[str] = None, html: str = DEFAULT_HTML) -> type:
        folder = self.folder / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.py").write_text(VIEW_SOURCE, encoding="utf-8")
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
        if js is not None:
            (folder / f"{name}.js").write_text(js, encoding="utf-8")
        module_name = f"hooks_test_{name}_{next(_counter)}"
        spec = importlib.util.spec_from_file_location(module_name, folder / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        self.modules.append(module_name)
        spec.loader.exec_module(module)
        return module.View

    def close(self) -> None:
        for name in self.modules:
            sys.modules.pop(name, None)


def view_factory(folder: Path) -> Iterator[ViewFactory]:
    """The body of each test module's ``views`` fixture (a conftest.py here would shadow
    tests/serving's ``conftest`` module, which its tests import by that name)."""
    factory = ViewFactory(folder / "views")
    yield factory
    factory.close()


def js_path(view: type) -> Path:
    """The colocated file of a view made by ``ViewFactory``."""
    return Path(sys.modules[view.__module__].__file__).with_suffix(".js")


def rewrite(path: Path, text: str) -> None:
    """Change a file so that a stat-based check must notice: new bytes and an mtime one second on
    (a rewrite within the file system's timestamp granularity would otherwise keep the mtime)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    later = max(path.stat().st_mtime_ns, before + 1_000_000_000)
    os.utime(path, ns=(later, later))
