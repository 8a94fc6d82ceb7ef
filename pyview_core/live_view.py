"""The ``LiveView`` base class users subclass, and how a view finds its template.

A view's template is ``<module>.html`` beside the module that defines the class, unless the class
sets ``template_name`` (a path relative to that folder). Templates are compiled ahead of time by
``pyview_templates`` and cached per folder, so a render is one call returning a tree.

The compiled template of a class is cached on the class itself. Loading it (compiling, or checking
its files for changes) is blocking work: the server does it in a worker thread through
``ViewTemplates.ready`` before it renders, so ``template()`` and ``render()`` on the event loop only
read the cache. Outside the server (tests, scripts) the first ``template()`` compiles synchronously.
"""

from __future__ import annotations

import inspect
import sys
import threading
from functools import lru_cache
from pathlib import Path
from types import CoroutineType
from typing import Any, Awaitable, Callable, ClassVar, Generic, Iterator, Optional, Sequence, TypeVar
from urllib.parse import ParseResult, parse_qs

from pyview_templates import Environment, FileSystemLoader, Template
from pyview_templates.tree import Rendered

from .binding import plan_for
from .component_globals import live_component_global, myself_global, share_component_names
from .events import InfoEvent, event_names
from .flash import flash_global

T = TypeVar("T")

_environments: dict[Path, Environment] = {}
_environments_lock = threading.Lock()  # worker threads of several apps may ask for a folder at once

# The class attribute holding a view class's compiled template (in the class's own __dict__: a
# subclass has its own template, it never inherits its parent's).
_TEMPLATE_ATTR = "_pyview_template"


def environment_for(folder: Path) -> Environment:
    """One template environment per folder, shared by every view that lives there.

    The environment always compares file times when asked (``auto_reload``): *when* to ask is the
    caller's policy (``ViewTemplates``), so a production app and a development app in one process
    can share it.
    """
    env = _environments.get(folder)
    if env is None:
        with _environments_lock:
            env = _environments.get(folder)
            if env is None:
                # ``flash``: the rendering view's messages (see pyview_core.flash for why a global);
                # ``live_component`` and ``myself``: see pyview_core.component_globals.
                env = _environments[folder] = Environment(loader=FileSystemLoader(str(folder)), globals={
                    "flash": flash_global, "live_component": live_component_global, "myself": myself_global,
                })
                share_component_names(env.globals)  # every LiveComponent class by its name
    return env


def load_template(cls: type) -> Template:
    """Load ``cls``'s template, recompiling it if its files changed, and cache it on the class.

    Blocking (file reads, stats, maybe a compile under the environment's lock): the server calls it
    in a worker thread, never on the event loop.
    """
    path = _template_path(cls)
    template = environment_for(path.parent).get_template(path.name)
    setattr(cls, _TEMPLATE_ATTR, template)
    return template


def renders_itself(cls: type) -> bool:
    """Whether ``cls`` overrides ``render`` (so it may not need a template file at all)."""
    return getattr(cls, "render", None) is not Templated.render


def has_template_file(cls: type) -> bool:
    """Whether ``cls``'s template file exists (a stat: not for the event loop)."""
    try:
        return _template_path(cls).is_file()
    except TemplateNotConfigured:
        return False


class Templated:
    """What views and live components share: a compiled template, and ``@event`` handlers.

    The template is ``template_name`` (relative to the class's module folder) or the class's
    default file; ``render(context)`` gives the tree. Event handlers (``@event`` methods and the
    catch-all ``handle_event``) are indexed and their annotations checked when the class is made.
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

        # A handler annotation that does not resolve (``page: itn``) fails here, naming the class,
        # method and parameter, instead of binding the raw string on every request. Only the
        # handlers this class defines: inherited ones were checked with their own class.
        from .binding import check_annotations

        namespace = {**vars(cls), cls.__name__: cls}
        for attr, value in vars(cls).items():
            func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            handler = attr in ("handle_params", "handle_event") or event_names(value) or event_names(func)
            if handler and callable(func):
                check_annotations(func, f"{cls.__qualname__}.{attr}", namespace)

    async def handle_event(self, *args: Any, **kwargs: Any) -> None:
        """Handle a client event that no ``@event`` method claims."""
        raise UnknownEvent(f"{type(self).__name__} has no handler for this event")

    # --- rendering ----------------------------------------------------------------------------

    @classmethod
    def default_template_file(cls, module_stem: str) -> str:
        """The template file name when ``template_name`` is not set."""
        return module_stem + ".html"

    @classmethod
    def template_path(cls) -> Path:
        """Where this class's template lives (``default_template_file`` next to its module by default)."""
        return _template_path(cls)

    @classmethod
    def template(cls) -> Template:
        """The compiled template, from the class's cache; only the first call ever compiles.

        This never looks at the files again once loaded: under the server, ``ViewTemplates.ready``
        (run before every render) loads and reloads templates in a worker thread, so a render on
        the event loop never waits for a compile, a stat or the environment's lock. Called
        standalone (a test, a script) the first call compiles synchronously.
        """
        cached = cls.__dict__.get(_TEMPLATE_ATTR)
        if cached is not None:
            return cached
        return load_template(cls)

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
        return cls.handle_event is not Templated.handle_event


class LiveView(Templated, Generic[T]):
    """Subclass this: ``mount``, ``handle_params``, ``handle_event``/``@event``, ``handle_info``, ``disconnect``.

    Every hook is optional. ``handle_params`` and ``handle_event`` get typed injection: parameters
    are filled by name from the URL or the event payload and converted to their annotations.
    Its template is ``<module>.html`` beside the module unless ``template_name`` says otherwise.
    """

    # Run before mount on the dead render and on every join (see pyview_core.auth).
    on_mount: ClassVar[Sequence[Callable[..., Any]]] = ()

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        """Initialise ``socket.context``; runs on the HTTP render and again when the socket joins."""

    async def handle_params(self, *args: Any, **kwargs: Any) -> None:
        """React to the URL: after mount, and on every patch within this view."""

    async def handle_info(self, event: InfoEvent, socket: Any) -> None:
        """Handle a scheduled event or a pub/sub message."""

    async def disconnect(self, socket: Any) -> None:
        """Called after the socket closed and its timers and subscriptions were released."""


@lru_cache(maxsize=None)
def _template_path(cls: type) -> Path:
    module_file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if module_file is None:
        raise TemplateNotConfigured(
            f"{cls.__qualname__} is defined in {cls.__module__!r}, which has no file: set template_name "
            "to an absolute path or override render()"
        )
    folder = Path(module_file).resolve().parent
    return folder / (cls.template_name or cls.default_template_file(Path(module_file).stem))


class UnknownEvent(LookupError):
    """A client sent an event the view has no handler for."""


class TemplateNotConfigured(RuntimeError):
    """The view's template cannot be located."""


# --- lifecycle helpers: how the dead render and the channel call a view's handlers -------------


def url_params(url: ParseResult, path_params: dict[str, Any]) -> dict[str, Any]:
    """The params ``handle_params`` sees: the query string (parse_qs lists) merged with path params."""
    params: dict[str, Any] = parse_qs(url.query, keep_blank_values=True)
    params.update(path_params)
    return params


def bind_handle_params(view: LiveView, socket: Any, url: ParseResult, path_params: dict[str, Any]) -> tuple[Callable[..., Any], list, dict]:
    """``handle_params`` and its arguments for this URL, converted to their annotations.

    A ``ParamError`` here means the URL does not fit the handler (the client's or the link's
    fault); binding is kept apart from the call so that a ``ParamError`` raised by the handler's
    own code is not mistaken for one (it is a crash).
    """
    params = url_params(url, path_params)
    handler = view.handle_params
    args, kwargs = plan_for(handler).arguments({"socket": socket, "url": url, "params": params}, params)
    return handler, args, kwargs


class _Done:
    """What ``invoke`` gives for a handler that returned without anything to await."""

    __slots__ = ()

    def __await__(self) -> Iterator[None]:
        return iter(())


_DONE = _Done()


def invoke(handler: Callable[..., Any], args: list, kwargs: dict) -> Awaitable[Any]:
    """Call a bound handler, sync or async; ``await invoke(...)`` runs it to the end.

    Not itself a coroutine: for an async handler it hands back the handler's own coroutine, so a
    click costs no extra coroutine frame (this is on every event's path).
    """
    result = handler(*args, **kwargs)
    if type(result) is CoroutineType or (result is not None and inspect.isawaitable(result)):
        return result
    return _DONE
