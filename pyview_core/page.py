"""The dead render: the HTTP GET of a live route, answered with a complete HTML page.

``mount`` runs on an ``UnconnectedSocket``, then ``handle_params`` and the view's template; the
result is wrapped in the root layout together with everything the client needs to join over the
WebSocket (PROTOCOL.md §1): the CSRF meta tag, the container with its signed session and static
tokens, the title with its prefix and suffix, and the client scripts this app serves itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import urlparse

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from pyview_templates import Template
from pyview_templates.tree import join

from .binding import ParamError
from .channel import call_handle_params
from .live_socket import UnconnectedSocket
from .routing import LiveRoute
from .security import csrf_fingerprint, mask_csrf, new_csrf_secret, new_view_id

if TYPE_CHECKING:
    from .app import PyView


@dataclass
class PageContext:
    """What a root layout renders: ``content`` and the container attributes are ready-made markup."""

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

    @property
    def container(self) -> Markup:
        """The live container: the div the client joins (``id``, ``data-phx-main`` and the tokens)."""
        return Markup('<div id="{}" data-phx-main data-phx-session="{}" data-phx-static="{}">').format(
            self.id, self.session, self.static
        ) + self.content + Markup("</div>")


DEFAULT_LAYOUT = Template(
    """<!DOCTYPE html>
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
<script defer phx-track-static src="{{ src }}"></script>
{%- endfor %}
</head>
<body>
{{ page.container }}
</body>
</html>
""",
    name="<pyview root layout>",
)


def default_layout(page: PageContext) -> str:
    """The built-in root layout; pass ``PyView(root_layout=...)`` to use your own."""
    return DEFAULT_LAYOUT.render(page=page)


RootLayout = Callable[[PageContext], str]


async def render_page(app: "PyView", request: Request, route: LiveRoute) -> Response:
    session: dict[str, Any] = request.session if "session" in request.scope else {}
    csrf_secret = session.get("_csrf")
    if not isinstance(csrf_secret, str):
        csrf_secret = session["_csrf"] = new_csrf_secret()
    view = route.view()
    socket: UnconnectedSocket = UnconnectedSocket()
    await view.mount(socket, {k: v for k, v in session.items() if k != "_csrf"})
    if socket.navigation is None:
        try:
            await call_handle_params(view, socket, urlparse(str(request.url)), dict(request.path_params))
        except ParamError as exc:
            return PlainTextResponse(f"Bad request: {exc}", status_code=400)
    if socket.navigation is not None:
        return RedirectResponse(socket.navigation.to, status_code=302)
    content = Markup(join(view.render(socket.context)))
    view_id = new_view_id()
    claims = {"id": view_id, "view": app.view_identity(route.view), "ls": route.live_session, "csrf": csrf_fingerprint(csrf_secret)}
    page = PageContext(
        id=view_id,
        content=content,
        title=socket.live_title,
        title_prefix=app.title_prefix,
        title_suffix=app.title_suffix,
        default_title=app.default_title,
        csrf_token=mask_csrf(csrf_secret),
        session=app.signer.sign("session", claims),
        static=app.signer.sign("static", {"id": view_id}),
        scripts=app.client_scripts(),
        head=Markup(app.head_html),
    )
    return HTMLResponse(app.root_layout(page))
