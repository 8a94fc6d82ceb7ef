"""Skip locally, fail on CI: tests whose prerequisites are missing (Node, the npm client, Chromium,
Playwright) must never pass silently on CI, where ``.ci/run`` installs everything."""

from __future__ import annotations

import os

import pytest


def on_ci() -> bool:
    """``CI`` set to anything but ``""``, ``0`` or ``false``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def skip_or_fail(message: str) -> None:
    """``pytest.skip(message)`` locally, ``pytest.fail`` on CI."""
    if on_ci():
        pytest.fail(message + " [CI must not skip this]", pytrace=False)
    pytest.skip(message)
