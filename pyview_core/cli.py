"""The ``pyview`` command: ``pyview serve module:app`` and ``pyview compile ...``.

    pyview serve examples.app:app                        # http://127.0.0.1:8000
    pyview serve myproject.web:create_app --factory --host 0.0.0.0 --port 8080
    pyview serve myproject.web:app --reload              # development: restart on file changes
    pyview compile templates/                            # precompile templates (pyview_templates.cli)

``serve`` runs one uvicorn worker with defaults measured for LiveView traffic (many small
WebSocket frames, render-heavy handlers) rather than uvicorn's general-purpose ones:

* the fastest event loop and HTTP parser that are installed: uvloop and httptools come with
  ``pip install 'pyview[fast]'``; without them asyncio and h11 are used, and the startup log
  line says which;
* no per-message deflate on the WebSocket. Phoenix's own default is ``compress: false``; for
  diffs of a few dozen bytes, zlib costs a large share of a click's server CPU and saves nothing;
* the garbage collector tuned for rendering: after the app has started (imports, templates,
  lifespan startup), everything alive is moved out of the collector's sight with
  ``gc.freeze()``, so full collections stop rescanning the long-lived heap, and the
  generation-0 threshold is raised (700 → 50,000) so that building a large tree is not
  interrupted by collections that find nothing: a 10,000-row tree is built with no collection
  at all, where the default runs several per build (see benchmarks/README.md).

Every default can be changed by a flag; ``pyview serve --help`` lists them. Mistakes in the
``module:app`` argument are one-line errors with exit status 2, not tracebacks.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import inspect
import logging
import os
import socket
import sys
import traceback
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Sequence

import uvicorn

EXIT_USAGE = 2
DEFAULT_GC_THRESHOLD = 50_000
LOOPS = ("auto", "asyncio", "uvloop")
HTTP_IMPLS = ("auto", "h11", "httptools")
WS_IMPLS = ("auto", "websockets-sansio", "websockets", "wsproto")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")

logger = logging.getLogger("uvicorn.error")  # uvicorn configures it: our line sits with its own


class ServeError(Exception):
    """A mistake in what ``serve`` was asked to do; ``main`` prints it on one line and exits 2."""


# --- what to serve ------------------------------------------------------------------------------


def load_app(target: str, *, factory: bool = False) -> Callable[..., Any]:
    """Import ``module:attribute`` and return the ASGI app it names (calling it if ``factory``).

    Every way this can go wrong is a ``ServeError`` with a message a user can act on; an
    exception raised by the module's own code while importing is chained, so that ``main`` can
    show the user's traceback (their bug) without showing ours.
    """
    module_name, colon, attr = target.partition(":")
    if not colon or not module_name or not attr:
        raise ServeError(f"expected MODULE:ATTRIBUTE (e.g. examples.app:app), got {target!r}")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m`: the app's package is found from the cwd
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ServeError(f"cannot import module {module_name!r}: no module named {exc.name!r}") from None
        raise ServeError(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - the user's module raised: report it, chained
        raise ServeError(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ServeError(f"module {module_name!r} has no attribute {attr!r}") from None
    if factory:
        if not callable(obj):
            raise ServeError(f"{target} is not callable, so it cannot be a --factory")
        try:
            obj = obj()
        except Exception as exc:  # noqa: BLE001
            raise ServeError(f"the factory {target} raised {type(exc).__name__}: {exc}") from exc
    problem = _not_asgi(obj)
    if problem:
        hint = "" if factory else " (if it builds the app, pass --factory)"
        raise ServeError(f"{target}{'()' if factory else ''} is not an ASGI app: {problem}{hint}")
    return obj


def _not_asgi(obj: Any) -> str | None:
    """Why ``obj`` cannot be an ASGI 3 app (``async def app(scope, receive, send)``), or None.

    Checked up front because uvicorn would otherwise fail on the first request, long after the
    user has stopped looking at the terminal.
    """
    if inspect.isclass(obj):
        return f"it is the class {obj.__name__}, not an instance of it"
    if not callable(obj):
        return f"it is a {type(obj).__name__}"
    call = obj if inspect.isroutine(obj) else getattr(obj, "__call__", None)
    if not inspect.iscoroutinefunction(call) and not inspect.iscoroutinefunction(obj):
        return f"calling it does not return a coroutine ({type(obj).__name__})"
    return None


# --- how to serve it ----------------------------------------------------------------------------


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@dataclass(frozen=True)
class ServeOptions:
    """The resolved server stack: what ``serve`` passes to uvicorn and logs at startup."""

    loop: str
    http: str
    ws: str
    ws_per_message_deflate: bool
    gc_freeze: bool
    gc_threshold: int | None

    def describe(self) -> str:
        """The one startup log line: which implementations are actually in use."""
        hint = ""
        if (self.loop, self.http) != ("uvloop", "httptools") and not (_installed("uvloop") and _installed("httptools")):
            hint = " (pip install 'pyview[fast]' adds uvloop and httptools)"
        gc_part = "gc " + ("frozen after startup" if self.gc_freeze else "not frozen")
        gc_part += f", gen-0 threshold {self.gc_threshold}" if self.gc_threshold else ", default thresholds"
        deflate = "on" if self.ws_per_message_deflate else "off"
        return (f"pyview serve: loop {self.loop}, http {self.http}, ws {self.ws} "
                f"(per-message deflate {deflate}), {gc_part}{hint}")


def resolve_options(
    *,
    loop: str = "auto",
    http: str = "auto",
    ws: str = "auto",
    ws_per_message_deflate: bool = False,
    gc_freeze: bool = True,
    gc_threshold: int | None = DEFAULT_GC_THRESHOLD,
) -> ServeOptions:
    """Turn ``auto`` into the implementation that will run, so the log line can name it.

    ``auto`` prefers the C implementations and falls back silently; naming one that is not
    installed is a ``ServeError`` (the user asked for it explicitly).
    """
    if loop not in LOOPS:
        raise ServeError(f"--loop must be one of {', '.join(LOOPS)}, got {loop!r}")
    if http not in HTTP_IMPLS:
        raise ServeError(f"--http must be one of {', '.join(HTTP_IMPLS)}, got {http!r}")
    if ws not in WS_IMPLS:
        raise ServeError(f"--ws must be one of {', '.join(WS_IMPLS)}, got {ws!r}")
    if loop == "auto":
        loop = "uvloop" if _installed("uvloop") else "asyncio"
    elif loop == "uvloop" and not _installed("uvloop"):
        raise ServeError("--loop uvloop: uvloop is not installed (pip install 'pyview[fast]')")
    if http == "auto":
        http = "httptools" if _installed("httptools") else "h11"
    elif http == "httptools" and not _installed("httptools"):
        raise ServeError("--http httptools: httptools is not installed (pip install 'pyview[fast]')")
    if ws == "auto":
        ws = "websockets-sansio" if _installed("websockets") else "wsproto"
    needs = "wsproto" if ws == "wsproto" else "websockets"
    if not _installed(needs):
        raise ServeError(f"--ws {ws}: the {needs} package is not installed")
    if gc_threshold is not None and gc_threshold < 1:
        raise ServeError(f"--gc-threshold must be a positive number of allocations, got {gc_threshold}")
    return ServeOptions(loop, http, ws, ws_per_message_deflate, gc_freeze, gc_threshold)


def tune_gc(options: ServeOptions) -> None:
    """Apply the collector settings; called once the app has started, in the serving process.

    Freezing after startup, not before, is the point: the imports, compiled templates, routes
    and whatever the app's lifespan built are what full collections would otherwise rescan on
    every pass for the life of the process.
    """
    if options.gc_threshold is not None:
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(options.gc_threshold, gen1, gen2)
    if options.gc_freeze:
        gc.collect()
        gc.freeze()


class TunedServer(uvicorn.Server):
    """A uvicorn ``Server`` that tunes the collector right after its startup.

    Hooking the server rather than wrapping the app makes it happen after the lifespan startup
    whether or not the app implements lifespan, and in the reloader's child process too (which
    is why this class lives at module level: the reloader pickles the server for its child).
    """

    pyview_options: ServeOptions | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit and self.pyview_options is not None:
            tune_gc(self.pyview_options)


def serve(
    app: str | Callable[..., Any],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
    factory: bool = False,
    workers: int = 1,
    loop: str = "auto",
    http: str = "auto",
    ws: str = "auto",
    ws_per_message_deflate: bool = False,
    gc_freeze: bool = True,
    gc_threshold: int | None = DEFAULT_GC_THRESHOLD,
    log_level: str = "info",
) -> None:
    """Serve ``app`` (``"module:attr"`` or an ASGI app object) with uvicorn until interrupted.

    Raises ``ServeError`` for anything the caller asked for that cannot be done, before the
    server starts; ``main`` turns it into a one-line message and exit status 2.
    """
    if workers != 1:
        raise ServeError(
            f"--workers {workers}: only 1 worker is supported for now (several workers need a "
            "shared pub/sub such as Redis, which pyview does not have yet)"
        )
    if log_level not in LOG_LEVELS:
        raise ServeError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    if not 0 <= port <= 65535:
        raise ServeError(f"--port must be between 0 and 65535, got {port}")
    options = resolve_options(loop=loop, http=http, ws=ws, ws_per_message_deflate=ws_per_message_deflate,
                              gc_freeze=gc_freeze, gc_threshold=gc_threshold)
    if isinstance(app, str):
        loaded = load_app(app, factory=factory)  # fail here, on one line, rather than inside uvicorn
    elif reload:
        raise ServeError("--reload needs the app as an import string (module:app)")
    else:
        loaded = app
        if _not_asgi(app):
            raise ServeError(f"{app!r} is not an ASGI app: {_not_asgi(app)}")

    config = uvicorn.Config(
        # The reloader's child imports the app itself; otherwise serve the object we checked.
        app if reload else loaded,
        host=host,
        port=port,
        reload=reload,
        factory=factory and reload,
        loop=options.loop,
        http=options.http,
        ws=options.ws,
        ws_per_message_deflate=options.ws_per_message_deflate,
        log_level=log_level,
    )
    server = TunedServer(config=config)
    server.pyview_options = options
    logger.info(options.describe())
    try:
        if reload:
            from uvicorn.supervisors import ChangeReload

            sock = config.bind_socket()
            ChangeReload(config, target=server.run, sockets=[sock]).run()
        else:
            server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown: that is a normal exit
        pass
    if not reload and not server.started:  # e.g. the port was taken: uvicorn has logged why
        raise SystemExit(3)


# --- command line -------------------------------------------------------------------------------


def _add_serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve an ASGI app (a PyView) with uvicorn, tuned for live views",
                       description="Serve MODULE:APP with one uvicorn worker, tuned for LiveView traffic.")
    p.add_argument("app", metavar="MODULE:APP", help="where the app is, e.g. examples.app:app")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to bind (default 8000; 0 picks a free one)")
    p.add_argument("--reload", action="store_true", help="restart when source files change (development)")
    p.add_argument("--factory", action="store_true", help="MODULE:APP is a function that returns the app")
    p.add_argument("--workers", type=int, default=1, help="worker processes; only 1 for now")
    p.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="default info")
    p.add_argument("--loop", default="auto", choices=LOOPS, help="event loop (default: uvloop if installed)")
    p.add_argument("--http", default="auto", choices=HTTP_IMPLS, help="HTTP parser (default: httptools if installed)")
    p.add_argument("--ws", default="auto", choices=WS_IMPLS,
                   help="WebSocket implementation (default: websockets-sansio)")
    p.add_argument("--ws-per-message-deflate", action=argparse.BooleanOptionalAction, default=False,
                   help="negotiate permessage-deflate (default off, as Phoenix)")
    p.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                   help="do not gc.freeze() the heap after startup")
    p.add_argument("--gc-threshold", type=int, default=DEFAULT_GC_THRESHOLD, metavar="N",
                   help=f"generation-0 collection threshold (default {DEFAULT_GC_THRESHOLD:,}; 0 keeps Python's)")
    p.set_defaults(handler=_serve_command)


def _serve_command(args: argparse.Namespace) -> int:
    serve(
        args.app,
        host=args.host,
        port=args.port,
        reload=args.reload,
        factory=args.factory,
        workers=args.workers,
        loop=args.loop,
        http=args.http,
        ws=args.ws,
        ws_per_message_deflate=args.ws_per_message_deflate,
        gc_freeze=args.gc_freeze,
        gc_threshold=args.gc_threshold or None,
        log_level=args.log_level,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``pyview`` parser; ``compile`` is listed here but parsed by ``pyview_templates.cli``."""
    parser = argparse.ArgumentParser(prog="pyview", description="pyview command-line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_serve_parser(sub)
    # Only for `pyview --help`: main() hands `compile ...` to the templates package unparsed, so
    # its flags are defined in one place.
    sub.add_parser("compile", add_help=False, help="precompile templates into Python modules (pyview compile --help)")
    return parser


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """Drop the leading frames of this module and of the import machinery from a traceback."""
    importlib_dir = os.path.dirname(importlib.__file__)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename != __file__ and not filename.startswith(("<frozen importlib", importlib_dir)):
            break
        tb = tb.tb_next
    return tb


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyview`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["compile"]:
        from pyview_templates import cli as templates_cli

        return templates_cli.main(argv)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ServeError as exc:
        cause = exc.__cause__
        if cause is not None:  # the user's module or factory raised: their traceback helps them
            traceback.print_exception(type(cause), cause, _user_frames(cause.__traceback__), file=sys.stderr)
        print(f"pyview {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
