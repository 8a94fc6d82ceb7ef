"""``pyview_core.JS`` commands run by the real client: phoenix_live_view 1.2.12 in Chromium.

One page for the module loads the vendored bundle, builds a ``LiveSocket`` on a stub socket and
a root view over ``#view`` (as tests/testing/test_dom_chromium.py does), and then runs commands
built in Python with ``liveSocket.execJS(sourceEl, encoded, "click")`` -- the client's own
parser and executor (``js.js``). The server side is stubbed where a command would reach it:
``view.pushEvent`` and ``liveSocket.historyRedirect``/``pushHistoryPatch`` record their calls.
Every test asserts the DOM effects the command should have and that the page raised nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from client_page import client_page

from pyview_core import JS
from pyview_templates import Template

pytestmark = pytest.mark.e2e

# On top of client_page's root view: what would reach the server is recorded instead.
SETUP = """() => {
  const liveSocket = window.liveSocket;
  const view = window.rootView;
  liveSocket.main = view;
  window.calls = [];
  // what would reach the server is recorded instead
  view.isConnected = () => true;
  view.pushEvent = (type, el, targetCtx, phxEvent, meta, opts) => calls.push({
    kind: "pushEvent", type, source: el.id, event: phxEvent,
    target: typeof targetCtx === "number" ? targetCtx : (targetCtx && targetCtx.id),
    value: JSON.parse(JSON.stringify(view.extractMeta(el, meta, opts.value))), page_loading: opts.page_loading,
    loading: opts.loading === undefined ? null : opts.loading});
  liveSocket.historyRedirect = (e, href, kind) => calls.push({kind: "navigate", href, how: kind});
  liveSocket.pushHistoryPatch = (e, href, kind) => calls.push({kind: "patch", href, how: kind});
  liveSocket.bindTopLevelEvents();  // the phx-click binding, as connect() would
  window.frames2 = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r))));
  window.settle = async (ms) => { await frames2(); await new Promise(r => setTimeout(r, ms || 0)); await frames2(); };
}"""

PAGE = ('<!doctype html><html><head><style>.big{width:100px}</style></head><body>'
        '<div id="view" data-phx-session="stub"></div></body></html>')


class Client:
    """The page with the real client; ``run`` executes a Python-built JS from a source element."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def load(self, markup: str) -> None:
        self.errors.clear()
        self.page.evaluate("markup => { document.getElementById('view').innerHTML = markup; calls.length = 0 }", markup)

    def run(self, source: str, js: JS, *, as_array: bool = False, settle_ms: int = 0) -> None:
        encoded = js.to_encodable() if as_array else str(js)
        self.page.evaluate(
            """async ([source, encoded, ms]) => {
                 liveSocket.execJS(document.querySelector(source), encoded, "click");
                 await settle(ms);
               }""",
            [source, encoded, settle_ms],
        )

    def click(self, selector: str, settle_ms: int = 0) -> None:
        """A real click: the client's own phx-click binding reads the attribute."""
        self.page.click(selector)
        self.page.evaluate("ms => settle(ms)", settle_ms)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def display(self, selector: str) -> str:
        return self.js("s => getComputedStyle(document.querySelector(s)).display", selector)

    def classes(self, selector: str) -> list[str]:
        return self.js("s => Array.from(document.querySelector(s).classList)", selector)

    def attr(self, selector: str, name: str) -> str | None:
        return self.js("([s, n]) => document.querySelector(s).getAttribute(n)", [selector, name])

    def calls(self) -> list[dict[str, Any]]:
        return self.js("() => JSON.parse(JSON.stringify(calls))")

    def active(self) -> str:
        return self.js("() => document.activeElement && document.activeElement.id")


@pytest.fixture(scope="module")
def client(chromium) -> Iterator[Client]:
    with client_page(chromium, PAGE) as page:  # chromium: tests/conftest.py, the run's one browser
        page.evaluate(SETUP)
        yield Client(page)


@pytest.fixture
def c(client: Client) -> Iterator[Client]:
    yield client
    assert client.errors == [], client.errors


# ============================================================================ visibility


def test_show_hide_toggle(c: Client) -> None:
    c.load('<div id="a" style="display:none">A</div><div id="b">B</div><span id="src">s</span>')
    c.run("#src", JS.show(to="#a", display="flex").hide(to="#b"))
    assert (c.display("#a"), c.display("#b")) == ("flex", "none")
    c.run("#src", JS.toggle(to="#a").toggle(to="#b"))
    assert (c.display("#a"), c.display("#b")) == ("none", "block")
    c.run("#src", JS.toggle(to="#a", display="inline-block"), as_array=True)
    assert c.display("#a") == "inline-block"


def test_show_with_transition_runs_the_phases_then_cleans_up(c: Client) -> None:
    c.load('<div id="a" style="display:none">A</div><span id="src">s</span>')
    c.js("""() => { window.seen = [];
                    const a = document.getElementById('a');
                    for (const e of ['phx:show-start', 'phx:show-end']) a.addEventListener(e, () => seen.push(e)); }""")
    c.run("#src", JS.show(to="#a", transition=("fade", "o-0", "o-100"), time=300))
    # mid-transition: visible, transition + end classes on, start class gone
    assert c.display("#a") == "block"
    assert set(c.classes("#a")) == {"fade", "o-100"}
    c.js("() => settle(350)")
    assert c.classes("#a") == []
    assert c.js("() => seen") == ["phx:show-start", "phx:show-end"]


def test_hide_with_transition_and_non_blocking(c: Client) -> None:
    c.load('<div id="a">A</div><span id="src">s</span>')
    c.run("#src", JS.hide(to="#a", transition="fade-out", time=50, blocking=False), settle_ms=80)
    assert c.display("#a") == "none"
    assert c.classes("#a") == []


# ============================================================================ classes


def test_add_remove_toggle_class_with_scoped_selectors(c: Client) -> None:
    c.load('<div class="card" id="card"><button id="btn">b</button><i class="item x" id="i1"></i>'
           '<i class="item" id="i2"></i></div><i class="item" id="outside"></i>')
    c.run("#card", JS.add_class("on big", to={"inner": ".item"}))
    assert c.classes("#i1") == ["item", "x", "on", "big"]
    assert c.classes("#i2") == ["item", "on", "big"]
    assert c.classes("#outside") == ["item"]
    c.run("#btn", JS.add_class(["hl"], to={"closest": ".card"}).remove_class("x on", to="#i1"))
    assert c.classes("#card") == ["card", "hl"]
    assert c.classes("#i1") == ["item", "big"]
    c.run("#btn", JS.toggle_class("big new", to=".item"))
    assert c.classes("#i1") == ["item", "new"]
    assert c.classes("#outside") == ["item", "big", "new"]


def test_class_transition_leaves_the_end_classes(c: Client) -> None:
    c.load('<div id="a" class="old">A</div>')
    c.run("#a", JS.add_class("done", transition=("t-run", "t-start", "t-end"), time=50).remove_class("old"),
          settle_ms=80)
    # client: on done it adds names + end classes and removes run + start classes
    assert sorted(c.classes("#a")) == ["done", "t-end"]


def test_transition_command(c: Client) -> None:
    c.load('<div id="a">A</div>')
    c.run("#a", JS.transition("shake wobble", time=300))
    assert c.classes("#a") == ["shake", "wobble"]
    c.js("() => settle(350)")
    assert c.classes("#a") == []


# ============================================================================ attributes


def test_set_remove_toggle_attribute(c: Client) -> None:
    c.load('<button id="b" aria-expanded="false" data-gone="1" hidden>b</button>')
    c.run("#b", JS.set_attribute(("aria-expanded", "true")).remove_attribute("data-gone")
          .toggle_attribute(("hidden", "")).set_attribute(("title", 'say "hi" & <bye>')))
    assert c.attr("#b", "aria-expanded") == "true"
    assert c.attr("#b", "data-gone") is None
    assert c.attr("#b", "hidden") is None
    assert c.attr("#b", "title") == 'say "hi" & <bye>'
    c.run("#b", JS.toggle_attribute(("hidden", "")).toggle_attribute(("aria-expanded", "true", "false")))
    assert (c.attr("#b", "hidden"), c.attr("#b", "aria-expanded")) == ("", "false")
    c.run("#b", JS.toggle_attribute(("aria-expanded", "true", "false")))
    assert c.attr("#b", "aria-expanded") == "true"


def test_ignore_attributes_registers_on_the_element(c: Client) -> None:
    c.load('<details id="d" open>x</details>')
    c.run("#d", JS.ignore_attributes(["open", "data-*"]))
    assert c.js("() => typeof document.getElementById('d').phxPrivate['JS:ignore_attrs'].apply") == "function"


# ============================================================================ events


def test_dispatch_detail_and_bubbles(c: Client) -> None:
    c.load('<div id="outer"><b id="t">t</b></div><span id="src">s</span>')
    c.js("""() => { window.got = [];
                    document.getElementById('t').addEventListener('ping', e => got.push(['t', e.detail.n, e.detail.dispatcher.id, e.bubbles]));
                    document.getElementById('outer').addEventListener('ping', e => got.push(['outer', e.detail.s])); }""")
    c.run("#src", JS.dispatch("ping", to="#t", detail={"n": 1, "s": "<&\">"}))
    c.run("#src", JS.dispatch("ping", to="#t", detail={"n": 2}, bubbles=False))
    assert c.js("() => got") == [["t", 1, "src", True], ["outer", '<&">'], ["t", 2, "src", False]]


def test_dispatch_click_clicks(c: Client) -> None:
    c.load('<button id="b" onclick="window.clicked = (window.clicked || 0) + 1">b</button>')
    c.js("() => { window.clicked = 0 }")
    c.run("#b", JS.dispatch("click"))
    assert c.js("() => window.clicked") == 1


def test_blocking_dispatch_hands_done_to_the_listener(c: Client) -> None:
    c.load('<b id="t">t</b>')
    c.js("() => { window.gotDone = null; document.getElementById('t').addEventListener('slow', e => { gotDone = typeof e.detail.done; e.detail.done(); }) }")
    c.run("#t", JS.dispatch("slow", blocking=True))
    assert c.js("() => gotDone") == "function"


def test_push(c: Client) -> None:
    c.load('<div id="comp" data-phx-component="3">c</div><div id="sel">s</div><div id="spin">x</div>'
           '<span id="b" phx-value-a="from-attr" phx-value-id="9">b</span>')  # no .value: a button's "" would join
    c.js("() => document.getElementById('comp').setAttribute('data-phx-view', rootView.id)")
    c.run("#b", JS.push("inc", value={"id": 1, "nested": {"k": [1, 2]}}))
    c.run("#b", JS.push("sel", target="#sel", page_loading=True, loading="#spin"))
    c.run("#b", JS.push("cid", target=3))
    assert c.calls() == [
        {"kind": "pushEvent", "type": "click", "source": "b", "event": "inc", "target": "b",
         "value": {"a": "from-attr", "id": 1, "nested": {"k": [1, 2]}}, "page_loading": False, "loading": None},
        {"kind": "pushEvent", "type": "click", "source": "b", "event": "sel", "target": "sel",
         "value": {"a": "from-attr", "id": "9"}, "page_loading": True, "loading": "#spin"},
        {"kind": "pushEvent", "type": "click", "source": "b", "event": "cid", "target": 3,
         "value": {"a": "from-attr", "id": "9"}, "page_loading": False, "loading": None},
    ]


def test_navigate_and_patch(c: Client) -> None:
    c.load('<a id="l">l</a>')
    c.run("#l", JS.navigate("/path").patch("/path?x=1&y=<2>", replace=True).navigate("/r", replace=True))
    assert c.calls() == [
        {"kind": "navigate", "href": "/path", "how": "push"},
        {"kind": "patch", "href": "/path?x=1&y=<2>", "how": "replace"},
        {"kind": "navigate", "href": "/r", "how": "replace"},
    ]


def test_exec_runs_the_commands_of_another_attribute(c: Client) -> None:
    confirm = JS.add_class("confirmed", to="#flag").push("ok")
    c.load(Template('<div id="dlg" data-confirm="{{ js }}">d</div><i id="flag"></i><button id="b">b</button>')
           .render(js=confirm))
    c.run("#b", JS.exec("data-confirm", to="#dlg"))
    assert c.classes("#flag") == ["confirmed"]
    assert [call["event"] for call in c.calls()] == ["ok"]


# ============================================================================ focus


def test_focus_focus_first_push_and_pop_focus(c: Client) -> None:
    c.load('<button id="opener">o</button><div id="modal"><p>text</p><span id="s" tabindex="-1">s</span>'
           '<input id="first"><button id="second">2</button></div><a id="far" href="#">far</a>')
    c.js("() => document.getElementById('opener').focus()")
    c.run("#opener", JS.push_focus().focus_first(to="#modal"))
    assert c.active() == "first"
    c.run("#first", JS.focus(to="#far"))
    assert c.active() == "far"
    c.run("#far", JS.pop_focus())
    assert c.active() == "opener"


# ============================================================================ rendered into a template


def test_phx_click_rendered_by_the_template_engine(c: Client) -> None:
    js = (JS.show(to="#panel").set_attribute(("data-note", "it's \"quoted\" & <tagged>"), to="#panel")
          .push("opened", value={"why": "'\"<>&"}))
    for quote in ('"', "'"):
        markup = Template(f'<span id="b" phx-click={quote}{{{{ js }}}}{quote}>open</span>'
                          '<div id="panel" style="display:none">p</div>').render(js=js)
        c.load(markup)
        c.click("#b")
        assert c.display("#panel") == "block"
        assert c.attr("#panel", "data-note") == "it's \"quoted\" & <tagged>"
        assert [(call["event"], call["value"]) for call in c.calls()] == [("opened", {"why": "'\"<>&"})]


# ============================================================================ generated chains

_word = st.text("abcdefgh-_", min_size=1, max_size=6)
_value = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
_safe_cmd = st.one_of(
    st.builds(lambda n: ("add_class", n), _word), st.builds(lambda n: ("remove_class", n), _word),
    st.builds(lambda n: ("toggle_class", n), _word), st.builds(lambda a, v: ("set_attribute", (f"data-{a}", v)), _word, st.text(max_size=10)),
    st.builds(lambda a: ("remove_attribute", f"data-{a}"), _word),
    st.builds(lambda d: ("dispatch", d), st.dictionaries(st.text("xyz<>&\"'", min_size=1, max_size=4), _value, max_size=3)),
    st.builds(lambda v: ("push", v), st.dictionaries(st.text("pq<>&\"'", min_size=1, max_size=4), _value, max_size=3)),
)


def _build(cmds: list[tuple[str, Any]]) -> JS:
    js = JS()
    for kind, arg in cmds:
        if kind == "dispatch":
            js = js.dispatch("gen", to="#t", detail=arg)
        elif kind == "push":
            js = js.push("gen", value=arg)
        elif kind in ("add_class", "remove_class", "toggle_class"):
            js = getattr(js, kind)(arg, to="#t")
        else:
            js = getattr(js, kind)(arg, to="#t")
    return js


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_safe_cmd, max_size=6))
def test_generated_chains_run_in_the_client(c: Client, cmds: list[tuple[str, Any]]) -> None:
    """The client parses any chain rendered into phx-click, and its events carry our data."""
    js = _build(cmds)
    c.load(Template('<span id="b" phx-click="{{ js }}">b</span><b id="t"></b>').render(js=js))
    c.js("() => { window.details = []; document.getElementById('t').addEventListener('gen', e => { const {dispatcher, ...d} = e.detail; details.push(d) }) }")
    c.click("#b")
    assert c.js("() => details") == [arg for kind, arg in cmds if kind == "dispatch"]
    # Client quirk: a phx-click binding hands every push of the chain the same `data` object and
    # extractMeta merges each push's value into it, so a push also carries earlier pushes' values.
    expected, seen = [], {}
    for kind, arg in cmds:
        if kind == "push":
            seen = {**seen, **arg}
            expected.append(seen)
    assert [call["value"] for call in c.calls()] == expected
    assert c.errors == []
    # the client parses exactly what we encoded
    assert c.js("() => JSON.parse(document.getElementById('b').getAttribute('phx-click'))") == json.loads(str(js))


# ============================================================================ client quirks JS guards against


def test_client_quirks_behind_the_validation(c: Client) -> None:
    """Raw JSON the builder refuses to produce, to show why it refuses."""
    c.load('<b id="t" hidden>t</b>')
    c.js("() => { window.clickDetail = null; document.getElementById('t').addEventListener('click', e => { clickDetail = e.detail }) }")
    # JS.dispatch("click", detail=...) raises: the client sends a MouseEvent, whose detail is a number
    c.js("""() => liveSocket.execJS(document.getElementById('t'), '[["dispatch",{"event":"click","detail":{"a":1}}]]', "click")""")
    assert c.js("() => clickDetail") == 0
    # toggle_attribute((name, v1)) is encoded with two items: a JSON null third item is not `undefined`
    c.js("""() => liveSocket.execJS(document.getElementById('t'), '[["toggle_attr",{"attr":["hidden","",null]}]]', "click")""")
    assert c.attr("#t", "hidden") == "null"
    c.run("#t", JS.toggle_attribute(("hidden", "")))
    assert c.attr("#t", "hidden") is None


def test_pushes_in_one_binding_share_their_values(c: Client) -> None:
    """The quirk the generated test models: values accumulate over the pushes of one phx-click,
    while liveSocket.execJS (no binding defaults) gives each push only its own value."""
    js = JS.push("a", value={"x": 1}).push("b", value={"y": 2})
    c.load(Template('<span id="b" phx-click="{{ js }}">b</span>').render(js=js))
    c.click("#b")
    assert [(call["event"], call["value"]) for call in c.calls()] == [("a", {"x": 1}), ("b", {"x": 1, "y": 2})]
    c.load('<span id="s">s</span>')
    c.run("#s", js)
    assert [(call["event"], call["value"]) for call in c.calls()] == [("a", {"x": 1}), ("b", {"y": 2})]
