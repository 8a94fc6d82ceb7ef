"""Whether a node's statics render exactly one element: the ``"r": 1`` root flag.

``"r": 1`` lets the LiveView client skip re-rendering an unchanged element, but it must only be
set on a node whose statics render exactly one element (otherwise the client throws "malformed
html" or drops siblings). The compiler decides it for every node when it compiles a template
(``single_root`` on the node's statics, dynamics as placeholders) and the generated module
registers its flags when it is bound (``register``); the diff core only looks them up
(``ROOT_FLAGS``), so no HTML is scanned while a page is served. A tree built by hand (a view
overriding ``render``) is judged the first time its fingerprint is seen (``flag_for``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["ROOT_FLAGS", "flag_for", "register", "single_root"]

#: fingerprint -> whether that node renders exactly one element.
ROOT_FLAGS: dict[int, bool] = {}


def register(flags: Mapping[int, bool]) -> None:
    """Record a compiled template's flags (its module's ``ROOTS``, when the module is bound)."""
    ROOT_FLAGS.update(flags)


def flag_for(fingerprint: int, statics: tuple) -> bool:
    """The flag of a node not compiled by us (a hand-built tree): decided once per fingerprint."""
    flag = ROOT_FLAGS.get(fingerprint)
    if flag is None:
        flag = ROOT_FLAGS[fingerprint] = single_root(statics)
    return flag


_VOID = frozenset(
    "area base br col command embed hr img input keygen link meta param source track wbr".split()
)
_RAW_TEXT = frozenset(("script", "style", "textarea", "title"))
# Only ASCII whitespace may surround the root: it is whitespace to both Python and the client's
# JavaScript `\s` (Python's isspace() also accepts U+001C–U+001F and U+0085, which JS does not).
_ASCII_SPACE = " \t\n\r\f\v"
_TAG_NAME = re.compile(r"<([A-Za-z][^\s/>\x00]*)")


def single_root(statics: tuple) -> bool:
    """Whether a node with these statics renders exactly one element (whitespace around it allowed)."""
    html = "\x00".join(statics)  # \x00 stands for a dynamic
    n = len(html)
    i = 0
    while i < n and html[i] in _ASCII_SPACE:
        i += 1
    if not _TAG_NAME.match(html, i):
        return False
    depth = 0
    closed = False
    while i < n:
        c = html[i]
        if c == "<":
            if depth == 0 and closed:
                return False  # a second element (or comment) at the top level
            if html.startswith("<!--", i):
                end = html.find("-->", i + 4)
                if end < 0:
                    return False
                i = end + 3
                continue
            if html.startswith("</", i):
                end = html.find(">", i)
                if end < 0 or "\x00" in html[i:end]:
                    return False
                depth -= 1
                if depth < 0:
                    return False
                if depth == 0:
                    closed = True
                i = end + 1
                continue
            m = _TAG_NAME.match(html, i)
            if m is None:
                if depth == 0:
                    return False
                i += 1
                continue
            j = m.end()
            quote = None
            while j < n:
                ch = html[j]
                if quote is not None:
                    if ch == quote:
                        quote = None
                elif ch == '"' or ch == "'":
                    quote = ch
                elif ch == ">":
                    break
                j += 1
            if j >= n:
                return False
            name = m.group(1).lower()
            i = j + 1
            if name in _VOID or html[j - 1] == "/":
                if depth == 0:
                    closed = True
                continue
            if name in _RAW_TEXT:
                end = html.lower().find("</" + name, i)
                if end < 0:
                    return False
                i = end
            depth += 1
            continue
        if depth == 0 and (c == "\x00" or c not in _ASCII_SPACE):
            return False
        i += 1
    return closed and depth == 0
