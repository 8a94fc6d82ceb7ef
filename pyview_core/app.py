"""``PyView``: the Starlette application that serves live views.

It adds, to an ordinary Starlette app: a GET route per live view (the dead render), the
``/live/websocket`` endpoint, the client scripts under ``/static/pyview/``, and the signed cookie
session that carries the CSRF secret. Everything security-related is configured here once.
"""

from __future__ import annotations

import json
import logging
from base64 import b64encode
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Optional, Sequence

from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from .auth import OnMount, check_hooks
from .colocated import ColocatedHooks
from .connection import LiveConnection
from .dev_reload import DevReloader, WatchPlan, live_reload_from_env, outermost
from .flash import COOKIE as FLASH_COOKIE
from .flash import MAX_AGE as FLASH_MAX_AGE
from .flash import Flash, FlashTokens
from .live_view import LiveView
from .page import PageConfig, RootLayout, default_layout, render_page, warm_default_layout
from .pubsub import PubSub, pubsub_from_env
from .routing import LiveRouter
from .runtime import Limits, Runtime
from .security import TokenSigner, csrf_valid, origin_allowed, production_from_env, resolve_secret
from .view_templates import ViewTemplates

logger = logging.getLogger("pyview_core")

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_FILES = ("phoenix.min.js", "phoenix_live_view.min.js")


LIVE_SOCKET_PATH = "/live/websocket"
_RAW_SEND = "pyview.raw_send"  # scope key of the server's own send on the direct path


class _LiveSocketEndpoint:
    """The ASGI endpoint behind ``/live/websocket``: one ``LiveConnection`` per socket.

    On the direct path (see ``PyView.__call__``) it writes with the server's own ``send``, which
    the scope carries past the session middleware's wrapper.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await LiveConnection(self.runtime, scope, receive, scope.pop(_RAW_SEND, send)).run()


def _own_lifespan(kwargs: dict[str, Any], pubsub: PubSub, reloader: Callable[[], Optional[DevReloader]] = lambda: None) -> None:
    """Start ``pubsub`` when the app starts and close it when it stops, around the user's own
    ``lifespan`` (or beside their ``on_startup``/``on_shutdown`` handlers); likewise the
    development file watcher, when ``reloader()`` gives one (live reload on)."""

    async def start_reloader() -> None:
        watcher = reloader()
        if watcher is not None:
            await watcher.start()

    async def stop_reloader() -> None:
        watcher = reloader()
        if watcher is not None:
            await watcher.aclose()

    if "on_startup" in kwargs or "on_shutdown" in kwargs:
        kwargs["on_startup"] = [*(kwargs.get("on_startup") or ()), pubsub.start, start_reloader]
        kwargs["on_shutdown"] = [stop_reloader, pubsub.aclose, *(kwargs.get("on_shutdown") or ())]
        return
    user_lifespan = kwargs.get("lifespan")

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        await pubsub.start()
        try:
            await start_reloader()
            try:
                if user_lifespan is None:
                    yield None
                else:
                    async with user_lifespan(app) as state:
                        yield state
            finally:
                await stop_reloader()
        finally:
            await pubsub.aclose()

    kwargs["lifespan"] = lifespan


class PyView(Starlette):
    """A Starlette app for LiveViews: ``app.add_live_view("/path", MyView)``, then serve with uvicorn.

    ``secret_key`` (or ``PYVIEW_SECRET_KEY``) signs tokens and the session cookie; production mode
    (``production=True`` or ``PYVIEW_ENV=production``) refuses to start without one.
    ``allowed_origins`` lists the origins allowed to open the WebSocket (default: the same host).
    ``pubsub`` is the pub/sub backend; by default ``PYVIEW_PUBSUB_URL`` picks it (a ``redis://``
    URL: ``RedisPubSub``, shared by several processes), else one process's ``InMemoryPubSub``.
    The app starts it at startup and closes it at shutdown (around a ``lifespan`` of yours).
    ``live_reload`` (default: ``PYVIEW_RELOAD=1``, which ``pyview serve --reload`` sets) watches
    templates, stylesheets and scripts in development and updates the open pages (``dev_reload``);
    it is always off in production.
    """

    def __init__(
        self,
        *args: Any,
        secret_key: Optional[str] = None,
        production: Optional[bool] = None,
        allowed_origins: Optional[Sequence[str]] = None,
        pubsub: Optional[PubSub] = None,
        root_layout: RootLayout = default_layout,
        title_prefix: str = "",
        title_suffix: str = "",
        default_title: str = "",
        scripts: Sequence[str] = (),
        head_html: str = "",
        max_frame_bytes: int = 1_000_000,
        idle_timeout: float = 60.0,
        limits: Optional[Limits] = None,
        https_only_cookie: Optional[bool] = None,
        upload_dir: Optional[str | Path] = None,
        live_reload: Optional[bool] = None,
        **kwargs: Any,
    ) -> None:
        if pubsub is None:
            pubsub = pubsub_from_env()  # PYVIEW_PUBSUB_URL: Redis for several processes, else in-memory
        self.dev_reloader: Optional[DevReloader] = None
        _own_lifespan(kwargs, pubsub, lambda: self.dev_reloader)
        super().__init__(*args, **kwargs)
        if production is None:
            production = production_from_env()
        secret = resolve_secret(secret_key, production=production)
        # Whether the secret came from PYVIEW_SECRET_KEY (or was generated) rather than from the
        # code: `pyview serve` refuses a production app signing with a secret it generated itself.
        self.secret_from_environment = secret_key is None
        self.production = production
        allowed = list(allowed_origins) if allowed_origins is not None else None
        origin_allowed("http://localhost", "localhost", allowed)  # a malformed entry fails here, at startup
        if limits is None:
            limits = Limits(max_frame_bytes=max_frame_bytes, idle_timeout=idle_timeout)
        self.live_router = LiveRouter()
        self.runtime = Runtime(
            router=self.live_router,
            pubsub=pubsub,
            signer=TokenSigner(secret),
            templates=ViewTemplates(auto_reload=not production),
            limits=limits,
            development=not production,
            allowed_origins=allowed,
        )
        if upload_dir is not None:
            self.runtime.upload_dir = Path(upload_dir)
        if root_layout is default_layout:
            warm_default_layout()
        vendor = [f"/static/pyview/vendor/{name}" for name in VENDOR_FILES]
        self.page_config = PageConfig(
            root_layout=root_layout,
            title_prefix=title_prefix,
            title_suffix=title_suffix,
            default_title=default_title,
            scripts=[*vendor, *scripts, "/static/pyview/app.js"],
            head_html=head_html,
        )
        # Each view's <module>.js hooks (add_live_view finds them); their entry module goes before app.js.
        self.colocated_hooks = ColocatedHooks(
            development=not production, scripts=self.page_config.scripts, before="/static/pyview/app.js",
        )
        if live_reload is None:
            live_reload = live_reload_from_env()
        if live_reload and production:
            logger.warning("live reload is never on in production: ignoring live_reload / PYVIEW_RELOAD")
        elif live_reload:
            self.dev_reloader = DevReloader(self.runtime, self._watch_plan)
        endpoint = _LiveSocketEndpoint(self.runtime)
        self.routes.append(WebSocketRoute(LIVE_SOCKET_PATH, endpoint))
        self.routes.append(self.colocated_hooks.route)  # before the Mount, which would answer its URLs with 404
        self.routes.append(Mount("/static/pyview", app=StaticFiles(directory=STATIC_DIR), name="pyview_static"))
        session_options = {
            "secret_key": secret,
            "session_cookie": "pyview_session",
            "same_site": "lax",
            "https_only": production if https_only_cookie is None else https_only_cookie,
        }
        self.add_middleware(SessionMiddleware, **session_options)
        # The live socket's direct path: the session middleware only to read the cookie.
        self._live_socket_direct = SessionMiddleware(endpoint, **session_options)
        missing = [name for name in VENDOR_FILES if not (STATIC_DIR / "vendor" / name).exists()]
        if missing:
            logger.error(
                "the Phoenix LiveView client is not installed (%s missing from %s): run `npm ci` in the "
                "project root; pages will render but will not connect",
                ", ".join(missing), STATIC_DIR / "vendor",
            )

    def _watch_plan(self) -> WatchPlan:
        """What the development watcher looks at (called when the app starts, every route added):
        the template search paths of the views and live components, the app's ``StaticFiles``
        folders (with the URL each is mounted at) and the colocated hook files."""
        from .live_component import LiveComponent
        from .live_view import environment_for

        classes: list[type] = [route.view for route in self.live_router.routes]
        pending = list(LiveComponent.__subclasses__())
        while pending:
            cls = pending.pop()
            classes.append(cls)
            pending.extend(cls.__subclasses__())
        folders: list[Path] = []
        suffixes = set(WatchPlan.template_suffixes)
        for cls in dict.fromkeys(classes):
            try:
                path = cls.template_path()  # type: ignore[attr-defined]
            except Exception:  # no module file, or no template (a view that renders itself)
                continue
            suffixes.add(path.suffix.lower())
            loader = environment_for(path.parent).loader
            folders.extend(Path(p) for p in getattr(loader, "searchpath", [path.parent]))
        static: list[tuple[Path, str]] = []
        for route in self.routes:
            app = getattr(route, "app", None)
            if isinstance(route, Mount) and isinstance(app, StaticFiles) and route.name != "pyview_static":
                for directory in app.all_directories:
                    static.append((Path(directory).resolve(), route.path))
        hooks = frozenset(f.path.resolve() for f in self.colocated_hooks.files)
        folders += [folder for folder, _ in static] + [path.parent for path in hooks]
        return WatchPlan(roots=outermost(folders), static=tuple(static), hooks=hooks,
                         template_suffixes=frozenset(s for s in suffixes if s))

    def session_cookie(self, session: dict[str, Any]) -> tuple[str, str]:
        """The cookie (name, value) that carries ``session`` as this app signs it.

        For test clients that start a browser already signed in (``live(app, path, session=...)``);
        the format is Starlette's session middleware's, signed with the app's secret.
        """
        middleware = self._live_socket_direct
        data = b64encode(json.dumps(session).encode("utf-8"))
        return middleware.session_cookie, middleware.signer.sign(data).decode("utf-8")

    @property
    def pubsub(self) -> PubSub:
        """The app's pub/sub backend (in-memory unless ``pubsub=`` was given)."""
        return self.runtime.pubsub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the app; the live socket skips the middleware stack when nothing but ours is in it.

        Starlette's session and exception middleware wrap every ``send`` of a WebSocket in two
        more coroutines, for the life of the socket, though neither does anything for one after
        the handshake (a measurable share of a click's server time). When the app has no user
        middleware, ``/live/websocket`` therefore reads the session cookie through the session
        middleware and then talks to the server directly. With user middleware, everything goes
        through the full stack as usual, so their checks (hosts, authentication) still apply.
        """
        if scope["type"] == "websocket" and scope["path"] == LIVE_SOCKET_PATH and self._only_our_middleware():
            scope["app"] = self
            scope[_RAW_SEND] = send
            await self._live_socket_direct(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _only_our_middleware(self) -> bool:
        return (
            len(self.user_middleware) == 1
            and self.user_middleware[0].cls is SessionMiddleware
            and getattr(self, "max_body_size", None) is None
        )

    def add_live_view(self, path: str, view: type[LiveView], *, live_session: str = "default") -> None:
        """Serve ``view`` at ``path`` (Starlette path syntax, e.g. ``/users/{id:int}``).

        Live navigation only moves between views of the same ``live_session``.
        """
        if not (isinstance(view, type) and issubclass(view, LiveView)):
            raise TypeError(f"add_live_view needs a LiveView subclass, got {view!r}")
        if self.production:
            # Compile now, off the event loop, and fail at startup with file:line:col and a caret
            # rather than at some user's first request.
            self.runtime.templates.precompile([view])
        hooks = check_hooks(view.on_mount, view.__qualname__)
        route = self.live_router.add(path, view, live_session, hooks)
        runtime, config = self.runtime, self.page_config

        async def dead_render(request: Request) -> Response:
            return await render_page(runtime, config, request, route)

        self.routes.append(Route(path, dead_render, methods=["GET"], name=f"live:{path}"))
        self.colocated_hooks.discover(self.live_router.routes)  # the view's <module>.js hooks (colocated.py)

    def live_session(self, name: str, *, on_mount: Sequence[OnMount] = ()) -> "LiveSession":
        """Declare a ``live_session``: views added through it share its ``on_mount`` hooks.

        ``admin = app.live_session("admin", on_mount=[require_admin])`` then
        ``admin.add_live_view("/admin", AdminView)``. The hooks run before the view's own, on the
        dead render and on every join. Live navigation never crosses into another live_session:
        the client loads the page instead, so the other session's hooks run on a page request.
        """
        self.live_router.declare_session(name, check_hooks(on_mount, f"live_session {name!r}"))
        return LiveSession(self, name)

    def csrf_valid(self, request: Request, token: Optional[str]) -> bool:
        """Whether ``token`` (a form's ``_csrf_token``, from ``socket.csrf_token``) belongs to this
        request's session: check it in a plain route a live form posts to (``phx-trigger-action``)."""
        session = request.session if "session" in request.scope else {}
        return csrf_valid(token, session.get("_csrf"))

    def put_flash(self, response: Response, kind: str, message: str) -> Response:
        """Carry a flash to the next page a non-live route redirects to (a login POST, say).

        Sets the signed ``__phoenix_flash__`` cookie the next dead render reads (60 s), as a live
        view's redirect does; returns ``response``.
        """
        flash = Flash()
        flash.put(kind, message)
        token = FlashTokens(self.runtime.signer).sign(flash.changed)
        response.set_cookie(FLASH_COOKIE, token or "", max_age=FLASH_MAX_AGE, path="/", samesite="lax")
        return response


class LiveSession:
    """A ``live_session`` of an app: ``add_live_view`` puts views in it."""

    def __init__(self, app: PyView, name: str) -> None:
        self.app = app
        self.name = name

    def add_live_view(self, path: str, view: type[LiveView]) -> None:
        """``app.add_live_view(path, view, live_session=<this session>)``."""
        self.app.add_live_view(path, view, live_session=self.name)
