"""The built-in template filters.

``BUILTIN_FILTERS`` maps each filter name to a plain function
``f(value, *args, **kwargs)``: the compiler turns ``{{ x|f(a, k=b) }}`` into
``f(x, a, k=b)`` and the Django-style ``{{ x|f:a }}`` into ``f(x, a)``.

Every filter Jinja2 also has keeps Jinja2's name, argument names, defaults and
result, including what it does under autoescaping (our templates always
autoescape): a filter either returns a plain value, which the template escapes
when printing it, or :class:`~markupsafe.Markup`, which it prints as is.
Where Jinja2 hands back a lazy iterator (``batch``, ``slice``, ``unique``,
``reverse``, ``items``) we return a list, which iterates the same and can also
be measured, indexed and printed.

The remaining filters (``dtformat``, ``startswith``, ``endswith``,
``truncatechars``, ``truncatewords``, ``str``, ``index``, ``if_undefined``)
come from pyview-web's Ibis templates and behave as they do there.

A filter given a wrong argument raises an ordinary Python exception, as in
Jinja2; where Python's own message would be cryptic (a bad ``batch`` size, an
unknown ``round`` method, ...) it is a ``TypeError`` or ``ValueError`` whose
message starts with ``filter '<name>'``.  Undefined values behave as Jinja2's
default ``Undefined`` does in each filter: most treat them as ``""`` or an
empty sequence, while numeric conversions raise ``UndefinedError``.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import pprint
import random
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple
from urllib.parse import quote_from_bytes

from markupsafe import Markup, escape, soft_str

from .undefined import Undefined, object_type_repr

__all__ = ["BUILTIN_FILTERS"]

BUILTIN_FILTERS: dict[str, Callable[..., Any]] = {}


def _register(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def add(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in names:
            BUILTIN_FILTERS[name] = func
        return func

    return add


# --------------------------------------------------------------------------
# helpers


def _is_html(value: Any) -> bool:
    return hasattr(value, "__html__")


def _fold_case(value: Any) -> Any:
    """Lower-case strings (for case-insensitive comparisons); keep the rest."""
    return value.lower() if isinstance(value, str) else value


def _empty(what: str) -> Undefined:
    """The undefined value a filter returns when a sequence has no such item."""
    return Undefined(f"{what} of an empty sequence")


def _positive_int(filter_name: str, arg_name: str, value: Any) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"filter {filter_name!r}: {arg_name} must be an integer, "
            f"got {object_type_repr(value)}"
        ) from None
    if number < 1:
        raise ValueError(f"filter {filter_name!r}: {arg_name} must be at least 1, got {number}")
    return number


def _path_segments(attribute: Any) -> list[Any]:
    """``"user.address.0"`` -> ``["user", "address", 0]``; ints stay as they are."""
    if attribute is None:
        return []
    if isinstance(attribute, str):
        return [int(seg) if seg.isascii() and seg.isdigit() else seg for seg in attribute.split(".")]
    return [attribute]


def _lookup(obj: Any, key: Any) -> Any:
    """One step of an attribute path, resolved the way templates resolve ``obj.key``.

    A mapping is looked up by key first, then by attribute; any other object
    by attribute first, then by item.  A miss gives :class:`Undefined`; using
    an Undefined as ``obj`` raises ``UndefinedError`` as it does in templates.
    """
    if isinstance(obj, Mapping):
        try:
            return obj[key]
        except (LookupError, TypeError):
            pass
        if isinstance(key, str):
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        return Undefined(key, obj)
    if isinstance(key, str):
        try:
            return getattr(obj, key)
        except AttributeError:
            pass
    try:
        return obj[key]
    except (LookupError, TypeError, AttributeError):
        return Undefined(key, obj)


def _attribute_getter(
    attribute: Any,
    fold_case: bool = False,
    default: Any = None,
) -> Callable[[Any], Any]:
    """A function reading ``attribute`` (a dotted path, or None for the item itself)."""
    segments = _path_segments(attribute)

    def get(item: Any) -> Any:
        for segment in segments:
            item = _lookup(item, segment)
            if default is not None and isinstance(item, Undefined):
                item = default
        return _fold_case(item) if fold_case else item

    return get


def _multi_attribute_getter(attribute: Any, fold_case: bool = False) -> Callable[[Any], tuple]:
    """Like :func:`_attribute_getter` for ``"age,name"``: returns a tuple of values."""
    if isinstance(attribute, str):
        getters = [_attribute_getter(part, fold_case) for part in attribute.split(",")]
    else:
        getters = [_attribute_getter(attribute, fold_case)]
    return lambda item: tuple(get(item) for get in getters)


# --------------------------------------------------------------------------
# values and defaults


@_register("default", "d")
def filter_default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """``value`` unless it is undefined (or, with ``boolean=True``, falsy)."""
    if isinstance(value, Undefined) or (boolean and not value):
        return default_value
    return value


@_register("if_undefined")
def filter_if_undefined(obj: Any, fallback: Any) -> Any:
    """Ibis: ``fallback`` if ``obj`` is undefined, else ``obj`` (falsy values are kept)."""
    return fallback if isinstance(obj, Undefined) else obj


@_register("attr")
def filter_attr(obj: Any, name: str) -> Any:
    """``obj.name`` as an attribute only (no item fallback); undefined if missing."""
    try:
        return getattr(obj, name)
    except AttributeError:
        return Undefined(name, obj)


# --------------------------------------------------------------------------
# strings


@_register("upper")
def filter_upper(s: Any) -> str:
    return soft_str(s).upper()


@_register("lower")
def filter_lower(s: Any) -> str:
    return soft_str(s).lower()


@_register("capitalize")
def filter_capitalize(s: Any) -> str:
    """First character upper case, the rest lower case."""
    return soft_str(s).capitalize()


_TITLE_WORD = re.compile(r"[^\s\-(\[{<]+")


@_register("title")
def filter_title(s: Any) -> str:
    """Upper-case the first letter of every word and lower-case the rest.

    Words are separated by whitespace, ``-`` and the opening brackets ``( [ { <``.
    """
    return _TITLE_WORD.sub(lambda m: m[0][:1].upper() + m[0][1:].lower(), str(soft_str(s)))


@_register("trim")
def filter_trim(value: Any, chars: str | None = None) -> str:
    """Strip leading and trailing ``chars`` (whitespace by default)."""
    return soft_str(value).strip(chars)


@_register("center")
def filter_center(value: Any, width: int = 80) -> str:
    return soft_str(value).center(width)


@_register("string")
def filter_string(value: Any) -> str:
    """Convert to a string, keeping Markup as Markup."""
    return soft_str(value)


@_register("str")
def filter_str(obj: Any) -> str:
    """Ibis: ``str(obj)`` (Markup comes back as a plain string)."""
    return str(obj)


@_register("replace")
def filter_replace(s: Any, old: Any, new: Any, count: int | None = None) -> str:
    """Replace ``old`` with ``new`` (only the first ``count`` times if given).

    With Markup arguments on plain text, the text is escaped first so the
    result can be Markup without letting the text's own HTML through.
    """
    if count is None:
        count = -1
    markup_needed = _is_html(old) or (_is_html(new) and not _is_html(s))
    text = escape(s) if markup_needed else soft_str(s)
    return text.replace(soft_str(old), soft_str(new), count)


@_register("truncate")
def filter_truncate(
    s: Any,
    length: int = 255,
    killwords: bool = False,
    end: str = "...",
    leeway: int | None = None,
) -> str:
    """Shorten ``s`` to ``length`` characters including ``end``.

    Text no more than ``leeway`` characters too long (default 5, Jinja2's
    default policy) is left alone.  Unless ``killwords``, the cut happens at
    the last space so no word is split.
    """
    if leeway is None:
        leeway = 5
    if length < len(end):
        raise ValueError(
            f"filter 'truncate': length must be at least len(end) = {len(end)}, got {length}"
        )
    if leeway < 0:
        raise ValueError(f"filter 'truncate': leeway must not be negative, got {leeway}")
    if len(s) <= length + leeway:
        return s
    kept = s[: length - len(end)]
    if not killwords:
        kept = kept.rsplit(" ", 1)[0]
    return kept + end


@_register("truncatechars")
def filter_truncatechars(s: str, n: int, ellipsis: str = "...") -> str:
    """Ibis: at most about ``n`` characters, trailing punctuation dropped before ``ellipsis``."""
    if len(s) <= n:
        return s
    return s[: n - 3].rstrip(" .,;:?!") + ellipsis


@_register("truncatewords")
def filter_truncatewords(s: str, n: int, ellipsis: str = " [...]") -> str:
    """Ibis: the first ``n`` words (whitespace normalised), plus ``ellipsis`` if cut."""
    words = s.split()
    if len(words) <= n:
        return " ".join(words)
    return " ".join(words[:n]) + ellipsis


_WORD = re.compile(r"\w+")


@_register("wordcount")
def filter_wordcount(s: Any) -> int:
    return len(_WORD.findall(soft_str(s)))


@_register("striptags")
def filter_striptags(value: Any) -> str:
    """Remove tags and comments, unescape entities and collapse whitespace."""
    if _is_html(value):
        value = value.__html__()
    return Markup(str(value)).striptags()


@_register("startswith")
def filter_startswith(s: str, prefix: str) -> bool:
    return s.startswith(prefix)


@_register("endswith")
def filter_endswith(s: str, suffix: str) -> bool:
    return s.endswith(suffix)


@_register("indent")
def filter_indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Indent every line but the first (unless ``first``) and blank ones (unless ``blank``).

    ``width`` is a number of spaces or the indentation string itself.
    """
    pad = width if isinstance(width, str) else " " * width
    newline = "\n"
    if isinstance(s, Markup):
        pad, newline = Markup(pad), Markup(newline)
    if not isinstance(s, (str, Undefined)):
        raise TypeError(f"filter 'indent' expects a string, got {object_type_repr(s)}")
    lines = (s + newline).splitlines()
    if blank:
        out = (newline + pad).join(lines)
    else:
        out = newline.join(lines[:1] + [pad + line if line else line for line in lines[1:]])
    return pad + out if first else out


@_register("wordwrap")
def filter_wordwrap(
    s: str,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    """Wrap each paragraph (line) of ``s`` at ``width``, joining lines with ``wrapstring``."""
    if wrapstring is None:
        wrapstring = "\n"
    wrapped = []
    for paragraph in s.splitlines():
        lines = textwrap.wrap(
            paragraph,
            width=width,
            expand_tabs=False,
            replace_whitespace=False,
            break_long_words=break_long_words,
            break_on_hyphens=break_on_hyphens,
        )
        wrapped.append(wrapstring.join(lines))
    return wrapstring.join(wrapped)


@_register("format")
def filter_format(value: Any, /, *args: Any, **kwargs: Any) -> str:
    """printf-style formatting: ``value % args`` or ``value % kwargs``.

    A Markup format string escapes the values it is given.
    """
    if args and kwargs:
        raise TypeError(
            "filter 'format' takes positional or keyword arguments, not both at once"
        )
    return soft_str(value) % (kwargs or args)


def _url_quote(value: Any, for_query: bool = False) -> str:
    data = value if isinstance(value, bytes) else str(value).encode("utf-8")
    quoted = quote_from_bytes(data, "" if for_query else "/")
    return quoted.replace("%20", "+") if for_query else quoted


@_register("urlencode")
def filter_urlencode(value: Any) -> str:
    """Percent-encode a string (``/`` kept), or a mapping / pairs as a query string."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return _url_quote(value)
    pairs = value.items() if isinstance(value, Mapping) else value
    return "&".join(f"{_url_quote(k, True)}={_url_quote(v, True)}" for k, v in pairs)


@_register("filesizeformat")
def filter_filesizeformat(value: Any, binary: bool = False) -> str:
    """Human-readable size: ``13 kB``, ``4.1 MB``, ``102 Bytes`` (``KiB``... if binary)."""
    size = float(value)
    base = 1024 if binary else 1000
    if binary:
        units = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    else:
        units = ("kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
    if size == 1:
        return "1 Byte"
    if size < base:
        return f"{int(size)} Bytes"
    for power, unit in enumerate(units, start=2):
        limit = base**power
        if size < limit:
            break
    return f"{base * size / limit:.1f} {unit}"


@_register("dtformat")
def filter_dtformat(dt: Any, format: str = "%Y-%m-%d %H:%M") -> str:
    """Ibis: ``dt.strftime(format)``."""
    return dt.strftime(format)


# --------------------------------------------------------------------------
# HTML and JSON


@_register("escape", "e")
def filter_escape(value: Any) -> Markup:
    """Escape ``& < > ' "``; Markup (anything with ``__html__``) is kept as is."""
    return escape(value)


@_register("forceescape")
def filter_forceescape(value: Any) -> Markup:
    """Escape even Markup (so its HTML shows as text)."""
    if _is_html(value):
        value = value.__html__()
    return escape(str(value))


@_register("safe")
def filter_safe(value: Any) -> Markup:
    """Mark ``value`` as safe HTML: it is printed without escaping."""
    return Markup(value)


_JSON_HTML_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
)


@_register("tojson")
def filter_tojson(value: Any, indent: int | str | None = None) -> Markup:
    """JSON with sorted keys, safe inside ``<script>`` and single-quoted attributes."""
    text = json.dumps(value, sort_keys=True, indent=indent)
    return Markup(text.translate(_JSON_HTML_UNSAFE))


_ATTR_NAME_BREAKER = re.compile(r"[\s/>=]", re.ASCII)


@_register("xmlattr")
def filter_xmlattr(d: Mapping[str, Any], autospace: bool = True) -> Markup:
    """``{"class": "a", "id": x}`` -> `` class="a" id="..."`` (None/undefined skipped)."""
    parts = []
    for key, value in d.items():
        if value is None or isinstance(value, Undefined):
            continue
        if _ATTR_NAME_BREAKER.search(key) is not None:
            raise ValueError(f"filter 'xmlattr': invalid character in attribute name: {key!r}")
        parts.append(f'{escape(key)}="{escape(value)}"')
    out = " ".join(parts)
    if autospace and out:
        out = " " + out
    return Markup(out)


@_register("pprint")
def filter_pprint(value: Any) -> str:
    return pprint.pformat(value)


# --------------------------------------------------------------------------
# numbers


@_register("int")
def filter_int(value: Any, default: int = 0, base: int = 10) -> int:
    """Convert to int; ``"3.5"`` gives 3, anything unconvertible gives ``default``.

    ``base`` applies to strings only (``"0x1A"|int(base=16)``).
    """
    try:
        return int(value, base) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        pass
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


@_register("float")
def filter_float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


@_register("round")
def filter_round(value: Any, precision: int = 0, method: str = "common") -> float:
    """Round to ``precision`` digits: ``common`` (Python's round), ``ceil`` or ``floor``."""
    if method == "common":
        return round(value, precision)
    if method == "ceil":
        rounder = math.ceil
    elif method == "floor":
        rounder = math.floor
    else:
        raise ValueError(
            f"filter 'round': method must be 'common', 'ceil' or 'floor', got {method!r}"
        )
    scale = 10**precision
    return rounder(value * scale) / scale


BUILTIN_FILTERS["abs"] = abs


# --------------------------------------------------------------------------
# sequences


BUILTIN_FILTERS["length"] = BUILTIN_FILTERS["count"] = BUILTIN_FILTERS["len"] = len


@_register("list")
def filter_list(value: Iterable[Any]) -> list[Any]:
    """A list of the items (of the characters, for a string)."""
    return list(value)


@_register("first")
def filter_first(seq: Iterable[Any]) -> Any:
    for item in seq:
        return item
    return _empty("first item")


@_register("last")
def filter_last(seq: Any) -> Any:
    try:
        backwards = reversed(seq)
    except TypeError:
        raise TypeError(
            f"filter 'last' needs a sequence, got {object_type_repr(seq)} "
            "(convert it with |list first)"
        ) from None
    for item in backwards:
        return item
    return _empty("last item")


@_register("index")
def filter_index(seq: Any, i: Any) -> Any:
    """Ibis: ``seq[i]``."""
    return seq[i]


@_register("random")
def filter_random(seq: Any) -> Any:
    try:
        return random.choice(seq)
    except IndexError:
        return _empty("random item")


@_register("reverse")
def filter_reverse(value: Any) -> Any:
    """A reversed string, or a reversed list of the items."""
    if isinstance(value, str):
        return value[::-1]
    try:
        return list(reversed(value))
    except TypeError:
        pass
    try:
        items = list(value)
    except TypeError:
        raise TypeError(
            f"filter 'reverse' expects a string or an iterable, got {object_type_repr(value)}"
        ) from None
    items.reverse()
    return items


@_register("join")
def filter_join(value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    """Join the items with ``d``; items that are not Markup are escaped.

    The result is Markup as soon as the separator or an item is Markup, and
    a plain string (escaped when printed) otherwise.
    """
    if attribute is not None:
        get = _attribute_getter(attribute)
        value = [get(item) for item in value]
    if _is_html(d):
        return soft_str(d).join([soft_str(item) for item in value])
    items = [item if _is_html(item) else str(item) for item in value]
    if any(_is_html(item) for item in items):
        return escape(d).join(items)
    return str(d).join(items)


@_register("sort")
def filter_sort(
    value: Iterable[Any],
    reverse: bool = False,
    case_sensitive: bool = False,
    attribute: Any = None,
) -> list[Any]:
    """Sorted list; ``attribute`` may be dotted (``"user.name"``) and comma-separated."""
    key = _multi_attribute_getter(attribute, fold_case=not case_sensitive)
    return sorted(value, key=key, reverse=reverse)


@_register("unique")
def filter_unique(
    value: Iterable[Any], case_sensitive: bool = False, attribute: Any = None
) -> list[Any]:
    """The items in first-seen order, dropping later ones equal to an earlier one."""
    key = _attribute_getter(attribute, fold_case=not case_sensitive)
    seen: set[Any] = set()
    out = []
    for item in value:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _extreme(
    pick: Callable[..., Any],
    what: str,
    value: Iterable[Any],
    case_sensitive: bool,
    attribute: Any,
) -> Any:
    items = list(value)
    if not items:
        return _empty(what)
    return pick(items, key=_attribute_getter(attribute, fold_case=not case_sensitive))


@_register("min")
def filter_min(value: Iterable[Any], case_sensitive: bool = False, attribute: Any = None) -> Any:
    return _extreme(min, "smallest item", value, case_sensitive, attribute)


@_register("max")
def filter_max(value: Iterable[Any], case_sensitive: bool = False, attribute: Any = None) -> Any:
    return _extreme(max, "largest item", value, case_sensitive, attribute)


@_register("sum")
def filter_sum(iterable: Iterable[Any], attribute: Any = None, start: Any = 0) -> Any:
    if attribute is not None:
        get = _attribute_getter(attribute)
        iterable = [get(item) for item in iterable]
    return sum(iterable, start)


@_register("items")
def filter_items(value: Any) -> list[tuple[Any, Any]]:
    """The ``(key, value)`` pairs of a mapping; none for an undefined value."""
    if isinstance(value, Undefined):
        return []
    if not isinstance(value, Mapping):
        raise TypeError(f"filter 'items' expects a mapping, got {object_type_repr(value)}")
    return list(value.items())


@_register("dictsort")
def filter_dictsort(
    value: Mapping[Any, Any],
    case_sensitive: bool = False,
    by: str = "key",
    reverse: bool = False,
) -> list[tuple[Any, Any]]:
    """The mapping's ``(key, value)`` pairs sorted by key or by value."""
    if by == "key":
        position = 0
    elif by == "value":
        position = 1
    else:
        raise ValueError(f"filter 'dictsort': by must be 'key' or 'value', got {by!r}")

    def key(pair: tuple[Any, Any]) -> Any:
        part = pair[position]
        return part if case_sensitive else _fold_case(part)

    return sorted(value.items(), key=key, reverse=reverse)


@_register("batch")
def filter_batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> list[list[Any]]:
    """Rows of ``linecount`` items; the last row is padded with ``fill_with`` if given."""
    size = _positive_int("batch", "linecount", linecount)
    rows: list[list[Any]] = []
    row: list[Any] = []
    for item in value:
        if len(row) == size:
            rows.append(row)
            row = []
        row.append(item)
    if row:
        if fill_with is not None:
            row.extend([fill_with] * (size - len(row)))
        rows.append(row)
    return rows


@_register("slice")
def filter_slice(value: Iterable[Any], slices: int, fill_with: Any = None) -> list[list[Any]]:
    """``slices`` columns of (almost) equal length, the longer ones first.

    With ``fill_with``, the shorter columns are padded by one item.
    """
    count = _positive_int("slice", "slices", slices)
    items = list(value)
    per_slice, longer = divmod(len(items), count)
    columns = []
    start = 0
    for number in range(count):
        stop = start + per_slice + (1 if number < longer else 0)
        column = items[start:stop]
        if fill_with is not None and number >= longer:
            column.append(fill_with)
        columns.append(column)
        start = stop
    return columns


class _Group(NamedTuple):
    grouper: Any
    list: list[Any]

    # print like a plain tuple
    def __repr__(self) -> str:
        return tuple.__repr__(self)

    def __str__(self) -> str:
        return tuple.__repr__(self)


@_register("groupby")
def filter_groupby(
    value: Iterable[Any],
    attribute: Any,
    default: Any = None,
    case_sensitive: bool = False,
) -> list[_Group]:
    """``(grouper, list)`` pairs, one per distinct ``attribute`` value, in sorted order.

    Case-insensitive by default; a group's ``grouper`` is then the value as
    spelt by its first item.
    """
    key = _attribute_getter(attribute, fold_case=not case_sensitive, default=default)
    groups = [
        _Group(k, list(members)) for k, members in itertools.groupby(sorted(value, key=key), key)
    ]
    if not case_sensitive:
        spelt = _attribute_getter(attribute, default=default)
        groups = [_Group(spelt(members[0]), members) for _, members in groups]
    return groups


# --------------------------------------------------------------------------
# filters that apply other filters or tests: they receive the environment


def pass_environment(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a filter that takes the Environment first (so it can look up filters and tests by name)."""
    func.pass_environment = True  # type: ignore[attr-defined]
    return func


def _named(registry: Mapping[str, Any], kind: str, name: str, env: Any) -> Callable[..., Any]:
    try:
        func = registry[name]
    except KeyError:
        raise TypeError(f"no {kind} named {name!r}") from None
    if getattr(func, "pass_environment", False):
        return lambda *a, **k: func(env, *a, **k)
    return func


@_register("map")
@pass_environment
def filter_map(env: Any, value: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
    """``users|map(attribute='name')`` or ``names|map('upper')``."""
    if isinstance(value, Undefined):
        return []
    if not args and "attribute" in kwargs:
        default = kwargs.pop("default", None)
        get = _attribute_getter(kwargs.pop("attribute"), default=default)
        if kwargs:
            raise TypeError(f"filter 'map': unexpected keyword argument {next(iter(kwargs))!r}")
        return [get(item) for item in value]
    if not args:
        raise TypeError("filter 'map' needs a filter name or attribute=")
    func = _named(env.filters, "filter", args[0], env)
    return [func(item, *args[1:], **kwargs) for item in value]


def _select(env: Any, value: Iterable[Any], args: tuple, attribute: Any, keep: bool) -> list[Any]:
    if isinstance(value, Undefined):
        return []
    get = _attribute_getter(attribute) if attribute is not None else (lambda item: item)
    if args:
        test = _named(env.tests, "test", args[0], env)
        rest = args[1:]
        return [item for item in value if bool(test(get(item), *rest)) is keep]
    return [item for item in value if bool(get(item)) is keep]


@_register("select")
@pass_environment
def filter_select(env: Any, value: Iterable[Any], *args: Any) -> list[Any]:
    return _select(env, value, args, None, True)


@_register("reject")
@pass_environment
def filter_reject(env: Any, value: Iterable[Any], *args: Any) -> list[Any]:
    return _select(env, value, args, None, False)


@_register("selectattr")
@pass_environment
def filter_selectattr(env: Any, value: Iterable[Any], attribute: str, *args: Any) -> list[Any]:
    return _select(env, value, args, attribute, True)


@_register("rejectattr")
@pass_environment
def filter_rejectattr(env: Any, value: Iterable[Any], attribute: str, *args: Any) -> list[Any]:
    return _select(env, value, args, attribute, False)
