"""Templates → one linked tree: what ``extends``, ``block``, ``super()``, ``include`` and ``import`` refer to.

A page is compiled into one Python module, so everything a template refers to by name is
resolved here, once, before any code is generated:

* ``extends`` chains are followed to the root template; each ``{% block %}`` the root places
  becomes a :class:`LinkedBlock` holding the most derived override's body, and ``{{ super() }}``
  inside it the next one up the chain. What a child template runs before its parent (the text
  before ``extends``, its top-level ``set``, ``macro`` and ``import`` statements) is kept as
  :class:`InTemplate` statements at the start of the tree.
* ``{% include "x" %}`` becomes a :class:`LinkedInclude` with x's linked body.
* ``{% import "x" as ui %}`` / ``{% from "x" import m %}`` refer to a :class:`Library`: x's linked
  top-level body, compiled once per page into a function that builds its exports (x's top-level
  macros and ``set`` names), and the signature of each exported macro, so calls through an
  import are checked when compiled.
* A macro's or call block's body is linked like any other; the node records which of the
  special names ``caller``, ``varargs`` and ``kwargs`` the body reads (Jinja2 decides a macro's
  calling convention from that).

Every template loaded is recorded with the hash of its source (``sources``), so a cache knows when
a compiled page is stale. Errors name the template, line and column where the reference is made.
The linked tree is made of :mod:`.nodes` statements plus the ``Linked*`` nodes below; the input
ASTs are never modified (a template included twice is linked twice, from the same AST).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import nodes as n
from .errors import TemplateNotFound, TemplateSyntaxError
from .moduleinfo import source_hash


@dataclass
class LoadedTemplate:
    name: str
    filename: str | None
    ast: n.TemplateAST


# --- what the code generator needs to know about a macro ---------------------------------------------


@dataclass(frozen=True)
class MacroSig:
    """A macro's (or call block's) calling convention, as Jinja2's ``Macro`` applies it."""

    name: str
    params: tuple[str, ...]
    defaults: int  # how many of the last params have a default
    caller: bool  # the body reads ``caller``: the macro takes one (from a {% call %} block)
    varargs: bool  # the body reads ``varargs``: extra positional arguments are collected
    kwargs: bool  # the body reads ``kwargs``: unknown keyword arguments are collected

    def call_error(self, positional: int, keywords: list[str], with_caller: bool) -> str | None:
        """Why a call with these arguments fails (None: it does not), in Jinja2's words where it has some."""
        if positional > len(self.params) and not self.varargs:
            return f"macro {self.name!r} takes not more than {len(self.params)} argument(s)"
        for key in keywords:
            if key in self.params[:positional] and not self.kwargs:
                return f"macro {self.name!r} got argument {key!r} twice (by position and by name)"
            if key not in self.params and not self.kwargs and not (key == "caller" and self.caller):
                return f"macro {self.name!r} takes no keyword argument {key!r}"
        if with_caller and not (self.caller or "caller" in self.params or self.kwargs):
            return f"macro {self.name!r} never calls caller(), so it cannot be used with a {{% call %}} block"
        return None


# --- linked statements ------------------------------------------------------------------------------


@dataclass(slots=True)
class InTemplate(n.Stmt):
    """Statements of another template spliced in (a child's text before ``extends``): marks and
    errors inside name that template."""

    template: LoadedTemplate
    body: list[n.Stmt]


@dataclass(slots=True)
class LinkedInclude(n.Stmt):
    template: LoadedTemplate  # the root of the included template's extends chain
    bindings: list[tuple[str, n.Expr]]
    body: list[n.Stmt]
    lineno: int


@dataclass(slots=True)
class MissingInclude(n.Stmt):
    """``include … ignore missing`` of a template that does not exist: an empty slot."""

    lineno: int


@dataclass(slots=True)
class LinkedBlock(n.Stmt):
    """A block placed in the root template (or ``super()``): the override in force, linked."""

    name: str
    template: LoadedTemplate  # the template that defines this override
    body: list[n.Stmt]
    scoped: bool
    lineno: int


@dataclass(slots=True)
class LinkedMacro(n.Stmt):
    name: str
    params: list[str]
    defaults: list[n.Expr]
    body: list[n.Stmt]
    sig: MacroSig
    lineno: int


@dataclass(slots=True)
class LinkedCall(n.Stmt):
    """``{% call(params) f(args) %}body{% endcall %}``; ``sig`` is the calling convention of its ``caller``."""

    call: n.Call
    params: list[str]
    defaults: list[n.Expr]
    body: list[n.Stmt]
    slots: dict[str, list[n.Stmt]]
    sig: MacroSig
    lineno: int


@dataclass(eq=False)
class Library:
    """An imported template: its linked top-level body and what it exports.

    ``exports`` maps each exported name to the signature of the macro it is, or None for a value
    (a top-level ``set``). ``function`` is the Python name of the function that builds it.
    """

    name: str
    template: LoadedTemplate
    body: list[n.Stmt]
    exports: dict[str, MacroSig | None]
    function: str = ""


@dataclass(slots=True)
class LinkedImport(n.Stmt):
    target: str
    library: Library
    lineno: int


@dataclass(slots=True)
class LinkedFromImport(n.Stmt):
    names: list[tuple[str, str]]  # (exported name, bound name)
    library: Library
    lineno: int


@dataclass
class LinkedTemplate:
    """A whole page, ready for code generation."""

    name: str
    template: LoadedTemplate  # the root of the extends chain: its body is the page's
    body: list[n.Stmt]
    libraries: list[Library]  # every imported template, a library before those importing it
    sources: dict[str, str]  # template name → sha256 of its source


# --- the linker ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """Where a body is being linked: its template, the block overrides in force, the enclosing block."""

    template: LoadedTemplate
    chains: dict[str, list[tuple[n.Block, LoadedTemplate]]]
    block: tuple[str, int] | None = None  # (name, level in its chain) when inside a block


@dataclass
class Linker:
    """Links one page; ``load(name)`` parses a template (raising TemplateNotFound)."""

    load_template: Callable[[str], LoadedTemplate]
    sources: dict[str, str] = field(default_factory=dict)
    _loaded: dict[str, LoadedTemplate] = field(default_factory=dict)
    _libraries: dict[str, Library] = field(default_factory=dict)
    _include_stack: list[str] = field(default_factory=list)
    _import_stack: list[str] = field(default_factory=list)

    def link(self, name: str) -> LinkedTemplate:
        self._include_stack = [name]
        root, body = self._unit(name, 1, 1, None)
        return LinkedTemplate(name, root, body, list(self._libraries.values()), dict(self.sources))

    # --- loading -------------------------------------------------------------------------------------

    def _load(self, name: str, lineno: int, column: int, within: LoadedTemplate | None) -> LoadedTemplate:
        if name not in self._loaded:
            try:
                loaded = self.load_template(name)
            except TemplateNotFound as exc:
                raise error(f"template {name!r} not found", lineno, column, within) from exc
            self._loaded[name] = loaded
            self.sources[name] = source_hash(loaded.ast.source)
            _index_blocks(loaded)
        return self._loaded[name]

    def _resolve_inheritance(self, name: str, lineno: int, column: int, within: LoadedTemplate | None):
        """Follow ``extends`` to the root template; collect block override chains.

        Returns the root template, the chains, and what each child template runs before its
        parent, as Jinja2 does: everything before ``extends`` (output included), then the
        top-level statements after it that bind names (``set``, ``macro``, imports).
        """
        chain: list[LoadedTemplate] = []
        seen: list[str] = []
        current = self._load(name, lineno, column, within)
        while True:
            if current.name in seen:
                cycle = " → ".join(seen + [current.name])
                raise error(f"templates extend each other in a cycle: {cycle}", lineno, column, chain[-1] if chain else current)
            seen.append(current.name)
            chain.append(current)
            ext = current.ast.extends
            if ext is None:
                break
            parent_name = _constant_name(ext.template, ext.lineno, ext.column, "extends", current)
            current = self._load(parent_name, ext.lineno, ext.column, current)
        chains: dict[str, list[tuple[n.Block, LoadedTemplate]]] = {}
        for template in chain:
            for block_name, block in template.ast.blocks.items():
                chains.setdefault(block_name, []).append((block, template))
        preamble: list[tuple[LoadedTemplate, list[n.Stmt]]] = []
        binding = (n.Set, n.SetBlock, n.SetAttr, n.Macro, n.Import, n.FromImport)
        for template in chain[:-1]:
            body = template.ast.body
            at = body.index(template.ast.extends)
            kept = body[:at] + [s for s in body[at:] if isinstance(s, binding)]
            if kept:
                preamble.append((template, kept))
        return chain[-1], chains, preamble

    def _unit(self, name: str, lineno: int, column: int, within: LoadedTemplate | None) -> tuple[LoadedTemplate, list[n.Stmt]]:
        """A template with its extends chain resolved, as one linked body."""
        root, chains, preamble = self._resolve_inheritance(name, lineno, column, within)
        return root, self._unit_body(root, chains, preamble)

    def _unit_body(self, root, chains, preamble) -> list[n.Stmt]:
        body: list[n.Stmt] = []
        for template, stmts in preamble:
            body.append(InTemplate(template, self._body(stmts, _Context(template, chains))))
        return body + self._body(root.ast.body, _Context(root, chains))

    # --- bodies --------------------------------------------------------------------------------------

    def _body(self, body: list[n.Stmt], ctx: _Context) -> list[n.Stmt]:
        """The linked statements; the very list given when nothing in it refers to anything (most
        bodies: linking copies only the path down to what it resolves)."""
        linked = [self._stmt(item, ctx) for item in body if type(item) is not n.Extends]
        if len(linked) == len(body) and all(a is b for a, b in zip(linked, body)):
            return body
        return linked

    def _stmt(self, item: n.Stmt, ctx: _Context) -> n.Stmt:
        kind = type(item)
        if kind in _LEAVES:
            return item
        if kind is n.Output:
            return self._super(ctx, item.lineno) if type(item.expr) is n.SuperCall else item  # type: ignore[attr-defined]
        if kind is n.If:
            return self._if(item, ctx)  # type: ignore[arg-type]
        if isinstance(item, n.Block):
            return self._block(item.name, 0, ctx, item.lineno)
        if isinstance(item, n.Include):
            return self._include(item, ctx)
        if isinstance(item, (n.Import, n.FromImport)):
            return self._import(item, ctx)
        if isinstance(item, n.Macro):
            sig = MacroSig(item.name, tuple(item.params), len(item.defaults), *_specials_read(item.body, item.defaults))
            return LinkedMacro(item.name, item.params, item.defaults, self._body(item.body, ctx), sig, item.lineno)
        if isinstance(item, n.CallBlock):
            bodies = [item.body] + [slot.body for slot in item.slots.values()]
            sig = MacroSig("caller", tuple(item.params), len(item.defaults), *_specials_read(*bodies, item.defaults))
            slots = {name: self._body(slot.body, ctx) for name, slot in item.slots.items()}
            return LinkedCall(item.call, item.params, item.defaults, self._body(item.body, ctx), slots, sig, item.lineno)
        if isinstance(item, n.Slot):
            raise error("'slot' can only be used directly inside a {% call %} block", item.lineno, item.column, ctx.template)
        if isinstance(item, n.For):
            body = self._body(item.body, ctx)
            other = self._body(item.else_body, ctx) if item.else_body is not None else None
            if body is item.body and other is item.else_body:
                return item
            return dataclasses.replace(item, body=body, else_body=other)
        if isinstance(item, (n.With, n.SetBlock)):
            body = self._body(item.body, ctx)
            return item if body is item.body else dataclasses.replace(item, body=body)
        return item

    def _if(self, item: n.If, ctx: _Context) -> n.If:
        branches = [(test, self._body(body, ctx)) for test, body in item.branches]
        other = self._body(item.else_body, ctx) if item.else_body is not None else None
        if other is item.else_body and all(new is old for (_, new), (_, old) in zip(branches, item.branches)):
            return item
        return dataclasses.replace(item, branches=branches, else_body=other)

    def _block(self, name: str, level: int, ctx: _Context, lineno: int) -> LinkedBlock:
        block, template = ctx.chains[name][level]
        # `scoped` where the block is placed counts, as in Jinja2
        scoped = any(b.scoped for b, _ in ctx.chains[name])
        inner = _Context(template, ctx.chains, (name, level))
        return LinkedBlock(name, template, self._body(block.body, inner), scoped, lineno)

    def _super(self, ctx: _Context, lineno: int) -> LinkedBlock:
        if ctx.block is None:
            raise error("super() can only be used inside a block", lineno, 1, ctx.template)
        name, level = ctx.block
        if level + 1 >= len(ctx.chains[name]):
            raise error(f"super(): block {name!r} has no parent block", lineno, 1, ctx.template)
        return self._block(name, level + 1, ctx, lineno)

    def _include(self, item: n.Include, ctx: _Context) -> n.Stmt:
        name = _constant_name(item.template, item.lineno, item.column, "include", ctx.template)
        if name in self._include_stack:
            cycle = " → ".join(self._include_stack[self._include_stack.index(name):] + [name])
            raise error(f"recursive include: {cycle}", item.lineno, item.column, ctx.template)
        try:
            root, chains, preamble = self._resolve_inheritance(name, item.lineno, item.column, ctx.template)
        except TemplateSyntaxError as err:
            if item.ignore_missing and err.message.startswith(f"template {name!r} not found"):
                return MissingInclude(item.lineno)
            raise
        if item.isolated:
            raise error(
                "'include … without context' is not supported: an included template is compiled into the "
                "including one and sees its variables (pass values with 'include … with name=value')",
                item.lineno, item.column, ctx.template,
            )
        self._include_stack.append(name)
        try:
            body = self._unit_body(root, chains, preamble)
        finally:
            self._include_stack.pop()
        return LinkedInclude(root, item.bindings, body, item.lineno)

    def _import(self, item: n.Import | n.FromImport, ctx: _Context) -> n.Stmt:
        tag = "import" if isinstance(item, n.Import) else "from … import"
        name = _constant_name(item.template, item.lineno, item.column, tag, ctx.template)
        if item.with_context:
            raise error(
                f"'{tag} … with context' is not supported: an imported template sees only the globals "
                "(pass values to its macros as arguments)",
                item.lineno, item.column, ctx.template,
            )
        library = self._library(name, item.lineno, item.column, ctx.template)
        if isinstance(item, n.Import):
            return LinkedImport(item.target, library, item.lineno)
        for exported, _alias in item.names:
            if exported not in library.exports:
                offered = ", ".join(sorted(library.exports)) or "nothing"
                raise error(
                    f"template {name!r} does not export {exported!r} (it exports: {offered})",
                    item.lineno, item.column, ctx.template,
                )
        return LinkedFromImport(item.names, library, item.lineno)

    def _library(self, name: str, lineno: int, column: int, within: LoadedTemplate) -> Library:
        if name in self._import_stack:
            cycle = " → ".join(self._import_stack[self._import_stack.index(name):] + [name])
            raise error(f"templates import each other in a cycle: {cycle}", lineno, column, within)
        if name in self._libraries:
            return self._libraries[name]
        saved, self._include_stack = self._include_stack, [name]
        self._import_stack.append(name)
        try:
            root, body = self._unit(name, lineno, column, within)
        finally:
            self._import_stack.pop()
            self._include_stack = saved
        library = Library(name, root, body, _exports(body))
        self._libraries[name] = library
        return library


# Statements that never refer to another template or hold statements.
_LEAVES = frozenset({n.Text, n.Comment, n.Set, n.SetAttr})


# --- helpers ------------------------------------------------------------------------------------------


def error(message: str, lineno: int, column: int, template: LoadedTemplate | None) -> TemplateSyntaxError:
    """A TemplateSyntaxError located in ``template`` (and quoting its line)."""
    err = TemplateSyntaxError(message, lineno, template.name if template else None, template.filename if template else None, column)
    if template is not None:
        err.set_source(template.ast.source)
    return err


def _constant_name(expr: n.Expr, lineno: int, column: int, tag: str, template: LoadedTemplate | None) -> str:
    if isinstance(expr, n.Const) and isinstance(expr.value, str):
        return expr.value
    raise error(
        f"'{tag}' needs a template name as a string literal: templates are resolved when compiled",
        lineno, column, template,
    )


def _index_blocks(loaded: LoadedTemplate) -> None:
    """Find ``extends`` (top level only) and every block, rejecting duplicates."""
    ast = loaded.ast

    def walk(body: list[n.Stmt], top: bool) -> None:
        for item in body:
            if isinstance(item, n.Extends):
                if not top:
                    raise error("'extends' must be at the top level of a template", item.lineno, item.column, loaded)
                if ast.extends is not None:
                    raise error("a template can extend only one parent", item.lineno, item.column, loaded)
                ast.extends = item
            elif isinstance(item, n.Block):
                if item.name in ast.blocks:
                    first = ast.blocks[item.name].lineno
                    raise error(f"block {item.name!r} is defined twice (first on line {first})", item.lineno, item.column, loaded)
                ast.blocks[item.name] = item
                walk(item.body, False)
            else:
                for child in child_bodies(item):
                    walk(child, False)

    walk(ast.body, True)


def child_bodies(item: n.Stmt) -> list[list[n.Stmt]]:
    """The statement lists nested directly in ``item`` (unlinked or linked)."""
    if isinstance(item, n.If):
        return [b for _, b in item.branches] + ([item.else_body] if item.else_body is not None else [])
    if isinstance(item, n.For):
        return [item.body] + ([item.else_body] if item.else_body is not None else [])
    if isinstance(item, (n.With, n.SetBlock, n.Block, n.Macro, n.Slot, InTemplate, LinkedMacro)):
        return [item.body]
    if isinstance(item, n.CallBlock):
        return [item.body] + [slot.body for slot in item.slots.values()]
    if isinstance(item, LinkedCall):
        return [item.body, *item.slots.values()]
    return []


_SPECIALS = ("caller", "varargs", "kwargs")


def _specials_read(*bodies_and_defaults) -> tuple[bool, bool, bool]:
    """Which of ``caller``, ``varargs``, ``kwargs`` a macro body reads before anything binds them
    (Jinja2's rule: the first mention decides). The last argument is the defaults, read first."""
    *bodies, defaults = bodies_and_defaults
    first: dict[str, bool] = {}

    def note(name: str, load: bool) -> None:
        if name in _SPECIALS and name not in first:
            first[name] = load

    for expr in defaults:
        for name in expr_names(expr):
            note(name, True)
    for body in bodies:
        for name, load in _name_events(body):
            note(name, load)
    return tuple(first.get(name, False) for name in _SPECIALS)  # type: ignore[return-value]


def expr_names(expr: n.Node) -> Iterator[str]:
    """Every name an expression reads, in evaluation order (roughly: left to right)."""
    if isinstance(expr, n.Name):
        yield expr.name
        return
    for f in dataclasses.fields(expr):  # type: ignore[arg-type]
        yield from _names_in(getattr(expr, f.name))


def _names_in(value) -> Iterator[str]:
    if isinstance(value, n.Expr):
        yield from expr_names(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _names_in(v)


def _name_events(body: list[n.Stmt]) -> Iterator[tuple[str, bool]]:
    """(name, is a read) for the names a body reads and binds, in source order; blocks are skipped
    (as Jinja2 does) and so are other templates."""
    for item in body:
        if isinstance(item, n.Output):
            yield from ((x, True) for x in expr_names(item.expr))
        elif isinstance(item, n.If):
            for test, branch in item.branches:
                yield from ((x, True) for x in expr_names(test))
                yield from _name_events(branch)
            if item.else_body is not None:
                yield from _name_events(item.else_body)
        elif isinstance(item, n.For):
            yield from ((x, True) for x in expr_names(item.iter))
            yield from ((t, False) for t in item.targets)
            for extra in (item.filter, item.key):
                if extra is not None:
                    yield from ((x, True) for x in expr_names(extra))
            yield from _name_events(item.body)
            if item.else_body is not None:
                yield from _name_events(item.else_body)
        elif isinstance(item, n.Set):
            yield from ((x, True) for x in expr_names(item.expr))
            yield from ((t, False) for t in item.targets)
        elif isinstance(item, n.SetAttr):
            yield (item.target, True)
            yield from ((x, True) for x in expr_names(item.expr))
        elif isinstance(item, n.SetBlock):
            yield from _name_events(item.body)
            yield (item.target, False)
        elif isinstance(item, n.With):
            for name, value in item.bindings:
                yield from ((x, True) for x in expr_names(value))
            yield from ((name, False) for name, _ in item.bindings)
            yield from _name_events(item.body)
        elif isinstance(item, n.Include):
            for _, value in item.bindings:
                yield from ((x, True) for x in expr_names(value))
        elif isinstance(item, n.Macro):
            for value in item.defaults:
                yield from ((x, True) for x in expr_names(value))
            yield from ((p, False) for p in item.params)
            yield from _name_events(item.body)
            yield (item.name, False)
        elif isinstance(item, n.CallBlock):
            yield from ((x, True) for x in expr_names(item.call))
            for value in item.defaults:
                yield from ((x, True) for x in expr_names(value))
            yield from ((p, False) for p in item.params)
            yield from _name_events(item.body)
            for slot in item.slots.values():
                yield from _name_events(slot.body)
        elif isinstance(item, n.Import):
            yield (item.target, False)
        elif isinstance(item, n.FromImport):
            yield from ((alias, False) for _, alias in item.names)


def _exports(body: list[n.Stmt]) -> dict[str, MacroSig | None]:
    """What a template exports when imported: the names its top-level scope binds with ``set`` or
    ``macro`` (inside a top-level ``if`` too), except those starting with an underscore."""
    found: dict[str, MacroSig | None] = {}

    def bind(name: str, value: MacroSig | None) -> None:
        if name.startswith("_"):
            return
        if name in found and found[name] != value:
            value = None  # bound twice, differently: nothing is known about it
        found[name] = value

    def walk(stmts: list[n.Stmt]) -> None:
        for item in stmts:
            if isinstance(item, n.Set):
                for target in item.targets:
                    bind(target, None)
            elif isinstance(item, n.SetBlock):
                bind(item.target, None)
            elif isinstance(item, LinkedMacro):
                bind(item.name, item.sig)
            elif isinstance(item, n.If):
                for branch in child_bodies(item):
                    walk(branch)
            elif isinstance(item, InTemplate):
                walk(item.body)

    walk(body)
    return found
