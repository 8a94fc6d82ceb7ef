"""Flash messages through the real protocol: shown where the template renders ``{{ flash }}``,
closed with their button (``lv:clear-flash``), carried by live and full redirects as signed
tokens that expire and cannot be forged, and a warning when a template never shows them."""

from __future__ import annotations

import logging
import time

import bd_views
import pytest
from async_runner import run
from hypothesis import given, settings
from hypothesis import strategies as st

from pyview_core.flash import Flash, FlashTokens, group_html
from pyview_core.security import TokenSigner
from pyview_core.testing import Redirected, live
from selectolax.lexbor import LexborHTMLParser

app = bd_views.app


def flash_texts(html: str) -> dict[str, str]:
    """The flash boxes a user sees: kind (from the box's id) -> message text."""
    return {node.attributes["id"].removeprefix("flash-"): node.css_first("p").text() for node in LexborHTMLParser(html).css(".flash")}


def test_a_flash_is_shown_escaped_and_closed_with_its_button():
    async def scenario():
        async with live(app, "/notice") as view:
            assert flash_texts(view.html()) == {}
            html = await view.element("#save").click()
            assert flash_texts(html) == {"info": "Saved 1 <times>"}
            assert "Saved 1 &lt;times&gt;" in html  # escaped: a message is text, never markup
            html = await view.element("#fail").click()
            assert flash_texts(html) == {"info": "Saved 1 <times>", "error": "Could not save"}
            html = await view.element("#flash-info .flash-close").click()  # phx-click="lv:clear-flash" phx-value-key="info"
            assert flash_texts(html) == {"error": "Could not save"}
            html = await view.element("#save").click()
            assert flash_texts(html) == {"error": "Could not save", "info": "Saved 2 <times>"}
            html = await view.element("#clear-all").click()
            assert flash_texts(html) == {}

    run(scenario())


def test_a_live_patch_by_the_user_clears_the_flash():
    async def scenario():
        async with live(app, "/notice") as view:
            html = await view.element("#save").click()
            assert flash_texts(html) == {"info": "Saved 1 <times>"}
            html = await view.element("#patch").click()  # a patch link (or back/forward): the user moved on
            view.assert_patch("/notice?tab=2")
            assert flash_texts(html) == {} and "saved 1" in html

    run(scenario())


def test_a_live_redirect_carries_the_flash_to_the_next_view():
    async def scenario():
        async with live(app, "/notice") as view:
            await view.element("#save").click()  # shown here already: not carried along
            await view.element("#to-landing").click()
            assert view.assert_redirect("/landing") == {"info": "Sent to /landing"}
            landing = await view.follow_redirect()
            assert flash_texts(landing.html()) == {"info": "Sent to /landing"}
            assert landing.path == "/landing"

    run(scenario())


def test_a_full_redirect_carries_the_flash_in_a_cookie_read_once():
    async def scenario():
        async with live(app, "/notice") as view:
            await view.element("#redirect-landing").click()
            assert view.assert_redirect("/landing") == {"info": "Sent to /landing"}
            landing = await view.follow_redirect()  # the client sets __phoenix_flash__ and loads the page
            assert flash_texts(landing.html()) == {"info": "Sent to /landing"}
            again = await view._browser.open("/landing")  # the cookie was deleted by the page that showed it
            assert flash_texts(again.html()) == {}

    run(scenario())


def test_the_dead_render_flash_survives_the_join():
    """What the page showed (from the cookie) is what the live view shows after it joins."""
    async def scenario():
        async with live(app, "/moved") as _:
            pass

    with pytest.raises(Redirected) as redirected:
        run(scenario())
    assert redirected.value.to == "/landing"
    assert redirected.value.flash == {"error": "That page moved"}  # mount's flash, in the redirect's cookie

    async def follow():
        async with live(app, "/landing") as view:
            view._browser.jar.set("__phoenix_flash__", redirected.value.token)
            landing = await view._browser.open("/landing")
            # the template's own markup (flash.error) and the group, both after the join
            assert landing._page.html.count("That page moved") == 2  # in the dead render
            assert flash_texts(landing.html()) == {"error": "That page moved"}
            assert 'id="custom-error"' in landing.html()
            html = await landing.element("#flash-error .flash-close").click()
            assert flash_texts(html) == {} and 'id="custom-error"' not in html

    run(follow())


def test_a_forged_or_expired_flash_token_shows_nothing():
    async def scenario():
        forged = FlashTokens(TokenSigner("another-secret-" + "x" * 40)).sign({"info": "You won"})
        async with live(app, "/landing") as view:
            view._browser.jar.set("__phoenix_flash__", forged)
            page = await view._browser.open("/landing")
            assert flash_texts(page.html()) == {} and "You won" not in page.html()

    run(scenario())
    tokens = FlashTokens(app.runtime.signer)
    token = tokens.sign({"info": "old news"})
    assert tokens.load(token) == {"info": "old news"}
    real_time = time.time
    try:  # 61 s later: past the 60 s a flash token lives
        time.time = lambda: real_time() + 61
        assert tokens.load(token) == {}
    finally:
        time.time = real_time


def test_a_template_that_never_shows_the_flash_is_reported_once(caplog):
    async def scenario():
        async with live(app, "/bare") as view:
            await view.element("#save").click()
            await view.element("#save").click()

    with caplog.at_level(logging.WARNING, logger="pyview_core"):
        run(scenario())
    warnings = [r.getMessage() for r in caplog.records if "does not render `flash`" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].startswith("BareView put a flash message")


# Any text HTML can carry: a parser turns CR into LF and NUL into U+FFFD before anything else.
html_text = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00")
messages = st.dictionaries(st.text(html_text, min_size=1, max_size=20), st.text(html_text, max_size=60), max_size=4)


@settings(max_examples=60, deadline=None)
@given(messages)
def test_flash_tokens_round_trip(flash):
    tokens = FlashTokens(app.runtime.signer)
    assert tokens.load(tokens.sign(flash)) == flash  # {} signs to None, which loads as {}


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), min_size=1, max_size=3), st.data())
def test_a_tampered_flash_token_never_yields_other_messages(flash, data):
    tokens = FlashTokens(app.runtime.signer)
    token = tokens.sign(flash)
    assert token is not None
    i = data.draw(st.integers(0, len(token) - 1), label="position")
    replacement = data.draw(st.sampled_from("ABCabc012-_.xyz"), label="character")
    tampered = token[:i] + replacement + token[i + 1:]
    # Either refused, or (a change base64 decoding cannot see, or no change at all) the same messages.
    assert tokens.load(tampered) in ({}, flash)


@settings(max_examples=100, deadline=None)
@given(messages)
def test_the_flash_group_escapes_kinds_and_messages(flash):
    html = str(group_html(flash))
    boxes = LexborHTMLParser(html).css(".flash")
    assert [box.css_first("p").text() for box in boxes] == list(flash.values())
    assert [box.css_first("button").attributes["phx-value-key"] for box in boxes] == list(flash)


def test_flash_refuses_a_kind_that_is_not_a_name():
    flash = Flash()
    with pytest.raises(ValueError, match="put_flash needs a kind"):
        flash.put("", "x")
    with pytest.raises(TypeError, match="must be a str"):
        flash.put("info", 3)  # type: ignore[arg-type]
