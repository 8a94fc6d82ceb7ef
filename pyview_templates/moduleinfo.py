"""Facts about generated template modules that both the compiler and the loader need.

Kept apart from the compiler so that checking and loading a precompiled
template never imports the parser (and lark).
"""

from __future__ import annotations

import hashlib
import re

#: Bumped whenever generated code changes shape; cached modules of another version are recompiled.
COMPILER_VERSION = 2

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


def template_line(py_source_lines: list[str], py_lineno: int) -> int | None:
    """The template line of generated line ``py_lineno`` (1-based), from the nearest ``# line N`` at or above it."""
    for i in range(min(py_lineno, len(py_source_lines)) - 1, -1, -1):
        line = py_source_lines[i]
        k = line.rfind("# line ")
        if k >= 0 and line[k + 7 :].strip().isdigit():
            return int(line[k + 7 :])
    return None
