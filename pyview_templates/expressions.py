"""Template expressions → Python expressions, with names resolved through the frame model.

The base of the code generator (:mod:`.codegen`): it holds what compiling an expression needs —
the filters and tests in use, the template being compiled (for errors and ``# line`` marks),
and name resolution — and nothing about statements or tree nodes.
"""

from __future__ import annotations

import contextlib
import keyword
from collections.abc import Iterator
from typing import Any

from . import nodes as n
from .errors import TemplateSyntaxError
from .frames import Frame, Ref
from .linker import Library, LoadedTemplate, MacroSig, error

LOOP_ATTRS = {"index", "index0", "revindex", "revindex0", "first", "last", "length"}
_INLINE_TESTS = {
    "defined": "(not isinstance({0}, Undefined))",
    "undefined": "isinstance({0}, Undefined)",
    "none": "({0} is None)",
    "even": "({0} % 2 == 0)",
    "odd": "({0} % 2 == 1)",
}


class ExpressionCompiler:
    def __init__(self, page: str, filters: dict[str, Any], tests: dict[str, Any]) -> None:
        self.page = page  # the name of the template being compiled (marks name any other)
        self.filters = filters
        self.tests = tests
        self.used_filters: dict[str, str] = {}
        self.used_tests: dict[str, str] = {}
        self.current: LoadedTemplate | None = None  # the template the code being compiled comes from
        self._counter = 0

    # --- small services ----------------------------------------------------------------------------

    def error(self, message: str, lineno: int, column: int = 1) -> TemplateSyntaxError:
        return error(message, lineno, column or 1, self.current)

    def fresh(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def fresh_local(self, name: str) -> str:
        """The Python local of a template name bound in a nested scope: ``l7_name``."""
        self._counter += 1
        return f"l{self._counter}_{name}"

    def next_id(self) -> int:
        self._counter += 1
        return self._counter

    def mark(self, lineno: int) -> str:
        """The ``# line N`` comment that maps generated code back to the template (named if not the page)."""
        if self.current is None or self.current.name == self.page:
            return f"  # line {lineno}"
        return f"  # line {lineno} of {self.current.name!r}"

    @contextlib.contextmanager
    def in_template(self, template: LoadedTemplate) -> Iterator[None]:
        prev, self.current = self.current, template
        try:
            yield
        finally:
            self.current = prev

    # --- names ------------------------------------------------------------------------------------

    def ref(self, name: str, frame: Frame) -> Ref:
        """What ``name`` compiles to here: a binding of some frame, or a run-time lookup (context,
        globals) done once at the top of the enclosing function."""
        found = frame.lookup(name)
        if found is not None:
            return found
        py = frame.function_root().lookups.setdefault(name, f"l_{name}")
        return Ref(py, None)

    def name(self, name: str, frame: Frame) -> str:
        ref = self.ref(name, frame)
        if ref.binding is not None and ref.binding.loop is not None:
            ref.binding.loop.uses_object = True  # `loop` itself escapes: it needs a LoopContext
        return ref.py

    def is_loop_attr(self, expr: n.Expr, frame: Frame) -> bool:
        if isinstance(expr, n.Getattr) and isinstance(expr.obj, n.Name) and expr.obj.name == "loop":
            found = frame.lookup("loop")
            return found is not None and found.binding.loop is not None and expr.attr in LOOP_ATTRS | {"cycle"}
        return False

    def _loop_attr(self, expr: n.Getattr, frame: Frame) -> str:
        loop = frame.lookup("loop").binding.loop  # type: ignore[union-attr]
        attr = expr.attr
        loop.uses_index = True
        if attr in ("length", "last", "revindex", "revindex0"):
            loop.uses_length = True
        return {
            "index0": loop.i,
            "index": f"({loop.i} + 1)",
            "first": f"({loop.i} == 0)",
            "last": f"({loop.i} == {loop.n} - 1)",
            "length": loop.n,
            "revindex": f"({loop.n} - {loop.i})",
            "revindex0": f"({loop.n} - {loop.i} - 1)",
        }[attr]

    # --- calls ------------------------------------------------------------------------------------

    def call(self, e: n.Call, frame: Frame, lineno: int, *, output: bool = False, caller: str | None = None) -> tuple[str, bool]:
        """Python for a call, and whether it builds a tree node.

        ``output``: the call is printed on its own, so a macro's call builds its node (``m.tree(…)``)
        rather than its HTML; ``caller``: a call block passes this function as ``caller``. A call
        of a macro known here is checked against its signature now.
        """
        if isinstance(e.func, n.Getattr) and e.func.attr == "cycle" and self.is_loop_attr(e.func, frame):
            loop = frame.lookup("loop").binding.loop  # type: ignore[union-attr]
            loop.uses_index = True
            values = "".join(self.expr(a, frame, lineno) + ", " for a in e.args)
            return f"cycle_(({values}), {loop.i})", False
        func, sig, may_be_node = self._callee(e.func, frame, lineno, e)
        args = self.args(e.args, e.kwargs, frame, lineno)
        if caller is not None:
            args = f"{args}, caller={caller}" if args else f"caller={caller}"
        if sig is not None:
            problem = sig.call_error(len(e.args), [k for k, _ in e.kwargs], caller is not None)
            if problem is not None:
                raise self.error(problem, e.lineno or lineno, e.column)
        if not (output or caller):
            return f"{func}({args})", False
        if sig is not None:
            return f"{func}.tree({args})", True
        if may_be_node or caller is not None:
            return f"call_({func}{', ' + args if args else ''})", True
        return f"{func}({args})", False

    def _callee(self, func: n.Expr, frame: Frame, lineno: int, call: n.Call) -> tuple[str, MacroSig | None, bool]:
        """(Python for the called value, its signature when it is known to be a macro, whether it may be one)."""
        if isinstance(func, n.Name):
            ref = self.ref(func.name, frame)
            if isinstance(ref.static, MacroSig):
                return ref.py, ref.static, True
            # A name looked up at run time (a global such as ``live_component``, a context value)
            # may give a node: ``call_`` decides when it runs.
            return self.name(func.name, frame), None, ref.binding is None or ref.binding.may_call_node
        if isinstance(func, n.Getattr) and isinstance(func.obj, n.Name) and not self.is_loop_attr(func, frame):
            ref = self.ref(func.obj.name, frame)
            if isinstance(ref.static, Library):
                library = ref.static
                if func.attr not in library.exports:
                    offered = ", ".join(sorted(library.exports)) or "nothing"
                    raise self.error(
                        f"{func.obj.name!r} (template {library.name!r}) has no {func.attr!r}: it exports {offered}",
                        call.lineno or lineno, call.column,
                    )
                sig = library.exports[func.attr]
                if sig is not None:
                    return f"{ref.py}.{func.attr}", sig, True
            may_be_node = ref.binding is not None and ref.binding.may_call_node
            return self.expr(func, frame, lineno), None, may_be_node
        return self.expr(func, frame, lineno), None, False

    def args(self, args: list[n.Expr], kwargs: list[tuple[str, n.Expr]], frame: Frame, lineno: int) -> str:
        parts = [self.expr(a, frame, lineno) for a in args]
        plain = [(k, v) for k, v in kwargs if not keyword.iskeyword(k)]
        reserved = [(k, v) for k, v in kwargs if keyword.iskeyword(k)]
        parts += [f"{k}={self.expr(v, frame, lineno)}" for k, v in plain]
        if reserved:  # `class="x"` is a fine Jinja keyword argument but not a Python one
            parts.append("**{" + ", ".join(f"{k!r}: {self.expr(v, frame, lineno)}" for k, v in reserved) + "}")
        return ", ".join(parts)

    # --- expressions ------------------------------------------------------------------------------

    def expr(self, e: n.Expr, frame: Frame, lineno: int) -> str:
        """Python source for expression ``e``."""
        t = type(e)
        if t is n.Name:
            return self.name(e.name, frame)
        if t is n.Const:
            return repr(e.value)
        if t is n.Getattr:
            if self.is_loop_attr(e, frame) and e.attr != "cycle":
                return self._loop_attr(e, frame)
            return f"getattr_({self.expr(e.obj, frame, lineno)}, {e.attr!r})"
        if t is n.Getitem:
            return f"getitem_({self.expr(e.obj, frame, lineno)}, {self.expr(e.key, frame, lineno)})"
        if t is n.Slice:
            parts = [self.expr(p, frame, lineno) if p is not None else "None" for p in (e.start, e.stop, e.step)]
            return f"slice({', '.join(parts)})"
        if t is n.Call:
            return self.call(e, frame, lineno)[0]
        if t is n.Filter:
            if e.name not in self.filters:
                raise self.error(f"unknown filter {e.name!r}", e.lineno or lineno, e.column or 1)
            py = self.used_filters.setdefault(e.name, f"f_{_ident(e.name)}_{len(self.used_filters)}")
            args = self.args([e.value, *e.args], e.kwargs, frame, lineno)
            return f"{py}({args})"
        if t is n.Test:
            value = self.expr(e.value, frame, lineno)
            # `x is None` inline only where Python cannot fold the operand to a literal
            # (it rejects or warns about `1 is None`, `(-1 + 2) is None`).
            foldable = not isinstance(e.value, (n.Name, n.Getattr, n.Getitem, n.Call, n.Filter))
            if e.name in _INLINE_TESTS and not e.args and not foldable:
                code = _INLINE_TESTS[e.name].format(value)
            elif e.name in self.tests:
                py = self.used_tests.setdefault(e.name, f"t_{_ident(e.name)}_{len(self.used_tests)}")
                code = f"{py}({self.args([e.value, *e.args], [], frame, lineno)})"
            else:
                raise self.error(f"unknown test {e.name!r}", e.lineno or lineno, e.column or 1)
            return f"(not {code})" if e.negated else code
        if t is n.BinOp:
            return f"({self.expr(e.left, frame, lineno)} {e.op} {self.expr(e.right, frame, lineno)})"
        if t is n.UnaryOp:
            return f"({e.op}{self.expr(e.operand, frame, lineno)})"
        if t is n.Concat:
            return f"concat_(({''.join(self.expr(i, frame, lineno) + ', ' for i in e.items)}))"
        if t is n.Compare:
            parts = [self.expr(e.left, frame, lineno)]
            for op, right in e.ops:
                parts += [op, self.expr(right, frame, lineno)]
            return f"({' '.join(parts)})"
        if t is n.And:
            return f"({self.expr(e.left, frame, lineno)} and {self.expr(e.right, frame, lineno)})"
        if t is n.Or:
            return f"({self.expr(e.left, frame, lineno)} or {self.expr(e.right, frame, lineno)})"
        if t is n.Not:
            return f"(not {self.expr(e.operand, frame, lineno)})"
        if t is n.CondExpr:
            other = self.expr(e.otherwise, frame, lineno) if e.otherwise is not None else "Undefined()"
            return f"({self.expr(e.then, frame, lineno)} if {self.expr(e.test, frame, lineno)} else {other})"
        if t is n.ListLit:
            return f"[{', '.join(self.expr(i, frame, lineno) for i in e.items)}]"
        if t is n.TupleLit:
            return f"({''.join(self.expr(i, frame, lineno) + ', ' for i in e.items)})"
        if t is n.DictLit:
            pairs = ", ".join(f"{self.expr(k, frame, lineno)}: {self.expr(v, frame, lineno)}" for k, v in e.pairs)
            return f"{{{pairs}}}"
        if t is n.SuperCall:
            raise self.error("super() must be output on its own, as {{ super() }}", e.lineno or lineno)
        raise TypeError(f"unexpected expression {e!r}")  # pragma: no cover


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)
