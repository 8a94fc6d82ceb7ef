"""Form controls and element values as the browser holds them: what ``.value`` and ``.checked``
are, and what a control submits.

The test client reads these from the markup alone, the way Chromium computes them (value
sanitisation of numbers, dates, ranges and colours, radio groups, ``<select>`` selection, the
disabled state), so a test sends what a real page sends. ``tests/testing/test_dom_chromium.py``
holds them to the real client.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Optional

from selectolax.lexbor import LexborHTMLParser

from .errors import LiveViewTestError

from .messages import Node, snippet

_ASCII_WS = "\t\n\f\r "
ASCII_WS_RUN = re.compile(r"[\t\n\f\r ]+")
CONTROL_TAGS = ("input", "select", "textarea", "button")
DISABLEABLE = frozenset(("button", "input", "select", "textarea", "fieldset"))
_INPUT_TYPES = frozenset(
    "hidden text search tel url email password date month week time datetime-local number range "
    "color checkbox radio file submit image reset button".split()
)
_BUTTON_TYPES = frozenset(("submit", "reset", "button", "image"))
TEXT_TYPES = frozenset(("text", "search", "tel", "url", "email", "password"))
# Input types whose .value is what the user typed ("value" mode in the HTML standard).
_VALUE_MODE = TEXT_TYPES | {"date", "month", "week", "time", "datetime-local", "number", "range", "color"}
CHECKABLE = frozenset(("checkbox", "radio"))
READONLY_TYPES = TEXT_TYPES | {"date", "month", "week", "time", "datetime-local", "number", "textarea"}
DIRNAME_TYPES = TEXT_TYPES | {"hidden"}  # (and textarea) submit their direction under dirname
_VALID_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
HTML_INTEGER = re.compile(r"[\t\n\f\r ]*([-+]?[0-9]+)")
SURROGATE = re.compile("[\ud800-\udfff]")

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
    if tag not in DISABLEABLE:
        return False
    return "disabled" in node.attributes or in_disabled_fieldset(node)


def in_disabled_fieldset(node: Node) -> bool:
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


def all_elements(tree: LexborHTMLParser) -> list[Node]:
    return tree.css("*")


# ============================================================================ controls and their values


@dataclass(eq=False)
class Control:
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

    def copy(self) -> Control:
        return replace(self, selected=list(self.selected))

    def dom_value(self) -> str:
        """The control's ``.value`` property."""
        if self.tag == "select":
            chosen = [i for i, on in enumerate(self.selected) if on]
            return option_value(self.options[chosen[0]]) if chosen else ""
        if self.tag == "input" and self.type == "color" and hex_color(self.value) is None:
            raise LiveViewTestError(
                f"the color input {snippet(self.node)} holds {self.value!r}: Chromium converts CSS colors to"
                " #rrggbb and the test client only converts hex colors; render the value as '#rrggbb'"
            )
        if self.tag == "textarea" or (self.tag == "input" and self.type in _VALUE_MODE):
            return self.value
        attr = self.node.attributes.get("value")
        if self.tag == "input" and self.type in CHECKABLE:
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


def option_value(option: Node) -> str:
    value = option.attributes.get("value")
    if value is not None:
        return value
    return ASCII_WS_RUN.sub(" ", option.text() or "").strip(_ASCII_WS)


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
    match = HTML_INTEGER.match(select.attributes.get("size") or "")
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


def control_for(node: Node) -> Optional[Control]:
    """The control ``node`` is, in its initial state, or None if it is not one.

    Built alone unless the rest of the page matters to it: a radio's checkedness depends on its
    group, and a ``form="id"`` attribute on another element (then every control is built).
    """
    if node.tag not in CONTROL_TAGS:
        return None
    if "form" not in node.attributes and not (node.tag == "input" and _input_type(node) == "radio"):
        return _initial_control(node, _owner(node, None))
    return next((c for c in build_controls(node.parser) if c.node == node), None)


def build_controls(tree: LexborHTMLParser) -> list[Control]:
    """Every input, select, textarea and button of the tree in tree order, in its initial state."""
    elements = all_elements(tree)
    ids: dict[str, Node] = {}
    for node in elements:
        ids.setdefault(node.attributes.get("id") or "", node)
    ids.pop("", None)
    controls = []
    for node in elements:
        if node.tag in CONTROL_TAGS:
            controls.append(_initial_control(node, _owner(node, ids)))
    _settle_radio_groups(elements, [c for c in controls if c.type == "radio" and c.tag == "input" and c.name])
    return controls


def _settle_radio_groups(elements: list[Node], radios: list[Control]) -> None:
    """Uncheck the radios that lose to a later checked radio of their group, as Chromium does.

    A radio that joins a group checked unchecks the group's checked radio. The client renders
    through ``innerHTML``, so the markup is parsed into a detached fragment first (radios
    inside a <form> join that form's group; ``form=`` attributes do not count yet), then
    connected in tree order: a radio outside any form joins the page's group, and a ``form="id"``
    radio moves to the group of that form once an element with that id has been connected.
    ``tests/testing/test_dom_chromium.py`` checks this against Chromium.
    """
    checked: dict[tuple[Any, str], Control] = {}  # the checked radio of each group
    group_of: dict[int, tuple[Any, str]] = {}  # the group each radio is in (none while detached outside a form)

    def join(radio: Control, form: Node | None) -> None:
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
    waiting: dict[str, list[Control]] = {}

    def reset(radio: Control) -> None:
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


def _initial_control(node: Node, owner: Node | None) -> Control:
    attrs = node.attributes
    name = attrs.get("name") or ""
    if node.tag == "input":
        kind = _input_type(node)
        control = Control(node, kind, name, owner, checked="checked" in attrs)
        if kind in _VALUE_MODE:
            control.value = sanitize(node, kind, attrs.get("value") or "")
        return control
    if node.tag == "select":
        options = _select_options(node)
        kind = "select-multiple" if "multiple" in attrs else "select-one"
        return Control(node, kind, name, owner, options=options, selected=_initial_selection(node, options))
    if node.tag == "textarea":
        return Control(node, "textarea", name, owner, value=newlines_to_lf(node.text() or ""))
    return Control(node, _button_type(node), name, owner)


def newlines_to_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- value sanitisation (what Chromium does to an input's value) ---------------------------------


def valid_float(text: str) -> Decimal | None:
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


TEMPORAL: dict[str, tuple[Callable[[str], bool], str]] = {
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
    low = valid_float(attrs.get("min") or "")
    base = low if low is not None else valid_float(attrs.get("value") or "")
    low = Decimal(0) if low is None else low
    base = Decimal(0) if base is None else base
    high = valid_float(attrs.get("max") or "")
    high = Decimal(100) if high is None else high
    high = max(high, low)
    step_attr = (attrs.get("step") or "").lower()
    step = None if step_attr == "any" else valid_float(step_attr)
    if step_attr != "any" and (step is None or step <= 0):
        step = Decimal(1)
    number = valid_float(raw)
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


def hex_color(value: str) -> str | None:
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


def sanitize(node: Node, kind: str, value: str) -> str:
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
        return value if valid_float(value) is not None else ""
    if kind == "range":
        return _range_value(node, value)
    if kind == "color":
        color = hex_color(value)
        return value if color is None else color
    if kind in TEMPORAL:
        if not TEMPORAL[kind][0](value):
            return ""
        return _normalized_datetime_local(value) if kind == "datetime-local" else value
    return value


# ============================================================================ element values


def _number(value: float) -> int | float:
    """A JS number as the server decodes it: integral values arrive as ints."""
    return int(value) if value == int(value) else value


def property_value(node: Node, control: Control | None) -> Any:
    """The element's ``.value`` DOM property, or ``NO_VALUE`` where it has none."""
    if control is not None:
        return control.dom_value()
    tag, attrs = node.tag, node.attributes
    if tag in ("data", "param"):
        return attrs.get("value") or ""
    if tag == "option":
        return option_value(node)
    if tag == "output":
        return node.text() or ""
    if tag == "li":
        match = HTML_INTEGER.match(attrs.get("value") or "")
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
    return NO_VALUE


NO_VALUE = object()
