"""Skip locally, fail on CI: tests whose prerequisites are missing (Node, the npm client, Chromium,
Playwright) must never pass silently on CI, where ``.ci/run`` installs everything."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
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


ROOT = Path(__file__).resolve().parents[1]
CLIENT_BUNDLE = ROOT / "pyview_core" / "static" / "vendor" / "phoenix_live_view.min.js"


def require_client_bundle() -> Path:
    """The official client's bundle, which ``npm ci`` installs, for tests that load it into a page
    themselves (Playwright and Chromium come with the ``chromium`` fixture of tests/conftest.py)."""
    if not CLIENT_BUNDLE.is_file():
        skip_or_fail(f"the LiveView client bundle {CLIENT_BUNDLE} is missing; run `npm ci` in {ROOT}")
    return CLIENT_BUNDLE
