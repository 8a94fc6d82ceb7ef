"""The code generator's one model of template scopes: a :class:`Frame` per scope, as in Jinja2's compiler.

Template names are resolved when a template is compiled (lexical scoping). Every scope a
template opens is a frame: the page itself (``template``), an imported template (``module``),
an include, a block, a ``with``, a loop body and a loop's ``else``, a ``{% set %}…{% endset %}``
body, a macro and a call block's body. A frame holds

* the names bound in it and the Python identifier each one compiles to (:class:`Binding`);
* its parent frame (the scope it is nested in lexically);
* the loop it is the body of, if any (what the body asked of ``loop`` decides the loop's code);
* whether its code is emitted as statements (a function body, or a loop whose body needs
  statements) or inside an expression (a loop body compiled to a list comprehension);
* which names are *definitely assigned* at the point being compiled, and what is known about
  their value there (a macro's signature, an imported template), so the generated code needs
  no run-time lookup for a name the template only assigns.

As in Jinja2, a name that a ``set`` (or ``macro``, ``import``) assigns anywhere in a frame, even
inside an ``if``, belongs to that frame from its start and never leaks out of it. Where the
frame may read it before assigning it, it starts with the outer value (for the page's frame:
the context's, then the globals'); a name every path assigns before reading it needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import nodes as n
from .linker import InTemplate, LinkedCall, LinkedFromImport, LinkedImport, LinkedMacro

# Frames that are Python functions: names nobody binds are looked up in their code (the page's
# frame from the context, an imported template's from the globals only).
FUNCTION_ROOTS = ("template", "module")
# Frames whose top level a non-`scoped` block sees: a template's own scope.
TEMPLATE_SCOPES = ("template", "module", "include")


@dataclass(eq=False)
class LoopInfo:
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


@dataclass(eq=False)
class Binding:
    """One name bound in a frame."""

    py: str  # the Python identifier it compiles to
    declared: bool = False  # bound by a statement of the frame (set, macro, import), not on entry
    assignments: int = 0  # how many statements of the frame bind it
    may_call_node: bool = False  # it may hold a macro or an imported template (a call may be a node)
    loop: LoopInfo | None = None  # set for a loop's ``loop`` variable


@dataclass(eq=False)
class Ref:
    """A name as read at one point of the code."""

    py: str
    binding: Binding | None  # None: looked up at run time (context, globals)
    static: Any = None  # what it definitely holds here: a MacroSig, a Library, or None (unknown)


@dataclass(eq=False)
class Frame:
    kind: str  # template, module, include, block, with, for, for-else, loop-filter, set-block, macro, caller
    parent: Frame | None = None
    loop: LoopInfo | None = None
    statement_form: bool = True
    names: dict[str, Binding] = field(default_factory=dict)
    # names definitely assigned at the point being compiled → what is known of their value there
    assigned: dict[str, Any] = field(default_factory=dict)
    # declared names read before they are definitely assigned: they start with the outer value
    outer_reads: list[str] = field(default_factory=list)
    # function roots: names looked up at run time (or, for the page, the outer value of a declared
    # name), in the order first read
    lookups: dict[str, str] = field(default_factory=dict)

    # --- binding -------------------------------------------------------------------------------------

    def bind(self, name: str, py: str, static: Any = None, **flags: Any) -> Binding:
        """A name bound on entry (a parameter, a loop target, a ``with`` name): assigned from the start."""
        binding = self.names[name] = Binding(py, **flags)
        self.assigned[name] = static
        return binding

    def declare_assigned(self, body: list[n.Stmt], fresh) -> None:
        """Declare the names the statements of this frame bind (``fresh(name)`` names their Python local)."""
        for name, (count, node_like) in assigned_names(body).items():
            if name in self.names:
                continue  # a loop target or a `with` name: `set` rebinds that one
            py = f"l_{name}" if self.kind in FUNCTION_ROOTS else fresh(name)
            self.names[name] = Binding(py, declared=True, assignments=count, may_call_node=node_like)

    def assign(self, name: str, static: Any = None) -> str:
        """A statement of this frame binds ``name`` (from here on it is assigned); its Python local."""
        binding = self.names.get(name)
        if binding is None:  # pragma: no cover - declare_assigned saw every binding statement
            raise AssertionError(f"{name!r} assigned in a {self.kind} frame that did not declare it")
        self.assigned[name] = static
        return binding.py

    # --- lookup --------------------------------------------------------------------------------------

    def lookup(self, name: str) -> Ref | None:
        """The binding ``name`` refers to here, or None when no frame binds it.

        Reading a declared name before it is definitely assigned records that its frame must
        start with the outer value. What is known statically of a value does not cross into a
        macro (called later, when the name may have been reassigned) unless the name is bound once.
        """
        frame: Frame | None = self
        in_macro = False
        while frame is not None:
            binding = frame.names.get(name)
            if binding is not None:
                if name in frame.assigned:
                    static = frame.assigned[name]
                    if in_macro and binding.assignments > 1:
                        static = None
                else:
                    static = None
                    if name not in frame.outer_reads:
                        frame.outer_reads.append(name)
                        if frame.kind in FUNCTION_ROOTS:
                            frame.lookups.setdefault(name, binding.py)
                return Ref(binding.py, binding, static)
            in_macro = in_macro or frame.kind == "macro"
            frame = frame.parent
        return None

    def function_root(self) -> Frame:
        frame = self
        while frame.kind not in FUNCTION_ROOTS:
            assert frame.parent is not None
            frame = frame.parent
        return frame

    def template_scope(self) -> Frame:
        """The frame of the template this code belongs to (what a non-``scoped`` block sees)."""
        frame = self
        while frame.kind not in TEMPLATE_SCOPES:
            assert frame.parent is not None
            frame = frame.parent
        return frame


def merge_assigned(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """What is definitely assigned after one of several paths ran: what every path assigned
    (a value is known only if every path agrees on it)."""
    first, *rest = outcomes
    merged = {}
    for name, static in first.items():
        if all(name in other for other in rest):
            merged[name] = static if all(other[name] is static for other in rest) else None
    return merged


def assigned_names(body: list[n.Stmt]) -> dict[str, tuple[int, bool]]:
    """Names the statements of one frame bind → (how many statements, whether one may bind a macro
    or a module). ``if`` branches are the same frame; loop and ``with`` bodies, set blocks,
    macros, call blocks, blocks and includes are frames of their own."""
    found: dict[str, tuple[int, bool]] = {}

    def add(name: str, node_like: bool) -> None:
        count, was = found.get(name, (0, False))
        found[name] = (count + 1, was or node_like)

    def walk(stmts: list[n.Stmt]) -> None:
        for item in stmts:
            if type(item) in _BINDS_NOTHING:
                continue
            if isinstance(item, n.Set):
                for target in item.targets:
                    add(target, False)
            elif isinstance(item, n.SetBlock):
                add(item.target, False)
            elif isinstance(item, LinkedMacro):
                add(item.name, True)
            elif isinstance(item, LinkedImport):
                add(item.target, True)
            elif isinstance(item, LinkedFromImport):
                for _, alias in item.names:
                    add(alias, True)
            elif isinstance(item, n.If):
                for _, branch in item.branches:
                    walk(branch)
                if item.else_body is not None:
                    walk(item.else_body)
            elif isinstance(item, InTemplate):
                walk(item.body)

    walk(body)
    return found


_BINDS_NOTHING = frozenset({n.Text, n.Output, n.For, n.With})


def needs_statements(body: list[n.Stmt]) -> bool:
    """Whether a loop body will be emitted as statements (it binds names or defines functions), so
    that the code inside it can be written top-down from the start."""
    for item in body:
        if isinstance(item, (n.Set, n.SetBlock, n.SetAttr, LinkedMacro, LinkedCall, LinkedImport, LinkedFromImport)):
            return True
        if isinstance(item, n.If) and any(needs_statements(b) for b in [b for _, b in item.branches] + [item.else_body or []]):
            return True
    return False
