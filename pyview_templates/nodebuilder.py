"""One tree node's statics and dynamics, collected in document order, then written as Python.

A node's code is either an expression (``Rendered(fp, S3, [d0, d1])``, possible inside a
list comprehension) or statements followed by that expression. Which one is only known once the
whole body has been seen: a ``set`` anywhere in it needs statements. So the builder records
text, dynamics and statements as they come and writes the code in :meth:`NodeBuilder.finish`:

* in statement form, a dynamic that can be written as statements (an ``if``, a loop with an
  ``else``) is, so the generated code reads top-down (``if …: _d4 = …`` / ``elif …:`` / ``else:``);
* a statement (``set``, a macro definition) must run *between* the dynamics around it, so every
  dynamic before it is first computed into a temporary: evaluation order stays the template's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Code:
    """Statements to run, then an expression that builds a node (or a dynamic).

    ``expr`` may span lines (each inner line may end in a ``# line N`` comment) but never ends in
    a comment, so callers can append to it. ``as_statements(var)``, when set, is the same value
    computed by statements into ``var`` (the top-down form, used where statements are allowed).
    """

    stmts: list[str]
    expr: str
    shape: tuple = ()
    mark: str = ""  # the ``  # line N`` comment for this dynamic, if any
    fp: int = 0  # for nodes: fingerprint
    statics: str = ""  # for nodes: the statics constant
    entry: str = ""  # for nodes: the dynamics list alone (a loop body becomes one entry)
    as_statements: Callable[[str], list[str]] | None = None


@dataclass
class Built:
    statics: tuple[str, ...]
    shapes: tuple
    stmts: list[str]
    dynamics: list[str]  # list items ``expr,  # line N``
    statement_form: bool


class NodeBuilder:
    """Collects one node; ``fresh(prefix)`` names temporaries."""

    def __init__(self, fresh: Callable[[str], str]) -> None:
        self._fresh = fresh
        self.parts: list[str] = [""]
        self.shapes: list[tuple] = []
        self._items: list[Code | list[str]] = []

    def text(self, value: str) -> None:
        self.parts[-1] += value

    def quote_back(self, count: int) -> None:
        """Put a ``"`` before the last ``count`` characters of the current static: the start of an
        unquoted attribute value the compiler quotes (a ``"`` inside it becomes a reference)."""
        part = self.parts[-1]
        cut = len(part) - count
        self.parts[-1] = part[:cut] + '"' + part[cut:].replace('"', "&#34;")

    def slot(self, code: Code) -> None:
        self._items.append(code)
        self.shapes.append(code.shape)
        self.parts.append("")

    def statements(self, stmts: list[str]) -> list[str]:
        """Add statements here; the returned list may be extended later (before :meth:`finish`),
        for what a scope must run at its start but is only known at its end."""
        self._items.append(stmts)
        return stmts

    def finish(self, statement_form: bool) -> Built:
        """Write the code; ``statement_form``: statements are allowed here even if none is needed."""
        form = statement_form or any(item.stmts if isinstance(item, Code) else item for item in self._items)
        stmts: list[str] = []
        pending: list[tuple[str, str]] = []  # (dynamic, mark) not yet computed

        def flush() -> None:
            for k, (dyn, mark) in enumerate(pending):
                if not is_simple(dyn):
                    tmp = self._fresh("_d")
                    stmts.append(f"{tmp} = {dyn}{mark}")
                    pending[k] = (tmp, "")

        for item in self._items:
            if not isinstance(item, Code):
                if item:
                    flush()
                    stmts.extend(item)
                continue
            top_down = form and item.as_statements is not None
            if item.stmts or top_down:
                flush()
                stmts.extend(item.stmts)
            if top_down:
                var = self._fresh("_d")
                stmts.extend(item.as_statements(var))  # type: ignore[misc]
                pending.append((var, ""))
            else:
                pending.append((item.expr, item.mark))
        dynamics = [f"{d},{mark}" for d, mark in pending]
        return Built(tuple(self.parts), tuple(self.shapes), stmts, dynamics, form)


def is_simple(expr: str) -> bool:
    """An expression that is safe to evaluate later than written (a variable, a literal)."""
    return expr.isidentifier() or expr == "''"


def indent(text: str, by: str = "    ") -> str:
    if "\n" not in text:
        return by + text if text else text
    return "\n".join(by + line if line else line for line in text.split("\n"))


def unparen(expr: str) -> str:
    """``(a > 1)`` → ``a > 1`` where the outer parentheses enclose the whole expression (and are
    not a tuple's). ``expr`` is generated code: one line, string literals in Python's spelling."""
    if not (expr.startswith("(") and expr.endswith(")")) or "\n" in expr or not expr[1:-1].strip():
        return expr
    depth = 0
    quote = ""
    k, end = 0, len(expr)
    while k < end:
        c = expr[k]
        if quote:
            if c == "\\":
                k += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0 and k != end - 1:
                return expr  # the first group closes before the end: `(a) + (b)`
        elif depth == 1 and c in ",:":
            return expr  # a tuple, or something else the parentheses are part of
        k += 1
    return expr[1:-1]
