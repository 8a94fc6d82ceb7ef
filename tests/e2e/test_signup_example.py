"""The sign-up example (/signup) in a real browser: the official client decides which fields are
"used" (it sends ``_unused_`` markers for the others), so this is where "errors only on touched
fields" is checked against the real thing, together with the live address list and the
navigation after a valid sign-up.
"""

from __future__ import annotations

import re

from test_examples import open_live


try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail on CI) and name the fix
    Page = expect = None  # type: ignore[assignment,misc]

TOO_SHORT = "String should have at least 2 characters"
NOT_AN_EMAIL = "Enter an email address, like name@example.com"


def error(page: Page, input_id: str):
    return page.locator(f"#{input_id}-error")


def test_errors_show_only_on_the_fields_the_user_touched(page: Page):
    open_live(page, "/signup")
    expect(page.locator("p.field-error")).to_have_count(0)
    page.fill("#user_name", "A")
    expect(error(page, "user_name")).to_have_text(TOO_SHORT)
    expect(page.locator("#user_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("p.field-error")).to_have_count(1)  # the email, the password, the address: quiet

    page.fill("#user_email", "ada")
    expect(error(page, "user_email")).to_have_text(NOT_AN_EMAIL)
    page.fill("#user_name", "Ada")
    expect(error(page, "user_name")).to_have_count(0)
    expect(page.locator("p.field-error")).to_have_count(1)
    expect(page.locator("#user_name")).to_have_value("Ada")  # the server's renders never fight the typing


def test_addresses_are_added_and_removed_live(page: Page):
    open_live(page, "/signup")
    fieldsets = page.locator("#addresses fieldset")
    add = page.locator("#add-address")
    expect(fieldsets).to_have_count(1)
    expect(page.locator(".remove-address")).to_have_count(0)
    add.click()
    expect(fieldsets).to_have_count(2)
    add.click()
    expect(fieldsets).to_have_count(3)
    expect(add).to_be_disabled()
    page.fill("#user_addresses_1_city", "Oslo")
    page.fill("#user_addresses_2_city", "Rome")
    page.locator("#address-2 input[name$='[street]']").focus()  # leaving Rome sends it
    expect(page.locator("p.field-error")).to_have_count(0)  # typing a city is fine; nothing else was touched
    page.get_by_role("button", name="Remove address 1").click()
    expect(fieldsets).to_have_count(2)
    expect(page.locator("#user_addresses_0_city")).to_have_value("Oslo")
    expect(page.locator("#user_addresses_1_city")).to_have_value("Rome")
    expect(add).to_be_enabled()
    page.get_by_role("button", name="Remove address 2").click()
    expect(fieldsets).to_have_count(1)
    expect(page.locator(".remove-address")).to_have_count(0)


def test_a_submit_with_errors_shows_every_error(page: Page):
    open_live(page, "/signup")
    page.fill("#user_name", "Ada")
    page.click("#submit")
    for input_id in ("user_email", "user_password", "user_addresses_0_street", "user_addresses_0_city",
                     "user_addresses_0_postal_code"):
        expect(error(page, input_id)).to_have_text("Field required")
    expect(page.locator("p.field-error")).to_have_count(5)
    expect(page).to_have_url(re.compile(r"/signup$"))


def test_a_valid_sign_up_goes_to_the_index(page: Page):
    open_live(page, "/signup")
    page.fill("#user_name", "Ada Lovelace")
    page.fill("#user_email", "ada@example.com")
    page.fill("#user_password", "analytical engine")
    page.check("#user_newsletter")
    page.fill("#user_addresses_0_street", "12 St James's Square")
    page.fill("#user_addresses_0_city", "London")
    page.fill("#user_addresses_0_postal_code", "10001")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
    expect(page.locator("main.home h1")).to_have_text("pyview examples")
    expect(page.locator("#flash-info p")).to_have_text("Welcome, Ada Lovelace")  # carried by the live redirect
    page.click("#flash-info .flash-close")  # lv:clear-flash
    expect(page.locator("#flash-info")).to_have_count(0)


def test_after_a_reconnect_the_client_recovers_the_form_and_the_view_rebuilds_its_state(page: Page):
    """phx-auto-recover: a rejoin mounts a fresh view; the client then sends the form's values as
    its phx-change event, so the typed values, the added address and the errors come back."""
    open_live(page, "/signup")
    page.click("#add-address")
    expect(page.locator("#addresses fieldset")).to_have_count(2)
    page.fill("#user_name", "A")
    page.fill("#user_addresses_1_city", "Oslo")
    expect(error(page, "user_name")).to_have_text(TOO_SHORT)
    page.locator("#user_addresses_1_city").blur()  # sends the debounced change now ...
    expect(page.locator("#user_addresses_1_city")).to_have_attribute("value", "Oslo")  # ... and the server rendered it
    # (a change still waiting for its debounce when the socket drops is sent after the rejoin,
    # serialised from the freshly mounted form, and can undo the recovery: a race in the client)
    page.evaluate("window.pyview.liveSocket.disconnect()")
    expect(page.locator("[data-phx-main].phx-connected")).to_have_count(0)
    page.evaluate("window.pyview.liveSocket.connect()")  # a fresh mount: one address, no errors ...
    page.wait_for_selector("[data-phx-main].phx-connected")
    # ... until the recovery event arrives: the server's state is what the user had typed.
    expect(page.locator("#addresses fieldset")).to_have_count(2)
    expect(page.locator("#user_addresses_1_city")).to_have_value("Oslo")
    expect(error(page, "user_name")).to_have_text(TOO_SHORT)
    expect(page.locator("#user_name")).to_have_value("A")
