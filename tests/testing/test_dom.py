"""pyview_core.testing.dom: finding elements, event values and forms as the browser and the 1.2.12
client see them. Expected values are worked out by hand from the client's ``view.ts`` and the
HTML standard; ``test_dom_chromium.py`` checks the same code against the real client."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyview_core.testing.controls import is_disabled
from pyview_core.testing.dom import Page, comparable, event_value, pushes
from pyview_core.testing.forms import Form
from pyview_core.testing.messages import describe, snippet
from pyview_core.testing.errors import LiveViewTestError


def pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))


def form_of(markup: str, selector: str = "form") -> tuple[Page, Form]:
    page = Page(markup)
    return page, Form(page, page.one(selector))


# ============================================================================ finding elements

COUNTER = """
<main>
  <h1>Count: 3</h1>
  <button phx-click="inc" class="add">+1</button>
  <button phx-click="dec" class="sub">-1</button>
  <button phx-click="reset">Reset
     the   count</button>
  <a href="/x">link</a>
</main>"""


def test_select_by_css_and_text() -> None:
    page = Page(COUNTER)
    assert [n.attributes["phx-click"] for n in page.select("button")] == ["inc", "dec", "reset"]
    assert [n.attributes["phx-click"] for n in page.select("button", "-1")] == ["dec"]
    # text is whitespace-normalised on both sides, and a regex is searched in it
    assert page.one("button", "Reset the count").attributes["phx-click"] == "reset"
    assert page.one("button", "Reset  the\ncount").attributes["phx-click"] == "reset"
    assert page.one("button", re.compile(r"^\+\d$")).attributes["phx-click"] == "inc"
    assert page.select("button", "nope") == []


def test_fragment_is_parsed_like_inner_html() -> None:
    # A leading <style> stays in the fragment (a document parse would move it into <head>),
    # and the parser adds the <tbody> the browser adds.
    page = Page("<style>p{}</style><table><tr><td>cell</td></tr></table>")
    assert [n.tag for n in page.select("*")] == ["style", "table", "tbody", "tr", "td"]
    assert page.one("table > tbody > tr > td").text() == "cell"


def test_one_with_no_match_lists_the_elements_the_text_did_not_match() -> None:
    with pytest.raises(LiveViewTestError) as err:
        Page(COUNTER).one("button", "+2", binding="phx-click")
    message = str(err.value)
    assert "no element matching 'button' with text '+2'" in message
    assert '<button phx-click="inc" class="add">+1</button>' in message
    assert '<button phx-click="reset">Reset the count</button>' in message


def test_one_with_no_match_lists_the_elements_carrying_the_binding() -> None:
    with pytest.raises(LiveViewTestError) as err:
        Page(COUNTER).one("button.missing", binding="phx-click")
    message = str(err.value)
    assert "no element matching 'button.missing'" in message and "elements with phx-click:" in message
    assert message.count("<button") == 3


def test_one_with_no_match_and_nothing_to_suggest() -> None:
    with pytest.raises(LiveViewTestError, match=r"the page has no element matching 'video'$"):
        Page(COUNTER).one("video")
    with pytest.raises(LiveViewTestError, match=r"no element has phx-submit"):
        Page(COUNTER).one("form", binding="phx-submit")


def test_one_with_several_matches_lists_five_and_counts_the_rest() -> None:
    page = Page("".join(f'<li id="i{n}">item {n}</li>' for n in range(8)))
    with pytest.raises(LiveViewTestError) as err:
        page.one("li")
    message = str(err.value)
    assert "'li' matches 8 elements, expected exactly one" in message
    assert '<li id="i4">item 4</li>' in message and "i5" not in message
    assert "... and 3 more" in message


def test_invalid_selector_is_named() -> None:
    with pytest.raises(LiveViewTestError, match=r"invalid CSS selector 'button\['"):
        Page(COUNTER).select("button[")
    with pytest.raises(LiveViewTestError, match=r"invalid CSS selector"):
        Page(COUNTER).one("!!", binding="phx-click")


def test_snippet_is_one_short_line() -> None:
    page = Page('<button phx-click="save" disabled>Save\n   all</button><input name="q" value="x">'
                f'<p class="long">{"word " * 40}</p>')
    assert snippet(page.one("button")) == '<button phx-click="save" disabled>Save all</button>'
    assert snippet(page.one("input")) == '<input name="q" value="x">'
    long = snippet(page.one("p"))
    assert len(long) == 80 and long.endswith("…") and "\n" not in long


def test_describe() -> None:
    assert describe("button.add") == "'button.add'"
    assert describe("button.add", "+1") == "'button.add' with text '+1'"
    assert describe("li", re.compile(r"item \d")) == "'li' with text matching 'item \\\\d'"


def test_duplicate_ids_and_change_forms_without_id() -> None:
    page = Page('<p id="a"></p><p id="b"></p><p id="a"></p><p id=""></p><p id=""></p>'
                '<form phx-change="v"><input name="x"></form><form id="ok" phx-change="v"></form>'
                '<form id="" phx-change="w"></form><form phx-submit="s"></form>')
    assert page.duplicate_ids() == ["a"]
    assert page.change_forms_without_id() == ['<form phx-change="v"></form>', '<form id="" phx-change="w"></form>']


# ============================================================================ disabled


def test_is_disabled() -> None:
    page = Page("""
      <button id="own" disabled>x</button><div id="div" disabled phx-click="x">x</div>
      <fieldset disabled id="fs">
        <legend><input id="in-first-legend"></legend>
        <legend><input id="in-second-legend"></legend>
        <input id="in-fieldset"><div phx-click="x" id="div-in-fieldset">x</div>
        <fieldset id="inner"><legend><button id="inner-legend">x</button></legend></fieldset>
      </fieldset>
      <select><optgroup disabled id="og"><option id="in-og">a</option></optgroup><option id="free">b</option>
        <option disabled id="opt">c</option></select>""")
    disabled = {n.attributes["id"] for n in page.select("[id]") if is_disabled(n)}
    assert disabled == {"own", "fs", "in-second-legend", "in-fieldset", "inner", "inner-legend", "og", "in-og", "opt"}


# ============================================================================ event values


def test_event_value_of_a_div_is_its_phx_values() -> None:
    node = Page('<div phx-click="x" phx-value-id="7" phx-value-flag phx-value-User-Name="a">d</div>').one("div")
    assert event_value(node) == {"id": "7", "flag": "", "user-name": "a"}  # attribute names are lowercase


def test_event_value_of_controls() -> None:
    page = Page("""
      <button id="b" value="go" phx-value-id="1">b</button><button id="plain">p</button>
      <input id="on" type="checkbox" checked><input id="off" type="checkbox" value="v" phx-value-value="kept?">
      <select id="s"><option value="1">one</option><option selected>  two
       words </option></select><select id="none" size="2"><option>x</option></select>
      <textarea id="t">
line</textarea><input id="num" type="number" value="abc">
      <ol><li id="li" value="3x">a</li><li id="li0">b</li></ol>
      <meter id="m" value="2" max="1.5"></meter><progress id="p"></progress><progress id="p2" value="0.5"></progress>
      <data id="d" value="42">x</data><output id="o">a <b>b</b></output>
      <form id="f" phx-value-x="1"><input name="value"></form><a id="a" href="/">a</a>""")
    value = {n.attributes["id"]: event_value(n) for n in page.select("[id]")}
    assert value["b"] == {"id": "1", "value": "go"}
    assert value["plain"] == {"value": ""}
    assert value["on"] == {"value": "on"}
    assert value["off"] == {}  # an unchecked box sends no value at all, not even its phx-value-value
    assert value["s"] == {"value": "two words"}
    assert value["none"] == {"value": ""}  # a list box selects nothing by itself
    assert value["t"] == {"value": "line"}  # the parser drops the newline after <textarea>
    assert value["num"] == {"value": ""}  # not a number: the browser empties it
    assert value["li"] == {"value": 3} and value["li0"] == {"value": 0}
    assert value["m"] == {"value": 1.5} and value["p"] == {"value": 0} and value["p2"] == {"value": 0.5}
    assert value["d"] == {"value": "42"} and value["o"] == {"value": "a b"}
    assert value["f"] == {"x": "1"} and value["a"] == {}


def test_event_value_layers_meta_attributes_value_and_extra() -> None:
    node = Page('<input phx-keyup="k" phx-value-key="attr" phx-value-n="1" value="typed">').one("input")
    got = event_value(node, {"n": 2, "extra": True}, meta={"key": "Enter", "meta": 1})
    assert got == {"key": "attr", "meta": 1, "n": 2, "value": "typed", "extra": True}
    assert list(got) == ["key", "meta", "n", "value", "extra"]
    # the client's for...in over a string or list adds its indexes
    assert event_value(Page("<div></div>").one("div"), "ab") == {"0": "a", "1": "b"}


def test_event_value_reads_what_the_test_filled() -> None:
    page, form = form_of('<form><input name="q" value="old"><input type="checkbox" name="c" value="yes">'
                         '<select name="s"><option>a</option><option>b</option></select></form><input name="q2" value="x">')
    form.fill({"q": "new", "c": True, "s": "b"})
    assert event_value(page.one("[name=q]"), form=form) == {"value": "new"}
    assert event_value(page.one("[name=c]"), form=form) == {"value": "yes"}
    assert event_value(page.one("[name=s]"), form=form) == {"value": "b"}
    assert event_value(page.one("[name=q]")) == {"value": "old"}  # without the form: the page's value
    assert event_value(page.one("[name=q2]"), form=form) == {"value": "x"}  # not a field of that form


# ============================================================================ pushes


def _node(attrs: str):
    return Page(f"<button {attrs}>b</button>").one("button")


def test_pushes_of_a_plain_event_name() -> None:
    assert pushes(_node('phx-click="inc"'), "phx-click") == [("inc", None)]


def test_pushes_of_a_js_command_list() -> None:
    commands = ('[["push",{"event":"inc","value":{"a":1}}],["toggle",{"to":"#menu"}],'
                '["push",{"event":"log","target":"#x"}],["exec",{"attr":"data-cancel"}]]')
    node = _node(f"phx-click='{commands}'")
    assert pushes(node, "phx-click") == [("inc", {"a": 1}), ("log", None)]
    assert pushes(_node('phx-click="[[&quot;hide&quot;,{}]]"'), "phx-click") == []


@pytest.mark.parametrize(("attrs", "message"), [
    ('phx-click="x" phx-value-a="1"', r"has no phx-blur; it has: phx-click, phx-value-a"),
    ('class="c"', r"has no phx-blur; it has: no phx-\* attributes"),
    ('phx-blur=""', r"phx-blur of .* is empty"),
    ('phx-blur="[[&quot;push&quot;"', r"phx-blur of .* is not a valid JS command list"),
    ('phx-blur="[1]"', r"malformed JS command 1"),
    ('phx-blur="[[&quot;push&quot;,{&quot;value&quot;:{}}]]"', r"push without an event name"),
    ('phx-blur="[[&quot;push&quot;,{&quot;event&quot;:NaN}]]"', r"not a valid JS command list"),
])
def test_pushes_refuses(attrs: str, message: str) -> None:
    with pytest.raises(LiveViewTestError, match=message):
        pushes(_node(attrs), "phx-blur")


# ============================================================================ forms: serialising

PHOENIX_FORM = """
<form id="f" phx-change="validate" phx-submit="save">
  <input type="hidden" name="_csrf" value="t">
  <input name="user[name]" value="Ada">
  <input type="hidden" name="user[admin]" value="false"><input type="checkbox" name="user[admin]" value="true">
  <select name="user[plan]"><option value="free">Free</option><option value="pro" selected>Pro</option></select>
  <textarea name="user[bio]">
hi</textarea>
  <button name="save" value="draft">Draft</button><button>Save</button>
</form>"""


def test_untouched_form_marks_every_visible_field_unused() -> None:
    _page, form = form_of(PHOENIX_FORM)
    assert form.serialize() == (
        "_csrf=t&user%5B_unused_name%5D=&user%5Bname%5D=Ada&user%5B_unused_admin%5D=&user%5Badmin%5D=false"
        "&user%5B_unused_plan%5D=&user%5Bplan%5D=pro&user%5B_unused_bio%5D=&user%5Bbio%5D=hi"
    )


def test_filled_and_used_fields_lose_their_unused_marker() -> None:
    _page, form = form_of(PHOENIX_FORM)
    assert form.fill({"user": {"name": "Grace H", "admin": True}}) == ["user[name]", "user[admin]"]
    assert pairs(form.serialize(used={"user[name]", "user[admin]"})) == [
        ("_csrf", "t"), ("user[name]", "Grace H"), ("user[admin]", "false"), ("user[admin]", "true"),
        ("user[_unused_plan]", ""), ("user[plan]", "pro"), ("user[_unused_bio]", ""), ("user[bio]", "hi"),
    ]


def test_submit_with_a_named_button_sends_it_in_place() -> None:
    page, form = form_of(PHOENIX_FORM.replace('<button name="save"', '<input name="mid"><button name="save"'))
    assert pairs(form.serialize(submitter=page.one("button[name=save]"), submitted=True))[-3:] == [
        ("user[bio]", "hi"), ("mid", ""), ("save", "draft"),
    ]
    # an unnamed submitter adds nothing; any other element is refused
    assert pairs(form.serialize(submitter=page.one("button", "Save"), submitted=True))[-2:] == [("user[bio]", "hi"), ("mid", "")]
    with pytest.raises(LiveViewTestError, match=r"is not a submit button of form #f; it has:\n  <button name=\"save\""):
        form.serialize(submitter=page.one("textarea"))


def test_submitter_name_is_never_marked_unused() -> None:
    page, form = form_of('<form><input name="go" value="field"><button name="go" value="b">b</button></form>')
    assert pairs(form.serialize(submitter=page.one("button"))) == [("go", "field"), ("go", "b")]
    assert pairs(form.serialize()) == [("_unused_go", ""), ("go", "field")]


def test_only_names_and_no_unused_field() -> None:
    markup = ('<form{}><input name="a" value="1"><input name="b" value="2" phx-no-unused-field>'
              '<input name="tags[]" value="x"><input name="tags[]" value="y"></form>')
    _page, form = form_of(markup.format(""))
    assert pairs(form.serialize()) == [("_unused_a", ""), ("a", "1"), ("b", "2"), ("_unused_tags[]", ""), ("tags[]", "x"),
                                       ("_unused_tags[]", ""), ("tags[]", "y")]
    assert pairs(form.serialize(only_names=["a"])) == [("_unused_a", ""), ("a", "1")]
    assert pairs(form.serialize(submitted=True, only_names=["tags[]"])) == [("tags[]", "x"), ("tags[]", "y")]
    _page, form = form_of(markup.format(" phx-no-unused-field"))
    assert pairs(form.serialize()) == [("a", "1"), ("b", "2"), ("tags[]", "x"), ("tags[]", "y")]


def test_which_fields_are_submitted() -> None:
    _page, form = form_of("""
      <form><input name="plain"><input disabled name="off" value="x"><fieldset disabled><input name="fs" value="x">
      <legend><input name="legend" value="kept"></legend></fieldset><input name="" value="nameless"><input value="nameless">
      <input type="checkbox" name="cb"><input type="checkbox" name="cb2" checked><input type="radio" name="r" value="1" checked>
      <input type="radio" name="r" value="2" checked><input type="file" name="up"><input name="up" value="gone with the file">
      <input type="submit" name="s" value="S"><input type="image" name="i"><input type="reset" name="rs"><input type="button" name="bt">
      <button type="button" name="bb">x</button><select name="sel"><option disabled>x</option><option>y</option></select>
      <select name="multi" multiple><option selected>1</option><option selected disabled>2</option><option selected>3</option></select>
      </form>""")
    assert pairs(form.serialize(submitted=True)) == [
        ("plain", ""), ("legend", "kept"), ("cb2", "on"), ("r", "2"), ("sel", "y"), ("multi", "1"), ("multi", "3"),
    ]


def test_form_attribute_decides_membership() -> None:
    page = Page('<input name="before" form="f"><form id="f"><input name="in"><input name="away" form="g"></form>'
                '<form id="g"></form><input name="after" form="f"><input name="lost" form="nope">')
    assert Form(page, page.one("#f")).field_names() == ["before", "in", "after"]
    assert Form(page, page.one("#g")).field_names() == ["away"]


def test_browser_value_sanitisation() -> None:
    _page, form = form_of("""<form phx-no-unused-field>
      <input name="t" value="a&#10;b"><input type="hidden" name="h" value="a&#13;&#10;b"><input type="email" name="e" value=" x@y ">
      <input type="number" name="n" value="1."><input type="range" name="r" min="0" max="10" step="4" value="7">
      <input type="color" name="c" value="#ABC"><input type="date" name="d" value="2023-02-29">
      <input type="datetime-local" name="dt" value="2024-01-02 10:00:00"><textarea name="ta">a&#13;&#10;b</textarea></form>""")
    assert pairs(form.serialize()) == [
        ("t", "ab"), ("h", "a\r\nb"), ("e", "x@y"), ("n", ""), ("r", "8"), ("c", "#aabbcc"), ("d", ""),
        ("dt", "2024-01-02T10:00"), ("ta", "a\nb"),
    ]


def test_urlencoding_is_the_urlsearchparams_one() -> None:
    _page, form = form_of('<form phx-no-unused-field><input name="k ~*-._!\'()" value=""></form>')
    form.fill({"k ~*-._!'()": "a b+c&d=e~ü😀\ud800"})
    assert form.serialize() == ("k+%7E*-._%21%27%28%29=a+b%2Bc%26d%3De%7E%C3%BC%F0%9F%98%80%EF%BF%BD")


def test_color_names_are_refused_rather_than_guessed() -> None:
    _page, form = form_of('<form><input type="color" name="c" value="red"></form>')
    with pytest.raises(LiveViewTestError, match=r"holds 'red'.*render the value as '#rrggbb'"):
        form.serialize()
    form.fill({"c": "#FF0000"})
    assert pairs(form.serialize(used={"c"})) == [("c", "#ff0000")]


# ============================================================================ forms: filling


def test_fill_nested_data_lists_and_cumulative_fills() -> None:
    _page, form = form_of("""<form phx-no-unused-field>
      <input name="user[email]"><select name="user[roles]" multiple><option>admin</option><option>dev</option></select>
      <input type="hidden" name="user[tags][]" value=""><input type="checkbox" name="user[tags][]" value="x" checked>
      <input type="checkbox" name="user[tags][]" value="y"><input name="phones[]"><input name="phones[]">
      <input type="radio" name="user[size]" value="s"><input type="radio" name="user[size]" value="m" checked></form>""")
    filled = form.fill({"user": {"tags": ["y"], "size": "s", "roles": ["dev"], "email": "a@b"}, "phones": [1, "2"]})
    assert filled == ["user[email]", "user[roles]", "user[tags][]", "phones[]", "user[size]"]  # tree order
    assert form.fill({"user[email]": "c@d"}) == ["user[email]"]
    assert pairs(form.serialize()) == [
        ("user[email]", "c@d"), ("user[roles]", "dev"), ("user[tags][]", ""), ("user[tags][]", "y"),
        ("phones[]", "1"), ("phones[]", "2"), ("user[size]", "s"),
    ]


@pytest.mark.parametrize(("checked", "value", "sent"), [
    ("", True, ["false", "true"]), (" checked", False, ["false"]), ("", "true", ["false", "true"]), (" checked", "false", ["false"]),
])
def test_fill_checkbox_with_hidden_unchecked_value(checked: str, value: object, sent: list[str]) -> None:
    _page, form = form_of('<form phx-no-unused-field><input type="hidden" name="ok" value="false">'
                          f'<input type="checkbox" name="ok" value="true"{checked}></form>')
    form.fill({"ok": value})
    assert [v for _k, v in pairs(form.serialize())] == sent


def test_fill_is_all_or_nothing() -> None:
    _page, form = form_of('<form phx-no-unused-field><input name="a" value="1"><input name="b" value="2"></form>')
    with pytest.raises(LiveViewTestError, match="'c'"):
        form.fill({"a": "changed", "c": "missing"})
    assert pairs(form.serialize()) == [("a", "1"), ("b", "2")]


UNUSUAL = """
<form id="f">
  <input name="user[email]"><input name="user[name]" maxlength="3"><input name="code" readonly>
  <input name="off" disabled><fieldset disabled><input name="fs"></fieldset><input type="hidden" name="token" value="t">
  <button name="go">go</button><input type="submit" name="send"><input type="file" name="avatar">
  <select name="plan"><option value="">Choose</option><option>free</option><option disabled>gold</option></select>
  <select name="roles" multiple><option>a</option></select>
  <input type="radio" name="size" value="s"><input type="radio" name="size" value="xl" disabled>
  <input type="checkbox" name="agree"><input type="checkbox" name="tags[]" value="x"><input type="checkbox" name="tags[]" value="y">
  <input name="mixed"><input type="checkbox" name="mixed"><input name="pair"><input name="pair">
  <input type="number" name="age"><input type="date" name="born"><input type="range" name="vol" min="0" max="10" step="5">
  <input type="color" name="tint">
</form>
<input name="stray">"""


@pytest.mark.parametrize(("data", "message"), [
    ({"user": {"emial": "x"}}, r"form #f has no field 'user\[emial\]'; fields a user can set: 'user\[email\]', "),
    ({"stray": "x"}, r"no field 'stray' \(the page has one that belongs to no or another form, give it form=\"f\": <input name=\"stray\">\)"),
    ({"tagz": ["x"]}, r"no field 'tagz' or 'tagz\[\]'"),
    ({"off": "x"}, r"field 'off' of form #f is disabled"),
    ({"fs": "x"}, r"field 'fs' of form #f is disabled"),
    ({"token": "x"}, r"field 'token' of form #f is a hidden input, which a user cannot set"),
    ({"go": "x"}, r"field 'go' of form #f is a button"),
    ({"send": "x"}, r"field 'send' of form #f is a button"),
    ({"avatar": "x"}, r"file input: uploads are not supported by fill \(yet\)"),
    ({"plan": "pro"}, r"field 'plan' of form #f has no option with value 'pro'; options: '', 'free'"),
    ({"plan": "gold"}, r"no option with value 'gold' \(that option is disabled\)"),
    ({"plan": ["free"]}, r"is a single <select>: pass one value"),
    ({"roles": "a"}, r"is a <select multiple>: pass a list of values"),
    ({"size": "m"}, r"has no radio button with value 'm'; values: 's'"),
    ({"size": "xl"}, r"\(that radio button is disabled\)"),
    ({"size": True}, r"takes a string or number, got True"),
    ({"agree": "yes"}, r"field 'agree' of form #f is a checkbox: it takes True, False or 'on' \(checks it\), got 'yes'"),
    ({"tags": "x"}, r"no field 'tags'"),
    ({"tags[]": "x"}, r"is a group of 2 checkboxes: pass a list of the values to check; values: 'x', 'y'"),
    ({"tags": ["z"]}, r"field 'tags\[\]' of form #f has no checkbox with value 'z'; values: 'x', 'y'"),
    ({"mixed": "x"}, r"names fields of different kinds"),
    ({"pair": "x"}, r"names 2 fields: pass a list with one value per field"),
    ({"pair": ["x"]}, r"names 2 fields but the list has 1 values"),
    ({"user": {"email": None}}, r"takes a string or number, got None"),
    ({"user": {"email": False}}, r"takes a string or number, got False"),
    ({"user": {"email": [{"a": 1}]}}, r"takes a string or number"),
    ({"code": "x"}, r"field 'code' of form #f is readonly"),
    ({"user": {"name": "abcd"}}, r"has maxlength=3: a user cannot type 4 characters"),
    ({"age": "ten"}, r"is a number input: 'ten' is not a number"),
    ({"born": "31/12/2024"}, r"is a date input: it takes YYYY-MM-DD, got '31/12/2024'"),
    ({"vol": 7}, r"is a range input: '7' is outside its min/max/step \(the browser would set '5'\)"),
    ({"vol": "loud"}, r"is a range input: 'loud' is not a number"),
    ({"tint": "red"}, r"is a color input: it takes '#rrggbb', got 'red'"),
])
def test_fill_refuses_what_a_user_could_not_enter(data: dict, message: str) -> None:
    _page, form = form_of(UNUSUAL)
    with pytest.raises(LiveViewTestError, match=message):
        form.fill(data)


def test_fill_refuses_a_non_dict() -> None:
    _page, form = form_of(UNUSUAL)
    with pytest.raises(LiveViewTestError, match="fill expects a dict"):
        form.fill([("user[email]", "x")])  # type: ignore[arg-type]


def test_fill_accepts_what_the_browser_normalises() -> None:
    _page, form = form_of(UNUSUAL)
    form.fill({"user": {"name": "a\nb"}, "vol": "10", "tint": "#ABC", "born": "", "agree": "on", "tags": []})
    assert pairs(form.serialize(submitted=True)) == [
        ("user[email]", ""), ("user[name]", "ab"), ("code", ""), ("token", "t"), ("plan", ""), ("agree", "on"), ("mixed", ""),
        ("pair", ""), ("pair", ""), ("age", ""), ("born", ""), ("vol", "10"), ("tint", "#aabbcc"),
    ]


def test_form_helpers() -> None:
    page, form = form_of(UNUSUAL)
    assert form.id == "f"
    assert [snippet(b) for b in form.submit_buttons()] == ['<button name="go">go</button>', '<input type="submit" name="send">']
    assert form.field_names()[:4] == ["user[email]", "user[name]", "code", "off"]
    assert "go" not in form.field_names() and "stray" not in form.field_names()
    with pytest.raises(LiveViewTestError, match=r"is a <input>, not a <form>"):
        Form(page, page.one("[name=stray]"))


# ============================================================================ properties

NAME = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
VALUE = st.text(st.characters(exclude_categories=("Cs",)) | st.sampled_from(" &=+%~\r\n"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(NAME, st.sampled_from(["text", "textarea", "hidden"]), VALUE), min_size=1, max_size=6))
def test_serialize_round_trips_through_parse_qsl(fields: list[tuple[str, str, str]]) -> None:
    """Whatever is typed (or rendered into a hidden input), the server decodes the values the browser holds."""
    fields = [(f"{index}:{name}", kind, value) for index, (name, kind, value) in enumerate(fields)]
    markup = "".join(
        f'<textarea name="{html_lib.escape(name)}"></textarea>' if kind == "textarea"
        else f'<input type="{kind}" name="{html_lib.escape(name)}" value="{html_lib.escape(value) if kind == "hidden" else ""}">'
        for name, kind, value in fields
    )
    _page, form = form_of(f"<form phx-no-unused-field>{markup}</form>")
    form.fill({name: value for name, kind, value in fields if kind != "hidden"})
    expected = []
    for name, kind, value in fields:
        if kind == "text":  # an input drops line breaks
            expected.append((name, value.replace("\r", "").replace("\n", "")))
        elif kind == "textarea":  # a textarea holds LF line breaks only
            expected.append((name, value.replace("\r\n", "\n").replace("\r", "\n")))
        else:  # the HTML parser turns CR and CRLF into LF and NUL into U+FFFD
            expected.append((name, value.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")))
    assert pairs(form.serialize()) == expected


@given(NAME, st.booleans())
def test_unused_marker_keeps_the_key_shape(name: str, array: bool) -> None:
    key = name + "[]" if array else name
    _page, form = form_of(f'<form><input name="{html_lib.escape(key)}" value="v"></form>')
    (marker, _), (decoded, value) = pairs(form.serialize())
    assert (decoded, value) == (key, "v")
    assert marker.endswith("[]") == array
    if re.search(r"[^\[\]]\]?$", key.removesuffix("[]")):  # something to prefix
        assert "_unused_" in marker and marker.replace("_unused_", "", 1) == key
    else:
        assert marker == key


# ============================================================================ comparable


def test_comparable_ignores_quoting_and_escaping() -> None:
    assert comparable("<a class=x title='say \"hi\"' href=\"/a?b=1&amp;c=2\">&#38; &lt;</a>") == comparable(
        '<a class="x" title="say &quot;hi&quot;" href="/a?b=1&c=2">&amp; &lt;</a>')
    assert comparable("<p>a</p>") != comparable("<p>b</p>")
    assert comparable("") == ""


def test_comparable_empties_stream_containers_only() -> None:
    merged = '<ul id="s" phx-update="stream"><li id="s-1">1</li><li id="s-2">2</li></ul><p id="x">kept</p>'
    fresh = '<ul id="s" phx-update="stream"><li id="s-3">3</li></ul><p id="x">kept</p>'
    assert comparable(merged) == comparable(fresh) == '<ul id="s" phx-update="stream"></ul><p id="x">kept</p>'
    assert comparable(merged.replace("kept", "changed")) != comparable(fresh)
    assert comparable('<ul phx-update="ignore"><li>1</li></ul>') == '<ul phx-update="ignore"><li>1</li></ul>'
