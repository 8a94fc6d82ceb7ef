"""Streams: the ``Stream`` API, its template loop and its wire output.

Expected wire frames are PROTOCOL.md §5's stream examples (checked there against the 1.2.12
client). The property test runs random operation sequences through Stream → template → Differ →
the client's merge and DOM model (``ClientRendered``) and compares the container's children with
a plain Python list that applies the streams guide's rules one operation at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest
from hypothesis import given, settings

from pyview_core import Stream, StreamError
from pyview_core.diff import Differ
from pyview_core.testing.client import ClientRendered
from pyview_templates import Template
from stream_model import apply_op, handler_lists, limits_stay_simple, model_apply

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


def test_wire_output_matches_the_protocol_examples():
    songs = Stream([song(1, "A"), song(2, "B")], name="songs")
    d = Differ()
    assert wire(d.join(SONGS.tree(songs=songs))) == {
        "s": ['<ul id="songs" phx-update="stream">', "</ul>"],
        "0": {"s": ['<li id="', '">', "</li>"], "k": {"0": {"0": "songs-1", "1": "A"}, "1": {"0": "songs-2", "1": "B"}, "kc": 2},
              "stream": ["0", [["songs-1", -1, None, False], ["songs-2", -1, None, False]], []]},
    }
    songs.insert(song(3, "C"), at=0)
    assert wire(d.diff(SONGS.tree(songs=songs))) == {"0": {"k": {"0": {"0": "songs-3", "1": "C"}, "kc": 1}, "stream": ["0", [["songs-3", 0, None, False]], []]}}
    songs.delete_by_id("songs-1")
    assert wire(d.diff(SONGS.tree(songs=songs))) == {"0": {"k": {"kc": 0}, "stream": ["0", [], ["songs-1"]]}}
    songs.reset([song(9, "Z")])
    assert wire(d.diff(SONGS.tree(songs=songs))) == {"0": {"k": {"0": {"0": "songs-9", "1": "Z"}, "kc": 1}, "stream": ["0", [["songs-9", -1, None, False]], [], True]}}
    assert wire(d.diff(SONGS.tree(songs=songs))) == {}  # nothing pending: nothing sent


def test_wire_output_of_insert_many_at_index_delete_item_and_empty_reset():
    songs = Stream(name="songs")
    d = Differ()
    d.join(SONGS.tree(songs=songs))
    songs.insert_many([song(1, "A"), song(2, "B")], at=0)  # one by one: B ends up first
    assert wire(d.diff(SONGS.tree(songs=songs)))["0"] == {
        "k": {"0": {"0": "songs-1", "1": "A"}, "1": {"0": "songs-2", "1": "B"}, "kc": 2},
        "stream": ["0", [["songs-1", 0, None, False], ["songs-2", 0, None, False]], []],
    }
    songs.insert(song(3, "C"), at=2)
    assert wire(d.diff(SONGS.tree(songs=songs)))["0"]["stream"] == ["0", [["songs-3", 2, None, False]], []]
    songs.delete(song(1, "whatever the title, the id decides"))
    assert wire(d.diff(SONGS.tree(songs=songs)))["0"] == {"k": {"kc": 0}, "stream": ["0", [], ["songs-1"]]}
    songs.reset()
    assert wire(d.diff(SONGS.tree(songs=songs)))["0"] == {"k": {"kc": 0}, "stream": ["0", [], [], True]}


def test_limit_and_update_only_travel_in_the_insert_tuple():
    songs = Stream(name="songs")
    d = Differ()
    d.join(SONGS.tree(songs=songs))
    songs.insert(song(1, "A"), limit=-100)
    songs.insert(song(2, "B"), at=0, limit=100, update_only=True)
    ops = d.diff(SONGS.tree(songs=songs))["0"]["stream"]
    assert ops == ["0", [["songs-1", -1, -100, False], ["songs-2", 0, 100, True]], []]


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


def test_after_a_render_the_stream_holds_nothing():
    songs = Stream([song(i, str(i)) for i in range(100)], name="songs")
    SONGS.tree(songs=songs)
    assert not songs._inserts and not songs._deletes and songs._reset is False
    assert SONGS.render(songs=songs) == '<ul id="songs" phx-update="stream"></ul>'


def test_several_streams_and_a_stream_inside_an_if_branch():
    t = Template(
        '<div id="a" phx-update="stream">{% for dom_id, x in a %}<p id="{{ dom_id }}">{{ x.id }}</p>{% endfor %}</div>'
        '{% if show %}<div id="b" phx-update="stream">{% for dom_id, x in b %}<p id="{{ dom_id }}">{{ x.id }}</p>{% endfor %}</div>{% endif %}'
    )
    a, b = Stream([{"id": 1}], name="a"), Stream([{"id": 2}], name="b")
    d = Differ()
    client = ClientRendered(d.join(t.tree(a=a, b=b, show=True)))
    a.insert({"id": 3}, at=0)
    b.insert({"id": 4})
    client.merge(d.diff(t.tree(a=a, b=b, show=True)))
    assert client.html() == (
        '<div id="a" phx-update="stream"><p id="a-3">3</p><p id="a-1">1</p></div>'
        '<div id="b" phx-update="stream"><p id="b-2">2</p><p id="b-4">4</p></div>'
    )


def test_insert_then_delete_in_one_handler_leaves_it_out_and_delete_then_insert_moves_it():
    songs = Stream([song(1, "A"), song(2, "B")], name="songs")
    d = Differ()
    client = ClientRendered(d.join(SONGS.tree(songs=songs)))
    songs.insert(song(3, "C"))
    songs.delete(song(3, "C"))
    songs.delete_by_id("songs-2")
    songs.insert(song(2, "B2"), at=0)
    client.merge(d.diff(SONGS.tree(songs=songs)))
    assert client.html() == '<ul id="songs" phx-update="stream"><li id="songs-2">B2</li><li id="songs-1">A</li></ul>'


# --- property: random operations, client DOM vs. a plain list ----------------------------------

@settings(max_examples=300, deadline=None)
@given(handler_lists)
def test_random_operations_leave_the_dom_the_model_predicts(handlers):
    songs = Stream(name="songs")
    d = Differ()
    client = ClientRendered(d.join(SONGS.tree(songs=songs)))
    model: list[tuple[str, str]] = []
    for h, ops in enumerate(handlers):
        if not limits_stay_simple(ops, model):
            continue
        # Within one handler, an id inserted twice or deleted after its insert follows the
        # guide's in-order rule; the model applies the same operations one by one.
        for k, op in enumerate(ops):
            label = f"h{h}o{k}"
            apply_op(songs, op, label)
            model = model_apply(model, op, label)
        client.merge(d.diff(SONGS.tree(songs=songs)))
        expected = "".join(f'<li id="{dom_id}">{text}</li>' for dom_id, text in model)
        assert client.html() == f'<ul id="songs" phx-update="stream">{expected}</ul>'
