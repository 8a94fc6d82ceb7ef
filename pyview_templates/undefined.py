"""The value a template sees for a name or attribute that does not exist.

Behaves like Jinja2's default ``Undefined``: it prints as the empty string, is
falsy, iterates as empty and has length 0, so optional data can be tested and
printed freely; but *using* it (attribute access, subscripting, calling,
arithmetic) raises :class:`UndefinedError`, because that is almost always a
typo the author wants to hear about.
"""

from __future__ import annotations

from typing import Any

_MISSING: Any = object()


class UndefinedError(Exception):
    """An undefined value was used in a way that needs a real value."""


def object_type_repr(obj: Any) -> str:
    """Name an object's type the way Jinja2's messages do (``'dict object'``)."""
    if obj is None:
        return "None"
    if obj is Ellipsis:
        return "Ellipsis"
    cls = type(obj)
    if cls.__module__ == "builtins":
        return f"{cls.__name__} object"
    return f"{cls.__module__}.{cls.__name__} object"


class Undefined:
    """A missing name (``Undefined("x")``) or attribute (``Undefined("y", obj)``)."""

    __slots__ = ("_undefined_name", "_undefined_obj")

    def __init__(self, name: Any = None, obj: Any = _MISSING) -> None:
        self._undefined_name = name
        self._undefined_obj = obj

    @property
    def _undefined_message(self) -> str:
        name, obj = self._undefined_name, self._undefined_obj
        if obj is _MISSING:
            return f"{name!r} is undefined" if name is not None else "undefined value"
        if isinstance(name, str):
            return f"{object_type_repr(obj)!r} has no attribute {name!r}"
        return f"{object_type_repr(obj)!r} has no element {name!r}"

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise UndefinedError(self._undefined_message)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self._fail()

    __getitem__ = __call__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = _fail
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _fail
    __pow__ = __rpow__ = __neg__ = __pos__ = _fail
    __lt__ = __le__ = __gt__ = __ge__ = _fail
    __int__ = __float__ = __complex__ = _fail

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return id(type(self))

    def __str__(self) -> str:
        return ""

    def __len__(self) -> int:
        return 0

    def __iter__(self):
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "Undefined"


def is_undefined(value: Any) -> bool:
    return isinstance(value, Undefined)
