"""The disk cache of compiled templates: deciding whether a cached module may run, and writing one.

A cached module is Python code found on disk, so two rules shape this module:

* **Freshness is decided before anything executes.** The header a generated module starts with
  (``NAME``, ``COMPILER_VERSION``, ``SOURCES``: literal assignments, see ``compiler.py``) is read
  as text and compared with the current template sources; only a module that is current is
  imported. A stale module (a template edited since, even with its mtime unchanged, or another
  compiler version) never runs, so its code cannot fail, or do anything, on the way to being
  replaced.
* **A cached module that cannot be read or imported is replaced, loudly.** The caller recompiles
  the template and overwrites the file; a WARNING on the ``pyview_templates`` logger names the
  file and the error, so a cache that keeps breaking (a disk problem, a compiler bug) is seen.

Files are written with an explicit mode (``os.open(..., 0o666)``, which the kernel filters
through the process umask as it does for any new file) and moved into place with
``os.replace``: readers see the old module or the new one, never a partial one, and the process
umask is never touched (setting it, even briefly, would apply to files every other thread
creates meanwhile).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import linecache
import logging
import os
import re
import secrets
import threading
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .moduleinfo import COMPILER_VERSION

logger = logging.getLogger("pyview_templates")

#: Requested for every cached module; the kernel takes the process umask off as it creates the
#: file (0o644 under the usual 022), so compiled templates are as readable as other modules.
FILE_MODE = 0o666

_HEADER_FIELDS = ("NAME", "COMPILER_VERSION", "SOURCES")
# A header assignment starts a line; a definition at the start of a line means the code began.
_FIELD_LINE = re.compile(r"(NAME|COMPILER_VERSION|SOURCES)\s*=")
_CODE_LINE = re.compile(r"(?:def|class|async|@)\b")


class CacheFileError(ValueError):
    """A cached module's header cannot be read: the file is not (or no longer) a generated module."""


@dataclass(frozen=True)
class ModuleHeader:
    """What a generated module records about itself, read from its text."""

    name: str
    compiler_version: int
    sources: dict[str, str]  # template name -> sha256 of its normalized source


def read_header(path: Path) -> ModuleHeader:
    """The header of the generated module at ``path``, read without executing any of it.

    Scans line starts for the three assignments and tokenizes only those statements (a value
    may span lines), stopping once all three are read: the statics and the code after them are
    never looked at. Raises ``CacheFileError`` when the text is not a generated module's,
    ``OSError`` when the file cannot be read.
    """
    values: dict[str, object] = {}
    try:
        with open(path, encoding="utf-8") as f:
            while len(values) < len(_HEADER_FIELDS):
                line = f.readline()
                if not line or _CODE_LINE.match(line):
                    break
                found = _FIELD_LINE.match(line)
                if found is not None:
                    values[found.group(1)] = _literal_assignment(_statement(line, f.readline))
    except (UnicodeDecodeError, tokenize.TokenError, SyntaxError) as exc:
        raise CacheFileError(f"not a generated template module ({type(exc).__name__}: {exc})") from None
    return _header(values)


def _statement(first: str, readline: Callable[[], str]) -> str:
    """The text of the statement starting with line ``first``, reading more lines as it needs."""
    lines: list[str] = []

    def more() -> str:
        line = readline() if lines else first
        lines.append(line)
        return line

    for tok in tokenize.generate_tokens(more):
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            break
    return "".join(lines)


def _literal_assignment(statement: str) -> object:
    try:
        body = ast.parse(statement).body
        if len(body) != 1 or not isinstance(body[0], ast.Assign):
            raise ValueError("not a plain assignment")
        return ast.literal_eval(body[0].value)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError) as exc:
        raise CacheFileError(f"unreadable header line {statement.strip()[:80]!r} ({exc})") from None


def _header(values: dict[str, object]) -> ModuleHeader:
    missing = [f for f in _HEADER_FIELDS if f not in values]
    if missing:
        raise CacheFileError(f"no {', '.join(missing)} in the module header")
    name, version, sources = values["NAME"], values["COMPILER_VERSION"], values["SOURCES"]
    if not (
        isinstance(name, str)
        and type(version) is int
        and isinstance(sources, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in sources.items())
    ):
        raise CacheFileError("the module header has values of the wrong types")
    return ModuleHeader(name, version, sources)


def stale_reason(header: ModuleHeader, name: str, current_hash: Callable[[str], str | None]) -> str | None:
    """Why a module with this header must not be used for template ``name`` (None: it is current).

    ``current_hash(dep)`` is the hash of ``dep``'s source now (None when it is gone).
    """
    if header.compiler_version != COMPILER_VERSION:
        return f"compiled by compiler version {header.compiler_version}, this is {COMPILER_VERSION}"
    if header.name != name:
        return f"compiled from template {header.name!r}"
    for dep, digest in header.sources.items():
        if current_hash(dep) != digest:
            return f"{dep!r} changed since"
    return None


def load_module(path: Path, name: str, current_hash: Callable[[str], str | None]) -> ModuleType | None:
    """The cached module of template ``name`` if it exists and is current, else None (recompile).

    Stale modules are skipped without being executed; unreadable or failing ones are logged.
    """
    try:
        header = read_header(path)
    except (FileNotFoundError, NotADirectoryError):  # nothing cached (yet)
        return None
    except (OSError, CacheFileError) as exc:
        logger.warning("compiled template %s cannot be read (%s); recompiling %r", path, exc, name)
        return None
    reason = stale_reason(header, name, current_hash)
    if reason is not None:
        logger.debug("compiled template %s is stale (%s); recompiling %r", path, reason, name)
        return None
    try:
        module = _exec_file(path)
    except Exception as exc:  # whatever the file does wrong, the template is compiled afresh
        logger.warning(
            "compiled template %s failed to import (%s: %s); recompiling %r", path, type(exc).__name__, exc, name
        )
        return None
    if not callable(getattr(module, "bind", None)):
        logger.warning("compiled template %s has no bind() function; recompiling %r", path, name)
        return None
    if getattr(module, "SOURCES", None) != header.sources:
        # The code that ran is not the text whose header was checked: bytecode in __pycache__
        # from an earlier file with the same size and mtime, or a file replaced in between.
        logger.warning("compiled template %s does not match its own header (stale bytecode?); recompiling %r", path, name)
        return None
    return module


def _exec_file(path: Path) -> ModuleType:
    """Import a module from its file, through Python's bytecode cache, without registering it."""
    mod_name = "pyview_template__" + hashlib.blake2b(str(path).encode(), digest_size=8).hexdigest()
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no loader for {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_module(path: Path, source: str) -> bool:
    """Write a compiled module atomically; False when the folder is not writable (then memory only).

    Concurrent writers (threads, processes) each write their own temporary file and the last
    ``os.replace`` wins; all of them wrote a complete module, so any winner is a valid one.
    """
    data = source.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if path.read_bytes() == data:
                return True
        except FileNotFoundError:
            pass
        # Unique per writer: the pid for processes, the thread id and a random part for threads.
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return False
    _forget_derived(path)
    return True


def _forget_derived(path: Path) -> None:
    """Drop what was derived from the file's previous contents.

    Python validates ``__pycache__`` bytecode by the source's mtime (whole seconds) and size, so
    a module rewritten within the same second with the same size would otherwise import the old
    bytecode. linecache (tracebacks, error notes) may hold the old lines.
    """
    linecache.cache.pop(str(path), None)
    try:
        os.unlink(importlib.util.cache_from_source(str(path)))
    except (OSError, NotImplementedError, ValueError):
        pass
