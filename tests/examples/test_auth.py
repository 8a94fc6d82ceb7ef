"""The log-in example through the test client: validation as you type, the trigger that hands
the form to the HTTP route, and the account page behind its live_session's on_mount hook."""

from __future__ import annotations

import pytest
from async_runner import run

from examples.app import create_app
from pyview_core.testing import LiveViewTestError, Redirected, live
from pyview_core.testing.asgi import http_request

app = create_app(secret_key="examples-auth-tests-" + "0123456789abcdefghijklmnopqrstu")


def test_the_account_page_sends_a_logged_out_visitor_to_log_in_with_a_flash():
    async def scenario():
        async with live(app, "/account"):
            pass

    with pytest.raises(Redirected) as redirected:
        run(scenario())
    assert redirected.value.to == "/login"
    assert redirected.value.flash == {"error": "Please log in to see your account."}


def test_the_account_page_shows_the_signed_in_user():
    async def scenario():
        async with live(app, "/account", session={"user": "ada@example.com"}) as view:
            assert "Signed in as <strong>Ada Lovelace</strong> (ada@example.com)." in view.html()
            assert view.title == "Your account · pyview"

    run(scenario())


def test_login_validates_touched_fields_and_triggers_the_post_only_for_the_right_password():
    async def scenario():
        async with live(app, "/login") as view:
            assert "field-error" not in view.html()  # a fresh form shows no errors
            html = await view.form("#login-form", {"login[email]": "ada"}).change(target="login[email]")
            assert 'id="login_email-error"' in html and "login_password-error" not in html  # only the touched field
            html = await view.form("#login-form", {"login[email]": "ada@example.com", "login[password]": "short"}).submit()
            assert "login_password-error" in html and "phx-trigger-action" not in html
            html = await view.form("#login-form", {"login[email]": "ada@example.com", "login[password]": "not-the-one"}).submit()
            assert "Wrong email or password." in html and "phx-trigger-action" not in html
            html = await view.form("#login-form", {"login[email]": "ada@example.com", "login[password]": "analytical"}).submit()
            assert "phx-trigger-action" in html
            assert view.element("#login-form").html().startswith('<form id="login-form" action="/login" method="post"')

    run(scenario())


def test_the_triggered_form_posts_to_the_route_which_signs_in_and_flashes_the_account():
    async def scenario():
        async with live(app, "/login") as view:
            form = view.form("#login-form", {"login[email]": "ada@example.com", "login[password]": "analytical"})
            with pytest.raises(LiveViewTestError, match="has no phx-trigger-action"):
                await form.follow_trigger_action()  # the view has not accepted the form yet
            await form.submit()
            account = await view.form("#login-form").follow_trigger_action()  # what the client posts natively
            assert account.path == "/account"
            assert "Signed in as <strong>Ada Lovelace</strong>" in account.html()
            assert 'id="flash-info"' in account.html() and "Welcome back, Ada Lovelace!" in account.html()

    run(scenario())


def test_the_login_route_refuses_a_post_without_the_sessions_csrf_token():
    async def scenario():
        async with live(app, "/login") as view:
            browser = view._browser
            forged = "_csrf_token=forged&login%5Bemail%5D=ada%40example.com&login%5Bpassword%5D=analytical"
            response = await http_request(app, browser.origin, "POST", "/login", browser.jar, {}, form=forged)
            assert response.status == 403 and "CSRF" in response.text
            with pytest.raises(Redirected) as redirected:  # still logged out
                await browser.open("/account")
            assert redirected.value.to == "/login"

    run(scenario())
