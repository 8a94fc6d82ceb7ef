"""Which LiveView a URL belongs to, with Starlette's path syntax and convertors.

The HTTP routes and the WebSocket share this table: a join, a live patch and a live navigation
all name a URL, and the server (never the client) decides which view it means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Pattern
from urllib.parse import ParseResult, unquote, urlparse

from starlette.convertors import Convertor
from starlette.routing import compile_path


@dataclass(frozen=True)
class LiveRoute:
    """One ``add_live_view`` registration."""

    path: str
    view: type
    live_session: str
    regex: Pattern[str]
    convertors: dict[str, Convertor]
    on_mount: tuple[Callable[..., Any], ...] = ()  # the live_session's hooks, then the view's

    def match(self, path: str) -> Optional[dict[str, Any]]:
        """The converted path parameters when ``path`` matches, else None."""
        found = self.regex.match(path)
        if found is None:
            return None
        try:
            return {key: self.convertors[key].convert(value) for key, value in found.groupdict().items()}
        except ValueError:  # e.g. an int segment longer than Python converts: no such route
            return None


class LiveRouter:
    """An ordered list of live routes; the first match wins, as in Starlette."""

    def __init__(self) -> None:
        self.routes: list[LiveRoute] = []
        self.sessions: dict[str, tuple[Callable[..., Any], ...]] = {}  # live_session -> its on_mount hooks

    def declare_session(self, name: str, on_mount: tuple[Callable[..., Any], ...]) -> None:
        """A live_session and its hooks, before any of its routes (so every route gets them)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a live_session needs a name, got {name!r}")
        if name in self.sessions and self.sessions[name] != on_mount:
            if any(route.live_session == name for route in self.routes):
                raise ValueError(f"live_session {name!r} must be declared before its first add_live_view")
            raise ValueError(f"live_session {name!r} is declared twice with different on_mount hooks")
        self.sessions[name] = on_mount

    def add(self, path: str, view: type, live_session: str = "default", on_mount: tuple[Callable[..., Any], ...] = ()) -> LiveRoute:
        """Route ``path`` to ``view``; ``on_mount`` are the view's own hooks (after the session's)."""
        regex, _format, convertors = compile_path(path)
        hooks = self.sessions.setdefault(live_session, ()) + on_mount
        route = LiveRoute(path, view, live_session, regex, convertors, hooks)
        self.routes.append(route)
        return route

    def resolve(self, path: str) -> Optional[tuple[LiveRoute, dict[str, Any]]]:
        """The route for a URL's path as the client sends it (percent-encoded, as in
        ``location.href``) and its converted path parameters, or None. Matched decoded, like the
        HTTP route that rendered the page: ``/table/%31`` is ``/table/1``."""
        path = unquote(path)
        for route in self.routes:
            params = route.match(path)
            if params is not None:
                return route, params
        return None


def parse_live_url(raw: Any) -> Optional[ParseResult]:
    """A client-sent URL (join, live patch) if it is http(s) or scheme-less with a path; else None."""
    if not isinstance(raw, str):
        return None
    try:
        url = urlparse(raw)
    except ValueError:
        return None
    if url.scheme not in ("http", "https", "") or not url.path.startswith("/"):
        return None
    return url
