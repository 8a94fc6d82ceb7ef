"""``pyview_core.JS``: the JSON each command encodes to, rendering, validation, round trips.

The expected JSON follows the phoenix_live_view 1.2.12 client (``assets/js/phoenix_live_view/js.js``):
``JS.exec`` runs ``[[kind, args], ...]`` by calling ``exec_<kind>`` with ``args`` for each element
``filterToEls`` finds for ``args.to`` (a selector string, ``{closest}``, ``{inner}``; absent: the
source element). The argument names below are the ones those ``exec_*`` functions destructure:

- push: event, value, target, page_loading, loading
- show/hide: display, transition, time, blocking; toggle: display, ins, outs, time, blocking
- add_class/remove_class/toggle_class: names (a list), transition, time, blocking
- transition: transition, time, blocking -- transitions are ``[run, start, end]`` class lists
  (the executor does not split strings; only the hook API's ``transitionClasses`` does)
- set_attr: attr = [name, value]; remove_attr: attr = name; toggle_attr: attr = [name, v1(, v2)]
- ignore_attrs: attrs; dispatch: event, detail, bubbles, blocking; exec: attr, to
- navigate/patch: href, replace; focus/focus_first/push_focus: to; pop_focus: nothing
"""

from __future__ import annotations

import copy
import json
import pickle

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape
from selectolax.lexbor import LexborHTMLParser

from pyview_core import JS
from pyview_templates import Template


def enc(js: JS) -> list:
    return json.loads(str(js))


# ============================================================================ exact encodings

CASES = [
    (JS.push("inc"), [["push", {"event": "inc"}]]),
    (JS.push("inc", value={"id": 1}, target="#x", page_loading=True, loading=".spin"),
     [["push", {"event": "inc", "value": {"id": 1}, "target": "#x", "page_loading": True, "loading": ".spin"}]]),
    (JS.push("inc", target=7), [["push", {"event": "inc", "target": 7}]]),
    (JS.show(), [["show", {}]]),
    (JS.show(to="#modal", transition="fade-in slow", time=300, display="flex", blocking=False),
     [["show", {"to": "#modal", "display": "flex", "transition": [["fade-in", "slow"], [], []], "time": 300,
                "blocking": False}]]),
    (JS.show(to="#m", transition=("ease-out duration-300", "opacity-0", "opacity-100 scale-100")),
     [["show", {"to": "#m", "transition": [["ease-out", "duration-300"], ["opacity-0"], ["opacity-100", "scale-100"]]}]]),
    (JS.hide(to={"closest": ".card"}, transition=(["a"], [], "z"), time=0),
     [["hide", {"to": {"closest": ".card"}, "transition": [["a"], [], ["z"]], "time": 0}]]),
    (JS.toggle(to="#t", in_="fade-in", out=("fade-out", "o-100", "o-0"), time=100, display="grid", blocking=True),
     [["toggle", {"to": "#t", "display": "grid", "ins": [["fade-in"], [], []], "outs": [["fade-out"], ["o-100"], ["o-0"]],
                  "time": 100, "blocking": True}]]),
    (JS.add_class("a b", to={"inner": ".item"}),
     [["add_class", {"to": {"inner": ".item"}, "names": ["a", "b"]}]]),
    (JS.remove_class(["a"], transition="t", time=5, blocking=False),
     [["remove_class", {"names": ["a"], "transition": [["t"], [], []], "time": 5, "blocking": False}]]),
    (JS.toggle_class("  x   y "), [["toggle_class", {"names": ["x", "y"]}]]),
    (JS.set_attribute(("aria-expanded", "true"), to="#b"),
     [["set_attr", {"to": "#b", "attr": ["aria-expanded", "true"]}]]),
    (JS.remove_attribute("aria-expanded", to="#b"), [["remove_attr", {"to": "#b", "attr": "aria-expanded"}]]),
    (JS.toggle_attribute(("open", "")), [["toggle_attr", {"attr": ["open", ""]}]]),
    (JS.toggle_attribute(("aria-expanded", "true", "false"), to="#b"),
     [["toggle_attr", {"to": "#b", "attr": ["aria-expanded", "true", "false"]}]]),
    (JS.ignore_attributes("open"), [["ignore_attrs", {"attrs": ["open"]}]]),
    (JS.ignore_attributes(["open", "data-*"], to="#d"), [["ignore_attrs", {"to": "#d", "attrs": ["open", "data-*"]}]]),
    (JS.transition("shake", to="#x", time=500), [["transition", {"to": "#x", "time": 500, "transition": [["shake"], [], []]}]]),
    (JS.transition(("t", "s", "e"), blocking=False), [["transition", {"transition": [["t"], ["s"], ["e"]], "blocking": False}]]),
    (JS.dispatch("click", to="#b"), [["dispatch", {"to": "#b", "event": "click"}]]),
    (JS.dispatch("copy", to="#b", detail={"text": "hi"}, bubbles=False, blocking=True),
     [["dispatch", {"to": "#b", "event": "copy", "detail": {"text": "hi"}, "bubbles": False, "blocking": True}]]),
    (JS.focus(to="#i"), [["focus", {"to": "#i"}]]),
    (JS.focus(), [["focus", {}]]),
    (JS.focus_first(to="#modal"), [["focus_first", {"to": "#modal"}]]),
    (JS.push_focus(), [["push_focus", {}]]),
    (JS.push_focus(to="#opener"), [["push_focus", {"to": "#opener"}]]),
    (JS.pop_focus(), [["pop_focus", {}]]),
    (JS.navigate("/path"), [["navigate", {"href": "/path", "replace": False}]]),
    (JS.patch("/path?x=1", replace=True), [["patch", {"href": "/path?x=1", "replace": True}]]),
    (JS.exec("data-confirm", to="#dlg"), [["exec", {"attr": "data-confirm", "to": "#dlg"}]]),
    (JS.exec("phx-remove"), [["exec", {"attr": "phx-remove"}]]),
]


@pytest.mark.parametrize("js, expected", CASES, ids=[str(i) for i in range(len(CASES))])
def test_encoding(js: JS, expected: list) -> None:
    assert enc(js) == expected
    assert js.to_encodable() == expected


def test_exact_text() -> None:
    assert str(JS.push("inc", value={"id": 1})) == '[["push",{"event":"inc","value":{"id":1}}]]'
    assert str(JS()) == "[]"
    assert str(JS.show(to="#é")) == '[["show",{"to":"#é"}]]'


def test_chain_is_ordered_and_immutable() -> None:
    base = JS.show(to="#a")
    chained = base.hide(to="#b").push("x")
    assert enc(chained) == [["show", {"to": "#a"}], ["hide", {"to": "#b"}], ["push", {"event": "x"}]]
    assert enc(base) == [["show", {"to": "#a"}]]
    branch = base.focus()
    assert enc(chained)[1:] != enc(branch)[1:]
    assert len(chained) == 3 and bool(chained) and not JS()
    assert base + JS.focus() == branch
    with pytest.raises(AttributeError):
        base._ops = ()  # type: ignore[misc]


def test_caller_data_is_copied() -> None:
    value = {"list": [1]}
    js = JS.push("x", value=value)
    value["list"].append(2)
    out = js.to_encodable()
    out[0][1]["value"]["list"].append(3)
    assert enc(js) == [["push", {"event": "x", "value": {"list": [1]}}]]


def test_equality_hash_copy_pickle() -> None:
    a = JS.show(to="#a").push("x", value={"k": [1, {"n": None}]})
    b = JS.show(to="#a").push("x", value={"k": [1, {"n": None}]})
    assert a == b and hash(a) == hash(b) and a != JS.show(to="#a")
    assert copy.deepcopy(a) == a and pickle.loads(pickle.dumps(a)) == a
    assert repr(a).startswith("JS([[")


# ============================================================================ rendering


def test_html_escaping() -> None:
    js = JS.push("x", value={"q": "<\"'&>"})
    html = js.__html__()
    assert isinstance(html, Markup)
    assert html == escape(str(js))
    assert '"' not in html and "'" not in html and "<" not in html and ">" not in html
    assert Markup(f'<b phx-click="{html}">') == Markup('<b phx-click="{}">').format(js)


def test_template_engine_renders_into_attribute() -> None:
    js = JS.push("x", value={"q": "it's \"<b>\" & co"}).show(to="#a")
    out = Template('<b phx-click="{{ js }}" data-js=\'{{ js }}\'>t</b>').render(js=js)
    node = LexborHTMLParser(str(out)).css_first("b")
    assert json.loads(node.attributes["phx-click"]) == js.to_encodable()
    assert json.loads(node.attributes["data-js"]) == js.to_encodable()
    assert Template('<b phx-click="{{ js }}">').render(js=JS.push("x")) == \
        '<b phx-click="[[&#34;push&#34;,{&#34;event&#34;:&#34;x&#34;}]]">'


def test_encodable_goes_through_orjson_for_push_event() -> None:
    js = JS.show(to="#a").dispatch("copy", detail={"n": 1.5})
    payload = {"js": js.to_encodable()}
    assert orjson.loads(orjson.dumps(payload))["js"] == enc(js)


# ============================================================================ validation


@pytest.mark.parametrize("call, error", [
    (lambda: JS.push(1), TypeError),  # type: ignore[arg-type]
    (lambda: JS.push(""), TypeError),
    (lambda: JS.push("x", valeu={}), TypeError),  # type: ignore[call-arg]
    (lambda: JS.push("x", value=[1]), TypeError),  # type: ignore[arg-type]
    (lambda: JS.push("x", value={1: "a"}), TypeError),  # type: ignore[dict-item]
    (lambda: JS.push("x", value={"a": {1: "b"}}), TypeError),
    (lambda: JS.push("x", value={"a": float("nan")}), TypeError),
    (lambda: JS.push("x", value={"a": object()}), TypeError),
    (lambda: JS.push("x", value={"a": "\ud800"}), TypeError),
    (lambda: JS.push("x", target=0), ValueError),
    (lambda: JS.push("x", target=True), TypeError),  # type: ignore[arg-type]
    (lambda: JS.push("x", target=""), TypeError),
    (lambda: JS.push("x", page_loading=1), TypeError),  # type: ignore[arg-type]
    (lambda: JS.push("x", loading=3), TypeError),  # type: ignore[arg-type]
    (lambda: JS.show(time=-1), TypeError),
    (lambda: JS.show(time=1.5), TypeError),  # type: ignore[arg-type]
    (lambda: JS.show(time=True), TypeError),  # type: ignore[arg-type]
    (lambda: JS.show(time="200"), TypeError),  # type: ignore[arg-type]
    (lambda: JS.show(to=""), TypeError),
    (lambda: JS.show(to=5), TypeError),  # type: ignore[arg-type]
    (lambda: JS.show(to={"outer": "x"}), ValueError),
    (lambda: JS.show(to={"inner": "a", "closest": "b"}), ValueError),
    (lambda: JS.show(to={"inner": ""}), TypeError),
    (lambda: JS.show(transition=""), ValueError),
    (lambda: JS.show(transition=("a", "b")), TypeError),
    (lambda: JS.show(transition=("", "b", "c")), ValueError),
    (lambda: JS.show(transition=(["a b"], [], [])), ValueError),
    (lambda: JS.show(display=""), TypeError),
    (lambda: JS.show(blocking="no"), TypeError),  # type: ignore[arg-type]
    (lambda: JS.hide(display="block"), TypeError),  # type: ignore[call-arg]
    (lambda: JS.toggle(transition="x"), TypeError),  # type: ignore[call-arg]
    (lambda: JS.add_class(""), ValueError),
    (lambda: JS.add_class(5), TypeError),  # type: ignore[arg-type]
    (lambda: JS.remove_class([""]), ValueError),
    (lambda: JS.set_attribute("aria-x"), TypeError),  # type: ignore[arg-type]
    (lambda: JS.set_attribute(("aria-x",)), TypeError),  # type: ignore[arg-type]
    (lambda: JS.set_attribute(("aria-x", 1)), TypeError),  # type: ignore[arg-type]
    (lambda: JS.set_attribute(("bad name", "1")), ValueError),
    (lambda: JS.remove_attribute(""), TypeError),
    (lambda: JS.remove_attribute('a"b'), ValueError),
    (lambda: JS.toggle_attribute(("a", "b", "c", "d")), TypeError),  # type: ignore[arg-type]
    (lambda: JS.toggle_attribute(("a", None)), TypeError),  # type: ignore[arg-type]
    (lambda: JS.ignore_attributes([]), TypeError),
    (lambda: JS.dispatch(""), TypeError),
    (lambda: JS.dispatch("click", detail={"a": 1}), ValueError),
    (lambda: JS.dispatch("x", detail={"dispatcher": 1}), ValueError),
    (lambda: JS.dispatch("x", detail={"done": 1}, blocking=True), ValueError),
    (lambda: JS.dispatch("x", bubbles="yes"), TypeError),  # type: ignore[arg-type]
    (lambda: JS.navigate(""), TypeError),
    (lambda: JS.navigate("/p", replace=None), TypeError),  # type: ignore[arg-type]
    (lambda: JS.patch(None), TypeError),  # type: ignore[arg-type]
    (lambda: JS.exec(""), TypeError),
    (lambda: JS.pop_focus(to="#x"), TypeError),  # type: ignore[call-arg]
    (lambda: JS.focus("#x"), TypeError),  # type: ignore[misc]
])
def test_invalid_arguments(call, error) -> None:
    with pytest.raises(error):
        call()


def test_error_messages_name_the_command() -> None:
    with pytest.raises(TypeError, match=r"JS\.show: time must be a non-negative int"):
        JS.show(time=-5)
    with pytest.raises(TypeError, match=r"JS\.push: the event name must be a non-empty string, got 3"):
        JS.push(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'valeu'"):
        JS.push("x", valeu={})  # type: ignore[call-arg]


def test_dispatch_done_allowed_without_blocking() -> None:
    assert enc(JS.dispatch("x", detail={"done": 1})) == [["dispatch", {"event": "x", "detail": {"done": 1}}]]


# ============================================================================ round trips

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # lone surrogates are not UTF-8
_name = _text.filter(lambda s: s != "")
_sel = _name.filter(lambda s: s.strip() != "")
_to = st.none() | _sel | st.builds(lambda k, s: {k: s}, st.sampled_from(["inner", "closest"]), _sel)
_classes = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=6)
                    .filter(lambda s: not any(c.isspace() for c in s)), min_size=1, max_size=3)
_transition = st.none() | _classes.map(" ".join) | st.tuples(_classes, st.lists(st.just("s"), max_size=2), st.just("e f"))
_time = st.none() | st.integers(0, 10_000)
_bool = st.none() | st.booleans()
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_attr = st.from_regex(r"[a-z][a-z0-9_:.-]{0,8}", fullmatch=True)

_steps = st.one_of(
    st.builds(lambda e, v, t, p: ("push", (e,), {"value": v, "target": t, "page_loading": p}),
              _name, st.none() | st.dictionaries(_text, _json, max_size=3), st.none() | _sel | st.integers(1, 99), _bool),
    st.builds(lambda to, tr, tm, d, b: ("show", (), {"to": to, "transition": tr, "time": tm, "display": d, "blocking": b}),
              _to, _transition, _time, st.none() | _name, _bool),
    st.builds(lambda to, tr, tm: ("hide", (), {"to": to, "transition": tr, "time": tm}), _to, _transition, _time),
    st.builds(lambda to, i, o: ("toggle", (), {"to": to, "in_": i, "out": o}), _to, _transition, _transition),
    st.builds(lambda k, n, to, tr: (k, (n,), {"to": to, "transition": tr}),
              st.sampled_from(["add_class", "remove_class", "toggle_class"]), _classes, _to, _transition),
    st.builds(lambda a, v, to: ("set_attribute", ((a, v),), {"to": to}), _attr, _text, _to),
    st.builds(lambda a, to: ("remove_attribute", (a,), {"to": to}), _attr, _to),
    st.builds(lambda a, vs, to: ("toggle_attribute", ((a, *vs),), {"to": to}), _attr, st.lists(_text, min_size=1, max_size=2), _to),
    st.builds(lambda tr, to: ("transition", (tr,), {"to": to}), _classes.map(" ".join), _to),
    st.builds(lambda e, d, b: ("dispatch", (e,), {"detail": d, "bubbles": b}),
              _name.filter(lambda e: e != "click"), st.none() | st.dictionaries(_text.filter(lambda k: k != "dispatcher"), _json, max_size=3), _bool),
    st.builds(lambda k, to: (k, (), {"to": to}), st.sampled_from(["focus", "focus_first", "push_focus"]), _to),
    st.just(("pop_focus", (), {})),
    st.builds(lambda k, h, r: (k, (h,), {"replace": r}), st.sampled_from(["navigate", "patch"]), _name, st.booleans()),
    st.builds(lambda a, to: ("exec", (a,), {"to": to}), _attr, _to),
)


def _chain(steps) -> JS:
    js = JS()
    for name, args, kwargs in steps:
        js = getattr(js, name)(*args, **{k: v for k, v in kwargs.items() if v is not None})
    return js


@settings(max_examples=300)
@given(st.lists(_steps, max_size=6))
def test_any_chain_round_trips_through_json_and_html(steps) -> None:
    js = _chain(steps)
    encodable = js.to_encodable()
    assert len(encodable) == len(steps)
    assert [kind for kind, _ in encodable] == [
        {"set_attribute": "set_attr", "remove_attribute": "remove_attr", "toggle_attribute": "toggle_attr"}.get(n, n)
        for n, _, _ in steps
    ]
    assert json.loads(str(js)) == encodable
    assert orjson.loads(orjson.dumps(encodable)) == encodable
    for quote in ('"', "'"):
        rendered = Template(f"<div id=x phx-click={quote}{{{{ js }}}}{quote} title=after></div>").render(js=js)
        node = LexborHTMLParser(str(rendered)).css_first("#x")
        assert json.loads(node.attributes["phx-click"]) == encodable
        assert node.attributes["title"] == "after"
    # a chain and its halves agree
    half = len(steps) // 2
    assert _chain(steps[:half]) + _chain(steps[half:]) == js
