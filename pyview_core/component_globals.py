"""The template globals of live components: ``live_component(Cls, id=…, **assigns)`` and ``myself``.

Rendering a template is synchronous, but a component's ``mount`` and ``update`` are coroutines.
So ``live_component(...)`` does not render anything: it asks the renderer bound for this render
(the view's ``ComponentRegistry``) for the component's place in the tree, a ``ComponentRef``
holding its cid, and the registry mounts, updates and renders the components placed once the
parent's render has returned (``ComponentRegistry.settle``).

Both are globals of every view's template environment rather than keys of each view's context
(contexts are the user's own objects), bound per render through a ``ContextVar`` the way
``flash`` is. Outside a view's render they fail with a message saying so.

Every ``LiveComponent`` subclass is also a global under its class name (``live_component(Card,
…)`` needs no import in the template). When several modules define a component of one name, the
name means the one defined beside whoever renders (the component, else the view), and otherwise
refuses to be used, naming them all; a context value of the same name wins as usual.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any, Optional, Protocol

from pyview_templates.tree import ComponentRef

__all__ = [
    "ComponentPlacer", "bind", "current_cid", "live_component_global", "myself_global", "register_component_class",
    "share_component_names", "unbind",
]


class ComponentPlacer(Protocol):
    """What a render binds: places a component in the tree (``ComponentRegistry``)."""

    def place(self, cls: Any, id: Any, assigns: dict[str, Any]) -> ComponentRef: ...


_PLACER: ContextVar[Optional[ComponentPlacer]] = ContextVar("pyview_component_placer", default=None)
_CID: ContextVar[int] = ContextVar("pyview_component_cid", default=0)

_NO_ID: Any = object()


_NAMES: dict[str, Any] = {}  # class name -> LiveComponent subclass (or _Ambiguous)
_SHARED_WITH: list[dict[str, Any]] = []  # template environments' globals that get every name


class _Ambiguous:
    """A class name that several LiveComponent subclasses use: placing it is an error."""

    def __init__(self, name: str, classes: list[type]) -> None:
        self.name = name
        self.classes = classes

    def __repr__(self) -> str:
        where = ", ".join(f"{c.__module__}.{c.__qualname__}" for c in self.classes)
        return f"<{self.name}: ambiguous, several live components have this name ({where}); pass the class in the context>"


def register_component_class(cls: type) -> None:
    """Make ``cls`` a template global under its name (``LiveComponent.__init_subclass__``)."""
    name = cls.__name__
    known = _NAMES.get(name)
    if known is None or (isinstance(known, type) and (known.__module__, known.__qualname__) == (cls.__module__, cls.__qualname__)):
        value: Any = cls  # new, or the same class defined again (a module reloaded)
    else:
        classes = known.classes if isinstance(known, _Ambiguous) else [known]
        classes = [c for c in classes if (c.__module__, c.__qualname__) != (cls.__module__, cls.__qualname__)] + [cls]
        value = _Ambiguous(name, classes)
    _NAMES[name] = value
    for shared in _SHARED_WITH:
        shared[name] = value


def share_component_names(globals_dict: dict[str, Any]) -> None:
    """Give a template environment's globals every component class name, now and later."""
    globals_dict.update(_NAMES)
    _SHARED_WITH.append(globals_dict)


def bind(placer: Optional[ComponentPlacer]) -> Token:
    """Make ``placer`` answer ``live_component(...)`` in this task until ``unbind``."""
    return _PLACER.set(placer)


def unbind(token: Token) -> None:
    _PLACER.reset(token)


def rendering_component(cid: int) -> Token:
    """``myself`` is ``cid`` until ``done_rendering``: the component being rendered."""
    return _CID.set(cid)


def done_rendering(token: Token) -> None:
    _CID.reset(token)


def current_cid() -> int:
    """The cid of the component being rendered, 0 outside a component."""
    return _CID.get()


def live_component_global(cls: Any = None, /, id: Any = _NO_ID, **assigns: Any) -> ComponentRef:
    """``{{ live_component(Card, id=card.id, card=card) }}``: the component's place in the tree."""
    placer = _PLACER.get()
    if placer is None:
        raise RuntimeError(
            "live_component() is only available while a LiveView renders (its template, or a "
            "component's): render the view through pyview, not Template.tree() directly"
        )
    for name, value in assigns.items():
        if value is myself_global:  # `parent=myself` names the placing component, now, as Phoenix's @myself
            assigns[name] = myself_global._cid()
    return placer.place(cls, None if id is _NO_ID else id, assigns)


class _Myself:
    """``phx-target="{{ myself }}"``: the cid of the component being rendered, as the client
    expects it (a number in ``phx-target`` sends the event to that component)."""

    __slots__ = ()

    def _cid(self) -> int:
        cid = _CID.get()
        if cid == 0:
            raise RuntimeError(
                "`myself` is only defined in a live component's template (it names that component "
                "for phx-target); a LiveView's own events need no phx-target"
            )
        return cid

    def __html__(self) -> str:
        return str(self._cid())

    def __str__(self) -> str:
        return str(self._cid())

    def __int__(self) -> int:
        return self._cid()

    def __repr__(self) -> str:
        cid = _CID.get()
        return f"<myself: component {cid}>" if cid else "<myself: outside a component>"


myself_global = _Myself()
