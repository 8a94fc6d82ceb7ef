"""Template filters for model forms: ``{{ form.email | input("Email") }}`` and ``{{ form.email | errors }}``.

``input`` renders one field the accessible way: a wrapper ``<div class="field">``, its
``<label for>``, the control (``<input>``, ``<textarea>``, ``<select>`` or a checkbox after the
hidden ``value="false"`` input that makes an unchecked box submit false), and its error messages.
A field with errors gets ``aria-invalid="true"`` and ``aria-describedby`` naming the messages,
each a ``<p class="field-error" id="<id>-error">`` (later ones ``<id>-error-2``, … so ids stay
unique). Errors are the field's *shown* errors: only once the input was used
(:attr:`FormField.errors`), so no ``phx-feedback-for`` is needed (LiveView 1.x dropped it).

Extra attributes go on the control: ``input(placeholder="you@example.com", phx_debounce="300")``
(underscores become dashes; ``class_`` is ``class``), ``attrs={"phx-debounce": "300"}`` for names
a keyword cannot spell, or from Python ``**{"phx-debounce": "300"}``. ``True`` renders a bare
attribute, ``None``/``False`` none. Field values and messages are always escaped; an extra
attribute's value is escaped unless it is already markup (``Markup``, a ``JS`` command).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Optional, Union

from markupsafe import Markup

# The templates' own escaper: markupsafe's rules (and __html__), a plain str, no Markup objects made
# on the way; a form of seven fields calls it some sixty times per render.
from pyview_templates._native import to_html as _html

from .model_form import Form, FormField

__all__ = ["errors_tag", "input_tag"]

# Attribute names a template may pass: letters first, then what data-/aria-/phx-/x-on: names use.
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:@][A-Za-z0-9_:.@-]*")


@lru_cache(maxsize=512)  # the same few names (phx-debounce, autocomplete) on every render
def _attribute_name(key: str, literal: bool) -> str:
    name = key if literal else (key[:-1] if key.endswith("_") else key).replace("_", "-")
    if not _ATTRIBUTE_NAME.fullmatch(name):
        raise ValueError(f"{key!r} is not a valid HTML attribute name")
    return name


def _attributes(pairs: Mapping[str, Any]) -> str:
    """`` name="value"`` for each pair: ``True`` bare, ``None``/``False`` left out, values escaped."""
    out = []
    for name, value in pairs.items():
        if value is None or value is False:
            continue
        if value is True:
            out.append(f" {name}")
        else:
            text = value if hasattr(value, "__html__") else str(value)
            out.append(f' {name}="{_html(text)}"')
    return "".join(out)


def _text(value: Any) -> str:
    """A field value as plain text (never trusted as markup)."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _error_ids(base: str, count: int) -> list[str]:
    return [f"{base}-error" if i == 0 else f"{base}-error-{i + 1}" for i in range(count)]


def _error_markup(base: str, messages: list[str]) -> str:
    return "".join(
        f'<p class="field-error" id="{_html(error_id)}">{_html(str(message))}</p>'
        for error_id, message in zip(_error_ids(base, len(messages)), messages)
    )


def _options(field: FormField, options: Any) -> list[tuple[str, str]]:
    choices = options if options is not None else field.options
    if choices is None:
        raise ValueError(f"{field.name} is a select: pass options=[(value, label), ...]")
    if isinstance(choices, Mapping):
        choices = choices.items()
    pairs = []
    for choice in choices:
        if isinstance(choice, (tuple, list)) and len(choice) == 2:
            pairs.append((str(choice[0]), str(choice[1])))
        else:
            pairs.append((str(choice), str(choice)))
    return pairs


def _select(field: FormField, attrs: dict[str, Any], options: Any, prompt: Optional[str]) -> str:
    value = field.value
    chosen = {str(v) for v in value} if isinstance(value, (list, tuple)) else {str(value)}
    if attrs.get("multiple") and not str(attrs["name"]).endswith("[]"):
        attrs["name"] = f"{attrs['name']}[]"
    parts = [f"<select{_attributes(attrs)}>"]
    if prompt is not None:
        parts.append(f'<option value="">{_html(str(prompt))}</option>')
    for option_value, option_label in _options(field, options):
        selected = " selected" if option_value in chosen else ""
        parts.append(f'<option value="{_html(option_value)}"{selected}>{_html(option_label)}</option>')
    parts.append("</select>")
    return "".join(parts)


def input_tag(
    field: FormField, label: Optional[Union[str, bool]] = None, *, type: Optional[str] = None, options: Any = None,
    prompt: Optional[str] = None, attrs: Optional[Mapping[str, Any]] = None, **extra: Any,
) -> Markup:
    """One field, labelled, with its shown errors (the ``input`` filter).

    ``label`` defaults to ``field.label`` (``""`` or ``False``: no label); ``type`` to
    ``field.input_type`` (``textarea``, ``select`` and ``checkbox`` render their own controls);
    ``options`` are ``(value, label)`` pairs (or values, or a mapping) for a select, by default the
    field's ``Literal``/``Enum`` choices; ``prompt`` a first empty option. ``id=`` and ``value=``
    override the field's; for a checkbox ``value=`` is the checked value and ``checked=`` the state.
    """
    if not isinstance(field, FormField):
        what = f"the form {field.name}" if isinstance(field, Form) else repr(field)
        raise TypeError(f"the input filter renders one field (form.email), not {what}")
    kind = type or field.input_type
    base: dict[str, Any] = {"name": field.name, "id": field.id}
    if kind not in ("textarea", "select"):
        base = {"type": kind, **base}
    custom = {_attribute_name(k, literal=False): v for k, v in extra.items()}
    custom.update({_attribute_name(k, literal=True): v for k, v in (attrs or {}).items()})
    control_attrs = {**base, **custom}
    control_id = str(control_attrs.get("id") or field.id)
    messages = field.errors
    if messages:
        control_attrs.setdefault("aria-invalid", "true")
        described = [str(control_attrs["aria-describedby"])] if control_attrs.get("aria-describedby") else []
        control_attrs["aria-describedby"] = " ".join(described + _error_ids(control_id, len(messages)))
    value = control_attrs.pop("value", field.value)

    prefix = ""
    if kind == "checkbox":
        # Submitted first, so an unchecked box sends "false" and a checked one's "true" wins.
        prefix = f'<input type="hidden" name="{_html(str(control_attrs["name"]))}" value="false">'
        checked = control_attrs.pop("checked", field.checked)
        on_value = value if "value" in custom else "true"
        control = f"<input{_attributes({**control_attrs, 'value': on_value, 'checked': bool(checked)})}>"
    elif kind == "textarea":
        # The newline after <textarea> is eaten by the HTML parser, so a value's own leading newline survives.
        control = f"<textarea{_attributes(control_attrs)}>\n{_html(_text(value))}</textarea>"
    elif kind == "select":
        control = _select(field, control_attrs, options, prompt)
    else:
        control = f"<input{_attributes({**control_attrs, 'value': _text(value)})}>"

    label_text = field.label if label is None or label is True else label
    label_html = f'<label for="{_html(control_id)}">{_html(str(label_text))}</label>' if label_text else ""
    classes = "field" + (" field-checkbox" if kind == "checkbox" else "") + (" field-invalid" if messages else "")
    if kind == "checkbox":
        inner = prefix + control + label_html
    else:
        inner = label_html + control
    return Markup(f'<div class="{classes}">{inner}{_error_markup(control_id, messages)}</div>')


def errors_tag(target: Union[FormField, Form]) -> Markup:
    """The shown errors (the ``errors`` filter): a field's ``<p class="field-error">`` messages, or for
    a form the summary of every shown error as ``<ul class="form-errors">`` (nothing when none)."""
    if isinstance(target, FormField):
        return Markup(_error_markup(target.id, target.errors))
    if isinstance(target, Form):
        items = target._summary()
        if not items:
            return Markup("")
        rows = "".join(
            f"<li>{_html(label + ': ') if label else ''}{_html(message)}</li>" for _name, label, message in items
        )
        return Markup(f'<ul class="form-errors" id="{_html(target.id)}-errors">{rows}</ul>')
    raise TypeError(f"the errors filter takes a form field or a form, not {target!r}")
