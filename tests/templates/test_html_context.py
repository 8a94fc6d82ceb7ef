"""Context-aware escaping: each ``{{ expr }}`` is escaped for the HTML context it lands in.

(a) per context, what a template compiles to and renders; (b) an XSS corpus: hostile values in
every context, the output parsed by an HTML5 parser (selectolax/lexbor, as a browser would), no
element, attribute or script URL appearing that the template did not write; (d) safe values in
URL attributes render as Jinja2 renders them. (c), the Jinja-equivalence property, lives in
test_prop_jinja_equivalence.py: its generator no longer writes tags in static text.
"""

from __future__ import annotations

import json
import logging
import re
import warnings

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from selectolax.lexbor import LexborHTMLParser

from pyview_templates import DictLoader, Environment, Template, TemplateSecurityWarning
from pyview_templates import contextescape
from pyview_templates.contextescape import refused_scheme
from pyview_templates.htmlcontext import SPECIAL_TAGS, Kind, Position
from pyview_templates.moduleinfo import COMPILER_VERSION


def render(source: str, **ctx) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateSecurityWarning)
        return Template(source).render(ctx)


def python(source: str, name: str = "page.html") -> str:
    """The generated module's render function (its body: what each dynamic compiles to)."""
    env = Environment(loader=DictLoader({name: source}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateSecurityWarning)
        code = env.compile_to_python(name)
    return code[code.index("def render(ctx):"):]


def no_security_warning(source: str) -> Template:
    with warnings.catch_warnings():
        warnings.simplefilter("error", TemplateSecurityWarning)
        return Template(source)


@pytest.fixture(autouse=True)
def _fresh_warned_locations():
    """Runtime refusals are logged once per template location; each test starts from none."""
    contextescape._warned.clear()
    yield
    contextescape._warned.clear()


def test_compiler_version_is_bumped_for_the_disk_cache():
    assert COMPILER_VERSION == 9


# --- (a) the tokenizer --------------------------------------------------------------------------


def kinds_after(*statics: str) -> list[str]:
    """The contexts of a dynamic after these statics (fed in order, a dynamic between each)."""
    position = Position()
    for k, text in enumerate(statics):
        if k:
            position.after_dynamic()
        position.text(text)
    return sorted({c.kind for c in position.contexts()})


@pytest.mark.parametrize(
    "static, kind",
    [
        ("<p>", Kind.TEXT),
        ('<p title="', Kind.ATTR_QUOTED),
        ("<p title='", Kind.ATTR_QUOTED),
        ("<p title=", Kind.ATTR_UNQUOTED),
        ("<p title=a", Kind.ATTR_UNQUOTED),
        ("<p title= ", Kind.ATTR_UNQUOTED),
        ("<input ", Kind.TAG),
        ("<input checked ", Kind.TAG),
        ('<input value="a"', Kind.TAG),
        ("<input data-", Kind.TAG),
        ("<", Kind.TAG_OPEN),
        ("</", Kind.TAG_OPEN),
        ("<h", Kind.TAG_NAME),
        ("<script>", Kind.SCRIPT),
        ('<script type="application/json">', Kind.SCRIPT),
        ('<script type="module" src="x.js">', Kind.SCRIPT),
        ("<SCRIPT>var a = '<p>", Kind.SCRIPT),
        ("<script></script>", Kind.TEXT),
        ("<script>a</scriptx>", Kind.SCRIPT),
        ("<script>a</SCRIPT >", Kind.TEXT),
        ("<style>", Kind.STYLE),
        ("<style>p{}</style>", Kind.TEXT),
        ("<textarea>", Kind.RCDATA),
        ("<title><p>", Kind.RCDATA),
        ("<title></title>", Kind.TEXT),
        ("<!-- ", Kind.COMMENT),
        ("<!-- <p> -->", Kind.TEXT),
        ("<!---->", Kind.TEXT),
        ("<!-->", Kind.TEXT),
        ("<!-- --!>", Kind.TEXT),
        ("<!DOCTYPE html>", Kind.TEXT),
        ("<!DOCTYPE html", Kind.COMMENT),
        ("a < b", Kind.TEXT),
        ("a <= b", Kind.TEXT),
        ("<br/>", Kind.TEXT),
        ('<a href="x">', Kind.TEXT),
        ('<a title="a>b" ', Kind.TAG),
        ("<a title='x\"y'>", Kind.TEXT),
    ],
)
def test_the_tokenizer_knows_the_context(static: str, kind: str) -> None:
    assert kinds_after(static) == [kind]


def test_a_url_attribute_is_checked_until_its_scheme_is_spelled_out() -> None:
    def url(static: str):
        position = Position()
        position.text(static)
        (ctx,) = position.contexts()
        return ctx.attr, ctx.url

    assert url('<a href="') == ("href", ("prefix", ""))
    assert url('<a HREF=" \tja') == ("href", ("prefix", "ja"))
    assert url('<a href="&#106;') == ("href", ("prefix", "j"))
    assert url('<a href="/') == ("href", None)
    assert url('<a href="https:') == ("href", None)
    assert url('<a href="javascript:') == ("href", ("js", ""))
    assert url('<form action=') == ("action", ("prefix", ""))
    assert url('<svg><use xlink:href="') == ("xlink:href", ("prefix", ""))
    assert url('<a title="') == ("title", None)


def test_a_dynamic_may_leave_several_states() -> None:
    # `<{{ x }}`: nothing, a tag name, or text (a value not starting with a letter)
    assert kinds_after("<", ">") == [Kind.TEXT]
    assert kinds_after("<", " a=") == sorted({Kind.ATTR_UNQUOTED, Kind.TEXT})
    assert kinds_after("<input ", "") == [Kind.TAG]
    assert kinds_after('<a title="', "") == [Kind.ATTR_QUOTED]


# --- (a) what each context compiles to --------------------------------------------------------------


def test_text_and_quoted_attributes_compile_as_before() -> None:
    code = python('<p class="{{ c }}" title=\'{{ t }}\'>{{ x }}{{ user.name }}</p><p phx-click="{{ e }}"></p>')
    for expected in ("to_html(l_c)", "to_html(l_t)", "to_html(l_x)", "attr_html(l_user, 'name')", "to_html(l_e)"):
        assert expected in code
    assert not re.search(r"url_html|attrs_html|tag_html|unquoted_html|strict_html|json_attr_", code)


def test_text_and_attribute_values_render_as_jinja2() -> None:
    source = (
        '<p class="{{ c }}" title=\'{{ c }}\'>{{ c }}</p>'
        "<textarea>{{ c }}</textarea><style>{{ c }}</style><!-- {{ c }} -->"
    )
    value = "<b>\"'&</b>"
    expected = jinja2.Environment(autoescape=True).from_string(source).render(c=value)
    assert render(source, c=value) == expected


@pytest.mark.parametrize("attr", ["href", "src", "action", "formaction", "xlink:href", "poster", "cite"])
def test_url_attributes_refuse_script_schemes(attr: str) -> None:
    source = f'<x {attr}="{{{{ u }}}}">'
    assert "url_html(l_u, 'page.html:1')" in python(source)
    assert render(source, u="javascript:alert(1)") == f'<x {attr}="#">'
    assert render(source, u="/ok") == f'<x {attr}="/ok">'


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "java\nscript:alert(1)",
        "\x00\x01 javascript:alert(1)", "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/svg+xml,<svg onload=alert(1)>", "DATA:text/html,x", "data:,x",
        Markup("&#106;avascript:alert(1)"), Markup("&#x6A;avascript:alert(1)"), Markup("javascript&colon;alert(1)"),
        Markup("&#x09;javascript:alert(1)"), Markup("jav&Tab;ascript:alert(1)"),
    ],
)
def test_refused_url_values(value) -> None:
    assert render('<a href="{{ u }}">', u=value) == '<a href="#">'


def test_a_static_prefix_that_may_be_part_of_a_scheme_is_checked_with_the_value() -> None:
    assert "prefix='java'" in python('<a href="java{{ u }}">')
    assert render('<a href="java{{ u }}">', u="script:alert(1)") == '<a href="java#">'
    assert render('<a href="java{{ u }}">', u="/x") == '<a href="java/x">'
    # a prefix that already decides there is no scheme: nothing to check
    code = python('<a href="/go?u={{ u }}">')
    assert "url_html" not in code and "to_html(l_u)" in code
    assert render('<a href="/go?u={{ u }}">', u="javascript:alert(1)") == '<a href="/go?u=javascript:alert(1)">'


def test_a_dynamic_after_another_one_may_not_complete_a_scheme() -> None:
    source = '<a href="{{ a }}{{ b }}">'
    assert "follows=True" in python(source)
    assert render(source, a="java", b="script:alert(1)") == '<a href="java#">'
    assert render(source, a="", b=" javascript:alert(1)") == '<a href="#">'
    assert render(source, a="https://x", b="/y") == '<a href="https://x/y">'
    assert render(source, a="https://x", b="/y:z") == '<a href="https://x/y:z">'


def test_a_loop_in_a_url_checks_every_iteration() -> None:
    source = '<a href="{% for p in ps %}{{ p }}{% endfor %}">'
    assert render(source, ps=["java", "script:alert(1)"]) == '<a href="java#">'
    assert render(source, ps=["/a", "/b:c"]) == '<a href="/a/b:c">'


def test_branches_that_decide_the_scheme_differently() -> None:
    source = '<a href="{% if a %}/x{% endif %}{{ u }}">'
    assert render(source, a=False, u="javascript:alert(1)") == '<a href="#">'
    assert render(source, a=True, u="javascript:alert(1)") == '<a href="/x#">'


def test_refusals_are_logged_once_per_location_without_the_value(caplog) -> None:
    t = no_security_warning('<a href="{{ u }}">\n<img src="{{ u }}">')
    with caplog.at_level(logging.WARNING, logger="pyview_templates"):
        for _ in range(3):
            t.render({"u": "javascript:steal('secret-token')"})
    messages = [r.getMessage() for r in caplog.records if r.name == "pyview_templates"]
    assert len(messages) == 2
    assert "<string>:1" in messages[0] and "<string>:2" in messages[1]
    assert all("javascript:" in m and "secret-token" not in m for m in messages)


def test_the_location_names_the_included_template(caplog) -> None:
    templates = {"page.html": "<p>\n{% include 'link.html' %}", "link.html": '\n\n<a href="{{ u }}">'}
    env = Environment(loader=DictLoader(templates))
    with caplog.at_level(logging.WARNING, logger="pyview_templates"):
        assert env.get_template("page.html").render({"u": "vbscript:x"}) == '<p>\n\n\n<a href="#">'
    assert any("link.html:3" in r.getMessage() for r in caplog.records)


def test_unquoted_values_are_quoted_in_the_statics() -> None:
    assert render("<div class={{ c }}>x</div>", c="a b onclick=alert(1)") == '<div class="a b onclick=alert(1)">x</div>'
    assert render("<div class=a{{ c }}b id=x>", c=" c ") == '<div class="a c b" id=x>'
    assert render('<div class=a"{{ c }}>', c="x") == '<div class="a&#34;x">'
    assert render("<div class={{ a }}-{{ b }}>", a="x", b="y z") == '<div class="x-y z">'
    assert render("<a href={{ u }}>", u=" javascript:alert(1)") == '<a href="#">'
    assert render("<div title= {{ c }}>", c="a b") == '<div title= "a b">'
    code = python("<div class={{ c }}>")
    assert "to_html(l_c)" in code and "unquoted_html" not in code


def test_unquoted_values_that_cannot_be_quoted_are_escaped_instead() -> None:
    # the value runs into an `if`: its end is not in this node's statics
    source = "<div class={{ c }}{% if x %}-big{% endif %}>"
    assert "unquoted_html(l_c, 'page.html:1')" in python(source)
    assert render(source, c="a onclick=alert(1)", x=True) == "<div class=a&#32;onclick&#61;alert(1)-big>"
    # the value starts before a loop
    source = "<div class=a{% for c in cs %}{{ c }}{% endfor %}>"
    assert render(source, cs=["b c", "'d'"]) == "<div class=ab&#32;c&#39;d&#39;>"
    assert render("<a href={% if x %}{{ u }}{% endif %}>", x=1, u="javascript:x") == "<a href=#>"


def test_a_whole_attribute_is_attribute_names_or_markup() -> None:
    source = "<input {{ extra }}>"
    assert "attrs_html(l_extra, 'page.html:1')" in python(source)
    assert render(source, extra="checked") == "<input checked>"
    assert render(source, extra=" checked  disabled ") == "<input  checked  disabled >"
    assert render(source, extra=Markup('data-x="1"')) == '<input data-x="1">'
    assert render("<input {{ 'checked' if x }}>", x=True) == "<input checked>"
    assert render("<input {{ 'checked' if x }}>", x=False) == "<input >"
    assert render('<input {{ "disabled" if y else "" }}>', y=False) == "<input >"
    assert render("<input {{ d|xmlattr }}>", d={"value": 'a" onclick="x'}) == '<input  value="a&#34; onclick=&#34;x">'
    hostile_values = (
        "onclick=alert(1)", "x onmouseover=alert(1)", 'a="b"', "x>", "<img>", "a/b", "onclick", "x ONerror",
    )
    for hostile in hostile_values:
        assert render(source, extra=hostile) == "<input >", hostile
    assert render("<input data-{{ x }}>", x="a b") == "<input data-a b>"


def test_a_tag_name_is_a_tag_name() -> None:
    assert render("<{{ t }} class=x></{{ t }}>", t="section") == "<section class=x></section>"
    assert render("<h{{ n }}>x</h{{ n }}>", n=2) == "<h2>x</h2>"
    assert render("a <{{ n }} b", n=5) == "a <5 b"  # not a letter: text, as the browser reads it
    hostile_values = (
        "script", "img src=x onerror=alert(1)", "a/onclick=alert(1)", "!--", "/p", "?x", "STYLE", "textarea",
    )
    for hostile in hostile_values:
        assert render("<{{ t }}>", t=hostile) == "<>", hostile
    assert render("<scr{{ t }}>", t="ipt") == "<scr>"


def test_script_and_event_handlers_warn_when_compiled() -> None:
    with pytest.warns(TemplateSecurityWarning, match=r"page\.html:2: .*inside <script>"):
        env = Environment(loader=DictLoader({"page.html": "<p>\n<script>var a = {{ a }};</script>"}))
        env.get_template("page.html")
    with pytest.warns(TemplateSecurityWarning, match=r"<string>:1: .*event-handler attribute onclick"):
        Template('<button onclick="go({{ a }})">')
    with pytest.warns(TemplateSecurityWarning, match="onmouseover"):
        Template("<p onmouseover={{ a }}>")
    with pytest.warns(TemplateSecurityWarning, match="javascript: URL"):
        Template('<a href="javascript:go({{ a }})">')
    with pytest.warns(TemplateSecurityWarning, match="srcdoc"):
        Template('<iframe srcdoc="{{ a }}">')
    with pytest.warns(TemplateSecurityWarning, match="cannot be checked"):
        Template('<a href="{{ a }}:x">')
    # the output is unchanged: HTML escaping, as before
    assert render("<script>var a = {{ a }};</script>", a="</script>") == "<script>var a = &lt;/script&gt;;</script>"


def test_tojson_and_safe_mark_a_value_as_fit() -> None:
    for source in (
        "<script>var a = {{ a|tojson }};</script>", '<script type="application/json">{{ a|tojson }}</script>',
        "<script>{{ a|safe }}</script>", '<button onclick="go({{ a|tojson }})">', "<p onclick='{{ a|tojson }}'>",
        '<button phx-click="{{ a }}">', "<p>{{ a }}</p>", '<a href="{{ a }}">', "<input {{ a }}>", "<p class={{ a }}>",
        "<style>{{ a }}</style>", "<!-- {{ a }} -->", "<textarea>{{ a }}</textarea>",
    ):
        no_security_warning(source)


def test_tojson_is_safe_in_scripts_and_attributes() -> None:
    value = {"a": "</script><script>alert(1)</script>", "b": "'\"&<>"}
    out = render("<script>var a = {{ v|tojson }};</script>", v=value)
    assert "</script>" not in out[len("<script>"):-len("</script>")]
    sources = (
        '<div data-v="{{ v|tojson }}"></div>', "<div data-v='{{ v|tojson }}'></div>", "<div data-v={{ v|tojson }}></div>",
    )
    for source in sources:
        div = LexborHTMLParser(render(source, v=value)).css_first("div")
        assert json.loads(div.attributes["data-v"]) == value, source
        assert list(div.attributes) == ["data-v"]


def test_style_comment_and_rcdata_keep_html_escaping() -> None:
    assert render("<style>{{ a }}</style>", a="</style><script>") == "<style>&lt;/style&gt;&lt;script&gt;</style>"
    assert render("<!-- {{ a }} -->", a="a--><script>") == "<!-- a--&gt;&lt;script&gt; -->"
    assert render("<title>{{ a }}</title>", a="</title><b>") == "<title>&lt;/title&gt;&lt;b&gt;</title>"
    assert "to_html(l_a)" in python("<style>{{ a }}</style><textarea>{{ a }}</textarea>")


def test_a_value_cannot_end_a_comment_with_the_static_text_after_it() -> None:
    assert "comment_html(l_a, 'page.html:1')" in python("<!-- {{ a }} -->")
    # `--` then the static ">" would be "-->": the dashes at the ends become references
    assert render("<!--{{ a }}><script>x()</script>-->", a="--") == "<!--&#45;&#45;><script>x()</script>-->"
    assert render("<!-- {{ a }} -->", a="!x-y!") == "<!-- &#33;x-y&#33; -->"
    assert render("<!-- {{ a }} -->", a="1.0-beta") == "<!-- 1.0-beta -->"


def test_svg_and_math_hold_markup_where_html_holds_raw_text() -> None:
    # in <svg>, <script>/<style>/<title> hold markup: the dynamic is an unquoted href (and may
    # be raw text too, if an HTML element ended the <svg> before: both readings are followed)
    assert kinds_after("<svg><script><a href=") == sorted([Kind.ATTR_UNQUOTED, Kind.SCRIPT])
    assert render("<svg><title><a href={{ u }}>", u="javascript:x") == "<svg><title><a href=#>"
    assert render("<svg><title>{{ t }}</title></svg>", t="<b>") == "<svg><title>&lt;b&gt;</title></svg>"
    assert kinds_after("<svg></svg><p>") == [Kind.TEXT]
    assert kinds_after("<svg><![CDATA[ <a href=]]>") == [Kind.TEXT]
    assert render("<svg><![CDATA[{{ a }}]>", a="]") == "<svg><![CDATA[&#93;]>"


def test_a_value_cannot_complete_a_raw_text_end_tag() -> None:
    assert "rawtext_html(l_a, 'page.html:1', tag='textarea', typed='/text')" in python("<textarea></text{{ a }}>")
    assert render("<textarea></text{{ a }}><b></textarea>", a="area") == "<textarea></text><b></textarea>"
    assert render("<script>a <{{ a }}</script>", a="/script") == "<script>a <</script>"
    assert render("<style>a </{{ a }}</style>", a="b") == "<style>a </b</style>"


def test_context_flows_through_blocks_includes_and_with() -> None:
    env = Environment(loader=DictLoader({
        "base.html": '<a href="{% block url %}{% endblock %}">',
        "page.html": '{% extends "base.html" %}{% block url %}{{ u }}{% endblock %}',
        "inc.html": "{{ u }}",
        "page2.html": '<a href="{% with v = u %}{% include "inc.html" %}{% endwith %}">',
    }))
    assert env.get_template("page.html").render({"u": "javascript:x"}) == '<a href="#">'
    assert env.get_template("page2.html").render({"u": "javascript:x"}) == '<a href="#">'


def test_macro_and_call_bodies_start_in_text() -> None:
    source = (
        '{% macro link(u) %}<a href="{{ u }}">{{ caller() }}</a>{% endmacro %}'
        '<p title="{% call link(x) %}{{ x }}{% endcall %}">'
    )
    out = render(source, x="javascript:x")
    assert '<a href="#">javascript:x</a>' in out
    # `{% set %}` blocks too
    assert render('<a href="{% set s %}{{ x }}{% endset %}{{ s }}">', x="a b") == '<a href="a b">'


def test_constant_output_is_static_text() -> None:
    # the author wrote it: no check, and it moves the tokenizer like any static text
    out = render("<a href=\"{{ 'javascript:go()' }}\" title={{ t }}>", t="a b")
    assert out == '<a href="javascript:go()" title="a b">'


def test_calls_of_context_functions_are_checked() -> None:
    source = '<a href="{{ f(x) }}"><input {{ g() }}>'
    code = python(source)
    assert "call_checked_(lambda v: url_html(v, 'page.html:1'), l_f, l_x)" in code
    out = render(source, f=lambda x: x, x="javascript:x", g=lambda: "onclick=x")
    assert out == '<a href="#"><input >'


def test_if_branches_ending_in_different_contexts_escape_for_all() -> None:
    source = "<a {% if x %}href={% endif %}{{ y }}>"
    assert "strict_html(l_y, 'page.html:1', url='', tag=True)" in python(source)
    hostile = "javascript:alert(1) onclick=alert(1)"
    assert render(source, x=True, y=hostile) == "<a href=#>"
    assert render(source, x=False, y="a b=c") == "<a a&#32;b&#61;c>"
    # all branches end in the same state: nothing changes
    same = '<div {% if x %}class="a"{% else %}id=b{% endif %} title="{{ t }}">'
    assert "to_html(l_t)" in python(same)


# --- (b) the XSS corpus ------------------------------------------------------------------------------

HOSTILE = [
    "javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "\njavascript:alert(1)",
    "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>", '" onmouseover="alert(1)', "' onmouseover='alert(1)",
    "x onmouseover=alert(1)", "</script><script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "--><script>alert(1)</script>", "onclick=alert(1)", "</textarea><script>alert(1)</script>",
    "</style><script>alert(1)</script>", "`onclick=alert(1)", "a/onclick=alert(1)", "<!--", "]]>", "&#0;",
    "\u2028</script>", "%3Cscript%3E", "x\x00onclick=alert(1)", "script", "img src=x onerror=alert(1)",
]
# Markup is HTML the application vouches for: only a URL check still applies to it.
HOSTILE_MARKUP = [
    Markup("&#106;avascript:alert(1)"), Markup("&#x6A;avascript:alert(1)"), Markup("javascript&colon;alert(1)"),
    Markup("&#x09;javascript:alert(1)"), Markup("  java&#x0A;script:alert(1)"),
]

# Every context, the value printed once as `{{ v }}` (or filtered as the context needs).
CONTEXTS = {
    "text": "<div><p>{{ v }}</p></div>",
    "quoted attribute": '<div><p title="{{ v }}">x</p></div>',
    "single-quoted attribute": "<div><p title='{{ v }}'>x</p></div>",
    "unquoted attribute": "<div><p title={{ v }}>x</p></div>",
    "unquoted attribute, continued": "<div><p class=a{{ v }}b id=c>x</p></div>",
    "unquoted attribute, not quotable": "<div><p class={{ v }}{% if x %}-x{% endif %}>x</p></div>",
    "url attribute": '<div><a href="{{ v }}">x</a></div>',
    "url attribute, single-quoted": "<div><img src='{{ v }}'></div>",
    "url attribute, unquoted": "<div><form action={{ v }}><button formaction={{ v }}>x</button></form></div>",
    "url attribute after a static prefix": '<div><a href="/go?to={{ v }}">x</a></div>',
    "url attribute after a scheme-like prefix": '<div><a href="java{{ v }}">x</a></div>',
    "url attribute after a dynamic": '<div><a href="{{ w }}{{ v }}">x</a></div>',
    "url attribute in a loop": '<div><a href="{% for p in [w, v] %}{{ p }}{% endfor %}">x</a></div>',
    "whole attribute": "<div><input {{ v }}></div>",
    "whole attribute after a value": '<div><input type="text"{{ v }}></div>',
    "tag name": "<div><{{ v }} class=x>y</div>",
    "tag name, continued": "<div><h{{ v }}>y</div>",
    "script with tojson": "<div><script>var v = {{ v|tojson }};</script></div>",
    "json script with tojson": '<div><script type="application/json">{{ v|tojson }}</script></div>',
    "attribute with tojson": '<div><p data-v="{{ v|tojson }}">x</p></div>',
    "single-quoted attribute with tojson": "<div><p data-v='{{ v|tojson }}'>x</p></div>",
    "event handler with tojson": '<div><button onclick="go({{ v|tojson }})">x</button></div>',
    "style": "<div><style>p { content: '{{ v }}' }</style></div>",
    "textarea": "<div><textarea>{{ v }}</textarea></div>",
    "title": "<div><title>{{ v }}</title></div>",
    "comment": "<div><!-- {{ v }} --></div>",
    "mixed contexts": "<div><p {% if x %}title={% endif %}{{ v }}>x</p></div>",
}
URL_ATTRS = {"href", "src", "action", "formaction"}
_BAD_URL = re.compile(r"^(javascript|vbscript|data):", re.I)


def _compiled(source: str) -> Template:
    cached = _COMPILED.get(source)
    if cached is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TemplateSecurityWarning)
            cached = _COMPILED[source] = Template(source)
    return cached


_COMPILED: dict[str, Template] = {}


def _skeleton(html: str) -> list[tuple[str, dict]]:
    """Elements in document order with their attributes, as a browser's parser builds them."""
    tree = LexborHTMLParser(html)
    nodes = tree.root.traverse(include_text=False)
    return [(node.tag, dict(node.attributes)) for node in nodes if node.tag != "-comment"]


def _dangerous_url(value: str | None) -> bool:
    """Independent of pyview's check: what the URL parser would see, then its scheme."""
    if value is None:
        return False
    url = value.lstrip("".join(chr(c) for c in range(33))).replace("\t", "").replace("\n", "").replace("\r", "")
    if url.lower().startswith("data:image/") and not url.lower().startswith("data:image/svg"):
        return False
    return _BAD_URL.match(url) is not None


def check_safe(context: str, value, other: str = "x") -> None:
    source = CONTEXTS[context]
    template = _compiled(source)
    html = template.render({"v": value, "w": other, "x": True})
    written = _skeleton(template.render({"v": "", "w": "", "x": True}))
    got = _skeleton(html)
    where = f"{context}: {value!r} -> {html!r}"
    if context.startswith("tag name") and [tag for tag, _ in got] != [tag for tag, _ in written]:
        # the value names an element: the template's element, whatever its name, with the
        # template's attributes; never one whose content is not markup
        named = _skeleton(template.render({"v": "1" if "continued" in context else "b", "w": "", "x": True}))
        assert len(got) == len(named), where
        for (tag, attrs), (named_tag, named_attrs) in zip(got, named, strict=True):
            assert attrs == named_attrs, where
            assert tag == named_tag or tag not in SPECIAL_TAGS, where
        return
    assert [tag for tag, _ in got] == [tag for tag, _ in written], where
    for (_, attrs), (_, expected) in zip(got, written, strict=True):
        for name, attr_value in attrs.items():
            assert not (name.startswith("on") and name not in expected), where
            if name not in expected:
                # only a whole-attribute value may add attributes: names, without a value
                assert context.startswith("whole attribute") and attr_value is None, where
            if name in URL_ATTRS:
                assert not _dangerous_url(attr_value), where
    if "tojson" in context:
        parsed = LexborHTMLParser(html)
        if "script" in context:
            text = parsed.css_first("script").text()
            assert json.loads(text[len("var v = "):-1] if text.startswith("var") else text) == value, where
        elif "event handler" in context:
            assert json.loads(parsed.css_first("button").attributes["onclick"][3:-1]) == value, where
        else:
            assert json.loads(parsed.css_first("p").attributes["data-v"]) == value, where


@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_in_every_context(context: str, value: str) -> None:
    check_safe(context, value)


@pytest.mark.parametrize("context", sorted(c for c in CONTEXTS if "url" in c))
@pytest.mark.parametrize("value", HOSTILE_MARKUP, ids=range(len(HOSTILE_MARKUP)))
def test_hostile_markup_in_url_attributes(context: str, value: Markup) -> None:
    check_safe(context, value, other="")


def test_the_corpus_values_are_refused_or_escaped_as_values() -> None:
    """The corpus proves something: in text and quoted attributes the hostile value reads back as
    itself (escaped, not refused), and in a URL it is refused."""
    for value in HOSTILE:
        p = LexborHTMLParser(render('<p title="{{ v }}">{{ v }}</p>', v=value)).css_first("p")
        assert p.attributes["title"] == value.replace("\x00", "\ufffd")
    assert render('<a href="{{ v }}">', v=HOSTILE[0]) == '<a href="#">'


_FRAGMENTS = st.sampled_from(
    HOSTILE + ["javascript", "script", ":", "java", "\t", "\n", " ", '"', "'", "<", ">", "=", "/", "&#", "&#106;", "on",
               "click", "--", "!", "?", "`", "data", "image/png", ",", ";"]
)
_VALUES = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=6)), max_size=6).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(context=st.sampled_from(sorted(CONTEXTS)), value=_VALUES, other=st.one_of(st.just(""), _VALUES))
def test_hostile_fragments_mixed_with_text(context: str, value: str, other: str) -> None:
    check_safe(context, value, other)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    context=st.sampled_from(sorted(c for c in CONTEXTS if "url" in c)),
    # Markup is HTML the application vouches for: a quote or "<" in it is its own markup.
    value=_VALUES.map(lambda text: Markup(re.sub("[\"'<>]", "", text))),
)
def test_markup_fragments_in_url_attributes(context: str, value: Markup) -> None:
    check_safe(context, value, other="")


# --- (d) safe URLs are unchanged ---------------------------------------------------------------------

SAFE_URLS = [
    "/path", "/path?q=1&r=<2>#x", "https://example.com/a?b=c", "http://x", "//cdn.example.com/x.js", "mailto:a@b.c",
    "tel:+1-555", "#frag", "?q=javascript:x", "./a:b", "relative/path", "a:b", "ftp://x", "data:image/png;base64,iVBOR",
    "DATA:image/gif;base64,R0lG", "data:image/jpeg,xx", " /leading-space", "", "javascript", "javascript-tutorial.html",
    "https://x/javascript:y", "webcal://x",
]


@pytest.mark.parametrize("url", SAFE_URLS)
@pytest.mark.parametrize(
    "source",
    ['<a href="{{ u }}">x</a>', "<img src='{{ u }}'>", '<form action="  {{ u }}"></form>', '<a href="/r?u={{ u }}">'],
)
def test_safe_urls_render_as_jinja2(source: str, url: str) -> None:
    expected = jinja2.Environment(autoescape=True).from_string(source).render(u=url)
    assert render(source, u=url) == expected


def test_refused_scheme_directly() -> None:
    assert refused_scheme("javascript:x") == "javascript:"
    assert refused_scheme("&#x4A;avascript:x") == "javascript:"
    assert refused_scheme("x", prefix="javascript:") == "javascript:"
    assert refused_scheme("data:image/svg+xml;base64,x") == "data:"
    assert refused_scheme("data: image/png ;base64,x") is None
    assert refused_scheme("1javascript:x") is None  # not a scheme: a relative URL
    assert refused_scheme("script:x", follows=True) == "javascript:"
    assert refused_scheme("ta:text/html,x", follows=True) == "data:"
    assert refused_scheme("https:x", follows=True) is None
    assert refused_scheme("/a:b", follows=True) is None


# --- (b) random markup around the dynamics -------------------------------------------------------------

# Static pieces that open every context (no on* attribute and no URL scheme: the template never
# writes one, so any in the output came from a value).
_PIECES = [
    "<a ", "<img ", "<div ", "<p>", "</p>", "<", "</", "a", " ", "=", '"', "'", ">", "href=", "src=", "title=",
    "class=", "/", "<script>", "</script>", "<style>", "</style>", "<textarea>", "</textarea>", "<!--", "-->", "x",
    "<!DOCTYPE html>", "{{ v }}", "{{ w }}", "{{ v|tojson }}", "{{ 'a b' }}", "</scr", "ipt", "-", "!", "<!", "<?",
    "<title>", "</title>", "<h", "data-", " /", "<br/>", "<svg>", "</svg>", "<math>", "<![CDATA[", "]]>", "]",
    "{{ v|safe|tojson }}", "{{ [v, w]|join(' ') }}",
]
_WATCHED_ELEMENTS = ("script", "style", "textarea", "title", "iframe", "img", "svg", "object", "embed", "base", "meta")


@st.composite
def _markup(draw, depth: int = 0) -> str:
    out = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9)) if depth < 2 else 0
        if kind == 8:
            then, other = draw(_markup(depth + 1)), draw(_markup(depth + 1))
            out.append("{% if x %}" + then + ("{% else %}" + other if draw(st.booleans()) else "") + "{% endif %}")
        elif kind == 9:
            out.append("{% for p in ps %}" + draw(_markup(depth + 1)) + "{{ p }}{% endfor %}")
        else:
            out.append(draw(st.sampled_from(_PIECES)))
    return "".join(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=_markup(),
    v=st.sampled_from(HOSTILE),
    w=st.sampled_from(HOSTILE),
    x=st.booleans(),
)
def test_hostile_values_in_random_markup(source: str, v: str, w: str, x: bool) -> None:
    """Whatever HTML surrounds the dynamics: a hostile value adds no event handler, no script URL,
    and none of the elements that run or hide content beyond those the empty values give."""
    template = _compiled(source)
    html = template.render({"v": v, "w": w, "x": x, "ps": [v, w]})
    # `<{{ v }}b>`: "<" then a digit is text, then a letter a tag: the template's markup may be
    # read either way, for benign values too
    benign = [template.render({"v": b, "w": b, "x": x, "ps": [b, b]}) for b in ("", "1", "b")]
    got = _skeleton(html)
    where = f"{source!r} with v={v!r} w={w!r} x={x}: {html!r}"
    for _, attrs in got:
        for name, value in attrs.items():
            assert not name.startswith("on"), where
            if name in URL_ATTRS:
                assert not _dangerous_url(value), where
    for watched in _WATCHED_ELEMENTS:
        expected = max(sum(tag == watched for tag, _ in _skeleton(b)) for b in benign)
        assert sum(tag == watched for tag, _ in got) <= expected, (watched, where)
