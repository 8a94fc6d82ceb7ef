"""The page as the test client sees it: elements, event values and forms, read from HTML alone.

The test client holds the HTML of the view's container. This module answers the questions the
browser would answer from the DOM, the way the official client (``phoenix_live_view`` 1.2.12)
and Chromium answer them, so that a test sends what a real page sends:

* :class:`Page` finds elements by CSS selector and text, with error messages that show what
  the page has instead;
* :func:`pushes` and :func:`event_value` say which events a ``phx-click`` (or key, focus, blur)
  binding pushes and with which value (``View.extractMeta``);
* :class:`Form` holds the values a user typed into a form and serialises them exactly like
  ``View.serializeForm`` (``FormData`` order, browser value sanitisation, ``_unused_`` keys,
  ``URLSearchParams`` encoding); ``tests/testing/test_dom_chromium.py`` holds it to the real
  client in Chromium.

Not modelled: ``<textarea wrap="hard">`` (its line breaks depend on layout), form-associated
custom elements, a color input holding a CSS color name or function (an error says so), and
the parser's association of controls with a ``<form>`` they are not inside
(``<table><form><tr><td><input>``): a control belongs to its ``form="id"`` target or its
nearest ``<form>`` ancestor.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Union

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from .errors import LiveViewTestError

__all__ = [
    "Form",
    "Node",
    "Page",
    "comparable",
    "describe",
    "event_value",
    "is_disabled",
    "pushes",
    "snippet",
]

Node = LexborNode
TextFilter = Union[str, "re.Pattern[str]", None]

MAX_CANDIDATES = 5
SNIPPET_WIDTH = 80
VALUE_PREFIX = "phx-value-"
NO_UNUSED_FIELD = "phx-no-unused-field"

_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_ASCII_WS = "\t\n\f\r "
_ASCII_WS_RUN = re.compile(r"[\t\n\f\r ]+")
_CONTROL_TAGS = ("input", "select", "textarea", "button")
_DISABLEABLE = frozenset(("button", "input", "select", "textarea", "fieldset"))
_INPUT_TYPES = frozenset(
    "hidden text search tel url email password date month week time datetime-local number range "
    "color checkbox radio file submit image reset button".split()
)
_BUTTON_TYPES = frozenset(("submit", "reset", "button", "image"))
_TEXT_TYPES = frozenset(("text", "search", "tel", "url", "email", "password"))
# Input types whose .value is what the user typed ("value" mode in the HTML standard).
_VALUE_MODE = _TEXT_TYPES | {"date", "month", "week", "time", "datetime-local", "number", "range", "color"}
_CHECKABLE = frozenset(("checkbox", "radio"))
_READONLY_TYPES = _TEXT_TYPES | {"date", "month", "week", "time", "datetime-local", "number", "textarea"}
_DIRNAME_TYPES = _TEXT_TYPES | {"hidden"}  # (and textarea) submit their direction under dirname
_VALID_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_HTML_INTEGER = re.compile(r"[\t\n\f\r ]*([-+]?[0-9]+)")
_SURROGATE = re.compile("[\ud800-\udfff]")
# application/x-www-form-urlencoded percent-encode set: everything but these bytes is escaped
# (space becomes "+"). Note "~" IS escaped, unlike in urllib.parse.quote_plus.
_URLENCODE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


# ============================================================================ messages


def _one_line(text: str) -> str:
    """Whitespace runs (any Unicode whitespace) collapsed to one space, ends stripped."""
    return " ".join(text.split())


def snippet(node: Node) -> str:
    """A short one-line rendering of ``node`` (start tag and text) for error messages.

    Messages show candidates this way so that a failing test says what the page has without
    dumping whole subtrees.
    """
    attrs = "".join(f" {k}" if v is None else f' {k}="{v}"' for k, v in node.attributes.items())
    text = "" if node.tag in _VOID else f"{_one_line(node.text() or '')}</{node.tag}>"
    line = _one_line(f"<{node.tag}{attrs}>") + text
    return line if len(line) <= SNIPPET_WIDTH else line[: SNIPPET_WIDTH - 1] + "…"


def describe(selector: str, text: TextFilter = None) -> str:
    """How messages name an element query: ``'button.add' with text '+1'``."""
    if text is None:
        return repr(selector)
    if isinstance(text, re.Pattern):
        return f"{selector!r} with text matching {text.pattern!r}"
    return f"{selector!r} with text {text!r}"


def _listing(nodes: list[Node]) -> str:
    """Up to five snippets, one per line, and how many were left out."""
    lines = "".join(f"\n  {snippet(n)}" for n in nodes[:MAX_CANDIDATES])
    if len(nodes) > MAX_CANDIDATES:
        lines += f"\n  ... and {len(nodes) - MAX_CANDIDATES} more"
    return lines


def _names_listing(names: list[str], wanted: str | None = None) -> str:
    """Up to five names, the ones closest to ``wanted`` first."""
    if not names:
        return "none"
    close = difflib.get_close_matches(wanted, names, n=MAX_CANDIDATES, cutoff=0.5) if wanted else []
    ordered = close + [n for n in names if n not in close]
    shown = ", ".join(repr(n) for n in ordered[:MAX_CANDIDATES])
    more = len(ordered) - MAX_CANDIDATES
    return shown + (f" (and {more} more)" if more > 0 else "")


# ============================================================================ the page


def _parse(html: str) -> LexborHTMLParser:
    # Fragment parsing in a <div> context, like the client's innerHTML: leading <style>, <meta>
    # or <title> stay where they are instead of moving into a synthesised <head>.
    return LexborHTMLParser(html, is_fragment=True, fragment_tag="div")


def _elements(tree: LexborHTMLParser) -> list[Node]:
    return tree.css("*")


class Page:
    """A parsed fragment (the view container's inner HTML).

    Parsed once with an HTML5 parser, so selectors see the tree the browser builds (implied
    ``<tbody>``, dropped nested ``<form>``, a textarea's first newline removed).
    """

    def __init__(self, html: str) -> None:
        self.html = html
        self.tree = _parse(html)
        self._controls_cache: list[_Control] | None = None

    def _css(self, selector: str) -> list[Node]:
        try:
            return self.tree.css(selector)
        except SelectolaxError as exc:
            raise LiveViewTestError(f"invalid CSS selector {selector!r}: {exc}") from None

    def select(self, selector: str, text: TextFilter = None) -> list[Node]:
        """Elements matching the CSS ``selector`` in tree order, optionally filtered by text.

        ``text`` is a substring of the element's text content, whitespace-normalised on both
        sides (so ``"Save changes"`` finds ``Save\\n  changes``), or a regex searched in it.
        """
        nodes = self._css(selector)
        if text is None:
            return nodes
        return [n for n in nodes if _text_matches(n, text)]

    def one(self, selector: str, text: TextFilter = None, *, binding: str | None = None) -> Node:
        """Exactly one element, or a :class:`LiveViewTestError` showing what the page has.

        With no match the message lists the elements matching ``selector`` whatever their text
        (the text was probably wrong), else those carrying ``binding`` (``"phx-click"``: the
        selector was probably wrong).
        """
        found = self.select(selector, text)
        if len(found) == 1:
            return found[0]
        what = describe(selector, text)
        if found:
            raise LiveViewTestError(f"{what} matches {len(found)} elements, expected exactly one:{_listing(found)}")
        if text is not None:
            loose = self._css(selector)
            if loose:
                raise LiveViewTestError(
                    f"the page has no element matching {what}; elements matching {selector!r} have other text:"
                    f"{_listing(loose)}"
                )
        if binding:
            carriers = [n for n in _elements(self.tree) if binding in n.attributes]
            if carriers:
                raise LiveViewTestError(
                    f"the page has no element matching {what}; elements with {binding}:{_listing(carriers)}"
                )
            raise LiveViewTestError(f"the page has no element matching {what} (and no element has {binding})")
        raise LiveViewTestError(f"the page has no element matching {what}")

    def duplicate_ids(self) -> list[str]:
        """Ids carried by more than one element, in order of first appearance.

        The client patches and recovers forms by id; a duplicate makes it act on the wrong one.
        """
        counts = Counter(n.attributes.get("id") for n in self._css("[id]"))
        return [i for i, count in counts.items() if i and count > 1]

    def change_forms_without_id(self) -> list[str]:
        """Snippets of ``<form phx-change>`` lacking an id: the client cannot recover them on reconnect."""
        return [
            snippet(n)
            for n in self._css("form")
            if "phx-change" in n.attributes and not n.attributes.get("id")
        ]

    def _controls(self) -> list[_Control]:
        if self._controls_cache is None:
            self._controls_cache = _build_controls(self.tree)
        return self._controls_cache


def _text_matches(node: Node, text: str | re.Pattern[str]) -> bool:
    content = _one_line(node.text() or "")
    if isinstance(text, re.Pattern):
        return text.search(content) is not None
    return _one_line(text) in content


def comparable(html: str) -> str:
    """``html`` parsed and serialised back in one canonical form, stream containers emptied.

    The test client compares the client-side merged HTML with a fresh server render. Parsing
    both removes differences of quoting and escaping; a ``phx-update="stream"`` container keeps
    rows on the client that a fresh render no longer sends, so its children are left out.
    """
    tree = _parse(html)
    for container in tree.css('[phx-update="stream"]'):
        child = container.first_child
        while child is not None:
            following = child.next
            child.decompose()
            child = following
    return tree.html or ""


# ============================================================================ disabled state


def is_disabled(node: Node) -> bool:
    """Whether the browser treats ``node`` as disabled (it then fires no events and submits nothing).

    Its own ``disabled`` attribute (button, input, select, textarea, fieldset, optgroup,
    option), an ``<option>`` inside ``<optgroup disabled>``, or a form control or fieldset inside
    ``<fieldset disabled>`` but not inside that fieldset's first ``<legend>``. Other elements
    (a ``<div>`` with ``phx-click``) are never disabled, whatever their ancestors.
    """
    tag = node.tag
    if tag == "option":
        parent = node.parent
        return "disabled" in node.attributes or (
            parent is not None and parent.tag == "optgroup" and "disabled" in parent.attributes
        )
    if tag == "optgroup":
        return "disabled" in node.attributes
    if tag not in _DISABLEABLE:
        return False
    return "disabled" in node.attributes or _in_disabled_fieldset(node)


def _in_disabled_fieldset(node: Node) -> bool:
    child, parent = node, node.parent
    while parent is not None:
        if parent.tag == "fieldset" and "disabled" in parent.attributes:
            legend = next((c for c in _child_elements(parent) if c.tag == "legend"), None)
            if legend is None or child != legend:
                return True
        child, parent = parent, parent.parent
    return False


def _child_elements(node: Node) -> Iterable[Node]:
    child = node.first_child
    while child is not None:
        if child.is_element_node:
            yield child
        child = child.next


# ============================================================================ controls and their values


@dataclass(eq=False)
class _Control:
    """A form control and its current state (what the DOM properties would hold)."""

    node: Node
    type: str  # input: its normalised type; "select-one", "select-multiple", "textarea", button type
    name: str
    owner: Node | None  # the form it belongs to
    value: str = ""  # value-mode inputs and textarea
    checked: bool = False  # checkbox and radio
    options: list[Node] = field(default_factory=list)  # select
    selected: list[bool] = field(default_factory=list)  # select, per option

    @property
    def tag(self) -> str:
        return self.node.tag

    @property
    def is_button(self) -> bool:
        return self.tag == "button" or (self.tag == "input" and self.type in _BUTTON_TYPES)

    def copy(self) -> _Control:
        return replace(self, selected=list(self.selected))

    def dom_value(self) -> str:
        """The control's ``.value`` property."""
        if self.tag == "select":
            chosen = [i for i, on in enumerate(self.selected) if on]
            return _option_value(self.options[chosen[0]]) if chosen else ""
        if self.tag == "input" and self.type == "color" and _hex_color(self.value) is None:
            raise LiveViewTestError(
                f"the color input {snippet(self.node)} holds {self.value!r}: Chromium converts CSS colors to"
                " #rrggbb and the test client only converts hex colors; render the value as '#rrggbb'"
            )
        if self.tag == "textarea" or (self.tag == "input" and self.type in _VALUE_MODE):
            return self.value
        attr = self.node.attributes.get("value")
        if self.tag == "input" and self.type in _CHECKABLE:
            return "on" if attr is None else attr
        if self.tag == "input" and self.type == "file":
            return ""  # no file chosen (uploads are not modelled)
        return attr or ""


def _input_type(node: Node) -> str:
    kind = (node.attributes.get("type") or "").lower()
    return kind if kind in _INPUT_TYPES else "text"


def _button_type(node: Node) -> str:
    kind = (node.attributes.get("type") or "").lower()
    return kind if kind in ("submit", "reset", "button") else "submit"


def _option_value(option: Node) -> str:
    value = option.attributes.get("value")
    if value is not None:
        return value
    return _ASCII_WS_RUN.sub(" ", option.text() or "").strip(_ASCII_WS)


def _select_options(select: Node) -> list[Node]:
    """The select's list of options: option descendants not inside a nested select or datalist."""
    found = []
    for option in select.css("option"):
        parent = option.parent
        while parent is not None and parent.tag not in ("select", "datalist"):
            parent = parent.parent
        if parent is not None and parent == select:
            found.append(option)
    return found


def _display_size(select: Node) -> int:
    match = _HTML_INTEGER.match(select.attributes.get("size") or "")
    size = int(match.group(1)) if match else 0
    if size > 0:
        return size
    return 4 if "multiple" in select.attributes else 1


def _initial_selection(select: Node, options: list[Node]) -> list[bool]:
    """Selectedness after parsing: ``selected`` attributes; a single select keeps the last one,
    and a drop-down (display size 1) with none selects its first enabled option."""
    selected = ["selected" in o.attributes for o in options]
    if "multiple" in select.attributes:
        return selected
    if any(selected):
        last = max(i for i, on in enumerate(selected) if on)
        return [i == last for i in range(len(options))]
    if _display_size(select) == 1:
        first = next((i for i, o in enumerate(options) if not is_disabled(o)), None)
        return [i == first for i in range(len(options))]
    return selected


def _owner(node: Node, ids: Mapping[str, Node] | None) -> Node | None:
    """The form a control belongs to: its ``form="id"`` target, else its nearest <form>.

    With ``ids`` None (a detached fragment) the ``form`` attribute is not looked up.
    """
    if ids is not None and "form" in node.attributes:
        target = ids.get(node.attributes.get("form") or "")
        return target if target is not None and target.tag == "form" else None
    parent = node.parent
    while parent is not None and parent.tag != "form":
        parent = parent.parent
    return parent


def _build_controls(tree: LexborHTMLParser) -> list[_Control]:
    """Every input, select, textarea and button of the tree in tree order, in its initial state."""
    elements = _elements(tree)
    ids: dict[str, Node] = {}
    for node in elements:
        ids.setdefault(node.attributes.get("id") or "", node)
    ids.pop("", None)
    controls = []
    for node in elements:
        if node.tag in _CONTROL_TAGS:
            controls.append(_initial_control(node, _owner(node, ids)))
    _settle_radio_groups(elements, [c for c in controls if c.type == "radio" and c.tag == "input" and c.name])
    return controls


def _settle_radio_groups(elements: list[Node], radios: list[_Control]) -> None:
    """Uncheck the radios that lose to a later checked radio of their group, as Chromium does.

    A radio that joins a group checked unchecks the group's checked radio. The client renders
    through ``innerHTML``, so the markup is parsed into a detached fragment first (radios
    inside a <form> join that form's group; ``form=`` attributes do not count yet), then
    connected in tree order: a radio outside any form joins the page's group, and a ``form="id"``
    radio moves to the group of that form once an element with that id has been connected.
    ``tests/testing/test_dom_chromium.py`` checks this against Chromium.
    """
    checked: dict[tuple[Any, str], _Control] = {}  # the checked radio of each group
    group_of: dict[int, tuple[Any, str]] = {}  # the group each radio is in (none while detached outside a form)

    def join(radio: _Control, form: Node | None) -> None:
        group = (form.mem_id if form is not None else None, radio.name)
        if group_of.get(radio.node.mem_id) == group:
            return
        old = group_of.pop(radio.node.mem_id, None)
        if old is not None and checked.get(old) is radio:
            del checked[old]
        group_of[radio.node.mem_id] = group
        if radio.checked:
            if group in checked:
                checked[group].checked = False
            checked[group] = radio

    for radio in radios:  # parsing the detached fragment
        form = _owner(radio.node, None)
        if form is not None:
            join(radio, form)

    by_node = {radio.node.mem_id: radio for radio in radios}
    connected_ids: dict[str, Node] = {}
    waiting: dict[str, list[_Control]] = {}

    def reset(radio: _Control) -> None:
        target = connected_ids.get(radio.node.attributes.get("form") or "")
        join(radio, target if target is not None and target.tag == "form" else None)

    for node in elements:  # connecting it, in tree order
        element_id = node.attributes.get("id")
        if element_id and element_id not in connected_ids:
            connected_ids[element_id] = node
            for radio in waiting.get(element_id, ()):
                reset(radio)
        radio = by_node.get(node.mem_id)
        if radio is None:
            continue
        if "form" in node.attributes:
            reset(radio)
            waiting.setdefault(node.attributes.get("form") or "", []).append(radio)
        elif node.mem_id not in group_of:
            join(radio, None)


def _initial_control(node: Node, owner: Node | None) -> _Control:
    attrs = node.attributes
    name = attrs.get("name") or ""
    if node.tag == "input":
        kind = _input_type(node)
        control = _Control(node, kind, name, owner, checked="checked" in attrs)
        if kind in _VALUE_MODE:
            control.value = _sanitize(node, kind, attrs.get("value") or "")
        return control
    if node.tag == "select":
        options = _select_options(node)
        kind = "select-multiple" if "multiple" in attrs else "select-one"
        return _Control(node, kind, name, owner, options=options, selected=_initial_selection(node, options))
    if node.tag == "textarea":
        return _Control(node, "textarea", name, owner, value=_newlines_to_lf(node.text() or ""))
    return _Control(node, _button_type(node), name, owner)


def _newlines_to_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- value sanitisation (what Chromium does to an input's value) ---------------------------------


def _valid_float(text: str) -> Decimal | None:
    """A valid floating-point number (HTML), as Chromium parses number-like attributes."""
    if not _VALID_FLOAT.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex only lets valid numbers through
        return None
    return number if float(number) not in (float("inf"), float("-inf")) else None


_LENIENT_FLOAT = re.compile(r"[\t\n\f\r ]*([-+]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)")


def _lenient_float(text: str | None, default: float) -> float:
    """The HTML "rules for parsing floating-point number values": leading space, sign and trailing
    garbage allowed (``<meter>`` and ``<progress>`` read their attributes this way)."""
    match = _LENIENT_FLOAT.match(text or "")
    if not match:
        return default
    number = float(match.group(1))
    return number if abs(number) != float("inf") else default


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _valid_date(text: str) -> bool:
    m = re.fullmatch(r"([0-9]{4,})-([0-9]{2})-([0-9]{2})", text)
    if not m:
        return False
    year, month, day = (int(g) for g in m.groups())
    return 0 < year <= 275760 and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)


def _valid_month(text: str) -> bool:
    m = re.fullmatch(r"([0-9]{4,})-([0-9]{2})", text)
    return bool(m) and 0 < int(m.group(1)) <= 275760 and 1 <= int(m.group(2)) <= 12


def _valid_week(text: str) -> bool:
    m = re.fullmatch(r"([0-9]{4,})-W([0-9]{2})", text)
    if not m or not 0 < int(m.group(1)) <= 275760:
        return False
    year, week = int(m.group(1)), int(m.group(2))
    weeks = datetime.date(year, 12, 28).isocalendar()[1] if year <= 9999 else 53
    return 1 <= week <= weeks


def _valid_time(text: str) -> bool:
    m = re.fullmatch(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,3})?)?", text)
    return bool(m) and int(m.group(1)) < 24 and int(m.group(2)) < 60 and int(m.group(3) or 0) < 60


def _valid_datetime_local(text: str) -> bool:
    m = re.fullmatch(r"([^T ]+)[T ](.+)", text)
    return bool(m) and _valid_date(m.group(1)) and _valid_time(m.group(2))


def _normalized_datetime_local(text: str) -> str:
    """The shortest form Chromium keeps: ``T`` separator, seconds and fraction only when not zero."""
    date, time = re.split("[T ]", text, maxsplit=1)
    hours_minutes, _, seconds = time[:5], time[5:6], time[6:]
    whole, _, fraction = seconds.partition(".")
    fraction = fraction.rstrip("0")
    if fraction:
        return f"{date}T{hours_minutes}:{whole}.{fraction}"
    if whole and whole != "00":
        return f"{date}T{hours_minutes}:{whole}"
    return f"{date}T{hours_minutes}"


_TEMPORAL: dict[str, tuple[Callable[[str], bool], str]] = {
    "date": (_valid_date, "YYYY-MM-DD"),
    "month": (_valid_month, "YYYY-MM"),
    "week": (_valid_week, "YYYY-Www"),
    "time": (_valid_time, "HH:MM[:SS[.mmm]]"),
    "datetime-local": (_valid_datetime_local, "YYYY-MM-DDTHH:MM[:SS[.mmm]]"),
}


def _number_text(number: Decimal) -> str:
    """How Chromium writes a number back into an input (its ``Decimal::ToString``).

    A fraction keeps at most 15 significant digits and no trailing zeros; the number's own
    exponent decides between plain and exponent notation (``"1e1"`` stays ``1e+1``).
    """
    sign, digit_tuple, exponent = number.as_tuple()
    coefficient = int("".join(map(str, digit_tuple)) or "0")
    if coefficient == 0:
        return "0"
    if exponent < 0:
        dropped = 0
        while len(str(coefficient)) > 15:
            coefficient, dropped = divmod(coefficient, 10)
            exponent += 1
        if dropped >= 5:
            coefficient += 1
        while exponent < 0 and coefficient % 10 == 0:
            coefficient //= 10
            exponent += 1
    digits = str(coefficient)
    adjusted = exponent + len(digits) - 1
    text = "-" if sign else ""
    if exponent <= 0 and adjusted >= -6:
        if exponent == 0:
            return text + digits
        if adjusted >= 0:
            return text + digits[: adjusted + 1] + "." + digits[adjusted + 1:]
        return text + "0." + "0" * (-adjusted - 1) + digits
    mantissa = digits.rstrip("0") or "0"
    text += mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return text + "e" + ("+" if adjusted >= 0 else "") + str(adjusted)


def _range_value(node: Node, raw: str) -> str:
    """A range input's value: clamped to [min, max], then moved to the nearest step, as Chromium does.

    Steps count from ``min``, else from the ``value`` attribute, else from 0. Exact decimal
    arithmetic, like Chromium's, so ``0.1`` steps do not drift.
    """
    attrs = node.attributes
    low = _valid_float(attrs.get("min") or "")
    base = low if low is not None else _valid_float(attrs.get("value") or "")
    low = Decimal(0) if low is None else low
    base = Decimal(0) if base is None else base
    high = _valid_float(attrs.get("max") or "")
    high = Decimal(100) if high is None else high
    high = max(high, low)
    step_attr = (attrs.get("step") or "").lower()
    step = None if step_attr == "any" else _valid_float(step_attr)
    if step_attr != "any" and (step is None or step <= 0):
        step = Decimal(1)
    number = _valid_float(raw)
    if number is None:
        number = low + (high - low) / 2
    in_range = max(low, min(number, high))
    if step is None:
        return _number_text(in_range)
    quotient = (in_range - base) / step
    if quotient.as_tuple().exponent < 0:  # round half away from zero; integral quotients keep their exponent
        quotient = quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    number = base + quotient * step
    if number > high:
        number -= step
    elif number < low:
        number += step
    if not low <= number <= high:  # a step too large to land in range: keep the clamped value
        number = in_range
    return _number_text(number)


_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


def _hex_color(value: str) -> str | None:
    """A color input's value as Chromium writes it (``#rrggbb``, alpha dropped), for the forms
    the test client understands: hex notations, ``transparent``, ``currentcolor`` and empty.
    None for other CSS colors (``red``, ``rgb(...)``), which Chromium also converts."""
    text = value.strip(_ASCII_WS)
    if _HEX_COLOR.fullmatch(text):
        digits = text[1:].lower()
        return "#" + ("".join(c * 2 for c in digits[:3]) if len(digits) <= 4 else digits[:6])
    if text.lower() in ("", "transparent", "currentcolor"):
        return "#000000"
    return None


def _sanitize(node: Node, kind: str, value: str) -> str:
    """The value sanitisation algorithm of the input type (what ``input.value`` reads back)."""
    if kind in ("text", "search", "tel", "password"):
        return value.replace("\r", "").replace("\n", "")
    if kind == "url":
        return value.replace("\r", "").replace("\n", "").strip(_ASCII_WS)
    if kind == "email":
        value = value.replace("\r", "").replace("\n", "")
        if "multiple" in node.attributes:
            return ",".join(part.strip(_ASCII_WS) for part in value.split(","))
        return value.strip(_ASCII_WS)
    if kind == "number":
        return value if _valid_float(value) is not None else ""
    if kind == "range":
        return _range_value(node, value)
    if kind == "color":
        color = _hex_color(value)
        return value if color is None else color
    if kind in _TEMPORAL:
        if not _TEMPORAL[kind][0](value):
            return ""
        return _normalized_datetime_local(value) if kind == "datetime-local" else value
    return value


# ============================================================================ event values


def _number(value: float) -> int | float:
    """A JS number as the server decodes it: integral values arrive as ints."""
    return int(value) if value == int(value) else value


def _property_value(node: Node, control: _Control | None) -> Any:
    """The element's ``.value`` DOM property, or ``_NO_VALUE`` where it has none."""
    if control is not None:
        return control.dom_value()
    tag, attrs = node.tag, node.attributes
    if tag in ("data", "param"):
        return attrs.get("value") or ""
    if tag == "option":
        return _option_value(node)
    if tag == "output":
        return node.text() or ""
    if tag == "li":
        match = _HTML_INTEGER.match(attrs.get("value") or "")
        number = int(match.group(1)) if match else 0
        return number if -(2**31) <= number < 2**31 else 0
    if tag == "meter":
        low = _lenient_float(attrs.get("min"), 0.0)
        high = max(low, _lenient_float(attrs.get("max"), 1.0))
        return _number(min(max(_lenient_float(attrs.get("value"), 0.0), low), high))
    if tag == "progress":
        if "value" not in attrs:
            return 0  # indeterminate
        high = _lenient_float(attrs.get("max"), 1.0)
        high = high if high > 0 else 1.0
        return _number(min(max(_lenient_float(attrs.get("value"), 0.0), 0.0), high))
    return _NO_VALUE


_NO_VALUE = object()


def _control_of(node: Node, form: Form | None) -> _Control | None:
    if node.tag not in _CONTROL_TAGS:
        return None
    if form is not None:
        filled = next((c for c in form._controls if c.node == node), None)
        if filled is not None:
            return filled
    return next((c for c in _build_controls(node.parser) if c.node == node), None)


def _js_for_in(value: Any) -> Iterable[tuple[str, Any]]:
    """``for (key in value) meta[key] = value[key]`` on a JSON value, as JS iterates it."""
    if isinstance(value, Mapping):
        return ((str(k), v) for k, v in value.items())
    if isinstance(value, (str, list, tuple)):
        return ((str(i), v) for i, v in enumerate(value))
    return ()


def event_value(
    node: Node, extra: Any = None, *, meta: Mapping[str, Any] | None = None,
    form: Form | None = None,
) -> dict[str, Any]:
    """The ``value`` of a click, key, focus or blur event on ``node`` (``View.extractMeta``).

    In order, later keys overriding earlier ones: ``meta`` (what the client puts first, e.g.
    ``{"key": "Enter"}`` for key events), every ``phx-value-*`` attribute, ``value`` = the
    element's ``.value`` property for elements that have one (input, button, select, textarea,
    option, output, data, param, li, meter, progress; not ``<form>``), removed again for an
    unchecked checkbox or radio, then ``extra`` (a ``JS.push`` value; like the client's
    ``for...in``, a string or list adds its indexes as keys). ``form`` supplies the
    values a test filled in; without it a control holds its initial value.
    """
    out: dict[str, Any] = dict(meta or {})
    for name, value in node.attributes.items():
        if name.startswith(VALUE_PREFIX):
            out[name[len(VALUE_PREFIX):]] = value or ""
    control = _control_of(node, form)
    value = _property_value(node, control)
    if value is not _NO_VALUE:
        out["value"] = value
        if control is not None and control.tag == "input" and control.type in _CHECKABLE and not control.checked:
            del out["value"]
    if extra:
        for key, item in _js_for_in(extra):
            out[key] = item
    return out


def pushes(node: Node, binding: str) -> list[tuple[str, Any]]:
    """The server events that the ``binding`` attribute (``"phx-click"``) of ``node`` pushes.

    A plain event name pushes itself: ``[(name, None)]``. A JS command list (``JS.push(...)
    |> JS.toggle(...)``) pushes one ``(event, value)`` per ``push`` operation, in order; the
    other operations only change the page on the client, so they are ignored here (including
    ``exec``, which runs commands stored in another attribute).
    """
    attrs = node.attributes
    if binding not in attrs:
        bindings = [k for k in attrs if k.startswith("phx-")]
        has = ", ".join(bindings) if bindings else "no phx-* attributes"
        raise LiveViewTestError(f"{snippet(node)} has no {binding}; it has: {has}")
    raw = attrs.get(binding) or ""
    if not raw:
        raise LiveViewTestError(f"{binding} of {snippet(node)} is empty, so the client sends nothing")
    if not raw.startswith("["):
        return [(raw, None)]
    try:
        commands = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        raise LiveViewTestError(f"{binding} of {snippet(node)} is not a valid JS command list ({exc}): {raw}") from None
    if not isinstance(commands, list):
        raise LiveViewTestError(f"{binding} of {snippet(node)} is not a JS command list: {raw}")
    found: list[tuple[str, Any]] = []
    for command in commands:
        if not (isinstance(command, list) and command and isinstance(command[0], str)):
            raise LiveViewTestError(f"{binding} of {snippet(node)} holds a malformed JS command {command!r}: {raw}")
        args = command[1] if len(command) > 1 else None
        if command[0] != "push":
            continue
        if args is not None and not isinstance(args, dict):
            raise LiveViewTestError(f"{binding} of {snippet(node)} holds a push with arguments {args!r}: {raw}")
        event = (args or {}).get("event")
        if not event or not isinstance(event, str):
            raise LiveViewTestError(
                f"{binding} of {snippet(node)} holds a push without an event name "
                f"(the client would push the whole command text as the event name): {raw}"
            )
        found.append((event, (args or {}).get("value")))
    return found


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# ============================================================================ forms


@dataclass
class _Plan:
    """One validated assignment of :meth:`Form.fill`, applied once every value was checked."""

    name: str
    position: int
    apply: Callable[[], None]


class Form:
    """One <form> of the page with the values a user has put in it.

    ``fill`` checks every value the way a user is limited by the page (only existing, enabled,
    visible-to-the-user fields; only offered options) and ``serialize`` sends what the 1.2.12
    client sends for it.
    """

    def __init__(self, page: Page, form_node: Node) -> None:
        if form_node.tag != "form":
            raise LiveViewTestError(f"{snippet(form_node)} is a <{form_node.tag}>, not a <form>")
        self.page = page
        self.node = form_node
        self._controls = [c.copy() for c in page._controls() if c.owner is not None and c.owner == form_node]

    @property
    def id(self) -> str | None:
        return self.node.attributes.get("id") or None

    def _label(self) -> str:
        return f"form #{self.id}" if self.id else f"form {snippet(self.node)}"

    # -- what the form has -------------------------------------------------------------------

    def field_names(self) -> list[str]:
        """Names of the form's fields (not buttons), unique, in tree order."""
        return list(dict.fromkeys(c.name for c in self._controls if c.name and not c.is_button))

    def submit_buttons(self) -> list[Node]:
        """The form's submit buttons: ``<button>`` of type submit (the default) and
        ``<input type=submit|image>``, disabled ones included, in tree order."""
        return [
            c.node for c in self._controls
            if (c.tag == "button" and c.type == "submit") or (c.tag == "input" and c.type in ("submit", "image"))
        ]

    def _settable_names(self) -> list[str]:
        return list(dict.fromkeys(
            c.name for c in self._controls
            if c.name and not c.is_button and c.type not in ("hidden", "file") and not is_disabled(c.node)
        ))

    # -- filling -----------------------------------------------------------------------------

    def fill(self, data: Mapping[str, Any]) -> list[str]:
        """Put ``data`` into the form as a user would; returns the names filled, in tree order.

        ``data`` is nested like the params the server receives: ``{"user": {"email": "a@b",
        "tags": ["x", "y"]}}`` fills ``user[email]`` and ``user[tags][]`` (or a ``<select
        multiple name="user[tags]">``). Every value is checked before any is set, and a value a
        user could not enter raises :class:`LiveViewTestError` naming the field and what the
        form offers. Later fills override earlier ones.
        """
        if not isinstance(data, Mapping):
            raise LiveViewTestError(f"fill expects a dict of field values, got {data!r}")
        plans = [self._plan(name, value) for name, value in _flatten(data)]
        for plan in plans:
            plan.apply()
        return list(dict.fromkeys(p.name for p in sorted(plans, key=lambda p: p.position)))

    def _named(self, name: str) -> list[_Control]:
        return [c for c in self._controls if c.name == name]

    def _plan(self, key: str, value: Any) -> _Plan:
        is_list = isinstance(value, (list, tuple))
        name = key
        if is_list and not key.endswith("[]") and self._named(key + "[]"):
            name = key + "[]"
        fields = self._named(name)
        if not fields:
            raise LiveViewTestError(self._missing_field(key, name, is_list))
        label = f"field {name!r} of {self._label()}"
        enabled = [c for c in fields if not is_disabled(c.node)]
        if not enabled:
            raise LiveViewTestError(f"{label} is disabled: {snippet(fields[0].node)}")
        settable = [c for c in enabled if not c.is_button and c.type != "hidden"]
        if any(c.type == "file" for c in settable):
            raise LiveViewTestError(f"{label} is a file input: uploads are not supported by fill (yet)")
        if not settable:
            kind = "a hidden input" if any(c.type == "hidden" for c in enabled) else "a button"
            raise LiveViewTestError(f"{label} is {kind}, which a user cannot set: {snippet(enabled[0].node)}")
        kinds = {_fill_kind(c) for c in settable}
        if len(kinds) > 1:
            raise LiveViewTestError(f"{label} names fields of different kinds, fill cannot tell which to set:"
                                    f"{_listing([c.node for c in settable])}")
        position = self._controls.index(settable[0])
        kind = kinds.pop()
        if kind == "checkbox":
            hidden = [c for c in fields if c.tag == "input" and c.type == "hidden"]
            apply = _plan_checkbox(label, settable, [c for c in fields if c.type == "checkbox"], hidden, value)
        elif kind == "radio":
            apply = _plan_radio(label, settable, [c for c in fields if c.type == "radio"], value)
        elif kind == "select":
            apply = _plan_select(label, settable, value)
        else:
            apply = _plan_text(label, settable, value)
        return _Plan(name, position, apply)

    def _missing_field(self, key: str, name: str, is_list: bool) -> str:
        tried = f"{key!r} or {key + '[]'!r}" if is_list and not key.endswith("[]") else repr(name)
        message = f"{self._label()} has no field {tried}"
        elsewhere = [c for c in self.page._controls() if c.name in (key, name)]
        if elsewhere:
            where = f'give it form="{self.id}"' if self.id else "move it inside the <form>"
            message += f" (the page has one that belongs to no or another form, {where}: {snippet(elsewhere[0].node)})"
        return f"{message}; fields a user can set: {_names_listing(self._settable_names(), name)}"

    # -- serialising -------------------------------------------------------------------------

    def serialize(
        self, *, submitter: Node | None = None, used: Iterable[str] = frozenset(), submitted: bool = False,
        only_names: list[str] | None = None,
    ) -> str:
        """What ``View.serializeForm(form, {submitter}, onlyNames)`` of the 1.2.12 client returns.

        The ``FormData`` of the form's current values in tree order (the submitter's name and
        value at its place), file inputs dropped, then ``_unused_`` markers: before each value
        of a name whose fields the user has not touched (not in ``used``, not ``submitted``, no
        ``phx-no-unused-field``) and that is not only hidden inputs, the server learns the
        field was not used yet (``prependFormDataKey``: ``user[_unused_email]``).
        """
        used = set(used)
        entries, injected = self._entries(submitter)
        unused, only_hidden = self._usage(used, submitted, injected)
        skip_unused = NO_UNUSED_FIELD in self.node.attributes
        submitter_name = injected.name if injected is not None else None
        pairs: list[tuple[str, str]] = []
        for key, value in entries:
            if only_names and key not in only_names:
                continue
            if not skip_unused and unused.get(key) and key != submitter_name and not only_hidden.get(key):
                pairs.append((_prepend_form_data_key(key, "_unused_"), ""))
            pairs.append((key, value))
        return "&".join(f"{_urlencode(k)}={_urlencode(v)}" for k, v in pairs)

    def _injected_submitter(self, submitter: Node | None) -> _Control | None:
        """The hidden input the client inserts before a named submitter to carry its value."""
        if submitter is None:
            return None
        button = next((c for c in self._controls if c.node == submitter), None)
        if button is None or not button.is_button or button.type not in ("submit", "image"):
            raise LiveViewTestError(f"submitter {snippet(submitter)} is not a submit button of {self._label()};"
                                    f" it has:{_listing(self.submit_buttons()) or ' none'}")
        if not button.name:
            return None
        return _Control(submitter, "hidden", button.name, self.node, value=button.dom_value())

    def _entries(self, submitter: Node | None) -> tuple[list[tuple[str, str]], _Control | None]:
        """The form's entry list (``new FormData(form)`` with the injected submitter input)."""
        injected = self._injected_submitter(submitter)
        entries: list[tuple[str, str]] = []
        file_keys: set[str] = set()
        for control in self._controls:
            if injected is not None and control.node == injected.node and not _in_disabled_fieldset(injected.node):
                entries.append((injected.name, _hidden_value(injected.name, injected.value)))
            if not control.name or control.is_button or is_disabled(control.node):
                continue
            tag, kind, name = control.tag, control.type, control.name
            if tag == "select":
                entries.extend(
                    (name, _option_value(o)) for o, on in zip(control.options, control.selected)
                    if on and not is_disabled(o)
                )
            elif kind in _CHECKABLE:
                if control.checked:
                    entries.append((name, control.dom_value()))
            elif kind == "file":
                file_keys.add(name)
            else:
                value = control.dom_value()
                entries.append((name, _hidden_value(name, value) if kind == "hidden" else value))
                dirname = control.node.attributes.get("dirname")
                if dirname and (tag == "textarea" or kind in _DIRNAME_TYPES):
                    entries.append((dirname, _directionality(control.node, value)))
        # serializeForm deletes every entry of a key that holds a File, strings included.
        return [(k, v) for k, v in entries if k not in file_keys], injected

    def _usage(self, used: set[str], submitted: bool, injected: _Control | None) -> tuple[dict[str, bool], dict[str, bool]]:
        """Per name: are all its fields unused, and are they all hidden inputs (``form.elements``)."""
        unused: dict[str, bool] = {}
        only_hidden: dict[str, bool] = {}
        controls = [c for c in self._controls if not (c.tag == "input" and c.type == "image")]
        if injected is not None:
            controls.append(injected)
        for control in controls:
            if not control.name:
                continue
            is_used = submitted or control.name in used or NO_UNUSED_FIELD in control.node.attributes
            if control is injected:
                is_used = submitted or control.name in used  # a fresh element, without the attribute
            unused[control.name] = unused.get(control.name, True) and not is_used
            only_hidden[control.name] = only_hidden.get(control.name, True) and control.type == "hidden"
        return unused, only_hidden


def _fill_kind(control: _Control) -> str:
    if control.tag == "select":
        return "select"
    if control.tag == "input" and control.type in _CHECKABLE:
        return control.type
    return "text"


def _hidden_value(name: str, value: str) -> str:
    # A hidden input named _charset_ submits the encoding, whatever its value.
    return "UTF-8" if name.lower() == "_charset_" else value


def _directionality(node: Node, value: str) -> str:
    """The ``dir`` a ``dirname`` entry reports: the nearest ``dir`` attribute, ``auto`` read from text."""
    element: Node | None = node
    while element is not None:
        direction = (element.attributes.get("dir") or "").lower()
        if direction in ("ltr", "rtl"):
            return direction
        if direction == "auto":
            text = value if element == node else (element.text() or "")
            for char in text:
                bidi = unicodedata.bidirectional(char)
                if bidi in ("R", "AL"):
                    return "rtl"
                if bidi == "L":
                    return "ltr"
            return "ltr"
        element = element.parent
    return "ltr"


def _prepend_form_data_key(key: str, prefix: str) -> str:
    """The client's prependFormDataKey: the prefix goes before the last bracketed segment."""
    is_array = key.endswith("[]")
    base = key[:-2] if is_array else key
    base = re.sub(r"([^\[\]]+)(\]?)\Z", lambda m: prefix + m.group(1) + m.group(2), base, count=1)
    return base + "[]" if is_array else base


def _urlencode(text: str) -> str:
    """application/x-www-form-urlencoded (``URLSearchParams``); lone surrogates become U+FFFD."""
    data = _SURROGATE.sub("\ufffd", text).encode("utf-8")
    return "".join(chr(b) if b in _URLENCODE_SAFE else "+" if b == 0x20 else f"%{b:02X}" for b in data)


def _flatten(data: Mapping[str, Any], prefix: str | None = None) -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        name = str(key) if prefix is None else f"{prefix}[{key}]"
        if isinstance(value, Mapping):
            yield from _flatten(value, name)
        else:
            yield name, value


def _scalar(label: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise LiveViewTestError(f"{label} takes a string or number, got {value!r}")
    return value if isinstance(value, str) else str(value)


def _values(label: str, value: Any, what: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise LiveViewTestError(f"{label} is {what}: pass a list of values, got {value!r}")
    return [_scalar(label, v) for v in value]


def _choices(controls: list[_Control]) -> str:
    return _names_listing(list(dict.fromkeys(c.dom_value() for c in controls)))


def _plan_checkbox(
    label: str, enabled: list[_Control], boxes: list[_Control], hidden: list[_Control], value: Any
) -> Callable[[], None]:
    if isinstance(value, (list, tuple)):
        wanted = _values(label, value, "a checkbox group")
        offered = {c.dom_value() for c in enabled}
        for item in wanted:
            if item not in offered:
                why = " (that checkbox is disabled)" if any(c.dom_value() == item for c in boxes) else ""
                raise LiveViewTestError(f"{label} has no checkbox with value {item!r}{why}; values: {_choices(enabled)}")

        def check_group() -> None:
            for box in enabled:
                box.checked = box.dom_value() in wanted
        return check_group
    if len(enabled) > 1:
        raise LiveViewTestError(f"{label} is a group of {len(enabled)} checkboxes: pass a list of the values to check;"
                                f" values: {_choices(enabled)}")
    box = enabled[0]
    on_value = box.dom_value()
    off_values = [h.dom_value() for h in hidden]
    if value is True or value is False:
        checked = value
    elif isinstance(value, (str, int, float)) and str(value) == on_value:
        checked = True
    elif isinstance(value, (str, int, float)) and str(value) in off_values:
        checked = False
    else:
        accepted = f"True, False or {on_value!r} (checks it)"
        if off_values:
            accepted += f" or {off_values[0]!r} (the hidden input's value: unchecks it)"
        raise LiveViewTestError(f"{label} is a checkbox: it takes {accepted}, got {value!r}")

    def set_box() -> None:
        box.checked = checked
    return set_box


def _plan_radio(label: str, enabled: list[_Control], group: list[_Control], value: Any) -> Callable[[], None]:
    wanted = _scalar(label, value)
    match = next((c for c in enabled if c.dom_value() == wanted), None)
    if match is None:
        why = " (that radio button is disabled)" if any(c.dom_value() == wanted for c in group) else ""
        raise LiveViewTestError(f"{label} has no radio button with value {wanted!r}{why}; values: {_choices(enabled)}")

    def check() -> None:
        for radio in group:
            radio.checked = radio is match
    return check


def _plan_select(label: str, selects: list[_Control], value: Any) -> Callable[[], None]:
    if len(selects) > 1:
        raise LiveViewTestError(f"{label} names {len(selects)} selects; fill cannot tell which to set")
    select = selects[0]
    multiple = select.type == "select-multiple"
    if multiple:
        wanted = _values(label, value, "a <select multiple>")
    elif isinstance(value, (list, tuple)):
        raise LiveViewTestError(f"{label} is a single <select>: pass one value, got a list {value!r}")
    else:
        wanted = [_scalar(label, value)]
    values = [_option_value(o) for o in select.options]
    enabled = [v for o, v in zip(select.options, values) if not is_disabled(o)]
    for item in wanted:
        if item not in enabled:
            why = " (that option is disabled)" if item in values else ""
            raise LiveViewTestError(f"{label} has no option with value {item!r}{why}; options: "
                                    f"{_names_listing(list(dict.fromkeys(enabled)), item)}")

    def choose() -> None:
        if multiple:
            select.selected = [v in wanted and not is_disabled(o) for o, v in zip(select.options, values)]
        else:
            index = next(i for i, (o, v) in enumerate(zip(select.options, values)) if v == wanted[0] and not is_disabled(o))
            select.selected = [i == index for i in range(len(values))]
    return choose


def _plan_text(label: str, fields: list[_Control], value: Any) -> Callable[[], None]:
    if isinstance(value, (list, tuple)):
        texts = [_scalar(label, v) for v in value]
        if len(texts) != len(fields):
            raise LiveViewTestError(f"{label} names {len(fields)} fields but the list has {len(texts)} values")
    else:
        if len(fields) > 1:
            raise LiveViewTestError(f"{label} names {len(fields)} fields: pass a list with one value per field:"
                                    f"{_listing([c.node for c in fields])}")
        texts = [_scalar(label, value)]
    new_values = [_typed_value(label, c, t) for c, t in zip(fields, texts)]

    def type_in() -> None:
        for control, new in zip(fields, new_values):
            control.value = new
    return type_in


def _typed_value(label: str, control: _Control, text: str) -> str:
    """The value a user ends up with after typing ``text``, or an error if a user could not."""
    attrs = control.node.attributes
    if "readonly" in attrs and control.type in _READONLY_TYPES:
        raise LiveViewTestError(f"{label} is readonly: a user cannot type into it: {snippet(control.node)}")
    if control.tag == "textarea":
        value = _newlines_to_lf(text)
    else:
        kind = control.type
        value = _sanitize(control.node, kind, text)
        if kind == "number" and value != text:
            raise LiveViewTestError(f"{label} is a number input: {text!r} is not a number (the browser would send '')")
        if kind == "range":
            if _valid_float(text) is None:
                raise LiveViewTestError(f"{label} is a range input: {text!r} is not a number")
            if Decimal(value) != _valid_float(text):
                raise LiveViewTestError(f"{label} is a range input: {text!r} is outside its min/max/step"
                                        f" (the browser would set {value!r})")
        if kind == "color" and (not text or _hex_color(text) is None):
            raise LiveViewTestError(f"{label} is a color input: it takes '#rrggbb', got {text!r}")
        if kind in _TEMPORAL and text and not value:
            raise LiveViewTestError(f"{label} is a {kind} input: it takes {_TEMPORAL[kind][1]}, got {text!r}")
    if control.tag == "textarea" or control.type in _TEXT_TYPES:
        limit = _HTML_INTEGER.match(attrs.get("maxlength") or "")
        length = len(value.encode("utf-16-le", "surrogatepass")) // 2
        if limit and int(limit.group(1)) >= 0 and length > int(limit.group(1)):
            raise LiveViewTestError(f"{label} has maxlength={limit.group(1)}: a user cannot type {length} characters")
    return value
