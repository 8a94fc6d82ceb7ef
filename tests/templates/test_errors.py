"""Every malformed template raises TemplateSyntaxError naming template, line and column."""

import pytest

from pyview_templates import DictLoader, Environment, Template, TemplateSyntaxError


def syntax_error(src: str, **templates) -> TemplateSyntaxError:
    env = Environment(loader=DictLoader({"page.html": src, **templates}))
    with pytest.raises(TemplateSyntaxError) as info:
        env.get_template("page.html")
    return info.value


@pytest.mark.parametrize(
    "src, message, line, column",
    [
        ("<p>\n{% if x %}\nhello", "'if' on line 2 is never closed: expected 'endif'", 2, 4),
        ("{% for a in b %}\n{% endif %}", "unexpected 'endif': expected 'endfor' to close the 'for' on line 1", 2, 4),
        ("ok\n{% endfor %}", "unexpected 'endfor': there is no open 'for' to close", 2, 4),
        ("{% if a %}{% else %}{% else %}{% endif %}", "unexpected", 1, None),
        ("{{ x|nosuchfilter }}", "unknown filter 'nosuchfilter'", 1, 6),
        ("{{ x is nosuchtest }}", "unknown test 'nosuchtest'", 1, 9),
        ("\n\n  {{ 1 + }}", "unexpected '}}'", 3, 10),
        ("{{ x", "'{{' is never closed", 1, 1),
        ("{% component m() %}{% endcomponent %}", "unknown tag 'component'", 1, 4),
        ("{% block a %}{% endblock b %}", "names must match", 1, 26),
        ("{% block a %}{% endblock %}{% block a %}{% endblock %}", "block 'a' is defined twice", 1, 28),
        ("{% include name %}", "needs a template name as a string literal", 1, 1),
        ("{% if x %}{% extends 'b.html' %}{% endif %}", "'extends' must be at the top level", 1, 11),
        ("{{ super() }}", "super() can only be used inside a block", 1, 1),
        ("{# never closed", "comment is never closed", 1, 1),
        ("{% raw %} never closed", "'raw' is never closed", 1, 4),
    ],
)
def test_syntax_errors(src, message, line, column):
    err = syntax_error(src)
    assert message in err.message
    assert err.lineno == line
    if column is not None:
        assert err.column == column
    assert err.name == "page.html"
    text = str(err)
    assert f"line {line}" in text and 'File "page.html"' in text
    # The offending line is quoted with a caret under the column.
    quoted, caret = text.splitlines()[-2:]
    assert quoted.strip() == src.splitlines()[line - 1].strip()
    assert caret.index("^") - 4 == err.column - 1


def test_extends_of_a_missing_file_names_the_extending_template():
    err = syntax_error("\n{% extends 'nope.html' %}")
    assert "template 'nope.html' not found" in err.message and err.lineno == 2 and err.name == "page.html"


def test_include_of_a_missing_file():
    err = syntax_error("x {% include 'nope.html' %}")
    assert "template 'nope.html' not found" in err.message and err.column == 3


def test_recursive_include_is_an_error():
    err = syntax_error("{% include 'a.html' %}", **{"a.html": "{% include 'b.html' %}", "b.html": "{% include 'a.html' %}"})
    assert "recursive include: a.html → b.html → a.html" in err.message
    assert err.name == "b.html"


def test_extends_cycle_is_an_error():
    err = syntax_error("{% extends 'a.html' %}", **{"a.html": "{% extends 'page.html' %}"})
    assert "cycle" in err.message


def test_errors_inside_included_templates_name_that_template():
    err = syntax_error("{% include 'bad.html' %}", **{"bad.html": "ok\n{{ x| }}"})
    assert err.name == "bad.html" and err.lineno == 2


def test_render_errors_keep_their_type_and_name_template_and_line():
    env = Environment(loader=DictLoader({"page.html": "line one\n{% for v in xs %}\n  {{ 10 // v }}\n{% endfor %}"}))
    t = env.get_template("page.html")
    with pytest.raises(ZeroDivisionError) as info:
        t.render(xs=[1, 0])
    assert info.value.template_name == "page.html" and info.value.template_lineno == 3
    assert any('template "page.html", line 3' in note and "{{ 10 // v }}" in note for note in info.value.__notes__)


def test_missing_filter_argument_is_reported_with_the_line():
    env = Environment(loader=DictLoader({"page.html": "\n{{ xs|batch }}"}))
    with pytest.raises(TypeError) as info:
        env.get_template("page.html").render(xs=[1])
    assert info.value.template_lineno == 2


def test_undefined_attribute_error_names_the_line():
    from pyview_templates import UndefinedError

    t = Template("a\nb {{ user.name }}")
    with pytest.raises(UndefinedError, match="'user' is undefined") as info:
        t.render()
    assert info.value.template_lineno == 2


def test_a_broken_template_does_not_break_others():
    env = Environment(loader=DictLoader({"bad.html": "{% if %}", "good.html": "{{ 1 }}"}))
    with pytest.raises(TemplateSyntaxError):
        env.get_template("bad.html")
    assert env.get_template("good.html").render() == "1"


def test_bad_string_escape_is_a_syntax_error():
    err = syntax_error('ok\n{{ "\\x" }}')
    assert "bad escape in string literal" in err.message and err.lineno == 2


def test_deep_nesting_is_a_syntax_error_not_a_crash():
    syntax_error("{% if x %}" * 120 + "{% endif %}" * 120)
    syntax_error("{{ " + "[" * 300 + "]" * 300 + " }}")


def test_include_without_context_is_refused_clearly():
    err = syntax_error("{% include 'p.html' without context %}", **{"p.html": "x"})
    assert "without context" in err.message
