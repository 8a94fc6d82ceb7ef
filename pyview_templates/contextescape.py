"""Escaping for the HTML contexts where ``to_html`` alone is not enough; compiled code calls these.

``to_html`` makes a value safe in text and in a quoted attribute value. The code generator
(:mod:`.contextpolicy`) calls one of these instead where the value lands somewhere else:

* ``url_html`` — at the start of a URL attribute (``href``, ``src``…): refuses ``javascript:``,
  ``vbscript:`` and ``data:`` URLs (raster images excepted), which run script when followed;
* ``attrs_html`` — inside a start tag, where a value writes attributes: attribute names only;
* ``tag_html`` — in a tag's name: a tag name only, and never one that starts raw text;
* ``unquoted_html`` — in an unquoted attribute value the compiler could not quote;
* ``strict_html`` — where the context is not certain (branches ended in different contexts);
* ``json_attr_`` — ``|tojson`` in an attribute: its quotes must not end the value.

A refused value renders as ``#`` (URLs) or nothing, and logs one warning per template location
(logger ``pyview_templates``) naming the location and what was refused — never the whole value,
which may be private or huge. Everything here works on the text ``to_html`` would insert, so a
value's rendering elsewhere is unchanged.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from markupsafe import Markup

from ._native import to_html
from .htmlcontext import BAD_SCHEMES, SPECIAL_TAGS

__all__ = [
    "attrs_html", "comment_html", "json_attr_", "rawtext_html", "refused_scheme", "strict_html", "tag_html",
    "unquoted_html", "url_html",
]

logger = logging.getLogger("pyview_templates")
_warned: set[tuple[str, str]] = set()


def _refuse(where: str, what: str) -> None:
    """Log that a value was refused, once per template location and kind of refusal."""
    key = (where, what)
    if key in _warned:
        return
    _warned.add(key)
    logger.warning("%s: refused %s (rendered without it)", where, what)


# --- URLs ------------------------------------------------------------------------------------------

_CONTROLS_AND_SPACE = "".join(chr(c) for c in range(33))
_SCHEME = re.compile(r"([A-Za-z0-9+.\-]*):")
# data: URLs of these types are plain pixels. Not image/svg+xml: an SVG document carries script
# (it runs when the URL is opened as a document, e.g. from a link or an <object>).
_RASTER_IMAGES = frozenset(
    {"image/png", "image/gif", "image/jpeg", "image/jpg", "image/pjpeg", "image/webp", "image/avif", "image/bmp",
     "image/apng", "image/x-icon", "image/vnd.microsoft.icon"}
)


def refused_scheme(escaped: str, prefix: str = "", follows: bool = False) -> str | None:
    """The refused scheme (``"javascript:"``…) a URL attribute value would have, or None.

    ``escaped`` is the value as inserted in the HTML; the browser decodes character references
    in attribute values, and its URL parser strips leading spaces and controls and drops tabs
    and newlines anywhere, so ``" &#106;ava\\tscript:"`` is a ``javascript:`` URL. ``prefix``:
    the value's static text before this dynamic (decoded). ``follows``: other dynamics came
    before this one in the value: they may have written the start of a scheme this value ends
    (``java`` + ``script:…``), so any scheme this value could complete counts.
    """
    if ":" not in escaped and "&" not in escaped and (follows or ":" not in prefix):
        return None  # no colon, none hidden in a character reference: no scheme (the common case)
    text = html.unescape(escaped)
    if not follows:
        text = prefix + text
    text = text.lstrip(_CONTROLS_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    m = _SCHEME.match(text)
    if m is None:
        return None
    scheme = m.group(1).lower()
    if not follows and not (scheme[:1].isascii() and scheme[:1].isalpha()):
        return None  # a scheme starts with a letter; anything else is a relative URL
    for bad in BAD_SCHEMES:
        if bad == scheme or (follows and bad.endswith(scheme)):
            if bad == "data" and scheme == "data" and _is_raster_image(text[m.end():]):
                continue
            return bad + ":"
    return None


_BAD_HEADS = frozenset(BAD_SCHEMES)  # the schemes refused, without their colon


def _is_raster_image(data_url_rest: str) -> bool:
    mime = data_url_rest.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return mime in _RASTER_IMAGES


def _checked_url(value: Any, where: str, prefix: str, follows: bool) -> str:
    if type(value) is str and not prefix and not follows:
        # The common case, without decoding: a plain str has no character references the browser
        # would decode (its "&" is escaped), so its scheme is the text before the first colon.
        colon = value.find(":")
        if colon < 0:
            return to_html(value)
        head = value[:colon].lstrip(_CONTROLS_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
        if head.lower() not in _BAD_HEADS:
            return to_html(value)
    s = to_html(value)
    scheme = refused_scheme(s, prefix, follows)
    if scheme is None:
        return s
    _refuse(where, f"a {scheme} URL")
    return "#"


def url_html(value: Any, where: str, prefix: str = "", follows: bool = False) -> str:
    """``{{ value }}`` at the start of a URL attribute value: its HTML, or ``#`` for a refused scheme."""
    return _checked_url(value, where, prefix, follows)


# --- attributes and tags ---------------------------------------------------------------------------

# What a value may write inside a start tag: attribute names separated by whitespace. Checked on
# the escaped text, so a quote, "<", ">" or "&" in the value (escaped to an entity) refuses it too.
# (One name at a time: a pattern for the whole list would backtrack exponentially on a bad value.)
_ATTR_NAME = re.compile(r"[^\t\n\f\r \"'<>/=&`\x00-\x1f\x7f]+")
_HTML_SPACE = re.compile(r"[\t\n\f\r ]+")
_TAG_BREAKERS = re.compile(r"[\t\n\f\r /\x00]")


def attrs_html(value: Any, where: str) -> str:
    """``<input {{ value }}>``: attribute names only (``{{ "checked" if x }}``), or safe Markup
    (``|xmlattr``, ``|safe``) as is. Names starting with ``on`` (event handlers) are refused:
    a static ``="…"`` after the dynamic would give them a value."""
    s = to_html(value)
    if hasattr(value, "__html__") or not s:
        return s
    names = [name for name in _HTML_SPACE.split(s) if name]
    if all(_ATTR_NAME.fullmatch(name) and not name[:2].lower() == "on" for name in names):
        return s
    _refuse(where, "a value that is not attribute names inside a tag")
    return ""


def tag_html(value: Any, where: str, prefix: str | None = None) -> str:
    """A dynamic in a tag's name: ``<{{ tag }}`` (``prefix`` None) or ``<h{{ level }}`` (``prefix``:
    the static start of the name). It may only continue the name: no whitespace or ``/`` (which
    would start attributes), and the name may not be one whose content is not markup (script,
    style, textarea…): the statics after it were compiled as ordinary HTML. Right after ``<``, a
    value that does not start with a letter is text (``<5``), as the browser reads it."""
    s = to_html(value)
    if hasattr(value, "__html__") or not s:
        return s
    if prefix is None:
        first = s[0]
        if first in "!/?":
            _refuse(where, "a value that opens a comment or an end tag after '<'")
            return ""
        if not (first.isascii() and first.isalpha()):
            return s
    if _TAG_BREAKERS.search(s) is not None or ((prefix or "") + s).lower() in SPECIAL_TAGS:
        _refuse(where, "a value that is not a tag name")
        return ""
    return s


# --- raw text and comments -------------------------------------------------------------------------


def rawtext_html(value: Any, where: str, tag: str, typed: str = "") -> str:
    """A dynamic in ``<script>``, ``<style>`` or ``<textarea>`` right after static ``<``, ``</`` or
    ``</scr`` (``typed``: what follows the ``<``): its HTML, unless it would complete the end tag
    ``</tag`` (``{{ "ipt" }}`` after ``</scr``) and so end the element early."""
    s = to_html(value)
    end = "/" + tag
    written = typed + s[: len(end)].lower()
    if s and (written.startswith(end) or end.startswith(written)):
        _refuse(where, f"a value that would end the <{tag}> element")
        return ""
    return s


_COMMENT_ENDS = re.compile(r"^[-!\]]+|[-!\]]+$")


def comment_html(value: Any, where: str) -> str:
    """A dynamic in an HTML comment (or an SVG CDATA section): its HTML, with a leading or trailing
    ``-``, ``!`` or ``]`` as a reference, so that it cannot end the comment with the static text
    around it (``<!--{{ x }}>`` with ``x`` = ``--``). Comments show no references."""
    s = to_html(value)
    if s and (s[0] in "-!]" or s[-1] in "-!]"):
        return _COMMENT_ENDS.sub(lambda m: "".join(f"&#{ord(c)};" for c in m.group()), s)
    return s


# --- attribute values --------------------------------------------------------------------------------

# An unquoted attribute value ends at whitespace or ">", and quotes, "<", "=" and "`" in it are
# parse errors. As references they mean the same characters (the browser decodes them).
_UNQUOTED = str.maketrans({
    "\t": "&#9;", "\n": "&#10;", "\f": "&#12;", "\r": "&#13;", " ": "&#32;",
    '"': "&#34;", "'": "&#39;", "<": "&lt;", ">": "&gt;", "=": "&#61;", "`": "&#96;",
})
# Safe text in every context a tokenizer state set may mix (text, attribute values, tag insides).
_STRICT = str.maketrans({
    "\t": "&#9;", "\n": "&#10;", "\f": "&#12;", "\r": "&#13;", " ": "&#32;", "/": "&#47;", "=": "&#61;", "`": "&#96;",
})


def unquoted_html(value: Any, where: str, url: str | None = None, follows: bool = False) -> str:
    """``class={{ value }}`` where the compiler could not quote the value: every character that
    could end it (or start another attribute) as a character reference. ``url`` (the static
    prefix) or ``follows``: the value is also at the start of a URL, checked as by :func:`url_html`."""
    s = _checked_url(value, where, url or "", follows) if url is not None or follows else to_html(value)
    return s.translate(_UNQUOTED)


def strict_html(
    value: Any, where: str, url: str | None = None, follows: bool = False, tag: bool = False, comment: bool = False
) -> str:
    """A dynamic whose context is not certain (``{% if %}`` branches ended in different contexts):
    its text with whitespace, ``/``, ``=`` and backquotes as references, which reads the same in
    text and in attribute values and cannot start another attribute, and so is at most one name
    inside a tag. ``url``/``follows``: it may start a URL (checked as by :func:`url_html`);
    ``tag``: it may be a tag's name or inside a tag, so it may not name an element whose content
    is not markup, open a comment or end tag, or name an event handler; ``comment``: it may be in
    a comment (see :func:`comment_html`). Safe Markup is kept as is, as everywhere."""
    s = _checked_url(value, where, url or "", follows) if url is not None or follows else to_html(value)
    if hasattr(value, "__html__"):
        return s
    if tag and s:
        name = s.lstrip("\t\n\f\r ").lower()
        if s[0] in "!/?" or name in SPECIAL_TAGS or name.startswith("on"):
            _refuse(where, "a value that could be a tag or an event handler's name")
            return ""
    s = s.translate(_STRICT)
    return comment_html(Markup(s), where) if comment else s


def json_attr_(value: Any, unquoted: bool = False) -> Any:
    """``{{ x|tojson }}`` in an attribute value: the JSON's quotes (and ``&``) as references, so
    they cannot end the value; the browser decodes them back. (Jinja2's ``tojson`` is only safe
    in single-quoted attributes.) ``unquoted``: whitespace, ``=`` and ``/`` too, for an unquoted
    value or a tag's inside."""
    if not hasattr(value, "__html__"):
        return value  # not tojson's Markup: the caller escapes it like any value
    text = str(value.__html__()).replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;")
    if unquoted:
        text = text.translate(_UNQUOTED).replace("/", "&#47;")  # "/" too: inside a tag it ends a name
    return Markup(text)
