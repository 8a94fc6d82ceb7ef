"""The log-in example in Chromium: the official client's ``phx-trigger-action`` posts the validated
form to the HTTP route, flash travels through the ``__phoenix_flash__`` cookie (a full redirect)
and is closed with its button (``lv:clear-flash``), and ``/account`` sits behind its
live_session's ``on_mount`` hook, also when reached by live navigation from another session."""

from __future__ import annotations

import re

from test_examples import CONNECTED, open_live

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]


def log_in(page: Page, password: str = "analytical") -> None:
    open_live(page, "/login")
    page.fill("#login_email", "ada@example.com")
    page.fill("#login_password", password)
    page.click("#login-submit")


def test_logging_in_posts_the_form_and_lands_on_the_account_with_a_flash(page: Page):
    open_live(page, "/login")
    expect(page.locator(".field-error")).to_have_count(0)
    page.fill("#login_email", "ada")
    expect(page.locator("#login_email-error")).to_be_visible()  # the touched field only
    expect(page.locator("#login_password-error")).to_have_count(0)
    page.fill("#login_email", "ada@example.com")
    page.fill("#login_password", "wrong-password")
    page.click("#login-submit")
    expect(page.locator("#login-problem")).to_have_text("Wrong email or password.")
    expect(page).to_have_url(re.compile(r"/login$"))

    page.fill("#login_password", "analytical")
    expect(page.locator("#login-problem")).to_have_count(0)  # the change arrived (validate clears the problem)
    page.click("#login-submit")  # valid: the view sets phx-trigger-action, the client posts the form
    expect(page).to_have_url(re.compile(r"/account$"))
    page.wait_for_selector(CONNECTED)
    expect(page.locator("#signed-in")).to_contain_text("Ada Lovelace")
    expect(page.locator("#flash-info p")).to_have_text("Welcome back, Ada Lovelace!")
    page.click("#flash-info .flash-close")  # lv:clear-flash
    expect(page.locator("#flash-info")).to_have_count(0)

    page.reload()  # the flash was shown once: its cookie is gone
    page.wait_for_selector(CONNECTED)
    expect(page.locator("#signed-in")).to_contain_text("Ada Lovelace")
    expect(page.locator(".flash")).to_have_count(0)

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#flash-info p")).to_have_text("You are signed out.")


def test_the_account_sends_a_logged_out_visitor_to_log_in_also_by_live_navigation(page: Page):
    open_live(page, "/account")  # the page request: the hook redirects before anything renders
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#flash-error p")).to_have_text("Please log in to see your account.")

    page.goto("/")
    page.wait_for_selector(CONNECTED)
    page.click("a[href='/login']")  # live navigation within the default live_session
    expect(page.locator("#login-form")).to_be_visible()
    page.wait_for_selector(CONNECTED)
    page.click("#account-link")  # live navigation into the account session: refused, so the page loads
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#flash-error p")).to_have_text("Please log in to see your account.")


def test_a_live_link_into_the_account_session_reaches_it_when_logged_in(page: Page):
    log_in(page)
    expect(page).to_have_url(re.compile(r"/account$"))
    page.goto("/login")
    page.wait_for_selector(CONNECTED)
    page.click("#account-link")
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("#signed-in")).to_contain_text("Ada Lovelace")


def test_a_post_without_the_sessions_csrf_token_is_refused(page: Page, live_server: str):
    open_live(page, "/login")
    response = page.request.post(
        f"{live_server}/login",
        form={"_csrf_token": "forged", "login[email]": "ada@example.com", "login[password]": "analytical"},
        max_redirects=0,
    )
    assert response.status == 403 and "CSRF" in response.text()
    open_live(page, "/account")
    expect(page).to_have_url(re.compile(r"/login$"))  # not signed in
