"""Live components through the real protocol (the test client joins over the app's WebSocket).

What a user of Phoenix's live components expects: state of its own that survives the parent's
renders, events routed by ``phx-target="{{ myself }}"`` that re-render only the component (a
diff of ``"c"`` alone), ``update`` with the parent's new assigns, ``send_update`` and
``send_parent``, components freed once the browser removed them, in loops and streams, and
mistakes reported with the component's name and the template line.
"""

from __future__ import annotations

import logging

import cp_views
import pytest
from async_runner import run
from selectolax.lexbor import LexborHTMLParser

from pyview_core import ComponentError
from pyview_core.testing import LiveViewTestError, live

app = cp_views.app


def counters(html: str) -> dict[str, tuple[str, str, str]]:
    """What a user sees per counter: its id -> (label, count, its component mark)."""
    tree = LexborHTMLParser(html)
    return {
        node.attributes["id"].removeprefix("counter-"): (
            node.css_first(".label").text(), node.css_first(".count").text(), node.attributes.get("data-phx-component") or "",
        )
        for node in tree.css(".counter")
    }


class Wire:
    """The diffs a test view receives (replies and pushes), as the client merged them."""

    def __init__(self, view) -> None:
        self.diffs: list[dict] = []
        merge = view._merge

        def spy(diff):
            self.diffs.append(diff)
            merge(diff)

        view._merge = spy

    def take(self) -> list[dict]:
        diffs, self.diffs = self.diffs, []
        return diffs


def test_the_dead_render_shows_the_components_and_the_join_marks_them():
    async def scenario():
        async with live(app, "/board") as view:
            assert counters(view._page.html) == {"a": ("A", "0", ""), "b": ("B", "0", "")}  # no marks before the join
            assert counters(view.html()) == {"a": ("A", "0", "1"), "b": ("B", "0", "2")}

    run(scenario())


def test_a_component_event_changes_only_that_component_and_sends_only_its_diff():
    async def scenario():
        async with live(app, "/board") as view:
            wire = Wire(view)
            html = await view.element("#counter-b .inc").click()
            assert counters(html) == {"a": ("A", "0", "1"), "b": ("B", "1", "2")}
            # the count (dynamic 2 of the counter's template: id, label, count) of cid 2, nothing of the view
            assert wire.take() == [{"c": {"2": {"2": "1"}}}]

    run(scenario())


def test_the_parent_re_renders_with_new_assigns_and_the_component_keeps_its_state():
    async def scenario():
        async with live(app, "/board") as view:
            await view.element("#counter-a .inc").click()
            await view.element("#counter-a .inc").click()
            html = await view._push_event({"type": "click", "event": "relabel", "value": {"id": "a", "label": "Alpha"}}, "relabel")
            assert counters(html)["a"] == ("Alpha", "2", "1")  # update merged the label; the count stayed

    run(scenario())


def test_send_parent_reaches_the_views_handle_info():
    async def scenario():
        async with live(app, "/board") as view:
            for _ in range(3):
                html = await view.element("#counter-b .inc").click()
            html = await view.render_async()
            assert LexborHTMLParser(html).css_first("#reached").text() == "b"
            assert counters(html)["b"] == ("B", "3", "2")

    run(scenario())


@pytest.mark.parametrize("event", ["reset", "reset_later"])
def test_send_update_from_the_view_or_a_job_runs_update_and_re_renders(event):
    async def scenario():
        async with live(app, "/board") as view:
            await view.element("#counter-a .inc").click()
            await view.element("#counter-b .inc").click()
            wire = Wire(view)
            await view._push_event({"type": "click", "event": event, "value": {"id": "b"}}, event)
            html = await view.wait_for(lambda: counters(view.html())["b"][1] == "0")
            assert counters(html) == {"a": ("A", "1", "1"), "b": ("B", "0", "2")}
            # the view rendered too (its handler ran), and its diff names the changed component's place
            assert [d["c"] for d in wire.take() if "c" in d] == [{"2": {"2": "0"}}]

    run(scenario())


def test_send_update_to_a_component_that_does_not_exist_is_logged_not_fatal(caplog):
    async def scenario():
        async with live(app, "/board") as view:
            with caplog.at_level(logging.WARNING, logger="pyview_core"):
                html = await view._push_event({"type": "click", "event": "update_nobody", "value": {}}, "update_nobody")
            assert counters(html) == {"a": ("A", "0", "1"), "b": ("B", "0", "2")}

    run(scenario())
    assert any("send_update(Counter, id='nobody')" in r.getMessage() for r in caplog.records)


def test_a_flash_put_by_a_component_shows_on_the_view():
    async def scenario():
        async with live(app, "/board") as view:
            html = await view.element("#counter-a .flash").click()
            assert "hello from a" in LexborHTMLParser(html).css_first("#flash-group").text()

    run(scenario())


def test_a_removed_component_is_destroyed_and_a_new_one_gets_a_new_cid():
    async def scenario():
        async with live(app, "/board") as view:
            channel = view._channel
            await view.element("#counter-a .inc").click()
            html = await view._push_event({"type": "click", "event": "remove", "value": {"id": "a"}}, "remove")
            assert counters(html) == {"b": ("B", "0", "2")}
            # the test client did what the browser does: cids_will_destroy, then cids_destroyed
            assert channel.components.cids == [2] and channel.differ.component_count == 1
            html = await view._push_event({"type": "click", "event": "add", "value": {"id": "a"}}, "add")
            assert counters(html)["a"] == ("A", "0", "3")  # a new component: fresh state, cid 3

    run(scenario())


def test_a_component_marked_for_destruction_but_rendered_again_survives():
    async def scenario():
        async with live(app, "/board") as view:
            channel = view._channel
            await view.element("#counter-a .inc").click()
            await view._request("cids_will_destroy", {"cids": [1]}, "will destroy")
            await view._push_event({"type": "click", "event": "relabel", "value": {"id": "a", "label": "again"}}, "relabel")
            reply = await view._request("cids_destroyed", {"cids": [1, 99]}, "destroyed")
            assert reply == {"cids": []}  # rendered again meanwhile; 99 was never there
            assert counters(view.html())["a"] == ("again", "1", "1") and channel.components.cids == [1, 2]

    run(scenario())


def test_an_event_for_an_unknown_component_is_refused_with_its_cid():
    async def scenario():
        async with live(app, "/board") as view:
            with pytest.raises(LiveViewTestError, match="targets component 99, which Board does not have"):
                await view._push_event({"type": "click", "event": "inc", "value": {}, "cid": 99}, "click")
            assert counters(await view.element("#counter-a .inc").click())["a"][1] == "1"  # the view goes on

    run(scenario())


@pytest.mark.parametrize("mode, message, line", [
    ("duplicate", "duplicate id 'a' for live component Counter in one render of Mistakes", 5),
    ("missing", r"live_component\(Counter\) needs an id=", 7),
    ("not_a_component", "needs a LiveComponent subclass as its first argument, got 'not_a_component'", 9),
])
def test_placing_mistakes_name_the_component_and_the_template_line(mode, message, line):
    async def scenario():
        async with live(app, "/mistakes") as view:
            with pytest.raises(ComponentError, match=message) as raised:
                await view._push_event({"type": "click", "event": "mode", "value": {"mode": mode}}, "mode")
            assert any(f'in template "cp_errors.html", line {line}' in note for note in raised.value.__notes__)

    run(scenario())


def test_a_component_with_two_root_tags_is_refused_naming_its_template():
    async def scenario():
        async with live(app, "/mistakes") as view:
            with pytest.raises(ComponentError, match=r"TwoRoots .* must render a single root HTML tag.*cp_two_roots.html"):
                await view._push_event({"type": "click", "event": "mode", "value": {"mode": "two_roots"}}, "mode")

    run(scenario())


def test_a_crash_in_update_names_the_component_and_other_views_go_on():
    async def scenario():
        async with live(app, "/board") as other:
            async with live(app, "/mistakes") as view:
                with pytest.raises(RuntimeError, match="update failed on purpose") as raised:
                    await view._push_event({"type": "click", "event": "mode", "value": {"mode": "crash"}}, "mode")
                assert "in update of live component Crashing (id=1, cid 1) of Mistakes" in raised.value.__notes__
            assert counters(await other.element("#counter-a .inc").click())["a"][1] == "1"

    run(scenario())


def test_a_mistake_on_the_dead_render_names_the_line_and_the_server_goes_on():
    async def scenario():
        with pytest.raises(ComponentError, match=r"needs an id=") as raised:
            async with live(app, "/mistakes?mode=missing"):
                pass
        assert any('in template "cp_errors.html", line 7' in note for note in raised.value.__notes__)
        async with live(app, "/board") as view:
            assert counters(await view.element("#counter-b .inc").click())["b"][1] == "1"

    run(scenario())


def test_components_as_stream_rows_and_a_stream_inside_a_component():
    async def scenario():
        async with live(app, "/streamed") as view:
            channel = view._channel
            await view.element("#add").click()
            await view.element("#log-add").click()
            html = await view.element("#log-add").click()
            assert [li.text() for li in LexborHTMLParser(html).css("#log-lines li")] == ["line", "line"]
            # a component in a row the client keeps is patched in place by its own event
            html = await view.element("#items-1 button").click()
            rows = LexborHTMLParser(html).css("#items li")
            assert [r.attributes["id"] for r in rows] == ["items-1", "items-2", "items-3"]
            assert rows[0].css_first("b").text() == "starred"
            # a row deleted from the stream takes its component with it
            html = await view._push_event({"type": "click", "event": "drop", "value": {"id": 1}}, "drop")
            assert [r.attributes["id"] for r in LexborHTMLParser(html).css("#items li")] == ["items-2", "items-3"]
            assert 1 not in channel.components.cids and channel.differ.component_count == len(channel.components)

    run(scenario())


def test_myself_outside_a_component_says_where_it_belongs():
    from pyview_core.component_globals import myself_global

    with pytest.raises(RuntimeError, match="only defined in a live component's template"):
        str(myself_global)


def test_a_class_name_two_modules_use_means_the_one_beside_the_view():
    import cp_other
    import cp_third

    from pyview_core import PyView

    other = PyView(secret_key=cp_views.SECRET)
    other.add_live_view("/other", cp_other.OtherBoard)
    other.add_live_view("/third", cp_third.ThirdBoard)

    async def scenario():
        async with live(app, "/board") as view:  # cp_views.Counter, beside Board
            assert counters(view.html())["a"] == ("A", "0", "1")
        async with live(other, "/other") as view:  # cp_other.Counter, beside OtherBoard
            assert LexborHTMLParser(view.html()).css_first(".other-counter").text() == "other x"
        with pytest.raises(ComponentError, match=r"live_component\(Counter\).*cp_other.Counter.*cp_views.Counter|cp_views.Counter.*cp_other.Counter"):
            async with live(other, "/third"):
                pass

    run(scenario())


def test_myself_passed_to_a_child_names_the_component_that_placed_it():
    import cp_other

    from pyview_core import PyView

    other = PyView(secret_key=cp_views.SECRET)
    other.add_live_view("/other", cp_other.OtherBoard)

    async def scenario():
        async with live(other, "/other") as view:
            outer = LexborHTMLParser(view.html()).css_first(".outer")
            inner = outer.css_first(".inner")
            assert inner.attributes["data-parent"] == outer.attributes["data-phx-component"]
            assert inner.attributes["data-self"] == inner.attributes["data-phx-component"] != inner.attributes["data-parent"]

    run(scenario())
