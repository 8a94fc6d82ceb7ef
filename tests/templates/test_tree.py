"""The Rendered tree a template produces: the contract with the diff core (DESIGN.md §3)."""

from pyview_templates import Comprehension, DictLoader, Environment, Rendered, Template, join


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


def test_html_is_the_joined_tree():
    t = Template("{% for a in xs %}{% for b in xs %}{{ a }}{{ b }}{% endfor %};{% endfor %}")
    ctx = {"xs": [1, 2]}
    assert join(t.tree(ctx)) == t.render(ctx) == "1112;2122;"


def test_keyed_loop_records_keys():
    t = Template("{% for r in rows key r.id %}<p>{{ r.v }}</p>{% endfor %}")
    comp = t.tree(rows=[{"id": 7, "v": "a"}, {"id": 9, "v": "b"}]).dynamics[0]
    assert comp.keys == [7, 9]
    assert [e[0] for e in comp.entries] == ["a", "b"]
