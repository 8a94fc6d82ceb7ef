"""The template AST: what the parser produces and the compiler consumes.

Plain dataclasses, so a test or a tool can build and compare trees by hand.
Every node that can fail at render time carries ``lineno`` so the compiler
can map generated Python lines back to template lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Node:
    __slots__ = ()


# --- expressions -------------------------------------------------------------------------------


class Expr(Node):
    __slots__ = ()


@dataclass(slots=True)
class Name(Expr):
    name: str
    lineno: int = 0
    column: int = 0


@dataclass(slots=True)
class Const(Expr):
    value: Any


@dataclass(slots=True)
class ListLit(Expr):
    items: list[Expr]


@dataclass(slots=True)
class TupleLit(Expr):
    items: list[Expr]


@dataclass(slots=True)
class DictLit(Expr):
    pairs: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class Getattr(Expr):
    obj: Expr
    attr: str


@dataclass(slots=True)
class Getitem(Expr):
    obj: Expr
    key: Expr


@dataclass(slots=True)
class Slice(Expr):
    start: Expr | None
    stop: Expr | None
    step: Expr | None


@dataclass(slots=True)
class Call(Expr):
    func: Expr
    args: list[Expr]
    kwargs: list[tuple[str, Expr]]
    lineno: int = 0  # where the called name is (0: unknown)
    column: int = 0


@dataclass(slots=True)
class Filter(Expr):
    value: Expr
    name: str
    args: list[Expr]
    kwargs: list[tuple[str, Expr]]
    lineno: int = 0
    column: int = 0


@dataclass(slots=True)
class Test(Expr):
    value: Expr
    name: str
    args: list[Expr]
    negated: bool = False
    lineno: int = 0
    column: int = 0


@dataclass(slots=True)
class BinOp(Expr):
    """Arithmetic: ``+ - * / // % **``."""

    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class UnaryOp(Expr):
    op: str  # "-" or "+"
    operand: Expr


@dataclass(slots=True)
class Concat(Expr):
    """``a ~ b ~ c``: string concatenation, Markup-aware."""

    items: list[Expr]


@dataclass(slots=True)
class Compare(Expr):
    """A (possibly chained) comparison; ops are Python operator spellings."""

    left: Expr
    ops: list[tuple[str, Expr]]


@dataclass(slots=True)
class And(Expr):
    left: Expr
    right: Expr


@dataclass(slots=True)
class Or(Expr):
    left: Expr
    right: Expr


@dataclass(slots=True)
class Not(Expr):
    operand: Expr


@dataclass(slots=True)
class CondExpr(Expr):
    test: Expr
    then: Expr
    otherwise: Expr | None  # None: Jinja's "undefined" when the test fails


@dataclass(slots=True)
class SuperCall(Expr):
    """``super()`` inside a block: the parent template's version of the block."""

    lineno: int = 0


# --- statements (template structure) ------------------------------------------------------------


class Stmt(Node):
    __slots__ = ()


@dataclass(slots=True)
class Text(Stmt):
    value: str
    strip_before: bool = False
    strip_after: bool = False
    raw: bool = False  # from {% raw %}: whitespace control of neighbouring tags leaves it alone


@dataclass(slots=True)
class Comment(Stmt):
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Output(Stmt):
    expr: Expr
    lineno: int
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class If(Stmt):
    branches: list[tuple[Expr, list[Stmt]]]
    else_body: list[Stmt] | None
    lineno: int
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class For(Stmt):
    targets: list[str]  # one name, or several for ``for k, v in ...`` unpacking
    unpack: bool
    iter: Expr
    body: list[Stmt]
    else_body: list[Stmt] | None
    filter: Expr | None
    key: Expr | None
    lineno: int
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Set(Stmt):
    targets: list[str]
    unpack: bool
    expr: Expr
    lineno: int
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class SetAttr(Stmt):
    """``{% set ns.attr = value %}``: update a ``namespace()`` object (Jinja2's loop-carried state)."""

    target: str
    attr: str
    expr: Expr
    lineno: int
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class SetBlock(Stmt):
    target: str
    body: list[Stmt]
    lineno: int
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class With(Stmt):
    bindings: list[tuple[str, Expr]]
    body: list[Stmt]
    lineno: int
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Include(Stmt):
    template: Expr
    bindings: list[tuple[str, Expr]]
    ignore_missing: bool
    lineno: int
    column: int = 1
    isolated: bool = False  # `without context` / `only`
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Extends(Stmt):
    template: Expr
    lineno: int
    column: int = 1
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Block(Stmt):
    name: str
    body: list[Stmt]
    lineno: int
    column: int = 1
    scoped: bool = False  # sees the loop/with variables around it
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Macro(Stmt):
    """``{% macro name(a, b=1) %}…{% endmacro %}``: binds ``name`` in the enclosing scope.

    ``defaults`` belong to the last ``len(defaults)`` parameters (Python's rule), and are
    evaluated at each call, inside the macro (a default may read an earlier parameter).
    """

    name: str
    params: list[str]
    defaults: list[Expr]
    body: list[Stmt]
    lineno: int
    column: int = 1
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class CallBlock(Stmt):
    """``{% call(params) macro(args) %}body{% endcall %}``: calls a macro whose ``caller()`` renders body.

    ``slots`` are the ``{% slot name %}…{% endslot %}`` tags found directly in the body (taken
    out of ``body``); the macro renders one with ``caller("name")``.
    """

    call: Call
    params: list[str]
    defaults: list[Expr]
    body: list[Stmt]
    slots: dict[str, "Slot"]
    lineno: int
    column: int = 1
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Slot(Stmt):
    """``{% slot name %}…{% endslot %}``: a named part of a ``{% call %}`` block's body."""

    name: str
    body: list[Stmt]
    lineno: int
    column: int = 1
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class Import(Stmt):
    """``{% import "forms.html" as ui %}``: ``ui`` is that template's exported macros and names."""

    template: Expr
    target: str
    lineno: int
    column: int = 1
    with_context: bool = False
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class FromImport(Stmt):
    """``{% from "forms.html" import button, card as c %}``: ``names`` are (exported name, bound name)."""

    template: Expr
    names: list[tuple[str, str]]
    lineno: int
    column: int = 1
    with_context: bool = False
    strip_before: bool = False
    strip_after: bool = False


@dataclass(slots=True)
class TemplateAST(Node):
    """A parsed template file: its body plus where it came from."""

    body: list[Stmt]
    name: str | None = None
    source: str = ""
    blocks: dict[str, Block] = field(default_factory=dict)
    extends: Extends | None = None
