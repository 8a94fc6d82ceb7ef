"""The view boundary: ``on_mount`` hooks and ``@requires``.

A hook is ``hook(socket, session, params)`` (sync or async), run before ``mount`` on the dead
render **and** on every join, so a check made on the page request is made again when the
WebSocket joins (a live navigation between views of one ``live_session`` never loads a page).
Hooks come from the view's ``live_session`` first (``app.live_session("admin", on_mount=[...])``),
then from the view class (``on_mount = [...]``, inherited, extended by ``@requires``).

A hook may:

- **assign**: set ``socket.context`` (``mount`` sees it and may build on it), read
  ``socket.user`` / ``socket.auth`` (Starlette's ``AuthenticationMiddleware``) or the session;
- **redirect** (``await socket.redirect(...)`` or ``push_navigate``), with a flash: that halts,
  neither later hooks nor ``mount`` run, and the client goes there (an HTTP redirect on the dead
  render, a redirect reply to the join);
- **refuse**: raise ``starlette.exceptions.HTTPException(403)``: the dead render answers with
  that status; a join is refused as ``unauthorized``, so the client reloads the page and gets it.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, Awaitable, Callable, Optional, TypeVar, Union

from starlette.exceptions import HTTPException

__all__ = ["OnMount", "requires", "run_on_mount"]

OnMount = Callable[[Any, dict[str, Any], dict[str, Any]], Union[Awaitable[None], None]]

V = TypeVar("V", bound=type)


async def run_on_mount(hooks: Sequence[OnMount], socket: Any, session: dict[str, Any], params: dict[str, Any]) -> bool:
    """Run ``hooks`` in order; False as soon as one asked for a navigation (the mount halts)."""
    for hook in hooks:
        result = hook(socket, session, params)
        if inspect.isawaitable(result):
            await result
        if socket.navigation is not None:
            return False
    return True


def check_hooks(hooks: Any, owner: str) -> tuple[OnMount, ...]:
    """``hooks`` as a tuple of callables, or a ``TypeError`` naming ``owner`` (at startup)."""
    if callable(hooks):
        hooks = [hooks]
    try:
        found = tuple(hooks or ())
    except TypeError:
        raise TypeError(f"{owner}: on_mount must be a list of hooks, got {hooks!r}") from None
    for hook in found:
        if not callable(hook):
            raise TypeError(f"{owner}: on_mount hook {hook!r} is not callable")
    return found


def requires(
    scopes: Union[str, Sequence[str]],
    status_code: int = 403,
    redirect: Optional[str] = None,
    message: Optional[str] = None,
) -> Callable[[V], V]:
    """Class decorator: the view needs every one of ``scopes`` in ``socket.auth.scopes``.

    As Starlette's ``requires``: without them the dead render answers ``status_code``, or, with
    ``redirect``, the client goes there (with ``message`` as an ``error`` flash). It adds an
    ``on_mount`` hook that runs before the view's own, on the page request and on every join.
    """
    wanted = [scopes] if isinstance(scopes, str) else list(scopes)

    async def check_scopes(socket: Any, session: dict[str, Any], params: dict[str, Any]) -> None:
        granted = set(getattr(socket.auth, "scopes", ()) or ())
        if all(scope in granted for scope in wanted):
            return
        if redirect is None:
            raise HTTPException(status_code=status_code)
        if message:
            socket.put_flash("error", message)
        await socket.redirect(redirect)

    def decorate(view: V) -> V:
        # Before the view's own hooks (which may load data only a permitted user may see); set on
        # this class, so a parent class keeps its hooks as they were.
        view.on_mount = (check_scopes, *check_hooks(getattr(view, "on_mount", ()), view.__qualname__))  # type: ignore[attr-defined]
        return view

    return decorate
