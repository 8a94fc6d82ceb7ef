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

from pyview_templates import DictLoader, Environment, Template, TemplateSyntaxError

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


# --- macros: how a call's arguments bind -------------------------------------------------------


def _outcome(render) -> str:
    try:
        return "ok: " + render()
    except Exception as exc:  # the kind of failure is compared, not the message
        return f"raises {type(exc).__name__}"


@settings(max_examples=200, deadline=None)
@given(
    n_params=st.integers(0, 3),
    n_defaults=st.integers(0, 3),
    reads=st.sets(st.sampled_from(["varargs", "kwargs"])),
    positional=st.integers(0, 5),
    keywords=st.lists(st.sampled_from(["pa", "pb", "pc", "pd"]), unique=True, max_size=3),
    values=st.lists(value_str_st, min_size=9, max_size=9),
)
def test_macro_arguments_bind_like_jinja2(n_params, n_defaults, reads, positional, keywords, values) -> None:
    """Positional, keyword and left-out arguments, defaults, extra arguments caught by
    ``varargs``/``kwargs`` or refused: a call through a variable (bound when it runs) does what
    Jinja2 does, raising where it raises; a direct call Jinja2 would refuse when it runs is a
    syntax error when compiled."""
    params = ["pa", "pb", "pc"][:n_params]
    first_default = n_params - min(n_defaults, n_params)
    sig = ", ".join(p if i < first_default else f"{p}={values[8]!r}" for i, p in enumerate(params))
    body = "".join(f"[{{{{ {p} }}}}]" for p in params) + "".join(f"{{{{ {r} }}}}" for r in sorted(reads))
    args = ", ".join([repr(v) for v in values[:positional]] + [f"{k}={values[4 + i]!r}" for i, k in enumerate(keywords)])
    define = "{% macro m(" + sig + ") %}" + body + "{% endmacro %}"
    through_variable = define + "{% set f = m %}{{ f(" + args + ") }}"
    expected = _outcome(lambda: jinja_env({}).from_string(through_variable).render())
    assert _outcome(lambda: Template(through_variable).render()) == expected, through_variable
    direct = define + "{{ m(" + args + ") }}"
    if expected == "raises TypeError":
        with pytest.raises(TemplateSyntaxError):
            Template(direct)
    else:
        assert _outcome(lambda: Template(direct).render()) == expected, direct
