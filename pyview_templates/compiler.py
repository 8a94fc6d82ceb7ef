"""AST → readable Python source that builds the template's Rendered tree.

The generated module looks like this (``pyview compile --show NAME`` prints it)::

    S0 = ('<ul>', '</ul>')
    S1 = ('<li>', '</li>')

    def bind(env):
        G = env.globals
        f_upper = env.filters['upper']

        def render(ctx):
            l_users = resolve(ctx, 'users', G)
            return Rendered(7301…, S0, [
                Comprehension(5512…, S1, [[
                    to_html(f_upper(attr_html(l_user, 'name'))),  # line 1
                ] for l1_user in iter_(l_users)]),
            ])

        return render

Design points:

* **Nodes.** The template body, each ``if`` branch, each loop body, each
  ``include`` and each ``block`` is its own node with compile-time statics (a
  module constant, so every render shares the same tuple) and a fingerprint.
* **Names are resolved at compile time** (lexical scoping, like Jinja2's
  symbol tracking): a name bound by ``for``/``set``/``with`` becomes a Python
  local with a unique name per scope; every other name is looked up in the
  context once, at the top of ``render``.
* **Expressions stay expressions** where they can: loop bodies become list
  comprehensions and ``if`` nodes conditional expressions. A ``set`` (or
  anything else that needs a statement) switches the enclosing code to
  statement form, keeping evaluation order.
* ``extends``/``block`` and ``include`` are resolved here, at compile time,
  into one tree; the module records the hash of every source it was built from
  so caches know when it is stale.
* Every generated line that evaluates template code ends with ``# line N``;
  :func:`template_line` maps a traceback line back to the template.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from . import nodes as n
from ._native import to_html
from .errors import TemplateNotFound, TemplateSyntaxError
from .moduleinfo import COMPILER_VERSION, source_hash
from .parser import parse


_LOOP_ATTRS = {"index", "index0", "revindex", "revindex0", "first", "last", "length"}
_INLINE_TESTS = {
    "defined": "(not isinstance({0}, Undefined))",
    "undefined": "isinstance({0}, Undefined)",
    "none": "({0} is None)",
    "even": "({0} % 2 == 0)",
    "odd": "({0} % 2 == 1)",
}


def fingerprint(*parts: Any) -> int:
    """A stable 63-bit fingerprint (the same in every process, unlike ``hash``)."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1



# --- loading (the compiler's view of a loader) ---------------------------------------------------


@dataclass
class LoadedTemplate:
    name: str
    filename: str | None
    ast: n.TemplateAST


@dataclass
class _Scope:
    """One lexical scope: template names → Python local names."""

    parent: "_Scope | None"
    names: dict[str, str] = field(default_factory=dict)
    loop: "_Loop | None" = None  # set when this scope is a loop body

    def lookup(self, name: str) -> "tuple[str, _Scope] | None":
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name], scope
            scope = scope.parent
        return None


@dataclass
class _Loop:
    """What a loop body asked of its ``loop`` variable; decides the generated loop's shape."""

    ident: int
    uses_index: bool = False
    uses_length: bool = False
    uses_object: bool = False

    @property
    def i(self) -> str:
        return f"_i{self.ident}"

    @property
    def seq(self) -> str:
        return f"_s{self.ident}"

    @property
    def n(self) -> str:
        return f"_n{self.ident}"


@dataclass
class _BlockContext:
    """The block overrides in force while compiling one template's tree (per include)."""

    chains: dict[str, list[tuple[n.Block, LoadedTemplate]]]


@dataclass
class _Code:
    """Statements to run, then an expression that builds a node (or a dynamic).

    ``expr`` may span lines (each inner line may end in a ``# line N`` comment)
    but never ends in a comment, so callers can append to it; ``lineno`` is the
    template line the caller should mark it with.
    """

    stmts: list[str]
    expr: str
    shape: tuple = ()
    mark: str = ""  # the ``  # line N`` comment for this dynamic, if any
    fp: int = 0  # for nodes: fingerprint
    statics: str = ""  # for nodes: the statics constant
    entry: str = ""  # for nodes: the dynamics list alone (a loop body becomes one entry)


class CodeGenerator:
    """Compiles one template (and everything it includes or extends) to a Python module."""

    def __init__(
        self,
        load: Callable[[str], LoadedTemplate],
        filters: dict[str, Any],
        tests: dict[str, Any],
    ) -> None:
        self._load_raw = load
        self._loaded: dict[str, LoadedTemplate] = {}
        self.filters = filters
        self.tests = tests
        self.sources: dict[str, str] = {}  # template name → sha256 of its source
        self.statics: dict[tuple[str, ...], str] = {}
        self.used_filters: dict[str, str] = {}
        self.used_tests: dict[str, str] = {}
        self.root_names: dict[str, str] = {}  # names read from the context at the top of render
        self._counter = 0
        self._include_stack: list[str] = []
        self._blocks: list[_BlockContext] = []
        self._current: LoadedTemplate | None = None
        self._root_name: str | None = None
        self._template_scopes: list[_Scope] = []  # the top-level scope of each template being compiled
        self._super_stack: list[tuple[str, int]] = []  # (block name, chain level) being compiled

    # --- loading ---------------------------------------------------------------------------------

    def load(self, name: str, lineno: int = 1, column: int = 1) -> LoadedTemplate:
        if name not in self._loaded:
            try:
                loaded = self._load_raw(name)
            except TemplateNotFound as exc:
                raise self.error(f"template {name!r} not found", lineno, column) from exc
            self._loaded[name] = loaded
            self.sources[name] = source_hash(loaded.ast.source)
            self._index_blocks(loaded)
        return self._loaded[name]

    def _index_blocks(self, loaded: LoadedTemplate) -> None:
        """Find ``extends`` (top level only) and every block, rejecting duplicates."""
        ast = loaded.ast

        def walk(body: list[n.Stmt], top: bool) -> None:
            for item in body:
                if isinstance(item, n.Extends):
                    if not top:
                        raise self.error("'extends' must be at the top level of a template", item.lineno, item.column, loaded)
                    if ast.extends is not None:
                        raise self.error("a template can extend only one parent", item.lineno, item.column, loaded)
                    ast.extends = item
                elif isinstance(item, n.Block):
                    if item.name in ast.blocks:
                        first = ast.blocks[item.name].lineno
                        raise self.error(
                            f"block {item.name!r} is defined twice (first on line {first})", item.lineno, item.column, loaded
                        )
                    ast.blocks[item.name] = item
                    walk(item.body, False)
                else:
                    for child in _child_bodies(item):
                        walk(child, False)

        walk(ast.body, True)

    def error(self, message: str, lineno: int, column: int = 1, template: LoadedTemplate | None = None) -> TemplateSyntaxError:
        t = template or self._current
        err = TemplateSyntaxError(message, lineno, t.name if t else None, t.filename if t else None, column)
        if t is not None:
            err.set_source(t.ast.source)
        return err

    # --- entry point ------------------------------------------------------------------------------

    def compile_module(self, name: str) -> str:
        """The complete Python module for template ``name``."""
        self._root_name = name
        root_template, chain_ctx, preamble = self._resolve_inheritance(name, 1, 1)
        scope = _Scope(None)
        self._blocks.append(chain_ctx)
        self._include_stack.append(name)
        self._template_scopes.append(scope)
        prev, self._current = self._current, root_template
        try:
            code = self.node(preamble + root_template.ast.body, scope)
        finally:
            self._current = prev
            self._template_scopes.pop()
            self._include_stack.pop()
            self._blocks.pop()
        return self._module(name, code.stmts, code.expr)

    def _resolve_inheritance(self, name: str, lineno: int, column: int):
        """Follow ``extends`` to the root template; collect block override chains.

        Returns the root template, the block context, and the top-level ``set``
        statements of the child templates (Jinja2 runs those before the parent).
        """
        chain: list[LoadedTemplate] = []
        seen: list[str] = []
        current = self.load(name, lineno, column)
        while True:
            if current.name in seen:
                cycle = " → ".join(seen + [current.name])
                raise self.error(f"templates extend each other in a cycle: {cycle}", lineno, column, chain[-1] if chain else current)
            seen.append(current.name)
            chain.append(current)
            ext = current.ast.extends
            if ext is None:
                break
            parent_name = self._constant_name(ext.template, ext.lineno, ext.column, "extends", current)
            prev, self._current = self._current, current
            try:
                current = self.load(parent_name, ext.lineno, ext.column)
            finally:
                self._current = prev
        chains: dict[str, list[tuple[n.Block, LoadedTemplate]]] = {}
        for template in chain:
            for block_name, block in template.ast.blocks.items():
                chains.setdefault(block_name, []).append((block, template))
        # What Jinja2 runs of a child template before its parent: everything before
        # `extends` (output included), then the top-level assignments after it.
        preamble: list[n.Stmt] = []
        for template in chain[:-1]:
            body = template.ast.body
            at = body.index(template.ast.extends)
            kept = body[:at] + [s for s in body[at:] if isinstance(s, (n.Set, n.SetBlock, n.SetAttr))]
            if kept:
                preamble.append(_InTemplate(template, kept))
        return chain[-1], _BlockContext(chains), preamble

    def _constant_name(self, expr: n.Expr, lineno: int, column: int, tag: str, template=None) -> str:
        if isinstance(expr, n.Const) and isinstance(expr.value, str):
            return expr.value
        raise self.error(
            f"'{tag}' needs a template name as a string literal: templates are resolved when compiled",
            lineno, column, template,
        )

    # --- module assembly --------------------------------------------------------------------------

    def _module(self, name: str, stmts: list[str], expr: str) -> str:
        out = [
            "# Generated by pyview_templates from the template below; do not edit.",
            f"# template: {name!r}",
            "from pyview_templates.runtime import (",
            "    BUILTIN_TESTS, Comprehension, LoopContext, Markup, Rendered, Undefined,",
            "    attr_html, concat_, cycle_, getattr_, getitem_, iter_, join, loop_key, resolve, setattr_ns,",
            "    stream_iter_, stream_ops_, to_html,",
            ")",
            "",
            f"NAME = {name!r}",
            f"COMPILER_VERSION = {COMPILER_VERSION}",
            "SOURCES = {",
            *[f"    {k!r}: {v!r}," for k, v in sorted(self.sources.items())],
            "}",
            "",
        ]
        for statics, const in self.statics.items():
            out.append(f"{const} = {statics!r}")
        out += ["", "", "def bind(env):", '    """This template\'s render function, using env\'s filters and globals."""']
        out.append("    G = env.globals")
        for fname, pyname in sorted(self.used_filters.items(), key=lambda kv: kv[1]):
            out.append(f"    {pyname} = env.filter_function({fname!r})")
        for tname, pyname in sorted(self.used_tests.items(), key=lambda kv: kv[1]):
            out.append(f"    {pyname} = env.tests[{tname!r}]")
        out += ["", "    def render(ctx):"]
        body = [f"{py} = resolve(ctx, {tname!r}, G)" for tname, py in self.root_names.items()]
        body += stmts
        body.append(f"return {expr}")
        for line in body:
            for sub in line.split("\n"):
                out.append("        " + sub if sub else "")
        out += ["", "    return render", ""]
        return "\n".join(out)

    def static_const(self, statics: tuple[str, ...]) -> str:
        const = self.statics.get(statics)
        if const is None:
            const = self.statics[statics] = f"S{len(self.statics)}"
        return const

    def _mark(self, lineno: int) -> str:
        """The ``# line N`` comment that maps generated code back to the template (named if not the root)."""
        current = self._current
        if current is None or current.name == self._root_name:
            return f"  # line {lineno}"
        return f"  # line {lineno} of {current.name!r}"

    def fresh(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    # --- nodes ------------------------------------------------------------------------------------

    def node(self, body: list[n.Stmt], scope: _Scope, kind: str = "node") -> _Code:
        """Code building one Rendered node from a statement list."""
        acc = _NodeAccumulator(self)
        self._emit(body, scope, acc)
        statics, shapes, stmts, dynamics = acc.finish()
        fp = fingerprint(kind, statics, shapes)
        const = self.static_const(statics)
        entry = "[]" if not dynamics else "[\n" + "\n".join(_indent(d) for d in dynamics) + "\n]"
        return _Code(stmts, f"Rendered({fp}, {const}, {entry})", ("node", fp), "", fp, const, entry)

    def _emit(self, body: list[n.Stmt], scope: _Scope, acc: "_NodeAccumulator") -> None:
        for item in body:
            if isinstance(item, n.Text):
                acc.text(item.value)
            elif isinstance(item, n.Output):
                self._output(item, scope, acc)
            elif isinstance(item, n.If):
                acc.slot(self._if(item, scope))
            elif isinstance(item, n.For):
                acc.slot(self._for(item, scope))
            elif isinstance(item, (n.Set, n.SetBlock, n.SetAttr)):
                acc.statements(self._statement(item, scope))
            elif isinstance(item, n.With):
                inner = _Scope(scope)
                stmts = self._bind(item.bindings, scope, inner, item.lineno)
                inner, init = self._enter_scope(scope, item.body, inner)
                acc.statements(stmts + init)
                self._emit(item.body, inner, acc)
            elif isinstance(item, _InTemplate):
                prev, self._current = self._current, item.template
                try:
                    self._emit(item.body, scope, acc)
                finally:
                    self._current = prev
            elif isinstance(item, n.Include):
                acc.slot(self._include(item, scope))
            elif isinstance(item, n.Block):
                acc.slot(self._block(item.name, 0, scope, item.lineno))
            elif isinstance(item, n.Extends):
                continue  # resolved before compiling (only the root template's body is compiled)
            else:  # pragma: no cover - the parser produces nothing else
                raise TypeError(f"unexpected node {item!r}")

    def _output(self, item: n.Output, scope: _Scope, acc: "_NodeAccumulator") -> None:
        expr = item.expr
        if isinstance(expr, n.SuperCall):
            acc.slot(self._super(scope, item.lineno))
            return
        if isinstance(expr, n.Const) and (expr.value is None or isinstance(expr.value, (str, int, float))):
            acc.text(to_html(expr.value))  # constant output folds into the statics
            return
        if isinstance(expr, n.Getattr) and not self._is_loop_attr(expr, scope):
            code = f"attr_html({self.expr(expr.obj, scope, item.lineno)}, {expr.attr!r})"
        else:
            code = f"to_html({self.expr(expr, scope, item.lineno)})"
        acc.slot(_Code([], code, ("e",), self._mark(item.lineno)))

    def _if(self, item: n.If, scope: _Scope) -> _Code:
        branches = [(self.expr(test, scope, item.lineno), self.node(body, scope, "if")) for test, body in item.branches]
        other = self.node(item.else_body, scope, "if") if item.else_body is not None else None
        shape = ("if",) + tuple(code.fp for _, code in branches) + ((other.fp,) if other else ())
        if all(not code.stmts for _, code in branches) and (other is None or not other.stmts):
            parts = [f"{code.expr}\nif {test} else{self._mark(item.lineno)}" for test, code in branches]
            tail = other.expr if other is not None else "''"
            return _Code([], "(\n" + _indent("\n".join(parts) + "\n" + tail) + "\n)", shape)
        # Statement form: only the taken branch's statements run.
        var = self.fresh("_if")
        lines = []
        for k, (test, code) in enumerate(branches):
            lines.append(f"{'if' if k == 0 else 'elif'} {test}:{self._mark(item.lineno)}")
            lines += [_indent(s) for s in code.stmts]
            lines.append(_indent(f"{var} = {code.expr}"))
        lines.append("else:")
        if other is not None:
            lines += [_indent(s) for s in other.stmts]
            lines.append(_indent(f"{var} = {other.expr}"))
        else:
            lines.append(_indent(f"{var} = ''"))
        return _Code(lines, var, shape)

    def _for(self, item: n.For, scope: _Scope) -> _Code:
        lineno = item.lineno
        iterable = self.expr(item.iter, scope, lineno)
        loop = _Loop(self._counter + 1)
        self._counter += 1
        inner = _Scope(scope, loop=loop)
        targets = [inner.names.setdefault(t, f"l{loop.ident}_{t}") for t in item.targets]
        inner.names["loop"] = f"l{loop.ident}_loop"
        target = ", ".join(targets) + ("," if item.unpack and len(targets) == 1 else "")
        if item.unpack:
            target = f"({target})"
        pre: list[str] = []
        seq_expr = f"iter_({iterable})"
        if item.filter is not None:
            # Filtering happens before loop.index & co are counted, as in Jinja2.
            cond = self.expr(item.filter, _Scope(scope, names={t: p for t, p in zip(item.targets, targets)}), lineno)
            pre.append(f"{loop.seq} = [_v for _v in iter_({iterable}) for {target} in (_v,) if {cond}]{self._mark(lineno)}")
            seq_expr = loop.seq
        inner, init = self._enter_scope(scope, item.body, inner)
        body = self.node(item.body, inner, "for")
        body.stmts[:0] = init
        key = self.expr(item.key, inner, lineno) if item.key is not None else None
        other = None
        if item.else_body is not None:
            # As in Jinja2, `else` (`empty`) runs in a scope of its own, opened in the enclosing
            # scope (so `loop` there is an outer loop's): its `set`s never leak out of the `for`.
            else_scope, else_init = self._enter_scope(scope, item.else_body)
            other = self.node(item.else_body, else_scope, "if")
            other.stmts[:0] = else_init
        statics, fp, entry = body.statics, fingerprint("for", body.fp), body.entry
        shape = ("for", fp, other.fp if other else None)
        stream_ops = ""
        if len(targets) == 2 and item.filter is None and other is None:
            # `for dom_id, item in x`: x may be a live stream, whose rows carry its operations.
            rows = self.fresh("_rows")
            pre.append(f"{rows} = stream_iter_({iterable}){self._mark(lineno)}")
            seq_expr, stream_ops = rows, f", stream=stream_ops_({rows})"
        needs_seq = loop.uses_length or loop.uses_object
        if needs_seq and item.filter is None:
            pre.append(f"{loop.seq} = list({seq_expr}){self._mark(lineno)}")
            seq_expr = loop.seq
        if needs_seq:
            pre.append(f"{loop.n} = len({loop.seq})")
        over = f"enumerate({seq_expr})" if (loop.uses_index or loop.uses_object) else seq_expr
        head = f"{loop.i}, {target}" if (loop.uses_index or loop.uses_object) else target
        obj_stmt = [f"l{loop.ident}_loop = LoopContext({loop.seq}, {loop.i})"] if loop.uses_object else []
        keyed = key is not None
        entries = self.fresh("_e")
        if not body.stmts and not obj_stmt and not keyed and (other is None or not other.stmts):
            comp = f"[{entry}\nfor {head} in {over}{self._mark(lineno)}\n]"
            if other is None:
                return _Code(pre, f"Comprehension({fp}, {statics}, {comp}{stream_ops})", shape)
            return _Code(pre, f"(Comprehension({fp}, {statics}, {entries})\nif ({entries} := {comp})\nelse {other.expr})", shape)
        lines = list(pre)
        lines.append(f"{entries} = []")
        if keyed:
            lines.append(f"{entries}_keys = []")
        lines.append(f"for {head} in {over}:{self._mark(lineno)}")
        lines += [_indent(s) for s in obj_stmt + body.stmts]
        if keyed:
            lines.append(_indent(f"{entries}_keys.append(loop_key({key})){self._mark(lineno)}"))
        lines.append(_indent(f"{entries}.append({entry})"))
        keys_arg = f", {entries}_keys" if keyed else ""
        result = f"Comprehension({fp}, {statics}, {entries}{keys_arg}{stream_ops})"
        if other is not None:
            if other.stmts:
                lines += [f"if not {entries}:"] + [_indent(s) for s in other.stmts]
            result = f"({result} if {entries} else {other.expr})"
        return _Code(lines, result, shape)

    def _statement(self, item: n.Stmt, scope: _Scope) -> list[str]:
        if isinstance(item, n.Set):
            value = self.expr(item.expr, scope, item.lineno)
            targets = [self._assign_name(t, scope) for t in item.targets]
            lhs = ", ".join(targets) + ("," if item.unpack and len(targets) == 1 else "")
            return [f"{lhs} = {value}{self._mark(item.lineno)}"]
        if isinstance(item, n.SetAttr):
            obj = self.name(item.target, scope)
            value = self.expr(item.expr, scope, item.lineno)
            return [f"setattr_ns({obj}, {item.attr!r}, {value}){self._mark(item.lineno)}"]
        assert isinstance(item, n.SetBlock)
        # The body of `{% set x %}…{% endset %}` is a scope of its own too (Jinja2: frame.inner()).
        inner, init = self._enter_scope(scope, item.body)
        code = self.node(item.body, inner, "set")
        target = self._assign_name(item.target, scope)
        return init + code.stmts + [f"{target} = Markup(join({code.expr})){self._mark(item.lineno)}"]

    def _enter_scope(self, parent: _Scope, body: list[n.Stmt], scope: _Scope | None = None) -> tuple[_Scope, list[str]]:
        """A new scope for ``body``, and the statements that initialise the names it assigns.

        As in Jinja2, a name that a ``set`` in this scope assigns (anywhere, even
        inside an ``if``) is this scope's own from the start of the scope: it
        begins with the outer value, and assignments never leak out.
        """
        scope = scope or _Scope(parent)
        init = []
        for name in _assigned_names(body):
            if name not in scope.names:
                outer = self.name(name, parent)
                py = scope.names[name] = self.fresh(f"l_{name}_")
                init.append(f"{py} = {outer}")
        return scope, init

    def _bind(self, bindings: list[tuple[str, n.Expr]], outer: _Scope, inner: _Scope, lineno: int) -> list[str]:
        """``with a=…`` / ``include … with a=…``: values evaluated in the outer scope, bound in the inner."""
        stmts = []
        for bname, bexpr in bindings:
            value = self.expr(bexpr, outer, lineno)
            py = inner.names[bname] = self.fresh(f"l_{bname}_")
            stmts.append(f"{py} = {value}{self._mark(lineno)}")
        return stmts

    def _assign_name(self, name: str, scope: _Scope) -> str:
        """The Python local a ``set`` in this scope writes (it never leaks out of its scope).

        Every scope but the template's top level is opened by :meth:`_enter_scope`, which
        declares (and initialises, at the start of the scope) each name a ``set`` in it
        assigns; a name declared here instead would be bound only where the ``set`` runs.
        """
        if name in scope.names:
            return scope.names[name]
        if scope.parent is None:
            return self.root_name(name)
        raise AssertionError(f"'set {name}' in a scope that did not declare it")  # pragma: no cover

    def _include(self, item: n.Include, scope: _Scope) -> _Code:
        name = self._constant_name(item.template, item.lineno, item.column, "include")
        if name in self._include_stack:
            cycle = " → ".join(self._include_stack[self._include_stack.index(name):] + [name])
            raise self.error(f"recursive include: {cycle}", item.lineno, item.column)
        try:
            root, ctx, preamble = self._resolve_inheritance(name, item.lineno, item.column)
        except TemplateSyntaxError as err:
            if item.ignore_missing and err.message.startswith(f"template {name!r} not found"):
                return _Code([], "''", ("e",))
            raise
        if item.isolated:
            raise self.error(
                "'include … without context' is not supported: an included template is compiled into the "
                "including one and sees its variables (pass values with 'include … with name=value')",
                item.lineno, item.column,
            )
        inner = _Scope(scope)
        stmts = self._bind(item.bindings, scope, inner, item.lineno)
        prev, self._current = self._current, root
        self._include_stack.append(name)
        self._blocks.append(ctx)
        body = preamble + root.ast.body
        inner, init = self._enter_scope(scope, body, inner)
        self._template_scopes.append(inner)
        try:
            self._current = root
            code = self.node(body, inner, "include")
        finally:
            self._template_scopes.pop()
            self._blocks.pop()
            self._include_stack.pop()
            self._current = prev
        stmts += init
        return _Code(stmts + code.stmts, code.expr, code.shape, "", code.fp, code.statics, code.entry)

    def _block(self, name: str, level: int, scope: _Scope, lineno: int) -> _Code:
        ctx = self._blocks[-1]
        block, template = ctx.chains[name][level]
        prev, self._current = self._current, template
        self._super_stack.append((name, level))
        # Like Jinja2, a block sees the template's top-level names but not the loop or
        # with variables around it, unless it is declared `scoped`.
        scoped = any(b.scoped for b, _ in ctx.chains[name])  # `scoped` where the block is placed counts
        outer = scope if scoped else self._template_scopes[-1]
        try:
            inner, init = self._enter_scope(outer, block.body)
            code = self.node(block.body, inner, "block")
            code.stmts[:0] = init
        finally:
            self._super_stack.pop()
            self._current = prev
        return code

    def _super(self, scope: _Scope, lineno: int) -> _Code:
        if not self._super_stack:
            raise self.error("super() can only be used inside a block", lineno)
        name, level = self._super_stack[-1]
        if level + 1 >= len(self._blocks[-1].chains[name]):
            raise self.error(f"super(): block {name!r} has no parent block", lineno)
        return self._block(name, level + 1, scope, lineno)

    # --- expressions ------------------------------------------------------------------------------

    def root_name(self, name: str) -> str:
        py = self.root_names.get(name)
        if py is None:
            py = self.root_names[name] = f"l_{name}"
        return py

    def name(self, name: str, scope: _Scope) -> str:
        found = scope.lookup(name)
        if found is None:
            return self.root_name(name)
        py, owner = found
        if name == "loop" and owner.loop is not None:
            owner.loop.uses_object = True
        return py

    def _is_loop_attr(self, expr: n.Expr, scope: _Scope) -> bool:
        if isinstance(expr, n.Getattr) and isinstance(expr.obj, n.Name) and expr.obj.name == "loop":
            found = scope.lookup("loop")
            return found is not None and found[1].loop is not None and expr.attr in _LOOP_ATTRS | {"cycle"}
        return False

    def _loop_attr(self, expr: n.Getattr, scope: _Scope) -> str:
        _, owner = scope.lookup("loop")  # type: ignore[misc]
        loop = owner.loop
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

    def expr(self, e: n.Expr, scope: _Scope, lineno: int) -> str:
        """Python source for expression ``e``."""
        t = type(e)
        if t is n.Name:
            return self.name(e.name, scope)
        if t is n.Const:
            return repr(e.value)
        if t is n.Getattr:
            if self._is_loop_attr(e, scope) and e.attr != "cycle":
                return self._loop_attr(e, scope)
            return f"getattr_({self.expr(e.obj, scope, lineno)}, {e.attr!r})"
        if t is n.Getitem:
            return f"getitem_({self.expr(e.obj, scope, lineno)}, {self.expr(e.key, scope, lineno)})"
        if t is n.Slice:
            parts = [self.expr(p, scope, lineno) if p is not None else "None" for p in (e.start, e.stop, e.step)]
            return f"slice({', '.join(parts)})"
        if t is n.Call:
            if isinstance(e.func, n.Getattr) and e.func.attr == "cycle" and self._is_loop_attr(e.func, scope):
                _, owner = scope.lookup("loop")  # type: ignore[misc]
                owner.loop.uses_index = True
                values = "".join(self.expr(a, scope, lineno) + ", " for a in e.args)
                return f"cycle_(({values}), {owner.loop.i})"
            func = self.expr(e.func, scope, lineno)
            return f"{func}({self._args(e.args, e.kwargs, scope, lineno)})"
        if t is n.Filter:
            if e.name not in self.filters:
                raise self.error(f"unknown filter {e.name!r}", e.lineno or lineno, e.column or 1)
            py = self.used_filters.setdefault(e.name, f"f_{_ident(e.name)}_{len(self.used_filters)}")
            args = self._args([e.value, *e.args], e.kwargs, scope, lineno)
            return f"{py}({args})"
        if t is n.Test:
            value = self.expr(e.value, scope, lineno)
            # `x is None` inline only where Python cannot fold the operand to a literal
            # (it rejects or warns about `1 is None`, `(-1 + 2) is None`).
            foldable = not isinstance(e.value, (n.Name, n.Getattr, n.Getitem, n.Call, n.Filter))
            if e.name in _INLINE_TESTS and not e.args and not foldable:
                code = _INLINE_TESTS[e.name].format(value)
            elif e.name in self.tests:
                py = self.used_tests.setdefault(e.name, f"t_{_ident(e.name)}_{len(self.used_tests)}")
                code = f"{py}({self._args([e.value, *e.args], [], scope, lineno)})"
            else:
                raise self.error(f"unknown test {e.name!r}", e.lineno or lineno, e.column or 1)
            return f"(not {code})" if e.negated else code
        if t is n.BinOp:
            return f"({self.expr(e.left, scope, lineno)} {e.op} {self.expr(e.right, scope, lineno)})"
        if t is n.UnaryOp:
            return f"({e.op}{self.expr(e.operand, scope, lineno)})"
        if t is n.Concat:
            return f"concat_(({''.join(self.expr(i, scope, lineno) + ', ' for i in e.items)}))"
        if t is n.Compare:
            parts = [self.expr(e.left, scope, lineno)]
            for op, right in e.ops:
                parts += [op, self.expr(right, scope, lineno)]
            return f"({' '.join(parts)})"
        if t is n.And:
            return f"({self.expr(e.left, scope, lineno)} and {self.expr(e.right, scope, lineno)})"
        if t is n.Or:
            return f"({self.expr(e.left, scope, lineno)} or {self.expr(e.right, scope, lineno)})"
        if t is n.Not:
            return f"(not {self.expr(e.operand, scope, lineno)})"
        if t is n.CondExpr:
            other = self.expr(e.otherwise, scope, lineno) if e.otherwise is not None else "Undefined()"
            return f"({self.expr(e.then, scope, lineno)} if {self.expr(e.test, scope, lineno)} else {other})"
        if t is n.ListLit:
            return f"[{', '.join(self.expr(i, scope, lineno) for i in e.items)}]"
        if t is n.TupleLit:
            return f"({''.join(self.expr(i, scope, lineno) + ', ' for i in e.items)})"
        if t is n.DictLit:
            pairs = ", ".join(f"{self.expr(k, scope, lineno)}: {self.expr(v, scope, lineno)}" for k, v in e.pairs)
            return f"{{{pairs}}}"
        if t is n.SuperCall:
            raise self.error("super() must be output on its own, as {{ super() }}", e.lineno or lineno)
        raise TypeError(f"unexpected expression {e!r}")  # pragma: no cover

    def _args(self, args: list[n.Expr], kwargs: list[tuple[str, n.Expr]], scope: _Scope, lineno: int) -> str:
        parts = [self.expr(a, scope, lineno) for a in args]
        parts += [f"{k}={self.expr(v, scope, lineno)}" for k, v in kwargs]
        return ", ".join(parts)


class _NodeAccumulator:
    """Collects one node's statics and dynamics in document order.

    Statements (``set``, a statement-form loop) must run *between* the dynamics
    around them, so before adding one, every dynamic computed so far is moved
    into a temporary.
    """

    def __init__(self, gen: CodeGenerator) -> None:
        self.gen = gen
        self.parts: list[str] = [""]
        self.shapes: list[tuple] = []
        self.stmts: list[str] = []
        self.dynamics: list[str] = []

    def text(self, value: str) -> None:
        self.parts[-1] += value

    def _flush(self) -> None:
        for k, (dyn, mark) in enumerate(self.dynamics):
            if not _is_simple(dyn):
                tmp = self.gen.fresh("_d")
                self.stmts.append(f"{tmp} = {dyn}{mark}")
                self.dynamics[k] = (tmp, "")

    def statements(self, stmts: list[str]) -> None:
        if stmts:
            self._flush()
            self.stmts += stmts

    def slot(self, code: _Code) -> None:
        if code.stmts:
            self._flush()
            self.stmts += code.stmts
        mark = code.mark
        self.dynamics.append((code.expr, mark))
        self.shapes.append(code.shape)
        self.parts.append("")

    def finish(self) -> tuple[tuple[str, ...], tuple, list[str], list[str]]:
        """(statics, slot shapes, statements, dynamics as list items ``expr,  # line N``)."""
        return tuple(self.parts), tuple(self.shapes), self.stmts, [f"{d},{mark}" for d, mark in self.dynamics]


# --- small helpers -------------------------------------------------------------------------------


@dataclass
class _InTemplate:
    """Statements of another template spliced into this one (a child's text before ``extends``)."""

    template: LoadedTemplate
    body: list[n.Stmt]


def _assigned_names(body: list) -> list[str]:
    """Names assigned by ``set`` in this scope: in ``if`` branches too; not in the scopes nested in
    it (a ``for`` body or its ``else``, a ``with`` body, a ``{% set %}…{% endset %}`` body, a block)."""
    names: list[str] = []
    for item in body:
        if isinstance(item, n.Set):
            names += [t for t in item.targets if t not in names]
        elif isinstance(item, n.SetBlock):
            if item.target not in names:
                names.append(item.target)
        elif isinstance(item, n.If):
            for branch in [b for _, b in item.branches] + ([item.else_body] if item.else_body else []):
                names += [t for t in _assigned_names(branch) if t not in names]
        elif isinstance(item, _InTemplate):
            names += [t for t in _assigned_names(item.body) if t not in names]
    return names


def _child_bodies(item: n.Stmt) -> list[list[n.Stmt]]:
    if isinstance(item, n.If):
        return [b for _, b in item.branches] + ([item.else_body] if item.else_body else [])
    if isinstance(item, n.For):
        return [item.body] + ([item.else_body] if item.else_body else [])
    if isinstance(item, (n.With, n.SetBlock, n.Block)):
        return [item.body]
    return []


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in text.split("\n"))


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _is_simple(expr: str) -> bool:
    return expr.isidentifier() or expr == "''"






def compile_template(
    name: str,
    load: Callable[[str], LoadedTemplate],
    filters: dict[str, Any],
    tests: dict[str, Any],
) -> tuple[str, dict[str, str]]:
    """Compile template ``name`` to Python source; also return the sources it depends on."""
    gen = CodeGenerator(load, filters, tests)
    try:
        source = gen.compile_module(name)
    except RecursionError:
        raise _too_deep(name) from None
    return source, dict(gen.sources)


def _too_deep(name: str) -> TemplateSyntaxError:
    return TemplateSyntaxError(f"template {name!r} nests tags or expressions too deeply to compile", 1, name)


def python_code(source: str, name: str, filename: str):
    """Compile generated Python; Python's own nesting limits become a TemplateSyntaxError."""
    try:
        return compile(source, filename, "exec")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise _too_deep(name) from exc


def parse_loaded(name: str, source: str, filename: str | None) -> LoadedTemplate:
    return LoadedTemplate(name, filename, parse(source, name=name, filename=filename))
