"""The chat example (``examples/chat``): two sessions talking through pub/sub, a stream with a
limit, and who is here (``Presence``: names, the typing indicator).

Each test gets an empty room: the example keeps the room's history in a module-level list
(``HISTORY``, what a new tab starts with), swapped here for a fresh one.
"""

from __future__ import annotations

import re

import pytest
from async_runner import run
from example_dom import attr, ids, make_app, nodes, text, texts

from examples.chat import chat as chat_module
from pyview_core.testing import LiveViewTestError, live

LIMIT = 50


@pytest.fixture(autouse=True)
def empty_room(monkeypatch):
    monkeypatch.setattr(chat_module, "HISTORY", [])


@pytest.fixture
def app():
    return make_app()


def name_of(view) -> str:
    return attr(view, "#name", "value") or ""


def messages(view) -> list[str]:
    return texts(view, "#messages > li")


def send_form(view) -> str:
    """The send form's id (it changes after each message sent, so the browser shows it empty)."""
    (form_id,) = ids(view, "#send-form form")
    return form_id


async def say(view, words: str) -> None:
    await view.form("#send-form form", {"text": words}).submit()


async def settle(*views) -> None:
    for view in views:
        await view.render_async()


def test_an_empty_room(app):
    async def scenario():
        async with live(app, "/chat") as view:
            assert view.title == "Chat · pyview"
            assert name_of(view).startswith("guest-")
            assert messages(view) == []
            assert view.has_element("#no-messages", text="No messages yet.")
            assert send_form(view) == "send-0"
            assert attr(view, "#send-form input[name=text]", "value") is None  # an empty box

    run(scenario())


def test_messages_reach_both_sessions_in_order(app):
    async def scenario():
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                name_a, name_b = name_of(a), name_of(b)
                assert re.fullmatch(r"guest-\d+", name_a) and re.fullmatch(r"guest-\d+", name_b) and name_a != name_b

                await say(a, "hello from A")
                await settle(a, b)
                assert messages(a) == messages(b) == [f"{name_a}: hello from A"]
                assert send_form(a) == "send-1" and send_form(b) == "send-0"  # only A's box is emptied

                await say(b, "hi from B")
                await settle(a, b)
                assert messages(a) == messages(b) == [f"{name_a}: hello from A", f"{name_b}: hi from B"]
                assert ids(a, "#messages > li") == ids(b, "#messages > li")
                assert send_form(b) == "send-1"

                await say(a, "  padded  ")
                await settle(a, b)
                assert messages(b)[-1] == f"{name_a}: padded"

    run(scenario())


def test_a_message_shows_for_its_sender_too(app):
    async def scenario():
        async with live(app, "/chat") as a:
            await say(a, "talking to myself")
            await a.render_async()
            assert messages(a) == [f"{name_of(a)}: talking to myself"]

    run(scenario())


def test_rename_changes_the_author_of_later_messages(app):
    async def scenario():
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                old = name_of(a)
                await say(a, "before")
                await a.form("#name-form", {"name": "  alice  "}).change()
                assert name_of(a) == "alice"
                assert name_of(b) != "alice"  # names are per session
                await say(a, "after")
                await settle(a, b)
                assert messages(b) == [f"{old}: before", "alice: after"]  # earlier messages keep their author

                await a.form("#name-form", {"name": "   "}).change()  # blank: the name stays
                assert name_of(a) == "alice"
                await a.form("#name-form", {"name": "x" * 40}).change()
                assert name_of(a) == "x" * 30  # at most 30 characters

    run(scenario())


def test_blank_messages_are_not_sent_and_long_ones_are_cut(app):
    async def scenario():
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                await say(a, "   ")
                await say(a, "")
                await settle(a, b)
                assert messages(a) == messages(b) == []
                assert send_form(a) == "send-0"  # nothing sent: the box is not reset either

                await say(a, "y" * 600)
                await settle(a, b)
                assert messages(b) == [f"{name_of(a)}: " + "y" * 500]

    run(scenario())


def test_markup_in_a_message_is_shown_as_text(app):
    async def scenario():
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                await say(a, '<b>bold</b> & <script>alert("x")</script>')
                await settle(a, b)
                assert messages(b) == [f'{name_of(a)}: <b>bold</b> & <script>alert("x")</script>']
                assert nodes(b, "#messages b, #messages script") == []

    run(scenario())


def test_a_new_tab_starts_with_the_room_history(app):
    async def scenario():
        async with live(app, "/chat") as a:
            for i in range(3):
                await say(a, f"m{i}")
            await a.render_async()
            seen = messages(a)
            assert seen == [f"{name_of(a)}: m{i}" for i in range(3)]
        async with live(app, "/chat") as c:  # after A left: the history stays
            assert messages(c) == seen
            assert ids(c, "#messages > li") == ids(a, "#messages > li")
            await say(c, "late")
            await c.render_async()
            assert messages(c) == [*seen, f"{name_of(c)}: late"]

    run(scenario())


def test_every_tab_keeps_only_the_last_50_messages(app):
    async def scenario():
        sent = [f"#{i}" for i in range(1, 53)]
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                name_a = name_of(a)
                for i, words in enumerate(sent, 1):
                    await say(a, words)
                    await settle(a, b)
                    assert len(messages(b)) == min(i, LIMIT)
                    assert messages(b)[-1] == f"{name_a}: {words}"
                expected = [f"{name_a}: {words}" for words in sent[-LIMIT:]]
                assert messages(a) == messages(b) == expected
                assert send_form(a) == "send-52"
                async with live(app, "/chat") as c:  # a new tab: the same last 50
                    assert messages(c) == expected
                    assert ids(c, "#messages > li") == ids(a, "#messages > li")
                    for words in ("c1", "c2", "c3"):  # it starts full: each new message pushes one out
                        await say(c, words)
                    await settle(a, b, c)
                    later = [*expected[3:], *(f"{name_of(c)}: {w}" for w in ("c1", "c2", "c3"))]
                    assert messages(a) == messages(b) == messages(c) == later

    run(scenario())


def test_the_send_form_only_takes_what_it_has(app):
    async def scenario():
        async with live(app, "/chat") as a:
            with pytest.raises(LiveViewTestError, match="author"):
                await a.form("#send-form form", {"text": "x", "author": "someone else"}).submit()
            await a.form("#send-form form", {"text": "x"}).change()  # typing: nothing is sent
            assert messages(a) == [] and text(a, "#no-messages") == "No messages yet."

    run(scenario())


# --- who is here (Presence) ---------------------------------------------------------------------


def here(view) -> list[str]:
    """The presence list as shown: one line per tab, e.g. ``guest-1012 (you)`` or ``bob ✎``."""
    return [" ".join(line.split()) for line in texts(view, "#here > li")]


def typing_line(view) -> str:
    return text(view, "#typing")


def test_every_tab_sees_who_is_here_and_leaves_when_a_tab_closes(app):
    async def scenario():
        async with live(app, "/chat") as a:
            name_a = name_of(a)
            assert here(a) == [f"{name_a} (you)"]
            async with live(app, "/chat") as b:
                name_b = name_of(b)
                await a.wait_for(lambda: len(here(a)) == 2)
                assert sorted(here(a)) == sorted([f"{name_a} (you)", name_b])
                assert sorted(here(b)) == sorted([name_a, f"{name_b} (you)"])
                assert text(a, "#here-count") == text(b, "#here-count") == "2"
            # b's tab closed: its entry goes with its view
            await a.wait_for(lambda: here(a) == [f"{name_a} (you)"])
            assert text(a, "#here-count") == "1"

    run(scenario())


def test_a_rename_shows_in_the_other_tabs_presence_list(app):
    async def scenario():
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                await b.wait_for(lambda: len(here(b)) == 2)
                await a.form("#name-form", {"name": "alice"}).change()
                await b.wait_for(lambda: "alice" in here(b))
                assert "alice (you)" in here(a)

    run(scenario())


def test_typing_shows_in_the_other_tab_until_the_message_is_sent(app):
    async def scenario():
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                name_a = name_of(a)
                await b.wait_for(lambda: len(here(b)) == 2)
                assert typing_line(b) == ""
                await a.form("#send-form form", {"text": "hel"}).change()
                await b.wait_for(lambda: typing_line(b) == f"{name_a} is typing…")
                assert f"{name_a} ✎" in here(b)
                assert typing_line(a) == ""  # nobody else is typing; you are not told about yourself
                await say(a, "hello")
                await b.wait_for(lambda: typing_line(b) == "")
                assert name_a in here(b)

    run(scenario())


def test_typing_stops_by_itself_after_a_pause(app, monkeypatch):
    monkeypatch.setattr(chat_module, "TYPING_IDLE", 0.2)

    async def scenario():
        async with live(app, "/chat") as a:
            async with live(app, "/chat") as b:
                name_a = name_of(a)
                await b.wait_for(lambda: len(here(b)) == 2)
                await a.form("#send-form form", {"text": "thinking"}).change()
                await b.wait_for(lambda: typing_line(b) == f"{name_a} is typing…")
                await b.wait_for(lambda: typing_line(b) == "", timeout=5)  # no keystroke for TYPING_IDLE
                await a.form("#send-form form", {"text": ""}).change()  # a cleared box is not typing
                assert typing_line(b) == ""

    run(scenario())


def test_two_typing_tabs_are_listed_together(app):
    async def scenario():
        async with live(app, "/chat") as a, live(app, "/chat") as b, live(app, "/chat") as c:
            await c.wait_for(lambda: len(here(c)) == 3)
            await a.form("#send-form form", {"text": "x"}).change()
            await b.form("#send-form form", {"text": "y"}).change()
            names = sorted([name_of(a), name_of(b)], key=str.lower)
            await c.wait_for(lambda: typing_line(c) == f"{names[0]}, {names[1]} are typing…")

    run(scenario())
