"""The native helpers: escaping, value-to-HTML, lookups and the tree types."""

from __future__ import annotations

import collections
import copy
import dataclasses
import pickle
from collections.abc import Mapping

import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyview_templates._native import attr_html, escape, getattr_, getitem_, resolve, to_html
from pyview_templates.tree import Comprehension, Rendered, join
from pyview_templates.undefined import Undefined, UndefinedError

# Text that hits the special characters and every internal string width
# (1-byte ASCII/Latin-1, 2-byte, 4-byte) far more often than st.text() alone.
SPECIALS = "<>&\"'"
WIDTHS = ["a", "é", "Ā", "€", "😀"]
mixed_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list(SPECIALS) + WIDTHS)),
)


class HasHtml:
    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return f"<i>{self.text}</i>"

    def __str__(self) -> str:  # must be ignored in favour of __html__
        return "wrong"


# --------------------------------------------------------------------------
# escape / to_html
# --------------------------------------------------------------------------


@given(mixed_text)
def test_escape_matches_markupsafe(s):
    out = escape(s)
    assert out == str(markupsafe.escape(s))
    assert type(out) is str


def test_escape_returns_input_when_nothing_to_escape():
    s = "plain text, with unicode é € 😀"
    assert escape(s) is s
    assert to_html(s) is s


def test_escape_rejects_non_str_and_strips_subclass():
    with pytest.raises(TypeError, match="expects str, got int"):
        escape(1)
    out = escape(markupsafe.Markup("<b>"))  # escape() is the raw escaper
    assert out == "&lt;b&gt;" and type(out) is str
    out = escape(markupsafe.Markup("ok"))
    assert out == "ok" and type(out) is str


html_values = st.one_of(
    mixed_text,
    st.integers(),
    st.floats(),
    mixed_text.map(markupsafe.Markup),
    mixed_text.map(HasHtml),
    st.lists(st.one_of(mixed_text, st.integers()), max_size=4),
)


@given(html_values)
def test_to_html_matches_markupsafe(value):
    out = to_html(value)
    assert out == str(markupsafe.escape(value))
    assert type(out) is str


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ""),
        (Undefined("x"), ""),
        (Undefined("y", {}), ""),
        (True, "True"),
        (False, "False"),
        (0, "0"),
        (1023, "1023"),
        (1024, "1024"),
        (-1, "-1"),
        (2**80, str(2**80)),
        (1.5, "1.5"),
        (float("inf"), "inf"),
    ],
)
def test_to_html_special_values(value, expected):
    out = to_html(value)
    assert out == expected and type(out) is str


def test_to_html_str_subclass_without_html_is_escaped():
    class S(str):
        pass

    out = to_html(S("<x>"))
    assert out == "&lt;x&gt;" and type(out) is str
    out = to_html(S("ok"))
    assert out == "ok" and type(out) is str


def test_to_html_markup_is_plain_str_not_escaped():
    out = to_html(markupsafe.Markup("<b>hi</b>"))
    assert out == "<b>hi</b>" and type(out) is str
    out = to_html(HasHtml("<"))
    assert out == "<i><</i>" and type(out) is str


# --------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------


class ReadOnlyMap(Mapping):
    def __init__(self, data):
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def extra(self):
        return "method"


@dataclasses.dataclass
class Row:
    name: str
    count: int = 0


class Indexable:
    """An object with no attributes of interest but item access."""

    def __getitem__(self, key):
        if key == "via_item":
            return "item"
        raise KeyError(key)


def test_getattr_dict_key_before_method():
    assert getattr_({"items": 1}, "items") == 1
    assert getattr_({"a": 1}, "a") == 1
    assert list(getattr_({"a": 1}, "items")()) == [("a", 1)]


def test_getattr_mapping_subclass():
    m = ReadOnlyMap({"keys": "k", "a": 1})
    assert getattr_(m, "keys") == "k"  # key shadows the Mapping method
    assert getattr_(m, "a") == 1
    assert getattr_(m, "extra")() == "method"  # KeyError -> attribute
    assert isinstance(getattr_(m, "nope"), Undefined)
    # dict subclasses take the generic Mapping path, keys still first.
    assert getattr_(collections.OrderedDict(items=2), "items") == 2


def test_getattr_object_and_dataclass():
    row = Row("<ann>", 3)
    assert getattr_(row, "name") == "<ann>"
    assert getattr_(row, "count") == 3
    assert getattr_(Indexable(), "via_item") == "item"  # attribute miss -> item
    assert isinstance(getattr_(Indexable(), "missing"), Undefined)
    assert isinstance(getattr_(5, "missing"), Undefined)  # int[...] TypeError


def test_missing_gives_undefined_that_prints_empty_and_fails_on_use():
    u = getattr_({"x": 1}, "y")
    assert isinstance(u, Undefined)
    assert str(u) == "" and to_html(u) == "" and not u
    message = "'dict object' has no attribute 'y'"
    with pytest.raises(UndefinedError) as info:
        u.z  # noqa: B018
    assert str(info.value) == message
    with pytest.raises(UndefinedError) as info:
        getattr_(u, "z")
    assert str(info.value) == message
    with pytest.raises(UndefinedError) as info:
        getitem_(u, 0)
    assert str(info.value) == message
    with pytest.raises(UndefinedError):
        attr_html(u, "z")


def test_getitem():
    assert getitem_([10, 20], 1) == 20
    assert getitem_({"a": 1}, "a") == 1
    assert getitem_({1: "one"}, 1) == "one"
    assert getitem_(Row("n"), "name") == "n"  # TypeError -> attribute
    assert list(getitem_({}, "items")()) == []  # missing key -> attribute
    u = getitem_([1], 5)
    assert isinstance(u, Undefined)
    with pytest.raises(UndefinedError, match=r"^'list object' has no element 5$"):
        u()
    assert isinstance(getitem_({}, [1]), Undefined)  # unhashable key


def test_attr_html():
    assert attr_html(Row("<ann>"), "name") == "&lt;ann&gt;"
    assert attr_html({"n": 7}, "n") == "7"
    assert attr_html({}, "missing") == ""


def test_resolve():
    g = {"site": "pyview", "shadowed": "global"}
    assert resolve({"a": 1, "shadowed": "ctx"}, "shadowed", g) == "ctx"
    assert resolve({"a": 1}, "a", g) == 1
    assert resolve({"a": None}, "a", g) is None  # present-but-None is present
    assert resolve({}, "site", g) == "pyview"
    assert resolve(ReadOnlyMap({"a": 2}), "a", g) == 2
    assert resolve(ReadOnlyMap({}), "site", g) == "pyview"
    assert resolve(Row("n"), "name", g) == "n"
    assert resolve(Row("n"), "site", g) == "pyview"
    assert resolve(None, "site", g) == "pyview"
    assert resolve({}, "site", ReadOnlyMap(g)) == "pyview"
    dd = collections.defaultdict(list)
    assert resolve(dd, "site", g) == "pyview"
    assert "site" not in dd  # "present" does not trigger __missing__
    u = resolve({}, "nope", g)
    assert isinstance(u, Undefined) and to_html(u) == ""
    with pytest.raises(UndefinedError, match=r"^'nope' is undefined$"):
        u.x  # noqa: B018
    assert isinstance(resolve({}, "nope", None), Undefined)


# --------------------------------------------------------------------------
# Tree types and join
# --------------------------------------------------------------------------


def test_join_hand_checked():
    inner = Rendered(1, ("<b>", "</b>"), ["x"])
    assert join(Rendered(2, ("<p>", " ", "</p>"), [inner, "y"])) == "<p><b>x</b> y</p>"
    assert join(Rendered(3, ("static only",), [])) == "static only"
    assert join(Rendered(3, ("",), [])) == ""
    li = ("<li>", "</li>")
    assert join(Comprehension(4, li, [])) == ""
    assert join(Comprehension(4, (), [])) == ""  # no entries: statics unused
    assert join(Comprehension(4, li, [["a"]])) == "<li>a</li>"
    assert join(Comprehension(4, li, [["a"], ["b"], ["c"]])) == "<li>a</li><li>b</li><li>c</li>"
    nested = Comprehension(
        5,
        ("<ul>", "", "</ul>"),
        [["1", Comprehension(4, li, [["a"], ["b"]])], ["2", Comprehension(4, li, [])]],
    )
    assert join(nested) == "<ul>1<li>a</li><li>b</li></ul><ul>2</ul>"
    assert join(Rendered(6, ("[", "]"), [nested])) == "[" + join(nested) + "]"


def test_join_str_and_widths():
    s = "just text"
    assert join(s) is s
    out = join(markupsafe.Markup("<b>"))
    assert out == "<b>" and type(out) is str
    # Pieces of every width force the output to widen; Markup is a str.
    tree = Rendered(1, ("a", "é", "Ā", "😀"), [markupsafe.Markup("<m>"), "€", "x"])
    out = join(tree)
    assert out == "a<m>é€Āx😀" and type(out) is str


@pytest.mark.parametrize(
    "bad, kind",
    [(None, "NoneType"), (5, "int"), ({}, "dict"), (b"x", "bytes")],
)
def test_join_rejects_bad_dynamics(bad, kind):
    tree = Rendered(1, ("a", "b", "c", "d"), ["x", "y", bad])
    with pytest.raises(TypeError, match=rf"^dynamic 2 of a Rendered node is {kind}, expected str/Rendered/Comprehension/ComponentRef; the node is at tree$"):
        join(tree)


def test_join_errors_name_the_path():
    bad_entry_item = Comprehension(1, ("<li>", "</li>"), [["a"], [None]])
    tree = Rendered(2, ("<ul>", "</ul>"), [bad_entry_item])
    with pytest.raises(TypeError, match=r"dynamic 0 of entry 1 of a Comprehension node is NoneType.*at tree\.dynamics\[0\]$"):
        join(tree)
    deep = Rendered(3, ("", ""), [Comprehension(1, ("", ""), [[Rendered(4, ("", "", ""), ["x", 1])]])])
    with pytest.raises(TypeError, match=r"dynamic 1 of a Rendered node is int.*at tree\.dynamics\[0\]\.entries\[0\]\[0\]$"):
        join(deep)


def test_join_rejects_wrong_counts_and_shapes():
    with pytest.raises(TypeError, match=r"Rendered node has 3 statics and 1 dynamics"):
        join(Rendered(1, ("a", "b", "c"), ["x"]))
    with pytest.raises(TypeError, match=r"Rendered node has 1 statics and 1 dynamics"):
        join(Rendered(1, ("a",), ["x"]))
    with pytest.raises(TypeError, match=r"entry 1 of a Comprehension node has 2 dynamics, expected 1"):
        join(Comprehension(1, ("a", "b"), [["x"], ["x", "y"]]))
    with pytest.raises(TypeError, match=r"entry 0 of a Comprehension node is tuple, expected list"):
        join(Comprehension(1, ("a", "b"), [("x",)]))
    with pytest.raises(TypeError, match=r"static 1 of a Rendered node is int, expected str"):
        join(Rendered(1, ("a", 2), ["x"]))
    with pytest.raises(TypeError, match=r"Comprehension node has 1 entries but no statics"):
        join(Comprehension(1, (), [[]]))
    with pytest.raises(TypeError, match=r"^join\(\) expects str/Rendered/Comprehension/ComponentRef, got int$"):
        join(5)


def test_join_cycle_is_an_error_not_a_crash():
    dyn = []
    node = Rendered(1, ("a", "b"), dyn)
    dyn.append(node)
    with pytest.raises(RecursionError, match="contain itself"):
        join(node)


def test_constructors():
    dyn = ["x"]
    r = Rendered(1, ("a", "b"), dyn)
    assert r.dynamics is dyn  # kept by reference
    assert r.fingerprint == 1 and r.statics == ("a", "b")
    entries = [["x"]]
    c = Comprehension(2, ("a", "b"), entries)
    assert c.entries is entries and c.keys is None and c.stream is None
    c = Comprehension(2, ("a", "b"), entries, keys=["k"], stream=[("insert", 0)])
    assert c.keys == ["k"] and c.stream == [("insert", 0)]
    Rendered(2**63 - 1, ("",), [])
    with pytest.raises(OverflowError):
        Rendered(2**63, ("",), [])
    with pytest.raises(ValueError, match="fingerprint"):
        Rendered(-1, ("",), [])
    with pytest.raises(TypeError):
        Rendered(1, None, [])
    with pytest.raises(TypeError):
        Rendered(1, ("",), None)
    with pytest.raises(TypeError):
        Comprehension(1, ["a"], [])
    with pytest.raises(AttributeError):
        r.fingerprint = 3


def test_equality_and_repr():
    r = Rendered(1, ("<p>", "</p>"), ["x"])
    assert r == Rendered(1, ("<p>", "</p>"), ["x"])
    assert r != Rendered(2, ("<p>", "</p>"), ["x"])
    assert r != Rendered(1, ("<p>", "</p>"), ["y"])
    assert r != Comprehension(1, ("<p>", "</p>"), [["x"]])
    assert r != "<p>x</p>"
    c = Comprehension(3, ("<li>", "</li>"), [[r]])
    assert c == Comprehension(3, ("<li>", "</li>"), [[Rendered(1, ("<p>", "</p>"), ["x"])]])
    assert c != Comprehension(3, ("<li>", "</li>"), [[r]], keys=[1])
    with pytest.raises(TypeError):
        hash(r)
    with pytest.raises(TypeError):
        hash(c)
    assert repr(r) == "Rendered(1, ('<p>', '</p>'), ['x'])"
    assert repr(c) == "Comprehension(3, ('<li>', '</li>'), [[Rendered(1, ('<p>', '</p>'), ['x'])]])"
    assert repr(Comprehension(3, ("",), [], keys=[], stream="s")) == "Comprehension(3, ('',), [], keys=[], stream='s')"


def test_pickle_and_deepcopy():
    tree = Rendered(1, ("<ul>", "</ul>"), [Comprehension(2, ("<li>", "</li>"), [["a"]], keys=[7])])
    for clone in (pickle.loads(pickle.dumps(tree)), copy.deepcopy(tree)):
        assert clone == tree and clone is not tree
        assert clone.dynamics[0].keys == [7]


# --------------------------------------------------------------------------
# join vs a naive implementation on random trees
# --------------------------------------------------------------------------

piece = st.text(alphabet=st.sampled_from(["a", "<", " "] + WIDTHS), max_size=4)
fingerprints = st.integers(0, 2**63 - 1)


def rendered_nodes(children):
    def build(n):
        return st.builds(
            lambda fp, statics, dynamics: Rendered(fp, tuple(statics), dynamics),
            fingerprints,
            st.lists(piece, min_size=n + 1, max_size=n + 1),
            st.lists(children, min_size=n, max_size=n),
        )

    return st.integers(0, 4).flatmap(build)


def comprehension_nodes(children):
    def build(m):
        return st.builds(
            lambda fp, statics, entries: Comprehension(fp, tuple(statics), entries),
            fingerprints,
            st.lists(piece, min_size=m + 1, max_size=m + 1),
            st.lists(st.lists(children, min_size=m, max_size=m), max_size=4),
        )

    return st.integers(0, 3).flatmap(build)


trees = st.recursive(
    piece,
    lambda children: st.one_of(rendered_nodes(children), comprehension_nodes(children)),
    max_leaves=40,
)


def naive_join(node):
    if isinstance(node, str):
        return node
    if isinstance(node, Rendered):
        out = node.statics[0]
        for dynamic, static in zip(node.dynamics, node.statics[1:]):
            out += naive_join(dynamic) + static
        return out
    return "".join(naive_join(Rendered(0, node.statics, entry)) for entry in node.entries)


@given(trees)
def test_join_matches_naive_concatenation(tree):
    out = join(tree)
    assert out == naive_join(tree)
    assert type(out) is str
