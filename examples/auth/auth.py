"""Log in and an account page behind an ``on_mount`` hook.

``/login`` validates as you type (a pydantic model through ``to_form``) and, when the password
is right, sets ``phx-trigger-action``: the client then submits the same form as a plain HTTP
POST to ``/login``, a Starlette route that checks the CSRF token and the password again (never
trust the live step alone), writes the user into the cookie session, which only an HTTP response
can do, and redirects to ``/account`` with a flash.

``/account`` lives in the ``account`` live_session, whose ``require_login`` hook runs before
``mount`` on the page request and on every join: logged out, it redirects to ``/login`` with a
flash. Live navigation from other examples to ``/account`` crosses live sessions, so the client
loads the page and the hook runs there too.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from pyview_core import LiveView, event, to_form
from pyview_core.forms import FormError, decode_form

# The demo's one account: email -> (name, password). A real app keeps password hashes.
ACCOUNTS = {"ada@example.com": ("Ada Lovelace", "analytical")}


class LoginIn(BaseModel):
    email: str = Field(
        min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", title="Email",
        json_schema_extra={"format": "email"},
    )
    password: str = Field(min_length=8, max_length=200, json_schema_extra={"format": "password"})


def account_for(email: Any, password: Any) -> str | None:
    """The account's name when ``email`` and ``password`` match, else None."""
    found = ACCOUNTS.get(email) if isinstance(email, str) else None
    return found[0] if found is not None and found[1] == password else None


class LoginLiveView(LiveView[dict]):
    template_name = "login.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"form": to_form(LoginIn, name="login"), "trigger": False, "problem": "", "csrf": socket.csrf_token}
        socket.live_title = "Log in"

    @event("validate")
    async def validate(self, socket: Any, login: dict | None = None) -> None:
        socket.context["form"] = to_form(LoginIn, login, name="login")
        socket.context["problem"] = ""

    @event("login")
    async def login(self, socket: Any, login: dict | None = None) -> None:
        form = to_form(LoginIn, login, name="login")
        socket.context["form"] = form
        if not form.valid:
            return
        if account_for(form.data.email, form.data.password) is None:
            socket.context["problem"] = "Wrong email or password."
            return
        socket.context["trigger"] = True  # the client now posts the form to /login


class AccountLiveView(LiveView[dict]):
    """Only reachable through ``require_login`` (the ``account`` live_session's hook)."""

    template_name = "account.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {**socket.context, "csrf": socket.csrf_token}
        socket.live_title = "Your account"


async def require_login(socket: Any, session: dict[str, Any], params: dict[str, Any]) -> None:
    """The account session's ``on_mount`` hook: the signed-in user, or back to /login with a flash."""
    email = session.get("user")
    if email not in ACCOUNTS:
        socket.put_flash("error", "Please log in to see your account.")
        await socket.redirect("/login")
        return
    socket.context = {"name": ACCOUNTS[email][0], "email": email}


FORBIDDEN = "Forbidden: the form's CSRF token does not match this session; reload the page."


async def _posted_form(request: Request) -> dict[str, Any] | None:
    """The posted form's params when its ``_csrf_token`` belongs to this session, else None."""
    body = await request.body()
    try:
        params = decode_form(body.decode("utf-8")) if len(body) <= 10_000 else {}
    except (UnicodeDecodeError, FormError):
        params = {}
    return params if request.app.csrf_valid(request, params.get("_csrf_token")) else None


async def login_post(request: Request) -> Response:
    """Where ``phx-trigger-action`` posts the login form: checks it again and signs in."""
    params = await _posted_form(request)
    if params is None:
        return PlainTextResponse(FORBIDDEN, 403)
    login = params.get("login") if isinstance(params.get("login"), dict) else {}
    name = account_for(login.get("email"), login.get("password"))
    if name is None:
        return request.app.put_flash(RedirectResponse("/login", status_code=303), "error", "Wrong email or password.")
    request.session["user"] = login["email"]
    return request.app.put_flash(RedirectResponse("/account", status_code=303), "info", f"Welcome back, {name}!")


async def logout_post(request: Request) -> Response:
    """Signs out (a plain form post: only an HTTP response can change the cookie session)."""
    if await _posted_form(request) is None:
        return PlainTextResponse(FORBIDDEN, 403)
    request.session.pop("user", None)
    return request.app.put_flash(RedirectResponse("/login", status_code=303), "info", "You are signed out.")
