"""The examples' root layout: pyview's default page with a header (the pyview name linking to the
index, a nav of the examples, the current one marked ``aria-current="page"``) above the live
container, and the favicon.

``create_app`` passes ``layout`` as ``PyView(root_layout=...)`` and calls ``know_sessions(app)``
once every route is added. The layout marks the nav entry of ``page.path`` and makes a link live
navigation when its target's live_session (looked up once, from the app's routes) is the page's
``page.live_session``.

A nav link is live navigation (``data-phx-link="redirect"``) when its target is a live view of
the same ``live_session`` as the page; otherwise (``/account`` lives in the ``account`` session)
it is a plain link, and the browser loads the page. The header is outside the live container, so
live navigation leaves it as it is: ``static/examples.js`` moves ``aria-current`` to the link of
the new URL (the same rule as ``is_current`` below).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from starlette.responses import FileResponse, Response

from pyview_core.page import PageContext
from pyview_templates import Template

from .home.home import EXAMPLES

__all__ = ["FAVICON", "NAV", "favicon", "know_sessions", "layout", "warm_layout"]

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


# Each nav target's live_session (None: not a live view), filled in by know_sessions.
_SESSIONS: dict[str, Optional[str]] = {}


def know_sessions(app: Any) -> None:
    """Look up, once the app has its routes, the live_session of every nav target."""
    _SESSIONS.update({href: _live_session(app, href) for href in ["/", *(href for href, _label, _also in NAV)]})


def nav_links(path: str, session: Optional[str]) -> tuple[NavLink, list[NavLink]]:
    """(the link to the index, the nav's links) for the page at ``path`` in live_session ``session``."""

    def make(href: str, label: str, also: tuple[str, ...] = ()) -> NavLink:
        live = session is not None and _SESSIONS.get(href) == session
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
    home, nav = nav_links(page.path, page.live_session)
    return _template().render(page=page, home=home, nav=nav, favicon=FAVICON)


async def favicon(request: Any) -> Response:
    """``/favicon.ico``: browsers ask for it on pages without an icon link (the gallery, errors)."""
    return FileResponse(FAVICON_FILE, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
