"""Properties of the statics/dynamics tree (DESIGN.md §3).

* HTML is the tree joined: ``join(t.tree(ctx)) == t.render(ctx)``.
* Shape: every Rendered has ``len(statics) == len(dynamics) + 1``; every
  Comprehension entry has ``len(statics) - 1`` dynamics; statics are tuples of
  ``str``; a dynamic is a ``str``, a Rendered or a Comprehension.
* Statics are compile-time constants: the same template rendered twice yields
  the very same statics tuples (``is``) with equal fingerprints, and equal
  fingerprints always mean equal statics.
* The two branches of an ``if`` are separate nodes: statically different
  branches have different fingerprints.

Templates come from the Jinja-compatible generator and from the same generator
with pyview/Ibis extras (``{% empty %}``, ``|filter:arg``, ``None`` values).
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, event, given, settings

from pyview_templates import DictLoader, Environment, Template
from pyview_templates.tree import Comprehension, Rendered, join

try:
    from .strategies import TemplateCase, contexts, if_branch_cases, minimize_case, template_cases
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from strategies import TemplateCase, contexts, if_branch_cases, minimize_case, template_cases

SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    # a failing case is minimised by `minimize_case` (hypothesis shrinks these templates slowly)
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)


def compile_case(case: TemplateCase):
    if case.templates:
        return Environment(loader=DictLoader(dict(case.templates))).from_string(case.source)
    return Template(case.source)


# --- checks -------------------------------------------------------------------------------------

def check_dynamic(d, path: str) -> None:
    if isinstance(d, str):
        return
    if isinstance(d, Rendered):
        check_rendered(d, path)
    elif isinstance(d, Comprehension):
        check_comprehension(d, path)
    else:
        raise AssertionError(f"{path}: dynamic of type {type(d).__name__}: {d!r}")


def check_statics(node, path: str) -> None:
    assert isinstance(node.fingerprint, int), f"{path}: fingerprint {node.fingerprint!r}"
    assert isinstance(node.statics, tuple), f"{path}: statics is a {type(node.statics).__name__}"
    assert len(node.statics) >= 1, f"{path}: no statics"
    for s in node.statics:
        assert type(s) is str, f"{path}: static of type {type(s).__name__}: {s!r}"


def check_rendered(node: Rendered, path: str = "root") -> None:
    check_statics(node, path)
    assert len(node.statics) == len(node.dynamics) + 1, (
        f"{path}: {len(node.statics)} statics for {len(node.dynamics)} dynamics"
    )
    for i, d in enumerate(node.dynamics):
        check_dynamic(d, f"{path}.{i}")


def check_comprehension(node: Comprehension, path: str) -> None:
    check_statics(node, path)
    for j, entry in enumerate(node.entries):
        assert len(entry) == len(node.statics) - 1, (
            f"{path}[{j}]: {len(entry)} dynamics for {len(node.statics)} statics"
        )
        for i, d in enumerate(entry):
            check_dynamic(d, f"{path}[{j}].{i}")


def assert_same_shape(a, b, path: str = "root") -> None:
    """Two renders of one template with one context: identical, statics shared by identity."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, str):
        assert a == b, f"{path}: {a!r} vs {b!r}"
        return
    assert a.fingerprint == b.fingerprint, f"{path}: fingerprints differ"
    assert a.statics is b.statics, f"{path}: statics rebuilt between renders: {a.statics!r}"
    if isinstance(a, Rendered):
        assert len(a.dynamics) == len(b.dynamics), path
        for i, (x, y) in enumerate(zip(a.dynamics, b.dynamics)):
            assert_same_shape(x, y, f"{path}.{i}")
    else:
        assert len(a.entries) == len(b.entries), path
        for j, (ea, eb) in enumerate(zip(a.entries, b.entries)):
            assert len(ea) == len(eb), f"{path}[{j}]"
            for i, (x, y) in enumerate(zip(ea, eb)):
                assert_same_shape(x, y, f"{path}[{j}].{i}")


def nodes(tree):
    """Every Rendered/Comprehension in the tree, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Rendered):
            yield node
            stack.extend(node.dynamics)
        elif isinstance(node, Comprehension):
            yield node
            for entry in node.entries:
                stack.extend(entry)


def check_fingerprints(trees) -> None:
    """Equal fingerprints (per node kind) mean equal statics, across all the trees."""
    seen: dict[tuple[type, int], tuple[str, ...]] = {}
    for tree in trees:
        for node in nodes(tree):
            key = (type(node), node.fingerprint)
            if key in seen:
                assert seen[key] == node.statics, (
                    f"fingerprint {node.fingerprint} for two statics: {seen[key]!r} and {node.statics!r}"
                )
            else:
                seen[key] = node.statics


def check_case(case: TemplateCase, other_context: dict) -> None:
    try:
        _check_case(case, other_context)
    except AssertionError as exc:
        verdict = str(exc).split("\n")[0][:60]

        def still_fails(c: TemplateCase) -> bool:
            try:
                _check_case(c, other_context)
            except AssertionError as e:
                return str(e).split("\n")[0][:60] == verdict
            return False

        small = minimize_case(case, still_fails)
        raise AssertionError(
            f"{exc}\nminimal template: {small.source!r}\n  other templates: {small.templates!r}\n"
            f"  context: {small.context!r}\n  second context: {other_context!r}"
        ) from exc


def _check_case(case: TemplateCase, other_context: dict) -> None:
    t = compile_case(case)
    trees = []
    for ctx in (case.context, other_context):
        try:
            html = t.render(ctx)
        except Exception as exc:
            event(f"render raised {type(exc).__name__}")
            try:
                t.tree(ctx)
            except Exception:
                continue
            raise AssertionError(f"render raised {exc!r} but tree() did not")
        tree = t.tree(ctx)
        assert isinstance(tree, Rendered), f"tree() returned {type(tree).__name__}"
        check_rendered(tree)
        assert join(tree) == html
        again = t.tree(ctx)
        assert_same_shape(tree, again)
        trees += [tree, again]
    if trees:
        event("rendered")
    check_fingerprints(trees)


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=150, **SETTINGS)
@given(case=template_cases(), other=contexts())
def test_tree_of_jinja_compatible_templates(case: TemplateCase, other: dict) -> None:
    check_case(case, other)


@settings(max_examples=150, **SETTINGS)
@given(case=template_cases(extras=True), other=contexts(extras=True))
def test_tree_of_templates_with_pyview_extras(case: TemplateCase, other: dict) -> None:
    check_case(case, other)


@settings(max_examples=100, deadline=None, suppress_health_check=SETTINGS["suppress_health_check"])
@given(case=if_branch_cases())
def test_if_branches_are_nodes_with_distinct_fingerprints(case) -> None:
    source, ctx = case
    t = Template(source)
    branches = []
    for cond in (True, False):
        c = {**ctx, "cond": cond}
        try:
            html = t.render(c)
        except Exception:
            return  # the branch body raises (an undefined value misused): not what this test is about
        tree = t.tree(c)
        assert join(tree) == html
        check_rendered(tree)
        # `<p>{% if %}...{% endif %}</p>`: the root has one dynamic, the taken branch
        assert len(tree.dynamics) == 1, tree
        branch = tree.dynamics[0]
        assert isinstance(branch, Rendered), f"the {cond} branch is a {type(branch).__name__}: {branch!r}"
        branches.append(branch)
    first, second = branches
    assert first.fingerprint != second.fingerprint
    assert first.statics != second.statics
