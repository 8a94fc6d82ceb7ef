"""Typed injection for LiveView handlers (API.md, "The lifecycle guide").

``handle_params``, ``handle_event`` and ``@event`` methods declare what they need by parameter name
and annotation; the framework calls them through a ``CallPlan``::

    plan = plan_for(view.handle_params)             # analysed once per function, then cached
    await plan.call(view.handle_params,
                    {"socket": socket, "url": url, "params": params},   # reserved: injected as is
                    params)                                             # values: looked up by name

Per parameter, in signature order:

1. a name in ``reserved`` gets that object (reserved names win over same-named values), which is
   also how the legacy ``(url, params, socket)`` / ``(event, payload, socket)`` forms work;
2. a dataclass annotation gathers the dataclass's fields from ``values`` by field name, unless
   ``values`` holds a mapping (nested form params) or an instance under the parameter's own name;
3. otherwise ``values[name]`` converted to the annotation (``convert``); when absent, the default,
   else ``None`` for an ``Optional`` annotation, else ``ParamError``;
4. ``**kwargs`` receives the remaining values unconverted; ``*args`` gets nothing.

All signature and annotation analysis happens in ``plan_for``; ``CallPlan.arguments`` is one loop
over precomputed tuples, and each annotation compiles once to a converter function.

``check_annotations`` resolves a handler's annotations up front (``LiveView.__init_subclass__``
calls it for every handler a view defines), so a misspelt or missing type is a ``TypeError`` when
the class is defined instead of a parameter that silently receives the raw string.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import math
import re
import sys
import types
import typing
import weakref
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union, get_args, get_origin

__all__ = ["RESERVED_NAMES", "CallPlan", "ParamError", "check_annotations", "convert", "plan_for"]

_EMPTY = inspect.Parameter.empty
_MISSING: Any = object()

Converter = Callable[[Any, str], Any]


# --------------------------------------------------------------------------- errors


class ParamError(ValueError):
    """A handler parameter that is missing or cannot be converted to its annotation.

    ``name`` is the parameter (``paging.page`` for a dataclass field, ``tags[1]`` for a list
    element), ``value`` the offending raw value (after unwrapping a parse_qs list to the element
    that was converted; ``None`` when missing), ``expected`` the annotation as text (``"int"``).
    """

    def __init__(self, name: str, value: Any = None, expected: str = "", message: str | None = None):
        self.name = name
        self.value = value
        self.expected = expected
        if message is None:
            message = f"parameter {name!r}: expected {expected}, got {value!r}"
        super().__init__(message)

    @classmethod
    def missing(cls, name: str, expected: str = "") -> ParamError:
        return cls(name, None, expected, f"missing required parameter {name!r}")

    def __reduce__(self):  # keep pickling/copying working with the custom __init__
        return (type(self), (self.name, self.value, self.expected, str(self)))


def _type_repr(tp: Any) -> str:
    if tp is _EMPTY or tp is Any:
        return "Any"
    if tp is type(None):
        return "None"
    if isinstance(tp, type) and not isinstance(tp, types.GenericAlias):
        return tp.__qualname__
    return repr(tp).replace("typing.", "")


# --------------------------------------------------------------------------- scalar helpers


def _last(raw: Any) -> Any:
    """A parse_qs list stands for one value: the last one (``?page=1&page=2`` → ``"2"``)."""
    if type(raw) is list:
        return raw[-1] if raw else _MISSING
    return raw


def _conv_any(raw: Any, name: str) -> Any:
    if type(raw) is list and len(raw) == 1:
        return raw[0]
    return raw


def _identity(raw: Any, name: str) -> Any:
    return raw


def _conv_str(raw: Any, name: str) -> str:
    v = _last(raw)
    if type(v) is str:
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):  # JSON numbers, int path params
        return str(v)
    raise ParamError(name, [] if v is _MISSING else v, "str")


# What a URL or form may spell a number as: ASCII digits with an optional sign, no spaces,
# underscores or other scripts' digits (which Python's int() and float() would also take).
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _conv_int(raw: Any, name: str) -> int:
    v = _last(raw)
    t = type(v)
    if t is int:
        return v
    if t is str:
        if _INT_TEXT.fullmatch(v) is None:
            raise ParamError(name, v, "int")
        try:
            return int(v)
        except ValueError:  # more digits than Python converts
            raise ParamError(name, v, "int") from None
    if t is float and v.is_integer():
        return int(v)
    if isinstance(v, int) and not isinstance(v, bool):  # int subclasses (IntEnum values, …)
        return int(v)
    raise ParamError(name, [] if v is _MISSING else v, "int")


def _conv_float(raw: Any, name: str) -> float:
    v = _last(raw)
    t = type(v)
    if t is float:
        return v
    if t is str and _FLOAT_TEXT.fullmatch(v) is None:  # also refuses nan and inf
        raise ParamError(name, v, "float")
    if t is str or (t is int):
        try:
            number = float(v)
        except (ValueError, OverflowError):
            raise ParamError(name, v, "float") from None
        if math.isinf(number):  # 1e999
            raise ParamError(name, v, "float")
        return number
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    raise ParamError(name, [] if v is _MISSING else v, "float")


_TRUE = frozenset(("true", "on", "1", "yes"))
_FALSE = frozenset(("false", "off", "0", "no", ""))


def _conv_bool(raw: Any, name: str) -> bool:
    v = _last(raw)
    if v is True or v is False:
        return v
    if type(v) is str:
        low = v.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    elif type(v) is int and v in (0, 1):  # JSON 0/1 from a hook, same as "0"/"1"
        return v == 1
    raise ParamError(name, [] if v is _MISSING else v, "bool")


_SCALARS: dict[Any, Converter] = {
    str: _conv_str,
    int: _conv_int,
    float: _conv_float,
    bool: _conv_bool,
    Any: _conv_any,
    _EMPTY: _conv_any,
    object: _conv_any,
}


# --------------------------------------------------------------------------- compiled converters

_cache: dict[tuple[Any, tuple], Converter] = {}


def _converter(tp: Any) -> Converter:
    """The converter for annotation ``tp``, compiled once (cached for hashable annotations).

    The key includes the arguments in order: ``int | str == str | int`` but the order in which a
    union's members are tried differs.
    """
    key = (tp, get_args(tp))
    try:
        return _cache[key]
    except KeyError:
        pass
    except TypeError:  # unhashable annotation (rare): compile without caching
        return _compile(tp)
    conv = _compile(tp)
    _cache[key] = conv
    return conv


def convert(raw: Any, annotation: Any, name: str) -> Any:
    """Convert a URL or payload value to ``annotation``; ``ParamError`` (naming ``name``) on failure."""
    return _converter(annotation)(raw, name)


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def _optional_inner(tp: Any) -> tuple[bool, Any]:
    """``(True, X)`` for ``Optional[X]`` / ``X | None`` (X may itself be a Union), else ``(False, tp)``."""
    if _is_union(get_origin(tp)):
        args = get_args(tp)
        if type(None) in args:
            rest = tuple(a for a in args if a is not type(None))
            if not rest:
                return True, type(None)
            return True, rest[0] if len(rest) == 1 else Union[rest]  # type: ignore[valid-type]
    return False, tp


_COLLECTION_ORIGINS = (list, set, frozenset, tuple, dict)


def _takes_one_value(tp: Any) -> bool:
    """Whether ``tp`` stands for a single value (so a parse_qs list means "the last one")."""
    origin = get_origin(tp) or tp
    if origin in _COLLECTION_ORIGINS or (isinstance(origin, type) and issubclass(origin, (list, set, tuple, dict))):
        return False
    if dataclasses.is_dataclass(origin):
        return False
    return True


def _compile(tp: Any) -> Converter:
    if _hashable(tp) and tp in _SCALARS:
        return _SCALARS[tp]
    if isinstance(tp, str):  # an annotation that could not be resolved: no conversion
        return _conv_any
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _converter(get_args(tp)[0])
    if _is_union(origin):
        return _compile_union(tp)
    if origin is Literal:
        return _compile_literal(tp)
    if origin in (list, set, frozenset) or tp in (list, set, frozenset):
        return _compile_sequence(tp, origin or tp)
    if origin is tuple or tp is tuple:
        return _compile_tuple(tp)
    if origin is dict or tp is dict or origin is Mapping or tp is Mapping:
        return _compile_dict(tp)
    if tp is type(None) or tp is None:
        return _compile_none()
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return _compile_enum(tp)
        if dataclasses.is_dataclass(tp):
            return _DataclassConverter(tp)
        return _compile_class(tp)
    if origin is not None and isinstance(origin, type):  # other generics: convert to the origin
        return _converter(origin)
    return _conv_any


def _hashable(tp: Any) -> bool:
    try:
        hash(tp)
    except TypeError:
        return False
    return True


def _compile_none() -> Converter:
    def conv(raw: Any, name: str) -> None:
        v = _last(raw)
        if v is None or v == "":
            return None
        raise ParamError(name, v, "None")

    return conv


def _compile_union(tp: Any) -> Converter:
    optional, inner = _optional_inner(tp)
    expected = _type_repr(tp)
    if optional:
        inner_conv = _converter(inner)
        keep_blank = inner is str
        scalar = _takes_one_value(inner)

        def conv_optional(raw: Any, name: str) -> Any:
            if raw is None:
                return None
            if not keep_blank:
                probe = raw
                if scalar and type(raw) is list:
                    if not raw:
                        return None
                    probe = raw[-1]
                if probe is None or (type(probe) is str and probe == ""):
                    return None
            return inner_conv(raw, name)

        return conv_optional

    convs = [_converter(a) for a in get_args(tp)]

    def conv_union(raw: Any, name: str) -> Any:
        for c in convs:
            try:
                return c(raw, name)
            except ParamError:
                continue
        raise ParamError(name, _last(raw) if type(raw) is list and raw else raw, expected)

    return conv_union


def _compile_literal(tp: Any) -> Converter:
    allowed = get_args(tp)
    expected = _type_repr(tp)
    by_type: list[tuple[Any, Converter]] = []
    for a in allowed:
        if not any(t is type(a) for t, _ in by_type):
            by_type.append((type(a), _converter(type(a))))

    def conv(raw: Any, name: str) -> Any:
        v = _last(raw)
        for a in allowed:
            if type(v) is type(a) and v == a:
                return a
        for t, c in by_type:
            try:
                got = c(v, name)
            except ParamError:
                continue
            for a in allowed:
                if type(a) is t and got == a:
                    return a
        raise ParamError(name, [] if v is _MISSING else v, expected)

    return conv


def _as_items(raw: Any) -> list | None:
    """A raw value as a list of elements: str/scalar → one element; ``{"0": …, "1": …}`` → in order."""
    t = type(raw)
    if t is list:
        return raw
    if t is tuple or t is set or t is frozenset:
        return list(raw)
    if isinstance(raw, Mapping):
        # Phoenix ``inputs_for`` names list items ``items[0][name]``: a map with integer keys.
        try:
            keys = sorted(raw, key=int)
        except (TypeError, ValueError):
            return None
        return [raw[k] for k in keys]
    if raw is None:
        return None
    return [raw]


def _compile_sequence(tp: Any, container: type) -> Converter:
    args = get_args(tp)
    elem = args[0] if args else Any
    elem_conv = _identity if elem is Any else _converter(elem)
    expected = _type_repr(tp)
    build = container

    def conv(raw: Any, name: str) -> Any:
        items = _as_items(raw)
        if items is None:
            raise ParamError(name, raw, expected)
        if elem_conv is _identity:
            return build(items)  # a copy: the caller's list is never handed out
        return build([elem_conv(x, f"{name}[{i}]") for i, x in enumerate(items)])

    return conv


def _compile_tuple(tp: Any) -> Converter:
    args = get_args(tp)
    expected = _type_repr(tp)
    if not args or (len(args) == 2 and args[1] is Ellipsis):
        elem = args[0] if args else Any
        elem_conv = _identity if elem is Any else _converter(elem)

        def conv_var(raw: Any, name: str) -> tuple:
            items = _as_items(raw)
            if items is None:
                raise ParamError(name, raw, expected)
            return tuple(elem_conv(x, f"{name}[{i}]") for i, x in enumerate(items))

        return conv_var
    if args == ((),):  # tuple[()]
        args = ()
    convs = [_converter(a) for a in args]

    def conv_fixed(raw: Any, name: str) -> tuple:
        items = _as_items(raw)
        if items is None or len(items) != len(convs):
            raise ParamError(name, raw, expected)
        return tuple(c(x, f"{name}[{i}]") for i, (c, x) in enumerate(zip(convs, items)))

    return conv_fixed


def _compile_dict(tp: Any) -> Converter:
    args = get_args(tp)
    expected = _type_repr(tp)
    key_conv = _identity if not args or args[0] in (Any, str) else _converter(args[0])
    val_conv = _identity if not args or args[1] is Any else _converter(args[1])

    def conv(raw: Any, name: str) -> dict:
        if not isinstance(raw, Mapping):
            raise ParamError(name, raw, expected)
        if key_conv is _identity and val_conv is _identity:
            return dict(raw)
        return {key_conv(k, f"{name}[{k}]"): val_conv(v, f"{name}[{k}]") for k, v in raw.items()}

    return conv


def _compile_enum(cls: type[enum.Enum]) -> Converter:
    expected = _type_repr(cls)
    by_value: dict[Any, enum.Enum] = {}
    by_text: dict[str, enum.Enum] = {}
    for member in cls:
        try:
            by_value.setdefault(member.value, member)
        except TypeError:  # unhashable value: only the by-constructor path finds it
            pass
        by_text.setdefault(str(member.value), member)

    def conv(raw: Any, name: str) -> enum.Enum:
        v = _last(raw)
        if isinstance(v, cls):
            return v
        if type(v) is not bool:  # True == 1 must not select the member with value 1
            try:
                return by_value[v]
            except (KeyError, TypeError):
                pass
        if type(v) is str:
            member = by_text.get(v)
            if member is not None:
                return member
        raise ParamError(name, [] if v is _MISSING else v, expected)

    return conv


def _compile_class(cls: type) -> Converter:
    expected = _type_repr(cls)
    fromiso = getattr(cls, "fromisoformat", None)  # date, datetime, time
    one_value = not issubclass(cls, (list, tuple, set, frozenset, dict))

    def conv(raw: Any, name: str) -> Any:
        v = _last(raw) if one_value else raw
        if v is _MISSING:
            raise ParamError(name, raw, expected)
        if isinstance(v, cls):
            return v
        try:
            if fromiso is not None and type(v) is str:
                return fromiso(v)
            return cls(v)
        except Exception as exc:
            raise ParamError(
                name, v, expected, f"parameter {name!r}: expected {expected}, got {v!r} ({exc})"
            ) from exc

    return conv


def _hints_for(obj: Any) -> dict[str, Any]:
    """Resolved annotations of ``obj``; per-annotation best effort when the whole set fails.

    A function that went through :func:`check_annotations` uses what that resolved, so a type
    found in the class namespace binds the same way at run time as it was checked.
    """
    try:
        checked = _checked_hints.get(obj)
    except TypeError:  # not weakly referenceable
        checked = None
    if checked is not None:
        return checked
    try:
        return typing.get_type_hints(obj, include_extras=False)
    except Exception:
        pass
    try:
        return _hints_one_by_one(obj)
    except Exception:
        return {}


def _hints_one_by_one(obj: Any) -> dict[str, Any]:
    """Resolve each annotation on its own; an unresolvable one (say a name imported only under
    ``TYPE_CHECKING``) is left out, so that parameter counts as unannotated."""
    if isinstance(obj, type):
        sources = []
        for klass in reversed(obj.__mro__):
            module = inspect.getmodule(klass)
            sources.append((klass.__dict__.get("__annotations__", {}), vars(module) if module else {}, dict(vars(klass))))
    else:
        globalns = getattr(inspect.unwrap(obj), "__globals__", None)
        if globalns is None:
            module = inspect.getmodule(obj)
            globalns = vars(module) if module is not None else {}
        sources = [(getattr(obj, "__annotations__", None) or {}, globalns, None)]
    hints = {}
    for own, globalns, localns in sources:
        for key, ann in own.items():
            if isinstance(ann, str):
                try:
                    ann = eval(ann, globalns, localns)  # noqa: S307 - annotation text, as typing does
                except Exception:
                    hints.pop(key, None)
                    continue
            hints[key] = ann
    return hints


# --------------------------------------------------------------------------- annotation checks

#: Parameter names the framework fills itself (``self`` by Python). Their annotations are for type
#: checkers only, so one that does not resolve at run time (a ``TYPE_CHECKING`` import) is fine.
RESERVED_NAMES = frozenset({"self", "socket", "url", "params", "event", "payload"})

# Annotations resolved by check_annotations, keyed by the function they describe.
_checked_hints: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _resolve(annotation: Any, globalns: Mapping[str, Any], localns: Mapping[str, Any]) -> Any:
    """One annotation evaluated like ``typing.get_type_hints`` does (strings and nested forward
    references included), or the exception that stopped it."""
    holder = types.SimpleNamespace(__annotations__={"annotation": annotation})
    return typing.get_type_hints(holder, globalns, localns)["annotation"]  # type: ignore[arg-type]


def _annotation_text(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else _type_repr(annotation)


def _unresolved(where: str, what: str, annotation: Any, exc: Exception) -> TypeError:
    if isinstance(exc, NameError):
        reason, hint = str(exc), "define the type before the class, or import it"
    else:
        reason, hint = f"{type(exc).__name__}: {exc}", "write a type that can be evaluated there"
    return TypeError(
        f"{where}: the annotation of {what} ({_annotation_text(annotation)!r}) does not resolve: "
        f"{reason} ({hint})"
    )


def _dataclasses_in(tp: Any) -> list[type]:
    """The dataclasses that converting to ``tp`` builds (``tp`` itself, or inside its arguments)."""
    found: list[type] = []
    stack = [tp]
    while stack:
        t = stack.pop()
        if isinstance(t, type) and dataclasses.is_dataclass(t):
            found.append(t)
        else:
            stack.extend(a for a in get_args(t) if a is not Ellipsis)
    return found


def _check_dataclass(cls: type, where: str, seen: set[type]) -> None:
    """Every init field of ``cls`` (and of dataclasses nested in it) must resolve, for the same
    reason as a parameter: an unresolved field would silently receive the raw value. Names
    resolve as ``typing.get_type_hints`` resolves them for the class: the module of the class
    that declared the field first, then that class's namespace."""
    if cls in seen:
        return
    seen.add(cls)
    try:
        hints = typing.get_type_hints(cls)  # what the converter will use, when it all resolves
    except Exception:
        hints = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name in hints:
            resolved = hints[f.name]
        else:  # find the field that broke get_type_hints, to name it
            owner = next((k for k in cls.__mro__ if f.name in k.__dict__.get("__annotations__", {})), cls)
            module = sys.modules.get(owner.__module__)
            globalns = vars(module) if module is not None else {}
            try:
                resolved = _resolve(f.type, globalns, ChainMap(globalns, dict(vars(owner))))
            except Exception as exc:
                what = f"field {f.name!r} of the dataclass {cls.__qualname__}"
                raise _unresolved(where, what, f.type, exc) from exc
        for nested in _dataclasses_in(resolved):
            _check_dataclass(nested, where, seen)


def check_annotations(
    func: Callable[..., Any], where: str, localns: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Resolve the annotations of ``func``'s parameters now; ``TypeError`` for one that does not.

    A handler's annotations say how to convert client values, so one that cannot be evaluated
    (a typo such as ``page: itn``, a type defined after the class or imported only under
    ``TYPE_CHECKING``) must fail loudly when the class is defined, naming ``where`` (say
    ``"CounterView.handle_params"``), the parameter and the annotation, rather than hand the
    handler the raw string on every request. The same goes for the fields of a dataclass
    parameter.

    Names resolve from the function's module globals first, then from ``localns`` (for a view,
    the namespace of the class being created: a nested ``Sort = Literal[...]`` or the class
    itself). Globals win so that a method that shares a type's name (``def date``) does not
    change what an annotation means. Names local to an enclosing *function* are not visible
    (with ``from __future__ import annotations`` they are gone once the function returns):
    define such types at module level.

    Parameters without annotations, ``Any``, and those named in :data:`RESERVED_NAMES` are
    always accepted; an unresolvable annotation on a reserved name is ignored as before.
    Returns the resolved annotations, which :func:`plan_for` then uses for ``func``.
    """
    target = _annotated_target(func)
    annotations = getattr(target, "__annotations__", None) or {}
    globalns = getattr(inspect.unwrap(target), "__globals__", None)
    if globalns is None:
        module = inspect.getmodule(target)
        globalns = vars(module) if module is not None else {}
    namespace = ChainMap(globalns, dict(localns or {}))
    hints: dict[str, Any] = {}
    for name, annotation in annotations.items():
        if name == "return":
            continue
        try:
            resolved = _resolve(annotation, globalns, namespace)
        except Exception as exc:
            if name in RESERVED_NAMES:
                continue
            raise _unresolved(where, f"parameter {name!r}", annotation, exc) from exc
        hints[name] = resolved
        if name not in RESERVED_NAMES:
            seen: set[type] = set()
            for cls in _dataclasses_in(resolved):
                _check_dataclass(cls, where, seen)
    try:
        _checked_hints[target] = hints
    except TypeError:  # not weakly referenceable: plan_for resolves it again, as before
        pass
    return hints


class _Field(typing.NamedTuple):
    name: str
    conv: Converter
    has_default: bool
    optional: bool
    expected: str


class _DataclassConverter:
    """Builds a dataclass from a mapping, converting each init field by its annotation.

    Field converters are compiled on first use, so self-referential dataclasses work.
    """

    __slots__ = ("cls", "expected", "_fields", "field_names")

    def __init__(self, cls: type):
        self.cls = cls
        self.expected = _type_repr(cls)
        self._fields: list[_Field] | None = None
        self.field_names = frozenset(f.name for f in dataclasses.fields(cls) if f.init)

    def fields(self) -> list[_Field]:
        fields = self._fields
        if fields is None:
            hints = _hints_for(self.cls)
            fields = []
            for f in dataclasses.fields(self.cls):
                if not f.init:
                    continue
                ann = hints.get(f.name, f.type if not isinstance(f.type, str) else _EMPTY)
                has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                fields.append(_Field(f.name, _converter(ann), has_default, _optional_inner(ann)[0], _type_repr(ann)))
            self._fields = fields
        return fields

    def build(self, source: Mapping[str, Any], prefix: str, raw: Any) -> Any:
        kwargs = {}
        for fname, conv, has_default, optional, expected in self.fields():
            path = f"{prefix}.{fname}"
            v = source.get(fname, _MISSING)
            if v is _MISSING:
                if has_default:
                    continue
                if optional:
                    kwargs[fname] = None
                    continue
                raise ParamError.missing(path, expected)
            kwargs[fname] = conv(v, path)
        try:
            return self.cls(**kwargs)
        except ParamError:
            raise
        except (TypeError, ValueError) as exc:  # __post_init__ validation
            raise ParamError(
                prefix, raw, self.expected, f"parameter {prefix!r}: invalid {self.expected} ({exc})"
            ) from exc

    def __call__(self, raw: Any, name: str) -> Any:
        if isinstance(raw, self.cls):
            return raw
        if not isinstance(raw, Mapping):
            raise ParamError(name, raw, self.expected)
        return self.build(raw, name, raw)


# --------------------------------------------------------------------------- call plans

def _annotated_target(func: Any) -> Any:
    """The object whose annotations describe ``func``'s parameters."""
    if inspect.ismethod(func):
        return func.__func__
    if inspect.isfunction(func):
        return func
    if isinstance(func, functools.partial):
        return _annotated_target(func.func)
    call = getattr(type(func), "__call__", None)
    if call is not None and not isinstance(func, type) and inspect.isfunction(call):
        return call
    return func


class CallPlan:
    """How to call one handler: a tuple of precomputed per-parameter records.

    Record: ``(name, positional_only, converter, default, optional, expected, gather)`` where
    ``gather`` is ``None`` or, for a dataclass annotation, ``((Mapping, cls), dataclass_converter)``.
    """

    __slots__ = ("name", "_params", "_var_keyword", "_consumed", "__weakref__")

    def __init__(self, func: Callable[..., Any]):
        self.name = getattr(func, "__qualname__", repr(func))
        signature = inspect.signature(func)
        hints = _hints_for(_annotated_target(func))
        records = []
        consumed = set()
        var_keyword = False
        P = inspect.Parameter
        for param in signature.parameters.values():
            if param.kind is P.VAR_POSITIONAL:
                continue
            if param.kind is P.VAR_KEYWORD:
                var_keyword = True
                continue
            ann = hints.get(param.name, param.annotation)
            if isinstance(ann, str):
                ann = _EMPTY
            optional, inner = _optional_inner(ann)
            if get_origin(inner) is typing.Annotated:
                inner = get_args(inner)[0]
            conv = _converter(ann)
            default = _MISSING if param.default is _EMPTY else param.default
            gather = None
            if isinstance(inner, type) and dataclasses.is_dataclass(inner):
                dc = _converter(inner)
                gather = ((Mapping, inner), dc)
                consumed.update(dc.field_names)
            consumed.add(param.name)
            records.append(
                (param.name, param.kind is P.POSITIONAL_ONLY, conv, default, optional, _type_repr(ann), gather)
            )
        self._params = tuple(records)
        self._var_keyword = var_keyword
        self._consumed = frozenset(consumed)

    def __repr__(self) -> str:
        return f"<CallPlan {self.name} ({', '.join(r[0] for r in self._params)})>"

    def arguments(self, reserved: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[list, dict]:
        """Positional args and kwargs for calling the handler with these reserved objects and values."""
        args: list = []
        kwargs: dict = {}
        for name, positional, conv, default, optional, expected, gather in self._params:
            if name in reserved:
                value = reserved[name]
            else:
                raw = values.get(name, _MISSING)
                if gather is not None and (raw is _MISSING or not isinstance(raw, gather[0])):
                    # A dataclass parameter without a mapping under its own name: gather its fields
                    # from the values, unless none is present and a default / None is available.
                    if (default is _MISSING and not optional) or not gather[1].field_names.isdisjoint(values):
                        value = gather[1].build(values, name, values)
                        if positional:
                            args.append(value)
                        else:
                            kwargs[name] = value
                        continue
                    raw = _MISSING
                if raw is _MISSING:
                    if default is not _MISSING:
                        if positional:
                            args.append(default)
                        continue
                    if not optional:
                        raise ParamError.missing(name, expected)
                    value = None
                else:
                    value = conv(raw, name)
            if positional:
                args.append(value)
            else:
                kwargs[name] = value
        if self._var_keyword:
            consumed = self._consumed
            for key, raw in values.items():
                if key not in consumed and key not in reserved:
                    kwargs[key] = raw
        return args, kwargs

    async def call(self, func: Callable[..., Any], reserved: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
        """Call ``func`` (sync or async) with the injected arguments; awaits an awaitable result."""
        args, kwargs = self.arguments(reserved, values)
        result = func(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result


# Keyed on the underlying function: bound methods are created afresh on every attribute access and
# would keep their instance alive. One plan for the plain function, one for it bound (no ``self``).
_plans: weakref.WeakKeyDictionary[Any, list] = weakref.WeakKeyDictionary()
_strong_plans: dict[Any, list] = {}  # callables that cannot be weakly referenced (rare)


def plan_for(func: Callable[..., Any]) -> CallPlan:
    """The cached ``CallPlan`` for ``func`` (a function, bound method, or other callable)."""
    bound = inspect.ismethod(func)
    key = func.__func__ if bound else func
    slot = 1 if bound else 0
    try:
        entry = _plans.get(key)
        store: Any = _plans
    except TypeError:
        try:
            entry = _strong_plans.get(key)
        except TypeError:  # unhashable callable: no caching possible
            return CallPlan(func)
        store = _strong_plans
    if entry is None:
        entry = [None, None]
        store[key] = entry
    plan = entry[slot]
    if plan is None:
        plan = entry[slot] = CallPlan(func)
    return plan
