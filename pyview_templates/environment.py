"""Environments (filters, globals, loader, caches) and compiled Templates.

Compiling imports the parser (and lark) lazily: an application whose templates
were precompiled with ``pyview compile`` never imports lark at all.
"""

from __future__ import annotations

import functools
import hashlib
import linecache
import threading
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from .diskcache import load_module, write_module
from .errors import TemplateNotFound, TemplateSyntaxError
from .loaders import BaseLoader, DictLoader, TemplateSource
from .tree import Rendered, join
from .undefined import Undefined, UndefinedError

_default_filters: dict[str, Callable[..., Any]] = {}


def _register_into(registry: dict[str, Callable], name: str | Callable | None, func: Callable | None):
    """``register(name, func)``, ``@register`` or ``@register("name")`` into ``registry``."""
    if callable(name):
        registry[name.__name__] = name
        return name
    if func is not None:
        registry[name or func.__name__] = func
        return func

    def deco(f: Callable) -> Callable:
        registry[name or f.__name__] = f
        return f

    return deco


def register_filter(name: str | Callable | None = None, func: Callable | None = None):
    """Register a filter for every Environment created afterwards (and ``Template(...)``).

    Usable as ``register_filter("money", fmt)``, ``@register_filter`` or ``@register_filter("money")``.
    """
    return _register_into(_default_filters, name, func)


class Template:
    """A compiled template. ``Template(source)`` compiles a string with the default environment."""

    def __init__(self, source: str | None = None, *, name: str | None = None, environment: "Environment | None" = None):
        if source is None:
            return  # built by Environment._template_from_module
        env = environment or default_environment()
        compiled = env.from_string(source, name=name)
        self.__dict__.update(compiled.__dict__)

    # Set by Environment when it builds the template:
    name: str
    environment: "Environment"
    module: ModuleType
    _render: Callable[[Any], Rendered]
    _filename: str

    def tree(self, context: Any = None, /, **kwargs: Any) -> Rendered:
        """The statics/dynamics tree of this template for ``context``.

        The context may be a mapping, a dataclass or any object; keyword
        arguments are added to (or override) a mapping context.
        """
        if kwargs:
            context = {**context, **kwargs} if isinstance(context, Mapping) else (kwargs if context is None else _Overlay(kwargs, context))
        elif context is None:
            context = {}
        try:
            return self._render(context)
        except Exception as exc:
            self._annotate(exc)
            raise

    def render(self, context: Any = None, /, **kwargs: Any) -> str:
        """The HTML of this template: always exactly the joined :meth:`tree`."""
        return join(self.tree(context, **kwargs))

    @property
    def python_source(self) -> str:
        """The generated Python module (what ``pyview compile --show`` prints)."""
        return self.module.__source__ if hasattr(self.module, "__source__") else Path(self._filename).read_text("utf-8")

    def _annotate(self, exc: Exception) -> None:
        """Name the template and line of a render error (a note on the exception, PEP 678)."""
        from .moduleinfo import template_line

        tb = exc.__traceback__
        line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self._filename:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None or getattr(exc, "template_lineno", None) is not None:
            return
        found = template_line(linecache.getlines(self._filename), line)
        if found is None:
            return
        name, lineno = found[0] or self.name, found[1]
        src = self.environment._source(name)
        lines = src.source.splitlines() if src is not None else []
        source = lines[lineno - 1] if 0 < lineno <= len(lines) else None
        exc.template_name = name  # type: ignore[attr-defined]
        exc.template_lineno = lineno  # type: ignore[attr-defined]
        # The whole source and its file, so an error page can show the lines around the failing one.
        exc.template_filename = (src.filename if src is not None else None) or name  # type: ignore[attr-defined]
        exc.template_source = src.source if src is not None else None  # type: ignore[attr-defined]
        exc.add_note(f'  in template "{name}", line {lineno}' + (f":\n    {source.strip()}" if source else ""))

    def __repr__(self) -> str:
        return f"<Template {self.name!r}>"


class _Overlay(Mapping):
    """Keyword arguments layered over a non-mapping context object."""

    def __init__(self, top: dict, below: Any) -> None:
        self.top, self.below = top, below

    def __getitem__(self, key: str) -> Any:
        if key in self.top:
            return self.top[key]
        try:
            return getattr(self.below, key)
        except AttributeError:
            raise KeyError(key) from None

    def __iter__(self):
        return iter(self.top)

    def __len__(self) -> int:
        return len(self.top)


class Environment:
    """Shared configuration for templates: loader, filters, tests, globals and caches."""

    def __init__(
        self,
        loader: BaseLoader | None = None,
        *,
        auto_reload: bool = True,
        disk_cache: bool = True,
        filters: Mapping[str, Callable] | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> None:
        from .filters import BUILTIN_FILTERS
        from .runtime import BUILTIN_TESTS, DEFAULT_GLOBALS

        self.loader = loader
        self.auto_reload = auto_reload
        self.disk_cache = disk_cache
        self.filters: dict[str, Callable] = {**BUILTIN_FILTERS, **_default_filters, **(filters or {})}
        self.tests: dict[str, Callable] = dict(BUILTIN_TESTS)
        self.globals: dict[str, Any] = {**DEFAULT_GLOBALS, **(globals or {})}
        self._cache: dict[str, tuple[Template, dict[str, float | None]]] = {}
        self._lock = threading.RLock()

    def register_filter(self, name: str | Callable, func: Callable | None = None):
        """Add a filter to this environment (usable as a decorator)."""
        return _register_into(self.filters, name, func)

    def filter_function(self, name: str) -> Callable:
        """The callable compiled code uses for filter ``name`` (environment-aware filters get ``self`` bound)."""
        func = self.filters[name]
        if getattr(func, "pass_environment", False):
            return functools.partial(func, self)
        return func

    # --- getting templates ------------------------------------------------------------------------

    def get_template(self, name: str) -> Template:
        """The compiled template ``name``: from memory, from the disk cache, or compiled now."""
        if self.loader is None:
            raise TemplateNotFound(name, "this environment has no loader")
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None:
                template, deps = cached
                if not self.auto_reload or all(self.loader.mtime(d) == m for d, m in deps.items()):
                    return template
            template = self._load(name)
            deps = {d: self.loader.mtime(d) for d in template.module.SOURCES}
            self._cache[name] = (template, deps)
            return template

    def from_string(self, source: str, name: str | None = None) -> Template:
        """Compile a template from a string. Its includes and extends come from this loader."""
        with self._lock:
            key = name or "<string>"
            own = DictLoader({key: source})
            load = self._loading_function(primary=(key, own))
            py, _deps = self._compile(key, load)
            return self._template_from_source(key, py, "<string>")

    def compile_to_python(self, name: str) -> str:
        """Generated Python for template ``name`` (no caches touched); checked to compile."""
        from .compiler import python_code

        py, _ = self._compile(name, self._loading_function())
        python_code(py, name, f"<template {name!r}>")
        return py

    # --- internals ----------------------------------------------------------------------------------

    def _loading_function(self, primary: tuple[str, BaseLoader] | None = None):
        from .compiler import parse_loaded

        def load(name: str):
            loader = primary[1] if primary is not None and name == primary[0] else self.loader
            if loader is None:
                raise TemplateNotFound(name, "this environment has no loader")
            src = loader.get_source(name)
            return parse_loaded(name, src.source, src.filename)

        return load

    def _compile(self, name: str, load) -> tuple[str, dict[str, str]]:
        from .compiler import compile_template

        return compile_template(name, load, self.filters, self.tests)

    def _source_hash(self, name: str) -> str | None:
        from .moduleinfo import normalize_source, source_hash

        try:
            src = self.loader.get_source(name).source  # type: ignore[union-attr]
        except TemplateNotFound:
            return None
        return source_hash(normalize_source(src))

    def _load(self, name: str) -> Template:
        assert self.loader is not None
        path = self.loader.compiled_path(name) if self.disk_cache else None
        if path is not None:
            # Checked against the current sources before it runs; a broken one is logged.
            module = load_module(path, name, self._source_hash)
            if module is not None:
                return self._template_from_module(name, module, str(path))
        src = self.loader.get_source(name)  # raises TemplateNotFound for a missing template
        py, _deps = self._compile(name, self._loading_function())
        if path is not None and write_module(path, py):
            # Run the code we just generated; the next process imports the file (and its bytecode cache).
            return self._template_from_source(name, py, str(path), registered=True)
        return self._template_from_source(name, py, src.filename or f"<template {name!r}>")

    def _template_from_source(self, name: str, py: str, filename: str, registered: bool = False) -> Template:
        """Run generated code. ``registered``: ``filename`` is the module file itself (linecache reads it)."""
        from .compiler import python_code

        digest = hashlib.blake2b(py.encode("utf-8"), digest_size=8).hexdigest()
        if registered:
            fake = filename
        else:
            # Tracebacks and error notes read generated lines through linecache. Keyed by the
            # generated code's hash, so compiling the same source again reuses the entry.
            fake = f"<pyview template {name!r} from {filename} {digest}>"
            linecache.cache[fake] = (len(py), None, py.splitlines(True), fake)
        module = ModuleType(f"pyview_template_{digest}")
        module.__source__ = py  # type: ignore[attr-defined]
        exec(python_code(py, name, fake), module.__dict__)
        return self._template_from_module(name, module, fake)

    def _template_from_module(self, name: str, module: ModuleType, filename: str) -> Template:
        t = Template()
        t.name = name
        t.environment = self
        t.module = module
        t._filename = filename
        try:
            t._render = module.bind(self)
        except KeyError as exc:
            raise TemplateSyntaxError(
                f"template uses the filter or test {exc.args[0]!r}, which this environment does not have",
                1, name,
            ) from None
        return t

    def _source(self, name: str) -> TemplateSource | None:
        """The loader's source of ``name``, or None when it is gone (only error reporting asks)."""
        try:
            return self.loader.get_source(name) if self.loader else None
        except (TemplateNotFound, OSError):
            return None


_default_env: Environment | None = None


def default_environment() -> Environment:
    """The environment ``Template(source)`` uses (no loader; built-in and registered filters)."""
    global _default_env
    if _default_env is None:
        _default_env = Environment()
    else:
        # Filters registered after the default environment was created still apply.
        for key, func in _default_filters.items():
            _default_env.filters.setdefault(key, func)
    return _default_env


__all__ = ["Environment", "Template", "register_filter", "default_environment", "Undefined", "UndefinedError"]
