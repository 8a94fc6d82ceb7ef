"""The examples' root layout: pyview's default page with a header (the pyview name linking to the
index, a nav of the examples, the current one marked ``aria-current="page"``) above the live
container, and the favicon.

``create_app`` passes ``layout`` as ``PyView(root_layout=...)`` and calls ``track_pages(app)``
once every route is added. A root layout is given a ``PageContext`` (the container, the title, the
scripts), which does not say which URL is being rendered; ``track_pages`` wraps each live view's
HTTP route so that the layout can read the request (path and app) from a context variable.

A nav link is live navigation (``data-phx-link="redirect"``) when its target is a live view of
the same ``live_session`` as the page; otherwise (``/account`` lives in the ``account`` session)
it is a plain link, and the browser loads the page. The header is outside the live container, so
live navigation leaves it as it is: ``static/examples.js`` moves ``aria-current`` to the link of
the new URL (the same rule as ``is_current`` below).
"""

from __future__ import annotations

import functools
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from starlette.responses import FileResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pyview_core.page import PageContext
from pyview_templates import Template

from .home.home import EXAMPLES

__all__ = ["FAVICON", "NAV", "favicon", "layout", "track_pages", "warm_layout"]

HERE = Path(__file__).resolve().parent
FAVICON = "/assets/favicon.svg"
FAVICON_FILE = HERE / "static" / "favicon.svg"

# The nav's names, shorter than the index's where those are long.
SHORT_NAMES = {"/table": "Table", "/uploads": "Uploads", "/js": "JS", "/components": "Kanban"}
# Pages that are part of another entry's example: the log in example's account page.
ALSO = {"/login": ("/account",)}

# (href, label, other paths it stands for), in the index's order.
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    (path, SHORT_NAMES.get(path, name), ALSO.get(path, ())) for path, name, _about in EXAMPLES
]

_request: ContextVar[Optional[Scope]] = ContextVar("examples_layout_request", default=None)


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    current: bool
    live: bool  # live navigation: the target is a live view of the page's live_session
    also: tuple[str, ...] = ()


def is_current(path: str, href: str, also: tuple[str, ...] = ()) -> bool:
    """Whether the page at ``path`` belongs to the nav entry ``href``: the same path, a page under
    it (``/table/15`` under ``/table``), or one of ``also``. The index (``/``) only on itself."""
    if path == href or path in also:
        return True
    return href != "/" and path.startswith(href + "/")


def _live_session(app: Any, path: str) -> Optional[str]:
    """The live_session of the live view at ``path``, or None when no live view is there."""
    router = getattr(app, "live_router", None)
    found = router.resolve(path) if router is not None else None
    return found[0].live_session if found is not None else None


def nav_links(scope: Optional[Scope]) -> tuple[NavLink, list[NavLink]]:
    """(the link to the index, the nav's links) for the page of request ``scope``."""
    path = scope.get("path", "") if scope else ""
    app = scope.get("app") if scope else None
    session = _live_session(app, path) if path else None

    def make(href: str, label: str, also: tuple[str, ...] = ()) -> NavLink:
        live = session is not None and _live_session(app, href) == session
        return NavLink(href, label, is_current(path, href, also), live, also)

    return make("/", "pyview examples"), [make(href, label, also) for href, label, also in NAV]


@functools.cache
def _template() -> Template:
    return Template(Path(HERE / "layout.html").read_text(encoding="utf-8"), name="examples/layout.html")


def warm_layout() -> None:
    """Compile the layout now (at app creation), not on the first request's event loop."""
    _template()


def layout(page: PageContext) -> str:
    """The root layout of every example page (``PyView(root_layout=layout)``)."""
    home, nav = nav_links(_request.get())
    return _template().render(page=page, home=home, nav=nav, favicon=FAVICON)


def _remembering(app: ASGIApp) -> ASGIApp:
    async def remember(scope: Scope, receive: Receive, send: Send) -> None:
        token = _request.set(scope)
        try:
            await app(scope, receive, send)
        finally:
            _request.reset(token)

    return remember


def track_pages(app: Any) -> None:
    """Let ``layout`` know which page it renders: wrap every HTTP route of ``app`` (live views'
    dead renders among them) so the request's scope is in a context variable while it runs.

    Only HTTP routes: the live socket (a ``WebSocketRoute``) and mounted apps are left alone, and
    no middleware is added (pyview serves its live socket directly when the app has none).
    """
    for route in app.routes:
        if isinstance(route, Route) and not getattr(route.app, "_examples_tracked", False):
            route.app = _remembering(route.app)
            route.app._examples_tracked = True  # type: ignore[attr-defined]


async def favicon(request: Any) -> Response:
    """``/favicon.ico``: browsers ask for it on pages without an icon link (the gallery, errors)."""
    return FileResponse(FAVICON_FILE, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
