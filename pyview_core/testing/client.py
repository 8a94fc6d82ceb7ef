"""An in-process Python model of what the LiveView 1.2 client does with our wire output.

:class:`ClientRendered` follows the merge and render rules of the official client's
``Rendered`` class (``phoenix_live_view`` 1.2.12, ``assets/js/phoenix_live_view/rendered.js``),
written from the protocol (PROTOCOL.md §4) and that behaviour, not translated from it:

* ``ClientRendered(join_payload)`` is the join, ``.merge(diff)`` one ``diff`` push or reply;
  both first take the top-level ``t``/``e``/``r`` off (``.title``, ``.events``, ``.reply``).
* ``"s"`` in a diff node replaces the whole subtree; otherwise keys merge one by one; keyed
  comprehensions (``k``/``kc``/``km``) apply per-entry diffs, moves ``j`` and ``[j, diff]``
  read from a copy of the comprehension taken before the merge, and drop entries at ``kc``
  and above; ``p`` template tables resolve ``"s": <int>``.
* Streams: rendering a comprehension that carries ``stream`` hands its rows and the operation
  to the "DOM", then forgets the rows (``k`` becomes ``{"kc": 0}``), as the client does.
  The DOM model keeps each stream container's children as an ordered list of
  ``(dom_id, html)`` and applies resets, deletes, inserts at ``at``, ``limit`` and
  ``updateOnly`` as ``dom_patch.ts`` does; tests/e2e/test_stream_client.py holds it to the
  real client in Chromium on random operation sequences.
* ``html()`` is the page as the DOM would hold it after the last merge (client-only
  ``data-phx-*`` marks left out; a stream container shows its current children);
  ``patch_html()`` is what the client rendered for the last patch (for a stream container: only
  the rows sent in that patch) -- the value ``tests/client/rendered_node.mjs`` reports.

* Components: ``"c"`` is merged as ``mergeDiff`` does (a component's ``"s"`` may borrow another's
  tree: ``+cid`` from the same diff, ``-cid`` from before it, deep-copied and merged with the new
  dynamics); an integer dynamic renders that component, whose root tag gets
  ``data-phx-component="<cid>"`` (it must carry ``"r": 1``). ``cids()`` are the components on the
  page; ``prune(cids)`` forgets components, as the client does after ``cids_destroyed``.

Not modelled: a stream nested inside the row of another stream (raises :class:`ValueError`).

Input the real client crashes on, or renders as garbage (``undefined``, ``null``, ``true``,
an integer taken for a component id, ``malformed html`` for ``"r": 1`` without a root tag,
a move without ``km``...), raises :class:`ValueError` naming the position in the tree.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["ClientRendered", "replay", "without_component_marks"]

_MISSING = object()
_STREAM_MARK = "__pyview_stream_ref__"  # our own mark on a comprehension that held a stream

# JavaScript's \s (the regexes below are the client's modifyRoot lookahead)
_JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ROOT_LOOKAHEAD = re.compile(rf"^([{_JS_WS}]*(?:<!--.*?-->[{_JS_WS}]*)*)<([^{_JS_WS}/>]+)")
_ROW_ID = re.compile(rf"^[{_JS_WS}]*(?:<!--.*?-->[{_JS_WS}]*)*<[^{_JS_WS}/>]+([^>]*)>", re.S)
_ID_ATTR = re.compile(r"""[\s]id=(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_INDEX_KEY = re.compile(r"^(0|[1-9][0-9]*)$")
_COMPONENT_MARK = re.compile(r' data-phx-component="[0-9]+"')
_COMPONENT_CID = re.compile(r' data-phx-component="([0-9]+)"')


def without_component_marks(html: str) -> str:
    """``html`` without the ``data-phx-component`` marks the client puts on component roots
    (what a server render of the same state gives)."""
    return _COMPONENT_MARK.sub("", html)


def _truthy(v: Any) -> bool:
    """JavaScript truthiness of a JSON value."""
    if v is None or v is False or v == "" or (isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0):
        return False
    if isinstance(v, float) and v != v:
        return False
    return True


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _num_key(v: int | float) -> str:
    """String(v) for a property lookup with a number."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _js_key_order(keys) -> list[str]:
    """Object.entries order: array-index keys ascending, then the rest in insertion order."""
    keys = list(keys)
    index = sorted((k for k in keys if _INDEX_KEY.match(k) and int(k) < 2**32 - 1), key=int)
    return index + [k for k in keys if not (_INDEX_KEY.match(k) and int(k) < 2**32 - 1)]


def _clone(v: Any, memo: dict | None = None) -> Any:
    """structuredClone of JSON-like data (shared references stay shared within the copy)."""
    if memo is None:
        memo = {}
    if isinstance(v, dict):
        got = memo.get(id(v))
        if got is None:
            got = memo[id(v)] = {}
            for k, x in v.items():
                got[k] = _clone(x, memo)
        return got
    if isinstance(v, list):
        got = memo.get(id(v))
        if got is None:
            got = memo[id(v)] = []
            got.extend(_clone(x, memo) for x in v)
        return got
    return v


def _wire(payload: Any) -> Any:
    """What the client receives: the payload through JSON (tuples become arrays, keys strings)."""
    try:
        return json.loads(json.dumps(payload, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a JSON payload: {exc}") from exc


class _Slot:
    """A stream container's place in the output: the rows this patch rendered into it, and for
    each row what it was rendered from (to render it again when a component in it changes)."""

    __slots__ = ("ref", "rows", "sources")

    def __init__(self, ref: str, rows: list[str], sources: list[tuple]) -> None:
        self.ref = ref
        self.rows = rows
        self.sources = sources


class _Out:
    __slots__ = ("parts", "streams", "in_row")

    def __init__(self, in_row: bool = False) -> None:
        self.parts: list[Any] = []
        self.streams: list[list] = []
        self.in_row = in_row


def _patch_text(parts) -> str:
    return "".join(p if isinstance(p, str) else "".join(p.rows) for p in parts)


class _Child:
    __slots__ = ("dom_id", "html", "ref", "source")

    def __init__(self, dom_id: str, html: str, ref: str | None, source: tuple = ()) -> None:
        self.dom_id = dom_id
        self.html = html
        self.ref = ref
        self.source = source  # (entry, statics, templates, path, cids in the row)


class ClientRendered:
    """The client's rendered tree for one view: join, merge diffs, read the HTML."""

    def __init__(self, rendered: dict, *, decoded: bool = False) -> None:
        """``decoded``: ``rendered`` was just decoded from a frame and nobody else holds it, so it
        is merged as it is; otherwise it goes through JSON first, as the wire would take it."""
        self.title: str | None = None
        self.events: list = []
        self.reply: Any = None
        self.streams: list[list] = []  # the stream operations the last render handed to the DOM
        self._dom: dict[str, list[_Child]] = {}  # stream ref -> children in DOM order
        self._parts: list[Any] = []
        self._html = ""
        self._patch_html = ""
        self._cids: list[int] = []
        self._tree: Any = {}
        self._merge_diff(self._extract(rendered, decoded))
        self._render()

    # -- public API ------------------------------------------------------------
    def merge(self, diff: dict, *, decoded: bool = False) -> None:
        """Apply one diff (a ``diff`` push or a reply's ``diff``), as the client does
        (``decoded``: as for the constructor)."""
        diff = self._extract(diff, decoded)
        self._merge_diff(diff)
        if diff:  # the client renders nothing for an empty diff
            only = diff["c"] if list(diff) == ["c"] and isinstance(diff["c"], dict) else None
            self._render({int(cid) for cid in only} if only is not None else None)

    def cids(self) -> list[int]:
        """The components on the page (the DOM's ``data-phx-component`` marks), in document order."""
        return [int(cid) for cid in _COMPONENT_CID.findall(self._html)]

    def prune(self, cids) -> None:
        """Forget these components (the client's ``pruneCIDs`` after a ``cids_destroyed`` reply)."""
        components = self._tree.get("c", {})
        for cid in cids:
            components.pop(_num_key(cid), None)

    def html(self) -> str:
        """The HTML the DOM holds now (stream containers show their current children)."""
        return self._html

    def patch_html(self) -> str:
        """What the client rendered for the last patch (stream containers: that patch's rows)."""
        return self._patch_html

    @property
    def tree(self) -> Any:
        """The merged tree (the client's ``rendered``; do not mutate)."""
        return self._tree

    # -- extract / merge ---------------------------------------------------------
    def _extract(self, payload: dict, decoded: bool = False) -> dict:
        if not isinstance(payload, dict):
            raise ValueError(f"a rendered payload or diff must be a JSON object, got {type(payload).__name__}")
        diff = payload if decoded else _wire(payload)
        title = diff.pop("t", None)
        events = diff.pop("e", None)
        reply = diff.pop("r", None)
        if title is not None and not isinstance(title, str):
            raise ValueError(f"top-level 't' must be a string, got {title!r}")
        if events is not None and not (
            isinstance(events, list) and all(isinstance(e, list) and len(e) in (2, 3) for e in events)
        ):
            raise ValueError(f"top-level 'e' must be a list of [event, payload(, true)], got {events!r}")
        if isinstance(title, str):
            self.title = title
        self.events = events or []
        self.reply = reply
        return diff

    def _merge_diff(self, diff: dict) -> None:
        """``Rendered.mergeDiff``: the view's tree, then the components under ``"c"``."""
        newc = diff.get("c")
        rest = {k: v for k, v in diff.items() if k != "c"}
        old_components = self._tree.get("c") if isinstance(self._tree, dict) else None
        self._tree = self._mutable_merge(self._tree, rest, "root") if rest or not self._tree else self._tree
        oldc = old_components if isinstance(old_components, dict) else {}
        self._tree["c"] = oldc
        if newc is None:
            return
        if not isinstance(newc, dict):
            raise ValueError(f"'c' must be an object of components by cid, got {newc!r}")
        cache: dict[str, Any] = {}
        resolved = {cid: self._find_component(cid, newc, oldc, cache, ()) for cid in newc}
        oldc.update(resolved)

    def _find_component(self, cid: str, newc: dict, oldc: dict, cache: dict, seen: tuple) -> Any:
        """``cachedFindComponent``: component ``cid`` of this diff, resolved to a whole tree."""
        if cid in cache:
            return cache[cid]
        if cid in seen:
            raise ValueError(f"c.{cid}: components borrow statics from each other in a cycle {seen + (cid,)}")
        cdiff = newc.get(cid)
        if not isinstance(cdiff, dict):
            raise ValueError(f"c.{cid}: a component must be an object, got {cdiff!r}")
        scid = cdiff.get("s")
        if _is_number(scid):
            if scid > 0:
                if _num_key(scid) not in newc:
                    raise ValueError(f"c.{cid}: \"s\": {scid} borrows from component {scid}, which this diff does not send")
                source = self._find_component(_num_key(scid), newc, oldc, cache, seen + (cid,))
            else:
                source = oldc.get(_num_key(-scid))
                if source is None:
                    raise ValueError(f"c.{cid}: \"s\": {scid} borrows from component {-scid}, which the client does not hold")
            merged = self._clone_merge(source, cdiff, True, f"c.{cid}")
            merged["s"] = source["s"]
        elif "s" in cdiff or cid not in oldc:
            if "s" not in cdiff:
                raise ValueError(f"c.{cid}: a component new to the client needs its statics (\"s\")")
            merged = cdiff
        else:
            merged = self._clone_merge(oldc[cid], cdiff, False, f"c.{cid}")
        cache[cid] = merged
        return merged

    def _clone_merge(self, target: Any, source: dict, prune: bool, path: str) -> Any:
        """``cloneMerge``: a copy of ``target`` with ``source`` merged in (``target`` unchanged)."""
        if not isinstance(target, dict):
            raise ValueError(f"{path}: cannot merge a diff into {target!r} (client: TypeError)")
        if _truthy(source.get("k")):
            merged = _clone(target)
            self._merge_keyed(merged, source, path)
            return merged
        merged = {**target, **source}
        for key in merged:
            val = source.get(key, _MISSING)
            target_val = target.get(key)
            if isinstance(val, dict) and "s" not in val and isinstance(target_val, dict):
                merged[key] = self._clone_merge(target_val, val, prune, f"{path}.{key}")
            elif val is _MISSING and isinstance(target_val, dict):
                merged[key] = self._clone_merge(target_val, {}, prune, f"{path}.{key}")
        return merged

    def _mutable_merge(self, target: Any, source: dict, path: str) -> Any:
        if "s" in source:
            return source
        self._do_mutable_merge(target, source, path)
        return target

    def _do_mutable_merge(self, target: Any, source: Any, path: str) -> None:
        if not isinstance(source, dict):
            raise ValueError(f"{path or 'root'}: a diff node must be an object, got {source!r}")
        if not isinstance(target, dict):
            raise ValueError(f"{path or 'root'}: cannot merge a diff into {target!r} (client: TypeError)")
        if _truthy(source.get("k")):
            self._merge_keyed(target, source, path)
            return
        for key, val in source.items():
            target_val = target.get(key)
            if isinstance(val, dict) and "s" not in val and isinstance(target_val, dict):
                self._do_mutable_merge(target_val, val, f"{path}.{key}")
            else:
                target[key] = val

    def _merge_keyed(self, target: dict, source: dict, path: str) -> None:
        sk = source["k"]
        tk = target.get("k")
        where = f"{path or 'root'}.k"
        if not isinstance(sk, dict):
            raise ValueError(f"{where}: 'k' must be an object, got {sk!r}")
        if not isinstance(tk, dict):
            raise ValueError(
                f"{where}: a keyed diff without 's' onto a node that is not a comprehension "
                "(client: TypeError)"
            )
        kc = sk.get("kc")
        if not (isinstance(kc, int) and not isinstance(kc, bool) and kc >= 0):
            raise ValueError(f"{where}: 'kc' must be the new entry count, got {kc!r}")
        cloned = _clone(target) if _truthy(sk.get("km")) else None
        for i in _js_key_order(sk):
            if i in ("kc", "km"):
                continue
            entry = sk[i]
            if isinstance(entry, list) or _is_number(entry):
                if isinstance(entry, list):
                    if len(entry) != 2 or not _is_number(entry[0]) or not isinstance(entry[1], dict):
                        raise ValueError(f"{where}.{i}: a move with a diff is [old_index, {{diff}}], got {entry!r}")
                    old, diff = entry
                else:
                    old, diff = entry, None
                if cloned is None:
                    raise ValueError(
                        f"{where}.{i}: move {entry!r} without \"km\": true -- the 1.2.12 client throws "
                        "TypeError: Cannot read properties of undefined (reading 'k')"
                    )
                moved = cloned["k"].get(_num_key(old), _MISSING)
                if moved is _MISSING or not isinstance(moved, dict):
                    raise ValueError(f"{where}.{i}: move from old position {old!r}, which did not exist")
                tk[i] = moved
                if diff is not None:
                    self._do_mutable_merge(moved, diff, f"{where}.{i}")
            elif isinstance(entry, dict):
                if not _truthy(tk.get(i)):
                    tk[i] = {}
                self._do_mutable_merge(tk[i], entry, f"{where}.{i}")
            else:
                raise ValueError(f"{where}.{i}: an entry must be an object, an old index or [old, diff], got {entry!r}")
        old_kc = tk.get("kc")
        if isinstance(old_kc, int) and kc < old_kc:
            for i in range(kc, old_kc):
                tk.pop(str(i), None)
        tk["kc"] = kc
        if _truthy(source.get("stream")):
            target["stream"] = source["stream"]
        if _truthy(source.get("p")):
            target["p"] = source["p"]

    # -- render --------------------------------------------------------------------
    def _render(self, patched_components: set[int] | None = None) -> None:
        """Render the merged tree into the DOM model. ``patched_components``: the diff was
        component-only, and the client patches those components wherever they are in the DOM,
        including inside stream rows it keeps (a full render only reaches what the tree holds)."""
        out = _Out()
        self._cids = []
        self._rendering: list[str] = []
        self._to_buffer(self._tree, None, out, "root")
        self.streams = out.streams
        self._parts = out.parts
        self._patch_html = _patch_text(out.parts)
        self._apply_streams(out)
        if patched_components:
            self._patch_stream_rows(patched_components)
        self._html = "".join(
            p if isinstance(p, str) else "".join(c.html for c in self._dom.get(p.ref, ())) for p in out.parts
        )

    @staticmethod
    def _statics(part: Any, templates: Any, path: str) -> list[str]:
        if _is_number(part):
            if not isinstance(templates, dict):
                raise ValueError(f"{path}: 's': {part!r} refers to a template table ('p') that is not there")
            part = templates.get(_num_key(part))
        if not isinstance(part, list) or not part or not all(isinstance(s, str) for s in part):
            raise ValueError(f"{path}: statics must be a non-empty array of strings, got {part!r}")
        return part

    def _to_buffer(self, node: Any, templates: Any, out: _Out, path: str) -> None:
        if _truthy(node.get("k")):
            self._comprehension(node, templates, out, path)
            return
        if _truthy(node.get("p")):
            templates = node.pop("p")
        statics = self._statics(node.get("s"), templates, path)
        node["s"] = statics
        start = len(out.parts)
        self._dynamics(node, statics, templates, out, path)
        if _truthy(node.get("r")):
            text = _patch_text(out.parts[start:])
            if _ROOT_LOOKAHEAD.match(text) is None:
                raise ValueError(f"{path}: \"r\": 1 on HTML that does not start with a tag: the client throws 'malformed html {text[:60]}'")

    def _dynamics(self, node: Any, statics: list[str], templates: Any, out: _Out, path: str) -> None:
        parts = out.parts
        last = len(statics) - 1
        for i in range(last):
            parts.append(statics[i])
            v = node.get(str(i), _MISSING)
            if isinstance(v, str):
                parts.append(v)
            elif isinstance(v, dict):
                self._to_buffer(v, templates, out, f"{path}.{i}")
            elif _is_number(v) and _num_key(v) in self._tree.get("c", {}):
                self._component(_num_key(v), out, f"{path}.{i}")
            else:
                self._bad_dynamic(v, f"{path}.{i}")
        parts.append(statics[last])

    def _component(self, cid: str, out: _Out, path: str) -> None:
        """``recursiveCIDToString``: the component's tree, its root tag marked with its cid."""
        if cid in self._rendering:
            raise ValueError(f"{path}: component {cid} renders itself (cids {self._rendering + [cid]})")
        node = self._tree["c"][cid]
        if not _truthy(node.get("r")):
            raise ValueError(
                f"c.{cid}: a component without \"r\": 1 -- the client does not stamp data-phx-component on it, "
                "so phx-target and component patches cannot find it"
            )
        self._cids.append(int(cid))
        self._rendering.append(cid)
        start = len(out.parts)
        self._to_buffer(node, None, out, f"c.{cid}")
        self._rendering.pop()
        # Stamp the root tag (the first static of the component's output, which "r" says is a tag).
        for j in range(start, len(out.parts)):
            part = out.parts[j]
            if isinstance(part, str) and part.strip():
                m = _ROOT_LOOKAHEAD.match(part)
                if m is not None:
                    out.parts[j] = part[: m.end()] + f' data-phx-component="{cid}"' + part[m.end():]
                break

    def _patch_stream_rows(self, cids: set[int]) -> None:
        """Render again the kept stream rows that hold one of ``cids`` (``componentPatch``)."""
        for container in self._dom.values():
            for child in container:
                if not child.source or not cids.intersection(child.source[4]):
                    continue
                entry, statics, templates, path, _ = child.source
                row = _Out(in_row=True)
                self._dynamics(entry, statics, templates, row, path)
                child.html = _patch_text(row.parts)

    @staticmethod
    def _bad_dynamic(v: Any, path: str) -> None:
        if v is _MISSING:
            raise ValueError(f"{path}: dynamic missing: the client renders the text 'undefined'")
        if v is None or isinstance(v, bool):
            raise ValueError(f"{path}: {json.dumps(v)} where text is expected: the client renders the word '{json.dumps(v)}'")
        if _is_number(v):
            raise ValueError(
                f"{path}: the number {v!r} where text is expected: the client renders it as the component "
                f"with cid {v!r} (and throws 'Cannot continue render due to missing component' when it has "
                f"none); text must be sent as the string \"{v!r}\" (components are not modelled by this port)"
            )
        raise ValueError(f"{path}: {v!r} is not a valid dynamic (string or object)")

    def _comprehension(self, node: dict, templates: Any, out: _Out, path: str) -> None:
        keyed_templates = templates if templates is not None else node.get("p")
        statics = self._statics(node.get("s"), templates, path)
        node["s"] = statics
        node.pop("p", None)
        k = node["k"]
        if not isinstance(k, dict):
            raise ValueError(f"{path}.k must be an object, got {k!r}")
        kc = k.get("kc")
        if not (isinstance(kc, int) and not isinstance(kc, bool) and kc >= 0):
            raise ValueError(f"{path}.k: 'kc' must be the entry count, got {kc!r}")
        stream = node.get("stream")
        if _truthy(stream):
            if not (
                isinstance(stream, list)
                and len(stream) in (3, 4)
                and isinstance(stream[0], str)
                and isinstance(stream[1], list)
                and isinstance(stream[2], list)
            ):
                raise ValueError(f"{path}.stream must be [ref, inserts, deleteIds(, reset)], got {stream!r}")
            node[_STREAM_MARK] = stream[0]
        ref = node.get(_STREAM_MARK)
        if ref is not None and out.in_row:
            raise ValueError(f"{path}: a stream inside a stream row is not modelled by the Python port")
        target = _Out(in_row=True) if ref is not None else out
        rows: list[str] = []
        sources: list[tuple] = []
        for i in range(kc):
            entry = k.get(str(i), _MISSING)
            epath = f"{path}.k.{i}"
            if not isinstance(entry, dict):
                if len(statics) > 1 or entry is not _MISSING:
                    raise ValueError(f"{epath}: entry missing or not an object ({'absent' if entry is _MISSING else entry!r}) for kc={kc}")
                entry = {}
            if ref is None:
                self._dynamics(entry, statics, keyed_templates, out, epath)
            else:
                target.parts = []
                first_cid = len(self._cids)
                self._dynamics(entry, statics, keyed_templates, target, epath)
                rows.append(_patch_text(target.parts))
                sources.append((entry, statics, keyed_templates, epath, set(self._cids[first_cid:])))
        if ref is not None:
            out.streams.extend(target.streams)
            out.parts.append(_Slot(ref, rows, sources))
        if _truthy(stream):
            delete_ids = stream[2]
            reset = stream[3] if len(stream) > 3 else None
            if kc > 0 or len(delete_ids) > 0 or _truthy(reset):
                del node["stream"]
                node["k"] = {"kc": 0}
                out.streams.append(stream)

    # -- the DOM's side of streams (dom_patch.ts) -------------------------------------
    def _apply_streams(self, out: _Out) -> None:
        inserts: dict[str, dict] = {}
        restored: set[str] = set()
        dom = self._dom

        def remove(child: _Child, container: list[_Child]) -> None:
            container.remove(child)
            if child.dom_id in inserts:
                restored.add(child.dom_id)

        for op in out.streams:
            ref, ins, deletes = op[0], op[1], op[2]
            has_reset = len(op) > 3
            for item in ins:
                if not (isinstance(item, list) and len(item) == 4 and isinstance(item[0], str)):
                    raise ValueError(f"stream {ref!r}: an insert is [dom_id, at, limit, update_only], got {item!r}")
                dom_id, at, limit, update_only = item
                if not (isinstance(at, int) and not isinstance(at, bool) and at >= -1):
                    raise ValueError(f"stream {ref!r}: insert {dom_id!r}: 'at' must be -1, 0 or a positive index, got {at!r}")
                if not (limit is None or (isinstance(limit, int) and not isinstance(limit, bool))):
                    raise ValueError(f"stream {ref!r}: insert {dom_id!r}: 'limit' must be null or an integer, got {limit!r}")
                inserts[dom_id] = {"ref": ref, "at": at, "limit": limit, "reset": op[3] if has_reset else None,
                                   "update_only": update_only}
            if has_reset:
                for container in dom.values():
                    for child in [c for c in container if c.ref == ref]:
                        remove(child, container)
            for dom_id in deletes:
                for container in dom.values():
                    for child in [c for c in container if c.dom_id == dom_id]:
                        remove(child, container)

        # morphdom indexes the page's elements by id once, after the resets and deletes: a row whose
        # id was on the page then morphs that element, even if a limit has removed it since (the
        # update then shows nowhere: the item stays removed).
        on_page_before_rows = {c.dom_id for container in dom.values() for c in container}
        seen: set[str] = set()
        for part in out.parts:
            if isinstance(part, str):
                continue
            seen.add(part.ref)
            container = dom.setdefault(part.ref, [])
            for row, source in zip(part.rows, part.sources):
                dom_id = self._row_id(row, part.ref)
                ins = inserts.get(dom_id)
                existing = next((c for c in container if c.dom_id == dom_id), None)
                if existing is not None:
                    existing.html = row
                    existing.source = source
                    if ins is not None:
                        existing.ref = ins["ref"]
                        if _truthy(ins["reset"]):
                            self._reorder(existing, ins, container, remove)
                    continue
                if dom_id in on_page_before_rows:
                    continue  # removed by a limit during this patch: the row morphs the detached element
                if ins is not None and _truthy(ins["update_only"]) and dom_id not in restored:
                    continue
                child = _Child(dom_id, row, ins["ref"] if ins is not None else None, source)
                if ins is None or ins["at"] == -1:
                    container.append(child)
                elif ins["at"] == 0:
                    container.insert(0, child)
                else:
                    container.insert(min(ins["at"], len(container)), child)
                if ins is not None:
                    self._reorder(child, ins, container, remove)
        for ref in list(dom):
            if ref not in seen:
                del dom[ref]  # the container left the page, and its children with it

    @staticmethod
    def _reorder(el: _Child, ins: dict, container: list[_Child], remove) -> None:
        at = ins["at"]
        if el not in container:
            return
        if at == 0:
            container.remove(el)
            container.insert(0, el)
        elif at > 0:
            old = container.index(el)
            if at >= len(container) - 1:
                container.remove(el)
                container.append(el)
            else:
                sibling = container[at]
                if sibling is not el:
                    container.remove(el)
                    idx = container.index(sibling)
                    container.insert(idx if old > at else idx + 1, el)
        limit = ins["limit"]
        if limit is not None:
            n = len(container)
            if limit < 0 and n > -limit:
                for child in container[: n + limit]:
                    remove(child, container)
            elif limit >= 0 and n > limit:
                for child in container[limit:]:
                    remove(child, container)

    @staticmethod
    def _row_id(row: str, ref: str) -> str:
        m = _ROW_ID.match(row)
        found = _ID_ATTR.search(" " + m.group(1)) if m else None
        if found is None:
            raise ValueError(f"stream {ref!r}: a row must be one element with an id attribute, got {row[:80]!r}")
        return next(g for g in found.groups() if g is not None)


def replay(join: dict, diffs=()) -> list[str]:
    """``html()`` after the join and after each diff."""
    c = ClientRendered(join)
    out = [c.html()]
    for d in diffs:
        c.merge(d)
        out.append(c.html())
    return out
