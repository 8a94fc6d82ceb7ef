"""Skip locally, fail on CI: tests whose prerequisites are missing (Node, the npm client, Chromium,
Playwright) must never pass silently on CI, where ``.ci/run`` installs everything."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def on_ci() -> bool:
    """``CI`` set to anything but ``""``, ``0`` or ``false``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def skip_or_fail(message: str) -> NoReturn:
    """``pytest.skip(message)`` locally, ``pytest.fail`` on CI."""
    if on_ci():
        pytest.fail(message + " [CI must not skip this]", pytrace=False)
    pytest.skip(message)


def import_or_skip(
    module: str, why: str, install: str = "python -m pip install -e '.[dev]'"
) -> ModuleType:
    """Import ``module`` for the tests that need it, else :func:`skip_or_fail`.

    Use it from a fixture, never at module level: a module-level ``pytest.importorskip`` skips
    every test in the file (including those that do not need the module), and skips them on CI
    too, where a missing dev dependency is a broken environment that must be noticed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        skip_or_fail(f"{why}: cannot import {module!r} ({exc}); install it with: {install}")
