"""How the test client shows elements in its messages: one line each, at most five of them.

A refusal says what the page has instead of what the test asked for; these helpers keep that
short enough to read in a test report.
"""

from __future__ import annotations

import difflib
import re
from typing import Union

from selectolax.lexbor import LexborNode

Node = LexborNode
TextFilter = Union[str, "re.Pattern[str]", None]

MAX_CANDIDATES = 5
SNIPPET_WIDTH = 80
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
ASCII_WS_RUN = re.compile(r"[\t\n\f\r ]+")


# ============================================================================ messages


def one_line(text: str) -> str:
    """Whitespace runs (any Unicode whitespace) collapsed to one space, ends stripped."""
    return " ".join(text.split())


def snippet(node: Node) -> str:
    """A short one-line rendering of ``node`` (start tag and text) for error messages.

    Messages show candidates this way so that a failing test says what the page has without
    dumping whole subtrees.
    """
    attrs = "".join(f" {k}" if v is None else f' {k}="{v}"' for k, v in node.attributes.items())
    text = "" if node.tag in VOID else f"{one_line(node.text() or '')}</{node.tag}>"
    line = one_line(f"<{node.tag}{attrs}>") + text
    return line if len(line) <= SNIPPET_WIDTH else line[: SNIPPET_WIDTH - 1] + "…"


def describe(selector: str, text: TextFilter = None) -> str:
    """How messages name an element query: ``'button.add' with text '+1'``."""
    if text is None:
        return repr(selector)
    if isinstance(text, re.Pattern):
        return f"{selector!r} with text matching {text.pattern!r}"
    return f"{selector!r} with text {text!r}"


def listing(nodes: list[Node]) -> str:
    """Up to five snippets, one per line, and how many were left out."""
    lines = "".join(f"\n  {snippet(n)}" for n in nodes[:MAX_CANDIDATES])
    if len(nodes) > MAX_CANDIDATES:
        lines += f"\n  ... and {len(nodes) - MAX_CANDIDATES} more"
    return lines


def names_listing(names: list[str], wanted: str | None = None) -> str:
    """Up to five names, the ones closest to ``wanted`` first."""
    if not names:
        return "none"
    close = difflib.get_close_matches(wanted, names, n=MAX_CANDIDATES, cutoff=0.5) if wanted else []
    ordered = close + [n for n in names if n not in close]
    shown = ", ".join(repr(n) for n in ordered[:MAX_CANDIDATES])
    more = len(ordered) - MAX_CANDIDATES
    return shown + (f" (and {more} more)" if more > 0 else "")
