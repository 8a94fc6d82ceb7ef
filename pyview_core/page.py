"""The dead render: the HTTP GET of a live route, answered with a complete HTML page.

``mount`` runs on an ``UnconnectedSocket``, then ``handle_params`` and the view's template; the
result is wrapped in the root layout together with everything the client needs to join over the
WebSocket (PROTOCOL.md §1): the CSRF meta tag, the container with its signed session and static
tokens, the title with its prefix and suffix, and the client scripts this app serves itself.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import urlparse

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from pyview_templates import Template, TemplateNotFound, TemplateSyntaxError
from pyview_templates.tree import join

from .binding import ParamError
from .component_globals import bind as bind_components
from .component_globals import unbind as unbind_components
from .component_registry import ComponentRegistry
from .dev_errors import DEV_META
from .error_page import error_page_html, production_error_html, short_error
from .live_socket import UnconnectedSocket, Visitor
from .auth import run_on_mount
from .flash import COOKIE as FLASH_COOKIE
from .flash import MAX_AGE as FLASH_MAX_AGE
from .flash import FlashTokens, rendering
from .live_view import bind_handle_params, invoke, url_params
from .probe import probe_of
from .routing import LiveRoute
from .runtime import Runtime, view_identity
from .security import csrf_fingerprint, mask_csrf, new_csrf_secret, new_view_id

logger = logging.getLogger("pyview_core")


@dataclass
class PageContext:
    """What a root layout renders: ``content`` and the container attributes are ready-made markup.

    ``scripts`` are in document order; a layout renders each as ``<script defer>``, except an ES
    module (``is_module(src)``: its path ends in ``.mjs``, e.g. the colocated hooks' entry), which
    needs ``<script type="module">``. Both kinds run after parsing, in the order they appear.
    """

    id: str
    content: Markup
    title: Optional[str]
    title_prefix: str
    title_suffix: str
    default_title: str
    csrf_token: str
    session: str
    static: str
    scripts: list[str] = field(default_factory=list)
    head: Markup = Markup("")
    path: str = ""  # the page's URL path (``/table/15``): a layout can mark the current page in its nav
    live_session: str = "default"  # the live_session of the page's view

    @staticmethod
    def is_module(src: str) -> bool:
        """Whether script ``src`` is an ES module (its path, before any ``?`` or ``#``, ends in ``.mjs``)."""
        return src.partition("?")[0].partition("#")[0].endswith(".mjs")

    @property
    def container(self) -> Markup:
        """The live container: the div the client joins (``id``, ``data-phx-main`` and the tokens)."""
        # Concatenation with escape(), not Markup.format (string.Formatter costs ~30 µs a page).
        return Markup(
            f'<div id="{escape(self.id)}" data-phx-main data-phx-session="{escape(self.session)}" '
            f'data-phx-static="{escape(self.static)}">{self.content}</div>'
        )


_DEFAULT_LAYOUT_SOURCE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{{ page.csrf_token }}">
<title data-prefix="{{ page.title_prefix }}" data-suffix="{{ page.title_suffix }}" data-default="{{ page.default_title }}">
{{- page.title_prefix }}{{ page.title if page.title is not none else page.default_title }}{{ page.title_suffix -}}
</title>
{{ page.head }}
{%- for src in page.scripts %}
<script {% if page.is_module(src) %}type="module"{% else %}defer{% endif %} phx-track-static src="{{ src }}"></script>
{%- endfor %}
</head>
<body>
{{ page.container }}
</body>
</html>
"""


@functools.cache
def _default_layout_template() -> Template:
    """Compiled on the first page, not at import: compiling loads the template grammar (lark),
    a third of a second that ``import pyview_core`` (and every pytest run, through the plugin)
    would otherwise pay."""
    return Template(_DEFAULT_LAYOUT_SOURCE, name="<pyview root layout>")


def warm_default_layout() -> None:
    """Compile the built-in layout now (app creation), so no request compiles it on the event loop."""
    _default_layout_template()


def default_layout(page: PageContext) -> str:
    """The built-in root layout; pass ``PyView(root_layout=...)`` to use your own."""
    return _default_layout_template().render(page=page)


RootLayout = Callable[[PageContext], str]


@dataclass
class PageConfig:
    """How the app wraps a view into a page: the root layout, title parts, scripts and head markup."""

    root_layout: RootLayout = default_layout
    title_prefix: str = ""
    title_suffix: str = ""
    default_title: str = ""
    scripts: list[str] = field(default_factory=list)
    head_html: str = ""


async def render_page(runtime: Runtime, config: PageConfig, request: Request, route: LiveRoute) -> Response:
    """The dead render of ``route`` for ``request``, or an error page if the view or its template fails.

    In development the error page shows the message and the source around it (template lines with
    a caret, or the Python frames); in production a generic page. Either way the terminal gets the
    short form first, then the details.
    """
    try:
        return await _render_page(runtime, config, request, route)
    except Exception as exc:
        report_error(exc, f"{route.view.__name__} failed to render {request.scope.get('path')}")
        probe = probe_of(request.scope)
        if probe is not None:
            probe.crashed(exc)
        if runtime.development:
            return HTMLResponse(error_page_html(exc, request_path=request.scope.get("path")), status_code=500)
        return HTMLResponse(production_error_html(500), status_code=500)


def report_error(exc: BaseException, what: str) -> None:
    """Log an error where the developer looks: the one-line form first, then the details."""
    if isinstance(exc, TemplateSyntaxError):
        logger.error("%s: %s\n%s", what, short_error(exc), exc)  # str() has the line and caret; the parser's traceback is noise
    elif isinstance(exc, TemplateNotFound):
        logger.error("%s: %s", what, short_error(exc))  # where it looked is in the message; our frames are noise
    else:
        logger.error("%s: %s", what, short_error(exc), exc_info=exc)


async def _render_page(runtime: Runtime, config: PageConfig, request: Request, route: LiveRoute) -> Response:
    session: dict[str, Any] = request.session if "session" in request.scope else {}
    csrf_secret = session.get("_csrf")
    if not isinstance(csrf_secret, str):
        csrf_secret = session["_csrf"] = new_csrf_secret()
    await runtime.templates.ready(route.view)
    view = route.view()
    socket: UnconnectedSocket = UnconnectedSocket()
    flash_tokens = FlashTokens(runtime.signer)
    flash_cookie = request.cookies.get(FLASH_COOKIE)  # a flash a redirect carried: read once, then deleted
    scope = request.scope
    socket.meet(Visitor(
        flash_tokens.load(flash_cookie) if flash_cookie else None, scope.get("user"), scope.get("auth"), mask_csrf(csrf_secret),
    ))
    user_session = {k: v for k, v in session.items() if k != "_csrf"}
    url = urlparse(str(request.url))
    try:
        if not route.on_mount or await run_on_mount(route.on_mount, socket, user_session, url_params(url, dict(request.path_params))):
            await view.mount(socket, user_session)
    except HTTPException as refused:  # an on_mount hook (or mount) refused the request
        return _consume_flash(PlainTextResponse(refused.detail, status_code=refused.status_code, headers=refused.headers), flash_cookie)
    if socket.navigation is None:
        try:
            handler, args, kwargs = bind_handle_params(view, socket, url, dict(request.path_params))
        except ParamError as exc:  # the URL does not fit handle_params; a ParamError from the handler's own code is a crash
            return _consume_flash(PlainTextResponse(f"Bad request: {exc}", status_code=400), flash_cookie)
        await invoke(handler, args, kwargs)
    content: Optional[Markup] = None
    if socket.navigation is None:
        content = await _render_content(runtime, view, socket, route.view.__name__)
    if socket.navigation is not None:  # from a hook, mount, handle_params or a live component
        redirect = RedirectResponse(socket.navigation.to, status_code=302)
        token = flash_tokens.sign(socket.flash)  # everything not shown yet goes to the next page
        if token is not None:
            redirect.set_cookie(FLASH_COOKIE, token, max_age=FLASH_MAX_AGE, path="/", samesite="lax")
            return redirect
        return _consume_flash(redirect, flash_cookie)
    assert content is not None
    if socket.flash and not socket.flash.read:
        runtime.warn_unshown_flash(route.view.__name__)
    view_id = new_view_id()
    claims = {"id": view_id, "view": view_identity(route.view), "ls": route.live_session, "csrf": csrf_fingerprint(csrf_secret)}
    if socket.flash:  # the first join shows what this render showed (Phoenix: the session's flash)
        claims["fl"] = dict(socket.flash)
    page = PageContext(
        id=view_id,
        content=content,
        title=socket.live_title,
        title_prefix=config.title_prefix,
        title_suffix=config.title_suffix,
        default_title=config.default_title,
        csrf_token=mask_csrf(csrf_secret),
        session=runtime.signer.sign("session", claims),
        static=runtime.signer.sign("static", {"id": view_id}),
        scripts=list(config.scripts),
        # Development: app.js's sign to show errors in an overlay and apply live reloads (dev_errors.py).
        head=DEV_META + Markup(config.head_html) if runtime.development else Markup(config.head_html),
        path=request.url.path,
        live_session=route.live_session,
    )
    return _consume_flash(HTMLResponse(config.root_layout(page)), flash_cookie)


async def _render_content(runtime: Runtime, view: Any, socket: UnconnectedSocket, view_name: str) -> Markup:
    """The view's HTML, with the live components it places mounted, updated and rendered."""
    components = ComponentRegistry(socket, view_name, runtime.templates, view_module=type(view).__module__)
    placing = bind_components(components)
    try:
        with rendering(socket.flash):
            tree = view.render(socket.context)
            await components.settle()
            return Markup(join(tree))
    finally:
        unbind_components(placing)


def _consume_flash(response: Response, flash_cookie: Optional[str]) -> Response:
    """Delete the flash cookie the request carried: its messages are shown once."""
    if flash_cookie is not None:
        response.delete_cookie(FLASH_COOKIE, path="/", samesite="lax")
    return response
