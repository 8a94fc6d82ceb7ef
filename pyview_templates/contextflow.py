"""How the statements of a linked tree move the HTML :class:`.htmlcontext.Position`.

The code generator threads one Position through the tree as it compiles it; what it cannot do
in that single pass is a loop: an iteration may start in the state the previous one ended in
(``<a href="{% for p in parts %}{{ p }}/{% endfor %}">``: the first part starts the URL, the
others do not). :func:`loop_start` runs the body over the Position, without compiling it, until
the states an iteration may start in stop growing. :func:`value_ends_in` looks ahead the same
way, to decide whether an unquoted attribute value can be quoted.
"""

from __future__ import annotations

from typing import Any

from . import nodes as n
from ._native import to_html
from .htmlcontext import Position
from .linker import InTemplate, LinkedBlock, LinkedCall, LinkedInclude

_MAX_PLAIN_ROUNDS = 3  # then :meth:`Position.widen` makes the states stop growing
_GIVE_UP_ROUNDS = 200


def constant_text(expr: n.Expr) -> str | None:
    """The HTML of ``{{ expr }}`` when it is a constant (folded into the statics), else None."""
    if isinstance(expr, n.Const) and (expr.value is None or isinstance(expr.value, (str, int, float))):
        return to_html(expr.value)
    return None


def run(body: list[n.Stmt], position: Position) -> Position:
    """The Position after ``body`` (``position`` is updated in place and returned)."""
    for item in body:
        kind: Any = type(item)
        if kind is n.Text:
            position.text(item.value)  # type: ignore[attr-defined]
        elif kind is n.Output:
            folded = constant_text(item.expr)  # type: ignore[attr-defined]
            if folded is not None:
                position.text(folded)
            else:
                position.after_dynamic()
        elif kind is n.If:
            position.boundary()
            ends = [run(body, position.copy()) for _, body in item.branches]  # type: ignore[attr-defined]
            other = item.else_body  # type: ignore[attr-defined]
            ends.append(run(other, position.copy()) if other is not None else position.copy())
            position.states = Position.merge(ends).states
        elif kind is n.For:
            position.boundary()
            start = loop_start(item.body, position)  # type: ignore[attr-defined]
            ends = [start]
            if item.else_body is not None:  # type: ignore[attr-defined]
                ends.append(run(item.else_body, position.copy()))  # type: ignore[attr-defined]
            position.states = Position.merge(ends).states
        elif kind in (n.With, InTemplate):
            run(item.body, position)  # type: ignore[attr-defined]
        elif kind in (LinkedInclude, LinkedBlock):
            position.boundary()
            run(item.body, position)  # type: ignore[attr-defined]
            position.boundary()
        elif kind is LinkedCall:
            position.boundary()  # the macro's output: its own node, its own HTML
        # set, macro definitions, imports, a missing include: no output here
    return position


def value_ends_in(position: Position, rest: list[n.Stmt]) -> bool:
    """Whether the unquoted attribute value a dynamic is in (at ``position``) ends within ``rest``,
    the statements after it in the same node, before any nested node: then the code generator can
    quote it in the node's statics."""
    probe = position.copy()
    probe.quote_value()
    for item in rest:
        kind: Any = type(item)
        if kind is n.Text:
            probe.text(item.value)  # type: ignore[attr-defined]
        elif kind is n.Output:
            folded = constant_text(item.expr)  # type: ignore[attr-defined]
            if folded is not None:
                probe.text(folded)
            elif isinstance(item.expr, n.Call):  # type: ignore[attr-defined]
                return False  # may be a macro's node
            else:
                probe.after_dynamic()
        elif kind not in (n.Set, n.SetAttr):
            return False
        if not probe.in_attribute_value():
            return True
    return False


def loop_start(body: list[n.Stmt], before: Position) -> Position:
    """Every state an iteration of ``body`` may start in, the loop entered at ``before``; also
    every state after the loop (zero or more iterations)."""
    start = before.copy()
    rounds = 0
    while True:
        end = run(body, start.copy())
        end.boundary()
        grown = Position.merge([start.copy(), end])
        if rounds >= _MAX_PLAIN_ROUNDS:
            grown = grown.widen()  # idempotent, so the states now come from a finite set
        if grown.key() == start.key():
            return start
        start = grown
        rounds += 1
        if rounds > _GIVE_UP_ROUNDS:  # pragma: no cover - widen() bounds the states
            raise RuntimeError("pyview_templates: the HTML contexts of a loop body do not converge (a compiler bug)")
