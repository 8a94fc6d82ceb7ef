"""Facts about generated template modules that both the compiler and the loader need.

Kept apart from the compiler so that checking and loading a precompiled
template never imports the parser (and lark).
"""

from __future__ import annotations

import hashlib
import re

#: Bumped whenever generated code changes shape; cached modules of another version are recompiled.
COMPILER_VERSION = 9

_NEWLINES = re.compile(r"\r\n|\r|\n")


def normalize_source(source: str) -> str:
    """Newlines become ``\\n`` and one trailing newline is dropped (Jinja2's defaults)."""
    if source.endswith(("\n", "\r")):
        source = source[:-2] if source.endswith("\r\n") else source[:-1]
    if "\r" in source:
        source = _NEWLINES.sub("\n", source)
    return source


def source_hash(normalized_source: str) -> str:
    return hashlib.sha256(normalized_source.encode("utf-8")).hexdigest()


_MARK = re.compile(r"# line (\d+)(?: of '((?:[^'\\]|\\.)*)')?\s*$")


def template_line(py_source_lines: list[str], py_lineno: int) -> tuple[str | None, int] | None:
    """(template name or None for the compiled template itself, line) of generated line ``py_lineno``.

    Read from the nearest ``# line N`` (or ``# line N of 'other.html'``) comment at or above it.
    """
    for i in range(min(py_lineno, len(py_source_lines)) - 1, -1, -1):
        m = _MARK.search(py_source_lines[i])
        if m:
            return m.group(2), int(m.group(1))
    return None
