"""Form payloads: the URL-encoded ``value`` of ``type: "form"`` events (PROTOCOL.md §6.1).

``decode_form`` turns ``user%5Bname%5D=Jo&tags%5B%5D=a&tags%5B%5D=b`` into nested params with
Rack/Plug semantics; ``merge_meta`` folds the event's ``meta`` in and turns ``_target`` into a
path list, as Phoenix does (``channel.ex``: ``Map.merge(params, meta)`` then ``decode_merge_target``).

Rules (each one covered by ``tests/core/test_forms.py``):

- ``a=1`` → ``{"a": "1"}``; a repeated plain key keeps the **last** value (Plug).
- ``a[b]=1`` → ``{"a": {"b": "1"}}``; ``a[]=1&a[]=2`` → ``{"a": ["1", "2"]}``.
- ``a[][x]=1&a[][y]=2`` → ``[{"x": "1", "y": "2"}]``: segments after ``[]`` address a key in the
  list's last dict, and a new dict starts when that key is already present there
  (``a[][x]=1&a[][x]=2`` → ``[{"x": "1"}, {"x": "2"}]``). Paths that contain a further ``[]``
  never count as present, so ``a[][t][]=1&a[][t][]=2`` → ``[{"t": ["1", "2"]}]`` (Rack).
- Keys are split like ``Plug.Conn.Query``: only a key that ends in ``]`` and contains ``[`` is
  nested; it splits at the first ``[`` and then on ``][``. Anything else is a literal key:
  ``a[b`` → ``{"a[b": …}``, ``]`` → ``{"]": …}``, ``a]`` → ``{"a]": …}``, ``a[b]c]`` →
  ``{"a": {"b]c": …}}``, ``[a]`` → ``{"": {"a": …}}``.
- ``+`` is a space; ``%XX`` is UTF-8 (invalid UTF-8 → ``FormError``); a pair without ``=`` has the
  value ``""``; empty pairs (``&&``) and pairs with an empty key (``=x``) are skipped.
- A key used both as a scalar and as a nested map or list (``a=1&a[b]=2``, ``a[]=1&a[b]=2``) is a
  ``FormError`` naming the key, instead of Plug's silent drop.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

__all__ = ["FormError", "decode_form", "merge_meta"]


class FormError(ValueError):
    """A form payload that cannot be decoded (too many fields, too deep, conflicting keys)."""


def _unquote(text: str) -> str:
    """``application/x-www-form-urlencoded`` decoding (``+`` is a space); strict UTF-8."""
    if "%" not in text and "+" not in text:
        return text
    return unquote_plus(text, errors="strict")


def _split_key(key: str) -> list[str]:
    """``user[address][street]`` → ``["user", "address", "street"]`` (Plug's splitting rules)."""
    if key[-1:] == "]":
        i = key.find("[")
        if i != -1:
            return [key[:i], *key[i + 1 : -1].split("][")]
    return [key]


def _path(parts: list[str], upto: int) -> str:
    """The key as written in the form, for error messages: ``user[name]``, ``items[][x]``."""
    head = parts[0]
    return head + "".join(f"[{p}]" for p in parts[1:upto])


def _has_path(d: dict, segments: list[str]) -> bool:
    """Whether ``segments`` already holds a value in ``d`` (paths with ``[]`` never do; Rack)."""
    node: Any = d
    for seg in segments:
        if seg == "" or not isinstance(node, dict) or seg not in node:
            return False
        node = node[seg]
    return True


def _conflict(parts: list[str], upto: int, existing: Any, wanted: str) -> FormError:
    kind = "a list" if isinstance(existing, list) else "a map" if isinstance(existing, dict) else "a scalar"
    return FormError(f"form key {_path(parts, upto)!r} is used both as {kind} and as {wanted}")


def _assign(container: dict, parts: list[str], start: int, value: str) -> None:
    """Store ``value`` at ``parts[start:]`` inside ``container`` (``parts`` is the whole key)."""
    last = len(parts) - 1
    i = start
    while True:
        key = parts[i]
        if i == last:  # leaf: scalar, last one wins
            existing = container.get(key)
            if existing is not None and not isinstance(existing, str):
                raise _conflict(parts, i + 1, existing, "a scalar")
            container[key] = value
            return
        nxt = parts[i + 1]
        if nxt == "":  # key[] …: a list
            existing = container.get(key)
            if existing is None:
                existing = container[key] = []
            elif not isinstance(existing, list):
                raise _conflict(parts, i + 1, existing, "a list")
            if i + 1 == last:
                existing.append(value)
                return
            tail = parts[i + 2 :]
            target = existing[-1] if existing else None
            if not isinstance(target, dict) or _has_path(target, tail):
                target = {}
                existing.append(target)
            container, i = target, i + 2
            continue
        existing = container.get(key)  # key[sub] …: a map
        if existing is None:
            existing = container[key] = {}
        elif not isinstance(existing, dict):
            raise _conflict(parts, i + 1, existing, "a map")
        container, i = existing, i + 1


def decode_form(query: str, *, max_fields: int = 1000, max_depth: int = 32) -> dict[str, Any]:
    """Decode a URL-encoded form (``URLSearchParams`` text) into nested params.

    ``max_fields`` bounds the number of ``key=value`` pairs, ``max_depth`` the number of bracket
    segments in one key (``a[b][c]`` has depth 2); exceeding either raises ``FormError``.
    """
    result: dict[str, Any] = {}
    if not query:
        return result
    pairs = query.split("&")
    if len(pairs) > max_fields:
        # Empty segments (``&&``) do not count; only pay for filtering when it can matter.
        pairs = [p for p in pairs if p]
        if len(pairs) > max_fields:
            raise FormError(f"form has {len(pairs)} fields, more than the limit of {max_fields}")
    for pair in pairs:
        if not pair:
            continue
        raw_key, sep, raw_value = pair.partition("=")
        try:
            key = _unquote(raw_key)
            value = _unquote(raw_value) if sep else ""
        except UnicodeDecodeError as exc:
            raise FormError(f"form field {raw_key!r} is not valid UTF-8 after percent-decoding") from exc
        if not key:
            continue
        parts = _split_key(key)
        if len(parts) - 1 > max_depth:
            raise FormError(
                f"form key {key[:80]!r} nests {len(parts) - 1} levels deep, more than the limit of {max_depth}"
            )
        _assign(result, parts, 0, value)
    return result


def _gather_keys(node: Any, acc: list[str]) -> list[str]:
    """Phoenix's ``gather_keys``: follow the first key of each map (and a list of one map)."""
    while True:
        if isinstance(node, dict):
            if not node:
                return acc
            key = next(iter(node))
            acc.append(key)
            node = node[key]
        elif isinstance(node, list) and len(node) == 1 and isinstance(node[0], dict):
            node = node[0]
        else:
            return acc


def merge_meta(params: dict, meta: dict | None) -> dict:
    """Merge the event's ``meta`` into decoded form params; ``_target`` becomes a path list.

    As Phoenix: ``meta`` wins over same-named params (``Map.merge(params, meta)``) and a string
    ``_target`` is decoded like a form key and flattened: ``"user[name]"`` → ``["user", "name"]``,
    ``"tags[]"`` → ``["tags"]``, ``"items[0][name]"`` → ``["items", "0", "name"]``. A ``_target``
    that is already a list is kept. Returns a new dict; ``params`` is not modified.
    """
    merged = dict(params)
    if meta:
        merged.update(meta)
    target = merged.get("_target")
    if isinstance(target, str):
        try:
            path = _gather_keys(decode_form(target), [])
        except FormError:
            path = [target]
        merged["_target"] = path
    return merged
