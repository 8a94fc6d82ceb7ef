"""THE real-client property of the diff core (DESIGN.md §8).

For random templates (ifs/elif/else, loops keyed and not, nested loops, loops in if branches,
includes, single-root elements) and random sequences of 2-6 contexts -- rows appended,
removed, reordered, changed, flags flipped, values changed, and the SAME list and dict
objects mutated in place between renders -- merging

    Differ().join(t.tree(ctx0)), then Differ().diff(t.tree(ctx_i)) ...

with the real LiveView 1.2.12 client (Node, tests/client/rendered_node.mjs) yields exactly
``t.render(ctx_i)`` at every step, and so does the Python port of the client
(pyview_core.testing.ClientRendered). A diff of an unchanged context is ``{}``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from diff_strategies import DiffCase, apply_ops, diff_cases
from node_client import NodeClientError
from pyview_core.diff import Differ
from pyview_core.testing import ClientRendered
from pyview_templates import DictLoader, Environment, Template

_TEMPLATE_TESTS = str(Path(__file__).resolve().parents[1] / "templates")
if _TEMPLATE_TESTS not in sys.path:
    sys.path.insert(0, _TEMPLATE_TESTS)
from strategies import TemplateCase, contexts, template_cases  # noqa: E402  (tests/templates)

SETTINGS = dict(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def wire(payload):
    """What travels: JSON (statics tuples become arrays)."""
    return json.loads(json.dumps(payload))


def run_case(case: DiffCase):
    """Render and diff every step. Returns (payloads, expected HTML, context snapshots, problems)."""
    env = Environment(loader=DictLoader(case.loader_mapping()))
    t = env.get_template("main.html")
    ctx = copy.deepcopy(case.context)
    d = Differ()
    payloads, expected, snapshots, problems = [], [], [], []
    for i in range(len(case.steps) + 1):
        if i:
            apply_ops(ctx, case.steps[i - 1])
        snapshots.append(copy.deepcopy(ctx))
        expected.append(t.render(ctx))
        tree = t.tree(ctx)
        payloads.append(wire(d.join(tree) if i == 0 else d.diff(tree)))
        if case.check_unchanged[i]:
            again = wire(d.diff(t.tree(ctx)))
            if again != {}:
                problems.append(f"step {i}: diff of an unchanged context is not {{}}: {again!r}")
    return payloads, expected, snapshots, problems


def report(case: DiffCase, payloads, expected, snapshots, got, who: str, step: int | None = None) -> str:
    lines = [f"{who} disagrees with t.render" + (f" at step {step}" if step is not None else ""), repr(case), ""]
    for i, (p, e, s) in enumerate(zip(payloads, expected, snapshots)):
        mark = " <==" if step == i else ""
        lines.append(f"-- step {i}{mark}\n   context:  {s!r}\n   wire:     {json.dumps(p)}\n   expected: {e!r}")
        if got is not None and i < len(got):
            lines.append(f"   got:      {got[i]!r}")
    return "\n".join(lines)


def port_replay(payloads):
    out = []
    c = ClientRendered(payloads[0])
    out.append(c.html())
    for p in payloads[1:]:
        c.merge(p)
        out.append(c.html())
    return out


def check_case(real_client, case: DiffCase) -> None:
    payloads, expected, snapshots, problems = run_case(case)
    assert not problems, "\n".join(problems) + "\n" + repr(case)
    try:
        node = real_client.run(payloads[0], payloads[1:])
    except NodeClientError as e:
        pytest.fail(f"the real client threw: {e}\n" + report(case, payloads, expected, snapshots, e.html, "node", e.step))
    if node != expected:
        step = next(i for i, (a, b) in enumerate(zip(node, expected)) if a != b)
        pytest.fail(report(case, payloads, expected, snapshots, node, "the real client (node)", step))
    try:
        port = port_replay(payloads)
    except ValueError as e:
        pytest.fail(f"the Python port refused the wire: {e}\n" + report(case, payloads, expected, snapshots, None, "port"))
    if port != expected:
        step = next(i for i, (a, b) in enumerate(zip(port, expected)) if a != b)
        pytest.fail(report(case, payloads, expected, snapshots, port, "the Python port", step))


@settings(**SETTINGS)
@given(case=diff_cases())
def test_real_client_renders_what_the_template_renders(real_client, case):
    check_case(real_client, case)


# --------------------------------------------------------------------------------------------
# the whole template language (tests/templates/strategies.py): extends/blocks, with, set,
# filters, loop.*, ... with 2-4 independent contexts; the next context is copied INTO the
# previous one's lists and dicts (in place) half of the time
# --------------------------------------------------------------------------------------------
def _assign_in_place(old, new):
    """Make ``old`` equal to ``new`` reusing ``old``'s lists and dicts where the shapes allow."""
    if type(old) is dict and type(new) is dict:
        for key in list(old):
            if key not in new:
                del old[key]
        for key, value in new.items():
            if key in old and type(old[key]) in (dict, list) and type(old[key]) is type(value):
                old[key] = _assign_in_place(old[key], value)
            else:
                old[key] = value
        return old
    if type(old) is list and type(new) is list:
        for i in range(min(len(old), len(new))):
            if type(old[i]) in (dict, list) and type(old[i]) is type(new[i]):
                old[i] = _assign_in_place(old[i], new[i])
            else:
                old[i] = new[i]
        del old[len(new):]
        old.extend(new[len(old):])
        return old
    return new


def _compile(case: TemplateCase):
    if case.templates:
        return Environment(loader=DictLoader(dict(case.templates))).from_string(case.source)
    return Template(case.source)


@settings(**{**SETTINGS, "max_examples": 250})
@given(case=template_cases(extras=True), more=st.lists(st.tuples(contexts(extras=True), st.booleans()), min_size=1, max_size=3))
def test_real_client_on_the_whole_language(real_client, case, more):
    try:
        t = _compile(case)
    except Exception:
        assume(False)
    ctx = copy.deepcopy(case.context)
    d = Differ()
    payloads, expected, snapshots = [], [], []
    for i, (nxt, in_place) in enumerate([(None, False)] + more):
        if nxt is not None:
            nxt = copy.deepcopy(nxt)
            ctx = _assign_in_place(ctx, nxt) if in_place else nxt
        try:
            html = t.render(ctx)
        except Exception:
            break  # an error path of the language (undefined arithmetic, ...): stop here
        snapshots.append(copy.deepcopy(ctx))
        expected.append(html)
        tree = t.tree(ctx)
        payloads.append(wire(d.join(tree) if i == 0 else d.diff(tree)))
        again = d.diff(t.tree(ctx))
        assert again == {}, f"step {i}: diff of an unchanged context is not {{}}: {again!r}\n{case!r}"
    assume(len(payloads) >= 2)
    dcase = DiffCase(case.source, case.templates, case.context, [], [])
    try:
        node = real_client.run(payloads[0], payloads[1:])
    except NodeClientError as e:
        pytest.fail(f"the real client threw: {e}\n" + report(dcase, payloads, expected, snapshots, e.html, "node", e.step))
    if node != expected:
        step = next(i for i, (a, b) in enumerate(zip(node, expected)) if a != b)
        pytest.fail(report(dcase, payloads, expected, snapshots, node, "the real client (node)", step))
    try:
        port = port_replay(payloads)
    except ValueError as e:
        pytest.fail(f"the Python port refused the wire: {e}\n" + report(dcase, payloads, expected, snapshots, None, "port"))
    assert port == expected, report(dcase, payloads, expected, snapshots, port, "the Python port")


# A few fixed cases that name the situations the property is about (and fail readably).
FIXED = [
    DiffCase(
        '<ul>{% for row in rows key row.id %}<li id="r{{ row.id }}">{{ row.name }}'
        "{% for tag in row.tags key tag %}<b>{{ tag }}</b>{% endfor %}</li>{% endfor %}</ul>",
        {},
        {"rows": [{"id": 1, "name": "a", "done": False, "tags": ["t1", "t2"]},
                  {"id": 2, "name": "b", "done": True, "tags": []}]},
        [[("rows_reverse",)], [("row_tags", 0, "append", "t3"), ("rows_move", 0, 1)], [("row_id", 0, 9)],
         [("rows_pop", 0), ("rows_append", {"id": 5, "name": "n", "done": False, "tags": ["t6"]})]],
        [True, True, True, True, True],
    ),
    DiffCase(
        "{% if a %}<p>{{ x }}</p>{% elif b %}{% for it in items %}<i>{{ it }}</i>{% endfor %}"
        '{% else %}{% include "part1.html" %}{% endif %}',
        {"part1.html": "<div>{{ y }}{% for it in items key it %}{{ loop.index }}{% endfor %}</div>"},
        {"a": True, "b": True, "x": "<", "y": "&", "items": ["i1", "i2"]},
        [[("flip", "a")], [("items_reverse",)], [("flip", "b")], [("items_append", "i3")], [("flip", "a")]],
        [True, True, True, True, True, True],
    ),
]


@pytest.mark.parametrize("case", FIXED, ids=["nested-keyed-moves", "branches-and-includes"])
def test_fixed_cases(real_client, case):
    check_case(real_client, case)


def test_diff_of_unchanged_context_is_empty():
    env = Environment(loader=DictLoader({"main.html": "{% for r in rows key r.id %}<p>{{ r.name }}</p>{% endfor %}"}))
    t = env.get_template("main.html")
    ctx = {"rows": [{"id": 1, "name": "a"}]}
    d = Differ()
    d.join(t.tree(ctx))
    assert d.diff(t.tree(ctx)) == {}
    ctx["rows"][0]["name"] = "b"  # in place
    assert wire(d.diff(t.tree(ctx))) == {"0": {"k": {"0": {"0": "b"}, "kc": 1}}}
    assert d.diff(t.tree(ctx)) == {}


# Found by this harness: single_root() used str.isspace(), which accepts U+001C-U+001F and
# U+0085 that JavaScript's \s does not; "r": 1 then made the client throw 'malformed html'
# (modifyRoot's lookahead is /^(\s*(?:<!--.*?-->\s*)*)<.../). Fixed in 77385a8.
@pytest.mark.parametrize("ch", ["\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\x0b", "\u00a0", "\ufeff", "\u2028", "\u3000"])
def test_root_flag_only_after_javascript_whitespace(real_client, ch):
    t = Template("{% if a %}" + ch + "<p>{{ x }}</p>" + ch + "{% endif %}")
    d = Differ()
    steps = [wire(d.join(t.tree({"a": True, "x": "1"}))), wire(d.diff(t.tree({"a": True, "x": "2"})))]
    assert real_client.run(steps[0], steps[1:]) == [t.render({"a": True, "x": "1"}), t.render({"a": True, "x": "2"})]
    assert port_replay(steps)[-1] == t.render({"a": True, "x": "2"})
