"""Live components: a part of a page with its own state, its own events and its own template.

```python
class TodoItem(LiveComponent[ItemContext]):
    async def mount(self, socket): ...                       # once, when first placed
    async def update(self, assigns, socket): ...             # every time its parent renders it
    @event("toggle")
    async def toggle(self, socket, done: bool): ...          # phx-target="{{ myself }}"
```

A view's template places one with ``{{ live_component(TodoItem, id=todo.id, todo=todo) }}`` (every
component class is a template global under its class name). The
``id`` names it among the components of that class in the view: the same id in the next render is
the same component (its state kept, ``update`` called with the new assigns); an id that is not
rendered any more is destroyed once the browser has removed it. Events from elements with
``phx-target="{{ myself }}"`` go to the component's handlers, with the typed injection of views;
only the component re-renders, and only its changes travel.

Its template is ``<snake_case_class_name>.html`` beside its module (``TodoItem`` →
``todo_item.html``) unless ``template_name`` says otherwise, and must have a single root tag (the
client marks it with ``data-phx-component``).
"""

from __future__ import annotations

import re
from collections.abc import Coroutine
from dataclasses import is_dataclass
from typing import TYPE_CHECKING, Any, Generic, Mapping, Optional, Protocol, TypeVar

from .component_globals import register_component_class
from .events import InfoEvent
from .live_view import Templated

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")

__all__ = ["ComponentSocket", "LiveComponent", "assign"]


def assign(socket: "ComponentSocket[Any]", assigns: Mapping[str, Any]) -> None:
    """Merge ``assigns`` into ``socket.context``: a dict is updated, an object gets attributes,
    and a component without a context yet gets a dict of them (what ``update`` does by default)."""
    context = socket.context
    if context is None:
        socket.context = dict(assigns)
    elif isinstance(context, dict):
        context.update(assigns)
    else:
        for name, value in assigns.items():
            if is_dataclass(context) and name not in getattr(context, "__dataclass_fields__", {}):
                raise TypeError(
                    f"{type(context).__name__} has no field {name!r}: a component whose context is a dataclass "
                    "gets only its fields from live_component(...), or overrides update()"
                )
            setattr(context, name, value)


class LiveComponent(Templated, Generic[T]):
    """Subclass this: ``mount``, ``update``, ``handle_event``/``@event``; all optional.

    ``socket.context`` is the component's state (``T``), rendered by its template; the default
    ``update`` merges the assigns its parent passes (``id`` included) into it.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_component_class(cls)

    @classmethod
    def default_template_file(cls, module_stem: str) -> str:
        return _snake_case(cls.__name__) + ".html"

    async def mount(self, socket: "ComponentSocket[T]") -> None:
        """Set up state once, before the first ``update``."""

    async def update(self, assigns: dict[str, Any], socket: "ComponentSocket[T]") -> None:
        """New assigns from the parent's render (or ``send_update``): merged into the context."""
        assign(socket, assigns)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class ParentSocket(Protocol):
    """What a component's socket forwards to its view's socket."""

    connected: bool
    flash: Any
    user: Any
    auth: Any
    csrf_token: str

    def put_flash(self, kind: str, message: str) -> None: ...

    def clear_flash(self, kind: Optional[str] = None) -> None: ...


class UpdateSender(Protocol):
    """What ``send_update`` reaches (the view's component registry)."""

    def send_update(self, cls: type, id: Any, assigns: dict[str, Any]) -> None: ...


class ComponentSocket(Generic[T]):
    """A component's socket: its state, ``myself``, and what it may ask of its view.

    Navigation, flash messages, client events and jobs belong to the view: the socket forwards
    them to the view's socket (so ``push_navigate`` from a component leaves the page, a flash
    shows where the view renders ``{{ flash }}``, and a job ends with the view).
    """

    def __init__(self, parent: Any, updates: UpdateSender, cid: int, id: Any) -> None:
        self.context: T = None  # type: ignore[assignment]
        self.myself = cid  # what phx-target="{{ myself }}" renders
        self.id = id
        self._parent = parent
        self._updates = updates

    @property
    def connected(self) -> bool:
        return bool(self._parent.connected)

    @property
    def flash(self) -> Any:
        return self._parent.flash

    @property
    def user(self) -> Any:
        return self._parent.user

    @property
    def auth(self) -> Any:
        return self._parent.auth

    @property
    def csrf_token(self) -> str:
        return self._parent.csrf_token

    def put_flash(self, kind: str, message: str) -> None:
        """A flash message on the view (it re-renders to show it)."""
        self._parent.put_flash(kind, message)

    def clear_flash(self, kind: Optional[str] = None) -> None:
        self._parent.clear_flash(kind)

    def send_update(self, cls: type, id: Any, **assigns: Any) -> None:
        """Give component ``(cls, id)`` of this view new assigns: its ``update`` runs and it
        re-renders after the current handler (another component, or this one)."""
        self._updates.send_update(cls, id, assigns)

    async def send_parent(self, event: InfoEvent) -> None:
        """Deliver ``event`` to the view's ``handle_info`` (after the current handler).
        On the HTTP render there is no connected view to tell: it does nothing."""
        if self._parent.connected:
            await self._parent.send_info(event)

    async def push_event(self, event: str, value: dict[str, Any]) -> None:
        """A client event (hooks' ``handleEvent``, ``phx:<event>`` on window), sent with the next diff."""
        await self._parent.push_event(event, value)

    async def push_patch(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        await self._parent.push_patch(path, params)

    async def push_navigate(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        await self._parent.push_navigate(path, params)

    async def replace_navigate(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        await self._parent.replace_navigate(path, params)

    async def redirect(self, path: str, params: Optional[dict[str, Any]] = None) -> None:
        await self._parent.redirect(path, params)

    def start_job(self, job: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]":
        """A job of the view (cancelled when the view goes away); report back with ``send_update``."""
        return self._parent.start_job(job)

    def __repr__(self) -> str:
        return f"<ComponentSocket cid={self.myself} id={self.id!r}>"
