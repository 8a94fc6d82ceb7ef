"""What ``{{ expr }}`` compiles to in each HTML context (:mod:`.htmlcontext` says which context).

Text and ordinary quoted attribute values keep ``to_html``/``attr_html``, so templates without
the contexts below render exactly what Jinja2 renders, as fast as before. Elsewhere:

* a URL attribute whose scheme is not decided yet: ``url_html`` (``#`` instead of a
  ``javascript:``, ``vbscript:`` or non-image ``data:`` URL);
* an unquoted attribute value: quoted in the statics by the code generator where it can, else
  ``unquoted_html`` (whitespace and the like as references);
* inside a start tag (``<input {{ x }}>``): ``attrs_html``, attribute names or Markup only;
* a tag's name (``<{{ x }}``, ``<h{{ n }}``): ``tag_html``, a tag name only;
* ``on*=``, ``srcdoc=``, a ``javascript:`` URL, ``<script>``: ``to_html``, and a compile-time
  TemplateSecurityWarning unless the outermost filter is ``tojson`` (or ``safe``: the author
  vouches for it);
* ``|tojson`` in an attribute value or a tag: its quotes (and more) as references (``json_attr_``);
* ``<style>``, ``<textarea>``, ``<title>``: ``to_html``; ``rawtext_html`` right after a static
  ``<``, ``</`` or ``</sty``, where a value could complete the end tag;
* a comment: ``comment_html``, a leading or trailing ``-``/``!`` as a reference;
* several possible contexts: ``strict_html``, unless they all compile alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .htmlcontext import HTML_ATTRS, Context, Kind, is_event_attr

#: Outermost filters by which the author says a value is fit for script (``tojson``) or takes
#: responsibility for it (``safe``).
MARKING_FILTERS = frozenset({"tojson", "safe"})
_RAW_KINDS = frozenset({Kind.RCDATA, Kind.RAWTEXT, Kind.STYLE, Kind.SCRIPT})


@dataclass(frozen=True)
class Policy:
    """How one dynamic is escaped: ``helper`` None means ``to_html`` (as in text)."""

    helper: str | None = None
    kwargs: tuple[tuple[str, Any], ...] = ()  # the helper's arguments after (value, where)
    json: str | None = None  # "quoted"/"unquoted": ``|tojson`` whose quotes must become references
    warn: str | None = None  # the context, where an unmarked value is a compile-time warning

    def wrap(self, value: str, where: str) -> str:
        """Python for the dynamic, given Python for its value."""
        if self.json is not None:
            value = f"json_attr_({value}{', unquoted=True' if self.json == 'unquoted' else ''})"
        if self.helper is None:
            return f"to_html({value})"
        args = "".join(f", {key}={arg!r}" for key, arg in self.kwargs)
        return f"{self.helper}({value}, {where!r}{args})"

    def check(self, where: str) -> str:
        """A one-argument function applying this policy (for ``call_checked_``)."""
        return f"lambda v: {self.wrap('v', where)}"


def decide(contexts: list[Context], outer_filter: str | None) -> Policy:
    """The policy of a dynamic that may be in any of ``contexts``; ``outer_filter`` is the name
    of its expression's outermost filter, if any."""
    policies = list(dict.fromkeys(_single(ctx, outer_filter) for ctx in contexts))
    if len(policies) == 1:
        return policies[0]
    warn = next((p.warn for p in policies if p.warn), None)
    json = "quoted" if any(p.json for p in policies) else None
    urls = {u for u in (_url_check(p) for p in policies) if u is not None}
    url: tuple[tuple[str, Any], ...] = ()
    if len(urls) == 1 and True not in urls:
        prefix = next(iter(urls))  # every URL context has this static prefix
        url = (("prefix", prefix),) if prefix else ()
    elif urls:
        url = (("follows", True),)  # checks any scheme the value could help spell
    helpers = {p.helper for p in policies} - {None}
    if helpers <= {"url_html"}:
        # Text and quoted attribute values (to_html is right in both), some of them URLs.
        return Policy("url_html" if urls else None, url, json, warn)
    if len(helpers) == 1 and json is None and helpers & {"comment_html", "rawtext_html"}:
        kwargs_seen = {p.kwargs for p in policies if p.helper is not None}
        if len(kwargs_seen) == 1:  # text, or a comment / the same raw-text end tag
            return Policy(helpers.pop(), kwargs_seen.pop(), None, warn)
    # Different escapings: one that is safe in all of them.
    kwargs = [("url" if key == "prefix" else key, arg) for key, arg in url]
    if urls and not kwargs:
        kwargs = [("url", "")]
    if any(ctx.kind in (Kind.TAG_OPEN, Kind.TAG_NAME, Kind.TAG) for ctx in contexts):
        kwargs.append(("tag", True))
    if any(ctx.kind == Kind.COMMENT for ctx in contexts):
        kwargs.append(("comment", True))
    return Policy("strict_html", tuple(kwargs), "unquoted" if json else None, warn)


def _url_check(p: Policy) -> str | bool | None:
    """The URL check a policy makes: None, the static prefix, or True (``follows``)."""
    keys = dict(p.kwargs)
    if keys.get("follows"):
        return True
    if p.helper == "url_html":
        return keys.get("prefix", "")
    return keys.get("url")


def _single(ctx: Context, outer_filter: str | None) -> Policy:
    kind = ctx.kind
    marked = outer_filter in MARKING_FILTERS
    if kind == Kind.TEXT:
        return Policy()
    if kind == Kind.COMMENT:
        return Policy("comment_html")
    if kind in _RAW_KINDS:
        warn = None if marked or kind != Kind.SCRIPT else "inside <script>"
        if ctx.prefix is None:
            return Policy(warn=warn)
        # right after "<", "</" or "</scr": the value must not complete the end tag
        return Policy("rawtext_html", (("tag", ctx.tag or ""), ("typed", ctx.prefix)), None, warn)
    # |tojson's Markup inside a tag: its quotes, spaces and "=" would write attributes
    tag_json = "unquoted" if outer_filter == "tojson" else None
    if kind == Kind.TAG_OPEN:
        return Policy("tag_html", (), tag_json)
    if kind == Kind.TAG_NAME:
        return Policy("tag_html", (("prefix", ctx.prefix or ""),), tag_json)
    if kind == Kind.TAG:
        return Policy("attrs_html", (), tag_json)
    # an attribute value
    warn = None
    if not marked:
        if is_event_attr(ctx.attr):
            warn = f"in the event-handler attribute {ctx.attr}"
        elif ctx.attr in HTML_ATTRS:
            warn = f"in the attribute {ctx.attr}, whose value is HTML"
        elif ctx.url is not None and ctx.url[0] == "js":
            warn = f"in a javascript: URL (attribute {ctx.attr})"
    quoted = kind == Kind.ATTR_QUOTED
    json = ("quoted" if quoted else "unquoted") if outer_filter == "tojson" else None
    url: tuple[tuple[str, Any], ...] = ()
    if ctx.url is not None and ctx.url[0] == "prefix":
        url = (("prefix" if quoted else "url", ctx.url[1]),) if ctx.url[1] or not quoted else ()
        if quoted:
            return Policy("url_html", url, json, warn)
    elif ctx.url is not None and ctx.url[0] == "follows":
        url = (("follows", True),)
        if quoted:
            return Policy("url_html", url, json, warn)
    if quoted:
        return Policy(None, (), json, warn)
    return Policy("unquoted_html", url, json, warn)
