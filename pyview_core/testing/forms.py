"""A form of the page with the values a test typed into it, serialised as the 1.2 client does.

:class:`Form` checks each value against the markup (the field exists, is not disabled or
hidden, the option is listed, the number is a number) and serialises the form exactly like
``View.serializeForm``: ``FormData`` order, browser value sanitisation, ``_unused_`` keys for
fields the user has not touched, ``URLSearchParams`` encoding.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import LiveViewTestError

from .controls import (
    CHECKABLE, DIRNAME_TYPES, HTML_INTEGER, READONLY_TYPES, SURROGATE, TEMPORAL, TEXT_TYPES, Control, hex_color,
    in_disabled_fieldset, is_disabled, newlines_to_lf, option_value, sanitize, valid_float,
)
from .dom import Page
from .messages import Node, listing, names_listing, snippet

NO_UNUSED_FIELD = "phx-no-unused-field"
# application/x-www-form-urlencoded percent-encode set: everything but these bytes is escaped
# (space becomes "+"). Note "~" IS escaped, unlike in urllib.parse.quote_plus.
_URLENCODE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")



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

    def _named(self, name: str) -> list[Control]:
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
                                    f"{listing([c.node for c in settable])}")
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
        return f"{message}; fields a user can set: {names_listing(self._settable_names(), name)}"

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

    def _injected_submitter(self, submitter: Node | None) -> Control | None:
        """The hidden input the client inserts before a named submitter to carry its value."""
        if submitter is None:
            return None
        button = next((c for c in self._controls if c.node == submitter), None)
        if button is None or not button.is_button or button.type not in ("submit", "image"):
            raise LiveViewTestError(f"submitter {snippet(submitter)} is not a submit button of {self._label()};"
                                    f" it has:{listing(self.submit_buttons()) or ' none'}")
        if not button.name:
            return None
        return Control(submitter, "hidden", button.name, self.node, value=button.dom_value())

    def _entries(self, submitter: Node | None) -> tuple[list[tuple[str, str]], Control | None]:
        """The form's entry list (``new FormData(form)`` with the injected submitter input)."""
        injected = self._injected_submitter(submitter)
        entries: list[tuple[str, str]] = []
        file_keys: set[str] = set()
        for control in self._controls:
            if injected is not None and control.node == injected.node and not in_disabled_fieldset(injected.node):
                entries.append((injected.name, _hidden_value(injected.name, injected.value)))
            if not control.name or control.is_button or is_disabled(control.node):
                continue
            tag, kind, name = control.tag, control.type, control.name
            if tag == "select":
                entries.extend(
                    (name, option_value(o)) for o, on in zip(control.options, control.selected)
                    if on and not is_disabled(o)
                )
            elif kind in CHECKABLE:
                if control.checked:
                    entries.append((name, control.dom_value()))
            elif kind == "file":
                file_keys.add(name)
            else:
                value = control.dom_value()
                entries.append((name, _hidden_value(name, value) if kind == "hidden" else value))
                dirname = control.node.attributes.get("dirname")
                if dirname and (tag == "textarea" or kind in DIRNAME_TYPES):
                    entries.append((dirname, _directionality(control.node, value)))
        # serializeForm deletes every entry of a key that holds a File, strings included.
        return [(k, v) for k, v in entries if k not in file_keys], injected

    def _usage(self, used: set[str], submitted: bool, injected: Control | None) -> tuple[dict[str, bool], dict[str, bool]]:
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


def _fill_kind(control: Control) -> str:
    if control.tag == "select":
        return "select"
    if control.tag == "input" and control.type in CHECKABLE:
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
    data = SURROGATE.sub("\ufffd", text).encode("utf-8")
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


def _choices(controls: list[Control]) -> str:
    return names_listing(list(dict.fromkeys(c.dom_value() for c in controls)))


def _plan_checkbox(
    label: str, enabled: list[Control], boxes: list[Control], hidden: list[Control], value: Any
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


def _plan_radio(label: str, enabled: list[Control], group: list[Control], value: Any) -> Callable[[], None]:
    wanted = _scalar(label, value)
    match = next((c for c in enabled if c.dom_value() == wanted), None)
    if match is None:
        why = " (that radio button is disabled)" if any(c.dom_value() == wanted for c in group) else ""
        raise LiveViewTestError(f"{label} has no radio button with value {wanted!r}{why}; values: {_choices(enabled)}")

    def check() -> None:
        for radio in group:
            radio.checked = radio is match
    return check


def _plan_select(label: str, selects: list[Control], value: Any) -> Callable[[], None]:
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
    values = [option_value(o) for o in select.options]
    enabled = [v for o, v in zip(select.options, values) if not is_disabled(o)]
    for item in wanted:
        if item not in enabled:
            why = " (that option is disabled)" if item in values else ""
            raise LiveViewTestError(f"{label} has no option with value {item!r}{why}; options: "
                                    f"{names_listing(list(dict.fromkeys(enabled)), item)}")

    def choose() -> None:
        if multiple:
            select.selected = [v in wanted and not is_disabled(o) for o, v in zip(select.options, values)]
        else:
            index = next(i for i, (o, v) in enumerate(zip(select.options, values)) if v == wanted[0] and not is_disabled(o))
            select.selected = [i == index for i in range(len(values))]
    return choose


def _plan_text(label: str, fields: list[Control], value: Any) -> Callable[[], None]:
    if isinstance(value, (list, tuple)):
        texts = [_scalar(label, v) for v in value]
        if len(texts) != len(fields):
            raise LiveViewTestError(f"{label} names {len(fields)} fields but the list has {len(texts)} values")
    else:
        if len(fields) > 1:
            raise LiveViewTestError(f"{label} names {len(fields)} fields: pass a list with one value per field:"
                                    f"{listing([c.node for c in fields])}")
        texts = [_scalar(label, value)]
    new_values = [_typed_value(label, c, t) for c, t in zip(fields, texts)]

    def type_in() -> None:
        for control, new in zip(fields, new_values):
            control.value = new
    return type_in


def _typed_value(label: str, control: Control, text: str) -> str:
    """The value a user ends up with after typing ``text``, or an error if a user could not."""
    attrs = control.node.attributes
    if "readonly" in attrs and control.type in READONLY_TYPES:
        raise LiveViewTestError(f"{label} is readonly: a user cannot type into it: {snippet(control.node)}")
    if control.tag == "textarea":
        value = newlines_to_lf(text)
    else:
        kind = control.type
        value = sanitize(control.node, kind, text)
        if kind == "number" and value != text:
            raise LiveViewTestError(f"{label} is a number input: {text!r} is not a number (the browser would send '')")
        if kind == "range":
            if valid_float(text) is None:
                raise LiveViewTestError(f"{label} is a range input: {text!r} is not a number")
            if Decimal(value) != valid_float(text):
                raise LiveViewTestError(f"{label} is a range input: {text!r} is outside its min/max/step"
                                        f" (the browser would set {value!r})")
        if kind == "color" and (not text or hex_color(text) is None):
            raise LiveViewTestError(f"{label} is a color input: it takes '#rrggbb', got {text!r}")
        if kind in TEMPORAL and text and not value:
            raise LiveViewTestError(f"{label} is a {kind} input: it takes {TEMPORAL[kind][1]}, got {text!r}")
    if control.tag == "textarea" or control.type in TEXT_TYPES:
        limit = HTML_INTEGER.match(attrs.get("maxlength") or "")
        length = len(value.encode("utf-16-le", "surrogatepass")) // 2
        if limit and int(limit.group(1)) >= 0 and length > int(limit.group(1)):
            raise LiveViewTestError(f"{label} has maxlength={limit.group(1)}: a user cannot type {length} characters")
    return value
