"""When and where view templates are compiled: the runtime's template policy.

Compiling a template takes tens to hundreds of milliseconds, and the template environment
serialises compiles under a thread lock. Done lazily inside ``LiveView.template()`` on the event
loop, the first render of a view (and every render that found an edited file) stalled every
connection of the process. The app therefore owns one :class:`ViewTemplates` and awaits
:meth:`ViewTemplates.ready` before it renders a view: loading happens in a worker thread, and the
renders that follow only read the class's cached template.

The policy is per app, not global: a production app never looks at template files after startup
(and :meth:`ViewTemplates.precompile` makes a broken template stop it from starting), while a
development app checks for edits at most every ``check_interval`` seconds. Two apps in one process
share the compiled templates (a pure function of the files) but not each other's policy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from pyview_templates import TemplateSyntaxError

from .live_view import (
    TemplateNotConfigured,
    has_template_file,
    load_template,
    renders_itself,
)

# How often, in development, a view looks at its template files for changes. A check costs a
# thread hop and a stat per file; once per render would dominate a click's server time.
RELOAD_CHECK_SECONDS = 1.0


class TemplateStartupError(RuntimeError):
    """A view's template cannot be compiled, found at startup (``ViewTemplates.precompile``).

    The message reads like a compiler diagnostic (``file:line:col: message``, the source line, a
    caret) so a deploy log shows the fix without a traceback. ``view`` is the view class and
    ``error`` the original exception (also the ``__cause__``).
    """

    def __init__(self, view: type, error: BaseException) -> None:
        self.view = view
        self.error = error
        super().__init__(_startup_message(view, error))


def _startup_message(view: type, error: BaseException) -> str:
    owner = f"in the template of view {view.__module__}.{view.__qualname__}"
    if isinstance(error, TemplateSyntaxError):
        lines = [f"{error.location}: {error.message}"]
        if error.source_line is not None:
            lines.append("    " + error.source_line.expandtabs(1))
            lines.append("    " + " " * max(error.column - 1, 0) + "^")
        return "\n".join([*lines, owner])
    try:
        where = f"{view.template_path()}: "  # type: ignore[attr-defined]
    except TemplateNotConfigured:
        where = ""
    return f"{where}{type(error).__name__}: {error}\n{owner}"


class ViewTemplates:
    """Loads view templates off the event loop, and re-checks them for edits when ``auto_reload``.

    ``await ready(view_cls)`` before rendering a view (the dead render, the join, every later
    render); ``precompile(views)`` at startup in production. ``check_interval`` is how long a
    development check stays valid (tests set it to 0 or to an hour instead of sleeping).
    """

    def __init__(self, *, auto_reload: bool, check_interval: float = RELOAD_CHECK_SECONDS) -> None:
        self.auto_reload = auto_reload
        self.check_interval = check_interval
        # When this app last made sure a class's template was current (time.monotonic()). A class
        # is in here only after a load succeeded, or after it proved to need no template.
        self._checked: dict[type, float] = {}
        # Loads under way, so concurrent ready() calls share one. Keyed by loop as well: a Task
        # belongs to one event loop, and tests run several apps, each on its own loop; and by
        # generation, so that a load started before ``invalidate()`` is not taken for a new one.
        self._pending: dict[tuple[type, asyncio.AbstractEventLoop, int], asyncio.Task[None]] = {}
        self._generation = 0

    def is_current(self, view_cls: type) -> bool:
        """Whether ``ready(view_cls)`` would return at once (the render path checks this first,
        so the common case costs no coroutine)."""
        checked = self._checked.get(view_cls)
        return checked is not None and (not self.auto_reload or time.monotonic() - checked < self.check_interval)

    async def ready(self, view_cls: type) -> None:
        """Make sure ``view_cls``'s compiled template is loaded and current.

        The common case (loaded, and either auto-reload off or checked less than
        ``check_interval`` ago) returns at once: no thread hop, no I/O. Otherwise the load (a
        stat per file, and a compile only if something changed) runs in a worker thread; callers
        that arrive meanwhile wait for that same load. Errors (``TemplateSyntaxError``,
        ``TemplateNotFound``...) propagate with their type; nothing is marked current then, so
        the next call tries again. A view that overrides ``render`` and has no template file is
        fine.
        """
        if self.is_current(view_cls):
            return
        loop = asyncio.get_running_loop()
        generation = self._generation
        key = (view_cls, loop, generation)
        task = self._pending.get(key)
        if task is None:
            task = self._pending[key] = loop.create_task(asyncio.to_thread(self._refresh, view_cls, generation))
            task.add_done_callback(lambda done: self._finished(key, done))
        # Shielded: a caller that is cancelled (its client went away) must not cancel the load
        # the other callers are waiting for.
        await asyncio.shield(task)

    def invalidate(self) -> None:
        """Forget that any template is current: the next ``ready()`` of every class re-checks its
        files (a stat each, and a compile of what changed). The development loop calls it when a
        template file changes, so the re-render that follows does not wait ``check_interval``.

        A load that is under way keeps going for those already waiting on it, but does not mark
        its class current: it may have read the files before the change.
        """
        self._generation += 1
        self._checked.clear()

    def precompile(self, view_classes: Iterable[type]) -> None:
        """Compile every view's template now (blocking); raise on the first that fails.

        For app startup in production, so a broken template stops the deploy instead of failing
        the first request. Views that override ``render`` and have no template file are skipped.
        Afterwards ``ready()`` is free for these views when auto-reload is off; with auto-reload
        on it keeps checking for edits as usual.

        Raises :class:`TemplateStartupError` naming the file, line, column and view.
        """
        for view_cls in dict.fromkeys(view_classes):
            try:
                self._refresh(view_cls)
            except Exception as exc:
                raise TemplateStartupError(view_cls, exc) from exc

    # --- internals ------------------------------------------------------------------------------

    def _refresh(self, view_cls: type, generation: int | None = None) -> None:
        """Load (or re-check) ``view_cls``'s template and mark it current, unless ``invalidate()``
        was called since ``generation`` (the load may have read the files before the change). Blocking."""
        started = time.monotonic()
        if not (renders_itself(view_cls) and not has_template_file(view_cls)):
            load_template(view_cls)
        if generation is None or generation == self._generation:
            self._checked[view_cls] = started

    def _finished(self, key: tuple[type, Any], task: asyncio.Task[None]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved: an error every waiter gave up on is not logged as unhandled


__all__ = ["RELOAD_CHECK_SECONDS", "TemplateStartupError", "ViewTemplates"]
