"""Hypothesis strategies that write random templates and contexts.

The generator is *typed*: every expression it writes carries the type of the
value it evaluates to (given the context schema below), so most generated
templates render without raising in Jinja2 and exercise real output instead of
error paths.  Names in scope (context names, ``{% set %}`` names, ``with``
names, loop variables, ``loop``) are tracked the way Jinja2 scopes them, so
scoping rules are exercised too (a ``set`` inside a loop does not leak, a
``with`` opens a scope, so do a ``for``'s ``else`` and a ``{% set %}...{% endset %}``
body, ``loop`` in a ``for``'s ``else`` is the outer loop...).  Names a ``set`` wrote
are printed more often afterwards, so a ``set`` that leaks out of its scope (or a
local it leaves unbound) shows in the output.

Entry points:

* :func:`template_cases` -- ``TemplateCase(source, templates, context)``: the
  main template source, the other templates a ``DictLoader`` must hold
  (include parts, ``base.html``, the macro library ``lib.html``), and a context.  ``extras=False`` stays inside
  the Jinja2-compatible core (used by the equivalence property);
  ``extras=True`` adds pyview/Ibis forms (``{% empty %}``, ``|filter:arg``,
  ``None`` values) for properties that do not compare with Jinja2.
* :func:`contexts` -- a context alone, for rendering one template twice.
* :func:`if_branch_cases` -- a template whose top level is a single if/else
  with two bodies whose statics differ, for the fingerprint property.
* :func:`token_soup` / :func:`mutated_sources` -- near-template noise for the
  parser fuzz.
* :func:`to_jinja` -- the Jinja2 spelling of a generated extras template.
* :func:`minimize_case` -- delta debugging of a failing case (hypothesis
  shrinks these templates slowly and not far).

Macros: a main template may start with macro definitions (typed parameters, some with
defaults; some bodies call ``caller()``, with or without an argument) and import ``lib.html``
(``{% import … as ui %}`` / ``{% from … import … as … %}``), a library of macros and
top-level ``set`` names generated without the context (an imported template does not see it).
Its body then prints macro calls (``{{ m(…) }}``: tree nodes), uses them inside expressions
(``m(…)|upper``: their HTML), and wraps bodies in ``{% call(cx) m(…) %}`` blocks; ``{% set a, b =
x, y %}`` assigns several names. A macro body's reads count as a nested body's (see ``LATE_SET``).

``Gen`` has a few class attributes (``P_FOR_ELSE``, ``P_SET_IN_ELSE``, ``P_WS``, ``P_MACROS``,
``P_TEXT_BEFORE_EXTENDS``, ``LATE_SET``, ``BLOCKS_INSIDE_FOR_WITH``) that switch a construct off,
to hunt for other bugs while a known one is open, or to stop generating a
Jinja2 quirk once it is declared a deliberate difference.

Deliberately *not* generated in the Jinja-compatible mode (documented design
differences, see DESIGN.md §6): ``None`` values that get printed, dict keys
that shadow dict methods (``items``/``keys``/``values``/``get``...), method
calls.  Undefined values used with arithmetic/attribute access are generated
rarely; both engines must raise there and the property only checks that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

# --------------------------------------------------------------------------
# types of the generator's little type system
# --------------------------------------------------------------------------
INT = "int"
FLOAT = "float"
STR = "str"
BOOL = "bool"
LINT = "list[int]"
LSTR = "list[str]"
ITEM = "item"  # {"name": str, "price": int, "tags": list[str]}
LITEM = "list[item]"
PAIR = "pair"  # [str, int]
PAIRS = "list[pair]"
MATRIX = "list[list[int]]"
USER = "user"  # {"name", "age", "admin", "tags", "address": {"city", "zip"}}
DICT = "dict"  # a dict literal: str -> int|str
ITER_INT = "iter[int]"  # |reverse / |unique results: iterable but not printable
ITER_STR = "iter[str]"
UNDEF = "undefined"
LOOP = "loop"

PRINTABLE = (INT, FLOAT, STR, BOOL, LINT, LSTR, ITEM, LITEM, PAIR, PAIRS, MATRIX, USER, DICT)
ITERABLE_ELEM = {
    LINT: INT,
    LSTR: STR,
    LITEM: ITEM,
    PAIRS: PAIR,
    MATRIX: LINT,
    ITER_INT: INT,
    ITER_STR: STR,
    STR: STR,
    USER: STR,  # iterating a dict yields its keys
    DICT: STR,
}

# the context schema: name -> type
CONTEXT_SCHEMA = {
    "n": INT,
    "m": INT,
    "f": FLOAT,
    "s": STR,
    "t": STR,
    "flag": BOOL,
    "nums": LINT,
    "words": LSTR,
    "user": USER,
    "items": LITEM,
    "pairs": PAIRS,
    "matrix": MATRIX,
}
UNDEFINED_NAMES = ("missing", "nothing")
# names only {% set %} writes (fixed type per name, so a set inside an `if`
# that leaks at runtime cannot change the type the generator believes in)
SET_POOL = {"si": INT, "sj": INT, "ss": STR, "sl": LINT, "sb": BOOL}
WITH_POOL = ("wa", "wb", "wc")
LOOP_POOL = ("x", "y", "z", "it")
PAIR_POOL = (("k", "v"), ("key", "val"))
# names that may be printed anywhere to probe scoping (undefined prints "")
PROBE_NAMES = tuple(SET_POOL) + WITH_POOL + LOOP_POOL + ("k", "v", "key", "val", "n", "s", "missing")

PARTS = ("part1.html", "part2.html")
BLOCK_NAMES = ("b1", "b2", "b3", "b4")
LIBRARY = "lib.html"
MACRO_NAMES = ("m1", "m2", "m3")  # the main template's macros
LIB_MACRO_NAMES = ("lm1", "lm2")  # lib.html's
PARAM_POOL = ("pa", "pb", "pc")
PARAM_TYPES = (INT, STR, LSTR, BOOL)
CALLER_PARAM = "cx"  # `{% call(cx) m() %}`

# precedence levels of Jinja2's parser (higher binds tighter)
P_COND, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_CONCAT, P_MUL, P_POW, P_UNARY, P_FILTER, P_ATOM = range(1, 13)
# P_FILTER: `x|f` / `x is t` (may be a filter or test base, not a subscript base);
# P_ATOM: names, literals, subscripts, calls (anything may follow)


@dataclass
class E:
    code: str
    t: str
    prec: int = P_ATOM
    is_test: bool = False  # `x is foo`: parenthesise whenever used as an operand


@dataclass
class MacroSpec:
    """A macro a template can call: ``call`` is how (``m1``, ``ui.lm1``, an imported alias)."""

    call: str
    params: list[tuple[str, str, bool]]  # (name, type, has a default)
    caller_type: str | None = None  # None: the body never calls caller(); else the type of the
    caller_arg: bool = False  # ... value it passes when it calls caller(value)


@dataclass
class TemplateCase:
    source: str
    templates: dict[str, str]
    context: dict[str, Any]
    extras: bool = False

    def loader_mapping(self) -> dict[str, str]:
        return {**self.templates, "main.html": self.source}

    def __repr__(self) -> str:  # hypothesis prints this on failure
        return (
            f"TemplateCase(source={self.source!r},\n    templates={self.templates!r},\n"
            f"    context={self.context!r})"
        )


# --------------------------------------------------------------------------
# leaves: text, string literals, context values
# --------------------------------------------------------------------------
# "<" only as "<=": static text never opens a tag, so every dynamic is in HTML text. In a tag
# (an attribute name, an unquoted value, a tag name) pyview escapes a dynamic for that context
# where Jinja2 does not (pyview_templates/contextpolicy.py): there the outputs legitimately differ.
TEXT_CHARS = (
    list("abcxyz AB019")
    + [" ", " ", "\n", "\n", "\t", "\r\n", "<=", ">", "&", '"', "'", "é", "中", "😀", "\u00a0"]
    + ["{", "}", "{", "}", "%", "#", "-", "+", "=", ";", "/", "}}", "%}", "#}", "\r"]
)
VALUE_CHARS = list("abcxyz AB019 ") + ["<", ">", "&", '"', "'", "é", "中", "😀", "\n", "-", "{", "}", "%", " ", "\t"]
LIT_CHARS = list("abxy AZ09 ") + ["<", ">", "&", '"', "'", "é", "中", "}}", "%}", "{", "-", ","]
LIT_ESCAPES = ["\\n", "\\t", "\\\\", "\\'", '\\"', "\\u00e9"]


def _defuse_text(text: str) -> str:
    """Make raw text contain no template delimiter and not end with '{'."""
    while True:
        new = text.replace("{{", "{ {").replace("{%", "{ %").replace("{#", "{ #")
        if new == text:
            break
        text = new
    if text.endswith("{"):
        text += " "
    return text


text_st = st.lists(st.sampled_from(TEXT_CHARS), max_size=10).map("".join).map(_defuse_text)
value_str_st = st.lists(st.sampled_from(VALUE_CHARS), max_size=8).map("".join)
# words with case collisions exercise |sort and |unique (case-insensitive in Jinja2)
word_st = st.one_of(st.sampled_from(["a", "A", "b", "B", "x y", "<i>", "o'neil", "Ça", "é", ""]), value_str_st)


@st.composite
def string_literal(draw) -> tuple[str, str]:
    """(source code of a string literal, the string it denotes)."""
    quote = draw(st.sampled_from(["'", '"']))
    parts = draw(st.lists(st.one_of(st.sampled_from(LIT_CHARS), st.sampled_from(LIT_ESCAPES)), max_size=6))
    code = []
    for p in parts:
        if p.startswith("\\"):
            code.append(p)
        elif p == quote:
            code.append("\\" + p)
        else:
            code.append(p)
    return quote + "".join(code) + quote, ""


@lru_cache(maxsize=None)
def _value_strategies(allow_none: bool) -> dict:
    def opt(strategy):
        return st.one_of(strategy, strategy, strategy, st.none()) if allow_none else strategy  # None 1 in 4

    return {
        "n": opt(st.one_of(st.integers(-20, 30), st.integers(-(10**6), 10**12))),
        "m": opt(st.integers(-20, 30)),
        "f": st.sampled_from([0.5, 1.0, -2.25, 0.1, 1e16, 3.0, 1 / 3, 100.0]),
        "s": opt(value_str_st),
        "t": word_st,
        "flag": st.booleans(),
        "nums": st.lists(st.integers(-10, 40), max_size=6),
        "words": st.lists(word_st, max_size=5),
        "items": st.lists(
            st.fixed_dictionaries(
                {"name": opt(value_str_st), "price": st.integers(0, 999), "tags": st.lists(word_st, max_size=3)}
            ),
            max_size=4,
        ),
        "pairs": st.lists(st.tuples(word_st, st.integers(-5, 50)).map(list), max_size=4),
        "matrix": st.lists(st.lists(st.integers(0, 9), max_size=3), max_size=3),
        # user
        "name": opt(value_str_st),
        "age": opt(st.integers(-5, 120)),
        "admin": st.booleans(),
        "tags": st.lists(word_st, max_size=4),
        "address": st.fixed_dictionaries(
            {"city": value_str_st, "zip": st.sampled_from(["12345", "0", "<z>", ""])}
        ),
    }


_PRESENT = st.integers(0, 80)  # a name is missing when this draws 80; shrinks to present


@st.composite
def contexts(draw, extras: bool = False) -> dict[str, Any]:
    """A context following CONTEXT_SCHEMA; names (and user keys) are occasionally missing.

    With ``extras``, some values are None (pyview prints None as "").
    """
    gens = _value_strategies(extras)
    ctx: dict[str, Any] = {}
    for name in CONTEXT_SCHEMA:
        if draw(_PRESENT) == 80:
            continue
        if name == "user":
            user: dict[str, Any] = {}
            for key in ("name", "age", "admin", "tags", "address"):
                if draw(_PRESENT) == 80:
                    continue
                user[key] = draw(gens[key])
            ctx[name] = user
        else:
            ctx[name] = draw(gens[name])
    if extras and draw(st.booleans()):
        ctx["none_value"] = None
    return ctx


# --------------------------------------------------------------------------
# the generator proper
# --------------------------------------------------------------------------
class Scope:
    """What names mean at one point of the template (a Jinja2 frame)."""

    _next_frame = 0

    def __init__(
        self, names: dict[str, str], loops: int = 0, in_block: bool = False, root: bool = True,
        frames: tuple[int, ...] = (0,),
    ) -> None:
        self.names = names
        self.loops = loops
        self.in_block = in_block
        self.root = root  # the template's top-level frame (not inside a for or with body)
        self.frames = frames  # ids of the Jinja2 frames from the template's top level down to this one

    def child(self, root: bool | None = None) -> "Scope":
        """``root=False`` opens a new frame (a for or with body); otherwise the same frame (an if branch)."""
        frames = self.frames
        if root is False:
            Scope._next_frame += 1
            frames = frames + (Scope._next_frame,)
        return Scope(dict(self.names), self.loops, self.in_block, self.root if root is None else root, frames)

    def of_type(self, *types: str) -> list[str]:
        return sorted(n for n, t in self.names.items() if t in types)


@lru_cache(maxsize=None)
def _ints(lo: int, hi: int):
    return st.integers(lo, hi)


_INT_LIT = st.one_of(st.integers(-3, 12), st.integers(-1000, 10**6))
_NONZERO_LIT = st.sampled_from([1, 2, 3, 5, 7, -2, -3, 10])


class Gen:
    # probabilities of a few constructs (class attributes so a bug hunt can switch one off)
    P_FOR_ELSE = 0.35  # `{% for %}...{% else %}` (or `{% empty %}` with extras)
    P_SET_IN_ELSE = 0.6  # that `else` starts with a `{% set %}` (scoped to the `else`, as in Jinja2)
    P_TEXT_BEFORE_EXTENDS = 0.1  # text/comment before `{% extends %}` (Jinja2 prints it)
    P_WS = 0.12  # whitespace control `-` on each side of each tag
    # a `{% set x %}` in a frame (the top level, a loop or with body) after a for/with body nested
    # in that frame used `x`: Jinja2 then treats `x` as undefined in that body even when an outer
    # value exists; pyview uses the outer value. A deliberate difference (README.md), not generated.
    LATE_SET = False
    # base-template blocks inside a for/with body: Jinja2 blocks do not see those locals
    # (the loop variable, `loop`, with-names) unless `scoped`
    BLOCKS_INSIDE_FOR_WITH = True
    P_MACROS = 0.35  # a main template defines macros (and may import lib.html)

    def __init__(self, draw, *, extras: bool, allow_include: bool = True, max_depth: int = 3) -> None:
        self.draw = draw
        self.extras = extras
        self.allow_include = allow_include
        self.max_depth = max_depth
        self.used_parts: set[str] = set()
        # (frame, name): `name` was read inside a for/with body nested in `frame`
        self.nested_refs: set[tuple[int, str]] = set()
        # names some `set` has written so far (in any scope): later nodes print them more often,
        # so a `set` that leaks out of its scope, or a local left unbound, changes the output
        self.written: list[str] = []
        self.budget = 25  # number of nodes left, keeps templates small
        self.macros: list[MacroSpec] = []  # the macros defined or imported so far

    # -- small helpers --------------------------------------------------
    def choice(self, options):
        options = list(options)
        return options[self.draw(_ints(0, len(options) - 1))]

    def chance(self, p: float) -> bool:
        # integers shrink towards 0 == "no"
        return self.draw(_ints(0, 99)) >= 100 * (1 - p)

    def wrap(self, e: E, need: int) -> str:
        if e.prec < need or e.is_test or self.chance(0.05):
            return "(" + e.code + ")"
        return e.code

    def pick(self, weighted):
        """weighted: list of (weight, thunk) with weight > 0; calls one."""
        options = [thunk for w, thunk in weighted if w > 0]
        weights = [w for w, thunk in weighted if w > 0]
        total = sum(weights)
        r = self.draw(_ints(0, total - 1))
        for w, thunk in zip(weights, options):
            if r < w:
                return thunk()
            r -= w
        raise AssertionError

    def sp(self) -> str:
        """Whitespace inside a tag next to a delimiter."""
        return self.choice([" ", " ", " ", " ", "", "  ", "\n", "\t"])

    def ws_open(self) -> str:
        return "-" if self.chance(self.P_WS) else ""

    def ws_close(self) -> str:
        return "-" if self.chance(self.P_WS) else ""

    def tag(self, inner: str) -> str:
        return "{%" + self.ws_open() + " " + inner + self.sp() + self.ws_close() + "%}"

    def output(self, e_code: str) -> str:
        lsp = self.sp()
        rsp = self.sp()
        if e_code.startswith("{") or e_code.startswith("-") and self.chance(0.5):
            lsp = " "
        if e_code.endswith("}"):
            rsp = " "
        return "{{" + self.ws_open() + lsp + e_code + rsp + self.ws_close() + "}}"

    def probe_names(self) -> tuple[str, ...]:
        return PROBE_NAMES + (("none_value", "none_value") if self.extras else ())

    # -- literals -------------------------------------------------------
    def str_lit(self) -> str:
        return self.draw(string_literal())[0]

    def int_lit(self, nonzero: bool = False) -> str:
        v = self.draw(_INT_LIT if not nonzero else _NONZERO_LIT)
        if v < 0:
            return f"({v})" if self.chance(0.5) else f"-{-v}"
        if not nonzero and self.chance(0.03):
            return self.choice(["1_000", "0", "007"[2:], "42"])
        return str(v)

    def float_lit(self) -> str:
        return self.choice(["1.5", "0.1", "2.0", "0.25", "1e3", "3.14159", "10.0", "0.0"])

    def bool_lit(self) -> str:
        return self.choice(["true", "false", "True", "False"])

    # -- expressions by type -------------------------------------------
    def expr(self, t: str, scope: Scope, d: int) -> E:
        return getattr(self, "e_" + {
            INT: "int", FLOAT: "float", STR: "str", BOOL: "bool", LINT: "lint", LSTR: "lstr",
            ITEM: "item", LITEM: "litem", PAIR: "pair", PAIRS: "pairs", MATRIX: "matrix",
            USER: "user", DICT: "dict", ITER_INT: "iter_int", ITER_STR: "iter_str",
        }[t])(scope, d)

    def names_e(self, scope: Scope, *types: str) -> list:
        return [(3, lambda n=n: E(self.ref(n, scope), scope.names[n])) for n in scope.of_type(*types)]

    def ref(self, name: str, scope: Scope) -> str:
        for frame in scope.frames[:-1]:
            self.nested_refs.add((frame, name))
        return name

    def e_int(self, scope: Scope, d: int) -> E:
        opts = [(4, lambda: E(self.int_lit(), INT, P_UNARY))]
        opts += self.names_e(scope, INT)
        if "user" in scope.names:
            opts.append((1, lambda: E(self.choice(["user.age", 'user["age"]', "user['age']"]), INT)))
        for it in scope.of_type(ITEM):
            opts.append((1, lambda it=it: E(f"{it}.price", INT)))
        if scope.loops:
            opts.append((5, lambda: E("loop." + self.choice(["index", "index0", "revindex", "revindex0", "length"]), INT)))
        if d > 0:
            opts += [
                (3, lambda: self.binop(INT, self.choice(["+", "-", "*"]), P_ADD, scope, d)),
                (2, lambda: self.divop(scope, d)),
                (1, lambda: self.neg(scope, d)),
                (2, lambda: E(self.wrap(self.expr(self.choice([LINT, LSTR, STR, DICT, LITEM]), scope, d - 1), P_UNARY) + "|" + self.choice(["length", "count"]), INT, P_FILTER)),
                (1, lambda: E(self.wrap(self.e_str(scope, d - 1), P_UNARY) + "|wordcount", INT, P_FILTER)),
                (1, lambda: E(self.wrap(self.choice([self.e_str, self.e_float])(scope, d - 1), P_UNARY) + "|int", INT, P_FILTER)),
                (1, lambda: E(self.wrap(self.e_int(scope, d - 1), P_UNARY) + "|abs", INT, P_FILTER)),
                (1, lambda: self.cond_expr(INT, scope, d)),
                (1, lambda: E(self.wrap(self.list_lit(INT, scope, d - 1), P_ATOM) + f"[{self.choice(['0', '-1'])}]", INT)),
                (1, lambda: self.filter_call(INT, "default", [self.int_lit()], scope, d)),
            ]
        return self.pick(opts)

    def neg(self, scope: Scope, d: int) -> E:
        e = self.e_int(scope, d - 1)
        # the operand of unary minus is parsed without filters: -(x|abs), but -x|abs is abs(-x)
        code = "(" + e.code + ")" if e.prec < P_UNARY or e.prec == P_FILTER or e.is_test else e.code
        return E("-" + code, INT, P_UNARY)

    def divop(self, scope: Scope, d: int) -> E:
        left = self.e_int(scope, d - 1)
        op = self.choice(["//", "%", "/"])
        code = self.wrap(left, P_MUL) + f" {op} " + self.int_lit(nonzero=True)
        return E(code, FLOAT if op == "/" else INT, P_MUL)

    def e_float(self, scope: Scope, d: int) -> E:
        opts = [(3, lambda: E(self.float_lit(), FLOAT))] + self.names_e(scope, FLOAT)
        if d > 0:
            opts += [
                (2, lambda: E(self.wrap(self.e_int(scope, d - 1), P_ADD) + f" {self.choice(['+', '-', '*'])} " + self.wrap(self.e_float(scope, d - 1), P_MUL), FLOAT, P_ADD)),
                (1, lambda: E(self.wrap(self.e_int(scope, d - 1), P_MUL) + " / " + self.int_lit(nonzero=True), FLOAT, P_MUL)),
            ]
        return self.pick(opts)

    def binop(self, t: str, op: str, prec: int, scope: Scope, d: int) -> E:
        if op in ("*",):
            prec = P_MUL
        left = self.expr(t, scope, d - 1)
        right = self.expr(t, scope, d - 1)
        return E(self.wrap(left, prec) + f" {op} " + self.wrap(right, prec + 1), t, prec)

    def cond_expr(self, t: str, scope: Scope, d: int) -> E:
        a = self.expr(t, scope, d - 1)
        c = self.e_cond(scope, d - 1)
        b = self.expr(t, scope, d - 1)
        # the condition of an inline if may be a test only when followed by `else`
        code = self.wrap(a, P_OR) + " if " + (c.code if c.prec >= P_OR and not c.is_test else "(" + c.code + ")") + " else " + self.wrap(b, P_COND)
        return E(code, t, P_COND)

    def filter_call(self, t: str, name: str, args: list[str], scope: Scope, d: int, base: E | None = None) -> E:
        if base is None:
            base = self.expr(t, scope, d - 1)
        b = self.wrap(base, P_UNARY)
        if self.extras and len(args) == 1 and self.chance(0.5):
            return E(f"{b}|{name}:{args[0]}", t, P_FILTER)  # Django-style argument
        return E(f"{b}|{name}(" + ", ".join(args) + ")", t, P_FILTER)

    def e_str(self, scope: Scope, d: int) -> E:
        opts = [(4, lambda: E(self.str_lit(), STR))] + self.names_e(scope, STR)
        if "user" in scope.names:
            opts.append((2, lambda: E(self.choice(["user.name", 'user["name"]', "user.address.city", "user['address']['zip']", "user.address['city']"]), STR)))
        for it in scope.of_type(ITEM):
            opts.append((2, lambda it=it: E(f"{it}.name", STR)))
        if scope.loops:
            opts.append((2, lambda: E("loop.cycle(" + ", ".join(self.str_lit() for _ in range(self.draw(_ints(1, 3)))) + ")", STR)))
        if d > 0:
            simple = ["upper", "lower", "title", "capitalize", "trim", "escape", "e", "safe", "string", "striptags"]
            opts += [
                (3, lambda: self.concat(scope, d)),
                (1, lambda: self.binop(STR, "+", P_ADD, scope, d)),
                (1, lambda: E(self.wrap(self.e_str(scope, d - 1), P_MUL) + " * " + self.choice(["0", "1", "2", "3"]), STR, P_MUL)),
                (4, lambda: E(self.wrap(self.e_str(scope, d - 1), P_UNARY) + "|" + self.choice(simple), STR, P_FILTER)),
                (1, lambda: E(self.wrap(self.expr(self.choice([INT, FLOAT, BOOL, LINT]), scope, d - 1), P_UNARY) + "|string", STR, P_FILTER)),
                (1, lambda: self.filter_call(STR, "replace", [self.str_lit(), self.str_lit()], scope, d)),
                (1, lambda: self.filter_call(STR, "truncate", [self.choice(["3", "5", "8", "12"])], scope, d)),
                (2, lambda: self.filter_call(STR, "default", [self.str_lit()], scope, d, base=self.maybe_undef(STR, scope, d))),
                (1, lambda: E(self.wrap(self.maybe_undef(STR, scope, d), P_UNARY) + "|default(" + self.str_lit() + ", true)", STR, P_FILTER)),
                (3, lambda: self.join(scope, d)),
                (1, lambda: self.first_last(scope, d)),
                (1, lambda: self.str_reverse(scope, d)),
                (1, lambda: E(self.wrap(self.e_str(scope, d - 1), P_ATOM) + f"[{self.choice(['0', '-1', '2'])}]", STR)),
                (1, lambda: self.cond_expr(STR, scope, d)),
                (2 if self.plain_macros() else 0, lambda: E(self.macro_call(scope), STR)),
            ]
        return self.pick(opts)

    def str_reverse(self, scope: Scope, d: int) -> E:
        base = self.e_str(scope, d - 1)
        code = self.wrap(base, P_UNARY)
        if not base.code.startswith(("'", '"')) or self.chance(0.3):
            # anything but a literal may be undefined (a missing key, an index out of range):
            # Jinja2 prints `<reversed object at 0x...>` for undefined|reverse
            code += "|string"
        return E(code + "|reverse", STR, P_FILTER)

    def first_last(self, scope: Scope, d: int) -> E:
        base = self.choice([self.e_lstr, self.e_str, self.e_iter_str])(scope, d - 1)
        # |last needs a reversible sequence; |reverse and |unique give iterators
        name = "first" if base.t == ITER_STR else self.choice(["first", "last"])
        return E(self.wrap(base, P_UNARY) + "|" + name, STR, P_FILTER)

    def maybe_undef(self, t: str, scope: Scope, d: int) -> E:
        return self.pick([
            (2, lambda: self.expr(t, scope, d - 1)),
            (2, lambda: E(self.choice(UNDEFINED_NAMES), UNDEF)),
            (1, lambda: E(self.choice(["user.nickname", "user.address.street", 'user["nope"]']), UNDEF) if "user" in scope.names else E("missing", UNDEF)),
            (1, lambda: E(self.ref(self.choice(self.probe_names()), scope), UNDEF)),
        ])

    def concat(self, scope: Scope, d: int) -> E:
        k = self.draw(_ints(2, 3))
        parts = []
        for _ in range(k):
            e = self.any_printable(scope, d - 1)
            parts.append(self.wrap(e, P_MUL))
        return E(" ~ ".join(parts), STR, P_CONCAT)

    def join(self, scope: Scope, d: int) -> E:
        src = self.pick([
            (3, lambda: self.e_lstr(scope, d - 1)),
            (2, lambda: self.e_lint(scope, d - 1)),
            (1, lambda: self.e_iter_str(scope, d - 1)),
            (1, lambda: self.e_iter_int(scope, d - 1)),
        ])
        sep = self.choice(['", "', "'<'", '""', "'&amp;'", '"-"', '" | "'])
        if self.chance(0.1):
            return E(self.wrap(src, P_UNARY) + "|join", STR, P_FILTER)
        return self.filter_call(STR, "join", [sep], scope, d, base=src)

    def e_bool(self, scope: Scope, d: int) -> E:
        opts = [(2, lambda: E(self.bool_lit(), BOOL))] + self.names_e(scope, BOOL)
        if "user" in scope.names:
            opts.append((1, lambda: E("user.admin", BOOL)))
        if scope.loops:
            opts.append((4, lambda: E("loop." + self.choice(["first", "last"]), BOOL)))
        if d > 0:
            opts += [
                (4, lambda: self.compare(scope, d)),
                (2, lambda: self.contains(scope, d)),
                (3, lambda: self.test(scope, d)),
                (2, lambda: self.boolop(scope, d)),
                (1, lambda: E("not " + self.wrap(self.e_cond(scope, d - 1), P_NOT), BOOL, P_NOT)),
            ]
        return self.pick(opts)

    def e_cond(self, scope: Scope, d: int) -> E:
        """Anything usable as a condition (truthiness of any value)."""
        return self.pick([(5, lambda: self.e_bool(scope, d)), (2, lambda: self.any_printable(scope, d)), (1, lambda: self.maybe_undef(STR, scope, d))])

    def compare(self, scope: Scope, d: int) -> E:
        t = self.choice([INT, INT, STR, FLOAT])
        if t == FLOAT:
            t2 = INT
        else:
            t2 = t
        n = self.draw(_ints(1, 2)) if t != STR else 1
        ops = ["==", "!=", "<", "<=", ">", ">="]
        code = self.wrap(self.expr(t, scope, d - 1), P_CMP + 1)
        for _ in range(n):
            code += f" {self.choice(ops)} " + self.wrap(self.expr(t2, scope, d - 1), P_CMP + 1)
        return E(code, BOOL, P_CMP)

    def contains(self, scope: Scope, d: int) -> E:
        kind = self.choice(["int-list", "str-str", "str-list", "key-dict", "str-dict"])
        if kind == "int-list":
            a, b = self.e_int(scope, d - 1), self.e_lint(scope, d - 1)
        elif kind == "str-str":
            a, b = self.e_str(scope, d - 1), self.e_str(scope, d - 1)
        elif kind == "str-list":
            a, b = self.e_str(scope, d - 1), self.e_lstr(scope, d - 1)
        elif kind == "key-dict" and "user" in scope.names:
            a, b = E(self.choice(['"name"', "'age'", '"items"', '"nope"']), STR), E("user", USER)
        else:
            a, b = self.e_str(scope, d - 1), self.e_dict(scope, d - 1)
        op = self.choice(["in", "not in"])
        return E(self.wrap(a, P_CMP + 1) + f" {op} " + self.wrap(b, P_CMP + 1), BOOL, P_CMP)

    def test(self, scope: Scope, d: int) -> E:
        kind = self.choice(["defined", "none", "even", "odd", "divisibleby", "defined"])
        neg = "not " if self.chance(0.3) else ""
        if kind == "defined":
            base = self.pick([(2, lambda: self.maybe_undef(STR, scope, d)), (1, lambda: self.any_printable(scope, d - 1))])
            return E(self.wrap(base, P_UNARY) + f" is {neg}defined", BOOL, P_CMP, is_test=True)
        if kind == "none":
            base = self.pick([(2, lambda: self.any_printable(scope, d - 1)), (1, lambda: self.maybe_undef(STR, scope, d))])
            return E(self.wrap(base, P_UNARY) + f" is {neg}none", BOOL, P_CMP, is_test=True)
        base = self.e_int(scope, d - 1)
        if kind == "divisibleby":
            arg = self.choice(["2", "3", "5", "7", "1"])
            return E(self.wrap(base, P_UNARY) + f" is {neg}divisibleby({arg})", BOOL, P_CMP, is_test=True)
        return E(self.wrap(base, P_UNARY) + f" is {neg}{kind}", BOOL, P_CMP, is_test=True)

    def boolop(self, scope: Scope, d: int) -> E:
        op = self.choice(["and", "or"])
        prec = P_AND if op == "and" else P_OR
        a = self.e_cond(scope, d - 1)
        b = self.e_cond(scope, d - 1)
        wa = a.code if (a.prec >= prec and not (a.is_test and self.chance(0.5))) else "(" + a.code + ")"
        wb = b.code if (b.prec > prec and not (b.is_test and self.chance(0.5))) else "(" + b.code + ")"
        # `a or b` evaluates to one of the operands: a value, not always a bool
        t = BOOL if a.t == b.t == BOOL else STR
        return E(f"{wa} {op} {wb}", t, prec)

    def list_lit(self, elem: str, scope: Scope, d: int, tuples: bool = True) -> E:
        k = self.draw(_ints(0, 3))
        items = [self.wrap(self.expr(elem, scope, max(d - 2, 0)), P_COND) for _ in range(k)]
        if tuples and self.chance(0.25):  # tuple
            if k == 1:
                return E("(" + items[0] + ",)", LINT if elem == INT else LSTR)
            return E("(" + ", ".join(items) + ")", LINT if elem == INT else LSTR)
        trailing = "," if k and self.chance(0.1) else ""
        return E("[" + ", ".join(items) + trailing + "]", LINT if elem == INT else LSTR)

    def e_lint(self, scope: Scope, d: int) -> E:
        opts = [(2, lambda: self.list_lit(INT, scope, d))] + self.names_e(scope, LINT)
        if "matrix" in scope.names:
            opts.append((1, lambda: E(f"matrix[{self.choice(['0', '1', '-1'])}]", LINT)))
        if d > 0:
            opts += [
                (1, lambda: E(self.wrap(self.choice([self.e_lint, self.e_iter_int])(scope, d - 1), P_UNARY) + "|sort", LINT, P_FILTER)),
                (1, lambda: self.list_concat(scope, d)),
            ]
        return self.pick(opts)

    def list_concat(self, scope: Scope, d: int) -> E:
        # list + list (a tuple literal on either side would be a TypeError)
        left = self.pick([(1, lambda: self.list_lit(INT, scope, d, tuples=False))] + self.names_e(scope, LINT))
        right = self.list_lit(INT, scope, d, tuples=False)
        return E(self.wrap(left, P_ADD) + " + " + right.code, LINT, P_ADD)

    def e_lstr(self, scope: Scope, d: int) -> E:
        opts = [(2, lambda: self.list_lit(STR, scope, d))] + self.names_e(scope, LSTR)
        if "user" in scope.names:
            opts.append((2, lambda: E("user.tags", LSTR)))
        for it in scope.of_type(ITEM):
            opts.append((1, lambda it=it: E(f"{it}.tags", LSTR)))
        if d > 0:
            opts += [
                (1, lambda: E(self.wrap(self.choice([self.e_lstr, self.e_iter_str])(scope, d - 1), P_UNARY) + "|sort", LSTR, P_FILTER)),
            ]
        return self.pick(opts)

    def e_iter_int(self, scope: Scope, d: int) -> E:
        return E(self.wrap(self.e_lint(scope, d - 1), P_UNARY) + "|" + self.choice(["reverse", "unique"]), ITER_INT, P_FILTER)

    def e_iter_str(self, scope: Scope, d: int) -> E:
        return E(self.wrap(self.e_lstr(scope, d - 1), P_UNARY) + "|" + self.choice(["reverse", "unique"]), ITER_STR, P_FILTER)

    def e_item(self, scope: Scope, d: int) -> E:
        opts = self.names_e(scope, ITEM)
        if "items" in scope.names:
            opts.append((1, lambda: E(f"items[{self.choice(['0', '-1'])}]", ITEM)))
        opts.append((1, lambda: E('{"name": ' + self.str_lit() + ', "price": ' + self.int_lit() + ', "tags": []}', ITEM)))
        return self.pick(opts)

    def e_litem(self, scope: Scope, d: int) -> E:
        opts = self.names_e(scope, LITEM)
        opts.append((1, lambda: E("[" + ", ".join(self.e_item(scope, 0).code for _ in range(self.draw(_ints(0, 2)))) + "]", LITEM)))
        return self.pick(opts)

    def e_pair(self, scope: Scope, d: int) -> E:
        opts = self.names_e(scope, PAIR)
        opts.append((1, lambda: E("[" + self.str_lit() + ", " + self.int_lit() + "]", PAIR)))
        return self.pick(opts)

    def e_pairs(self, scope: Scope, d: int) -> E:
        opts = self.names_e(scope, PAIRS)
        opts.append((1, lambda: E("[" + ", ".join("(" + self.str_lit() + ", " + self.int_lit() + ")" for _ in range(self.draw(_ints(0, 3)))) + "]", PAIRS)))
        return self.pick(opts)

    def e_matrix(self, scope: Scope, d: int) -> E:
        opts = self.names_e(scope, MATRIX)
        opts.append((1, lambda: E("[" + ", ".join(self.list_lit(INT, scope, 0).code for _ in range(self.draw(_ints(0, 2)))) + "]", MATRIX)))
        return self.pick(opts)

    def e_user(self, scope: Scope, d: int) -> E:
        return E("user", USER) if "user" in scope.names else self.e_dict(scope, d)

    def e_dict(self, scope: Scope, d: int) -> E:
        k = self.draw(_ints(0, 3))
        keys = self.draw(st.lists(st.sampled_from(["'a'", '"b"', "'<k>'", '"name"', "'x y'"]), min_size=k, max_size=k, unique=True))
        vals = [self.pick([(1, lambda: self.int_lit()), (1, lambda: self.str_lit())]) for _ in keys]
        return E("{" + ", ".join(f"{a}: {b}" for a, b in zip(keys, vals)) + "}", DICT)

    def any_printable(self, scope: Scope, d: int) -> E:
        return self.pick([
            (5, lambda: self.e_int(scope, d)),
            (6, lambda: self.e_str(scope, d)),
            (2, lambda: self.e_bool(scope, d)),
            (1, lambda: self.e_float(scope, d)),
            (1, lambda: self.e_lint(scope, d)),
            (1, lambda: self.e_lstr(scope, d)),
            (1, lambda: self.e_dict(scope, d)),
            (1, lambda: self.e_item(scope, d)),
            (1, lambda: self.e_pair(scope, d)),
            (1, lambda: self.subscript_any(scope, d)),
            (1 if d > 0 else 0, lambda: self.cond_no_else(scope, d)),
        ])

    def cond_no_else(self, scope: Scope, d: int) -> E:
        """`a if c`: undefined (prints "") when c is false."""
        a = self.any_printable(scope, d - 1)
        c = self.e_cond(scope, d - 1)
        code = self.wrap(a, P_OR) + " if " + (c.code if c.prec >= P_OR and not c.is_test else "(" + c.code + ")")
        return E(code, STR, P_COND)

    def subscript_any(self, scope: Scope, d: int) -> E:
        """Subscripts that may miss: an undefined result prints as ''."""
        opts = [
            (1, lambda: E(self.wrap(self.e_lint(scope, d - 1), P_ATOM) + f"[{self.choice(['0', '1', '5', '-1', '-9'])}]", INT)),
            (1, lambda: E(self.wrap(self.e_lstr(scope, d - 1), P_ATOM) + f"[{self.choice(['0', '2', '-1'])}]", STR)),
            (1, lambda: E(self.wrap(self.e_dict(scope, d - 1), P_ATOM) + self.choice(["['a']", '["b"]', ".a", ".name", "['nope']"]), STR)),
        ]
        if "matrix" in scope.names:
            opts.append((1, lambda: E(f"matrix[{self.choice(['0', '1', '-1'])}][{self.choice(['0', '2'])}]", INT)))
        if "pairs" in scope.names:
            opts.append((1, lambda: E(f"pairs[{self.choice(['0', '1'])}][{self.choice(['0', '1', '-1'])}]", STR)))
        if "user" in scope.names:
            opts.append((1, lambda: E(self.choice(["user.tags[0]", "user['tags'][-1]", "user.nope", "user.address.zip"]), STR)))
        return self.pick(opts)

    # -- statements ------------------------------------------------------
    def body(self, scope: Scope, depth: int, max_nodes: int = 4, min_nodes: int = 0) -> str:
        k = self.draw(_ints(min_nodes, max_nodes))
        out = []
        for _ in range(k):
            if self.budget <= 0:
                break
            self.budget -= 1
            out.append(self.node(scope, depth))
        return "".join(out)

    def node(self, scope: Scope, depth: int) -> str:
        deep = depth < self.max_depth
        opts = [
            (5, lambda: self.draw(text_st)),
            (7, lambda: self.output(self.any_printable(scope, 3).code)),
            (1, lambda: self.output(self.ref(self.choice(self.probe_names()), scope))),
            (1, lambda: self.comment()),
            (1, lambda: self.raw()),
            (2, lambda: self.set_stmt(scope)),
            (1 if deep else 0, lambda: self.set_block_stmt(scope, depth)),
            (3 if self.written else 0, lambda: self.output(self.ref(self.choice(sorted(set(self.written))), scope))),
            (3 if deep else 0, lambda: self.if_stmt(scope, depth)),
            (3 if deep else 0, lambda: self.for_stmt(scope, depth)),
            (1 if deep and self.P_FOR_ELSE and self.P_SET_IN_ELSE else 0, lambda: self.for_stmt(scope, depth, scope_probe=True)),
            (1 if deep else 0, lambda: self.with_stmt(scope, depth)),
            (1 if self.allow_include else 0, lambda: self.include()),
            (1, lambda: self.tuple_set_stmt(scope)),
            (3 if self.plain_macros() else 0, lambda: self.output(self.macro_call(scope))),
            (3 if deep and self.caller_macros() else 0, lambda: self.call_block(scope, depth)),
        ]
        return self.pick(opts)

    def comment(self) -> str:
        content = self.draw(st.lists(st.sampled_from(TEXT_CHARS + ["{{ x }}", "{% if %}", "{%", "}}", "{#", " "]), max_size=6).map("".join))
        content = content.replace("#}", "# }")
        while "#}" in content:
            content = content.replace("#}", "# }")
        return "{#" + self.ws_open() + content + self.ws_close() + "#}"

    def raw(self) -> str:
        content = self.draw(st.lists(st.sampled_from(TEXT_CHARS + ["{{ x }}", "{% if x %}", "{%", "%}", "{{", "}}", "{#", "#}", "{% endif %}"]), max_size=6).map("".join))
        content = content.replace("endraw", "end raw")
        return self.tag("raw") + content + self.tag("endraw")

    def settable(self, scope: Scope, shadow_p: float, exclude: tuple[str, ...] = ()) -> tuple[str, str] | None:
        """(name, type) a ``set`` may assign here: a set-pool name (fixed type) or, with chance
        ``shadow_p``, a name in scope shadowed with its own type; None if none is free."""
        shadow = [n for n, t in scope.names.items() if t in (INT, STR, LINT, BOOL) and n not in exclude]
        if shadow and self.chance(shadow_p):
            name = self.choice(sorted(shadow))
            t = scope.names[name]
        else:
            name = self.choice(sorted(SET_POOL))
            t = SET_POOL[name]
        frame = scope.frames[-1]
        if name in exclude or (not self.LATE_SET and (frame, name) in self.nested_refs):
            # Jinja2 quirk: a name a frame assigns later is undefined inside an earlier for/with
            # body (or macro) nested in that frame (Jinja2 prints "" or raises where pyview sees
            # the outer value)
            free = sorted(n for n in SET_POOL if (frame, n) not in self.nested_refs and n not in exclude)
            if not free:
                return None
            name = self.choice(free)
            t = SET_POOL[name]
        return name, t

    def set_stmt(self, scope: Scope, shadow_p: float = 0.3) -> str:
        found = self.settable(scope, shadow_p)
        if found is None:
            return ""
        name, t = found
        e = self.expr(t, scope, 2)
        scope.names[name] = t
        self.written.append(name)
        return self.tag(f"set {name} = {e.code}")

    def tuple_set_stmt(self, scope: Scope) -> str:
        """``{% set a, b = x, y %}`` (or ``(a, b) = [x, y]``): several names at once."""
        chosen: list[tuple[str, str]] = []
        for _ in range(self.draw(_ints(2, 3))):
            found = self.settable(scope, 0.3, exclude=tuple(name for name, _ in chosen))
            if found is not None:
                chosen.append(found)
        if not chosen:
            return ""
        values = [self.wrap(self.expr(t, scope, 2), P_COND) for _, t in chosen]
        for name, t in chosen:
            scope.names[name] = t
            self.written.append(name)
        targets = ", ".join(name for name, _ in chosen) + ("," if len(chosen) == 1 else "")
        value = ", ".join(values) + ("," if len(chosen) == 1 else "")
        form = self.choice(["bare", "bare", "paren", "list"])
        if form == "paren":
            targets, value = f"({targets})", f"({value})"
        elif form == "list":
            value = f"[{', '.join(values)}]"
        return self.tag(f"set {targets} = {value}")

    # -- macros ------------------------------------------------------------
    def plain_macros(self) -> list[MacroSpec]:
        """Macros that may be called without a body (their body never calls caller())."""
        return [m for m in self.macros if m.caller_type is None]

    def caller_macros(self) -> list[MacroSpec]:
        return [m for m in self.macros if m.caller_type is not None]

    def macro_args(self, spec: MacroSpec, scope: Scope) -> str:
        """Arguments for a call: positionally, then (after a left-out default) by keyword."""
        parts, keyword = [], False
        for name, t, has_default in spec.params:
            if has_default and self.chance(0.35):
                keyword = True  # left out: the default applies, later ones go by name
                continue
            value = self.expr(t, scope, 1).code
            if keyword or self.chance(0.2):
                keyword = True
                parts.append(f"{name}={value}")
            else:
                parts.append(value)
        return ", ".join(parts)

    def macro_call(self, scope: Scope) -> str:
        spec = self.choice(self.plain_macros())
        return f"{spec.call}({self.macro_args(spec, scope)})"

    def macro_def(self, name: str, scope: Scope, depth: int) -> tuple[str, MacroSpec]:
        """``{% macro name(params) %}…{% endmacro %}`` in the frame of ``scope``.

        The body sees the parameters and the names around the definition (it is a nested frame:
        its reads count for ``LATE_SET``); it may call the macros defined before it, and
        ``caller()`` (once or twice, maybe with a value) when it is meant for ``{% call %}``.
        """
        k = self.draw(_ints(0, 3))
        names = self.draw(st.lists(st.sampled_from(PARAM_POOL), min_size=k, max_size=k, unique=True))
        defaults_from = self.draw(_ints(0, k))
        inner = scope.child(root=False)
        inner.loops = 0
        params, sig = [], []
        for i, pname in enumerate(names):
            t = self.choice(PARAM_TYPES)
            if i >= defaults_from:
                # evaluated at each call, inside the macro: it may read an earlier parameter
                sig.append(f"{pname}={self.wrap(self.expr(t, inner, 1), P_COND)}")
            else:
                sig.append(pname)
            params.append((pname, t, i >= defaults_from))
            inner.names[pname] = t
        spec = MacroSpec(name, params)
        body = [self.body(inner, depth + 1, max_nodes=3)]
        if self.chance(0.4):
            spec.caller_type = self.choice([INT, STR])
            spec.caller_arg = self.chance(0.5)
            for _ in range(self.draw(_ints(1, 2))):
                arg = self.expr(spec.caller_type, inner, 1).code if spec.caller_arg else ""
                body.append(self.output(f"caller({arg})"))
                body.append(self.body(inner, depth + 1, max_nodes=1))
        return self.tag(f"macro {name}({', '.join(sig)})") + "".join(body) + self.tag("endmacro"), spec

    def macro_defs(self, scope: Scope, names: tuple[str, ...], depth: int) -> str:
        out = []
        for name in names[: self.draw(_ints(1, len(names)))]:
            code, spec = self.macro_def(name, scope, depth)
            out.append(code + self.draw(st.sampled_from(["", "\n", " "])))
            self.macros.append(spec)
        return "".join(out)

    def call_block(self, scope: Scope, depth: int) -> str:
        """``{% call(cx) m(args) %}body{% endcall %}``: the body runs in a frame of its own,
        nested here (it sees this scope, and ``cx`` when the macro passes a value)."""
        spec = self.choice(self.caller_macros())
        inner = scope.child(root=False)
        head = "call"
        if spec.caller_arg:
            inner.names[CALLER_PARAM] = spec.caller_type  # type: ignore[assignment]
            head = f"call({CALLER_PARAM})"
        elif self.chance(0.15):
            head = "call()"
        body = self.body(inner, depth + 1, min_nodes=1, max_nodes=3)
        return self.tag(f"{head} {spec.call}({self.macro_args(spec, scope)})") + body + self.tag("endcall")

    def imports(self, library: list[MacroSpec]) -> str:
        """Import lib.html's macros: as a module, by name, or both."""
        out = []
        q = self.choice(['"', "'"])
        if self.chance(0.6):
            alias = self.choice(["ui", "lib"])
            out.append(self.tag(f"import {q}{LIBRARY}{q} as {alias}"))
            self.macros += [MacroSpec(f"{alias}.{m.call}", m.params, m.caller_type, m.caller_arg) for m in library]
        if not out or self.chance(0.5):
            names = []
            for m in library:
                if self.chance(0.7):
                    alias = self.choice([m.call, "f_" + m.call])
                    names.append(m.call if alias == m.call else f"{m.call} as {alias}")
                    self.macros.append(MacroSpec(alias, m.params, m.caller_type, m.caller_arg))
            if names:
                out.append(self.tag(f"from {q}{LIBRARY}{q} import {', '.join(names)}"))
        return "".join(out)

    def set_block_stmt(self, scope: Scope, depth: int) -> str:
        """`{% set name %}...{% endset %}`: the body is a frame of its own (its sets stay in it);
        `name` (a str: the body's markup) is assigned in this frame after the body."""
        body = self.body(scope.child(root=False), depth + 1, max_nodes=3)
        frame = scope.frames[-1]
        candidates = {n for n, t in scope.names.items() if t == STR} | {n for n, t in SET_POOL.items() if t == STR}
        # Jinja2 quirk (see set_stmt): not a name the body (or an earlier nested body) read
        free = sorted(n for n in candidates if self.LATE_SET or (frame, n) not in self.nested_refs)
        if not free:
            return ""
        name = self.choice(free)
        scope.names[name] = STR
        self.written.append(name)
        return self.tag(f"set {name}") + body + self.tag("endset")

    def if_stmt(self, scope: Scope, depth: int) -> str:
        # `{% if %}`/`{% elif %}` parse their test without inline-if (Jinja's parse_tuple(with_condexpr=False))
        out = [self.tag("if " + self.cond_code(scope))]
        out.append(self.body(scope.child(), depth + 1))
        for _ in range(self.draw(_ints(0, 2))):
            out.append(self.tag("elif " + self.cond_code(scope)))
            out.append(self.body(scope.child(), depth + 1))
        if self.chance(0.5):
            out.append(self.tag("else"))
            out.append(self.body(scope.child(), depth + 1))
        out.append(self.tag("endif"))
        return "".join(out)

    def cond_code(self, scope: Scope) -> str:
        c = self.e_cond(scope, 2)
        return "(" + c.code + ")" if c.prec < P_OR else c.code

    def iterable(self, scope: Scope) -> tuple[E, str]:
        t = self.choice([LINT, LSTR, LITEM, PAIRS, MATRIX, ITER_INT, ITER_STR, STR, USER, DICT, LINT, LSTR, PAIRS, LITEM])
        e = self.expr(t, scope, 2)
        return e, t

    def for_stmt(self, scope: Scope, depth: int, scope_probe: bool = False) -> str:
        """A for loop, maybe with an `else`; ``scope_probe``: with an `else` that sets a name
        which is printed after the loop (a check that the `else` scope holds its sets)."""
        has_else = scope_probe or self.chance(self.P_FOR_ELSE)
        if has_else and self.chance(0.4 if scope_probe else 0.25):
            # the `else` runs only when nothing is iterated: sometimes make sure it runs
            e = self.choice([E("[]", LINT), E("()", LINT), E("''", STR), E("{}", DICT)])
            t = e.t
        else:
            e, t = self.iterable(scope)
        body_scope = scope.child(root=False)
        body_scope.loops += 1
        elem = ITERABLE_ELEM[t]
        if elem == PAIR and self.chance(0.6):
            k, v = self.choice(PAIR_POOL)
            target = f"{k}, {v}" if self.chance(0.8) else f"({k}, {v})"
            body_scope.names[k] = STR
            body_scope.names[v] = INT
        else:
            target = self.choice(LOOP_POOL)
            body_scope.names[target] = elem
        out = [self.tag(f"for {target} in " + self.wrap(e, P_OR))]
        out.append(self.body(body_scope, depth + 1, min_nodes=1))
        if has_else:
            # `else`/`empty` is a frame of its own inside the enclosing one (not the loop's):
            # `loop` there is the outer loop, and its sets do not leak out of the `for`
            out.append(self.tag("empty" if self.extras and self.chance(0.5) else "else"))
            else_scope = scope.child(root=False)
            # often a `set` first, preferably of a name the enclosing scope has, read after the `for`
            written = len(self.written)
            first = self.set_stmt(else_scope, shadow_p=0.7) if scope_probe or self.chance(self.P_SET_IN_ELSE) else ""
            out.append(first + self.body(else_scope, depth + 1))
            out.append(self.tag("endfor"))
            if len(self.written) > written and (scope_probe or self.chance(0.7)):
                out.append(self.output(self.ref(self.written[written], scope)))
            return "".join(out)
        out.append(self.tag("endfor"))
        return "".join(out)

    def with_stmt(self, scope: Scope, depth: int) -> str:
        k = self.draw(_ints(1, 3))
        names = self.draw(st.lists(st.sampled_from(WITH_POOL), min_size=k, max_size=k, unique=True))
        inner = scope.child(root=False)
        assigns = []
        for name in names:
            t = self.choice([INT, STR, LINT, LSTR, BOOL])
            e = self.expr(t, scope, 2)  # evaluated in the outer frame
            assigns.append(f"{name}={e.code}" if self.chance(0.5) else f"{name} = {e.code}")
            inner.names[name] = t
        return self.tag("with " + ", ".join(assigns)) + self.body(inner, depth + 1, min_nodes=1) + self.tag("endwith")

    def include(self) -> str:
        name = self.choice(PARTS)
        self.used_parts.add(name)
        q = self.choice(['"', "'"])
        return self.tag(f"include {q}{name}{q}")


def global_scope() -> Scope:
    return Scope(dict(CONTEXT_SCHEMA))


def _ending(draw, src: str) -> str:
    """Trailing newline or not; sometimes CRLF line endings throughout."""
    end = draw(st.sampled_from(["", "", "\n", "\r\n", "\n\n", " "]))
    src = src + end
    if draw(st.integers(0, 9)) == 9:
        src = src.replace("\r\n", "\n").replace("\n", "\r\n")
    return src


@st.composite
def part_sources(draw, extras: bool = False) -> str:
    """An include part: no includes of its own; probes the includer's scope."""
    g = Gen(draw, extras=extras, allow_include=False, max_depth=2)
    g.budget = 8
    src = g.body(global_scope(), 1, max_nodes=3)
    if draw(st.booleans()):
        # the includer's loop variable (Jinja2 passes the includer's locals).  Not `loop`:
        # Jinja2 passes `loop` only when the including loop body itself uses `loop`.
        # (In brackets, not `<{{ x }}>`: that is a tag name, see TEXT_CHARS.)
        src += "[{{ x }}]"
    return _ending(draw, src)


@st.composite
def library_sources(draw, extras: bool = False) -> tuple[str, list[MacroSpec]]:
    """lib.html: text, top-level sets and macros. Imported, it runs without the context, so its
    scope starts empty (a context name read there is undefined, in Jinja2 too)."""
    g = Gen(draw, extras=extras, allow_include=False, max_depth=2)
    g.budget = 10
    scope = Scope({})
    out = [g.draw(text_st)]
    if g.chance(0.5):
        out.append(g.set_stmt(scope))
    out.append(g.macro_defs(scope, LIB_MACRO_NAMES, 1))
    out.append(g.draw(text_st))
    return _ending(draw, "".join(out)), g.macros


@st.composite
def plain_sources(draw, extras: bool = False, library: list[MacroSpec] | None = None) -> tuple[str, set]:
    """A main template; with ``library`` (lib.html's macros) it imports them. ``used`` names the
    other templates it needs."""
    g = Gen(draw, extras=extras)
    scope = global_scope()
    head = ""
    if library is not None or g.chance(g.P_MACROS):
        head = g.macro_defs(scope, MACRO_NAMES, 1)
        if library is not None:
            head += g.imports(library)
            g.used_parts.add(LIBRARY)
    src = head + g.body(scope, 0, max_nodes=6, min_nodes=1)
    return _ending(draw, src), g.used_parts


@st.composite
def extends_sources(draw, extras: bool = False) -> tuple[str, str, set]:
    """(child source, base source, parts used): base with blocks, child overriding some."""
    g = Gen(draw, extras=extras)
    blocks = draw(st.lists(st.sampled_from(BLOCK_NAMES), min_size=1, max_size=3, unique=True))

    def block(name: str, content: str) -> str:
        end = f"endblock {name}" if g.chance(0.2) else "endblock"
        return g.tag(f"block {name}") + content + g.tag(end)

    # base: top-level body pieces with the blocks in between, maybe one inside an if,
    # maybe one nested inside another block
    nested = None
    if len(blocks) >= 2 and g.chance(0.3):
        nested = blocks[-1]
    base = []
    scope = global_scope()
    for name in blocks:
        if name == nested:
            continue
        base.append(g.body(scope, 1, max_nodes=2))
        content = g.body(global_scope(), 1, max_nodes=3)
        if name == blocks[0] and nested is not None:
            content += block(nested, g.body(global_scope(), 2, max_nodes=2))
        wrapper = g.choice(["none"] * 6 + ["if", "if", "with", "for"])
        if wrapper in ("with", "for") and not g.BLOCKS_INSIDE_FOR_WITH:
            wrapper = "none"
        if wrapper in ("with", "for") and g.chance(0.7):
            # a block does not see the locals around it (Jinja2: only `scoped` blocks see loop vars)
            content += g.output("wa" if wrapper == "with" else g.choice(["x", "loop.index if loop is defined"]))
        b = block(name, content)
        if wrapper == "if":
            b = g.tag("if " + g.cond_code(scope)) + b + g.tag("endif")
        elif wrapper == "with":
            b = g.tag("with wa = " + g.e_str(scope, 1).code) + b + g.tag("endwith")
        elif wrapper == "for":
            b = g.tag("for x in " + g.wrap(g.e_lint(scope, 1), P_OR)) + b + g.tag("endfor")
        base.append(b)
    base.append(g.body(scope, 1, max_nodes=2))
    base_src = _ending(draw, "".join(base))

    # child: extends, then overrides of a subset of the blocks, with filler between
    child = []
    if g.chance(g.P_TEXT_BEFORE_EXTENDS):
        child.append(g.draw(st.sampled_from(["\n", "  ", "{# header #}\n"])))
    q = g.choice(['"', "'"])
    child.append(g.tag(f"extends {q}base.html{q}"))
    overrides = draw(st.lists(st.sampled_from(blocks), max_size=len(blocks), unique=True))
    for name in overrides:
        child.append(g.draw(st.sampled_from(["", "\n", "\n\n", "  ", "{# c #}", "ignored text\n"])))
        content = g.body(global_scope(), 1, max_nodes=3)
        if g.chance(0.4):
            pos = g.draw(st.integers(0, 1))
            sup = g.output("super()")
            content = sup + content if pos == 0 else content + sup
        child.append(block(name, content))
    child.append(g.draw(st.sampled_from(["", "\n"])))
    return _ending(draw, "".join(child)), base_src, g.used_parts


@st.composite
def template_cases(
    draw, extras: bool = False, allow_extends: bool = True, none_values: bool | None = None
) -> TemplateCase:
    """A main template, the parts/base it uses, and a context.

    ``none_values`` (default: same as ``extras``) lets context values be None.
    """
    templates: dict[str, str] = {}
    if allow_extends and draw(st.integers(0, 5)) == 5:
        src, base, used = draw(extends_sources(extras))
        templates["base.html"] = base
    else:
        library = None
        if draw(st.integers(0, 5)) == 5:
            templates[LIBRARY], library = draw(library_sources(extras))
        src, used = draw(plain_sources(extras, library))
    for name in sorted(used - {LIBRARY}):
        templates[name] = draw(part_sources(extras))
    ctx = draw(contexts(extras if none_values is None else none_values))
    return TemplateCase(src, templates, ctx, extras)


_DJANGO_ARG = re.compile(r"""\|(\w+):("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\(?-?[\d_]+\)?)""")
_EMPTY_TAG = re.compile(r"\{%(-?)(\s*)empty(\s*)(-?)%\}")


def to_jinja(source: str) -> str:
    """The Jinja2 spelling of the extras this generator writes: `|f:arg` -> `|f(arg)`,
    `{% empty %}` -> `{% else %}`.  (Only valid for generated sources: text and literals
    never contain `|name:` or `{% empty %}`.)"""
    source = _DJANGO_ARG.sub(r"|\1(\2)", source)
    return _EMPTY_TAG.sub(r"{%\1\2else\3\4%}", source)


@st.composite
def if_branch_cases(draw, extras: bool = False) -> tuple[str, dict]:
    """`<p>{% if cond %}<a>...{% else %}<b>...{% endif %}</p>`: two branches whose statics differ.

    Returns (source, context); the caller sets `cond` to True, then False.
    """
    g = Gen(draw, extras=extras, allow_include=False)
    a = "<a>" + g.body(global_scope(), 1, max_nodes=3)
    b = "<b>" + g.body(global_scope(), 1, max_nodes=3)
    src = "<p>" + g.tag("if cond") + a + g.tag("else") + b + g.tag("endif") + "</p>"
    ctx = draw(contexts(extras))
    return src, ctx


# --------------------------------------------------------------------------
# parser fuzz: near-template noise
# --------------------------------------------------------------------------
SOUP_TOKENS = (
    ["{{", "}}", "{%", "%}", "{#", "#}", "{{-", "-}}", "{%-", "-%}", "{#-", "-#}", "{%+", "{", "}", "%", "#"]
    + ["if", "for", "endif", "endfor", "else", "elif", "set", "with", "endwith", "include", "extends",
       "block", "endblock", "raw", "endraw", "in", "not", "and", "or", "is", "empty", "loop", "super",
       "defined", "none", "true", "False", "x", "y", "xs", "k, v", "b1", "user.name", "items[0]",
       "macro", "endmacro", "call", "endcall", "slot", "endslot", "import", "from", "as", "caller", "m(",
       "caller()", "varargs", "kwargs"]
    + ['"\\x"', "'\\u12'", '"\\N{NOPE}"', '"\\q"', "'\\'", '"\\u00e9"', "'\\x4'", '"\\U0011ffff"', "'\\777'"]
    + ['"', "'", '"part1.html"', "'base.html'", '"nope.html"', '"main.html"', '"s"', "'<&>'", "\\", "1", "0", "-2", "3.5", "1e3"]
    + ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "=", "|", ":", ",", ".",
       "(", ")", "[", "]", "|upper", "|join(', ')", "|default:'x'", "|nosuchfilter", "(1,", "**"]
    + [" ", " ", " ", "\n", "\r\n", "\t", "text", "<p>", "&amp;", "é", "\x00", "\u2028"]
)


@st.composite
def token_soup(draw) -> str:
    toks = draw(st.lists(st.sampled_from(SOUP_TOKENS), max_size=25))
    seps = draw(st.lists(st.sampled_from(["", " ", " "]), min_size=len(toks), max_size=len(toks)))
    return "".join(t + s for t, s in zip(toks, seps))


@st.composite
def mutated_sources(draw) -> str:
    """A valid generated template, then damaged: slices deleted, duplicated, or noise inserted."""
    case = draw(template_cases(extras=draw(st.booleans())))
    src = case.source
    for _ in range(draw(st.integers(1, 4))):
        if not src:
            src = draw(token_soup())
            continue
        i = draw(st.integers(0, len(src)))
        j = draw(st.integers(i, min(len(src), i + 12)))
        op = draw(st.sampled_from(["delete", "dup", "insert", "replace"]))
        if op == "delete":
            src = src[:i] + src[j:]
        elif op == "dup":
            src = src[:j] + src[i:j] + src[j:]
        elif op == "insert":
            src = src[:i] + draw(st.sampled_from(SOUP_TOKENS)) + src[i:]
        else:
            src = src[:i] + draw(st.sampled_from(SOUP_TOKENS)) + src[j:]
    return src



# --------------------------------------------------------------------------
# delta debugging: hypothesis shrinks these generated templates poorly, so the
# properties minimise a failing case themselves before reporting it
# --------------------------------------------------------------------------
_TOKENS = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|.", re.S)


def _ddmin(items: list, test, deadline: float) -> list:
    import time

    n = 2
    while len(items) >= 2 and time.monotonic() < deadline:
        chunk = max(1, len(items) // n)
        for i in range(0, len(items), chunk):
            candidate = items[:i] + items[i + chunk:]
            if test(candidate):
                items = candidate
                n = max(n - 1, 2)
                break
        else:
            if chunk == 1:
                break
            n = min(len(items), n * 2)
    if len(items) == 1 and test([]):
        return []
    return items


def minimize_case(case: TemplateCase, still_fails, seconds: float = 20.0) -> TemplateCase:
    """The smallest case (by deleting tags, then characters, then templates and context
    keys) for which ``still_fails(case)`` holds; ``still_fails`` must reject candidates
    that are not valid templates."""
    import time

    deadline = time.monotonic() + seconds
    src, templates, ctx = case.source, dict(case.templates), dict(case.context)

    def ok(s=None, tp=None, c=None) -> bool:
        candidate = TemplateCase(src if s is None else s, templates if tp is None else tp, ctx if c is None else c, case.extras)
        try:
            return bool(still_fails(candidate))
        except Exception:
            return False

    for _ in range(2):
        src = "".join(_ddmin(_TOKENS.findall(src), lambda t: ok(s="".join(t)), deadline))
        src = "".join(_ddmin(list(src), lambda t: ok(s="".join(t)), deadline))
        for name in sorted(templates):
            if ok(tp={k: v for k, v in templates.items() if k != name}):
                templates = {k: v for k, v in templates.items() if k != name}
                continue
            for split in (_TOKENS.findall, list):
                body = "".join(_ddmin(split(templates[name]), lambda t: ok(tp={**templates, name: "".join(t)}), deadline))
                templates = {**templates, name: body}
        for key in sorted(ctx):
            smaller = {k: v for k, v in ctx.items() if k != key}
            if ok(c=smaller):
                ctx = smaller
        if time.monotonic() > deadline:
            break
    return TemplateCase(src, templates, ctx, case.extras)
