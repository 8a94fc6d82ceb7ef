"""Owned tasks: every task the runtime starts for a view (timers, jobs) belongs to a ``TaskOwner``
that cancels and awaits it, so nothing outlives the view that started it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger("pyview_core")


class OwnerClosed(RuntimeError):
    """A task was started after its owner stopped (the view has gone away)."""


class TaskOwner:
    """A set of tasks with one way out: ``aclose()`` cancels them all and waits until they ended."""

    __slots__ = ("name", "_tasks", "_background", "closed", "stop_timeout")

    def __init__(self, name: str, stop_timeout: float = 5.0) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[Any]] = set()  # tasks that never finish by themselves (repeating timers)
        self.closed = False
        self.stop_timeout = stop_timeout

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, coro: Coroutine[Any, Any, Any], *, background: bool = False) -> "asyncio.Task[Any]":
        """Run ``coro`` as a task of this owner. After ``aclose`` began, the coroutine is closed
        unstarted and ``OwnerClosed`` is raised, so a late timer cannot resurrect a stopped view.

        ``background`` marks a task that runs until cancelled (a repeating timer): ``pending()``
        leaves it out, so a test can wait for the work that does end."""
        if self.closed:
            coro.close()
            raise OwnerClosed(f"{self.name} has stopped: no new task can start")
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if background:
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return task

    def pending(self) -> list["asyncio.Task[Any]"]:
        """The unfinished tasks that will end by themselves (jobs, one-off timers)."""
        return [task for task in self._tasks if task not in self._background and not task.done()]

    async def aclose(self) -> None:
        """Cancel every task and await them (tasks they start meanwhile are refused).

        A task that swallows its cancellation for longer than ``stop_timeout`` seconds is
        logged and left behind: the owner must not hang its caller's teardown forever.
        """
        self.closed = True
        current = asyncio.current_task()
        pending = [task for task in self._tasks if task is not current]
        if not pending:
            return
        for task in pending:
            task.cancel()
        _done, still = await asyncio.wait(pending, timeout=self.stop_timeout)
        for task in still:
            logger.warning("%s: task %r ignored its cancellation for %.0f s; left running", self.name, task, self.stop_timeout)
