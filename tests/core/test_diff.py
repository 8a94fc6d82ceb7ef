"""Exact wire output of the diff core, checked by hand against PROTOCOL.md §4–§5.

Expected values are written from the protocol text, not copied from the code's output.
"""

import json
import tracemalloc

import pytest

from pyview_core.diff import Differ, StreamOps, single_root
from pyview_templates import Comprehension, DictLoader, Environment, Rendered, Template
from pyview_templates.tree import join


def wire(obj):
    """As the client receives it: statics tuples become JSON arrays."""
    return json.loads(json.dumps(obj))


PAGE = Template(
    "<div>\n  <h2>It's {{ time }}</h2>\n  {% if name %}<b>Hello {{ name }}</b>{% endif %}"
    "\n  <ul>{% for x in xs %}<li>{{ x }}</li>{% endfor %}</ul>\n</div>"
)


def page(**ctx):
    return PAGE.tree({"time": "10:30", "name": "World", "xs": ["a", "b"], **ctx})


def test_join_is_the_protocol_first_render():
    d = Differ()
    assert wire(d.join(page(), title="Home")) == {
        "s": ["<div>\n  <h2>It's ", "</h2>\n  ", "\n  <ul>", "</ul>\n</div>"],
        "0": "10:30",
        "1": {"s": ["<b>Hello ", "</b>"], "0": "World", "r": 1},
        "2": {"s": ["<li>", "</li>"], "k": {"0": {"0": "a"}, "1": {"0": "b"}, "kc": 2}},
        "t": "Home",
    }


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"time": "10:31"}, {"0": "10:31"}),
        ({"xs": ["A", "b", "c"]}, {"2": {"k": {"0": {"0": "A"}, "2": {"0": "c"}, "kc": 3}}}),
        ({"xs": ["a"]}, {"2": {"k": {"kc": 1}}}),
        ({"xs": []}, {"2": {"k": {"kc": 0}}}),
        ({"name": None}, {"1": ""}),
        ({"name": "Ada"}, {"1": {"0": "Ada"}}),
        ({}, {}),
    ],
)
def test_diff_sends_only_what_changed(change, expected):
    d = Differ()
    d.join(page())
    assert wire(d.diff(page(**change))) == expected


def test_branch_switch_sends_new_statics_with_all_dynamics():
    t = Template("{% if on %}<b>{{ a }}</b>{% else %}<i>{{ a }}-{{ b }}</i>{% endif %}")
    d = Differ()
    d.join(t.tree(on=True, a=1, b=2))
    assert wire(d.diff(t.tree(on=False, a=1, b=2))) == {"0": {"s": ["<i>", "-", "</i>"], "0": "1", "1": "2", "r": 1}}
    assert wire(d.diff(t.tree(on=False, a=1, b=3))) == {"0": {"1": "3"}}
    # Back to the first branch: the client replaced that subtree, so its statics are new again.
    assert wire(d.diff(t.tree(on=True, a=1, b=3))) == {"0": {"s": ["<b>", "</b>"], "0": "1", "r": 1}}


def test_position_that_held_a_string_gets_statics():
    t = Template("{% if on %}<b>{{ a }}</b>{% endif %}")
    d = Differ()
    d.join(t.tree(on=False, a=1))
    assert wire(d.diff(t.tree(on=True, a=1))) == {"0": {"s": ["<b>", "</b>"], "0": "1", "r": 1}}


def test_one_cell_in_row_500_of_1000_sends_only_that_cell():
    t = Template("<table>{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.name }}</td></tr>{% endfor %}</table>")
    rows = [{"id": i, "name": f"n{i}"} for i in range(1000)]
    d = Differ()
    d.join(t.tree(rows=rows))
    rows[500]["name"] = "changed"  # mutated in place, as the documentation examples do
    assert d.diff(t.tree(rows=rows)) == {"0": {"k": {"500": {"1": "changed"}, "kc": 1000}}}
    assert len(d.diff_json(t.tree(rows=[dict(r, name="x") if r["id"] == 7 else r for r in rows]))) <= 100


def test_in_place_list_mutation_between_renders():
    t = Template("{% for m in messages %}<p>{{ m }}</p>{% endfor %}")
    messages = ["a"]
    ctx = {"messages": messages}
    d = Differ()
    d.join(t.tree(ctx))
    messages.append("b")
    assert wire(d.diff(t.tree(ctx))) == {"0": {"k": {"1": {"0": "b"}, "kc": 2}}}
    messages[0] = "A"
    assert wire(d.diff(t.tree(ctx))) == {"0": {"k": {"0": {"0": "A"}, "kc": 2}}}


def test_nested_loops_and_loops_in_branches():
    t = Template("{% if show %}{% for r in rows %}<tr>{% for c in r %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}{% endif %}")
    d = Differ()
    d.join(t.tree(show=True, rows=[[1, 2], [3]]))
    assert wire(d.diff(t.tree(show=True, rows=[[1, 2], [3, 4]]))) == {
        "0": {"0": {"k": {"1": {"0": {"k": {"1": {"0": "4"}, "kc": 2}}}, "kc": 2}}}
    }


def test_keyed_moves_use_km():
    t = Template("<ul>{% for r in rows key r.id %}<li>{{ r.v }}</li>{% endfor %}</ul>")
    d = Differ()
    d.join(t.tree(rows=[{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]))
    # PROTOCOL §5: "moves with km": b moves up unchanged, a moves down and changes.
    assert wire(d.diff(t.tree(rows=[{"id": 2, "v": "b"}, {"id": 1, "v": "a2"}]))) == {
        "0": {"k": {"0": 1, "1": [0, {"0": "a2"}], "kc": 2, "km": True}}
    }


def test_keyed_insert_at_top_sends_one_row_and_moves():
    t = Template("{% for r in rows key r.id %}<li>{{ r.v }}</li>{% endfor %}")
    rows = [{"id": i, "v": f"r{i}"} for i in range(3)]
    d = Differ()
    d.join(t.tree(rows=rows))
    rows.insert(0, {"id": 99, "v": "new"})
    assert wire(d.diff(t.tree(rows=rows))) == {"0": {"k": {"0": {"0": "new"}, "1": 0, "2": 1, "3": 2, "kc": 4, "km": True}}}


def test_keyed_without_moves_has_no_km():
    t = Template("{% for r in rows key r.id %}<li>{{ r.v }}</li>{% endfor %}")
    d = Differ()
    d.join(t.tree(rows=[{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]))
    assert wire(d.diff(t.tree(rows=[{"id": 1, "v": "a"}]))) == {"0": {"k": {"kc": 1}}}
    assert wire(d.diff(t.tree(rows=[{"id": 1, "v": "A"}]))) == {"0": {"k": {"0": {"0": "A"}, "kc": 1}}}


def test_duplicate_keys_fall_back_to_positions():
    t = Template("{% for r in rows key r.id %}<li>{{ r.v }}</li>{% endfor %}")
    d = Differ()
    d.join(t.tree(rows=[{"id": 1, "v": "a"}, {"id": 1, "v": "b"}]))
    assert wire(d.diff(t.tree(rows=[{"id": 1, "v": "b"}, {"id": 1, "v": "b"}]))) == {"0": {"k": {"0": {"0": "b"}, "kc": 2}}}


def test_include_and_block_nodes_diff_like_any_node():
    env = Environment(loader=DictLoader({"card.html": "<div class=\"card\">{{ title }}</div>"}))
    t = env.from_string("<main>{% include 'card.html' %}</main>")
    d = Differ()
    assert wire(d.join(t.tree(title="a"))) == {"s": ["<main>", "</main>"], "0": {"s": ['<div class="card">', "</div>"], "0": "a", "r": 1}}
    assert wire(d.diff(t.tree(title="b"))) == {"0": {"0": "b"}}


def test_text_is_always_a_string():
    t = Template("{{ n }}{{ nothing }}{{ flag }}")
    out = Differ().join(t.tree(n=5, nothing=None, flag=True))
    assert [out["0"], out["1"], out["2"]] == ["5", "", "True"]


def test_title_and_events_at_the_top():
    d = Differ()
    d.join(page())
    assert wire(d.diff(page(), title="Inbox (1)", events=[("highlight", {"id": 1})])) == {
        "t": "Inbox (1)",
        "e": [["highlight", {"id": 1}]],
    }


def test_root_template_change_sends_everything():
    d = Differ()
    d.join(Template("<p>{{ a }}</p>").tree(a=1))
    assert wire(d.diff(Template("<h1>{{ a }}</h1>").tree(a=1))) == {"s": ["<h1>", "</h1>"], "0": "1"}


def test_json_bytes_in_one_call():
    d = Differ()
    assert json.loads(d.join_json(page())) == wire(Differ().join(page()))
    assert d.diff_json(page(time="10:31")) == b'{"0":"10:31"}'


# --- the root flag ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statics, root",
    [
        (("<b>", "</b>"), True),
        (("\n  <div class=\"", "\">", "</div>\n"), True),
        (("<img src=\"", "\">",), True),
        (("<br/>",), True),
        (("<p>a</p><p>b</p>",), False),
        (("text",), False),
        (("",), False),
        (("<b>", "</b>", ""), False),  # a dynamic after the element could render a sibling
        (("", "<b>x</b>"), False),
        (("<p>x</p>", ""), False),
        (("<div><p>", "</p><span>", "</span></div>"), True),
        (("<div title=\"a > b\">x</div>",), True),
        (("<script>if (a < b) {}</script>",), True),
        (("<!-- c --><p>x</p>",), False),
        (("<p>x</p><!-- c -->",), False),
    ],
)
def test_single_root_detection(statics, root):
    assert single_root(statics) is root


# --- streams (the tree carries pending operations; PROTOCOL §4.8, §5 "Streams") ------------------


def stream_tree(entries, ops):
    body = Comprehension(11, ('<li id="', '">', "</li>"), entries, stream=ops)
    return Rendered(7, ('<ul id="songs" phx-update="stream">', "</ul>"), [body])


def test_stream_wire_format_matches_the_protocol_example():
    d = Differ()
    join = d.join(stream_tree(
        [["songs-1", "A"], ["songs-2", "B"]],
        StreamOps("songs", [("songs-1", -1, None, False), ("songs-2", -1, None, False)]),
    ))
    assert wire(join) == {
        "s": ['<ul id="songs" phx-update="stream">', "</ul>"],
        "0": {"s": ['<li id="', '">', "</li>"], "k": {"0": {"0": "songs-1", "1": "A"}, "1": {"0": "songs-2", "1": "B"}, "kc": 2},
              "stream": ["0", [["songs-1", -1, None, False], ["songs-2", -1, None, False]], []]},
    }
    insert = d.diff(stream_tree([["songs-3", "C"]], StreamOps("songs", [("songs-3", 0, None, False)])))
    assert wire(insert) == {"0": {"k": {"0": {"0": "songs-3", "1": "C"}, "kc": 1}, "stream": ["0", [["songs-3", 0, None, False]], []]}}
    delete = d.diff(stream_tree([], StreamOps("songs", deletes=["songs-1"])))
    assert wire(delete) == {"0": {"k": {"kc": 0}, "stream": ["0", [], ["songs-1"]]}}
    reset = d.diff(stream_tree([["songs-9", "Z"]], StreamOps("songs", [("songs-9", -1, None, False)], reset=True)))
    assert wire(reset) == {"0": {"k": {"0": {"0": "songs-9", "1": "Z"}, "kc": 1}, "stream": ["0", [["songs-9", -1, None, False]], [], True]}}
    # No pending operations: the stream is left out entirely.
    assert d.diff(stream_tree([], StreamOps("songs"))) == {}


def test_stream_refs_are_per_view_and_stable():
    def two(ops_a, ops_b):
        a = Comprehension(1, ("<i>", "</i>"), [], stream=ops_a)
        b = Comprehension(2, ("<b>", "</b>"), [], stream=ops_b)
        return Rendered(3, ("", "", ""), [a, b])

    d = Differ()
    out = d.join(two(StreamOps("a"), StreamOps("b")))
    assert (out["0"]["stream"][0], out["1"]["stream"][0]) == ("0", "1")
    out = d.diff(two(StreamOps("a", deletes=["a-1"]), StreamOps("b", deletes=["b-1"])))
    assert (out["0"]["stream"][0], out["1"]["stream"][0]) == ("0", "1")


def test_limit_and_update_only_are_encoded():
    d = Differ()
    d.join(stream_tree([], StreamOps("songs")))
    out = d.diff(stream_tree([["songs-1", "A"]], StreamOps("songs", [("songs-1", 0, -100, True)])))
    assert out["0"]["stream"] == ["0", [["songs-1", 0, -100, True]], []]


# --- bad trees --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, 5, {"a": 1}, b"x", 1.5])
def test_bad_dynamic_raises_type_error_naming_it(bad):
    tree = Rendered(1, ("<p>", "</p>"), [bad])
    with pytest.raises(TypeError, match=type(bad).__name__):
        Differ().join(tree)
    d = Differ()
    d.join(Rendered(1, ("<p>", "</p>"), ["ok"]))
    with pytest.raises(TypeError, match=type(bad).__name__):
        d.diff(tree)


def test_bad_tree_shapes_raise_type_error():
    with pytest.raises(TypeError, match="statics"):
        Differ().join(Rendered(1, ("a", "b", "c"), ["x"]))
    with pytest.raises(TypeError, match="entry"):
        Differ().join(Rendered(1, ("", ""), [Comprehension(2, ("<i>", "</i>"), [["a", "b"]])]))
    with pytest.raises(TypeError, match="tree"):
        Differ().join({"s": ["x"]})
    with pytest.raises(RuntimeError, match="before join"):
        Differ().diff(Rendered(1, ("x",), []))


# --- what the Differ keeps ----------------------------------------------------------------------


def test_differ_keeps_no_copies_of_user_data():
    class Item:
        def __init__(self, v):
            self.v = v

    t = Template("{% for i in items %}<p>{{ i.v }}</p>{% endfor %}")
    items = [Item("x" * 10) for _ in range(100)]
    d = Differ()
    d.join(t.tree(items=items))
    import gc

    referrers = [r for r in gc.get_referrers(items[0]) if r is not items]
    assert not referrers  # the Differ holds escaped strings, never the user's objects


def test_state_size_is_bounded_by_the_last_tree():
    t = Template("{% for r in rows %}<tr><td>{{ r }}</td></tr>{% endfor %}")
    d = Differ()
    d.join(t.tree(rows=list(range(100))))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(5):
        d.diff(t.tree(rows=list(range(100 + n))))
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 64 * 1024  # replacing the kept tree does not accumulate


def test_stream_rows_are_not_kept_after_encoding():
    """The client owns stream rows once they are sent: a view that has delivered a long log must
    not hold its last batch of rows until the next render (the tree it was given may be dropped)."""
    import gc

    d = Differ()
    big = "A" * 100_000
    tree = stream_tree([["songs-1", big]], StreamOps("songs", [("songs-1", -1, None, False)]))
    d.join(tree)
    assert tree.dynamics[0].entries == [["songs-1", big]]  # the caller's tree is left as it was
    del tree
    gc.collect()
    # Nothing holds the row any more: the Differ kept a placeholder, not the comprehension.
    assert not [r for r in gc.get_referrers(big) if isinstance(r, list)]
    tree = stream_tree([["songs-2", "B"]], StreamOps("songs", [("songs-2", -1, None, False)]))
    assert d.diff(tree)["0"]["k"]["0"] == {"0": "songs-2", "1": "B"}


NESTED = Template(
    "<h1>{{ title }}</h1>"
    "{% for g in groups %}<section>{{ g.name }}"
    '{% if g.open %}<ul id="{{ g.name }}" phx-update="stream">'
    '{% for dom_id, r in g.rows %}<li id="{{ dom_id }}">{{ r.v }}</li>{% endfor %}</ul>{% endif %}'
    "</section>{% endfor %}"
)


class Rows:
    """A minimal object speaking the stream protocol (what ``pyview_core.Stream`` implements)."""

    def __init__(self, name, values, first=0):
        self.name, self.values, self.first = name, values, first

    def __pyview_stream__(self):
        rows = [(f"{self.name}-{i}", {"v": v}) for i, v in enumerate(self.values, self.first)]
        return rows, StreamOps(self.name, [(dom_id, -1, None, False) for dom_id, _ in rows])


def snapshot(tree):
    """A deep, independent description of a tree (to compare before/after a diff)."""
    if isinstance(tree, Rendered):
        return ("R", tree.fingerprint, tree.statics, [snapshot(d) for d in tree.dynamics])
    if isinstance(tree, Comprehension):
        ops = tree.stream
        return ("C", tree.fingerprint, tree.statics, [[snapshot(d) for d in e] for e in tree.entries], tree.keys,
                None if ops is None else (ops.name, list(ops.inserts), list(ops.deletes), ops.reset))
    return tree


def nested_context(title, open_b, b_values):
    return {"title": title, "groups": [
        {"name": "a", "open": True, "rows": Rows("a", ["a1", "a2"])},
        {"name": "b", "open": open_b, "rows": Rows("b", b_values)},
        {"name": "c", "open": False, "rows": Rows("c", [])},
    ]}


def test_the_differ_never_changes_the_tree_it_is_given():
    """A tree may be logged, re-rendered to HTML or diffed again after the Differ saw it: join and
    diff leave every node, entry and stream operation of it as it was."""
    trees = [NESTED.tree(nested_context(t, open_b, values)) for t, open_b, values in [
        ("one", True, ["b1"]), ("two", True, ["b2", "b3"]), ("two", False, []), ("three", True, ["b4"]),
    ]]
    before = [snapshot(t) for t in trees]
    html = [join(t) for t in trees]
    d = Differ()
    d.join(trees[0])
    for t in trees[1:]:
        d.diff(t)
    assert [snapshot(t) for t in trees] == before
    assert [join(t) for t in trees] == html


def test_streams_nested_in_loops_and_branches_send_their_rows_every_time():
    """With placeholders kept instead of the given stream comprehensions, every later render still
    diffs correctly: each stream's rows go out exactly once per render, other text only on change."""
    d = Differ()
    d.join(NESTED.tree(nested_context("one", True, ["b1"])))
    out = wire(d.diff(NESTED.tree(nested_context("one", True, ["b2"]))))
    assert out == {"1": {"k": {
        "0": {"1": {"1": {"k": {"0": {"0": "a-0", "1": "a1"}, "1": {"0": "a-1", "1": "a2"}, "kc": 2},
                          "stream": ["0", [["a-0", -1, None, False], ["a-1", -1, None, False]], []]}}},
        "1": {"1": {"1": {"k": {"0": {"0": "b-0", "1": "b2"}, "kc": 1},
                          "stream": ["1", [["b-0", -1, None, False]], []]}}},
        "kc": 3,
    }}}
    out = wire(d.diff(NESTED.tree(nested_context("two", True, []))))
    assert out["0"] == "two" and "1" in out["1"]["k"]["0"] and "1" not in out["1"]["k"]


def test_unhashable_loop_key_is_a_located_error():
    t = Template("<ul>\n{% for r in rows key r %}<li>{{ r.v }}</li>{% endfor %}</ul>")
    with pytest.raises(TypeError, match="loop key must be hashable") as info:
        t.tree(rows=[{"v": 1}])
    assert info.value.template_lineno == 2


def test_unhashable_keys_in_a_hand_built_tree_fall_back_to_positions():
    def tree(v):
        return Rendered(1, ("", ""), [Comprehension(2, ("<i>", "</i>"), [[v]], keys=[{"k": 1}])])

    d = Differ()
    d.join(tree("a"))
    assert wire(d.diff(tree("b"))) == {"0": {"k": {"0": {"0": "b"}, "kc": 1}}}


SECTIONS = Template(
    '{% for g in groups key g.name %}<section id="{{ g.name }}">'
    '<ul id="u-{{ g.name }}" phx-update="stream">'
    '{% for dom_id, r in g.rows %}<li id="{{ dom_id }}">{{ r.v }}</li>{% endfor %}</ul></section>{% endfor %}'
)


def test_streams_in_the_rows_of_a_keyed_loop_survive_moves():
    """Kept loop entries hold stream placeholders: a later move (km) still diffs against them,
    and the client keeps each container's rows where its section goes."""
    from pyview_core.testing.client import ClientRendered

    def groups(order, new_rows, first=0):
        return {"groups": [{"name": n, "rows": Rows(n, new_rows.get(n, []), first)} for n in order]}

    d = Differ()
    first = SECTIONS.tree(groups(["a", "b"], {"a": ["a0"], "b": ["b0"]}))
    client = ClientRendered(d.join(first))
    moved = SECTIONS.tree(groups(["b", "a"], {"a": ["x"]}, first=1))
    before = snapshot(moved)
    out = wire(d.diff(moved))
    assert snapshot(moved) == before
    assert out["0"]["k"]["km"] is True  # the sections moved, nothing re-sent but a's new row
    client.merge(out)
    assert client.html() == (
        '<section id="b"><ul id="u-b" phx-update="stream"><li id="b-0">b0</li></ul></section>'
        '<section id="a"><ul id="u-a" phx-update="stream"><li id="a-0">a0</li><li id="a-1">x</li></ul></section>'
    )
    assert out["0"]["k"]["0"] == 1  # b: moved, unchanged (its stream had nothing to send)


def test_compiled_templates_bring_their_root_flags_so_the_differ_scans_no_html(monkeypatch):
    """The compiler decides ``"r": 1`` for every node (``ROOTS`` in the generated module, registered
    when it is bound); serving a page then never runs the HTML scanner."""
    from pyview_templates import Template
    from pyview_templates import roots
    from pyview_templates.compiler import compile_template, parse_loaded
    from pyview_templates.tree import Rendered

    source = (
        '<ul>{% for x in xs %}<li>{{ x }}</li>{% endfor %}{% if more %}<p>{{ more }}</p> tail{% endif %}'
        '{% if more %}<p>{{ more }}</p>{% endif %}</ul>'
    )
    generated, _sources = compile_template("roots.html", lambda name: parse_loaded(name, source, None), {}, {})
    assert "ROOTS = {" in generated and "register_roots(ROOTS)" in generated
    template = Template(source, name="roots-flags.html")

    def no_scanning(statics):
        raise AssertionError(f"the diff core scanned HTML while serving: {statics!r}")

    monkeypatch.setattr(roots, "single_root", no_scanning)
    differ = Differ()
    differ.join(template.tree({"xs": [1], "more": ""}))
    diff = differ.diff(template.tree({"xs": [1], "more": "yes"}))
    assert "r" not in diff["1"]  # "<p>…</p> tail": two top-level parts, not one element
    assert diff["2"]["r"] == 1  # "<p>…</p>": one element, flagged by the compiler
    hand_built = Rendered(123456789, ("<section>", "</section>"), ["x"])
    with pytest.raises(AssertionError, match="scanned HTML"):  # a tree built by hand is judged once, when first seen
        Differ().join(Rendered(987654321, ("<div>", "</div>"), [hand_built]))
