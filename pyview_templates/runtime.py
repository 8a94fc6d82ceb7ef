"""What compiled templates call at render time.

Generated modules import only this module (plus markupsafe), never the parser or
lark, so loading a precompiled template stays cheap. The hottest helpers —
escaping, value-to-HTML and attribute lookup — live in the Cython extension
and are re-exported from here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup
from markupsafe import escape as markup_escape

from .contextescape import (
    attrs_html, comment_html, json_attr_, rawtext_html, strict_html, tag_html, unquoted_html, url_html,
)
from .roots import register as register_roots
from .tree import ComponentRef, Comprehension, Rendered, join
from .undefined import Undefined, UndefinedError

try:
    from ._native import attr_html, escape, getattr_, getitem_, resolve, to_html
except ImportError as exc:  # pragma: no cover - tree.py raises the friendly message first
    raise ImportError(str(exc)) from exc

__all__ = [
    "Comprehension", "LoopContext", "Markup", "Rendered", "Undefined", "UndefinedError",
    "attr_html", "concat_", "escape", "getattr_", "getitem_", "iter_", "join", "resolve", "stream_iter_", "stream_ops_",
    "to_html", "BUILTIN_TESTS", "DEFAULT_GLOBALS", "cycle_", "setattr_ns", "loop_key",
    "MISSING", "Caller", "Macro", "TemplateModule", "call_", "caller_body", "macro", "register_roots",
    "attrs_html", "call_checked_", "comment_html", "json_attr_", "rawtext_html", "strict_html", "tag_html",
    "unquoted_html", "url_html",
]


def iter_(value: Any) -> Iterable:
    """The iterable of a ``for`` loop: an undefined name loops zero times, as in Jinja2."""
    if isinstance(value, Undefined):
        return ()
    if hasattr(type(value), STREAM_PROTOCOL):
        raise TypeError(_misused_stream(value))
    return value


# A live stream (``pyview_core.Stream``) is recognised by this method, so that this package never
# imports the core. It returns the pending ``(dom_id, item)`` rows and their ``StreamOps`` and
# keeps them: rendering is pure, so a tree built for a log or a test (or one whose diff fails)
# takes nothing away. The core forgets the operations once the diff carrying them is produced.
STREAM_PROTOCOL = "__pyview_stream__"


class StreamRows(list):
    """The rows of a stream loop, carrying the operations its Comprehension must send."""

    __slots__ = ("ops",)


def stream_iter_(value: Any) -> Iterable:
    """The iterable of a two-name loop (``for dom_id, item in x``): a stream yields its pending rows
    (without consuming them)."""
    take = getattr(type(value), STREAM_PROTOCOL, None)
    if take is None:
        return iter_(value)
    rows, ops = take(value)
    result = StreamRows(rows)
    result.ops = ops
    return result


def stream_ops_(rows: Iterable) -> Any:
    """The ``StreamOps`` of a stream loop's rows, or None for any other loop."""
    return rows.ops if type(rows) is StreamRows else None


def _misused_stream(value: Any) -> str:
    name = getattr(value, "name", "?")
    return (
        f"stream {name!r} must be iterated as `{{% for dom_id, item in {name} %}}` "
        "(two names, no loop filter, no else/empty branch) inside a phx-update=\"stream\" container"
    )


def concat_(items: tuple) -> str:
    """``a ~ b``: strings joined; if any part is safe HTML, the rest is escaped and the result is safe."""
    if any(hasattr(x, "__html__") for x in items):
        return Markup("").join(markup_escape(x) for x in items)
    return "".join([x if type(x) is str else str(x) for x in items])


def loop_key(value: Any) -> Any:
    """A ``{% for … key expr %}`` key: checked here, where the error can name the template line."""
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"a loop key must be hashable (a number, string or tuple), not {type(value).__name__}: "
            "use an id, e.g. `key row.id`"
        ) from None
    return value


def cycle_(values: tuple, index: int) -> Any:
    """``loop.cycle(a, b, …)``."""
    if not values:
        raise TypeError("loop.cycle() needs at least one value")
    return values[index % len(values)]


class LoopContext:
    """The ``loop`` object, for the uses the compiler cannot inline (passing ``loop`` around,
    ``previtem``/``nextitem``, ``changed``). ``loop.index`` and friends compile to arithmetic."""

    __slots__ = ("_seq", "index0", "_last_changed")

    def __init__(self, seq: list, index0: int) -> None:
        self._seq = seq
        self.index0 = index0
        self._last_changed: Any = _NO_VALUE

    index = property(lambda self: self.index0 + 1)
    length = property(lambda self: len(self._seq))
    first = property(lambda self: self.index0 == 0)
    last = property(lambda self: self.index0 == len(self._seq) - 1)
    revindex = property(lambda self: len(self._seq) - self.index0)
    revindex0 = property(lambda self: len(self._seq) - self.index0 - 1)
    depth = property(lambda self: 1)
    depth0 = property(lambda self: 0)

    @property
    def previtem(self) -> Any:
        return self._seq[self.index0 - 1] if self.index0 > 0 else Undefined("previtem")

    @property
    def nextitem(self) -> Any:
        i = self.index0 + 1
        return self._seq[i] if i < len(self._seq) else Undefined("nextitem")

    def cycle(self, *values: Any) -> Any:
        return cycle_(values, self.index0)

    def changed(self, *value: Any) -> bool:
        if self._last_changed != value:
            self._last_changed = value
            return True
        return False

    def __repr__(self) -> str:
        return f"<LoopContext {self.index}/{self.length}>"


_NO_VALUE = object()


def _test_divisibleby(value: Any, num: int) -> bool:
    return value % num == 0


def _is_number(value: Any) -> bool:
    from numbers import Number

    return isinstance(value, Number)


BUILTIN_TESTS: dict[str, Any] = {
    "defined": lambda v: not isinstance(v, Undefined),
    "undefined": lambda v: isinstance(v, Undefined),
    "none": lambda v: v is None,
    "even": lambda v: v % 2 == 0,
    "odd": lambda v: v % 2 == 1,
    "divisibleby": _test_divisibleby,
    "number": _is_number,
    "integer": lambda v: isinstance(v, int) and v is not True and v is not False,
    "float": lambda v: isinstance(v, float),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: v is True or v is False,
    "true": lambda v: v is True,
    "false": lambda v: v is False,
    "mapping": lambda v: hasattr(v, "keys") and hasattr(v, "__getitem__"),
    "sequence": lambda v: hasattr(v, "__len__") and hasattr(v, "__getitem__"),
    "iterable": lambda v: hasattr(v, "__iter__"),
    "callable": callable,
    "sameas": lambda v, other: v is other,
    "lower": lambda v: str(v).islower(),
    "upper": lambda v: str(v).isupper(),
    "escaped": lambda v: hasattr(v, "__html__"),
    "in": lambda v, seq: v in seq,
    "eq": lambda a, b: a == b, "==": lambda a, b: a == b, "equalto": lambda a, b: a == b,
    "ne": lambda a, b: a != b, "!=": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "<": lambda a, b: a < b, "lessthan": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "<=": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, ">": lambda a, b: a > b, "greaterthan": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, ">=": lambda a, b: a >= b,
}


class _Namespace:
    """``namespace(...)``: an object whose attributes a loop can update (Jinja2's idiom)."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)

    def __repr__(self) -> str:
        return f"<Namespace {self.__dict__!r}>"


def setattr_ns(obj: Any, attr: str, value: Any) -> None:
    """``{% set ns.attr = value %}``: only ``namespace()`` objects may be changed from a template."""
    if not isinstance(obj, _Namespace):
        raise TypeError(f"'set {attr}' can only change a namespace() object, not {type(obj).__name__}")
    setattr(obj, attr, value)


DEFAULT_GLOBALS: dict[str, Any] = {
    "range": range,
    "dict": dict,
    "namespace": _Namespace,
}


# --- macros ------------------------------------------------------------------------------------
#
# A macro compiles to a plain function that returns the Rendered node of one call; ``Macro`` wraps
# it with Jinja2's argument rules. Called from an expression (``{% set x = m() %}``,
# ``{{ m()|upper }}``) a macro gives its HTML as Markup, as in Jinja2; where the compiler sees a
# macro call printed on its own (``{{ m(x) }}``, a ``{% call %}`` block) it uses ``tree`` instead,
# so the call stays a node of the page's tree (its statics sent once, its dynamics diffed).

MISSING: Any = object()
"""An argument the caller did not pass (the macro's function then applies the default)."""


class _NoCaller(Undefined):
    """``caller`` in a macro that was not called from a ``{% call %}`` block."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        return "No caller defined"


class _MissingParameter(Undefined):
    """A parameter without a default that the call left out (prints as "", as in Jinja2)."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        return f"parameter {self._undefined_name!r} was not provided"


_NO_CALLER = _NoCaller("caller")


class Macro:
    """A template macro: ``m(...)`` is its HTML (Markup), ``m.tree(...)`` its Rendered node.

    ``arguments`` are the declared parameter names, the last ``defaults`` of which have a
    default. The compiled function takes them in order (``MISSING`` for a defaulted one not
    passed: the function applies the default; an undefined value for any other), then ``caller``
    if the body uses it, then ``kwargs`` and ``varargs`` if the body reads those names: the
    calling convention of Jinja2's macros.
    """

    __slots__ = ("_explicit_caller", "_func", "_required", "arguments", "caller", "catch_kwargs", "catch_varargs", "name")

    def __init__(
        self,
        name: str,
        func: Any,
        arguments: tuple[str, ...],
        *,
        defaults: int = 0,
        caller: bool = False,
        kwargs: bool = False,
        varargs: bool = False,
    ) -> None:
        self.name = name
        self._func = func
        self.arguments = arguments
        self.caller = caller
        self.catch_kwargs = kwargs
        self.catch_varargs = varargs
        self._explicit_caller = "caller" in arguments
        self._required = len(arguments) - defaults

    def _bind(self, args: tuple, kwargs: dict) -> list:
        count = len(self.arguments)
        values = list(args[:count])
        caller_bound = self._explicit_caller if len(values) == count else False
        for k in range(len(values), count):
            name = self.arguments[k]
            value = kwargs.pop(name, MISSING)
            if value is MISSING and k < self._required:
                value = _MissingParameter(name)
            values.append(value)
            caller_bound = caller_bound or name == "caller"
        if self.caller and not caller_bound:
            values.append(kwargs.pop("caller", _NO_CALLER))
        if self.catch_kwargs:
            values.append(kwargs)
        elif kwargs:
            if "caller" in kwargs:
                raise TypeError(
                    f"macro {self.name!r} was given a caller ({{% call %}} block) but never calls caller()"
                )
            raise TypeError(f"macro {self.name!r} takes no keyword argument {next(iter(kwargs))!r}")
        if self.catch_varargs:
            values.append(args[count:])
        elif len(args) > count:
            raise TypeError(f"macro {self.name!r} takes not more than {count} argument(s)")
        return values

    def tree(self, *args: Any, **kwargs: Any) -> Rendered:
        """The node of one call: the macro's statics, this call's dynamics."""
        return self._func(*self._bind(args, kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Markup:
        return Markup(join(self.tree(*args, **kwargs)))

    def __repr__(self) -> str:
        return f"<Macro {self.name!r}>"


def macro(name: str, arguments: tuple[str, ...], **flags: Any):
    """``@macro('button', ('label',))`` over a compiled macro function makes it a :class:`Macro`."""

    def wrap(func: Any) -> Macro:
        return Macro(name, func, arguments, **flags)

    return wrap


# `caller("name")` of a call block that did not fill that slot: nothing.
_EMPTY_STATICS = ("",)
_EMPTY_FINGERPRINT = int.from_bytes(hashlib.blake2b(b"pyview: empty slot", digest_size=8).digest(), "big") >> 1


class Caller(Macro):
    """The ``caller`` a ``{% call %}`` block passes: its body, and its ``{% slot name %}`` parts.

    ``caller()`` renders the body (with arguments, for ``{% call(item) … %}``); ``caller("name")``
    renders the slot ``name``, or nothing when the block did not fill it (and takes no parameters
    of its own: then the string goes to the body, as in Jinja2). ``slots`` names the filled slots.
    """

    __slots__ = ("_slot_funcs", "slots")

    def __init__(self, func: Any, arguments: tuple[str, ...], slots: dict[str, Any] | None = None, **flags: Any) -> None:
        super().__init__("caller", func, arguments, **flags)
        self._slot_funcs = slots or {}
        self.slots = frozenset(self._slot_funcs)

    def tree(self, *args: Any, **kwargs: Any) -> Rendered:
        if len(args) == 1 and not kwargs and type(args[0]) is str:
            slot = self._slot_funcs.get(args[0])
            if slot is not None:
                return slot()
            if not self.arguments and not self.catch_varargs:
                return Rendered(_EMPTY_FINGERPRINT, _EMPTY_STATICS, [])
        return super().tree(*args, **kwargs)

    def __repr__(self) -> str:
        return "<Macro anonymous>"  # Jinja2's spelling


def caller_body(arguments: tuple[str, ...], slots: dict[str, Any] | None = None, **flags: Any):
    """``@caller_body(('item',))`` over a compiled ``{% call %}`` body makes it a :class:`Caller`."""

    def wrap(func: Any) -> Caller:
        return Caller(func, arguments, slots, **flags)

    return wrap


def call_(func: Any, *args: Any, **kwargs: Any) -> Any:
    """``{{ f(…) }}`` where ``f`` may hold a macro: a macro's call is a node, a live component's
    reference (``live_component(…)``) stays one, anything else gives its HTML."""
    if isinstance(func, Macro):
        return func.tree(*args, **kwargs)
    result = func(*args, **kwargs)
    if type(result) is ComponentRef:
        return result
    return to_html(result)


def call_checked_(check: Callable[[Any], str], func: Any, *args: Any, **kwargs: Any) -> Any:
    """``{{ f(…) }}`` where the HTML context needs a check (a URL attribute, a tag…): as
    :func:`call_`, but a plain value goes through ``check`` (one of :mod:`.contextescape`'s
    helpers) instead of ``to_html``."""
    if isinstance(func, Macro):
        return func.tree(*args, **kwargs)
    result = func(*args, **kwargs)
    if type(result) is ComponentRef:
        return result
    return check(result)


class TemplateModule:
    """What ``{% import "x.html" as ui %}`` binds: x's exported macros and names as attributes.

    Printed, it is x's output (rendered without the importer's context), as in Jinja2.
    """

    def __init__(self, name: str, exports: dict[str, Any], body: Rendered) -> None:
        self.__dict__.update(exports)
        self.__name = name
        self.__body = body

    def __html__(self) -> str:
        return join(self.__body)

    def __str__(self) -> str:
        return join(self.__body)

    def __repr__(self) -> str:
        return f"<TemplateModule {self.__name!r}>"
