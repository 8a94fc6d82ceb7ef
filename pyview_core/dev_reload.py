"""The development loop's file watcher: templates re-render in place, stylesheets swap, scripts reload.

``pyview serve app:app --reload`` runs two watchers, each on its own side of a process boundary:

* uvicorn's reloader, in the parent process, restarts the worker when a **Python** file changes
  (``cli.serve`` configures it: watchfiles, ``*.py`` only, never the compiled templates in
  ``__pyview__/``). The parent put one development secret in the environment, so the new worker
  accepts the old pages' tokens: the pages reconnect and rejoin by themselves, with a fresh mount.
* this module, in the worker, owned by the app's lifespan (``PyView`` starts it at startup and
  cancels and awaits it at shutdown), watches what the worker can apply without a restart:

  - a **template** (a file with a template suffix in the search path of a view's or a live
    component's templates): every joined view of the process re-checks its templates and
    re-renders (``runtime.channels``); a view keeps its state, and a view whose output did not
    change sends nothing. A template that no longer compiles leaves the page on its last good
    render under the development overlay; the save that fixes it removes the overlay.
  - a **stylesheet** (``.css``): every page swaps its ``<link rel="stylesheet">`` for the same URL
    with a cache-busting query (no page reload). The URL is the file's under the app's
    ``StaticFiles`` mount, when it is under one (else every same-origin stylesheet is swapped).
  - a **script** (``.js``/``.mjs`` under a static folder, or a view's colocated hooks): every page
    reloads. Hooks and scripts have run and hold state; they cannot be swapped safely.

It runs only when ``PyView(live_reload=True)``, or ``PYVIEW_RELOAD=1`` (which ``serve --reload``
sets), and never in production. The events it makes the views push are in ``dev_errors``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .dev_errors import ASSETS, RELOAD_ENV, TEMPLATES
from .runtime import Runtime

logger = logging.getLogger("pyview_core")

#: ``serve --reload`` sets it to 1 for the worker it starts; ``PyView(live_reload=None)`` reads it.

#: Suffixes of template files, besides those of the views' own templates.
TEMPLATE_SUFFIXES = frozenset({".html", ".htm", ".jinja", ".jinja2", ".j2"})
SCRIPT_SUFFIXES = frozenset({".js", ".mjs"})
PYTHON_SUFFIXES = frozenset({".py", ".pyc", ".pyi", ".pyx", ".pxd", ".so"})
#: Folders whose files are never ours to act on: the compiled templates (written by every reload).
IGNORED_DIRS = frozenset({"__pyview__", "__pycache__", ".git", ".hg", ".svn", "node_modules", ".venv", ".tox",
                          ".mypy_cache", ".pytest_cache", ".hypothesis", ".idea"})

#: How long the watcher waits for more changes after one before acting on them (ms): an editor's
#: save is often several writes.
STEP_MS = 50


def live_reload_from_env() -> bool:
    return os.environ.get(RELOAD_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class WatchPlan:
    """What the watcher looks at: folders, and what their files mean."""

    roots: tuple[Path, ...] = ()
    static: tuple[tuple[Path, str], ...] = ()  # (folder, URL path it is mounted at)
    hooks: frozenset[Path] = frozenset()  # colocated hook files
    template_suffixes: frozenset[str] = TEMPLATE_SUFFIXES


@dataclass
class Changes:
    """A batch of changed files, sorted by what they mean for the pages."""

    templates: list[Path] = field(default_factory=list)
    stylesheets: list[tuple[Path, Optional[str]]] = field(default_factory=list)  # (file, URL path or None)
    scripts: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.templates or self.stylesheets or self.scripts)


def classify(paths: Iterable[Path], plan: WatchPlan) -> Changes:
    """Sort changed files: templates, stylesheets (with their URL), scripts; the rest is ignored
    (Python files are the reloader's, compiled templates are our own writes)."""
    changes = Changes()
    for path in dict.fromkeys(Path(p) for p in paths):
        if IGNORED_DIRS.intersection(_inner_parts(path, plan.roots)) or path.name.startswith(".") or path.name.endswith("~"):
            continue
        suffix = path.suffix.lower()
        if suffix in PYTHON_SUFFIXES:
            continue
        mounted = _static_url(path, plan.static)
        if path in plan.hooks or (suffix in SCRIPT_SUFFIXES and mounted is not None):
            changes.scripts.append(path)
        elif suffix == ".css":
            changes.stylesheets.append((path, mounted))
        elif mounted is None and suffix in plan.template_suffixes:
            changes.templates.append(path)
    return changes


def _inner_parts(path: Path, roots: tuple[Path, ...]) -> tuple[str, ...]:
    """``path``'s parts below the watched root it is in (all of them if none)."""
    for root in roots:
        try:
            return path.relative_to(root).parts
        except ValueError:
            continue
    return path.parts


def _static_url(path: Path, static: tuple[tuple[Path, str], ...]) -> Optional[str]:
    for folder, prefix in static:
        try:
            relative = path.relative_to(folder)
        except ValueError:
            continue
        return prefix.rstrip("/") + "/" + relative.as_posix()
    return None


def outermost(folders: Iterable[Path]) -> tuple[Path, ...]:
    """The existing folders among ``folders`` that are not inside another one (each watched once)."""
    found: list[Path] = []
    for folder in sorted({f.resolve() for f in folders if f.is_dir()}, key=lambda f: len(f.parts)):
        if not any(parent in found for parent in folder.parents):
            found.append(folder)
    return tuple(found)


class DevReloader:
    """The worker's file watcher (see the module docstring), started and stopped by the app's lifespan.

    ``plan`` is called at ``start()``, when every view and static mount has been added. ``apply``
    is what a batch of changes does; the watcher calls it, tests may too.
    """

    def __init__(self, runtime: Runtime, plan: Callable[[], WatchPlan]) -> None:
        self.runtime = runtime
        self._make_plan = plan
        self.plan = WatchPlan()
        self._task: Optional[asyncio.Task[None]] = None
        self._stop = threading.Event()  # watchfiles checks it from its thread between steps

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start watching (once). The watcher has registered its folders when this returns."""
        if self._task is not None:
            return
        try:
            import watchfiles  # noqa: F401  (a dependency of pyview; checked here to say so)
        except ImportError:  # pragma: no cover - installed with pyview
            logger.error("live reload is off: the watchfiles package is missing (pip install watchfiles)")
            return
        self.plan = plan = self._make_plan()
        if not plan.roots:
            logger.warning("live reload: no template or static folder to watch")
            return
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self._watch(plan), name="pyview live reload")
        # The task's first step creates the watcher (it registers every folder before its first
        # await): once this sleep returns, an edit is seen.
        await asyncio.sleep(0)
        logger.info("live reload: watching %s", ", ".join(map(str, plan.roots)))

    async def aclose(self) -> None:
        """Stop watching and wait for the watcher to end."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()  # the watcher's thread returns within a step; cancelling alone would wait for its timeout
        done, _ = await asyncio.wait({task}, timeout=2.0)
        if not done:
            task.cancel()
            await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            logger.error("live reload: the watcher failed", exc_info=task.exception())

    async def _watch(self, plan: WatchPlan) -> None:
        from watchfiles import awatch

        async for changes in awatch(
            *plan.roots, stop_event=self._stop, step=STEP_MS, watch_filter=None, ignore_permission_denied=True,
        ):
            try:
                await self.apply(Path(path) for _change, path in changes)
            except Exception:
                logger.exception("live reload: acting on a change failed (watching on)")

    async def apply(self, paths: Iterable[Path]) -> Changes:
        """What changed files do to the pages of this process (see the module docstring)."""
        changes = classify(paths, self.plan)
        channels = self.runtime.channels
        if changes.templates:
            invalidate = getattr(self.runtime.templates, "invalidate", None)
            if invalidate is not None:
                invalidate()
            count = channels.notify((TEMPLATES,))
            logger.info("live reload: %s changed: re-rendering %d live view%s",
                        _names(changes.templates), count, "" if count == 1 else "s")
        if changes.scripts:
            count = channels.notify((ASSETS, {"css": None, "reload": True}))
            logger.info("live reload: %s changed: reloading %d page%s (scripts are not swapped in place)",
                        _names(changes.scripts), count, "" if count == 1 else "s")
        elif changes.stylesheets:
            urls: Any = [url for _path, url in changes.stylesheets]
            if None in urls:
                urls = None  # a stylesheet outside the static mounts: swap them all
            count = channels.notify((ASSETS, {"css": urls, "reload": False}))
            logger.info("live reload: %s changed: reloading stylesheets in %d live view%s",
                        _names(p for p, _ in changes.stylesheets), count, "" if count == 1 else "s")
        return changes


def _names(paths: Iterable[Path]) -> str:
    return ", ".join(sorted({p.name for p in paths}))


__all__ = ["RELOAD_ENV", "Changes", "DevReloader", "WatchPlan", "classify", "live_reload_from_env", "outermost"]
