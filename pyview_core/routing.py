"""Which LiveView a URL belongs to, with Starlette's path syntax and convertors.

The HTTP routes and the WebSocket share this table: a join, a live patch and a live navigation
all name a URL, and the server (never the client) decides which view it means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Pattern
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

    def add(self, path: str, view: type, live_session: str = "default") -> LiveRoute:
        regex, _format, convertors = compile_path(path)
        route = LiveRoute(path, view, live_session, regex, convertors)
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
