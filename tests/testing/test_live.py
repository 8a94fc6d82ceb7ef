"""The test client (``pyview_core.testing.live``) against real views, through the real protocol.

Each test drives a view of ``tc_views.py`` as a user would and checks what a user would see;
each refusal names what the test asked for and what the page has. The async scenarios run on a
loop of their own thread (``async_runner.run``: plain ``asyncio.run``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tc_views
from async_runner import run

from pyview_core import InfoEvent, PyView
from pyview_core.testing import LiveViewTestError, LiveViewTestWarning, Redirected, live

app = tc_views.app


def count_of(html: str) -> int:
    found = re.search(r'<span id="count">(-?\d+)</span>', html)
    assert found, html
    return int(found.group(1))


# ================================================================================ clicks


def test_click_updates_the_page_and_the_title():
    async def scenario():
        async with live(app, "/counter") as view:
            assert count_of(view.html()) == 0
            assert view.title == "Count 0"
            html = await view.element("#inc").click()
            assert count_of(html) == 1 and count_of(view.html()) == 1
            assert view.title == "Count 1"
            await view.element("button.add", text="+10").click()
            assert count_of(view.html()) == 11
            assert view.assert_push_event("counted", {"count": 11}) == {"count": 11}
            view.refute_push_event("counted")

    run(scenario())


def test_click_sends_phx_value_attributes_the_element_value_and_the_extra_value():
    async def scenario():
        async with live(app, "/counter") as view:
            await view.element("button.add", text="+5").click(value={"id": 3})
            assert count_of(view.html()) == 8  # amount=5 from phx-value-amount, id=3 from value=
            await view.element("#echo").click(value={"b": 2})
            # phx-value-a, the button's own value (as the client reads el.value), then the extra value
            assert view.element("#last-key").html() == "<p id=\"last-key\">[('a', '1'), ('b', 2), ('value', 'btn')]</p>"

    run(scenario())


def test_a_js_command_click_sends_its_push_operations():
    async def scenario():
        async with live(app, "/counter") as view:
            await view.element("#js").click()
            assert count_of(view.html()) == 2

    run(scenario())


def test_clicks_the_page_does_not_offer_are_refused_naming_what_it_has():
    async def scenario():
        async with live(app, "/counter") as view:
            with pytest.raises(LiveViewTestError, match=r"(?s)button\.add.*matches 2 elements.*\+5.*\+10") as several:
                await view.element("button.add").click()
            assert "phx-value-amount=\"5\"" in str(several.value) and "phx-value-amount=\"10\"" in str(several.value)
            with pytest.raises(LiveViewTestError, match="#nope") as none:
                await view.element("#nope").click()
            assert "phx-click" in str(none.value)  # the elements that do carry phx-click are listed
            with pytest.raises(LiveViewTestError, match="'\\+7'") as text:
                await view.element("button", text="+7").click()
            assert "+10" in str(text.value)  # candidates: the buttons, with their text
            with pytest.raises(LiveViewTestError, match="no phx-click"):
                await view.element("#plain").click()
            with pytest.raises(LiveViewTestError, match="disabled"):
                await view.element("#dec").click()  # count is 0: the button is disabled
            await view.element("#inc").click()
            await view.element("#dec").click()  # enabled now
            assert count_of(view.html()) == 0
            with pytest.raises(LiveViewTestError, match="plain link"):
                await view.element("#plain-link").click()
            with pytest.raises(LiveViewTestError, match="selector"):
                view.has_element("button[")

    run(scenario())


# ================================================================================ keys, focus, hooks


def test_keys_follow_phx_key_and_window_bindings():
    async def scenario():
        async with live(app, "/counter") as view:
            await view.element("#keys").keydown("a")  # phx-key="Enter": the client sends nothing
            assert '<p id="last-key"></p>' in view.html()
            await view.element("#keys").keydown("Enter")
            assert '<p id="last-key">Enter</p>' in view.html()
            await view.element("#win").keyup("Escape")
            assert '<p id="last-key">Escape</p>' in view.html()
            with pytest.raises(LiveViewTestError, match="phx-keydown"):
                await view.element("#inc").keydown("x")

    run(scenario())


def test_focus_blur_and_hook_events():
    async def scenario():
        async with live(app, "/counter") as view:
            await view.element("#focus").focus()
            await view.element("#focus").blur()
            assert view.has_element("#map", text="pins: 0")
            await view.element("#map").hook("pin", {"x": 1, "y": 2})
            assert view.has_element("#map", text="pins: 1")
            with pytest.raises(LiveViewTestError, match="no phx-hook"):
                await view.element(".nohook").hook("pin", {"x": 1, "y": 2})
            with pytest.raises(LiveViewTestError, match="phx-focus"):
                await view.element("#inc").focus()

    run(scenario())


def test_an_event_the_view_refuses_fails_the_step_with_its_reason():
    async def scenario():
        async with live(app, "/counter") as view:
            with pytest.raises(LiveViewTestError, match="pin.*refused it.*'y'|refused it.*y"):
                await view.element("#map").hook("pin", {"x": 1})  # y is missing: the handler cannot be called

    run(scenario())


# ================================================================================ session, URL, navigation


def test_session_reaches_mount():
    async def scenario():
        async with live(app, "/counter", session={"user_id": 7}) as view:
            assert view.has_element("#user", text="user 7")
        async with live(app, "/counter") as view:
            assert not view.has_element("#user")

    run(scenario())


def test_patches_from_the_test_from_links_and_from_the_view():
    async def scenario():
        async with live(app, "/counter?count=3") as view:
            assert count_of(view.html()) == 3 and view.path == "/counter?count=3"
            await view.patch("/counter?count=4")
            assert count_of(view.html()) == 4
            assert view.assert_patch("/counter?count=4") == "/counter?count=4"
            await view.element("#reset").click()
            assert view.path == "/counter?count=0" and count_of(view.html()) == 0
            view.assert_patch("/counter?count=0")
            view.refute_patch()
            with pytest.raises(LiveViewTestError, match="another LiveView"):
                await view.patch("/nav")
        async with live(app, "/nav") as nav:
            await nav.element("#next").click()
            assert nav.assert_patch() == "/nav?page=2"
            assert nav.path == "/nav?page=2" and nav.has_element("#page", text="page 2")
            await nav.send_info(InfoEvent("jump", 9))
            nav.assert_patch("/nav?page=9")
            with pytest.raises(LiveViewTestError, match="expected a live patch to '/nav\\?page=10', got one to '/nav\\?page=11'"):
                await nav.send_info(InfoEvent("jump", 11))
                nav.assert_patch("/nav?page=10")

    run(scenario())


def test_redirects_are_asserted_and_followed():
    async def scenario():
        async with live(app, "/nav") as nav:
            await nav.element("#away").click()
            assert nav.assert_redirect("/counter?count=7") == {}
            counter = await nav.follow_redirect()  # live navigation: the same socket, a new join
            assert count_of(counter.html()) == 7 and counter.path == "/counter?count=7"
            with pytest.raises(LiveViewTestError, match="ended.*follow_redirect"):
                await nav.element("#next").click()
            await counter.element("#to-nav").click()  # a live redirect link
            nav2 = await counter.follow_redirect()
            assert nav2.has_element("#page", text="page 3")
            await nav2.element("#leave").click()
            with pytest.raises(LiveViewTestError, match="expected a redirect to '/x', got a redirect to '/signup'"):
                nav2.assert_redirect("/x")
            signup = await nav2.follow_redirect()  # a full page load
            assert signup.has_element("form#signup")

    run(scenario())


def test_a_mount_redirect_or_a_bad_path_fails_live_clearly():
    async def scenario():
        with pytest.raises(LiveViewTestError, match="404"):
            async with live(app, "/missing"):
                pass
        with pytest.raises(LiveViewTestError, match="local path"):
            async with live(app, "http://example.com/counter"):
                pass
        with pytest.raises(LiveViewTestError, match="400.*count"):
            async with live(app, "/counter?count=abc"):
                pass

    run(scenario())


def test_a_socket_from_another_origin_is_refused_like_in_a_browser():
    strict = PyView(secret_key=tc_views.SECRET, allowed_origins=["https://shop.example"])
    strict.add_live_view("/counter", tc_views.CounterView)

    async def scenario():
        with pytest.raises(LiveViewTestError, match="allowed_origins"):
            async with live(strict, "/counter"):
                pass
        async with live(strict, "/counter", base_url="https://shop.example") as view:
            await view.element("#inc").click()
            assert count_of(view.html()) == 1

    run(scenario())


# ================================================================================ forms


def test_form_change_sends_values_target_and_unused_keys_like_the_client():
    async def scenario():
        async with live(app, "/signup") as view:
            await view.form("#signup", {"user": {"email": "a@b", "plan": "pro"}}).change()
            changed = view.element("#changed").html()
            assert "'email': 'a@b'" in changed and "'plan': 'pro'" in changed
            assert "'_target': ['user', 'plan']" in changed  # the last field typed into
            assert "'token': 't0k'" in changed and "'tos': 'false'" in changed and "'role': 'dev'" in changed
            assert "'bio': 'hello'" in changed  # untouched fields go with their current values
            assert "_unused_bio" in changed and "_unused_email" not in changed and "_unused_token" not in changed
            assert "locked" not in changed  # disabled: not sent
            assert '<input type="text" name="user[email]" value="a@b">' in view.html()
            await view.form("#signup", {"user": {"tos": True, "role": "ops"}}).change(target="user[tos]")
            changed = view.element("#changed").html()
            assert "'tos': 'true'" in changed and "'role': 'ops'" in changed and "'_target': ['user', 'tos']" in changed

    run(scenario())


def test_an_input_with_its_own_phx_change_sends_only_itself():
    async def scenario():
        async with live(app, "/signup") as view:
            await view.form("#signup", {"user": {"nick": "zed"}}).change()
            changed = view.element("#changed").html()
            assert "'nick': 'zed'" in changed and "email" not in changed

    run(scenario())


def test_form_submit_with_a_submitter():
    async def scenario():
        async with live(app, "/signup") as view:
            await view.form("#signup", {"user": {"email": "x@y"}}).submit(submitter="button[value=draft]")
            saved = view.element("#saved").html()
            assert "'action': 'draft'" in saved and "'email': 'x@y'" in saved and "_unused_" not in saved
            assert "'source': 'signup'" in saved  # the form's phx-value-* go along
            await view.form("#signup").submit()
            assert "action" not in view.element("#saved").html()  # no button pressed: none sent

    run(scenario())


@pytest.mark.parametrize(
    "data, message",
    [
        ({"user": {"nope": "1"}}, r"user\[nope\]"),
        ({"user": {"token": "x"}}, r"hidden"),
        ({"user": {"plan": "gold"}}, r"gold.*free.*pro|free.*pro.*gold"),
        ({"user": {"locked": "y"}}, r"disabled"),
        ({"user": {"role": "boss"}}, r"boss"),
        ({"action": "save"}, r"action"),
    ],
)
def test_form_data_must_fit_the_markup(data, message):
    async def scenario():
        async with live(app, "/signup") as view:
            before = view.element("#changed").html()
            with pytest.raises(LiveViewTestError, match=message):
                await view.form("#signup", data).change()
            assert view.element("#changed").html() == before  # nothing was sent

    run(scenario())


def test_form_refusals_for_bindings_and_submitters():
    async def scenario():
        async with live(app, "/signup") as view:
            with pytest.raises(LiveViewTestError, match="disabled"):
                await view.form("#signup").submit(submitter="button[value=never]")
            with pytest.raises(LiveViewTestError, match="submitter.*#inc|#inc"):
                await view.form("#signup").submit(submitter="#inc")
            with pytest.raises(LiveViewTestError, match="no phx-change"):
                await view.form("#nochange", {"q": "x"}).change()
            with pytest.raises(LiveViewTestError, match="not a <form>"):
                await view.form("#changed").change()
            with pytest.raises(LiveViewTestError, match="target 'user\\[zip\\]'"):
                await view.form("#signup").change(target="user[zip]")

    run(scenario())


# ================================================================================ jobs, info, pub/sub


def test_render_async_waits_for_jobs_but_not_repeating_timers():
    async def scenario():
        async with live(app, "/jobs") as view:
            await view.element("#work").click()
            html = await view.render_async()
            assert "<li>0</li><li>1</li><li>4</li><li>9</li>" in html
            assert '<p id="ticks">0</p>' in html
            await view.send_info(InfoEvent("news", "hello"))
            assert view.has_element("#news", text="hello")
            await app.pubsub.broadcast("news", "from pub/sub")
            await view.render_async()
            assert view.has_element("#news", text="from pub/sub")

    run(scenario())


# ================================================================================ crashes and the invariant


def test_a_crash_in_a_handler_raises_the_original_exception():
    async def scenario():
        async with live(app, "/crash") as view:
            with pytest.raises(ZeroDivisionError, match="boom in a handler") as crash:
                await view.element("#boom").click()
            assert any("CrashView crashed" in note for note in crash.value.__notes__)
            with pytest.raises(LiveViewTestError, match="crashed"):
                await view.element("#boom").click()

    run(scenario())


def test_a_crash_in_the_template_names_its_line():
    async def scenario():
        async with live(app, "/crash") as view:
            with pytest.raises(ZeroDivisionError) as crash:
                await view.element("#bad").click()
            assert any('"tc_crash.html", line 2' in note for note in crash.value.__notes__), crash.value.__notes__

    run(scenario())


def test_a_crash_while_joining_raises_from_live():
    async def scenario():
        with pytest.raises(KeyError, match="crashed on join"):
            async with live(app, "/crash?join_crash=1"):
                pass

    run(scenario())


def test_a_crash_in_the_dead_render_raises_from_live():
    class Broken(tc_views.CounterView):
        async def mount(self, socket, session):
            raise RuntimeError("mount failed over HTTP")

    broken = PyView(secret_key=tc_views.SECRET)
    broken.add_live_view("/", Broken)

    async def scenario():
        with pytest.raises(RuntimeError, match="mount failed over HTTP"):
            async with live(broken, "/"):
                pass

    run(scenario())


def test_merged_html_must_equal_a_fresh_render():
    async def scenario():
        async with live(app, "/unsafe") as view:
            with pytest.raises(LiveViewTestError, match="fresh render") as lost:
                await view.element("#inc").click()
            assert '<p id="count">0</p>' in str(lost.value) and '<p id="count">1</p>' in str(lost.value)
        async with live(app, "/unsafe", check=False) as view:
            html = await view.element("#inc").click()
            assert '<p id="count">0</p>' in html  # what a browser would show: the change never arrived

    run(scenario())


def test_fragile_markup_warns():
    async def scenario():
        with pytest.warns(LiveViewTestWarning) as caught:
            async with live(app, "/sloppy"):
                pass
        messages = [str(w.message) for w in caught]
        assert any("duplicate id 'twice'" in m for m in messages), messages
        assert any("phx-change form without an id" in m for m in messages), messages

    run(scenario())


# ================================================================================ lifecycle and tools


def test_leaving_the_block_disconnects_the_view():
    async def scenario():
        tc_views.DISCONNECTED.clear()
        async with live(app, "/counter") as view:
            await view.element("#inc").click()
            assert tc_views.DISCONNECTED == []
        assert tc_views.DISCONNECTED == ["counter"]

    run(scenario())


def test_open_browser_writes_the_current_page(capsys):
    async def scenario():
        async with live(app, "/counter") as view:
            await view.element("#inc").click()
            return view.open_browser()

    path = Path(run(scenario()))
    try:
        text = path.read_text(encoding="utf-8")
        assert '<span id="count">1</span>' in text and "<script" not in text
        assert str(path) in capsys.readouterr().out
    finally:
        path.unlink()


def test_a_key_pressed_on_the_page_reaches_every_window_binding():
    async def scenario():
        async with live(app, "/counter") as view:
            await view.keyup("q")  # #win carries phx-window-keyup="key"
            assert '<p id="last-key">q</p>' in view.html()
            with pytest.raises(LiveViewTestError, match="no element has phx-window-keydown"):
                await view.keydown("q")

    run(scenario())


def test_urls_are_encoded_as_a_browser_encodes_them():
    async def scenario():
        async with live(app, "/nav?page=%32&note=café 日本") as view:  # non-ASCII and a space: UTF-8 percent-encoded
            assert view.has_element("#page", text="page 2")
            await view.patch("/nav?page=3&x=ü")
            assert view.has_element("#page", text="page 3")

    run(scenario())


def test_wait_for_follows_a_running_job_frame_by_frame():
    async def scenario():
        async with live(app, "/jobs") as view:
            await view.element("#work").click()
            html = await view.wait_for(lambda: "<li>1</li>" in view.html())
            assert "<li>0</li><li>1</li>" in html
            with pytest.raises(LiveViewTestError, match="did not hold within"):
                await view.wait_for(lambda: "<li>100</li>" in view.html(), timeout=0.05)

    run(scenario())


def test_a_page_that_redirects_on_load_raises_redirected():
    async def scenario():
        with pytest.raises(Redirected) as over_http:
            async with live(app, "/gate?over=http"):
                pass
        assert (over_http.value.kind, over_http.value.to) == ("redirect", "/counter?count=2")
        with pytest.raises(Redirected) as on_join:
            async with live(app, "/gate?over=socket"):
                pass
        assert (on_join.value.kind, on_join.value.to) == ("live_redirect", "/nav?page=4")

    run(scenario())


def test_a_handler_returning_a_dict_answers_the_hook(caplog):
    async def scenario():
        async with live(app, "/counter") as view:
            await view.element("#map").hook("ask", {"x": 21})
            assert view.assert_reply({"answer": 42}) == {"answer": 42}
            with pytest.raises(LiveViewTestError, match="no handler returned one"):
                view.assert_reply()
            await view.element("#map").hook("not_a_reply")  # not a dict: no reply, a warning for the developer
            assert view.has_element("#last-key", text="returned 5")
            with pytest.raises(LiveViewTestError):
                view.assert_reply()
            with pytest.raises(TypeError, match="'ask_badly' is not JSON-serialisable"):
                await view.element("#map").hook("ask_badly")

    with caplog.at_level("WARNING", logger="pyview_core"):
        run(scenario())
    assert any("returned int, not a dict" in r.getMessage() for r in caplog.records)
