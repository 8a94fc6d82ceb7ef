"""What the example tests share: the examples app with a fixed secret, and reading the page.

Only the HTML the test client holds is read (``view.html()``), the way a user reads the page:
the texts, ids and attributes of the elements a CSS selector finds.
"""

from __future__ import annotations

from typing import Any, Optional

from selectolax.lexbor import LexborHTMLParser

from examples.app import create_app
from pyview_core import PyView

SECRET = "examples-tests-only-not-a-secret-" + "0123456789abcde"  # 48 characters, fixed
assert len(SECRET) == 48


def make_app() -> PyView:
    """A fresh examples app (its own pub/sub) with a fixed secret."""
    return create_app(secret_key=SECRET)


def nodes(view: Any, css: str) -> list[Any]:
    return LexborHTMLParser(view.html()).css(css)


def texts(view: Any, css: str) -> list[str]:
    """The visible text of every element matching ``css``, whitespace-trimmed, in page order."""
    return [node.text(deep=True).strip() for node in nodes(view, css)]


def text(view: Any, css: str) -> str:
    """The text of the one element matching ``css``."""
    found = texts(view, css)
    assert len(found) == 1, f"{css!r} matches {len(found)} elements in:\n{view.html()}"
    return found[0]


def ids(view: Any, css: str) -> list[str]:
    return [node.attributes.get("id") or "" for node in nodes(view, css)]


def attr(view: Any, css: str, name: str) -> Optional[str]:
    found = nodes(view, css)
    assert len(found) == 1, f"{css!r} matches {len(found)} elements"
    return found[0].attributes.get(name)


def has_attr(view: Any, css: str, name: str) -> bool:
    """Whether the one element matching ``css`` carries attribute ``name`` (``disabled``, ``checked``)."""
    found = nodes(view, css)
    assert len(found) == 1, f"{css!r} matches {len(found)} elements"
    return name in found[0].attributes
