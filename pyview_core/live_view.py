"""The ``LiveView`` base class users subclass, and how a view finds its template.

A view's template is ``<module>.html`` beside the module that defines the class, unless the class
sets ``template_name`` (a path relative to that folder). Templates are compiled ahead of time by
``pyview_templates`` and cached per folder, so a render is one call returning a tree.
"""

from __future__ import annotations

import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Generic, Optional, TypeVar

from pyview_templates import Environment, FileSystemLoader, Template
from pyview_templates.tree import Rendered

from .events import InfoEvent, event_names

T = TypeVar("T")

_environments: dict[Path, Environment] = {}

# How often a view looks at its template files for changes (auto-reload). Checking costs a stat per
# file; doing it on every render would dominate a click's server time.
RELOAD_CHECK_SECONDS = 1.0


def environment_for(folder: Path) -> Environment:
    """One template environment per folder, shared by every view that lives there."""
    env = _environments.get(folder)
    if env is None:
        env = _environments[folder] = Environment(loader=FileSystemLoader(str(folder)))
    return env


class LiveView(Generic[T]):
    """Subclass this: ``mount``, ``handle_params``, ``handle_event``/``@event``, ``handle_info``, ``disconnect``.

    Every hook is optional. ``handle_params`` and ``handle_event`` get typed injection: parameters
    are filled by name from the URL or the event payload and converted to their annotations.
    """

    template_name: ClassVar[Optional[str]] = None
    _event_methods: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        routes: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                for name in event_names(value):
                    routes[name] = attr
        cls._event_methods = routes

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        """Initialise ``socket.context``; runs on the HTTP render and again when the socket joins."""

    async def handle_params(self, *args: Any, **kwargs: Any) -> None:
        """React to the URL: after mount, and on every patch within this view."""

    async def handle_event(self, *args: Any, **kwargs: Any) -> None:
        """Handle a client event that no ``@event`` method claims."""
        raise UnknownEvent(f"{type(self).__name__} has no handler for this event")

    async def handle_info(self, event: InfoEvent, socket: Any) -> None:
        """Handle a scheduled event or a pub/sub message."""

    async def disconnect(self, socket: Any) -> None:
        """Called after the socket closed and its timers and subscriptions were released."""

    # --- rendering ----------------------------------------------------------------------------

    @classmethod
    def template_path(cls) -> Path:
        """Where this view's template lives (``<module>.html`` next to the view's module by default)."""
        return _template_path(cls)

    @classmethod
    def template(cls) -> Template:
        """The compiled template; changes to its files are picked up within ``RELOAD_CHECK_SECONDS``."""
        now = time.monotonic()
        cached = cls.__dict__.get("_pyview_template")
        if cached is not None and now - cached[1] < RELOAD_CHECK_SECONDS:
            return cached[0]
        path = _template_path(cls)
        template = environment_for(path.parent).get_template(path.name)
        cls._pyview_template = (template, now)
        return template

    def render(self, context: Any) -> Rendered:
        """The statics/dynamics tree for ``context``. Override to render some other way."""
        return self.template().tree(context)

    @classmethod
    def event_method(cls, name: str) -> Optional[str]:
        """The name of the ``@event`` method for client event ``name``, if any."""
        return cls._event_methods.get(name)

    @classmethod
    def handles_events(cls) -> bool:
        """Whether the class overrides ``handle_event`` (the catch-all handler)."""
        return cls.handle_event is not LiveView.handle_event


@lru_cache(maxsize=None)
def _template_path(cls: type) -> Path:
    module_file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if module_file is None:
        raise TemplateNotConfigured(
            f"{cls.__qualname__} is defined in {cls.__module__!r}, which has no file: set template_name "
            "to an absolute path or override render()"
        )
    folder = Path(module_file).resolve().parent
    return folder / (cls.template_name or Path(module_file).stem + ".html")


class UnknownEvent(LookupError):
    """A client sent an event the view has no handler for."""


class TemplateNotConfigured(RuntimeError):
    """The view's template cannot be located."""
