"""Views at the boundary: flash messages, on_mount hooks, live sessions and ``@requires``.

Templates are beside this module (``bd_*.html``). ``HOOK_CALLS`` records which hooks ran, with
whether the socket was connected, so tests see that a hook runs on the dead render *and* on
the join, and in which order.
"""

from __future__ import annotations

from typing import Any

from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse
from starlette.routing import Route

from pyview_core import LiveView, PyView, event, is_connected, requires

SECRET = "boundary-tests-only-not-a-secret-" + "0123456789abcdef"
HOOK_CALLS: list[tuple[str, bool]] = []


class NoticeView(LiveView[dict]):
    """Puts flash messages, clears them, and leaves with one (live, full, or to another session)."""

    template_name = "bd_notice.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"saved": 0}

    @event("save")
    async def save(self, socket: Any) -> None:
        socket.context["saved"] += 1
        socket.put_flash("info", f"Saved {socket.context['saved']} <times>")

    @event("fail")
    async def fail(self, socket: Any) -> None:
        socket.put_flash("error", "Could not save")

    @event("clear_all")
    async def clear_all(self, socket: Any) -> None:
        socket.clear_flash()

    @event("go")
    async def go(self, socket: Any, to: str, how: str = "navigate") -> None:
        socket.put_flash("info", f"Sent to {to}")
        if how == "redirect":
            await socket.redirect(to)
        else:
            await socket.push_navigate(to)


class LandingView(LiveView[dict]):
    """Where a navigation lands: it renders the flash it was given."""

    template_name = "bd_landing.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"user": session.get("user")}


class BareView(LiveView[dict]):
    """Puts a flash its template never renders (the developer should hear about it)."""

    template_name = "bd_bare.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {}

    @event("save")
    async def save(self, socket: Any) -> None:
        socket.put_flash("info", "nobody sees this")


class LeaveOnMountView(LiveView[dict]):
    """``mount`` redirects with a flash (an HTTP redirect on the dead render)."""

    template_name = "bd_bare.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {}
        socket.put_flash("error", "That page moved")
        await socket.redirect("/landing")


# --- hooks ---------------------------------------------------------------------------------------


async def require_user(socket: Any, session: dict[str, Any], params: dict[str, Any]) -> None:
    """The account session's hook: a user in the session, or off to the landing page with a flash."""
    HOOK_CALLS.append(("require_user", socket.connected))
    user = session.get("user")
    if user is None:
        socket.put_flash("error", "Please log in")
        await socket.redirect("/landing")
        return
    socket.context = {"user": user}


def note_view_hook(socket: Any, session: dict[str, Any], params: dict[str, Any]) -> None:
    """A view's own (sync) hook: runs after the session's; sees what it assigned."""
    HOOK_CALLS.append(("view_hook", socket.connected))
    socket.context = {**(socket.context or {}), "tab": params.get("tab", ["home"])[0]}


async def refuse_when_banned(socket: Any, session: dict[str, Any], params: dict[str, Any]) -> None:
    """Halts only on the join when the session says so: the page rendered, the live view refuses."""
    HOOK_CALLS.append(("refuse_when_banned", socket.connected))
    if is_connected(socket) and session.get("banned") == "redirect":
        socket.put_flash("error", "You were signed out")
        await socket.push_navigate("/landing")
    if is_connected(socket) and session.get("banned") == "status":
        raise HTTPException(status_code=403)


class AccountView(LiveView[dict]):
    """Behind the account session's ``require_user``, with a hook of its own."""

    template_name = "bd_account.html"
    on_mount = [note_view_hook, refuse_when_banned]

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        HOOK_CALLS.append(("mount", socket.connected))
        socket.context = {**socket.context, "visits": 1}


class NeverMountedView(LiveView[dict]):
    """Must never mount: its session's hook always halts."""

    template_name = "bd_bare.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:  # pragma: no cover - the test fails if it runs
        raise AssertionError("mount ran although an on_mount hook halted")


@requires("authenticated", redirect="/landing", message="Log in to see your profile")
class ProfileView(LiveView[dict]):
    """``@requires`` on Starlette's AuthenticationMiddleware, redirecting when logged out."""

    template_name = "bd_account.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"user": socket.user.display_name, "tab": "profile", "visits": 1}


@requires(["authenticated", "admin"])
class AdminView(LiveView[dict]):
    """``@requires`` without a redirect: 403 for anyone without both scopes."""

    template_name = "bd_account.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"user": socket.user.display_name, "tab": "admin", "visits": 1}


class SessionUserBackend(AuthenticationBackend):
    """Starlette authentication from the cookie session's ``user`` (``admin`` for the name ``root``)."""

    async def authenticate(self, conn: HTTPConnection) -> Any:
        user = conn.session.get("user")
        if not user:
            return None
        scopes = ["authenticated", "admin"] if user == "root" else ["authenticated"]
        return AuthCredentials(scopes), SimpleUser(user)


async def login(request: Any) -> RedirectResponse:
    """A plain HTTP route that signs in and flashes, as a login POST would."""
    request.session["user"] = request.query_params.get("user", "ada")
    return app.put_flash(RedirectResponse("/profile", status_code=303), "info", "Welcome back")


def make_app(**options: Any) -> PyView:
    app = PyView(
        secret_key=SECRET,
        middleware=[Middleware(AuthenticationMiddleware, backend=SessionUserBackend())],
        **options,
    )
    app.add_live_view("/notice", NoticeView)
    app.add_live_view("/landing", LandingView)
    app.add_live_view("/bare", BareView)
    app.add_live_view("/moved", LeaveOnMountView)
    app.add_live_view("/profile", ProfileView)
    app.add_live_view("/admin", AdminView)
    account = app.live_session("account", on_mount=[require_user])
    account.add_live_view("/account", AccountView)
    account.add_live_view("/never", NeverMountedView)
    app.routes.append(Route("/login", login))
    return app


app = make_app()
