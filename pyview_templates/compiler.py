"""Templates → readable Python source that builds the template's Rendered tree.

The generated module looks like this (``pyview compile --show NAME`` prints it)::

    S0 = ('<li>', '</li>')
    S1 = ('<ul>', '</ul>')

    def bind(env):
        G = env.globals
        f_upper_0 = env.filter_function('upper')

        def render(ctx):
            l_users = resolve(ctx, 'users', G)
            return Rendered(7301…, S1, [
                Comprehension(5512…, S0, [[
                    to_html(f_upper_0(getattr_(l1_user, 'name'))),  # line 1
                ] for l1_user in iter_(l_users)]),
            ])

        return render

Compiling is two passes, each in its own module:

* **Linking** (:mod:`.linker`) loads every template the page refers to and resolves
  ``extends``/``block``/``super()``, ``include`` and ``import``/``from … import`` into one tree;
  it records the hash of every source, so caches know when the module is stale, and reports a
  bad reference with the template, line and column where it is made.
* **Code generation** (:mod:`.codegen`, expressions in :mod:`.expressions`) walks that tree with
  one scope model, :class:`.frames.Frame` (the names a scope binds and their Python locals, its
  parent, its loop, statement or expression form, what is definitely assigned where).

Design points:

* **Nodes.** The template body, each ``if`` branch, each loop body, each ``include``, each
  ``block``, each macro call and each ``{% call %}`` body is its own node with compile-time
  statics (a module constant, so every render shares the same tuple) and a fingerprint.
* **Root flags.** Whether a node's statics render exactly one element (the diff's ``"r": 1``)
  is decided here, once per node (:mod:`.roots`); the module lists them in ``ROOTS`` and
  registers them when bound, so the diff core only looks them up while serving.
* **Names are resolved at compile time** (lexical scoping, like Jinja2's symbol tracking): a
  name bound by ``for``/``set``/``with``/``macro``/``import`` becomes a Python local; every other
  name is looked up in the context once, at the top of ``render``. A name the template always
  assigns before reading it is never looked up.
* **Expressions stay expressions** where they must: loop bodies become list comprehensions and
  ``if`` nodes inside them conditional expressions. Where statements are allowed anyway (the top
  of a template, a macro, a loop body with a ``set``), ``if/elif/else`` and ``for … else`` are
  written as statements that read top-down; evaluation order is always the template's.
* Every generated line that evaluates template code ends with ``# line N`` (``# line N of
  'other.html'`` for code from another template); :func:`template_line` maps a traceback line
  back to the template.

**Macros** are Jinja2's: ``{% macro name(a, b=1) %}…{% endmacro %}`` (defaults evaluated at each
call; ``varargs``/``kwargs``/``caller`` in the body as in Jinja2), called as ``{{ name(x) }}`` or
with a body, ``{% call(item) name(x) %}…{{ item }}…{% endcall %}``, whose ``caller(…)`` renders
it (in the scope around the call). ``{% import "forms.html" as ui %}`` and ``{% from "forms.html"
import button, card as c %}`` bind another template's top-level macros and ``set`` names; that
template runs without the importer's context (only the globals), as Jinja2's default. A macro
sees its parameters and the names around its definition, never its caller's locals.

A macro printed on its own (``{{ ui.button(x) }}``, a ``{% call %}``) is **a node of the tree**:
the macro's statics are compiled once, every call of it shares them and its fingerprint, and a
change inside one call sends only that call's dynamics. Used inside an expression
(``{% set b = button(x) %}``, ``{{ button(x)|upper }}``) a macro gives its HTML, as in Jinja2.
Calls of a macro the compiler knows (defined or imported in the template) are checked against its
parameters when compiled: too many arguments or an unknown keyword is a TemplateSyntaxError
naming the template and line, where Jinja2 raises a TypeError when the call runs.

**Named slots** (not in Jinja2): inside a ``{% call %}`` block, ``{% slot header %}…{% endslot %}``
fills the slot ``header``; the macro renders it with ``caller("header")`` and the rest of the
block with ``caller()``::

    {% macro card() %}<div class="card"><h2>{{ caller("header") }}</h2>{{ caller() }}</div>{% endmacro %}

    {% call card() %}
      {% slot header %}Orders{% endslot %}
      <p>{{ orders|length }} open</p>
    {% endcall %}

A slot is a node of its own and runs in the scope around the call, like the body. A slot the
block did not fill renders nothing (``"header" in caller.slots`` tells whether it did); for a
block with parameters (``{% call(row) %}``) a string that names none of its slots goes to the
body as its argument, as in Jinja2. ``{% slot %}`` may only appear directly inside ``{% call %}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .codegen import CodeGenerator, fingerprint
from .errors import TemplateSyntaxError
from .linker import Linker, LoadedTemplate
from .moduleinfo import template_line
from .parser import parse

__all__ = ["LoadedTemplate", "compile_template", "fingerprint", "parse_loaded", "python_code", "template_line"]


def compile_template(
    name: str,
    load: Callable[[str], LoadedTemplate],
    filters: dict[str, Any],
    tests: dict[str, Any],
) -> tuple[str, dict[str, str]]:
    """Compile template ``name`` to Python source; also return the sources it depends on."""
    linker = Linker(load)
    try:
        linked = linker.link(name)
        source = CodeGenerator(linked, filters, tests).module()
    except RecursionError:
        raise _too_deep(name) from None
    return source, dict(linked.sources)


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
