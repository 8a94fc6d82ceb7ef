"""Fuzz: compiling any text either succeeds or raises TemplateSyntaxError (DESIGN.md §8).

Inputs: random token soup (delimiters, tag keywords, quotes, operators, pipes,
whitespace control), valid generated templates with random damage, and
arbitrary unicode text.  Templates mentioning ``include``/``extends`` are
compiled through an Environment whose DictLoader holds a few parts, so a
missing (or recursive) template must also surface as a TemplateSyntaxError.
Every TemplateSyntaxError must carry a usable location.
"""

from __future__ import annotations

import re
import warnings

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pyview_templates import DictLoader, Environment, Template, TemplateSyntaxError

try:
    from .strategies import mutated_sources, token_soup
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from strategies import mutated_sources, token_soup

SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

PARTS = {
    "part1.html": "<i>{{ x }}</i>",
    "part2.html": "{% for y in [1, 2] %}{{ y }}{% endfor %}",
    "base.html": "<html>{% block b1 %}B1{% endblock %}{% block b2 %}{% endblock %}</html>",
}
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def compile_source(source: str) -> None:
    with warnings.catch_warnings():
        # compiling must not warn either (generated Python with `"lit" is None`, ...):
        # under `-W error` a warning becomes an exception
        warnings.simplefilter("error", SyntaxWarning)
        if "include" in source or "extends" in source or "import" in source:
            Environment(loader=DictLoader(dict(PARTS))).from_string(source, name="main.html")
        else:
            Template(source)


def check_compiles_or_syntax_error(source: str) -> None:
    try:
        compile_source(source)
    except TemplateSyntaxError as err:
        event("TemplateSyntaxError")
        check_error(err, source)
    else:
        event("compiled")


def check_error(err: TemplateSyntaxError, source: str) -> None:
    assert isinstance(err.lineno, int) and err.lineno >= 1, f"lineno {err.lineno!r}"
    assert isinstance(err.column, int) and err.column >= 1, f"column {err.column!r}"
    text = str(err)
    assert str(err.lineno) in text, f"line {err.lineno} not in {text!r}"
    if err.name in (None, "main.html") or err.name.startswith("<string"):
        # the error is in the source we gave: its line exists (or is the end of the text)
        max_line = 1 + sum(source.count(c) for c in _LINE_BREAKS)
        assert err.lineno <= max_line, f"line {err.lineno} of a {max_line}-line source"
        lines = source.splitlines() + re.split(r"\r\n|\r|\n", source)  # whichever way lines are counted
        longest = max(len(line) for line in lines)
        assert err.column <= longest + 2, f"column {err.column} beyond the longest line ({longest})"


@settings(max_examples=400, **SETTINGS)
@given(source=token_soup())
def test_token_soup_compiles_or_raises_syntax_error(source: str) -> None:
    check_compiles_or_syntax_error(source)


@settings(max_examples=200, **SETTINGS)
@given(source=mutated_sources())
def test_damaged_templates_compile_or_raise_syntax_error(source: str) -> None:
    check_compiles_or_syntax_error(source)


@settings(max_examples=200, **SETTINGS)
@given(source=st.text(max_size=40))
def test_arbitrary_text_compiles_or_raises_syntax_error(source: str) -> None:
    check_compiles_or_syntax_error(source)


@settings(max_examples=100, **SETTINGS)
@given(
    name=st.sampled_from(["nope.html", "main.html", "", "part1.html", "../x", "base.html"]),
    kind=st.sampled_from(["include", "extends"]),
    before=st.sampled_from(["", "\n", "a\n\n", "{% if x %}\n"]),
)
def test_missing_or_recursive_templates_raise_syntax_error(name: str, kind: str, before: str) -> None:
    source = before + "{% " + kind + ' "' + name + '" %}' + ("{% endif %}" if "if" in before else "")
    check_compiles_or_syntax_error(source)


NESTING = {
    "parens": ("{{ ", "(", "1", ")", " }}"),
    "lists": ("{{ ", "[", "", "]", " }}"),
    "negation": ("{{ ", "-", "1", "", " }}"),
    "not": ("{{ ", "not ", "x", "", " }}"),
    "plus": ("{{ 1", " + 1", "", "", " }}"),
    "filters": ("{{ x", "|upper", "", "", " }}"),
    "ifs": ("", "{% if x %}", "x", "{% endif %}", ""),
    "fors": ("", "{% for x in y %}", "{{ x }}", "{% endfor %}", ""),
    "withs": ("", "{% with a = 1 %}", "{{ a }}", "{% endwith %}", ""),
    "for-ifs": ("", "{% for x in y %}{% if x %}", "", "{% endif %}{% endfor %}", ""),
    "blocks": ("", "{% block b{i} %}", "", "{% endblock %}", ""),
}


@settings(max_examples=60, **SETTINGS)
@given(kind=st.sampled_from(sorted(NESTING)), depth=st.integers(1, 400))
def test_deep_nesting_compiles_or_raises_syntax_error(kind: str, depth: int) -> None:
    """Deeply nested templates hit Python's limits (nested parentheses, indentation,
    recursion): that must surface as a TemplateSyntaxError, not SyntaxError/RecursionError."""
    head, opener, middle, closer, tail = NESTING[kind]
    source = head + "".join(opener.replace("{i}", str(i)) for i in range(depth)) + middle + closer * depth + tail
    check_compiles_or_syntax_error(source)


@settings(max_examples=150, **SETTINGS)
@given(
    body=st.lists(
        st.sampled_from(["\\", "\\\\", "x", "u", "U", "N{", "}", "0", "4", "7", "e9", "ff", "a", "'", '"', "n", "LATIN SMALL LETTER A", " "]),
        max_size=10,
    ).map("".join),
    quote=st.sampled_from(["'", '"']),
)
def test_string_literal_escapes_compile_or_raise_syntax_error(body: str, quote: str) -> None:
    """Backslash escapes in string literals (bad ones: `\\x`, `\\u12`, `\\N{NOPE}`...)."""
    check_compiles_or_syntax_error("{{ " + quote + body + quote + " }}")
