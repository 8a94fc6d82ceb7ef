"""Source text → AST (:mod:`pyview_templates.nodes`).

Lark does the lexing and LALR parsing (``grammar.lark``); the transformer
below builds AST nodes while the parser runs, so no intermediate parse tree is
built. Whitespace control (``{%-``, ``-%}``, ...) is applied here, as Jinja2's
lexer does, so the compiler only ever sees final text. Parse failures are
turned into :class:`TemplateSyntaxError` with a message a template author can
act on; :mod:`.diagnose` explains unbalanced tags better than a parser state can.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import nodes as n
from .diagnose import describe_parse_error
from .errors import TemplateSyntaxError
from .moduleinfo import normalize_source

_RAW = re.compile(r"\{%(-?)\s*raw\s*(-?)%\}(.*?)\{%(-?)\s*endraw\s*(-?)%\}", re.S)
_CONSTANTS = {"true": True, "True": True, "false": False, "False": False, "none": None, "None": None}
_STRING_ESCAPES = re.compile(r"\\(.)", re.S)




def _strips(token: str) -> tuple[bool, bool]:
    """(strip before, strip after) requested by one delimiter token's text."""
    return token[2:3] == "-" if token[:1] == "{" else False, token[:1] == "-"


def _unescape_string(literal: str) -> str:
    body = literal[1:-1]
    if "\\" not in body:
        return body
    # Same rule as Jinja2: Python's unicode-escape on the literal body. An unknown escape
    # such as "\9" is kept as written (Python only warns about it); so is ours, silently.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return body.encode("ascii", "backslashreplace").decode("unicode-escape")


def _apply_whitespace_control(items: list) -> list:
    """Strip text next to ``-`` delimiters among siblings.

    Comments stay in the list for now: a comment between a ``-%}`` and some
    text shields that text (Jinja2 strips only the text right after the tag),
    and the tag that frames this body applies its own ``-`` later.
    """
    for i, item in enumerate(items):
        if getattr(item, "strip_before", False) and i > 0 and _strippable(items[i - 1]):
            items[i - 1].value = items[i - 1].value.rstrip()
        if getattr(item, "strip_after", False) and i + 1 < len(items) and _strippable(items[i + 1]):
            items[i + 1].value = items[i + 1].value.lstrip()
    return items


def _finish_body(items: list) -> list:
    """Drop comments and empty text, and merge adjacent text: the body the compiler sees."""
    out: list = []
    for item in items:
        if type(item) is n.Comment:
            continue
        if type(item) is n.Text:
            if not item.value:
                continue
            if out and type(out[-1]) is n.Text:
                out[-1] = n.Text(out[-1].value + item.value)
                continue
        out.append(item)
    return out


def _strippable(item) -> bool:
    return type(item) is n.Text and not item.raw


def _strip_body_start(body: list) -> None:
    if body and _strippable(body[0]):
        body[0].value = body[0].value.lstrip()


def _strip_body_end(body: list) -> None:
    if body and _strippable(body[-1]):
        body[-1].value = body[-1].value.rstrip()


class _ToAST(Transformer):
    """Builds AST nodes during parsing (Lark calls these per reduced rule)."""

    # --- template structure ---------------------------------------------------------------------

    def start(self, c):
        return _finish_body(c[0])

    def body(self, c):
        # The enclosing tag strips the body's ends once it knows its own delimiters.
        return _apply_whitespace_control(list(c))

    def text(self, c):
        return n.Text(str(c[0]))

    def comment(self, c):
        inner = str(c[0])[2:-2]
        return n.Comment(strip_before=inner.startswith("-"), strip_after=inner.endswith("-") and inner != "-")

    def raw(self, c):
        m = _RAW.fullmatch(str(c[0]))
        assert m is not None
        content = m.group(3)
        if m.group(2):
            content = content.lstrip()
        if m.group(4):
            content = content.rstrip()
        return n.Text(content, strip_before=bool(m.group(1)), strip_after=bool(m.group(5)), raw=True)

    def output(self, c):
        start, expr, end = c
        return n.Output(expr, start.line, strip_before=start.endswith("-"), strip_after=end.startswith("-"))

    @staticmethod
    def _close(node, open_tok: Token, end_tok: Token):
        node.strip_before = _strips(open_tok)[0]
        node.strip_after = _strips(end_tok)[1]
        return node

    @staticmethod
    def _frame(body: list, opened_by: Token, closed_by: Token) -> list:
        """Apply the ``-`` of the tag before a body and of the tag after it."""
        if _strips(opened_by)[1]:
            _strip_body_start(body)
        if _strips(closed_by)[0]:
            _strip_body_end(body)
        return _finish_body(body)

    def if_block(self, c):
        tag, test, end, body, *rest = c
        close_tag, close_end = rest[-2], rest[-1]
        clauses = rest[:-2]
        # Each body is framed by the end of its own tag and the start of the next tag.
        bodies_tags: list[tuple[Any, Token, list]] = [(test, end, body)]
        else_body = None
        next_tags: list[Token] = []
        for clause in clauses:
            kind, ctag, ctest, cend, cbody = clause
            next_tags.append(ctag)
            if kind == "elif":
                bodies_tags.append((ctest, cend, cbody))
            else:
                else_body = (cend, cbody)
        next_tags.append(close_tag)
        branches = []
        for (btest, bend, bbody), nxt in zip(bodies_tags, next_tags):
            branches.append((btest, self._frame(bbody, bend, nxt)))
        if else_body is not None:
            else_body = self._frame(else_body[1], else_body[0], close_tag)
        return self._close(n.If(branches, else_body, tag.line), tag, close_end)

    def elif_clause(self, c):
        tag, test, end, body = c
        return ("elif", tag, test, end, body)

    def else_clause(self, c):
        tag, end, body = c
        return ("else", tag, None, end, body)

    def for_block(self, c):
        tag, (targets, unpack), iterable, *rest = c
        filt = key = None
        i = 0
        while isinstance(rest[i], tuple) and rest[i][0] in ("filter", "key"):
            if rest[i][0] == "filter":
                filt = rest[i][1]
            else:
                key = rest[i][1]
            i += 1
        end, body = rest[i], rest[i + 1]
        rest = rest[i + 2 :]
        close_tag, close_end = rest[-2], rest[-1]
        else_body = None
        if len(rest) == 3:
            else_tag, else_end, ebody = rest[0]
            body = self._frame(body, end, else_tag)
            else_body = self._frame(ebody, else_end, close_tag)
        else:
            body = self._frame(body, end, close_tag)
        node = n.For(targets, unpack, iterable, body, else_body, filt, key, tag.line)
        return self._close(node, tag, close_end)

    def for_filter(self, c):
        return ("filter", c[0])

    def for_key(self, c):
        return ("key", c[0])

    def for_else(self, c):
        return tuple(c)

    def targets(self, c):
        names = [str(t) for t in c if isinstance(t, Token)]
        trailing = any(x == "," for x in c if not isinstance(x, Token))
        return names, len(names) > 1 or trailing

    def trailing_comma(self, c):
        return ","

    def set_stmt(self, c):
        tag, (targets, unpack), expr, end = c
        return self._close(n.Set(targets, unpack, expr, tag.line), tag, end)

    def set_attr(self, c):
        tag, obj, attr, expr, end = c
        return self._close(n.SetAttr(str(obj), str(attr), expr, tag.line), tag, end)

    def set_block(self, c):
        tag, name, end, body, close_tag, close_end = c
        node = n.SetBlock(str(name), self._frame(body, end, close_tag), tag.line)
        return self._close(node, tag, close_end)

    def with_block(self, c):
        tag = c[0]
        bindings = c[1] if len(c) == 6 else []
        end, body, close_tag, close_end = c[-4:]
        node = n.With(bindings, self._frame(body, end, close_tag), tag.line)
        return self._close(node, tag, close_end)

    def bindings(self, c):
        return list(c)

    def binding(self, c):
        return (str(c[0]), c[1])

    def include_stmt(self, c):
        tag, template, *mods, end = c
        ignore = any(m == "ignore_missing" for m in mods)
        bindings: list = []
        isolated = False
        for m in mods:
            if isinstance(m, tuple) and m[0] == "with":
                bindings = m[1]
            isolated = isolated or m == ("isolated",)
        node = n.Include(template, bindings, ignore, tag.line, tag.column, isolated)
        return self._close(node, tag, end)

    def ignore_missing(self, c):
        return "ignore_missing"

    def include_with(self, c):
        return ("with", c[0])

    def include_plain(self, c):
        return ("plain",)

    def include_isolated(self, c):
        return ("isolated",)

    def extends_stmt(self, c):
        tag, template, end = c
        return self._close(n.Extends(template, tag.line, tag.column), tag, end)

    def block_block(self, c):
        tag, name = c[0], c[1]
        scoped = any(x == "scoped" for x in c[2:] if isinstance(x, str) and not isinstance(x, Token))
        rest = [x for x in c[2:] if not (isinstance(x, str) and not isinstance(x, Token) and x in ("scoped", "required"))]
        end, body, close_tag = rest[0], rest[1], rest[2]
        close_name = rest[3] if len(rest) == 5 else None
        close_end = rest[-1]
        if close_name is not None and str(close_name) != str(name):
            raise TemplateSyntaxError(
                f"'endblock {close_name}' closes the block {str(name)!r}: names must match",
                close_name.line,
                column=close_name.column,
            )
        node = n.Block(str(name), self._frame(body, end, close_tag), tag.line, tag.column, scoped)
        return self._close(node, tag, close_end)

    def block_scoped(self, c):
        return "scoped"

    # --- macros -------------------------------------------------------------------------------------

    def params(self, c):
        """(names, defaults) of a macro or call block signature, checked as Jinja2 checks them."""
        names: list[str] = []
        defaults: list = []
        for name_tok, default in c:
            name = str(name_tok)
            if name in names:
                raise TemplateSyntaxError(f"parameter {name!r} is listed twice", name_tok.line, column=name_tok.column)
            if default is None and defaults:
                raise TemplateSyntaxError(
                    f"parameter {name!r} without a default follows one with a default", name_tok.line, column=name_tok.column
                )
            if name == "caller" and default is None:
                raise TemplateSyntaxError(
                    "the special 'caller' parameter must be left out or be given a default", name_tok.line, column=name_tok.column
                )
            names.append(name)
            if default is not None:
                defaults.append(default)
        return names, defaults

    def param(self, c):
        return (c[0], None)

    def param_default(self, c):
        return (c[0], c[1])

    def macro_block(self, c):
        tag, name, sig, end, body, close_tag = c[:6]
        close_name, close_end = (c[6], c[7]) if len(c) == 8 else (None, c[6])
        if close_name is not None and str(close_name) != str(name):
            raise TemplateSyntaxError(
                f"'endmacro {close_name}' closes the macro {str(name)!r}: names must match",
                close_name.line,
                column=close_name.column,
            )
        names, defaults = sig if sig is not None else ([], [])
        node = n.Macro(str(name), names, defaults, self._frame(body, end, close_tag), tag.line, tag.column)
        return self._close(node, tag, close_end)

    def _call_block(self, tag, sig, call, end, body, close_tag, close_end):
        if not isinstance(call, n.Call):
            raise TemplateSyntaxError("'call' needs a macro call, as in {% call name(args) %}", tag.line, column=tag.column)
        names, defaults = sig if sig is not None else ([], [])
        rest: list = []
        slots: dict[str, n.Slot] = {}
        for item in self._frame(body, end, close_tag):
            if type(item) is n.Slot:
                if item.name in slots:
                    raise TemplateSyntaxError(
                        f"slot {item.name!r} is filled twice (first on line {slots[item.name].lineno})",
                        item.lineno,
                        column=item.column,
                    )
                slots[item.name] = item
            else:
                rest.append(item)
        node = n.CallBlock(call, names, defaults, _finish_body(rest), slots, tag.line, tag.column)
        return self._close(node, tag, close_end)

    def call_block(self, c):
        tag, call, end, body, close_tag, close_end = c
        return self._call_block(tag, None, call, end, body, close_tag, close_end)

    def call_block_args(self, c):
        tag, sig, call, end, body, close_tag, close_end = c
        return self._call_block(tag, sig, call, end, body, close_tag, close_end)

    def slot_block(self, c):
        tag, name, end, body, close_tag = c[:5]
        close_name, close_end = (c[5], c[6]) if len(c) == 7 else (None, c[5])
        if close_name is not None and str(close_name) != str(name):
            raise TemplateSyntaxError(
                f"'endslot {close_name}' closes the slot {str(name)!r}: names must match",
                close_name.line,
                column=close_name.column,
            )
        node = n.Slot(str(name), self._frame(body, end, close_tag), tag.line, tag.column)
        return self._close(node, tag, close_end)

    def import_stmt(self, c):
        tag, template, target, *mods, end = c
        node = n.Import(template, str(target), tag.line, tag.column, with_context="with" in mods)
        return self._close(node, tag, end)

    def from_stmt(self, c):
        tag, template, names, *mods, end = c
        for exported, _alias, tok in names:
            if exported.startswith("_"):
                raise TemplateSyntaxError(
                    f"{exported!r} cannot be imported: names starting with an underscore are private to their template",
                    tok.line,
                    column=tok.column,
                )
        pairs = [(exported, alias) for exported, alias, _tok in names]
        node = n.FromImport(template, pairs, tag.line, tag.column, with_context="with" in mods)
        return self._close(node, tag, end)

    def import_names(self, c):
        return list(c)

    def import_name(self, c):
        return (str(c[0]), str(c[0]), c[0])

    def import_alias(self, c):
        return (str(c[0]), str(c[1]), c[0])

    def import_with_context(self, c):
        return "with"

    def import_without_context(self, c):
        return "without"

    def block_required(self, c):
        return "required"

    # --- expressions -----------------------------------------------------------------------------

    def name(self, c):
        tok = c[0]
        value = str(tok)
        if value in _CONSTANTS:
            return n.Const(_CONSTANTS[value])
        return n.Name(value, tok.line, tok.column)

    def number(self, c):
        text = str(c[0]).replace("_", "")
        if "." in text or "e" in text or "E" in text:
            return n.Const(float(text))
        return n.Const(int(text))

    def string(self, c):
        parts = []
        for tok in c:
            try:
                parts.append(_unescape_string(str(tok)))
            except UnicodeDecodeError as exc:
                raise TemplateSyntaxError(f"bad escape in string literal: {exc.reason}", tok.line, column=tok.column) from None
        return n.Const("".join(parts))

    def tuple_lit(self, c):
        return n.TupleLit(list(c))

    def list_lit(self, c):
        return n.ListLit(list(c))

    def dict_lit(self, c):
        return n.DictLit(list(c))

    def pair(self, c):
        return (c[0], c[1])

    def getattr(self, c):
        return n.Getattr(c[0], str(c[1]))

    def getattr_int(self, c):
        return n.Getitem(c[0], n.Const(int(c[1])))

    def getitem(self, c):
        return n.Getitem(c[0], c[1])

    def slice(self, c):
        parts = list(c) + [None] * (3 - len(c))
        return n.Slice(*parts[:3])

    def arglist(self, c):
        return list(c)

    def kwarg(self, c):
        return ("kw", str(c[0]), c[1])

    @staticmethod
    def _split_args(args) -> tuple[list, list]:
        positional, keywords = [], []
        for a in args or ():
            if isinstance(a, tuple) and a and a[0] == "kw":
                keywords.append((a[1], a[2]))
            elif keywords:
                raise TemplateSyntaxError("a positional argument follows a keyword argument")
            else:
                positional.append(a)
        return positional, keywords

    def call(self, c):
        func, args = c
        if isinstance(func, n.Name) and func.name == "super" and not args:
            return n.SuperCall(func.lineno)
        positional, keywords = self._split_args(args)
        head = func
        while isinstance(head, (n.Getattr, n.Getitem)):
            head = head.obj
        lineno, column = (head.lineno, head.column) if isinstance(head, n.Name) else (0, 0)
        return n.Call(func, positional, keywords, lineno, column)

    def filter_plain(self, c):
        value, name = c
        return n.Filter(value, str(name), [], [], name.line, name.column)

    def filter_call(self, c):
        value, name, args = c
        positional, keywords = self._split_args(args)
        return n.Filter(value, str(name), positional, keywords, name.line, name.column)

    def filter_colon(self, c):
        value, name, arg = c
        return n.Filter(value, str(name), [arg], [], name.line, name.column)

    def _test(self, value, name, args, negated):
        positional, keywords = self._split_args(args)
        if keywords:
            raise TemplateSyntaxError(f"test {str(name)!r} takes no keyword arguments", name.line, column=name.column)
        return n.Test(value, str(name), positional, negated, name.line, name.column)

    def test_plain(self, c):
        return self._test(c[0], c[1], [], False)

    def test_call(self, c):
        return self._test(c[0], c[1], c[2], False)

    def test_bare(self, c):
        return self._test(c[0], c[1], [c[2]], False)

    def ntest_plain(self, c):
        return self._test(c[0], c[1], [], True)

    def ntest_call(self, c):
        return self._test(c[0], c[1], c[2], True)

    def ntest_bare(self, c):
        return self._test(c[0], c[1], [c[2]], True)

    def neg(self, c):
        return n.UnaryOp("-", c[0])

    def pos(self, c):
        return n.UnaryOp("+", c[0])

    def binop(self, c):
        return n.BinOp(str(c[1]), c[0], c[2])

    def concat(self, c):
        left, right = c
        if isinstance(left, n.Concat):
            return n.Concat(left.items + [right])
        return n.Concat([left, right])

    def compare(self, c):
        left, rest = c[0], c[1:]
        return n.Compare(left, [(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)])

    def comp_op(self, c):
        return str(c[0])

    def op_in(self, c):
        return "in"

    def op_not_in(self, c):
        return "not in"

    def not_(self, c):
        return n.Not(c[0])

    def and_(self, c):
        return n.And(c[0], c[1])

    def or_(self, c):
        return n.Or(c[0], c[1])

    def cond_expr(self, c):
        return n.CondExpr(c[1], c[0], c[2] if len(c) == 3 else None)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_ToAST(), maybe_placeholders=True)


def parse(source: str, name: str | None = None, filename: str | None = None) -> n.TemplateAST:
    """Parse template source into a :class:`nodes.TemplateAST`.

    Raises :class:`TemplateSyntaxError` naming the template, line and column.
    """
    text = normalize_source(source)
    try:
        body = _lark().parse(text)
    except TemplateSyntaxError as err:
        _locate(err, name, filename, text)
        raise
    except VisitError as err:  # an error raised inside a transformer callback
        inner = err.orig_exc
        if isinstance(inner, TemplateSyntaxError):
            _locate(inner, name, filename, text)
            raise inner from None
        raise
    except UnexpectedInput as err:
        message, line, column = describe_parse_error(text, err)
        raise TemplateSyntaxError(message, line, name, filename, column, text) from None
    except RecursionError:
        raise TemplateSyntaxError("the template nests too deeply to parse", 1, name, filename, 1, text) from None
    return n.TemplateAST(list(body), name=name, source=text)


def _locate(err: TemplateSyntaxError, name, filename, text) -> None:
    err.name = err.name or name
    err.filename = err.filename or filename
    if err.source_line is None:
        err.set_source(text)


__all__ = ["parse", "normalize_source", "UnexpectedCharacters", "UnexpectedEOF", "UnexpectedToken"]
