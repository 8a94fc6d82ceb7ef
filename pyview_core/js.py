"""``JS``: build Phoenix LiveView JS commands in Python.

A ``JS`` value is an immutable list of client-side commands. It renders as the JSON the
phoenix_live_view 1.2 client parses from a binding attribute (``phx-click``, ``phx-submit``, hook
``this.js().exec``, ``liveSocket.execJS``): ``[[kind, args], ...]``, executed in order by
``JS.exec`` in the client's ``js.js``.

    from pyview_core import JS

    open_modal = JS.show(to="#modal", transition=("ease-out duration-200", "opacity-0", "opacity-100")) \\
                   .set_attribute(("aria-expanded", "true"), to="#open") \\
                   .focus_first(to="#modal") \\
                   .push("opened", value={"id": 1})

    # template:  <button phx-click="{{ open_modal }}">Open</button>

Every command is callable on the class (starting a new chain) or on an instance (appending to a
copy of that chain); a call never changes the ``JS`` it was called on.

Rendering: ``str(js)`` is the raw JSON; ``js.__html__()`` is that JSON HTML-escaped, so
autoescaping templates (``pyview_templates``, markupsafe, Jinja) can put ``{{ js }}`` inside a
double- or single-quoted attribute. ``js.to_encodable()`` is a fresh JSON-serialisable list, e.g.
for a ``push_event`` payload that a hook runs with ``liveSocket.execJS(el, payload.js)``.

Selectors (``to=``): a CSS selector string (``document.querySelectorAll``, whole document), or
``{"inner": sel}`` (``querySelectorAll`` below the element the command runs on) or
``{"closest": sel}`` (``element.closest(sel)``). Without ``to`` a command applies to the element
it runs on.

Transitions: ``"ease-out duration-300"`` (transition classes only) or a 3-tuple
``(transition classes, start classes, end classes)``; each part is a space-separated string or a
list of class names. They are encoded as the client's ``[[...], [...], [...]]``.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

__all__ = ["JS"]

Selector = str | Mapping[str, str]
Transition = str | Sequence[str | Sequence[str]]

# setAttribute/removeAttribute throw InvalidCharacterError on these (HTML attribute-name rules).
_BAD_ATTR_NAME = re.compile(r"[\s\"'>/=\x00-\x1f\x7f]")


class _Command:
    """Make a builder method callable on the class (new chain) and on an instance (extend it)."""

    def __init__(self, fn: Callable[..., JS]) -> None:
        self.fn = fn
        functools.update_wrapper(self, fn)

    def __get__(self, obj: JS | None, owner: type[JS]) -> Callable[..., JS]:
        base = obj if obj is not None else owner()

        @functools.wraps(self.fn)
        def bound(*args: Any, **kwargs: Any) -> JS:
            return self.fn(base, *args, **kwargs)

        return bound


def _command(fn: Callable[..., JS]) -> Any:
    return _Command(fn)


# ----------------------------------------------------------------------------------- validation


def _where(cmd: str) -> str:
    return f"JS.{cmd}"


def _name(cmd: str, what: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{_where(cmd)}: {what} must be a non-empty string, got {value!r}")
    return value


def _selector_string(cmd: str, what: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{_where(cmd)}: {what} must be a non-empty CSS selector string, got {value!r}")
    return value


def _to(cmd: str, to: Any) -> Any:
    if isinstance(to, str):
        return _selector_string(cmd, "to", to)
    if isinstance(to, Mapping):
        if len(to) != 1 or next(iter(to)) not in ("inner", "closest"):
            raise ValueError(
                f'{_where(cmd)}: to= as a mapping must be {{"inner": selector}} or {{"closest": selector}}, got {to!r}'
            )
        (kind, sel), = to.items()
        return {kind: _selector_string(cmd, f"to[{kind!r}]", sel)}
    raise TypeError(
        f'{_where(cmd)}: to= must be a CSS selector string, {{"inner": selector}} or {{"closest": selector}}, got {to!r}'
    )


def _time(cmd: str, time: Any) -> int:
    if isinstance(time, bool) or not isinstance(time, int) or time < 0:
        raise TypeError(f"{_where(cmd)}: time must be a non-negative int (milliseconds), got {time!r}")
    return time


def _bool(cmd: str, what: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{_where(cmd)}: {what} must be True or False, got {value!r}")
    return value


def _classes(cmd: str, what: str, value: Any, *, allow_empty: bool = False) -> list[str]:
    if isinstance(value, str):
        names = value.split()
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        names = list(value)
        for name in names:
            if not isinstance(name, str) or not name or any(c.isspace() for c in name):
                raise ValueError(f"{_where(cmd)}: {what} must hold class names without spaces, got {name!r}")
    else:
        raise TypeError(f"{_where(cmd)}: {what} must be a string of class names or a list of them, got {value!r}")
    if not names and not allow_empty:
        raise ValueError(f"{_where(cmd)}: {what} names no class")
    return names


def _transition(cmd: str, what: str, value: Any) -> list[list[str]]:
    if isinstance(value, str):
        return [_classes(cmd, what, value), [], []]
    if isinstance(value, Sequence) and not isinstance(value, (bytes, Mapping)) and len(value) == 3:
        run, start, end = value
        # The client ignores the start/end classes when there is no transition class.
        return [
            _classes(cmd, f"{what} (transition classes)", run),
            _classes(cmd, f"{what} (start classes)", start, allow_empty=True),
            _classes(cmd, f"{what} (end classes)", end, allow_empty=True),
        ]
    raise TypeError(
        f"{_where(cmd)}: {what} must be a string of classes or a 3-tuple "
        f"(transition classes, start classes, end classes), got {value!r}"
    )


def _attr_name(cmd: str, value: Any) -> str:
    _name(cmd, "the attribute name", value)
    if _BAD_ATTR_NAME.search(value):
        raise ValueError(f"{_where(cmd)}: {value!r} is not a valid attribute name")
    return value


def _attr_value(cmd: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{_where(cmd)}: attribute values must be strings, got {value!r}")
    return value


def _json(cmd: str, what: str, value: Any) -> Any:
    """A deep copy of ``value`` made of JSON types only (str keys, no NaN, UTF-8-encodable)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise TypeError(f"{_where(cmd)}: {what} must be JSON-serialisable ({exc})") from None
    copied = json.loads(text)
    if copied != value and not _json_equal(copied, value):
        raise TypeError(f"{_where(cmd)}: {what} must use string keys and JSON types only, got {value!r}")
    return copied


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(b, tuple):
        b = list(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _object(cmd: str, what: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{_where(cmd)}: {what} must be a mapping (a JSON object), got {value!r}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{_where(cmd)}: {what} keys must be strings, got {key!r}")
    return _json(cmd, what, dict(value))


# ------------------------------------------------------------------------------------------ JS


class JS:
    """An immutable chain of Phoenix LiveView JS commands; see the module docstring."""

    __slots__ = ("_ops",)

    def __init__(self, ops: Iterable[Sequence[Any]] = ()) -> None:
        # Internal: commands already validated and encoded as (kind, args).
        object.__setattr__(self, "_ops", tuple((kind, copy.deepcopy(args)) for kind, args in ops))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("JS is immutable; every command returns a new JS")

    def _add(self, kind: str, args: dict[str, Any]) -> JS:
        clean = {k: v for k, v in args.items() if v is not None}
        return JS(self._ops + ((kind, clean),))

    # -------------------------------------------------------------------------- encoding

    def to_encodable(self) -> list[list[Any]]:
        """A fresh ``[[kind, args], ...]`` list, ready for ``json``/``orjson`` (e.g. push_event)."""
        return [[kind, copy.deepcopy(args)] for kind, args in self._ops]

    def to_json(self) -> str:
        """The JSON the client parses (compact, non-ASCII kept as is)."""
        return json.dumps(self.to_encodable(), ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def __str__(self) -> str:
        return self.to_json()

    def __html__(self) -> Markup:
        return escape(self.to_json())

    def __repr__(self) -> str:
        return f"JS({self.to_json()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JS) and self._ops == other._ops

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __len__(self) -> int:
        return len(self._ops)

    def __bool__(self) -> bool:
        return bool(self._ops)

    def __add__(self, other: JS) -> JS:
        if not isinstance(other, JS):
            return NotImplemented
        return JS(self._ops + other._ops)

    def __copy__(self) -> JS:
        return self

    def __deepcopy__(self, memo: Any) -> JS:
        return self

    def __reduce__(self) -> Any:
        return (JS, (self._ops,))

    # -------------------------------------------------------------------------- commands

    @_command
    def push(
        self, event: str, *, value: Mapping[str, Any] | None = None, target: str | int | None = None,
        page_loading: bool | None = None, loading: str | None = None,
    ) -> JS:
        """Push ``event`` to the server. ``value`` is merged into the event's value (over the
        element's ``phx-value-*``), ``target`` is a ``phx-target`` (CSS selector or component id),
        ``page_loading`` shows the page-loading state, ``loading`` is a CSS selector of extra
        elements that get the loading classes until the server replies."""
        cmd = "push"
        args: dict[str, Any] = {"event": _name(cmd, "the event name", event)}
        if value is not None:
            args["value"] = _object(cmd, "value", value)
        if target is not None:
            if isinstance(target, int) and not isinstance(target, bool):
                if target < 1:  # the client tests `target || ...`: a cid 0 would be ignored
                    raise ValueError(f"{_where(cmd)}: a component id target must be a positive int, got {target!r}")
            else:
                _selector_string(cmd, "target", target)
            args["target"] = target
        if page_loading is not None:
            args["page_loading"] = _bool(cmd, "page_loading", page_loading)
        if loading is not None:
            args["loading"] = _selector_string(cmd, "loading", loading)
        return self._add("push", args)

    @_command
    def show(
        self, *, to: Selector | None = None, transition: Transition | None = None, time: int | None = None,
        display: str | None = None, blocking: bool | None = None,
    ) -> JS:
        """Show the elements (``display``, default ``block``), optionally with a transition."""
        return self._add("show", _visibility("show", to, transition, time, blocking, display))

    @_command
    def hide(
        self, *, to: Selector | None = None, transition: Transition | None = None, time: int | None = None,
        blocking: bool | None = None,
    ) -> JS:
        """Hide the elements (``display: none``), optionally with a transition."""
        return self._add("hide", _visibility("hide", to, transition, time, blocking, None))

    @_command
    def toggle(
        self, *, to: Selector | None = None, in_: Transition | None = None, out: Transition | None = None,
        time: int | None = None, display: str | None = None, blocking: bool | None = None,
    ) -> JS:
        """Show hidden elements (transition ``in_``) and hide visible ones (transition ``out``)."""
        cmd = "toggle"
        args: dict[str, Any] = {
            "to": _to(cmd, to) if to is not None else None,
            "display": _name(cmd, "display", display) if display is not None else None,
            "ins": _transition(cmd, "in_", in_) if in_ is not None else None,
            "outs": _transition(cmd, "out", out) if out is not None else None,
            "time": _time(cmd, time) if time is not None else None,
            "blocking": _bool(cmd, "blocking", blocking) if blocking is not None else None,
        }
        return self._add("toggle", args)

    @_command
    def add_class(
        self, names: str | Sequence[str], *, to: Selector | None = None, transition: Transition | None = None,
        time: int | None = None, blocking: bool | None = None,
    ) -> JS:
        """Add the classes ``names`` (``"a b"`` or ``["a", "b"]``), after an optional transition."""
        return self._add("add_class", _class_args("add_class", names, to, transition, time, blocking))

    @_command
    def remove_class(
        self, names: str | Sequence[str], *, to: Selector | None = None, transition: Transition | None = None,
        time: int | None = None, blocking: bool | None = None,
    ) -> JS:
        """Remove the classes ``names``, after an optional transition."""
        return self._add("remove_class", _class_args("remove_class", names, to, transition, time, blocking))

    @_command
    def toggle_class(
        self, names: str | Sequence[str], *, to: Selector | None = None, transition: Transition | None = None,
        time: int | None = None, blocking: bool | None = None,
    ) -> JS:
        """Add each of ``names`` the element lacks and remove each it has."""
        return self._add("toggle_class", _class_args("toggle_class", names, to, transition, time, blocking))

    @_command
    def set_attribute(self, attr: tuple[str, str], *, to: Selector | None = None) -> JS:
        """Set an attribute: ``set_attribute(("aria-expanded", "true"))``."""
        cmd = "set_attribute"
        if isinstance(attr, str) or not isinstance(attr, Sequence) or len(attr) != 2:
            raise TypeError(f"{_where(cmd)}: attr must be a (name, value) pair, got {attr!r}")
        name, value = attr
        encoded = [_attr_name(cmd, name), _attr_value(cmd, value)]
        return self._add("set_attr", {"to": _to(cmd, to) if to is not None else None, "attr": encoded})

    @_command
    def remove_attribute(self, attr: str, *, to: Selector | None = None) -> JS:
        """Remove the attribute ``attr``."""
        cmd = "remove_attribute"
        return self._add("remove_attr", {"to": _to(cmd, to) if to is not None else None, "attr": _attr_name(cmd, attr)})

    @_command
    def toggle_attribute(self, attr: tuple[str, str] | tuple[str, str, str], *, to: Selector | None = None) -> JS:
        """``(name, value)``: set the attribute when absent, remove it when present.
        ``(name, value1, value2)``: set ``value2`` when it is ``value1``, else ``value1``."""
        cmd = "toggle_attribute"
        if isinstance(attr, str) or not isinstance(attr, Sequence) or len(attr) not in (2, 3):
            raise TypeError(f"{_where(cmd)}: attr must be (name, value) or (name, value1, value2), got {attr!r}")
        # Only two items for the 2-form: the client checks `val2 !== undefined`, so a JSON null
        # would toggle between value1 and the string "null".
        encoded = [_attr_name(cmd, attr[0])] + [_attr_value(cmd, v) for v in attr[1:]]
        return self._add("toggle_attr", {"to": _to(cmd, to) if to is not None else None, "attr": encoded})

    @_command
    def ignore_attributes(self, attrs: str | Sequence[str], *, to: Selector | None = None) -> JS:
        """Keep the client's value of these attributes across server patches (``*`` wildcards)."""
        cmd = "ignore_attributes"
        names = [attrs] if isinstance(attrs, str) else list(attrs) if isinstance(attrs, Sequence) else None
        if not names:
            raise TypeError(f"{_where(cmd)}: attrs must be an attribute name or a non-empty list of them, got {attrs!r}")
        for name in names:
            _name(cmd, "an attribute name", name)
        return self._add("ignore_attrs", {"to": _to(cmd, to) if to is not None else None, "attrs": names})

    @_command
    def transition(
        self, transition: Transition, *, to: Selector | None = None, time: int | None = None,
        blocking: bool | None = None,
    ) -> JS:
        """Run a transition (classes added for ``time`` ms, then removed)."""
        cmd = "transition"
        return self._add("transition", {
            "to": _to(cmd, to) if to is not None else None,
            "time": _time(cmd, time) if time is not None else None,
            "transition": _transition(cmd, "transition", transition),
            "blocking": _bool(cmd, "blocking", blocking) if blocking is not None else None,
        })

    @_command
    def dispatch(
        self, event: str, *, to: Selector | None = None, detail: Mapping[str, Any] | None = None,
        bubbles: bool | None = None, blocking: bool | None = None,
    ) -> JS:
        """Dispatch a DOM ``CustomEvent`` (a ``MouseEvent`` for ``"click"``) on the elements.
        The client adds ``detail.dispatcher`` (the source element); with ``blocking=True`` also
        ``detail.done``, which a listener must call to end the blocking transition."""
        cmd = "dispatch"
        _name(cmd, "the event name", event)
        args: dict[str, Any] = {"to": _to(cmd, to) if to is not None else None, "event": event}
        if detail is not None:
            if event == "click":
                raise ValueError(
                    f'{_where(cmd)}: "click" is dispatched as a MouseEvent, whose detail is a number: detail= would be lost'
                )
            args["detail"] = _object(cmd, "detail", detail)
            for reserved in ("dispatcher",) + (("done",) if blocking else ()):
                if reserved in args["detail"]:
                    raise ValueError(f"{_where(cmd)}: detail[{reserved!r}] is overwritten by the client")
        if bubbles is not None:
            args["bubbles"] = _bool(cmd, "bubbles", bubbles)
        if blocking is not None:
            args["blocking"] = _bool(cmd, "blocking", blocking)
        return self._add("dispatch", args)

    @_command
    def focus(self, *, to: Selector | None = None) -> JS:
        """Focus the element."""
        return self._add("focus", {"to": _to("focus", to) if to is not None else None})

    @_command
    def focus_first(self, *, to: Selector | None = None) -> JS:
        """Focus the first focusable element inside."""
        return self._add("focus_first", {"to": _to("focus_first", to) if to is not None else None})

    @_command
    def push_focus(self, *, to: Selector | None = None) -> JS:
        """Remember the element (default: the one the command runs on) for ``pop_focus``."""
        return self._add("push_focus", {"to": _to("push_focus", to) if to is not None else None})

    @_command
    def pop_focus(self) -> JS:
        """Focus the element last remembered by ``push_focus``."""
        return self._add("pop_focus", {})

    @_command
    def navigate(self, href: str, *, replace: bool = False) -> JS:
        """Live-navigate to ``href`` (a new LiveView mount), pushing or replacing history."""
        return self._add("navigate", {"href": _name("navigate", "href", href),
                                      "replace": _bool("navigate", "replace", replace)})

    @_command
    def patch(self, href: str, *, replace: bool = False) -> JS:
        """Patch the current LiveView to ``href`` (``handle_params``), pushing or replacing history."""
        return self._add("patch", {"href": _name("patch", "href", href), "replace": _bool("patch", "replace", replace)})

    @_command
    def exec(self, attr: str, *, to: Selector | None = None) -> JS:
        """Run the JS commands stored in attribute ``attr`` of the element (or of ``to``)."""
        cmd = "exec"
        return self._add("exec", {"attr": _attr_name(cmd, attr), "to": _to(cmd, to) if to is not None else None})


def _visibility(cmd: str, to: Any, transition: Any, time: Any, blocking: Any, display: Any) -> dict[str, Any]:
    return {
        "to": _to(cmd, to) if to is not None else None,
        "display": _name(cmd, "display", display) if display is not None else None,
        "transition": _transition(cmd, "transition", transition) if transition is not None else None,
        "time": _time(cmd, time) if time is not None else None,
        "blocking": _bool(cmd, "blocking", blocking) if blocking is not None else None,
    }


def _class_args(cmd: str, names: Any, to: Any, transition: Any, time: Any, blocking: Any) -> dict[str, Any]:
    return {
        "to": _to(cmd, to) if to is not None else None,
        "names": _classes(cmd, "names", names),
        "transition": _transition(cmd, "transition", transition) if transition is not None else None,
        "time": _time(cmd, time) if time is not None else None,
        "blocking": _bool(cmd, "blocking", blocking) if blocking is not None else None,
    }
