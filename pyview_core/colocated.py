"""Colocated hooks: ``<module>.js`` beside a view's module holds the client hooks of its page.

    # examples/js/js.js, next to examples/js/js.py (whose view the app serves)
    export const AskServer = {
      mounted() { this.pushEvent("ask", {}, (reply) => { this.el.textContent = reply.answer }) },
    };

Every named export of the file is a hook under that name (``phx-hook="AskServer"``). The files are
ES modules the browser loads as they are: no bundler, no build step, and ``import`` works as it
does in any module.

What the app serves (found when ``add_live_view`` registers a view, never on a request):

* ``/static/pyview/hooks/<module>-<hash>.js``: each file, ``<module>`` the view's module (so the
  URL in a browser error names the file) and ``<hash>`` a digest of its bytes, for cache-busting;
* an entry module that imports them all and adds their exports to ``window.pyview.hooks``:
  ``/static/pyview/hooks/entry-<hash>.mjs`` in production (cached for good, since its URL changes
  with any file), ``/static/pyview/hooks/entry.mjs`` in development.

Every page of the app loads the entry (``<script type="module" phx-track-static>``, placed right
before ``app.js``), so live navigation to another view finds that view's hooks too. Deferred
classic scripts and module scripts without ``async`` execute in document order once the document
is parsed, each module only after everything it imports has loaded: the hooks are registered
before ``app.js`` creates the ``LiveSocket``.

Development (``PyView(production=False)``): each request for the entry compares the files' mtime
and size (in a worker thread) and re-reads the changed ones, so an edited file is loaded on the
next page load. A ``.js`` file created after startup needs a restart.

Two files exporting the same name are an error at startup, naming both. Whether a file is valid
JavaScript is for the browser to say (its console names the URL); the log says which file is
served at which URL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .js_exports import Exports, scan_exports
from .routing import LiveRoute

__all__ = ["PREFIX", "ColocatedHooks", "HookFile", "HookNameConflict", "hook_path", "load_hook_file"]

logger = logging.getLogger("pyview_core")

PREFIX = "/static/pyview/hooks"
DEV_ENTRY = "entry.mjs"
_MEDIA_TYPE = "text/javascript; charset=utf-8"
_IMMUTABLE = "public, max-age=31536000, immutable"


class HookNameConflict(ValueError):
    """Two colocated hook files export the same hook name."""


@dataclass(frozen=True)
class HookFile:
    """One colocated file as read from disk: its bytes, their digest and the hooks it exports."""

    module: str  # the view's module: names the file in its URL
    path: Path
    source: bytes
    digest: str
    exports: Exports
    stamp: tuple[int, int]  # (mtime_ns, size) when read: how development notices an edit

    @property
    def url(self) -> str:
        return f"{PREFIX}/{self.module}-{self.digest}.js"

    @property
    def names(self) -> tuple[str, ...]:
        return self.exports.names


def hook_path(view: type) -> Optional[Path]:
    """Where ``view``'s colocated hooks would be: ``<module>.js`` beside the file of its module
    (None for a module without a file)."""
    module_file = getattr(sys.modules.get(view.__module__), "__file__", None)
    if not module_file:
        return None
    return Path(module_file).resolve().with_suffix(".js")


def load_hook_file(module: str, path: Path) -> HookFile:
    """Read and scan ``path`` (blocking: at startup or in a worker thread)."""
    stat = path.stat()
    source = path.read_bytes()
    return HookFile(
        module=module,
        path=path,
        source=source,
        digest=_digest(source),
        exports=scan_exports(source.decode("utf-8", errors="replace")),
        stamp=(stat.st_mtime_ns, stat.st_size),
    )


class ColocatedHooks:
    """The colocated hook files of an app's live views, the entry module, and their route.

    ``scripts`` is the page's script list (``PageConfig.scripts``): the entry's URL is kept in it,
    right before ``before`` (the bootstrap, ``app.js``), once there is at least one file; an app
    without colocated hooks renders exactly the pages it did before.
    """

    def __init__(self, *, development: bool, scripts: list[str], before: str) -> None:
        self.development = development
        self._scripts = scripts
        self._before = before
        self._seen: set[type] = set()
        # Replaced, never mutated, so requests on the event loop read them without the lock.
        self._files: dict[Path, HookFile] = {}
        self._by_module: dict[str, HookFile] = {}
        self._missing: frozenset[Path] = frozenset()
        self._entry: Optional[tuple[str, str, str]] = None  # (url, source, etag)
        self._lock = threading.Lock()  # development refreshes run in worker threads
        self.route = Route(PREFIX + "/{name}", self._serve, methods=["GET"], name="pyview_hooks")

    # --- registration (startup) ------------------------------------------------------------------

    def discover(self, routes: Iterable[LiveRoute]) -> None:
        """Register the colocated files of the views in ``routes`` not seen before (blocking reads:
        call it when views are added, e.g. from ``add_live_view``, not per request).

        Raises ``HookNameConflict`` when a new file exports a hook name another file exports.
        """
        with self._lock:
            files = dict(self._files)
            added: list[HookFile] = []
            for route in routes:
                view = route.view
                if view in self._seen:
                    continue
                path = hook_path(view)
                if path is not None and path not in files and path.is_file():
                    hook_file = load_hook_file(view.__module__, path)
                    conflict = _conflict(hook_file, files.values())
                    if conflict:
                        raise HookNameConflict(conflict)
                    files[path] = hook_file
                    added.append(hook_file)
                self._seen.add(view)
            if added:
                self._install(files, self._missing)
                for hook_file in added:
                    _log_served(hook_file, "serving")

    # --- development ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the files whose mtime or size changed (blocking: a worker thread's job)."""
        with self._lock:
            files = dict(self._files)
            missing = set(self._missing)
            changed = False
            for path, old in self._files.items():
                try:
                    stat = path.stat()
                except OSError:
                    if path not in missing:
                        logger.warning("colocated hooks %s are gone: no longer loaded (restore the file to bring them back)", path)
                        missing.add(path)
                        changed = True
                    continue
                if path in missing:
                    missing.discard(path)
                    changed = True
                if (stat.st_mtime_ns, stat.st_size) == old.stamp:
                    continue
                try:
                    new = load_hook_file(old.module, path)
                except OSError as exc:
                    logger.warning("colocated hooks %s could not be read again (%s): serving the previous version", path, exc)
                    continue
                files[path] = new
                changed = True
                if new.digest != old.digest:
                    _log_served(new, "reloaded")
                    conflict = _conflict(new, (f for p, f in files.items() if p not in missing))
                    if conflict:
                        logger.warning("%s (in the browser, the file loaded last wins)", conflict)
            if changed:
                self._install(files, frozenset(missing))

    # --- what pages and the route read --------------------------------------------------------

    @property
    def files(self) -> tuple[HookFile, ...]:
        """The files the entry imports, in registration order."""
        return tuple(f for path, f in self._files.items() if path not in self._missing)

    @property
    def entry_url(self) -> Optional[str]:
        """The entry module's URL (None while there are no files)."""
        return self._entry[0] if self._entry else None

    def entry_source(self) -> str:
        """The entry module: imports every file and adds its named exports to ``window.pyview.hooks``."""
        return self._entry[1] if self._entry else _entry_source(())

    # --- internals -----------------------------------------------------------------------------

    def _install(self, files: dict[Path, HookFile], missing: frozenset[Path]) -> None:
        """Publish a new set of files: the entry, the lookup by module, the page's script list."""
        served = [f for path, f in files.items() if path not in missing]
        source = _entry_source(served)
        digest = _digest(source.encode("utf-8"))
        url = f"{PREFIX}/{DEV_ENTRY}" if self.development else f"{PREFIX}/entry-{digest}.mjs"
        old_url = self.entry_url
        self._files = files
        self._missing = missing
        self._by_module = {f.module: f for f in served}
        self._entry = (url, source, f'"{digest}"')
        if url != old_url:
            scripts = self._scripts
            if old_url in scripts:
                scripts.remove(old_url)
            scripts.insert(scripts.index(self._before) if self._before in scripts else len(scripts), url)

    async def _serve(self, request: Request) -> Response:
        name = request.path_params["name"]
        entry = self._entry
        if entry is not None and name == entry[0].rpartition("/")[2]:
            if self.development:
                await run_in_threadpool(self.refresh)
                entry = self._entry or entry
            return _javascript(request, entry[1].encode("utf-8"), entry[2], self.development)
        module, _, rest = name.rpartition("-")
        hook_file = self._by_module.get(module)
        # Production serves exactly the hashed version; development the current one, never cached
        # without asking (an old page may ask for an old hash while the file is being edited).
        if hook_file is None or (rest != f"{hook_file.digest}.js" and not self.development):
            return PlainTextResponse("Not Found", status_code=404)
        return _javascript(request, hook_file.source, f'"{hook_file.digest}"', self.development)


def _entry_source(files: Iterable[HookFile]) -> str:
    files = list(files)
    lines = [
        "// pyview: the colocated hooks of this app's live views (generated by pyview_core/colocated.py).",
        "// It runs before app.js, which hands window.pyview.hooks to the LiveSocket.",
    ]
    for i, hook_file in enumerate(files):
        lines.append(f"import * as m{i} from {json.dumps(hook_file.url)};")
    pairs = ", ".join(f"[{json.dumps(f.module)}, m{i}]" for i, f in enumerate(files))
    lines.append(f"""const files = [{pairs}];
const pyview = (window.pyview = window.pyview || {{}});
const hooks = (pyview.hooks = pyview.hooks || {{}});
const from = {{}};
for (const [file, exports] of files) {{
  for (const [name, hook] of Object.entries(exports)) {{
    if (name === "default") continue;  // hooks are named exports
    if (name in from) console.error(`pyview: hook ${{name}} is exported by ${{from[name]}} and by ${{file}}; ${{file}}'s is used`);
    else if (name in hooks) console.warn(`pyview: hook ${{name}} from ${{file}} replaces one registered before it`);
    hooks[name] = hook;
    from[name] = file;
  }}
}}
pyview.colocated = Object.keys(from);
""")
    return "\n".join(lines)


def _javascript(request: Request, body: bytes, etag: str, development: bool) -> Response:
    headers = {"ETag": etag, "Cache-Control": "no-cache" if development else _IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=_MEDIA_TYPE, headers=headers)


def _conflict(new: HookFile, others: Iterable[HookFile]) -> Optional[str]:
    """The message for the first hook name ``new`` shares with another file, or None."""
    for other in others:
        if other.path == new.path:
            continue
        shared = [name for name in new.names if name in other.names]
        if shared:
            return (
                f"colocated hook {shared[0]!r} is exported by both {other.path} and {new.path}: hook names "
                "are global to the page (every page loads every view's hooks), so rename one of them"
            )
    return None


def _log_served(hook_file: HookFile, what: str) -> None:
    exports = hook_file.exports
    names = ", ".join(exports.names) or "no hooks"
    logger.info("colocated hooks %s: %s %s at %s", names, what, hook_file.path, hook_file.url)
    if not exports.names and not exports.star and not exports.patterns:
        logger.warning(
            "colocated hooks %s export no named hook (served at %s): write `export const MyHook = { mounted() {...} }`",
            hook_file.path, hook_file.url,
        )
    if exports.default:
        logger.warning("colocated hooks %s: the default export is ignored, hooks are named exports", hook_file.path)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]
