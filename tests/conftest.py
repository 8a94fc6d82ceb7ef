import os
from pathlib import Path

import pytest

from prerequisites import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config):
    # Property tests run a bounded number of examples; CI gets the same profile as developers.
    from hypothesis import settings

    settings.register_profile("default", deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def tmp_templates(tmp_path):
    """A function writing {name: source} into a fresh template folder, returning the folder."""

    def write(files: dict[str, str]):
        for name, source in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source, encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture(scope="session")
def chromium():
    """One Debian Chromium for the whole run, driven by Playwright's sync API.

    Shared because Playwright's sync API cannot start a second time while one is running (it
    leaves its event loop running in the main thread); every folder that needs a browser takes
    this one and opens its own contexts or pages. Missing Playwright or Chromium: skip locally,
    fail on CI.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("browser tests cannot run: Playwright for Python is not installed; run `python -m pip install -e '.[dev]'`")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(f"browser tests cannot run: {CHROMIUM} is missing; run `sudo apt-get install chromium` (Debian's package, not `playwright install`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def redis_server():
    """One redis-server for the session (tests use their own topics or prefixes)."""
    from redis_server import RedisServer

    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fresh_redis():
    """A redis-server of this test's own, which it may stop, kill and start again on its port."""
    from redis_server import RedisServer

    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()
