"""Property: on the Jinja-compatible core, our templates render byte for byte what Jinja2 renders.

The reference is ``jinja2.Environment(autoescape=True, loader=DictLoader(...))``
(Jinja2 3.1).  Templates and contexts come from ``strategies.template_cases``,
which only writes templates Jinja2 compiles; when Jinja2 raises while rendering
(an undefined value used in arithmetic, an index out of range that is then
used, ...) we only require that we raise too.
"""

from __future__ import annotations

import copy

import jinja2
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from pyview_templates import DictLoader, Environment, Template

try:
    from .strategies import TemplateCase, minimize_case, template_cases, to_jinja, value_str_st, word_st
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from strategies import TemplateCase, minimize_case, template_cases, to_jinja, value_str_st, word_st

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    # hypothesis shrinks these generated templates slowly and not very far: a failure is
    # minimised by `minimize_case` (delta debugging on tags, characters and context keys) instead
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)


def jinja_env(templates: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(autoescape=True, loader=jinja2.DictLoader(templates))


def ours(case: TemplateCase):
    if case.templates:
        return Environment(loader=DictLoader(dict(case.templates))).from_string(case.source)
    return Template(case.source)


def _same(text: str) -> str:
    return text


def compare(case: TemplateCase, translate=_same) -> tuple[str, str, str]:
    """(verdict, ours, jinja2's) for a case; Jinja2 renders ``translate`` of the sources.

    verdict: "ok", "invalid" (Jinja2 does not compile it), or the kind of failure.
    """
    try:
        env = jinja_env({name: translate(src) for name, src in case.templates.items()})
        reference = env.from_string(translate(case.source))
        for name in case.templates:
            env.get_template(name)
    except jinja2.TemplateError:
        return "invalid", "", ""
    try:
        compiled = ours(case)
    except Exception as exc:
        return f"ours fails to compile: {type(exc).__name__}", f"{type(exc).__name__}: {exc}", "(compiles)"
    try:
        expected = reference.render(copy.deepcopy(case.context))
    except Exception as exc:
        jinja_error = f"raises {type(exc).__name__}: {exc}"
        try:
            got = compiled.render(case.context)
        except Exception:
            event(f"both raise ({type(exc).__name__})")
            return "ok", "(raises)", jinja_error
        return "jinja2 raises, ours does not", repr(got), jinja_error
    try:
        got = compiled.render(case.context)
    except Exception as exc:
        return f"ours raises {type(exc).__name__}", f"{type(exc).__name__}: {exc}", repr(expected)
    if got != expected:
        return "different output", repr(got), repr(expected)
    event("same output")
    return "ok", repr(got), repr(expected)


def check_case(case: TemplateCase, translate=_same) -> None:
    verdict, got, expected = compare(case, translate)
    assert verdict != "invalid", f"generator bug: Jinja2 does not compile {case!r}"
    if verdict == "ok":
        return
    small = minimize_case(case, lambda c: compare(c, translate)[0] == verdict)
    _, small_got, small_expected = compare(small, translate)
    raise AssertionError(
        f"{verdict}\n"
        f"minimal template: {small.source!r}\n"
        + (f"  other templates: {small.templates!r}\n" if small.templates else "")
        + f"  context: {small.context!r}\n"
        f"  ours:   {small_got}\n"
        f"  Jinja2: {small_expected}\n"
        f"(as generated: ours {got[:300]}, Jinja2 {expected[:300]})"
    )


def check_equivalent(source: str, context: dict, templates: dict[str, str] | None = None) -> None:
    check_case(TemplateCase(source, templates or {}, context))


@SETTINGS
@given(case=template_cases())
def test_random_templates_render_like_jinja2(case: TemplateCase) -> None:
    check_case(case)


@settings(SETTINGS, max_examples=100)
@given(case=template_cases(extras=True, none_values=False))
def test_ibis_forms_render_like_their_jinja_spelling(case: TemplateCase) -> None:
    """`|f:arg` is `|f(arg)` and `{% empty %}` is a for's `{% else %}`."""
    check_case(case, translate=to_jinja)


# --- focused properties: one construct, arbitrary data ------------------------------------------

STRING_FILTERS = [
    "upper", "lower", "title", "capitalize", "trim", "length", "count", "first", "last", "reverse",
    "escape", "e", "safe", "string", "wordcount", "striptags", "int", "truncate(3)", "truncate(10)",
    'replace("a", "<b>")', 'replace(" ", "")', 'default("d")', 'default("d", true)', "safe|title",
    "escape|replace('&', '+')", "safe|truncate(5)", "striptags|length", "trim|capitalize",
]


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(st.text(max_size=30), value_str_st, word_st), flt=st.sampled_from(STRING_FILTERS))
def test_string_filters_on_arbitrary_text(value: str, flt: str) -> None:
    check_equivalent("{{ v|" + flt + " }}", {"v": value})


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(st.one_of(word_st, st.text(max_size=5)), max_size=6),
    flt=st.sampled_from(["sort", "unique", "reverse", "sort|reverse", "unique|sort", "sort|unique"]),
    sep=st.sampled_from([", ", "<", "", "&amp;"]),
)
def test_list_filters_on_arbitrary_words(words: list[str], flt: str, sep: str) -> None:
    check_equivalent("{{ xs|" + flt + "|join(" + repr(sep) + ") }}|{{ xs|" + flt + "|first }}", {"xs": words})


@settings(max_examples=100, deadline=None)
@given(value=st.text(max_size=12))
def test_string_literals_round_trip(value: str) -> None:
    """A Python string written as a Jinja2 literal (with backslash escapes) prints itself, escaped."""
    body = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    check_equivalent('{{ "' + body + '" }}|{{ "' + body + '"|length }}', {})


@settings(max_examples=100, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(["{{ x }}", "{{- x }}", "{{ x -}}", "{%- if x %}", "{% if x -%}", "{%- endif -%}",
                         "{% endif %}", "{#- c -#}", "{# c #}", "{%- set y = 1 -%}", "{%- raw -%} r {%- endraw -%}",
                         " ", "  ", "\n", "\r\n", "\t", "a", " b ", "\n\n"]),
        max_size=12,
    ),
    x=st.sampled_from(["", "<x>", "0", " "]),
)
def test_whitespace_control(pieces: list[str], x: str) -> None:
    # keep if/endif balanced: drop unmatched endifs, close unmatched ifs
    out, depth = [], 0
    for p in pieces:
        if "endif" in p:
            if depth == 0:
                continue
            depth -= 1
        elif "if x" in p:
            depth += 1
        out.append(p)
    out += ["{% endif %}"] * depth
    check_equivalent("".join(out), {"x": x})


@pytest.mark.parametrize(
    "source",
    [
        "{{ missing.attr }}",
        "{{ missing + 1 }}",
        "{{ 1 - missing }}",
        "{{ missing[0] }}",
        "{{ missing() }}",
        "{{ user.nope.deeper }}",
        "{{ user.nope + 1 }}",
        "{% for x in missing.items %}{% endfor %}",
        "{{ -missing }}",
    ],
)
def test_undefined_misuse_raises_in_both(source: str) -> None:
    ctx = {"user": {"name": "x"}}
    with pytest.raises(Exception):
        jinja_env({}).from_string(source).render(ctx)
    with pytest.raises(Exception):
        Template(source).render(ctx)
