"""Streams: the ``Stream`` API, its template loop, its wire output and its render rounds.

Expected wire frames are PROTOCOL.md §5's stream examples (checked there against the 1.2.12
client). The property tests run random handlers through Stream → template → ``render_rounds`` →
Differ → the client's merge and DOM model (``ClientRendered``), exactly as the channel does, and
compare the container's children with a plain Python list that applies the streams guide's
rules one operation at a time (tests/stream_model.py).
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from typing import TypedDict

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pyview_core import Stream, StreamError
from pyview_core.diff import Differ
from pyview_core.stream import render_rounds
from pyview_core.testing.client import ClientRendered
from pyview_templates import Template
from stream_model import apply_op, handler_lists, model_apply, operation, plain_operation

SONGS = Template(
    '<ul id="songs" phx-update="stream">'
    '{% for dom_id, song in songs %}<li id="{{ dom_id }}">{{ song.title }}</li>{% endfor %}'
    "</ul>"
)


def wire(message: dict) -> dict:
    """What the client receives: statics tuples travel as JSON arrays."""
    return orjson.loads(orjson.dumps(message))


def song(i: int, title: str) -> dict:
    return {"id": i, "title": title}


class View:
    """One connected view the way the channel drives it: render rounds, the Differ, the client."""

    def __init__(self, template: Template, context: dict) -> None:
        self.template, self.context, self.differ = template, context, Differ()
        trees = render_rounds(self.render, context)
        self.client = ClientRendered(self.differ.join(next(trees)))
        for tree in trees:
            self.client.merge(self.differ.diff(tree))

    def render(self):
        return self.template.tree(self.context)

    def send(self) -> list[dict]:
        """The diffs of one handler's changes, in order, each merged into the client."""
        diffs = []
        for tree in render_rounds(self.render, self.context):
            diffs.append(wire(self.differ.diff(tree)))
            self.client.merge(diffs[-1])
        return diffs

    def rows(self) -> str:
        html = self.client.html()
        return html[html.index('phx-update="stream">') + len('phx-update="stream">'):html.index("</ul>")]


def page(model: list[tuple[str, str]]) -> str:
    return "".join(f'<li id="{dom_id}">{text}</li>' for dom_id, text in model)


# --- wire output ----------------------------------------------------------------------------------


def test_wire_output_matches_the_protocol_examples():
    songs = Stream([song(1, "A"), song(2, "B")], name="songs")
    d = Differ()
    trees = render_rounds(lambda: SONGS.tree(songs=songs), {"songs": songs})
    assert wire(d.join(next(trees))) == {
        "s": ['<ul id="songs" phx-update="stream">', "</ul>"],
        "0": {"s": ['<li id="', '">', "</li>"], "k": {"0": {"0": "songs-1", "1": "A"}, "1": {"0": "songs-2", "1": "B"}, "kc": 2},
              "stream": ["0", [["songs-1", -1, None, False], ["songs-2", -1, None, False]], []]},
    }
    assert list(trees) == []
    view = View.__new__(View)
    view.template, view.context, view.differ, view.client = SONGS, {"songs": songs}, d, ClientRendered({"s": [""]})
    songs.insert(song(3, "C"), at=0)
    assert view.send() == [{"0": {"k": {"0": {"0": "songs-3", "1": "C"}, "kc": 1}, "stream": ["0", [["songs-3", 0, None, False]], []]}}]
    songs.delete_by_id("songs-1")
    assert view.send() == [{"0": {"k": {"kc": 0}, "stream": ["0", [], ["songs-1"]]}}]
    songs.reset([song(9, "Z")])
    assert view.send() == [{"0": {"k": {"0": {"0": "songs-9", "1": "Z"}, "kc": 1}, "stream": ["0", [["songs-9", -1, None, False]], [], True]}}]
    assert view.send() == [{}]  # nothing pending: nothing sent


def test_wire_output_of_insert_many_at_index_delete_item_and_empty_reset():
    songs = Stream(name="songs")
    view = View(SONGS, {"songs": songs})
    songs.insert_many([song(1, "A"), song(2, "B")], at=0)  # one by one: B ends up first
    assert view.send()[0]["0"] == {
        "k": {"0": {"0": "songs-1", "1": "A"}, "1": {"0": "songs-2", "1": "B"}, "kc": 2},
        "stream": ["0", [["songs-1", 0, None, False], ["songs-2", 0, None, False]], []],
    }
    songs.insert(song(3, "C"), at=2)
    assert view.send()[0]["0"]["stream"] == ["0", [["songs-3", 2, None, False]], []]
    songs.delete(song(1, "whatever the title, the id decides"))
    assert view.send()[0]["0"] == {"k": {"kc": 0}, "stream": ["0", [], ["songs-1"]]}
    songs.reset()
    assert view.send()[0]["0"] == {"k": {"kc": 0}, "stream": ["0", [], [], True]}
    assert view.rows() == ""


def test_limit_and_update_only_travel_in_the_insert_tuple():
    songs = Stream(name="songs")
    view = View(SONGS, {"songs": songs})
    songs.insert(song(1, "A"), limit=-100)
    songs.insert(song(2, "B"), at=0, limit=100, update_only=True)
    assert view.send()[0]["0"]["stream"] == ["0", [["songs-1", -1, -100, False], ["songs-2", 0, 100, True]], []]


@dataclass
class Message:
    id: int
    text: str


def test_dom_ids_from_attribute_dict_key_or_function():
    assert Stream(name="messages").dom_id(Message(7, "x")) == "messages-7"
    assert Stream(name="items").dom_id({"id": 1}) == "items-1"
    assert Stream(name="items", dom_id=lambda m: f"item-{m.text}").dom_id(Message(1, "u1")) == "item-u1"


def test_an_item_without_id_is_a_clear_error_naming_the_stream():
    with pytest.raises(StreamError, match="stream 'todos'.*no `id` key"):
        Stream([{"title": "x"}], name="todos")
    with pytest.raises(StreamError, match="stream 'todos'.*no `id` attribute"):
        Stream([object()], name="todos")


@pytest.mark.parametrize("kwargs", [{"at": -2}, {"at": "0"}, {"limit": 0}, {"limit": 1.5}])
def test_bad_positions_and_limits_are_refused(kwargs):
    with pytest.raises(StreamError):
        Stream(name="s").insert({"id": 1}, **kwargs)


@pytest.mark.parametrize(
    "source",
    [
        "{% for song in songs %}x{% endfor %}",
        "{% for dom_id, song in songs if song %}x{% endfor %}",
        "{% for dom_id, song in songs %}x{% else %}none{% endfor %}",
        "{{ songs|list }}",
        "{{ songs|length }}",
        "{{ songs }}",
    ],
)
def test_iterating_a_stream_any_other_way_is_a_clear_error(source):
    with pytest.raises(TypeError, match="stream 'songs'"):
        Template(source).render(songs=Stream([song(1, "A")], name="songs"))


# --- rendering is pure; operations are forgotten when their diff is produced -------------------


def test_rendering_a_tree_consumes_nothing():
    """A tree rendered for a log or a test must not steal the rows the next diff has to send."""
    songs = Stream([song(i, str(i)) for i in range(3)], name="songs")
    def rows_and_ops(tree):
        loop = tree.dynamics[0]
        return loop.entries, loop.stream.inserts, loop.stream.deletes, loop.stream.reset

    first = rows_and_ops(SONGS.tree(songs=songs))
    assert first[0] == [["songs-0", "0"], ["songs-1", "1"], ["songs-2", "2"]]
    assert rows_and_ops(SONGS.tree(songs=songs)) == first
    html = '<ul id="songs" phx-update="stream"><li id="songs-0">0</li><li id="songs-1">1</li><li id="songs-2">2</li></ul>'
    assert SONGS.render(songs=songs) == html
    assert SONGS.render(songs=songs) == html
    view = View(SONGS, {"songs": songs})  # the join still carries every row
    assert view.rows() == page([(f"songs-{i}", str(i)) for i in range(3)])


def test_the_differ_leaves_the_tree_it_is_given_unchanged():
    songs = Stream([song(1, "A"), song(2, "B")], name="songs")
    tree = SONGS.tree(songs=songs)
    d = Differ()
    d.join(tree)
    assert [e for e in tree.dynamics[0].entries] == [["songs-1", "A"], ["songs-2", "B"]]
    songs.insert(song(3, "C"))
    tree = SONGS.tree(songs=songs)
    d.diff(tree)
    assert len(tree.dynamics[0].entries) == 3  # still the whole (unsent) segment, as rendered


def test_after_the_render_rounds_the_stream_holds_nothing():
    songs = Stream([song(i, str(i)) for i in range(100)], name="songs")
    View(SONGS, {"songs": songs})
    assert songs.pending_segments == 0
    assert SONGS.render(songs=songs) == '<ul id="songs" phx-update="stream"></ul>'


def test_a_diff_that_fails_loses_no_operation():
    """The channel never resumes the rounds when the diff raises: the operations stay pending and
    the next handler's diff delivers them."""
    songs = Stream(name="songs")
    view = View(SONGS, {"songs": songs})
    songs.insert(song(1, "A"))
    trees = render_rounds(view.render, view.context)
    next(trees)  # ... and the Differ raised: the channel drops the iterator
    del trees
    songs.insert(song(2, "B"))
    assert len(view.send()) == 1
    assert view.rows() == page([("songs-1", "A"), ("songs-2", "B")])


def test_several_streams_and_a_stream_inside_an_if_branch():
    t = Template(
        '<div id="a" phx-update="stream">{% for dom_id, x in a %}<p id="{{ dom_id }}">{{ x.id }}</p>{% endfor %}</div>'
        '{% if show %}<div id="b" phx-update="stream">{% for dom_id, x in b %}<p id="{{ dom_id }}">{{ x.id }}</p>{% endfor %}</div>{% endif %}'
    )
    a, b = Stream([{"id": 1}], name="a"), Stream([{"id": 2}], name="b")
    view = View(t, {"a": a, "b": b, "show": True})
    a.insert({"id": 3}, at=0)
    b.insert({"id": 4})
    view.send()
    assert view.client.html() == (
        '<div id="a" phx-update="stream"><p id="a-3">3</p><p id="a-1">1</p></div>'
        '<div id="b" phx-update="stream"><p id="b-2">2</p><p id="b-4">4</p></div>'
    )


def test_insert_then_delete_in_one_handler_leaves_it_out_and_delete_then_insert_moves_it():
    songs = Stream([song(1, "A"), song(2, "B")], name="songs")
    view = View(SONGS, {"songs": songs})
    songs.insert(song(3, "C"))
    songs.delete(song(3, "C"))
    songs.delete_by_id("songs-2")
    songs.insert(song(2, "B2"), at=0)
    assert len(view.send()) == 1
    assert view.rows() == '<li id="songs-2">B2</li><li id="songs-1">A</li>'


# --- pruning: what a render did not show is dropped, as Phoenix does -----------------------------

HIDDEN = Template(
    '<p>{{ n }}</p>{% if show %}<ul id="songs" phx-update="stream">'
    '{% for dom_id, song in songs %}<li id="{{ dom_id }}">{{ song.title }}</li>{% endfor %}</ul>{% endif %}'
)


def test_a_stream_in_a_false_if_holds_nothing_after_a_render():
    songs = Stream([song(1, "A")], name="songs")
    view = View(HIDDEN, {"songs": songs, "show": False, "n": 0})
    assert songs.pending_segments == 0
    songs.insert(song(2, "B"), limit=3)
    songs.delete_by_id("songs-1")  # two segments
    view.context["n"] = 1
    assert len(view.send()) == 1  # nothing rendered the stream: no extra diffs for it
    assert songs.pending_segments == 0
    # Shown later, it starts from what is inserted after that (Phoenix's behaviour).
    view.context["show"] = True
    songs.insert(song(3, "C"))
    view.send()
    assert view.client.html() == '<p>1</p><ul id="songs" phx-update="stream"><li id="songs-3">C</li></ul>'


def test_a_hidden_stream_stays_small_over_ten_thousand_inserts():
    songs = Stream(name="songs")
    view = View(HIDDEN, {"songs": songs, "show": False, "n": 0})

    def handlers(first: int, count: int) -> None:
        for i in range(first, first + count):
            songs.insert(song(i, "x" * 100), limit=-50)
            view.context["n"] = i
            view.send()

    handlers(0, 100)  # warm up: caches, the Differ's first state
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        handlers(100, 10_000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert songs.pending_segments == 0
    assert grown < 64 * 1024, f"{grown} bytes retained after 10,000 hidden inserts"


@dataclass
class DataContext:
    songs: Stream
    show: bool = False
    n: int = 0


class TypedContext(TypedDict):
    songs: Stream
    show: bool
    n: int


class PlainContext:
    def __init__(self, songs: Stream) -> None:
        self.songs, self.show, self.n = songs, False, 0


@pytest.mark.parametrize("make", [
    DataContext,
    lambda s: TypedContext(songs=s, show=False, n=0),
    PlainContext,
], ids=["dataclass", "TypedDict", "object"])
def test_hidden_streams_are_found_in_every_kind_of_context(make):
    songs = Stream([song(1, "A")], name="songs")
    context = make(songs)
    rounds = list(render_rounds(lambda: HIDDEN.tree(context), context))
    assert len(rounds) == 1 and songs.pending_segments == 0


def test_a_stream_the_render_read_outside_the_top_level_is_forgotten_once_sent():
    """Rendered streams are recorded by the render itself, wherever they sit in the context."""
    t = Template('{% for g in groups %}<ul id="{{ g.name }}" phx-update="stream">'
                 '{% for dom_id, x in g.rows %}<li id="{{ dom_id }}">{{ x.id }}</li>{% endfor %}</ul>{% endfor %}')
    rows = Stream([{"id": 1}], name="rows")
    rows.insert({"id": 2}, limit=-1)
    rows.delete_by_id("rows-1")  # a second segment
    context = {"groups": [{"name": "g", "rows": rows}]}
    view = View(t, context)
    assert rows.pending_segments == 0
    assert view.client.html() == '<ul id="g" phx-update="stream"><li id="rows-2">2</li></ul>'


# --- operations apply in order: segments ---------------------------------------------------------


def run(handlers: list[list[tuple]]) -> tuple[View, list[tuple[str, str]], list[int]]:
    """Apply each handler's operations to a stream and to the plain-list model; after each
    handler, the client's page must be the model's. Returns the diffs each handler needed."""
    songs = Stream(name="songs")
    view = View(SONGS, {"songs": songs})
    model: list[tuple[str, str]] = []
    counts = []
    for h, ops in enumerate(handlers):
        for k, op in enumerate(ops):
            label = f"h{h}o{k}"
            apply_op(songs, op, label)
            model = model_apply(model, op, label)
        counts.append(len(view.send()))
        assert view.rows() == page(model), f"after handler {h}: {ops}"
        assert songs.pending_segments == 0
    return view, model, counts


FILL = [("insert", i, -1, None, False) for i in (1, 2, 3)]


def test_an_insert_with_a_limit_then_a_delete_of_another_item():
    # One diff would delete first and then count 1, 3, 4 against the limit: 1 would survive.
    _, model, counts = run([FILL, [("insert", 4, -1, -3, False), ("delete", 2)]])
    assert [dom_id for dom_id, _ in model] == ["songs-3", "songs-4"]
    assert counts == [1, 2]


def test_an_insert_then_a_delete_of_the_same_id_with_a_limit_between():
    # One diff would never add 3, so the limit would keep 1.
    _, model, counts = run([FILL[:2], [("insert", 3, -1, None, False), ("insert", 4, -1, -3, False), ("delete", 3)]])
    assert [dom_id for dom_id, _ in model] == ["songs-2", "songs-4"]
    assert counts == [1, 2]


def test_a_reset_in_the_middle_of_a_handler():
    # Before the reset nothing counts; after it, an insert by index then a delete in front of it.
    _, model, counts = run([FILL, [
        ("insert", 5, -1, 1, False), ("delete", 1),
        ("reset", [6, 7]), ("insert", 8, 1, None, False), ("delete", 6),
    ]])
    assert [dom_id for dom_id, _ in model] == ["songs-8", "songs-7"]
    assert counts == [1, 2]


def test_an_item_a_limit_removed_comes_back_when_inserted_again():
    # The client would morph the removed element (it stays removed) if both rows shared a diff.
    _, model, counts = run([FILL, [("insert", 4, 0, 3, False), ("insert", 3, -1, None, False)]])
    assert [dom_id for dom_id, _ in model] == ["songs-4", "songs-1", "songs-2", "songs-3"]
    assert counts == [1, 2]


def test_a_plain_handler_is_one_diff():
    ops = [("insert", 4, 0, None, False), ("insert", 1, -1, None, False), ("delete", 2),
           ("insert", 5, -1, None, True), ("insert", 2, -1, None, False), ("insert", 6, 0, None, False)]
    _, _, counts = run([FILL, ops])
    assert counts == [1, 1]


def test_inserting_many_new_items_after_a_reset_with_a_limit_is_one_diff():
    """After a reset every id is known not to be on the page, so limits cannot hide anything."""
    _, model, counts = run([FILL, [("reset", [])] + [("insert", i, -1, -3, False) for i in range(10, 16)]])
    assert [dom_id for dom_id, _ in model] == ["songs-13", "songs-14", "songs-15"]
    assert counts == [1, 1]


@settings(max_examples=400, deadline=None)
@given(handler_lists)
@example([FILL, [("insert", 4, -1, -3, False), ("delete", 2)]])
@example([FILL[:2], [("insert", 3, -1, None, False), ("insert", 4, -1, -3, False), ("delete", 3)]])
@example([FILL, [("insert", 5, -1, 1, False), ("reset", [6, 7]), ("insert", 8, 1, None, False), ("delete", 6)]])
@example([FILL, [("insert", 4, 0, 3, False), ("insert", 3, -1, None, False)]])
@example([FILL, [("insert", 4, 0, -2, False), ("insert", 4, -1, None, False)]])
def test_every_handler_leaves_the_page_the_guide_predicts(handlers):
    """Stream -> render_rounds -> Differ -> client: the page after each handler is the plain list
    that applies its operations one by one, for every mix of operations (no exceptions)."""
    _, _, counts = run(handlers)
    assert all(n <= max(1, len(ops)) for n, ops in zip(counts, handlers))


@settings(max_examples=200, deadline=None)
@given(st.lists(operation, max_size=6), st.lists(plain_operation, min_size=1, max_size=8))
def test_a_handler_without_limits_or_index_positions_is_one_diff(setup, ops):
    """The common case (append, prepend, update, delete, reset) never pays for extra diffs."""
    _, _, counts = run([setup, ops])
    assert counts[1] == 1
