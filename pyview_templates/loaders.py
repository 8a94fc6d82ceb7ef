"""Where template sources come from, and where their compiled modules are kept."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .errors import TemplateNotFound

#: The folder, beside the templates, that holds compiled template modules (like ``__pycache__``).
CACHE_DIR = "__pyview__"


@dataclass(frozen=True)
class TemplateSource:
    source: str
    filename: str | None
    mtime: float | None  # None: never changes (strings, dict loaders)


class BaseLoader:
    """Find template sources by name; optionally say where a compiled module may be cached."""

    def get_source(self, name: str) -> TemplateSource:
        raise TemplateNotFound(name)

    def mtime(self, name: str) -> float | None:
        """Current modification time of ``name`` (for auto-reload), or None if unknown."""
        return None

    def compiled_path(self, name: str) -> Path | None:
        """Where the compiled module of ``name`` lives; None: keep it in memory only."""
        return None

    def list_templates(self) -> list[str]:
        return []


def _check_name(name: str) -> list[str]:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or not parts:
        raise TemplateNotFound(name, f"template name {name!r} must be a relative path inside the template folder")
    return parts


def module_filename(name: str) -> str:
    """``users/list.html`` → ``users/list_html.py``: an importable module name per template."""
    parts = _check_name(name)
    stem = re.sub(r"\W", "_", parts[-1])
    if stem[0].isdigit():
        stem = "_" + stem
    return "/".join(parts[:-1] + [stem + ".py"])


class FileSystemLoader(BaseLoader):
    """Templates from one or more folders (searched in order)."""

    def __init__(self, searchpath: str | os.PathLike | Sequence[str | os.PathLike], encoding: str = "utf-8") -> None:
        if isinstance(searchpath, (str, os.PathLike)):
            searchpath = [searchpath]
        self.searchpath = [Path(p) for p in searchpath]
        self.encoding = encoding

    def _find(self, name: str) -> tuple[Path, Path] | None:
        parts = _check_name(name)
        for root in self.searchpath:
            path = root.joinpath(*parts)
            if path.is_file():
                return root, path
        return None

    def get_source(self, name: str) -> TemplateSource:
        found = self._find(name)
        if found is None:
            raise TemplateNotFound(name, f"template {name!r} not found in {', '.join(map(str, self.searchpath))}")
        path = found[1]
        return TemplateSource(path.read_text(self.encoding), str(path), path.stat().st_mtime)

    def mtime(self, name: str) -> float | None:
        found = self._find(name)
        return found[1].stat().st_mtime if found else None

    def compiled_path(self, name: str) -> Path | None:
        found = self._find(name)
        if found is None:
            return None
        return found[0] / CACHE_DIR / module_filename(name)

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for root in self.searchpath:
            for path in root.rglob("*"):
                if path.is_file() and CACHE_DIR not in path.relative_to(root).parts:
                    names.add(path.relative_to(root).as_posix())
        return sorted(names)


class DictLoader(BaseLoader):
    """Templates from a dict of name → source (tests, small apps)."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = mapping

    def get_source(self, name: str) -> TemplateSource:
        try:
            return TemplateSource(self.mapping[name], name, None)
        except KeyError:
            raise TemplateNotFound(name) from None

    def list_templates(self) -> list[str]:
        return sorted(self.mapping)
