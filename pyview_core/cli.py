"""The ``pyview`` command: ``pyview serve module:app`` and ``pyview compile ...``.

    pyview serve examples.app:app                        # http://127.0.0.1:8000
    pyview serve myproject.web:create_app --factory --host 0.0.0.0 --port 8080
    pyview serve myproject.web:app --reload              # development: restart on file changes
    PYVIEW_PUBSUB_URL=redis://localhost:6379/0 pyview serve myproject.web:app --workers 4
    pyview compile templates/                            # precompile templates (pyview_templates.cli)

``serve`` runs uvicorn with defaults measured for LiveView traffic (many small WebSocket
frames, render-heavy handlers) rather than uvicorn's general-purpose ones:

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
  at all, where the default runs several per build (see benchmarks/README.md). With several
  workers, each tunes its own collector once its app has started.

One worker (the default) is one process. ``--workers N`` runs N of them behind uvicorn's
process supervisor, all accepting on one socket, so that render-heavy traffic uses N cores.
The workers share nothing but what the app keeps outside them, which is why it is refused
unless two things are shared:

* the pub/sub: a broadcast must reach the views on every worker, and the in-memory default
  only reaches its own process's. Set ``PYVIEW_PUBSUB_URL=redis://host:6379/0`` (or pass
  ``pubsub=RedisPubSub(...)`` to ``PyView``); ``serve`` exits with status 2 otherwise.
* the signing secret: a page rendered by one worker is joined over a WebSocket that may land
  on another, which must accept its tokens and session cookie. When ``PYVIEW_SECRET_KEY`` is
  not set, ``serve`` generates one development secret and hands it to every worker (it logs
  so; sessions do not survive a restart). Production still requires a fixed one.

The same two settings let separate ``pyview serve`` processes (on several ports or machines,
behind any load balancer) serve one app without sticky sessions.

``--reload`` is the development loop. uvicorn's reloader (watchfiles) restarts the worker when a
Python file changes, and only then: templates, stylesheets, scripts and the compiled templates in
``__pyview__/`` never restart it. ``serve`` sets ``PYVIEW_RELOAD=1`` for the worker, whose app then
watches templates, stylesheets and scripts itself and updates the open pages in place
(``pyview_core/dev_reload.py``); and, as for several workers, it generates one development
secret for the worker and every restart of it (when ``PYVIEW_SECRET_KEY`` is unset), so the pages
of the worker before a restart rejoin the next one by themselves.

Every default can be changed by a flag; ``pyview serve --help`` lists them. Mistakes in the
``module:app`` argument are one-line errors with exit status 2, not tracebacks.
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib
import importlib.util
import inspect
import logging
import os
import secrets
import socket
import sys
import traceback
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Sequence

import uvicorn
import uvicorn.config

from .dev_errors import RELOAD_ENV
from .pubsub import PUBSUB_URL_ENV
from .security import SECRET_ENV, ConfigurationError, production_from_env, resolve_secret

EXIT_USAGE = 2
DEFAULT_GC_THRESHOLD = 50_000
LOOPS = ("auto", "asyncio", "uvloop")
HTTP_IMPLS = ("auto", "h11", "httptools")
WS_IMPLS = ("auto", "websockets-sansio", "websockets", "wsproto")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
# What never restarts the reloaded worker (uvicorn only watches *.py by default; these say it, and
# keep it so): the compiled templates pyview writes, and what the worker's app reloads in place.
RELOAD_EXCLUDES = ["__pyview__/*", "*.html", "*.css", "*.js", "*.mjs"]

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
    workers: int = 1

    def describe(self) -> str:
        """The one startup log line: which implementations are actually in use."""
        hint = ""
        if (self.loop, self.http) != ("uvloop", "httptools") and not (_installed("uvloop") and _installed("httptools")):
            hint = " (pip install 'pyview[fast]' adds uvloop and httptools)"
        gc_part = "gc " + ("frozen after startup" if self.gc_freeze else "not frozen")
        gc_part += f", gen-0 threshold {self.gc_threshold}" if self.gc_threshold else ", default thresholds"
        deflate = "on" if self.ws_per_message_deflate else "off"
        workers = f"{self.workers} workers, " if self.workers > 1 else ""
        return (f"pyview serve: {workers}loop {self.loop}, http {self.http}, ws {self.ws} "
                f"(per-message deflate {deflate}), {gc_part}{hint}")


def resolve_options(
    *,
    loop: str = "auto",
    http: str = "auto",
    ws: str = "auto",
    ws_per_message_deflate: bool = False,
    gc_freeze: bool = True,
    gc_threshold: int | None = DEFAULT_GC_THRESHOLD,
    workers: int = 1,
) -> ServeOptions:
    """Turn ``auto`` into the implementation that will run, so the log line can name it.

    ``auto`` prefers the C implementations and falls back silently; naming one that is not
    installed is a ``ServeError`` (the user asked for it explicitly).
    """
    if workers < 1:
        raise ServeError(f"--workers must be at least 1, got {workers}")
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
    return ServeOptions(loop, http, ws, ws_per_message_deflate, gc_freeze, gc_threshold, workers)


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


class WorkerConfig(uvicorn.Config):
    """The uvicorn ``Config`` handed (pickled) to each worker of ``--workers N``; it tunes the
    worker's collector once the app has started in that worker.

    uvicorn's process supervisor builds each worker's ``uvicorn.Server`` itself, inside the
    worker (its ``Multiprocess`` takes no ``target`` since uvicorn 0.51), so a ``TunedServer``
    cannot be handed over. The config can: when the worker loads it, the app's lifespan is
    wrapped so that ``tune_gc`` runs right after the lifespan startup (the imports, templates
    and whatever the startup built are all alive by then), whether or not the app implements
    lifespan. Module-level, as the worker unpickles it.
    """

    pyview_options: ServeOptions | None = None

    def load(self) -> None:
        super().load()
        if self.pyview_options is not None:
            self.lifespan_class = _tuned_lifespan(self.lifespan_class, self.pyview_options)


def _tuned_lifespan(base: type, options: ServeOptions) -> type:
    """A subclass of uvicorn's lifespan class ``base`` that tunes the collector after startup."""

    class TunedLifespan(base):  # type: ignore[valid-type, misc]
        async def startup(self) -> None:
            await super().startup()
            if not self.should_exit:  # else the startup failed and the worker is about to exit
                tune_gc(options)

    return TunedLifespan


def log_config(log_level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration, plus pyview's own logger on uvicorn's handler.

    Without it, pyview's INFO lines (pub/sub connected, presence reaping) would be dropped and
    its warnings printed unformatted by Python's last-resort handler; ``--log-level`` sets both.
    """
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    level = uvicorn.config.LOG_LEVELS.get(log_level, logging.INFO)
    config["loggers"]["pyview_core"] = {"handlers": ["default"], "level": level, "propagate": False}
    return config


def _check_workers_share_pubsub(app: Any, target: str, workers: int) -> None:
    """Refuse several workers when a broadcast could not reach the views on the other workers."""
    pubsub = getattr(app, "pubsub", None)
    if pubsub is None:
        reason = f"{target} has no pub/sub (it is a {type(app).__name__}, not a PyView)"
    elif getattr(pubsub, "process_local", True):
        reason = (f"the app's pub/sub ({type(pubsub).__name__}) is process-local: it only reaches "
                  "the views in its own process")
    else:
        return
    raise ServeError(
        f"--workers {workers}: {reason}. Each worker is a separate process, so a broadcast would "
        f"not reach users connected to the other workers. Use a shared broker: set "
        f"{PUBSUB_URL_ENV}=redis://host:6379/0, or pass pubsub=RedisPubSub(...) to PyView"
    )


def _refuse_generated_secret_in_production(app: Any) -> None:
    """An app built with ``production=True`` must not run on the secret ``serve`` generated.

    ``PYVIEW_ENV=production`` is seen before the secret is generated (none is); an app that
    sets ``production=True`` in code is only seen once imported, and if it signs with the
    generated secret, ``resolve_secret``'s own refusal is raised, as with one worker.
    """
    if getattr(app, "production", False) is not True or not getattr(app, "secret_from_environment", False):
        return  # not production, or the app passes secret_key= itself
    del os.environ[SECRET_ENV]
    try:
        resolve_secret(None, production=True)
    except ConfigurationError as exc:  # its message is the one to show
        raise ServeError(str(exc)) from None


def _run_workers(config: WorkerConfig) -> None:
    """Bind the socket here and run ``config.workers`` worker processes on it until interrupted."""
    from uvicorn.supervisors import Multiprocess

    try:
        sockets = [config.bind_socket()]
    except SystemExit:  # e.g. the port is taken: uvicorn has logged why
        raise SystemExit(3) from None
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn < 0.51: the parent passes the target
        supervisor = Multiprocess(config, target=uvicorn.Server(config=config).run, sockets=sockets)
    else:
        supervisor = Multiprocess(config, sockets=sockets)
    supervisor.run()
    startup_failure = getattr(uvicorn.config, "STARTUP_FAILURE", 3)
    if any(getattr(process, "exitcode", None) == startup_failure for process in supervisor.processes):
        raise SystemExit(3)  # a worker could not start its app: uvicorn has logged why


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

    With ``workers > 1``, ``app`` must be an import string (each worker imports it), its
    pub/sub must not be process-local, and when ``PYVIEW_SECRET_KEY`` is not set a development
    secret is generated here and shared by the workers (through their environment).

    Raises ``ServeError`` for anything the caller asked for that cannot be done, before the
    server starts; ``main`` turns it into a one-line message and exit status 2.
    """
    if log_level not in LOG_LEVELS:
        raise ServeError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    if not 0 <= port <= 65535:
        raise ServeError(f"--port must be between 0 and 65535, got {port}")
    options = resolve_options(loop=loop, http=http, ws=ws, ws_per_message_deflate=ws_per_message_deflate,
                              gc_freeze=gc_freeze, gc_threshold=gc_threshold, workers=workers)
    if workers > 1:
        if not isinstance(app, str):
            raise ServeError(f"--workers {workers} needs the app as an import string (module:app): "
                             "each worker process imports it")
        if reload:
            raise ServeError(f"--workers {workers} cannot be combined with --reload (the reloader restarts "
                             "one process): use --reload with one worker in development")
    generated_secret = None
    if (workers > 1 or reload) and not os.environ.get(SECRET_ENV) and not production_from_env():
        # Before the app is imported, here and in the workers (or the reloader's worker and each
        # restart of it), which inherit the environment: otherwise each would sign with a random
        # secret of its own, and a page rendered by one could not be joined on another.
        generated_secret = secrets.token_urlsafe(48)
        os.environ[SECRET_ENV] = generated_secret
    reload_flag = None
    if reload and RELOAD_ENV not in os.environ:
        reload_flag = os.environ[RELOAD_ENV] = "1"  # the worker's app watches templates and assets
    try:
        _serve(app, options, host=host, port=port, reload=reload, factory=factory,
               log_level=log_level, generated_secret=generated_secret)
    finally:
        # serve() called in-process leaves the environment as it found it
        if generated_secret is not None and os.environ.get(SECRET_ENV) == generated_secret:
            del os.environ[SECRET_ENV]
        if reload_flag is not None and os.environ.get(RELOAD_ENV) == reload_flag:
            del os.environ[RELOAD_ENV]


def _serve(
    app: str | Callable[..., Any],
    options: ServeOptions,
    *,
    host: str,
    port: int,
    reload: bool,
    factory: bool,
    log_level: str,
    generated_secret: str | None,
) -> None:
    workers = options.workers
    if reload:
        try:
            from uvicorn.supervisors.watchfilesreload import WatchFilesReload
        except ImportError:
            raise ServeError("--reload needs the watchfiles package (pip install watchfiles)") from None
    if isinstance(app, str):
        loaded = load_app(app, factory=factory)  # fail here, on one line, rather than inside uvicorn
    elif reload:
        raise ServeError("--reload needs the app as an import string (module:app)")
    else:
        loaded = app
        if _not_asgi(app):
            raise ServeError(f"{app!r} is not an ASGI app: {_not_asgi(app)}")
    if workers > 1:
        assert isinstance(app, str)
        _check_workers_share_pubsub(loaded, app, workers)
    if generated_secret is not None:
        _refuse_generated_secret_in_production(loaded)

    separate_processes = reload or workers > 1
    config = (WorkerConfig if workers > 1 else uvicorn.Config)(
        # The reloader's child and the workers import the app themselves; otherwise serve the
        # object we checked.
        app if separate_processes else loaded,
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        factory=factory and separate_processes,
        loop=options.loop,
        http=options.http,
        ws=options.ws,
        ws_per_message_deflate=options.ws_per_message_deflate,
        log_level=log_level,
        log_config=log_config(log_level),
        **({"reload_excludes": RELOAD_EXCLUDES} if reload else {}),
    )
    logger.info(options.describe())
    if workers > 1:
        if generated_secret is not None:
            logger.warning(
                "pyview serve: %s is not set: generated a development secret, shared by the %d workers "
                "(sessions and signed tokens will not survive a restart; a fixed one is required in production)",
                SECRET_ENV, workers,
            )
        assert isinstance(config, WorkerConfig)
        config.pyview_options = options
        try:
            _run_workers(config)
        except KeyboardInterrupt:  # before the supervisor has installed its signal handlers
            pass
        return
    server = TunedServer(config=config)
    server.pyview_options = options
    try:
        if reload:
            if generated_secret is not None:
                logger.warning(
                    "pyview serve: %s is not set: generated a development secret, kept across the worker's "
                    "restarts so that open pages rejoin (sessions end when pyview serve stops; a fixed one is "
                    "required in production)", SECRET_ENV,
                )
            sock = config.bind_socket()
            WatchFilesReload(config, target=server.run, sockets=[sock]).run()
        else:
            server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown: that is a normal exit
        pass
    if not reload and not server.started:  # e.g. the port was taken: uvicorn has logged why
        raise SystemExit(3)


# --- command line -------------------------------------------------------------------------------


def _add_serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve an ASGI app (a PyView) with uvicorn, tuned for live views",
                       description="Serve MODULE:APP with uvicorn, tuned for LiveView traffic.")
    p.add_argument("app", metavar="MODULE:APP", help="where the app is, e.g. examples.app:app")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to bind (default 8000; 0 picks a free one)")
    p.add_argument("--reload", action="store_true",
                   help="development: templates, CSS and JS update the open pages; Python changes restart the worker")
    p.add_argument("--factory", action="store_true", help="MODULE:APP is a function that returns the app")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help=f"worker processes (default 1). More than 1 needs a shared pub/sub "
                        f"({PUBSUB_URL_ENV}=redis://host:6379/0) and one {SECRET_ENV} for all "
                        "(generated for development when unset); not with --reload")
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
    from . import cli_routes, scaffold  # `pyview new` and `pyview routes` (their modules import this one)
    scaffold.add_parser(sub)
    cli_routes.add_parser(sub)
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
