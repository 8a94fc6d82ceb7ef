"""Where in the HTML a template's next dynamic lands: a small incremental HTML tokenizer.

The code generator feeds it the static text of the linked tree in document order and asks, at
each ``{{ expr }}``, which *context* the value will be in — text, a quoted or unquoted attribute
value (of which attribute), the inside of a start tag, a ``<script>``, a ``<style>``, a comment —
so that it can escape the value for that context (:mod:`.contextpolicy` decides how).

It follows the WHATWG tokenizer's states that matter for that question, not the tree builder.
What a dynamic prints is unknown at compile time, so a :class:`Position` is a *set* of possible
tokenizer states: after ``{% if %}`` the states its branches end in, after ``{% for %}`` every
state an iteration may start in (a fixpoint), after a dynamic every state its value may leave
the tokenizer in (``<{{ x }}`` may be text or a tag). Where the tree builder decides how text
is tokenized — ``<script>``, ``<style>``, ``<title>`` hold raw text, except inside ``<svg>`` or
``<math>``, which any HTML element such as ``<p>`` may end — both readings are followed. A
dynamic whose possible contexts differ gets the escaping that is safe in all of them.

One job besides answering: quoting an unquoted attribute value (``class={{ x }}``) that the code
generator decided to quote. In that mode :meth:`Tokenizer.feed` rewrites the static text that
continues the value (a ``"`` becomes ``&#34;``) and adds the closing quote where the value ends.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

# --- the tokenizer states this module tracks ----------------------------------------------------

DATA = "data"
RCDATA = "rcdata"  # <textarea>, <title>: text, but only its own end tag ends it
RAWTEXT = "rawtext"  # <style>, <xmp>, <iframe>, <noembed>, <noframes>, <noscript>
SCRIPT = "script"
PLAINTEXT = "plaintext"
TAG_OPEN = "tag open"  # after "<"
END_TAG_OPEN = "end tag open"  # after "</"
TAG_NAME = "tag name"
BEFORE_ATTR_NAME = "before attribute name"  # also "after attribute value (quoted)": they act alike
ATTR_NAME = "attribute name"
AFTER_ATTR_NAME = "after attribute name"
BEFORE_ATTR_VALUE = "before attribute value"
ATTR_VALUE_DQ = "attribute value (double-quoted)"
ATTR_VALUE_SQ = "attribute value (single-quoted)"
ATTR_VALUE_UQ = "attribute value (unquoted)"
SELF_CLOSING = "self-closing start tag"
MARKUP_DECL = "markup declaration open"  # after "<!"
BOGUS_COMMENT = "bogus comment"  # <!DOCTYPE …>, <?…>, </5…>: up to the next ">"
COMMENT_START = "comment start"
COMMENT_START_DASH = "comment start dash"
COMMENT = "comment"
COMMENT_END_DASH = "comment end dash"
COMMENT_END = "comment end"
COMMENT_END_BANG = "comment end bang"
CDATA = "cdata section"  # <![CDATA[ … ]]>, only inside <svg>/<math>

_COMMENT_STATES = frozenset({
    MARKUP_DECL, BOGUS_COMMENT, COMMENT_START, COMMENT_START_DASH, COMMENT, COMMENT_END_DASH, COMMENT_END,
    COMMENT_END_BANG, CDATA,
})
# A "-" in a comment: the state it leads to (counting towards "-->").
_COMMENT_DASH = {
    COMMENT_START: COMMENT_START_DASH, COMMENT_START_DASH: COMMENT_END, COMMENT_END_DASH: COMMENT_END,
    COMMENT_END: COMMENT_END, COMMENT_END_BANG: COMMENT_END_DASH,
}
_IN_TAG = frozenset({BEFORE_ATTR_NAME, ATTR_NAME, AFTER_ATTR_NAME, SELF_CLOSING})

SCRIPT_TAGS = frozenset({"script"})
RAWTEXT_TAGS = frozenset({"style", "xmp", "iframe", "noembed", "noframes", "noscript"})
RCDATA_TAGS = frozenset({"textarea", "title"})
#: Elements whose content the tokenizer does not read as markup: a dynamic tag name must never
#: make one (the statics after it were compiled as ordinary HTML).
SPECIAL_TAGS = SCRIPT_TAGS | RAWTEXT_TAGS | RCDATA_TAGS | {"plaintext"}
#: Elements whose content is foreign (SVG, MathML): there ``<script>``, ``<style>`` and ``<title>``
#: hold markup, not raw text, and ``<![CDATA[`` opens a CDATA section.
FOREIGN_TAGS = frozenset({"svg", "math"})

#: Attributes whose value is a URL the browser may navigate to or load.
URL_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "poster", "cite", "background", "longdesc",
     "codebase", "manifest", "data"}
)
#: Attributes whose value is HTML (``<iframe srcdoc>``): escaping for an attribute is not enough.
HTML_ATTRS = frozenset({"srcdoc"})

_WS = "\t\n\f\r "
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
_UQ_END = re.compile(r"[\t\n\f\r >]")
_CONTROLS_AND_SPACE = "".join(chr(c) for c in range(33))
#: Schemes a URL attribute refuses (``data:`` except raster images, see :mod:`.contextescape`).
BAD_SCHEMES = ("javascript", "vbscript", "data")


def is_event_attr(attr: str | None) -> bool:
    """``onclick``, ``onerror``…: the value is JavaScript. (``phx-click`` is not one.)"""
    return attr is not None and len(attr) > 2 and attr.startswith("on")


# --- contexts: what a dynamic sees --------------------------------------------------------------


class Kind:
    TEXT = "text"
    RCDATA = "rcdata"
    RAWTEXT = "rawtext"
    STYLE = "style"
    SCRIPT = "script"
    COMMENT = "comment"
    TAG_OPEN = "tag open"  # <{{ x }}
    TAG_NAME = "tag name"  # <h{{ x }}
    TAG = "tag"  # between attributes, or inside an attribute's name: <input {{ x }}>
    ATTR_QUOTED = "quoted attribute value"
    ATTR_UNQUOTED = "unquoted attribute value"


@dataclass(frozen=True)
class Context:
    """The context of one dynamic in one possible tokenizer state.

    ``attr`` is the attribute's lowercased name (None: not known at compile time). ``url`` is
    set in a URL attribute while the value's scheme is not decided yet: ``("prefix", text)``
    when only static text (entity-decoded) came before the dynamic in the value, ``("follows",
    "")`` when another dynamic did, ``("js", "")`` when the static text already spells a
    ``javascript:`` URL (the value is then script). ``prefix`` is a tag name's static start, or in
    raw text (script, style, textarea) what static text after ``<`` already wrote of its end tag.
    """

    kind: str
    tag: str | None = None
    attr: str | None = None
    quote: str = ""
    url: tuple[str, str] | None = None
    prefix: str | None = None  # a tag name's static start; in raw text, a started end tag's


# --- one tokenizer state ------------------------------------------------------------------------


class Tokenizer:
    """One possible state of the HTML tokenizer, advanced by static text and by dynamics."""

    __slots__ = (
        "state", "tag", "end", "attr", "url", "url_follows", "url_js", "uq", "quoted", "match", "foreign",
        "foreign_raw", "self_closing", "notes", "forks", "_new_forks",
    )

    def __init__(self) -> None:
        self.state = DATA
        self.tag: str | None = None  # the tag being read / the raw-text element we are in
        self.end = False  # the tag is an end tag
        self.attr: str | None = None  # the attribute being read (None: unknown)
        self.url: str | None = None  # static text of a URL value whose scheme is undecided
        self.url_follows = False  # ... and a dynamic came before that text
        self.url_js = False  # the value's static text spells a javascript: URL
        self.uq: int | None = None  # characters of an unquoted value in this node's current static
        self.quoted = False  # the code generator quoted this unquoted value
        self.match = 0  # progress through "</tagname" in raw text (a dash after "<!", "]" in CDATA)
        # How many <svg>/<math> may be open (the tree builder may have left them: this only counts
        # tags; -1: some, for good), and the script/style/title/textarea open inside one (its text
        # is markup there).
        self.foreign = 0
        self.foreign_raw: str | None = None
        self.self_closing = False  # the tag being read ends in "/>"
        self.notes: list[str] = []  # things the code generator should warn about
        # Where the text read may be tokenized two ways (<script> in what may be <svg>): the other
        # way's states, fed to the end of the text (``forks``), or just made (``_new_forks``).
        self.forks: list[Tokenizer] = []
        self._new_forks: list[Tokenizer] = []

    def copy(self) -> "Tokenizer":
        other = Tokenizer.__new__(Tokenizer)
        for name in Tokenizer.__slots__:
            setattr(other, name, getattr(self, name))
        other.notes, other.forks, other._new_forks = [], [], []
        return other

    def key(self) -> tuple:
        return (self.state, self.tag, self.end, self.attr, self.url, self.url_follows, self.url_js, self.uq,
                self.quoted, self.match, self.foreign, self.foreign_raw, self.self_closing)

    # --- what a dynamic here sees ---

    def context(self) -> Context:
        st = self.state
        if st == DATA and self.foreign_raw is not None:
            # <svg><script>: markup, but its text is still script (or a style sheet)
            raw_kind = {"script": Kind.SCRIPT, "style": Kind.STYLE}.get(self.foreign_raw, Kind.TEXT)
            return Context(raw_kind, self.foreign_raw)
        if st == DATA or st == PLAINTEXT:
            return Context(Kind.TEXT)
        if st in (RCDATA, RAWTEXT, SCRIPT):
            kind = {RCDATA: Kind.RCDATA, SCRIPT: Kind.SCRIPT}.get(st, Kind.STYLE if self.tag == "style" else Kind.RAWTEXT)
            return Context(kind, self.tag, prefix=self._end_tag_typed())
        if st in _COMMENT_STATES:
            return Context(Kind.COMMENT)
        if st == TAG_OPEN or st == END_TAG_OPEN:
            return Context(Kind.TAG_OPEN)
        if st == TAG_NAME:
            return Context(Kind.TAG_NAME, prefix=self.tag or "")
        if st in _IN_TAG:
            return Context(Kind.TAG, self.tag)
        url = self._url_context()
        if st == ATTR_VALUE_DQ or st == ATTR_VALUE_SQ:
            return Context(Kind.ATTR_QUOTED, self.tag, self.attr, '"' if st == ATTR_VALUE_DQ else "'", url)
        if self.quoted:
            return Context(Kind.ATTR_QUOTED, self.tag, self.attr, '"', url)
        return Context(Kind.ATTR_UNQUOTED, self.tag, self.attr, "", url)

    def _end_tag_typed(self) -> str | None:
        """In raw text after ``<``, ``</`` or ``</scr``: what of ``/script`` the static already wrote
        (a value must not complete the end tag); None elsewhere."""
        if self.match == 0:
            return None
        return "" if self.match == 1 else "/" + (self.tag or "")[: self.match - 2]

    def _url_context(self) -> tuple[str, str] | None:
        if self.url_js:
            return ("js", "")
        if self.url is None:
            return None
        if self.url_follows:
            return ("follows", "")
        return ("prefix", _url_text(self.url, strip=True))

    # --- after a dynamic ---

    def after_dynamic(self) -> list["Tokenizer"]:
        """The states a dynamic's value may leave the tokenizer in.

        Escaped text contains no ``<``, ``>``, quote or ``&`` of its own, so it cannot leave text,
        a quoted value or a comment; what it can do is spelled out per state below.
        """
        st = self.state
        same = self.copy()
        if st in (DATA, PLAINTEXT):
            return [same]
        if st in (RCDATA, RAWTEXT, SCRIPT):
            reset = self.copy()
            reset.match = 0
            return [same, reset]  # an empty value keeps a partial "</scr" going
        if st == CDATA:
            out = [same]
            for brackets in (1, 2):  # the value may end in "]" or "]]": a static ">" may follow
                t = self.copy()
                t.match = brackets
                out.append(t)
            return out
        if st in _COMMENT_STATES:
            out = [same]
            for s in (COMMENT, COMMENT_END_DASH, COMMENT_END, COMMENT_END_BANG, BOGUS_COMMENT):
                t = self.copy()
                t.state = s
                out.append(t)
            return out
        if st == TAG_OPEN or st == END_TAG_OPEN:
            # empty (refused), a tag name, or (not starting with a letter) text / a bogus comment
            name = self.copy()
            name.state, name.tag = TAG_NAME, None
            other = self.copy()
            other.state = DATA if st == TAG_OPEN else BOGUS_COMMENT
            other.tag, other.end = None, False
            return [same, name, other]
        if st == TAG_NAME:
            unknown = self.copy()
            unknown.tag = None
            return [same, unknown]
        if st in _IN_TAG:
            # attribute names (or safe Markup such as xmlattr's ` a="b"`): between attributes,
            # or inside a name we no longer know
            if st == ATTR_NAME:
                same.attr = None
            between = self.copy()
            between.state, between.attr = BEFORE_ATTR_NAME, None
            name = self.copy()
            name.state, name.attr = ATTR_NAME, None
            return [same, between, name]
        if st == BEFORE_ATTR_VALUE:
            value = self.copy()
            value.state = ATTR_VALUE_UQ
            value._dynamic_in_value()
            return [value] if self.quoted else [same, value]
        # inside a value: it goes on
        same._dynamic_in_value()
        return [same]

    def _dynamic_in_value(self) -> None:
        self.uq = None
        if self.url is not None:
            self.url, self.url_follows = "", True

    # --- static text ---

    def feed(self, text: str) -> str:
        """Advance over static ``text``; returns it, rewritten where this state quotes a value."""
        out: list[str] = []
        last = 0
        i, n = 0, len(text)
        pending: list[tuple[Tokenizer, int]] = []  # forks made here, and where their text goes on
        while i < n:
            if self._new_forks:
                pending += [(fork, i) for fork in self._new_forks]
                self._new_forks = []
            st = self.state
            c = text[i]
            if st == DATA:
                j = text.find("<", i)
                if j < 0:
                    break
                self.state, i = TAG_OPEN, j + 1
            elif st in (RCDATA, RAWTEXT, SCRIPT):
                i = self._raw(text, i)
            elif st == PLAINTEXT:
                break
            elif st == TAG_OPEN:
                if c == "!":
                    self.state, self.match, i = MARKUP_DECL, 0, i + 1
                elif c == "/":
                    self.state, i = END_TAG_OPEN, i + 1
                elif c.isascii() and c.isalpha():
                    self.state, self.tag, self.end, i = TAG_NAME, c.lower(), False, i + 1
                elif c == "?":
                    self.state = BOGUS_COMMENT
                else:
                    self.state = DATA  # "<" then anything else is text
            elif st == END_TAG_OPEN:
                if c.isascii() and c.isalpha():
                    self.state, self.tag, self.end, i = TAG_NAME, c.lower(), True, i + 1
                elif c == ">":
                    self.state, i = DATA, i + 1
                else:
                    self.state = BOGUS_COMMENT
            elif st == TAG_NAME:
                if c in _WS:
                    self.state = BEFORE_ATTR_NAME
                elif c == "/":
                    self.state = SELF_CLOSING
                elif c == ">":
                    self._close_tag()
                elif self.tag is not None:
                    self.tag += c.lower()
                i += 1
            elif st == BEFORE_ATTR_NAME or st == AFTER_ATTR_NAME:
                if c in _WS:
                    pass
                elif c == "/":
                    self.state = SELF_CLOSING
                elif c == ">":
                    self._close_tag()
                elif c == "=" and st == AFTER_ATTR_NAME:
                    self._start_value()
                else:
                    self.state, self.attr = ATTR_NAME, c.lower()
                i += 1
            elif st == ATTR_NAME:
                if c in _WS:
                    self.state = AFTER_ATTR_NAME
                elif c == "/":
                    self.state = SELF_CLOSING
                elif c == ">":
                    self._close_tag()
                elif c == "=":
                    self._start_value()
                elif self.attr is not None:
                    self.attr += c.lower()
                i += 1
            elif st == BEFORE_ATTR_VALUE:
                if c in _WS:
                    i += 1
                elif c == '"' or c == "'":
                    self.state, i = (ATTR_VALUE_DQ if c == '"' else ATTR_VALUE_SQ), i + 1
                elif c == ">":
                    self._close_tag()
                    i += 1
                else:
                    self.state = ATTR_VALUE_UQ
            elif st == ATTR_VALUE_DQ or st == ATTR_VALUE_SQ:
                j = text.find('"' if st == ATTR_VALUE_DQ else "'", i)
                self._value_text(text[i:j if j >= 0 else n])
                if j < 0:
                    break
                self._end_value(BEFORE_ATTR_NAME)
                i = j + 1
            elif st == ATTR_VALUE_UQ:
                m = _UQ_END.search(text, i)
                j = m.start() if m else n
                chunk = text[i:j]
                self._value_text(chunk)
                if self.quoted:
                    if '"' in chunk:
                        out.append(text[last:i])
                        out.append(chunk.replace('"', "&#34;"))
                        last = j
                    if j < n:
                        out.append(text[last:j])
                        out.append('"')
                        last = j
                elif self.uq is not None:
                    self.uq += j - i
                if j >= n:
                    break
                if text[j] == ">":
                    self._end_value(BEFORE_ATTR_NAME)
                    self._close_tag()
                else:
                    self._end_value(BEFORE_ATTR_NAME)
                i = j + 1
            elif st == SELF_CLOSING:
                if c == ">":
                    self.self_closing = True
                    self._close_tag()
                    i += 1
                else:
                    self.state = BEFORE_ATTR_NAME
            elif st == MARKUP_DECL:
                if c == "-" and self.match == 0:
                    self.match, i = 1, i + 1
                elif c == "-":
                    self.state, self.match, i = COMMENT_START, 0, i + 1
                else:
                    if c == "[" and self.match == 0 and self.foreign:
                        cdata = self.copy()  # <![CDATA[ in foreign content (else a bogus comment)
                        cdata.state = CDATA
                        self._new_forks.append(cdata)
                    self.state, self.match = BOGUS_COMMENT, 0
            elif st == BOGUS_COMMENT:
                j = text.find(">", i)
                if j < 0:
                    break
                self.state, i = DATA, j + 1
            elif st == CDATA:
                i = self._cdata(text, i)
            else:
                i = self._comment(text, i)
        pending += [(fork, n) for fork in self._new_forks]
        self._new_forks = []
        for fork, at in pending:
            fork.feed(text[at:])
            self.forks += [fork, *fork.forks]
            fork.forks = []
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def _raw(self, text: str, i: int) -> int:
        """Raw text (script, style, textarea…): only ``</tagname`` + space, ``/`` or ``>`` ends it."""
        tag = self.tag or ""
        if self.match == 0:
            j = text.find("<", i)
            if j < 0:
                return len(text)
            self.match = 1
            return j + 1
        c = text[i]
        if self.match == 1:
            self.match = 2 if c == "/" else 0
            return i + 1 if c == "/" else i
        k = self.match - 2
        if k < len(tag):
            if c.lower() == tag[k]:
                self.match += 1
                return i + 1
            self.match = 0
            return i
        if c in _WS or c == "/" or c == ">":
            self.match = 0
            self.end = True
            if c == ">":
                self.state, self.tag, self.end = DATA, None, False
            else:
                self.state = BEFORE_ATTR_NAME if c != "/" else SELF_CLOSING
            return i + 1
        self.match = 0
        return i

    def _cdata(self, text: str, i: int) -> int:
        """A CDATA section: text up to ``]]>``."""
        c = text[i]
        if c == ">" and self.match >= 2:
            self.state, self.match = DATA, 0
        elif c == "]":
            self.match = min(self.match + 1, 2)
        else:
            self.match = 0
            j = text.find("]", i)
            return len(text) if j < 0 else j
        return i + 1

    def _comment(self, text: str, i: int) -> int:
        st, c = self.state, text[i]
        if st == COMMENT:
            j = text.find("-", i)
            if j < 0:
                return len(text)
            self.state = COMMENT_END_DASH
            return j + 1
        if c == ">" and st in (COMMENT_START, COMMENT_START_DASH, COMMENT_END, COMMENT_END_BANG):
            self.state = DATA
            return i + 1
        if c == "-":
            self.state = _COMMENT_DASH[st]
            return i + 1
        if c == "!" and st == COMMENT_END:
            self.state = COMMENT_END_BANG
            return i + 1
        self.state = COMMENT
        return i

    def _close_tag(self) -> None:
        tag, end, self_closing = self.tag, self.end, self.self_closing
        self.attr, self.end, self.match, self.self_closing = None, False, 0, False
        self.state = DATA
        if end or tag is None:
            self.tag = None
            if end and tag is not None and self.foreign:
                if tag == self.foreign_raw:
                    self.foreign_raw = None
                elif tag in FOREIGN_TAGS and self.foreign > 0:
                    self.foreign -= 1
            return
        if tag in FOREIGN_TAGS and not self_closing:
            self.tag = None
            if self.foreign >= 0:
                self.foreign += 1
            return
        if self.foreign and tag in SPECIAL_TAGS:
            # In <svg>/<math> this element holds markup; if the tree builder has left them (an
            # HTML element such as <p> ends foreign content), raw text: both, from here on.
            html = self.copy()
            html.foreign = 0
            html._close_tag()
            self._new_forks.append(html)
            self.tag = None
            if not self_closing:
                self.foreign_raw = tag
            return
        if tag in SCRIPT_TAGS:
            self.state = SCRIPT
        elif tag in RAWTEXT_TAGS:
            self.state = RAWTEXT
        elif tag in RCDATA_TAGS:
            self.state = RCDATA
        elif tag == "plaintext":
            self.state = PLAINTEXT
        else:
            self.tag = None

    def _start_value(self) -> None:
        self.state = BEFORE_ATTR_VALUE
        self.uq, self.quoted = 0, False
        # an attribute whose name a dynamic wrote may be a URL attribute
        self.url = "" if self.attr is None or self.attr in URL_ATTRS else None
        self.url_follows = self.url_js = False

    def _end_value(self, state: str) -> None:
        self.state, self.attr = state, None
        self.url, self.url_follows, self.url_js = None, False, False
        self.uq, self.quoted = None, False

    def _value_text(self, chunk: str) -> None:
        """Static text of an attribute value: decides a URL's scheme once it is spelled out."""
        if self.url is None or not chunk:
            return
        self.url += chunk
        text = _url_text(self.url, strip=not self.url_follows)
        for k, ch in enumerate(text):
            if ch in _SCHEME_CHARS:
                continue
            if ch == ":":
                scheme = text[:k].lower()
                if self.url_follows and any(bad.endswith(scheme) for bad in BAD_SCHEMES):
                    self.notes.append(
                        f"the scheme of the URL in attribute {self.attr or '?'!r} is put together from a "
                        f"dynamic and the static text {scheme + ':'!r}: it cannot be checked"
                    )
                elif not self.url_follows and scheme in ("javascript", "vbscript"):
                    self.url_js = True
            self.url, self.url_follows = None, False
            return


def _url_text(raw: str, strip: bool) -> str:
    """An attribute value's static text as a URL parser sees it: references decoded, tabs and
    newlines removed, leading spaces and controls stripped (where the value starts)."""
    text = html.unescape(raw).replace("\t", "").replace("\n", "").replace("\r", "")
    return text.lstrip(_CONTROLS_AND_SPACE) if strip else text


# --- a set of possible states ---------------------------------------------------------------------


class Position:
    """The possible tokenizer states at one point of the template (usually exactly one)."""

    __slots__ = ("states",)

    def __init__(self, states: Iterable[Tokenizer] | None = None) -> None:
        self.states: list[Tokenizer] = _dedupe(states) if states is not None else [Tokenizer()]

    def copy(self) -> "Position":
        return Position(t.copy() for t in self.states)

    def key(self) -> frozenset:
        return frozenset(t.key() for t in self.states)

    @staticmethod
    def merge(positions: Iterable["Position"]) -> "Position":
        return Position(t for p in positions for t in p.states)

    def text(self, value: str) -> str:
        """Feed static text; returns it as the statics must hold it (see :meth:`Tokenizer.feed`)."""
        single = len(self.states) == 1
        out = value
        states: list[Tokenizer] = []
        for t in self.states:
            assert single or not t.quoted, "an unquoted value is only quoted where its state is certain"
            rewritten = t.feed(value)
            if single:
                out = rewritten
            states += [t, *t.forks]
            t.forks = []
        self.states = _dedupe(states)
        return out

    def contexts(self) -> list[Context]:
        seen: dict[Context, None] = {}
        for t in self.states:
            seen.setdefault(t.context(), None)
        return list(seen)

    def after_dynamic(self) -> None:
        self.states = _dedupe(s for t in self.states for s in t.after_dynamic())

    def boundary(self) -> None:
        """A child node starts or ended here: an unquoted value begun before it is no longer in
        the current static (see :meth:`may_quote`)."""
        for t in self.states:
            if t.state == ATTR_VALUE_UQ and not t.quoted:
                t.uq = None
        self.states = _dedupe(self.states)

    def may_quote(self) -> bool:
        """A dynamic here is in an unquoted attribute value that could be quoted in the statics:
        the state is certain and the value started in the current static (or not yet)."""
        if len(self.states) != 1:
            return False
        t = self.states[0]
        return not t.quoted and (t.state == BEFORE_ATTR_VALUE or (t.state == ATTR_VALUE_UQ and t.uq is not None))

    def quote_value(self) -> int:
        """Switch to a quoted value (see :meth:`may_quote`); returns how many characters at the end
        of the current static belong to the value (the opening quote goes before them)."""
        t = self.states[0]
        count = t.uq or 0
        t.state, t.quoted, t.uq = ATTR_VALUE_UQ, True, None
        return count

    def in_attribute_value(self) -> bool:
        return any(t.state in (BEFORE_ATTR_VALUE, ATTR_VALUE_UQ) for t in self.states)

    def take_notes(self) -> list[str]:
        notes = [note for t in self.states for note in t.notes]
        for t in self.states:
            t.notes = []
        return notes

    def widen(self) -> "Position":
        """Forget what keeps growing from one loop iteration to the next (names, URL text), so a
        loop's fixpoint is reached."""
        out = []
        for t in self.states:
            t = t.copy()
            if t.state == TAG_NAME:
                t.tag = None
            if t.state == ATTR_NAME:
                t.attr = None
            if t.url is not None:
                t.url, t.url_follows = "", True
            if not t.quoted:
                t.uq = None
            if t.foreign > 0:
                t.foreign = -1  # <svg> opened by each iteration: foreign content may go on for good
            out.append(t)
        return Position(out)


def _dedupe(states: Iterable[Tokenizer]) -> list[Tokenizer]:
    seen: dict[tuple, Tokenizer] = {}
    for t in states:
        k = t.key()
        if k in seen:
            seen[k].notes.extend(t.notes)
        else:
            seen[k] = t
    return list(seen.values())
