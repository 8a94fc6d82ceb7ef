"""``pyview routes MODULE:APP``: what a PyView app serves, as a table.

    $ pyview routes examples.app:app
    Live routes of examples.app:app: 15
    PATH             VIEW                                      LIVE_SESSION  PATH PARAMS  TEMPLATE                       QUERY PARAMS
    /counter         examples.counter.counter.CounterLiveView  default       -            examples/counter/counter.html  count: int = 0
    /table/{id:int}  examples.table.table.ItemLiveView         default       id: int      examples/table/item.html       -
    /account         examples.auth.auth.AccountLiveView        account       -            examples/auth/account.html     -
    ...
    Other routes: 5
    METHODS  PATH    ENDPOINT
    POST     /login  examples.auth.auth.login_post
    ...

One row per ``add_live_view``, in matching order: the path, the view class, its live_session,
the path parameters with the types their Starlette convertors give, the query parameters that
``handle_params`` declares (typed as ``pyview_core.binding`` converts them; a dataclass parameter
stands for its fields), and the template file (relative to the current directory when below it;
``(renders itself)`` for a view that overrides ``render`` and has none).
Then the app's other Starlette routes (``Route``, ``Mount``, ``WebSocketRoute``), and pyview's own
on one line. The app is loaded as ``pyview serve`` loads it (``cli.load_app``), with its errors.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import enum
import inspect
import logging
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Annotated, Any, Callable, Collection, Iterator, Literal, Union, get_args, get_origin

from starlette.convertors import CONVERTOR_TYPES
from starlette.routing import BaseRoute, Host, Mount, Route, WebSocketRoute

from .binding import _annotated_target, _hints_for, _optional_inner
from .cli import EXIT_USAGE, ServeError, _user_frames, load_app

_EMPTY = inspect.Parameter.empty
_NO_TEMPLATE = "(none)"
_RENDERS_ITSELF = "(renders itself)"
# Names handle_params is given by the framework rather than from the URL (``self`` by Python).
_FRAMEWORK_NAMES = frozenset({"self", "socket", "url"})
_MAX_WRAPPERS = 16  # middleware wrapping a PyView, followed through their ``.app``


# --- the app ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_pyview_warnings() -> Iterator[None]:
    """Importing an app in development warns about the generated secret: noise for a listing."""
    pyview_logger = logging.getLogger("pyview_core")
    level = pyview_logger.level
    pyview_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        pyview_logger.setLevel(level)


def find_pyview(app: Any, target: str) -> tuple[Any, list[str]]:
    """The PyView that ``app`` is or wraps (through middleware's ``.app``), and the wrappers' names."""
    from .app import PyView

    wrappers: list[str] = []
    current = app
    for _ in range(_MAX_WRAPPERS):
        if isinstance(current, PyView):
            return current, wrappers
        inner = getattr(current, "app", None)
        if inner is None or inner is current:
            break
        wrappers.append(type(current).__name__)
        current = inner
    raise ServeError(f"{target} is a {_describe_object(app)}, not a PyView: `pyview routes` lists the live "
                     "views of an app built with pyview_core.PyView")


def load_pyview(target: str, *, factory: bool = False) -> tuple[Any, list[str]]:
    with _quiet_pyview_warnings():
        app = load_app(target, factory=factory)
    return find_pyview(app, target)


# --- live routes --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LiveRouteRow:
    path: str
    view: str
    live_session: str
    path_params: str
    query_params: str
    template: str

    def cells(self) -> list[str]:
        # The query parameters last: the one cell that can be long (a terminal wraps only it).
        return [self.path, self.view, self.live_session, self.path_params, self.template, self.query_params]


LIVE_HEADER = ["PATH", "VIEW", "LIVE_SESSION", "PATH PARAMS", "TEMPLATE", "QUERY PARAMS"]


def live_rows(app: Any) -> list[LiveRouteRow]:
    """One row per live route of the PyView ``app``, in matching order."""
    rows = []
    for route in app.live_router.routes:
        path_names = list(route.convertors)
        rows.append(LiveRouteRow(
            path=route.path,
            view=_qualified(route.view),
            live_session=route.live_session,
            path_params=", ".join(f"{name}: {_convertor_type(conv)}" for name, conv in route.convertors.items()) or "-",
            query_params=", ".join(query_params(route.view, exclude=path_names)) or "-",
            template=template_cell(route.view),
        ))
    return rows


def _convertor_type(convertor: Any) -> str:
    for name, known in CONVERTOR_TYPES.items():  # str, path, int, float, uuid, and registered ones
        if convertor is known or type(convertor) is type(known):
            return name
    return type(convertor).__name__


def query_params(view: type, exclude: Collection[str] = ()) -> list[str]:
    """``handle_params``' URL parameters as ``name: type = default``, as binding converts them.

    Path parameters (``exclude``) are left out: their type is the convertor's. A dataclass
    parameter gathers its fields from the query string, so its fields are listed; ``params`` (the
    legacy signature) and ``**kwargs`` take whatever the URL has.
    """
    from .live_view import LiveView

    handler = getattr(view, "handle_params", None)
    if handler is None or handler is LiveView.handle_params:
        return []
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return ["(unknown signature)"]
    hints = _hints_for(_annotated_target(handler))
    out: list[str] = []
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            out.append(f"**{param.name} (any others)")
            continue
        if param.name in _FRAMEWORK_NAMES or param.name in exclude or param.kind is param.VAR_POSITIONAL:
            continue
        if param.name == "params":
            out.append("params (all of them)")
            continue
        annotation = hints.get(param.name, param.annotation)
        if isinstance(annotation, str):
            annotation = _EMPTY
        _, inner = _optional_inner(annotation)
        if get_origin(inner) is Annotated:
            inner = get_args(inner)[0]
        if isinstance(inner, type) and dataclasses.is_dataclass(inner):
            out.extend(_dataclass_fields(inner, exclude))
            continue
        out.append(_param_text(param.name, annotation, param.default))
    return out


def _dataclass_fields(cls: type, exclude: Collection[str]) -> list[str]:
    hints = _hints_for(cls)
    out = []
    for field in dataclasses.fields(cls):
        if not field.init or field.name in exclude:
            continue
        annotation = hints.get(field.name, field.type if not isinstance(field.type, str) else _EMPTY)
        if field.default is not dataclasses.MISSING:
            default: Any = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = _Factory(field.default_factory)
        else:
            default = _EMPTY
        out.append(_param_text(field.name, annotation, default))
    return out


class _Factory:
    def __init__(self, factory: Any) -> None:
        self.factory = factory

    def __repr__(self) -> str:
        return f"{getattr(self.factory, '__name__', 'factory')}()"


def _param_text(name: str, annotation: Any, default: Any) -> str:
    typed = type_text(annotation)
    text = f"{name}: {typed}" if typed else name
    if default is not _EMPTY:
        text += f" = {default!r}"
    return text


def type_text(tp: Any) -> str:
    """A short, readable annotation: ``int``, ``int | None``, ``'id'|'name'``, ``list[str]``."""
    if tp is _EMPTY or tp is Any:
        return ""
    if tp is type(None):
        return "None"
    origin = get_origin(tp)
    if origin is Annotated:
        return type_text(get_args(tp)[0])
    if origin is Literal:
        return "|".join(repr(arg.value if isinstance(arg, enum.Enum) else arg) for arg in get_args(tp))
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_text(arg) or "Any" for arg in get_args(tp))
    if origin is not None:
        args = ", ".join(type_text(arg) or "Any" for arg in get_args(tp))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if isinstance(tp, type):
        return tp.__qualname__
    return repr(tp).replace("typing.", "")


def template_cell(view: type) -> str:
    """The view's template file (relative to the cwd when below it), or why there is none."""
    from .live_view import TemplateNotConfigured, renders_itself

    try:
        path = view.template_path()
    except TemplateNotConfigured:
        return _RENDERS_ITSELF if renders_itself(view) else _NO_TEMPLATE
    if path.is_file():
        return display_path(path)
    if renders_itself(view):
        return _RENDERS_ITSELF
    return f"{_NO_TEMPLATE} {display_path(path)} is missing"


def display_path(path: Path) -> str:
    try:
        cwd = Path.cwd().resolve()
        resolved = path.resolve()
        return os.path.relpath(resolved, cwd) if resolved.is_relative_to(cwd) else str(path)
    except (OSError, ValueError):
        return str(path)


# --- other routes -------------------------------------------------------------------------------


OTHER_HEADER = ["METHODS", "PATH", "ENDPOINT"]


def other_rows(app: Any) -> tuple[list[list[str]], list[str]]:
    """The app's Starlette routes that are not live views: (user rows, pyview's own paths)."""
    from .app import LIVE_SOCKET_PATH

    live_paths = {route.path for route in app.live_router.routes}
    ours: list[str] = []
    rows: list[list[str]] = []
    for route in app.routes:
        if isinstance(route, Route) and (route.name or "").startswith("live:") and route.path in live_paths:
            continue  # a live view's HTTP render: listed above
        if (route is getattr(getattr(app, "colocated_hooks", None), "route", None)
                or (isinstance(route, WebSocketRoute) and route.path == LIVE_SOCKET_PATH)
                or (isinstance(route, Mount) and route.name == "pyview_static")):
            ours.append(route.path)
            continue
        rows.append(_route_cells(route))
    return rows, ours


def _route_cells(route: BaseRoute) -> list[str]:
    if isinstance(route, Route):
        methods = sorted(route.methods or ())
        if "GET" in methods and "HEAD" in methods:
            methods.remove("HEAD")
        return [",".join(methods) or "ANY", route.path, _qualified(route.endpoint)]
    if isinstance(route, WebSocketRoute):
        return ["WS", route.path, _qualified(route.endpoint)]
    if isinstance(route, Mount):
        return ["MOUNT", route.path or "/", _mounted(route.app)]
    if isinstance(route, Host):
        return ["HOST", route.host, _mounted(route.app)]
    return [type(route).__name__, getattr(route, "path", "?"), ""]


def _mounted(app: Any) -> str:
    directory = getattr(app, "directory", None)
    if directory is not None:  # StaticFiles
        return f"{type(app).__name__} {display_path(Path(directory))}"
    routes = getattr(app, "routes", None)
    if isinstance(routes, list):
        return f"{_qualified(type(app))} ({len(routes)} route{'s' if len(routes) != 1 else ''})"
    return _describe_object(app)


def _qualified(obj: Any) -> str:
    """``module.Qualname`` of a class or function; a bound method as its function."""
    obj = getattr(obj, "__func__", obj)
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module and qualname:
        return f"{module}.{qualname}"
    return _describe_object(obj)


def _describe_object(obj: Any) -> str:
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    cls = type(obj)
    return cls.__name__ if cls.__module__ in ("builtins",) else f"{cls.__module__}.{cls.__qualname__} instance"


# --- output -------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart (the last one not padded)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return lines


def describe_routes(target: str, *, factory: bool = False) -> str:
    """The whole listing for ``target``, as ``pyview routes`` prints it."""
    app, wrappers = load_pyview(target, factory=factory)
    rows = live_rows(app)
    inside = f" (inside {' > '.join(wrappers)})" if wrappers else ""
    lines = [f"Live routes of {target}{inside}: {len(rows)}"]
    if rows:
        lines += table(LIVE_HEADER, [row.cells() for row in rows])
    else:
        lines.append("(none: add one with app.add_live_view(path, View))")
    other, ours = other_rows(app)
    lines += ["", f"Other routes: {len(other)}"]
    if other:
        lines += table(OTHER_HEADER, other)
    if ours:
        lines.append(f"(and pyview's own: {', '.join(ours)})")
    return "\n".join(lines)


# --- command line -------------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    """Register ``pyview routes`` on the ``pyview`` parser's subparsers."""
    p = sub.add_parser(
        "routes", help="list an app's live views (path, view, params, template) and other routes",
        description="List the live routes of a PyView app: path, view, live_session, path and query "
                    "parameters with their types, template file; then its other Starlette routes.",
    )
    p.add_argument("app", metavar="MODULE:APP", help="where the app is, e.g. examples.app:app")
    p.add_argument("--factory", action="store_true", help="MODULE:APP is a function that returns the app")
    p.set_defaults(handler=_routes_command)


def one_line_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report a ``ServeError`` from ``handler`` as ``cli.main`` does: one line, exit status 2.

    Done here rather than left to ``main`` because under ``python -m pyview_core.cli`` main's
    module is ``__main__``, whose ``ServeError`` is not the class this package imports.
    """

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except ServeError as exc:
            cause = exc.__cause__
            if cause is not None:  # the user's module or factory raised: their traceback helps them
                traceback.print_exception(type(cause), cause, _user_frames(cause.__traceback__), file=sys.stderr)
            print(f"pyview {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return run


@one_line_errors
def _routes_command(args: argparse.Namespace) -> int:
    print(describe_routes(args.app, factory=args.factory))
    return 0
