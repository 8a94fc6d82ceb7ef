"""The Python port of the client merge (pyview_core.testing.ClientRendered) against the real
LiveView 1.2.12 client (Node, tests/client/rendered_node.mjs).

* PROTOCOL.md §5 examples: expected HTML written by hand from the spec; port and Node both match.
* Input the client crashes on (a move without km, a number where text is expected, ...):
  Node throws and the port raises ValueError.
* Streams: the port's patch HTML and stream operations equal Node's; its DOM model
  (``html()``) matches hand-written expectations.
* A hypothesis property over random VALID wire sequences (dynamics changes, "s" replacements,
  keyed comprehensions with appends/removals/moves, nested comprehensions, "r" roots, "p"
  template tables): port, Node and the generator's own model agree at every step.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node_client import NodeClientError
from pyview_core.testing import ClientRendered, replay

# --------------------------------------------------------------------------------------------
# PROTOCOL.md §5
# --------------------------------------------------------------------------------------------
FIRST = {
    "s": ["<div>\n  <h2>It's ", "</h2>\n  ", "\n  <ul>", "</ul>\n</div>"],
    "0": "10:30",
    "1": {"s": ["<b>Hello ", "</b>"], "0": "World"},
    "2": {"s": ["<li>", "</li>"], "k": {"0": {"0": "a"}, "1": {"0": "b"}, "kc": 2}},
    "t": "Home",
}


def page(h2: str, middle: str, lis: str) -> str:
    return f"<div>\n  <h2>It's {h2}</h2>\n  {middle}\n  <ul>{lis}</ul>\n</div>"


SECTION5 = [
    ({"0": "10:31"}, page("10:31", "<b>Hello World</b>", "<li>a</li><li>b</li>")),
    ({"2": {"k": {"0": {"0": "A"}, "2": {"0": "c"}, "kc": 3}}}, page("10:31", "<b>Hello World</b>", "<li>A</li><li>b</li><li>c</li>")),
    (
        {"2": {"k": {"0": 1, "1": [0, {"0": "a2"}], "kc": 2, "km": True}}, "e": [["highlight", {"id": 1}]]},
        page("10:31", "<b>Hello World</b>", "<li>b</li><li>a2</li>"),
    ),
    ({"1": {"s": ["<i>", "-", "</i>"], "0": "x", "1": "y"}}, page("10:31", "<i>x-y</i>", "<li>b</li><li>a2</li>")),
    ({"2": {"k": {"kc": 1}}}, page("10:31", "<i>x-y</i>", "<li>b</li>")),
]
FIRST_HTML = page("10:30", "<b>Hello World</b>", "<li>a</li><li>b</li>")


def test_section5_node(real_client):
    run = real_client.run_full(copy.deepcopy(FIRST), [d for d, _ in SECTION5])
    assert run.html == [FIRST_HTML] + [h for _, h in SECTION5]
    assert run.titles[0] == "Home"
    assert run.events[3] == [["highlight", {"id": 1}]]


def test_section5_port():
    c = ClientRendered(copy.deepcopy(FIRST))
    assert c.html() == FIRST_HTML and c.title == "Home"
    for i, (diff, expected) in enumerate(SECTION5):
        c.merge(copy.deepcopy(diff))
        assert c.html() == expected == c.patch_html()
        assert c.events == ([["highlight", {"id": 1}]] if i == 2 else [])
    assert c.title == "Home"


def test_section5_templates_form():
    """The same first render written with a root "p" table."""
    join = {
        "s": 0, "0": "10:30", "1": {"s": 1, "0": "World"}, "2": {"s": 2, "k": {"0": {"0": "a"}, "1": {"0": "b"}, "kc": 2}},
        "p": {"0": FIRST["s"], "1": FIRST["1"]["s"], "2": FIRST["2"]["s"]},
    }
    assert replay(join) == [FIRST_HTML]


def test_section5_templates_form_node(real_client):
    join = {
        "s": 0, "0": "10:30", "1": {"s": 1, "0": "World"}, "2": {"s": 2, "k": {"0": {"0": "a"}, "1": {"0": "b"}, "kc": 2}},
        "p": {"0": FIRST["s"], "1": FIRST["1"]["s"], "2": FIRST["2"]["s"]},
    }
    assert real_client.run(join) == [FIRST_HTML]


def test_title_and_reply_are_extracted():
    c = ClientRendered({"s": ["<p>", "</p>"], "0": "x", "t": "T1"})
    c.merge({"t": "T2", "r": {"ok": 1}})  # nothing else: the client does not re-render
    assert (c.title, c.reply, c.html()) == ("T2", {"ok": 1}, "<p>x</p>")
    c.merge({"0": "y"})
    assert (c.title, c.reply, c.html()) == ("T2", None, "<p>y</p>")


def test_root_flag_is_invisible(real_client):
    join = {"s": ["<div>", "</div>"], "0": {"s": ["<p class=\"a\">", "</p>"], "0": "x", "r": 1}}
    diffs = [{"0": {"0": "y"}}, {"0": {"s": ["\n<!-- c --><em>", "</em>"], "0": "z", "r": 1}}]
    expected = ['<div><p class="a">x</p></div>', '<div><p class="a">y</p></div>', "<div>\n<!-- c --><em>z</em></div>"]
    assert real_client.run(join, diffs) == expected == replay(join, diffs)


# --------------------------------------------------------------------------------------------
# input the client crashes on
# --------------------------------------------------------------------------------------------
BAD = [
    pytest.param(
        {"s": ["<ul>", "</ul>"], "0": {"s": ["<li>", "</li>"], "k": {"0": {"0": "a"}, "1": {"0": "b"}, "kc": 2}}},
        [{"0": {"k": {"0": 1, "1": 0, "kc": 2}}}],
        "Cannot read properties of undefined (reading 'k')",
        "without \"km\"",
        id="move-without-km",
    ),
    pytest.param({"s": ["<p>", "</p>"], "0": 5}, [], "missing component: 5", "component", id="number-as-text"),
    pytest.param(
        {"s": ["<p>", "</p>"], "0": {"s": ["x", "</b>"], "0": "y", "r": 1}}, [], "malformed html", "malformed html",
        id="root-flag-without-tag",
    ),
    pytest.param({"s": ["<p>", "</p>"], "0": "x"}, [{"0": {"0": "y"}}], "", "statics", id="partial-diff-onto-text"),
]


@pytest.mark.parametrize("join, diffs, node_message, port_message", BAD)
def test_crashes(real_client, join, diffs, node_message, port_message):
    with pytest.raises(NodeClientError) as info:
        real_client.run(copy.deepcopy(join), copy.deepcopy(diffs))
    assert node_message in info.value.client_message
    with pytest.raises(ValueError, match=port_message):
        replay(join, diffs)


@pytest.mark.parametrize(
    "join, diffs, node_html",
    [
        ({"s": ["<p>", "</p>"], "0": None}, [], "<p>null</p>"),
        ({"s": ["<p>", "</p>"], "0": True}, [], "<p>true</p>"),
        ({"s": ["<p>", "|", "</p>"], "0": "x"}, [], "<p>x|undefined</p>"),
        (
            {"s": ["<ul>", "</ul>"], "0": {"s": ["<li>", "</li>"], "k": {"0": {"0": "a"}, "kc": 1}}},
            [{"0": {"k": {"1": {}, "kc": 2}}}],
            "<ul><li>a</li><li>undefined</li></ul>",
        ),
        # a keyed diff without "s" where the client holds text: adopted as a comprehension
        # without statics, which renders nothing while kc is 0
        ({"s": ["<p>", "</p>"], "0": "x"}, [{"0": {"k": {"kc": 0}}}], "<p></p>"),
    ],
)
def test_garbage_is_flagged(real_client, join, diffs, node_html):
    """The client renders these as 'null'/'true'/'undefined' without throwing; the port refuses."""
    assert real_client.run(copy.deepcopy(join), copy.deepcopy(diffs))[-1] == node_html
    with pytest.raises(ValueError):
        replay(join, diffs)


# --------------------------------------------------------------------------------------------
# streams: Node reports the rows and operations of each patch; the port models the DOM too
# --------------------------------------------------------------------------------------------
UL = '<ul id="songs" phx-update="stream">'
LI = ['<li id="', '">', "</li>"]


def stream_node(rows, op):
    return {"s": LI, "k": {**{str(i): {"0": d, "1": t} for i, (d, t) in enumerate(rows)}, "kc": len(rows)}, "stream": op}


def lis(*pairs):
    return "".join(f'<li id="{d}">{t}</li>' for d, t in pairs)


STREAM_CASES = [
    pytest.param(
        {"s": [UL, "</ul>"], "0": stream_node([("songs-1", "A"), ("songs-2", "B")],
                                               ["0", [["songs-1", -1, None, False], ["songs-2", -1, None, False]], []])},
        [
            {"0": stream_node([("songs-3", "C")], ["0", [["songs-3", 0, None, False]], []])},
            {"0": {"k": {"kc": 0}, "stream": ["0", [], ["songs-1"]]}},
            {"0": stream_node([("songs-4", "D")], ["0", [["songs-4", -1, None, False]], []])},
            {"0": stream_node([("songs-9", "Z")], ["0", [["songs-9", -1, None, False]], [], True])},
        ],
        [
            lis(("songs-1", "A"), ("songs-2", "B")),
            lis(("songs-3", "C"), ("songs-1", "A"), ("songs-2", "B")),
            lis(("songs-3", "C"), ("songs-2", "B")),
            lis(("songs-3", "C"), ("songs-2", "B"), ("songs-4", "D")),
            lis(("songs-9", "Z")),
        ],
        id="protocol-section5",
    ),
    pytest.param(
        {"s": [UL, "</ul>"], "0": stream_node([("a", "1"), ("b", "2"), ("c", "3")],
                                               ["0", [["a", -1, None, False], ["b", -1, None, False], ["c", -1, None, False]], []])},
        [
            {"0": stream_node([("d", "4")], ["0", [["d", -1, -3, False]], []])},  # append, keep the last 3
            {"0": stream_node([("e", "5")], ["0", [["e", 0, 2, False]], []])},  # prepend, keep the first 2
            {"0": stream_node([("f", "6")], ["0", [["f", 1, None, False]], []])},  # insert at index 1
            {"0": stream_node([("b", "2!")], ["0", [["b", 0, None, False]], []])},  # existing id: updated in place
            {"0": stream_node([("zz", "no")], ["0", [["zz", -1, None, True]], []])},  # update only: not inserted
            {"0": stream_node([("f", "6!")], ["0", [["f", -1, None, True]], []])},  # update only, existing
            {"0": {"k": {"kc": 0}, "stream": ["0", [], ["e", "nope"]]}},
        ],
        [
            lis(("a", "1"), ("b", "2"), ("c", "3")),
            lis(("b", "2"), ("c", "3"), ("d", "4")),
            lis(("e", "5"), ("b", "2")),
            lis(("e", "5"), ("f", "6"), ("b", "2")),
            lis(("e", "5"), ("f", "6"), ("b", "2!")),
            lis(("e", "5"), ("f", "6"), ("b", "2!")),
            lis(("e", "5"), ("f", "6!"), ("b", "2!")),
            lis(("f", "6!"), ("b", "2!")),
        ],
        id="limits-positions-update-only",
    ),
    pytest.param(
        {"s": ["<div>", "", "</div>"], "0": "x",
         "1": {"s": [UL, "</ul>"], "0": stream_node([("a", "1")], ["0", [["a", -1, None, False]], []])}},
        [
            {"0": "y"},  # another dynamic: the stream keeps its children
            {"1": {"0": stream_node([("a", "1!"), ("b", "2")], ["0", [["a", -1, None, False], ["b", 0, None, False]], [], True])}},
        ],
        [
            "<div>x" + UL + lis(("a", "1")) + "</ul></div>",
            "<div>y" + UL + lis(("a", "1")) + "</ul></div>",
            "<div>y" + UL + lis(("b", "2"), ("a", "1!")) + "</ul></div>",
        ],
        id="reset-reinserts",
    ),
]


def _full_page(dom_html: str) -> str:
    """The cases' expectations list a bare stream's children; the page wraps them in UL."""
    return dom_html if dom_html.startswith("<div>") else UL + dom_html + "</ul>"


@pytest.mark.parametrize("join, diffs, dom", STREAM_CASES)
def test_streams(real_client, join, diffs, dom):
    node = real_client.run_full(copy.deepcopy(join), copy.deepcopy(diffs))
    c = ClientRendered(join)
    steps = [None] + diffs
    for i, step in enumerate(steps):
        if step is not None:
            c.merge(step)
        assert c.patch_html() == node.html[i], f"step {i}"
        assert c.streams == node.streams[i], f"step {i}"
        assert c.html() == _full_page(dom[i]), f"step {i}"


# --------------------------------------------------------------------------------------------
# random valid wire sequences
# --------------------------------------------------------------------------------------------
TEXT = st.lists(st.sampled_from(list("ab <>&\"'/=é中😀\n") + ["x", "$&", "$1"]), max_size=6).map("".join)
TAGS = ["span", "b", "p", "li", "div"]


@dataclass
class MNode:
    statics: list[str]
    dyn: list
    root: bool = False


@dataclass
class MComp:
    statics: list[str]
    entries: list[list] = field(default_factory=list)


def html_of(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, MNode):
        return _interleave(v.statics, v.dyn)
    return "".join(_interleave(v.statics, e) for e in v.entries)


def _interleave(statics, dyn) -> str:
    out = [statics[0]]
    for s, d in zip(statics[1:], dyn):
        out.append(html_of(d))
        out.append(s)
    return "".join(out)


class WireGen:
    """Draws random model trees and random VALID diffs between them (hypothesis ``draw``)."""

    def __init__(self, draw) -> None:
        self.draw = draw
        self.table: dict[str, list[str]] | None = None  # this payload's root "p", if any

    def n(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def chance(self, pct: int) -> bool:
        return self.n(0, 99) < pct

    # -- trees --------------------------------------------------------------------------------
    def statics(self, count: int, root: bool) -> list[str]:
        parts = [self.draw(st.sampled_from(["", "<i>", "|", " ", "<hr/>", "x"])) + self.draw(TEXT).replace("<", "[") for _ in range(count + 1)]
        if root:
            tag = self.draw(st.sampled_from(TAGS))
            parts[0] = f"<{tag} class=\"c{self.n(0, 3)}\">" + parts[0]
            parts[-1] = parts[-1] + f"</{tag}>"
        return parts

    def value(self, depth: int):
        kind = self.n(0, 9) if depth > 0 else 0
        if kind <= 4:
            return self.draw(TEXT)
        if kind <= 7:
            return self.node(depth - 1)
        return self.comp(depth - 1)

    def node(self, depth: int, root: bool | None = None) -> MNode:
        count = self.n(0, 3)
        root = self.chance(30) if root is None else root
        return MNode(self.statics(count, root), [self.value(depth) for _ in range(count)], root)

    def comp(self, depth: int) -> MComp:
        statics = self.statics(self.n(0, 2), False)
        c = MComp(statics)
        c.entries = [self.entry(c, depth) for _ in range(self.n(0, 4))]
        return c

    def entry(self, comp: MComp, depth: int) -> list:
        return [self.value(depth) for _ in range(len(comp.statics) - 1)]

    # -- wire encoding ----------------------------------------------------------------------------
    def enc_statics(self, statics: list[str]):
        if self.table is not None and self.chance(50):
            for key, s in self.table.items():
                if s is statics:
                    return int(key)
            key = str(len(self.table))
            self.table[key] = statics
            return int(key)
        return list(statics)

    def full(self, v):
        if isinstance(v, str):
            return v
        if isinstance(v, MNode):
            out = {"s": self.enc_statics(v.statics)}
            for i, d in enumerate(v.dyn):
                out[str(i)] = self.full(d)
            if v.root:
                out["r"] = 1
            return out
        out = {"s": self.enc_statics(v.statics)}
        local = self.table is None and self.chance(30)  # a "p" of the comprehension's own
        if local:
            self.table = {}
        k = {str(i): self.full_entry(e) for i, e in enumerate(v.entries)}
        k["kc"] = len(v.entries)
        out["k"] = k
        if local:
            if self.table:
                out["p"] = self.table
            self.table = None
        return out

    def full_entry(self, e: list) -> dict:
        return {str(i): self.full(d) for i, d in enumerate(e)}

    # -- diffs --------------------------------------------------------------------------------------
    def change(self, old, depth: int):
        """(new value, wire diff or None when unchanged)."""
        r = self.n(0, 9)
        if r <= 3:
            return old, None
        if isinstance(old, str) or r == 9:
            new = self.value(depth)
            if isinstance(new, str) and new == old:
                return old, None
            return new, self.full(new)
        if isinstance(old, MNode):
            if r == 8:  # the same statics, sent again in full
                new = MNode(old.statics, [self.value(depth - 1) for _ in old.dyn], old.root)
                return new, self.full(new)
            dyn, diff = [], {}
            for i, d in enumerate(old.dyn):
                nd, dd = self.change(d, depth - 1)
                dyn.append(nd)
                if dd is not None:
                    diff[str(i)] = dd
            return (MNode(old.statics, dyn, old.root), diff) if diff else (old, None)
        return self.keyed(old, depth)

    def keyed(self, old: MComp, depth: int):
        local = self.table is None and self.chance(30)  # a "p" of the comprehension's own
        if local:
            self.table = {}
        new, diff = self._keyed(old, depth)
        if local:
            if self.table and diff is not None:
                diff["p"] = self.table
            self.table = None
        return new, diff

    def _keyed(self, old: MComp, depth: int):
        items = [("old", j, e) for j, e in enumerate(old.entries)]
        for _ in range(self.n(0, 2)):  # removals
            if items:
                del items[self.n(0, len(items) - 1)]
        if self.chance(40) and len(items) > 1:  # moves
            order = self.draw(st.permutations(range(len(items))))
            items = [items[i] for i in order]
        for _ in range(self.n(0, 2)):  # insertions
            items.insert(self.n(0, len(items)), ("new", None, self.entry(old, depth - 1)))
        entries, k, moved = [], {}, False
        for i, (kind, j, e) in enumerate(items):
            if kind == "new":
                entries.append(e)
                k[str(i)] = self.full_entry(e)
                continue
            ne, ediff = [], {}
            for x, d in enumerate(e):
                nd, dd = self.change(d, depth - 1)
                ne.append(nd)
                if dd is not None:
                    ediff[str(x)] = dd
            entries.append(ne)
            if j == i:
                if ediff:
                    k[str(i)] = ediff
            else:
                moved = True
                k[str(i)] = [j, ediff] if ediff else j
        if len(entries) == len(old.entries) and not k:
            return old, None
        k["kc"] = len(entries)
        if moved:
            k["km"] = True
        return MComp(old.statics, entries), {"k": k}


@st.composite
def wire_sequences(draw):
    """(join, diffs, expected HTML after each step)."""
    g = WireGen(draw)
    depth = draw(st.integers(1, 3))
    tree = g.node(depth, root=False)  # never "r" at the top: there it means "reply"
    g.table = {} if g.chance(25) else None
    join = g.full(tree)
    if g.table:
        join["p"] = g.table
    if g.chance(20):
        join["t"] = "title"
    htmls = [html_of(tree)]
    diffs = []
    for _ in range(draw(st.integers(1, 5))):
        g.table = {} if g.chance(25) else None
        if g.chance(15):  # a new root: "s" at the top, every dynamic sent
            tree = g.node(depth, root=False)
            diff = g.full(tree)
        else:
            tree, diff = _change_children(g, tree, depth)
        if g.table:
            diff["p"] = g.table
        if g.chance(10):
            diff["e"] = [["ev", {"n": 1}]]
        diffs.append(diff)
        htmls.append(html_of(tree))
    g.table = None
    return join, diffs, htmls


def _change_children(g: WireGen, tree: MNode, depth: int):
    dyn, diff = [], {}
    for i, d in enumerate(tree.dyn):
        nd, dd = g.change(d, depth)
        dyn.append(nd)
        if dd is not None:
            diff[str(i)] = dd
    return MNode(tree.statics, dyn, tree.root), diff


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wire_sequences())
def test_port_agrees_with_node_on_random_valid_sequences(real_client, case):
    join, diffs, expected = case
    wire_join, wire_diffs = json.loads(json.dumps(join)), json.loads(json.dumps(diffs))
    node = real_client.run(wire_join, wire_diffs)
    port = replay(join, diffs)
    assert node == expected
    assert port == expected


def test_skip_checker_flags_one_root_twice(real_client):
    """The harness checks the DOM side of skip placeholders: the same old entry moved to two
    positions gives two roots one data-phx-id (morphdom would keep one element for both)."""
    li = {"s": ["<li>", "</li>"], "r": 1}
    join = {"s": ["<ul>", "</ul>"], "0": {"s": ["", ""], "k": {"0": {"0": {**li, "0": "a"}}, "1": {"0": {**li, "0": "b"}}, "kc": 2}}}
    diff = {"0": {"k": {"0": 1, "1": 1, "kc": 2, "km": True}}}
    with pytest.raises(NodeClientError, match="two roots carry data-phx-id"):
        real_client.run(join, [diff])
    assert replay(join, [diff])[-1] == "<ul><li>b</li><li>b</li></ul>"
