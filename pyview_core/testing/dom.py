"""The page as the test client sees it: elements, event values and forms, read from HTML alone.

The test client holds the HTML of the view's container. This module answers the questions the
browser would answer from the DOM, the way the official client (``phoenix_live_view`` 1.2.12)
and Chromium answer them, so that a test sends what a real page sends:

* :class:`Page` finds elements by CSS selector and text, with error messages that show what
  the page has instead;
* :func:`pushes` and :func:`event_value` say which events a ``phx-click`` (or key, focus, blur)
  binding pushes and with which value (``View.extractMeta``);
* forms are :mod:`.forms`; what a control holds is :mod:`.controls`; how elements are shown
  in messages is :mod:`.messages`.

Not modelled: ``<textarea wrap="hard">`` (its line breaks depend on layout), form-associated
custom elements, a color input holding a CSS color name or function (an error says so), and
the parser's association of controls with a ``<form>`` they are not inside
(``<table><form><tr><td><input>``): a control belongs to its ``form="id"`` target or its
nearest ``<form>`` ancestor.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from .errors import LiveViewTestError

from .controls import CHECKABLE, CONTROL_TAGS, NO_VALUE, Control, all_elements, build_controls, control_for, property_value
from .messages import Node, TextFilter, describe, listing, one_line, snippet

if TYPE_CHECKING:
    from .forms import Form

__all__ = ["Page", "comparable", "event_value", "pushes"]

VALUE_PREFIX = "phx-value-"


# ============================================================================ the page


def _parse(html: str) -> LexborHTMLParser:
    # Fragment parsing in a <div> context, like the client's innerHTML: leading <style>, <meta>
    # or <title> stay where they are instead of moving into a synthesised <head>.
    return LexborHTMLParser(html, is_fragment=True, fragment_tag="div")


class Page:
    """A parsed fragment (the view container's inner HTML).

    Parsed once with an HTML5 parser, so selectors see the tree the browser builds (implied
    ``<tbody>``, dropped nested ``<form>``, a textarea's first newline removed).
    """

    def __init__(self, html: str) -> None:
        self.html = html
        self.tree = _parse(html)
        self._controls_cache: list[Control] | None = None

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
            raise LiveViewTestError(f"{what} matches {len(found)} elements, expected exactly one:{listing(found)}")
        if text is not None:
            loose = self._css(selector)
            if loose:
                raise LiveViewTestError(
                    f"the page has no element matching {what}; elements matching {selector!r} have other text:"
                    f"{listing(loose)}"
                )
        if binding:
            carriers = [n for n in all_elements(self.tree) if binding in n.attributes]
            if carriers:
                raise LiveViewTestError(
                    f"the page has no element matching {what}; elements with {binding}:{listing(carriers)}"
                )
            raise LiveViewTestError(f"the page has no element matching {what} (and no element has {binding})")
        raise LiveViewTestError(f"the page has no element matching {what}")

    def targets(self, node: Node) -> list[int | None]:
        """Where an event from ``node`` goes (``View.targetComponentID``): the view (``None``), the
        component its ``phx-target`` names by cid, or, for a selector, the component around each
        element it matches (the client sends one event per match)."""
        target = node.attributes.get("phx-target")
        if target is None:
            return [None]
        text = target.strip()
        if text.isdigit():
            return [int(text)]
        matches = self._css(text)
        if not matches:
            raise LiveViewTestError(f"phx-target {target!r} of {snippet(node)} matches no element, so the client sends nothing")
        return [_component_around(match) for match in matches]

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

    def _controls(self) -> list[Control]:
        if self._controls_cache is None:
            self._controls_cache = build_controls(self.tree)
        return self._controls_cache


def _component_around(node: Node) -> int | None:
    """The cid of the closest ``[data-phx-component]`` around ``node`` (itself included), if any."""
    current: Node | None = node
    while current is not None:
        cid = (current.attributes or {}).get("data-phx-component")
        if cid is not None and cid.isdigit():
            return int(cid)
        current = current.parent
    return None


def _text_matches(node: Node, text: str | re.Pattern[str]) -> bool:
    content = one_line(node.text() or "")
    if isinstance(text, re.Pattern):
        return text.search(content) is not None
    return one_line(text) in content


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


# ============================================================================ event values


def _control_of(node: Node, form: Form | None) -> Control | None:
    if node.tag not in CONTROL_TAGS:
        return None
    if form is not None:
        filled = next((c for c in form._controls if c.node == node), None)
        if filled is not None:
            return filled
    return control_for(node)


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
    value = property_value(node, control)
    if value is not NO_VALUE:
        out["value"] = value
        if control is not None and control.tag == "input" and control.type in CHECKABLE and not control.checked:
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
