"""Server-side messages (`InfoEvent`) and the ``@event`` routing decorator.

``InfoEvent`` is what ``handle_info`` receives for scheduled jobs and pub/sub messages. ``@event``
marks a LiveView method as the handler of one or more client events; the LiveView base class
collects the marks when a subclass is created, so dispatch is a single dict lookup per click.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_EVENTS_ATTR = "__pyview_events__"


@dataclass(frozen=True)
class InfoEvent:
    """A message for ``handle_info``: a scheduled event, or ``InfoEvent(topic, message)`` from pub/sub."""

    name: str
    payload: Any = None


def event(*names: Any) -> Any:
    """Route client events to the decorated method.

    ``@event("inc")``, ``@event("a", "b")``, or bare ``@event`` (the method's own name). The method
    gets the same typed injection as ``handle_event``.
    """
    if len(names) == 1 and callable(names[0]) and not isinstance(names[0], str):
        func = names[0]
        setattr(func, _EVENTS_ATTR, (func.__name__,))
        return func
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"@event names must be non-empty strings, got {name!r}")

    def decorate(func: F) -> F:
        setattr(func, _EVENTS_ATTR, tuple(names) or (func.__name__,))
        return func

    return decorate


def event_names(func: Any) -> tuple[str, ...]:
    """The client events a method was marked for with ``@event`` (empty when unmarked)."""
    return getattr(func, _EVENTS_ATTR, ())


class BaseEventHandler:
    """Compatibility mixin: code written for the older port inherits from it next to ``LiveView``.

    ``LiveView`` already dispatches ``@event`` methods, so this adds nothing.
    """
