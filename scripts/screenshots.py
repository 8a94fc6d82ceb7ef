"""Screenshots of every example for the README: ``python scripts/screenshots.py``.

Starts the examples app (uvicorn on a free port of 127.0.0.1, a fixed ``PYVIEW_SECRET_KEY``, as
the browser tests do), opens each example in Debian's Chromium (``/usr/bin/chromium``, driven by
Playwright's Python API) at a fixed viewport, waits for the live connection, does a small
interaction where it makes the picture say something (a chat between two people, a few todos,
a streaming log...), and writes ``docs/screenshots/<name>.png``, cropped to the page's content.

    python scripts/screenshots.py                 # every example
    python scripts/screenshots.py todo chat       # only these
    python scripts/screenshots.py --list          # the names

Needs what the browser tests need: ``pip install -e '.[dev]'`` (Playwright), ``npm ci`` (the
LiveView client) and ``apt-get install chromium``.
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--font-render-hinting=none"]
SECRET = "screenshots-only-not-a-real-secret-0123456789ab"  # fixed: 48 characters
WIDTH, HEIGHT = 1100, 750  # the viewport; a picture is cropped to the content, at most this tall
CONNECTED = "[data-phx-main].phx-connected"
MAX_BYTES = 150_000


# -- the server ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def examples_server() -> Iterator[str]:
    """``uvicorn examples.app:app`` from this checkout; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYVIEW_SECRET_KEY": SECRET, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PYVIEW_ENV", None)
    env.pop("PYVIEW_PUBSUB_URL", None)  # one process, in-memory pub/sub
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "examples.app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the examples app did not start on port {port}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- what each picture shows --------------------------------------------------------------------------
def open_live(page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector(CONNECTED)


def counter(page, new_page) -> None:
    open_live(page, "/counter?count=40")
    page.click("#inc")
    page.click("#inc")
    page.wait_for_function("document.querySelector('#count').textContent === '42'")


def volume(page, new_page) -> None:
    open_live(page, "/volume")
    for _ in range(2):
        page.keyboard.press("ArrowUp")
    page.wait_for_function("document.querySelector('#volume').textContent === '70'")


def chat(page, new_page) -> None:
    grace = new_page()
    open_live(page, "/chat")
    open_live(grace, "/chat")
    for who, name in ((page, "Ada"), (grace, "Grace")):
        who.fill("#name", name)
        who.locator("#send-form input[name=text]").focus()  # leaving the field sends the debounced rename
        who.wait_for_function(f"document.querySelector('#here .me')?.textContent.startsWith({name!r})")
    for who, text in ((page, "Has anyone tried the new LiveView client?"), (grace, "Yes: diffs over the WebSocket, no JavaScript to write."),
                      (page, "Open a second tab and watch this list."), (grace, "Typing now…")):
        box = who.locator("#send-form input[name=text]")
        box.fill(text)
        box.press("Enter")
        page.wait_for_function("t => [...document.querySelectorAll('#messages li')].some(li => li.textContent.endsWith(t))", arg=text)
    grace.locator("#send-form input[name=text]").fill("See you")  # the typing indicator, as Ada sees it
    page.wait_for_selector("#here .typing-dot")


def table(page, new_page) -> None:
    open_live(page, "/table?sort=color")
    page.hover("#rows tr:nth-child(3)")  # a row reacts to the pointer: it opens the item


def dashboard(page, new_page) -> None:
    open_live(page, "/dashboard")
    ticks = int(page.inner_text("#ticks"))
    page.wait_for_function("n => Number(document.querySelector('#ticks').textContent) >= n", arg=ticks + 2)


def todo(page, new_page) -> None:
    open_live(page, "/todo")
    for text in ("Buy milk", "Write the release notes", "Review the streams PR", "Water the plants"):
        box = page.locator("#add-form input[name=text]")
        box.fill(text)
        box.press("Enter")
        page.wait_for_function("t => document.querySelector('#todos li span')?.textContent === t", arg=text)
    page.locator("#todos li", has_text="Buy milk").locator("input[type=checkbox]").click()
    page.wait_for_selector("#todos li.completed")
    page.focus("#add-form input[name=text]")


def live_output(page, new_page) -> None:
    open_live(page, "/output?n=100000&every=0.01")
    page.click("#start")
    page.wait_for_function("Number(document.querySelector('#produced').textContent) >= 150")


def js(page, new_page) -> None:
    open_live(page, "/js")
    for _ in range(3):
        before = page.inner_text("#history")
        page.click("#roll")
        page.wait_for_function("t => document.querySelector('#history').textContent !== t", arg=before)
    page.click("#ask-time")
    page.wait_for_function("document.querySelector('#time').textContent !== ''")
    page.click("#menu-button")
    page.wait_for_selector("#menu", state="visible")
    page.wait_for_timeout(200)  # the menu's fade-in


def png(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """A vertical gradient: a stand-in for a photo, small once compressed."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = []
    for y in range(height):
        t = y / (height - 1)
        color = bytes(round(a + (b - a) * t) for a, b in zip(top, bottom))
        rows.append(b"\x00" + color * width)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


PHOTOS = [
    ("sunset.png", (255, 176, 92), (196, 62, 98)),
    ("lagoon.png", (120, 214, 220), (34, 92, 168)),
    ("forest.png", (170, 214, 120), (38, 102, 60)),
]


def uploads(page, new_page) -> None:
    open_live(page, "/uploads")
    files = [{"name": name, "mimeType": "image/png", "buffer": png(320, 240, top, bottom)} for name, top, bottom in PHOTOS]
    page.set_input_files("#auto-form input[type=file]", files)
    page.wait_for_function("document.querySelectorAll('#stored li img').length >= 3")
    page.wait_for_function("[...document.querySelectorAll('#stored img')].every(img => img.complete && img.naturalWidth > 0)")


def signup(page, new_page) -> None:
    open_live(page, "/signup")
    page.fill("#user_name", "Ada Lovelace")
    page.fill("#user_email", "ada@")
    page.fill("#user_password", "short")
    page.locator("#user_password").blur()
    page.wait_for_selector(".field-invalid")
    page.wait_for_timeout(400)  # every debounced field answered


def components(page, new_page) -> None:
    open_live(page, "/components")
    page.click("#card-c4 .kanban-actions .move-next")
    page.wait_for_selector("#cards-done #card-c4")


def login(page, new_page) -> None:
    open_live(page, "/login")
    page.fill("#login_email", "ada@example.com")
    page.fill("#login_password", "analytical")
    page.locator("#login_password").blur()
    page.wait_for_timeout(400)


def home(page, new_page) -> None:
    open_live(page, "/")


@dataclass(frozen=True)
class Shot:
    name: str
    take: Callable


SHOTS = [Shot(f.__name__, f) for f in (home, counter, volume, chat, table, dashboard, todo, live_output, uploads, js, signup, components, login)]


# -- taking them ----------------------------------------------------------------------------------------
def content_height(page) -> int:
    """The height of the header and the example's content (its <main>), plus a margin."""
    bottom = page.evaluate("""() => {
      const main = document.querySelector('[data-phx-main] main') || document.body;
      const boxes = [main, ...main.querySelectorAll('*')].map(el => el.getBoundingClientRect().bottom);
      return Math.max(...boxes) + window.scrollY;
    }""")
    return int(min(HEIGHT, max(300, bottom + 24)))


def take(browser, base_url: str, shot: Shot) -> Path:
    contexts = []

    def new_page():
        context = browser.new_context(base_url=base_url, viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    try:
        page = new_page()
        shot.take(page, new_page)
        page.wait_for_selector(CONNECTED)
        path = OUT / f"{shot.name}.png"
        page.screenshot(path=str(path), type="png", animations="disabled", caret="hide",
                        clip={"x": 0, "y": 0, "width": WIDTH, "height": content_height(page)})
        return path
    finally:
        for context in contexts:
            context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="which examples (default: all)")
    parser.add_argument("--list", action="store_true", help="print the names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(shot.name for shot in SHOTS))
        return 0
    unknown = set(args.names) - {shot.name for shot in SHOTS}
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))} (see --list)")
    shots = [shot for shot in SHOTS if not args.names or shot.name in args.names]

    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    too_large = []
    with examples_server() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for shot in shots:
                path = take(browser, base_url, shot)
                size = path.stat().st_size
                print(f"{path.relative_to(ROOT)}  {size / 1000:.0f} kB")
                if size > MAX_BYTES:
                    too_large.append(path.name)
        finally:
            browser.close()
    if too_large:
        print(f"larger than {MAX_BYTES // 1000} kB: {', '.join(too_large)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
