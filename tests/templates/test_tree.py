"""The Rendered tree a template produces: the contract with the diff core (DESIGN.md §3)."""

from __future__ import annotations

import copy

import jinja2
import pytest
from hypothesis import HealthCheck, event, given, settings

from pyview_core.diff import Differ
from pyview_core.testing import ClientRendered
from pyview_templates import Comprehension, DictLoader, Environment, Rendered, Template, join

try:
    from .strategies import TemplateCase, contexts, template_cases
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from strategies import TemplateCase, contexts, template_cases


def test_statics_and_dynamics_split():
    tree = Template("<p>{{ a }} and {{ b }}</p>").tree({"a": "<1>", "b": 2})
    assert isinstance(tree, Rendered)
    assert tree.statics == ("<p>", " and ", "</p>")
    assert tree.dynamics == ["&lt;1&gt;", "2"]


def test_constant_output_folds_into_statics():
    tree = Template("<p>{{ 'x<' }}{{ 1 }}</p>").tree()
    assert tree.statics == ("<p>x&lt;1</p>",) and tree.dynamics == []


def test_statics_are_shared_between_renders():
    t = Template("<p>{{ a }}</p>{% if a %}<b>{{ a }}</b>{% endif %}")
    one, two = t.tree(a=1), t.tree(a=2)
    assert one.statics is two.statics
    assert one.dynamics[1].statics is two.dynamics[1].statics
    assert one.fingerprint == two.fingerprint


def test_if_branches_are_nodes_with_their_own_fingerprints():
    t = Template("{% if on %}<b>{{ v }}</b>{% else %}<i>{{ v }}</i>{% endif %}")
    on, off = t.tree(on=True, v=1).dynamics[0], t.tree(on=False, v=1).dynamics[0]
    assert on.statics == ("<b>", "</b>") and off.statics == ("<i>", "</i>")
    assert on.fingerprint != off.fingerprint
    # A false `if` without `else` is an empty dynamic.
    assert Template("{% if on %}x{% endif %}").tree(on=False).dynamics == [""]


def test_loop_is_a_comprehension_of_entries():
    t = Template("<ul>{% for u in users %}<li>{{ u.name }}{% if u.admin %}!{% endif %}</li>{% endfor %}</ul>")
    tree = t.tree(users=[{"name": "a", "admin": True}, {"name": "b", "admin": False}])
    comp = tree.dynamics[0]
    assert isinstance(comp, Comprehension)
    assert comp.statics == ("<li>", "", "</li>")
    assert comp.entries[0][0] == "a" and comp.entries[1][0] == "b"
    assert isinstance(comp.entries[0][1], Rendered) and comp.entries[1][1] == ""
    assert t.tree(users=[]).dynamics[0].entries == []


def test_same_statics_different_structure_have_different_fingerprints():
    a = Template("<p>{{ v }}</p>").tree(v=1)
    b = Template("<p>{% if v %}x{% endif %}</p>").tree(v=1)
    assert a.statics == b.statics and a.fingerprint != b.fingerprint
    # ... and identical templates fingerprint identically, in any process (no hash randomisation).
    assert Template("<p>{{ v }}</p>").tree(v=1).fingerprint == a.fingerprint


def test_include_and_block_are_nested_nodes():
    env = Environment(loader=DictLoader({
        "part.html": "<i>{{ v }}</i>",
        "base.html": "<main>{% block body %}{% endblock %}</main>",
        "page.html": "{% extends 'base.html' %}{% block body %}{% include 'part.html' %}{% endblock %}",
    }))
    tree = env.get_template("page.html").tree(v=1)
    block = tree.dynamics[0]
    assert tree.statics == ("<main>", "</main>")
    assert isinstance(block, Rendered) and isinstance(block.dynamics[0], Rendered)
    assert block.dynamics[0].statics == ("<i>", "</i>")


def client_html(*trees) -> str:
    """The HTML the official client's merge (its Python port) shows after receiving ``trees``:
    the first as the join reply, each later one as a diff. It walks the wire tree on its own,
    so it shares no code with ``join``."""
    differ = Differ()
    client = ClientRendered(differ.join(trees[0]))
    for tree in trees[1:]:
        client.merge(differ.diff(tree))
    return client.html()


def test_nested_loops_join_and_merge_to_the_same_html():
    t = Template("{% for a in xs %}{% for b in xs %}{{ a }}{{ b }}{% endfor %};{% endfor %}")
    ctx = {"xs": [1, 2]}
    assert join(t.tree(ctx)) == "1112;2122;"
    assert client_html(t.tree(ctx)) == "1112;2122;"
    assert client_html(t.tree(xs=[]), t.tree(ctx)) == "1112;2122;"


def _jinja_html(case: TemplateCase, context: dict) -> str | None:
    """Jinja2's rendering of the case with ``context``, or None when Jinja2 raises."""
    env = jinja2.Environment(autoescape=True, loader=jinja2.DictLoader(dict(case.templates)))
    try:
        return env.from_string(case.source).render(copy.deepcopy(context))
    except Exception:
        return None


def _ours(case: TemplateCase) -> Template:
    if case.templates:
        return Environment(loader=DictLoader(dict(case.templates))).from_string(case.source)
    return Template(case.source)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(case=template_cases(), other=contexts())
def test_what_the_client_shows_is_what_jinja2_renders(case: TemplateCase, other: dict) -> None:
    """The tree is what reaches the browser: after the join, and after a diff to another
    context, the page the client assembles from it equals Jinja2's output. A tree with a
    dynamic in the wrong slot, a lost loop entry or a stale branch fails here, whereas
    comparing ``join(tree)`` with ``render`` could not (``render`` *is* the joined tree)."""
    t = _ours(case)
    shown: list = []
    for context in (case.context, other):
        expected = _jinja_html(case, context)
        if expected is None:
            event("Jinja2 raises")
            with pytest.raises(Exception):
                t.tree(context)
            continue
        shown.append(t.tree(context))
        assert client_html(*shown) == expected, f"after {len(shown)} render(s) of {case!r}"


def test_keyed_loop_records_keys():
    t = Template("{% for r in rows key r.id %}<p>{{ r.v }}</p>{% endfor %}")
    comp = t.tree(rows=[{"id": 7, "v": "a"}, {"id": 9, "v": "b"}]).dynamics[0]
    assert comp.keys == [7, 9]
    assert [e[0] for e in comp.entries] == ["a", "b"]
