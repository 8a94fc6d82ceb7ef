"""Macros, call blocks, imports, tuple ``set`` and named slots.

Jinja2 (autoescape=True) is the oracle for everything Jinja2 has; named slots are ours and are
checked by hand. The tree shape is checked too: each macro call and each ``caller()`` body is a
node of its own, so a change inside one call diffs to that call's node only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from pyview_core.diff import Differ
from pyview_core.testing import ClientRendered
from pyview_templates import (
    DictLoader,
    Environment,
    Rendered,
    TemplateSyntaxError,
    UndefinedError,
)

LIBS = {
    "ui.html": (
        "lib text {{ ctx_name }}|"
        "{% set accent = 'blue' %}{% set _private = 1 %}"
        "{% macro button(label, kind='primary') %}<button class=\"{{ kind }} {{ accent }}\">{{ label }}</button>{% endmacro %}"
        "{% macro card(title) %}<div><h2>{{ title }}</h2>{{ caller() }}</div>{% endmacro %}"
        "{% macro both() %}[{{ button('x') }}]{% endmacro %}"
    ),
    "broken.html": "{% macro boom(v) %}\n<b>{{ 1 // v }}</b>{% endmacro %}",
    "lib_a.html": "{% import 'lib_b.html' as b %}{% macro a() %}{% endmacro %}",
    "lib_b.html": "{% import 'lib_a.html' as a %}",
    "base.html": "<main>{% block body %}{% endblock %}</main>",
}

CTX = {"xs": [1, 2, 3], "name": "<Ada>", "ctx_name": "CTX", "flag": True, "pairs": [("a", 1), ("b", 2)]}


def env() -> Environment:
    return Environment(loader=DictLoader(LIBS))


def ours(src: str, ctx: dict = CTX) -> str:
    return env().from_string(src).render(ctx)


def jinja(src: str, ctx: dict = CTX) -> str:
    return jinja2.Environment(autoescape=True, loader=jinja2.DictLoader(LIBS)).from_string(src).render(ctx)


JINJA_CASES = {
    "call with defaults": "{% macro m(a, b=a) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }}|{{ m(1, 2) }}|{{ m(b=3) }}",
    "missing argument is undefined": "{% macro m(a) %}[{{ a }}]{% endmacro %}{{ m() }}",
    "escaping in and out": "{% macro m(v) %}<i>{{ v }}</i>{% endmacro %}{{ m(name) }}{{ m('<b>'|safe) }}",
    "used as a value": "{% macro m(v) %}<i>{{ v }}</i>{% endmacro %}{% set h = m(name) %}{{ h }}|{{ m(1)|upper }}"
    "|{{ m(2) ~ name }}|{{ m(3)|length }}|{{ m }}",
    "varargs and kwargs": "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}",
    "whitespace of the body is kept": "{% macro m() %}  a\n  {% endmacro %}[{{ m() }}]",
    "call block": "{% macro m() %}<{{ caller() }}>{% endmacro %}{% call m() %}body {{ name }}{% endcall %}",
    "call block with parameters": "{% macro m(items) %}{% for i in items %}{{ caller(i, k=loop.index) }}{% endfor %}{% endmacro %}"
    "{% call(v, k=0) m(xs) %}<{{ v }}:{{ k }}>{% endcall %}",
    "caller used twice and undefined": "{% macro m() %}{{ caller() }}{{ caller() }}{{ caller is defined }}{% endmacro %}"
    "{% call m() %}x{% endcall %}{% macro n() %}[{{ caller }}]{{ caller is defined }}{% endmacro %}{{ n() }}",
    "call inside a loop sees the loop": "{% macro m() %}{{ caller() }}{% endmacro %}"
    "{% for x in xs %}{% call m() %}{{ x }}{{ loop.index }}{% endcall %};{% endfor %}",
    "a call body's caller is its own": "{% macro inner() %}<{{ caller() }}>{% endmacro %}"
    "{% macro outer() %}{% set c = caller %}{% call inner() %}[{{ c() }}]{% endcall %}{% endmacro %}"
    "{% call outer() %}X{% endcall %}",
    "recursion": "{% macro t(n) %}{% if n %}({{ t(n - 1) }}){% endif %}{% endmacro %}{{ t(3) }}",
    "a macro calls a later one": "{% macro a() %}A{{ b() }}{% endmacro %}{% macro b() %}B{% endmacro %}{{ a() }}",
    "import": "{% import 'ui.html' as ui %}{{ ui.button(name) }}{{ ui.button('x', kind='danger') }}|{{ ui.accent }}"
    "|{{ ui._private }}|{{ ui }}|{{ ui.both() }}",
    "from import with alias": "{% from 'ui.html' import button, card as c, accent %}{{ button(1) }}"
    "{% call c('T') %}{{ accent }}{% endcall %}",
    "import inside an if": "{% if flag %}{% import 'ui.html' as ui %}{% endif %}{{ ui.button(2) }}",
    "macro inside with": "{% with %}{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(1) }}{% endwith %}[{{ m }}]",
    "macro in a loop body": "{% for i in xs %}{% set q = i * 2 %}{% macro m() %}{{ i }}{{ q }}{{ loop.index }}{% endmacro %}{{ m() }}{% endfor %}",
    "child template macros reach its blocks": "{% extends 'base.html' %}{% macro m() %}M{% endmacro %}"
    "{% from 'ui.html' import button %}{% block body %}{{ m() }}{{ button('b') }}{% endblock %}",
    "a Python keyword as a keyword argument": "{% macro m(class=none, for='f') %}[{{ class }}{{ for }}]{% endmacro %}"
    "{{ m(class='x') }}{{ m(for='y', class='z') }}{{ dict(class=1, id=2)|dictsort }}",
    "tuple set": "{% set a, b = 1, 'two' %}{{ a }}{{ b }}{% set (c, d) = pairs[0] %}{{ c }}{{ d }}{% set e = 1, %}{{ e }}"
    "{% for k, v in pairs %}{% set a, b = v, k %}{{ a }}{{ b }}{% endfor %}{{ a }}{{ b }}",
}


@pytest.mark.parametrize("src", list(JINJA_CASES.values()), ids=list(JINJA_CASES))
def test_renders_like_jinja2(src):
    assert ours(src) == jinja(src)


# --- scoping -------------------------------------------------------------------------------------

SCOPING = {
    # a macro sees its arguments and the names around its definition, never its caller's locals
    "not the caller's loop variable": ("{% macro m() %}[{{ y }}]{% endmacro %}{% for y in [1] %}{{ m() }}{% endfor %}", {"y": "ctx"}),
    "not the caller's with names": ("{% macro m() %}[{{ w }}]{% endmacro %}{% with w = 1 %}{{ m() }}{% endwith %}", {}),
    "template names at call time": ("{% set t = 5 %}{% macro m() %}{{ t }}{% endmacro %}{% set t = 6 %}{{ m() }}", {}),
    "context names": ("{% macro m() %}{{ name }}{% endmacro %}{{ m() }}", {"name": "N"}),
    "its sets stay inside": ("{% macro m(a) %}{% set a = a + 1 %}{% set z = 1 %}{{ a }}{% endmacro %}{{ m(1) }}{{ a }}{{ z }}", {"a": "A"}),
    # the body of a call block runs in the scope around the call, in a frame of its own
    "caller body keeps the caller's scope": (
        ("{% macro m() %}{{ caller() }}{% endmacro %}{% set q = 1 %}"
         "{% call m() %}{{ q }}{% set q = 2 %}{{ q }}{% endcall %}{{ q }}"),
        {},
    ),
    "caller body sees the with names": ("{% macro m() %}{{ caller() }}{% endmacro %}{% with w = 3 %}{% call m() %}{{ w }}{% endcall %}{% endwith %}", {}),
    # an imported template sees the globals, not the importer's context
    "import without context": ("{% import 'ui.html' as ui %}{{ ui }}", {"ctx_name": "CTX"}),
}


@pytest.mark.parametrize("src, ctx", list(SCOPING.values()), ids=list(SCOPING))
def test_scoping_like_jinja2(src, ctx):
    assert ours(src, ctx) == jinja(src, ctx)


def test_imported_macros_see_the_globals():
    e = env()
    e.globals["ctx_name"] = "G"
    assert e.from_string("{% import 'ui.html' as ui %}{{ ui }}").render(ctx_name="ignored") == "lib text G|"


# --- errors ----------------------------------------------------------------------------------------


def compile_error(src: str, **templates) -> TemplateSyntaxError:
    e = Environment(loader=DictLoader({**LIBS, "page.html": src, **templates}))
    with pytest.raises(TemplateSyntaxError) as info:
        e.get_template("page.html")
    return info.value


@pytest.mark.parametrize(
    "src, message, line",
    [
        ("{% macro m(a) %}{% endmacro %}\n{{ m(1, 2) }}", "macro 'm' takes not more than 1 argument(s)", 2),
        ("{% macro m(a) %}{% endmacro %}\n\n{{ m(b=2) }}", "macro 'm' takes no keyword argument 'b'", 3),
        ("{% macro m(a) %}{% endmacro %}{{ m(1, a=2) }}", "got argument 'a' twice", 1),
        ("{% import 'ui.html' as ui %}\n{{ ui.button(1, 2, 3) }}", "macro 'button' takes not more than 2 argument(s)", 2),
        ("{% from 'ui.html' import button as b %}\n{% set x = b(size=1) %}", "macro 'button' takes no keyword argument 'size'", 2),
        ("{% import 'ui.html' as ui %}\n{{ ui.nope() }}", "'ui' (template 'ui.html') has no 'nope'", 2),
        ("{% from 'ui.html' import nope %}", "template 'ui.html' does not export 'nope'", 1),
        ("\n{% from 'ui.html' import _private %}", "'_private' cannot be imported", 2),
        ("{% import 'nope.html' as x %}", "template 'nope.html' not found", 1),
        ("{% import name as x %}", "'import' needs a template name as a string literal", 1),
        ("{% import 'ui.html' as x with context %}", "'import … with context' is not supported", 1),
        ("{% macro m() %}{% endmacro %}\n{% call m() %}x{% endcall %}", "never calls caller()", 2),
        ("{% macro m(a=1, b) %}{% endmacro %}", "parameter 'b' without a default follows one with a default", 1),
        ("{% macro m(a, a) %}{% endmacro %}", "parameter 'a' is listed twice", 1),
        ("{% macro m(caller) %}{% endmacro %}", "'caller' parameter must be left out or be given a default", 1),
        ("{% call 1 %}{% endcall %}", "'call' needs a macro call", 1),
        ("{% macro m() %}\n{% slot s %}{% endslot %}{% endmacro %}", "'slot' can only be used directly inside a {% call %} block", 2),
        ("{% macro m() %}{% endmacro %}{% call m() %}\n{% slot s %}{% endslot %}{% slot s %}{% endslot %}{% endcall %}", "slot 's' is filled twice", 2),
        ("{% macro m() %}x{% endmacro m2 %}", "'endmacro m2' closes the macro 'm'", 1),
        ("{% macro m() %}\n{% block b %}{% endblock %}{% endmacro %}", "block 'b' is inside a macro", 2),
    ],
)
def test_compile_errors_name_template_and_line(src, message, line):
    err = compile_error(src)
    assert message in err.message
    assert (err.name, err.lineno) == ("page.html", line)
    assert f'File "page.html", line {line}' in str(err)


def test_an_import_cycle_is_reported_where_it_closes():
    err = compile_error("{% import 'lib_a.html' as a %}")
    assert "templates import each other in a cycle: lib_a.html → lib_b.html → lib_a.html" in err.message
    assert (err.name, err.lineno, err.column) == ("lib_b.html", 1, 1)


def test_a_call_error_points_at_the_called_name():
    err = compile_error("{% macro m(a) %}{% endmacro %}<p>{{ m(1, 2) }}</p>")
    assert err.column == 37 and str(err).splitlines()[-1].index("^") - 4 == 36


def test_calling_an_undefined_macro_raises_naming_the_line():
    t = env().from_string("ok\n{{ nope(1) }}", name="page.html")
    with pytest.raises(UndefinedError, match="'nope' is undefined") as info:
        t.render()
    assert info.value.template_lineno == 2


def test_a_macro_called_through_a_variable_is_checked_when_called():
    t = env().from_string("{% macro m(a) %}{% endmacro %}{% set f = m %}\n{{ f(1, 2) }}", name="page.html")
    with pytest.raises(TypeError, match=r"macro 'm' takes not more than 1 argument\(s\)") as info:
        t.render()
    assert info.value.template_lineno == 2


def test_caller_without_a_call_block_is_undefined():
    t = env().from_string("{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}")
    with pytest.raises(UndefinedError, match="No caller defined"):
        t.render()


def test_an_error_inside_an_imported_macro_names_the_imported_template():
    t = env().from_string("{% from 'broken.html' import boom %}\n{{ boom(0) }}", name="page.html")
    with pytest.raises(ZeroDivisionError) as info:
        t.render()
    assert (info.value.template_name, info.value.template_lineno) == ("broken.html", 2)


# --- named slots (ours: checked by hand) ---------------------------------------------------------

CARD = (
    "{% macro card() %}<div>"
    "{% if 'header' in caller.slots %}<h2>{{ caller('header') }}</h2>{% endif %}"
    "<section>{{ caller() }}</section><footer>{{ caller('footer') }}</footer></div>{% endmacro %}"
)


def test_named_slots_and_the_rest_of_the_body():
    src = CARD + "{% call card() %}\n  {% slot header %}<b>{{ name }}</b>{% endslot %}\n  body\n{% endcall %}"
    out = env().from_string(src).render(name="<Ada>")
    assert out == "<div><h2><b>&lt;Ada&gt;</b></h2><section>\n  \n  body\n</section><footer></footer></div>"


def test_an_unfilled_slot_renders_nothing():
    out = env().from_string(CARD + "{% call card() %}only body{% endcall %}").render()
    assert out == "<div><section>only body</section><footer></footer></div>"


def test_slots_run_in_the_scope_around_the_call():
    src = CARD + (
        "{% for x in xs %}{% set y = x * 10 %}{% call card() %}{% slot footer %}{{ x }}/{{ y }}/{{ loop.index }}"
        "{% set y = 0 %}{{ y }}{% endslot %}{{ y }}{% endcall %}{% endfor %}"
    )
    out = env().from_string(src).render(xs=[1, 2])
    assert out == (
        "<div><section>10</section><footer>1/10/1" "0</footer></div>"
        "<div><section>20</section><footer>2/20/2" "0</footer></div>"
    )


def test_slots_next_to_call_parameters():
    table = (
        "{% macro table(rows) %}<table><tr>{{ caller('header') }}</tr>"
        "{% for r in rows %}<tr>{{ caller(r) }}</tr>{% endfor %}</table>{% endmacro %}"
    )
    src = table + "{% call(row) table(xs) %}{% slot header %}<th>n</th>{% endslot %}<td>{{ row }}</td>{% endcall %}"
    assert env().from_string(src).render(xs=[1, 2]) == "<table><tr><th>n</th></tr><tr><td>1</td></tr><tr><td>2</td></tr></table>"
    # a string naming no slot is the body's argument, as in Jinja2
    assert env().from_string(table.replace("caller('header')", "caller('h')") + "{% call(row) table([]) %}[{{ row }}]{% endcall %}").render() \
        == "<table><tr>[h]</tr></table>"


def test_slots_work_through_imports():
    lib = {"cards.html": CARD}
    e = Environment(loader=DictLoader(lib))
    src = "{% import 'cards.html' as c %}{% call c.card() %}{% slot footer %}F{% endslot %}B{% endcall %}"
    assert e.from_string(src).render() == "<div><section>B</section><footer>F</footer></div>"


# --- the tree: each call is a node ---------------------------------------------------------------

PAGE = (
    "{% from 'ui.html' import button, card %}<nav>{{ button(a) }}{{ button(b, 'danger') }}</nav>"
    "{% call card(title) %}<p>{{ body }}</p>{% endcall %}"
)
PAGE_CTX = {"a": "Save", "b": "Delete", "title": "T", "body": "x"}


def page():
    return env().from_string(PAGE)


def test_each_call_is_a_node_sharing_the_macros_statics():
    t = page()
    tree = t.tree(PAGE_CTX)
    first, second, card = tree.dynamics
    assert isinstance(first, Rendered) and isinstance(second, Rendered)
    assert first.statics is second.statics and first.fingerprint == second.fingerprint
    assert first.dynamics == ["primary", "blue", "Save"] and second.dynamics == ["danger", "blue", "Delete"]
    body = card.dynamics[1]  # the caller() body is a node of its own
    assert isinstance(body, Rendered) and body.statics == ("<p>", "</p>") and body.dynamics == ["x"]
    assert t.tree({**PAGE_CTX, "a": "z"}).dynamics[0].statics is first.statics  # compiled once: every render shares them


def test_a_changed_argument_diffs_to_that_calls_node_only():
    t, d = page(), Differ()
    d.join(t.tree(PAGE_CTX))
    assert d.diff(t.tree(PAGE_CTX)) == {}
    assert d.diff(t.tree({**PAGE_CTX, "a": "Save!"})) == {"0": {"2": "Save!"}}
    assert d.diff(t.tree({**PAGE_CTX, "a": "Save!", "body": "y"})) == {"2": {"1": {"0": "y"}}}


def test_a_slot_is_a_node_of_its_own():
    src = CARD + "{% call card() %}{% slot header %}<b>{{ h }}</b>{% endslot %}{{ v }}{% endcall %}"
    t, d = env().from_string(src), Differ()
    tree = t.tree(h=1, v=2)
    header = tree.dynamics[0].dynamics[0].dynamics[0]
    assert isinstance(header, Rendered) and header.statics == ("<b>", "</b>")
    d.join(tree)
    assert json.loads(json.dumps(d.diff(t.tree(h=5, v=2)))) == {"0": {"0": {"0": {"0": "5"}}}}


# Many calls of one macro, one argument changed per step: the diff names that call only, and the
# client (the Python port of the LiveView client's merge) shows what the template renders.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    labels=st.lists(st.text(alphabet="ab<&é ", max_size=4), min_size=1, max_size=6),
    edits=st.lists(st.tuples(st.integers(0, 5), st.text(alphabet="xy<>", max_size=3)), min_size=1, max_size=4),
)
def test_calls_diff_independently(labels, edits):
    t = env().from_string("{% import 'ui.html' as ui %}{% for l in labels %}<li>{{ ui.button(l) }}</li>{% endfor %}")
    d = Differ()
    client = ClientRendered(json.loads(json.dumps(d.join(t.tree(labels=labels)))))
    for index, text in edits:
        index %= len(labels)
        changed = labels[index] != text
        labels = labels[:index] + [text] + labels[index + 1:]
        diff = json.loads(json.dumps(d.diff(t.tree(labels=labels))))
        if not changed:
            assert diff == {}
            continue
        # loop entry `index`, its slot 0 (the button's node), the node's slot 2 (the label)
        assert diff == {"0": {"k": {str(index): {"0": {"2": str(escape(text))}}, "kc": len(labels)}}}
        client.merge(diff)
        assert client.html() == t.render(labels=labels)


def test_the_real_client_merges_macro_diffs():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))
    from node_client import shared_client

    client = shared_client()
    t = page()
    contexts = [PAGE_CTX, {**PAGE_CTX, "a": "<Save>"}, {**PAGE_CTX, "title": "U", "body": "&"}, PAGE_CTX]
    d = Differ()
    wire = [json.loads(json.dumps(d.join(t.tree(contexts[0]))))]
    wire += [json.loads(json.dumps(d.diff(t.tree(c)))) for c in contexts[1:]]
    assert client.run(wire[0], wire[1:]) == [t.render(c) for c in contexts]


# --- readable generated code ---------------------------------------------------------------------


def python_source(src: str) -> str:
    return env().from_string(src, name="page.html").python_source


def test_names_the_template_only_assigns_are_not_looked_up():
    code = python_source(
        "{% set title = 'T' %}{{ title }}{% for x in xs %}{% set y = x %}{{ y }}{% endfor %}"
        "{% with w = 1 %}{{ w }}{% endwith %}{% macro m(p) %}{{ p }}{% endmacro %}{{ m(1) }}"
        "{% from 'ui.html' import button %}{{ button(1) }}{% set a, b = 1, 2 %}{{ a }}{{ b }}"
    )
    assert re.findall(r"resolve\(ctx, '(\w+)'", code) == ["xs"]


def test_a_name_read_before_it_may_be_assigned_is_looked_up():
    code = python_source("{% if flag %}{% set t = 1 %}{% endif %}{{ t }}")
    assert "l_t = resolve(ctx, 't', G)" in code
    assert env().from_string("{% if flag %}{% set t = 1 %}{% endif %}{{ t }}").render(flag=False, t="ctx") == "ctx"


def test_if_and_for_else_read_top_down():
    code = python_source(
        "{% if n > 1 %}big{% elif n %}one{% else %}zero{% endif %}"
        "{% for x in xs %}{{ x }}{% else %}none{% endfor %}"
    )
    lines = [line.strip() for line in code.splitlines()]
    at = lines.index("if l_n > 1:  # line 1")
    assert lines[at + 2] == "elif l_n:  # line 1" and lines[at + 4] == "else:"
    entries = next(line for line in lines if re.fullmatch(r"_e\d+ = \[\[", line)).split(" ")[0]
    at = lines.index(f"if {entries}:")
    assert re.fullmatch(rf"_d\d+ = Comprehension\(\d+, S\d+, {entries}\)", lines[at + 1])
    assert lines[at + 2] == "else:" and re.fullmatch(r"_d\d+ = Rendered\(\d+, S\d+, \[\]\)", lines[at + 3])
    assert " := " not in code  # no walrus where statements are allowed
    compile(code, "page", "exec")


def test_a_macro_and_a_call_block_in_the_generated_code():
    code = python_source("{% macro m(a, b=1) %}{{ a }}{{ caller() }}{% endmacro %}{% call m(x) %}{{ y }}{% endcall %}")
    assert "@macro('m', ('a', 'b'), defaults=1, caller=True)  # line 1" in code
    assert "def l_m(l_a, l_b, l_caller):" in code
    assert re.search(r"@caller_body\(\(\)\)  # line 1\n +def (caller_\d+)\(\):", code)
    assert re.search(r"l_m\.tree\(l_x, caller=caller_\d+\),  # line 1", code)
