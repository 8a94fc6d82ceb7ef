"""Diff benchmark: the full cost of a LiveView event, ours vs pyview-web 0.9.0.

Run from the repository root::

    python benchmarks/diff.py                  # full run (~0.2 s per measurement, best of 5)
    python benchmarks/diff.py --quick          # smoke run
    python benchmarks/diff.py --json results.json
    python benchmarks/diff.py --only cell      # only scenarios whose name matches
    python benchmarks/diff.py --profile cell-1000   # cProfile our side of one scenario

An *event* is what a connected LiveView does after every event or info message once
the state has changed: build the new statics/dynamics tree, diff it against what the
client already holds, and encode the diff as JSON for the reply frame.

* ours:       ``Template.tree(ctx)`` (pyview_templates) + ``Differ.diff_json(tree)``
              (pyview_core.diff: diff + orjson encoding in one call; when the Differ has
              no ``diff_json``, ``orjson.dumps(Differ.diff(tree))``);
* pyview-web: ``pyview.vendor.ibis.Template.tree(ctx)`` + ``calc_diff(prev, new)`` (the
              previous tree is kept and replaced as ``LiveViewSocket.diff`` does) +
              ``json.dumps(diff)`` (as ``ws_handler`` does for the reply frame).

Both engines run in this one process, on the same context objects. Every timed event
starts from the same state: an untimed setup puts each side back to the base render
before each call (ours: an untimed diff back to the base tree; pyview-web: the base
tree as the previous render). Ratios are pyview-web time / our time (above 1 means we
are faster) and pyview-web bytes / our bytes. Targets are printed with PASS/MISS; they
never change the exit status (always 0). Before anything is timed the script checks
that both engines render the same HTML and that each engine's join + diff, merged by a
Python port of the LiveView client's ``Rendered.mergeDiff``, yields the new page.
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib
import io
import json
import re
import sys
import tracemalloc
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATES = HERE / "templates"

sys.path.insert(0, str(HERE))
# Prefer the checkout's packages over anything installed elsewhere.
sys.path.insert(1, str(ROOT))

import _bench_util as bu  # noqa: E402

TARGET_SPEED = {1000: 10.0, 10: 3.0}  # full event cost: ours >= Nx faster than pyview-web
TARGET_CELL_BYTES = 100  # one changed cell in 1000 rows: at most this many bytes of JSON
TARGET_NOOP_PCT = 20.0  # nothing-changed diff: at most this % of a tree() render
TARGET_MEM_RATIO = 1.0  # Differ state / pyview-web's retained previous tree
MEMORY_ROWS = 1000

DEFAULT_DIFFER = "pyview_core.diff:Differ"


# --- contexts -----------------------------------------------------------------------------------

_FIRST = ["Ada", "Grace", "Linus", "Margaret", "Guido", "Barbara", "Ken", "Frances", "Dennis", "Radia"]
_LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "van Rossum", "Liskov", "Thompson", "Allen"]
_ROLES = ["Viewer", "Editor", "Owner", "Billing manager"]


def make_row(i: int) -> dict[str, Any]:
    """One table row (a plain dict); every 6th name needs escaping (&, <, ', ")."""
    first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 7) % len(_LAST)]
    name = f"{first} {last}"
    if i % 6 == 5:
        name = f"{first} O'{last} & <Sons> \"Ltd\""
    return {
        "id": 1000 + i,
        "name": name,
        "email": f"{first.lower()}.{last.lower().replace(' ', '')}{i}@example.com",
        "role": _ROLES[i % len(_ROLES)],
        "balance": f"{((i * 7919) % 1_000_000) / 100 - 1500.0:,.2f}",
        "admin": i % 7 == 0,
        "active": i % 3 != 0,
    }


def table_context(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"title": "Accounts", "rows": rows}


def dashboard_context(show_stats: bool) -> dict[str, Any]:
    return {
        "title": "Dashboard",
        "user": {"name": "Ada Lovelace", "unread": 3},
        "show_stats": show_stats,
        "period": "this week",
        "updated": "2 min ago",
        "footer": "pyview benchmark \u00b7 build 1.4.2",
        "cards": [
            {"kind": "money", "title": "Revenue", "value": "$48,210", "delta": "+12%", "up": True},
            {"kind": "count", "title": "Orders", "value": "1,024", "delta": "-3%", "up": False},
            {"kind": "count", "title": "New customers", "value": "87", "delta": "0%", "up": True},
            {"kind": "money", "title": "Refunds & <chargebacks>", "value": "$312", "delta": "+5%", "up": False},
        ],
        "activity": [
            {
                "when": f"{i * 7 % 60} min ago",
                "actor": _FIRST[i % len(_FIRST)],
                "action": ["created", "updated", "refunded", "shipped"][i % 4],
                "target": f"order #{5000 + i}",
                "url": f"/orders/{5000 + i}?tab=details&ref=dash",
                "failed": i % 9 == 4,
                "pending": i % 5 == 2,
            }
            for i in range(12)
        ],
    }


# --- scenarios ----------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    description: str
    ours_template: str  # file under benchmarks/templates
    peer_template: str
    base: dict[str, Any]
    next: dict[str, Any]
    rows: int | None
    # Plausibility check of our decoded diff: returns a problem description or None.
    plausible: Callable[[Any, bytes], str | None] | None = None

    @property
    def target(self) -> float | None:
        return TARGET_SPEED.get(self.rows) if self.rows else None


def _contains(diff_bytes: bytes, text: str) -> bool:
    # Our JSON is orjson's (UTF-8, no \u escapes, "/" not escaped), so the HTML text of a cell
    # appears verbatim unless it contains a quote or a backslash.
    return json.dumps(text, ensure_ascii=False)[1:-1].encode() in diff_bytes


def make_scenarios() -> list[Scenario]:
    out: list[Scenario] = []

    for n in (10, 100, 1000):
        rows = [make_row(i) for i in range(n)]
        changed = dict(rows[n // 2])
        old_balance, changed["balance"] = changed["balance"], "-42.00"
        next_rows = list(rows)
        next_rows[n // 2] = changed

        def cell_check(diff: Any, raw: bytes, old=old_balance, row=changed) -> str | None:
            if not _contains(raw, "-42.00"):
                return "the diff does not contain the new cell text '-42.00'"
            for unchanged in (old, row["email"], "Accounts"):
                if _contains(raw, unchanged):
                    return f"the diff contains unchanged text {unchanged!r}"
            if b'"s"' in raw:
                return "the diff sends statics although no fingerprint changed"
            return None

        out.append(
            Scenario(
                f"cell-{n}",
                f"one cell (the balance of row {n // 2}) changes in a {n}-row table",
                "diff_table.html", "diff_table.html",
                table_context(rows), table_context(next_rows), n, cell_check,
            )
        )

    n = 1000
    rows = [make_row(i) for i in range(n)]
    new_row = make_row(n)
    new_row["email"] = "appended.row@example.com"

    def added_check(diff: Any, raw: bytes) -> str | None:
        # The new row carries its if-branches' statics (positions new to the client), so "s"
        # is expected here; what must not happen is resending the existing rows.
        if not _contains(raw, "appended.row@example.com"):
            return "the diff does not contain the new row"
        return None

    def append_check(diff: Any, raw: bytes) -> str | None:
        problem = added_check(diff, raw)
        if problem is None and _contains(raw, rows[500]["email"]):
            problem = "the diff resends unchanged rows (found row 500's email)"
        return problem

    out.append(
        Scenario(
            "append-1000", "a row is appended to a 1000-row table",
            "diff_table.html", "diff_table.html",
            table_context(rows), table_context(rows + [new_row]), n, append_check,
        )
    )
    first_row = make_row(n)
    first_row["id"] = 999  # ids stay unique: the existing rows have 1000..1999
    first_row["email"] = "appended.row@example.com"
    out.append(
        Scenario(
            "prepend-1000", "a row is inserted at the top of a 1000-row table (unkeyed loop)",
            "diff_table.html", "diff_table.html",
            table_context(rows), table_context([first_row] + rows), n, added_check,
        )
    )

    def keyed_check(diff: Any, raw: bytes) -> str | None:
        problem = added_check(diff, raw)
        if problem:
            return problem
        # Keyed: the 1000 existing rows move unchanged, so their text must not be resent.
        if _contains(raw, rows[500]["email"]):
            return "the keyed diff resends unchanged rows (found row 500's email)"
        return None

    out.append(
        Scenario(
            "prepend-keyed-1000",
            "a row is inserted at the top of a 1000-row table, ours with "
            "`{% for row in rows key row.id %}` (pyview-web has no keys: unkeyed template)",
            "diff_table_keyed.html", "diff_table.html",
            table_context(rows), table_context([first_row] + rows), n, keyed_check,
        )
    )

    def switch_check(diff: Any, raw: bytes) -> str | None:
        if not _contains(raw, "Recent activity (") or b'"s"' not in raw:
            return "the diff does not carry the new branch's statics"
        if _contains(raw, "Key figures for "):
            return "the diff carries the old branch's statics"
        if _contains(raw, "Dashboard"):
            return "the diff contains the unchanged title"
        return None

    out.append(
        Scenario(
            "if-switch", "dashboard: a flag flips `{% if show_stats %}` from a stats-card branch "
            "to an activity-feed branch (and the button label `if` with it)",
            "diff_dashboard.html", "diff_dashboard.html",
            dashboard_context(True), dashboard_context(False), None, switch_check,
        )
    )

    def noop_check(diff: Any, raw: bytes) -> str | None:
        return None if diff == {} else f"expected {{}}, got {raw[:200]!r}"

    ctx = table_context(rows)
    out.append(
        Scenario(
            "noop-1000", "nothing changed: a 1000-row table is re-rendered with the same context",
            "diff_table.html", "diff_table.html", ctx, ctx, n, noop_check,
        )
    )
    return out


# --- a Python port of the client's Rendered.mergeDiff / toString --------------------------------


class ClientError(Exception):
    pass


def client_merge(target: Any, source: dict[str, Any]) -> Any:
    """``Rendered.mutableMerge``: the new client-side tree after merging ``source``."""
    if "s" in source:
        return source
    _merge_into(target, source)
    return target


def _merge_into(target: dict[str, Any], source: dict[str, Any]) -> None:
    if "k" in source:
        _merge_keyed(target, source)
        return
    for key, val in source.items():
        tval = target.get(key)
        if isinstance(val, dict) and "s" not in val and isinstance(tval, dict):
            _merge_into(tval, val)
        else:
            target[key] = val


def _merge_keyed(target: dict[str, Any], source: dict[str, Any]) -> None:
    sk = source["k"]
    if "k" not in target:
        raise ClientError("keyed diff merged onto a node that is not a keyed comprehension")
    tk = target["k"]
    cloned = copy.deepcopy(target) if sk.get("km") else None
    for i, entry in sk.items():
        if i in ("kc", "km"):
            continue
        if isinstance(entry, list):
            if cloned is None:
                raise ClientError("a move without km (the 1.2.12 client throws a TypeError)")
            old, d = entry
            tk[i] = cloned["k"][str(old)]
            _merge_into(tk[i], d)
        elif isinstance(entry, int):
            if cloned is None:
                raise ClientError("a move without km (the 1.2.12 client throws a TypeError)")
            tk[i] = cloned["k"][str(entry)]
        elif isinstance(entry, dict):
            _merge_into(tk.setdefault(i, {}), entry)
        else:
            raise ClientError(f"bad keyed entry {entry!r}")
    if sk["kc"] < tk.get("kc", 0):
        for i in range(sk["kc"], tk["kc"]):
            tk.pop(str(i), None)
    tk["kc"] = sk["kc"]
    for extra in ("stream", "p"):
        if extra in source:
            target[extra] = source[extra]


def client_html(rendered: Any, templates: dict[str, Any] | None = None) -> str:
    """``Rendered.toString`` without the DOM annotations (data-phx-id, skip placeholders)."""
    if isinstance(rendered, str):
        return rendered
    if isinstance(rendered, bool) or not isinstance(rendered, dict):
        raise ClientError(f"dynamic of type {type(rendered).__name__} ({rendered!r:.40}) renders "
                          "as a component id or as literal text")
    if "k" in rendered:
        keyed_templates = templates or rendered.get("p")
        statics = _statics(rendered["s"], templates)
        k = rendered["k"]
        return "".join(_interleave(statics, k[str(i)], keyed_templates) for i in range(k["kc"]))
    if "d" in rendered:  # the pre-1.1 comprehension format pyview-web sends
        statics = _statics(rendered["s"], templates)
        return "".join(
            _interleave(statics, {str(j): v for j, v in enumerate(entry)}, templates)
            for entry in rendered["d"]
        )
    if "p" in rendered:
        templates = rendered["p"]
    statics = _statics(rendered["s"], templates)
    return _interleave(statics, rendered, templates)


def _statics(s: Any, templates: dict[str, Any] | None) -> list[str]:
    if isinstance(s, int):
        if not templates or str(s) not in templates:
            raise ClientError(f"statics index {s} without a matching 'p' table")
        return templates[str(s)]
    if not isinstance(s, list):
        raise ClientError(f"bad statics {s!r:.60}")
    return s


def _interleave(statics: list[str], node: dict[str, Any], templates: dict[str, Any] | None) -> str:
    out = [statics[0]]
    for i in range(len(statics) - 1):
        key = str(i)
        if key not in node:
            raise ClientError(f"dynamic {key} is missing (the client renders 'undefined')")
        out.append(client_html(node[key], templates))
        out.append(statics[i + 1])
    return "".join(out)


# --- engines ------------------------------------------------------------------------------------


def read(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


class Peer:
    """pyview-web 0.9.0, driven the way its LiveViewSocket / ws_handler drive it."""

    def __init__(self) -> None:
        from importlib import metadata

        from pyview.template.render_diff import calc_diff
        from pyview.vendor.ibis import Template

        self.Template = Template
        self.calc_diff = calc_diff
        self.label = f"pyview-web {metadata.version('pyview-web')}"

    def compile(self, name: str):
        return self.Template(read(name))


class PeerSocket:
    """The diff state of pyview-web's ``LiveViewSocket``: the previous rendered tree."""

    __slots__ = ("prev_rendered", "calc_diff")

    def __init__(self, calc_diff) -> None:
        self.prev_rendered: dict[str, Any] | None = None
        self.calc_diff = calc_diff

    def diff(self, render: dict[str, Any]) -> dict[str, Any]:
        # Verbatim logic of pyview.live_socket.LiveViewSocket.diff.
        if self.prev_rendered:
            diff = self.calc_diff(self.prev_rendered, render)
        else:
            diff = render
        self.prev_rendered = render
        return diff


class Ours:
    def __init__(self, differ_spec: str) -> None:
        import orjson
        import pyview_templates as pt

        modname, _, attr = differ_spec.partition(":")
        self.Differ = getattr(importlib.import_module(modname), attr or "Differ")
        self.differ_spec = differ_spec
        self.pt = pt
        self.orjson = orjson
        self.has_diff_json = callable(getattr(self.Differ, "diff_json", None))
        self.label = "ours"

    def compile(self, name: str):
        return self.pt.Template(read(name))

    def encoder(self) -> Callable[[Any, Any], bytes]:
        """diff + encode, as one named function (so that profiles show it apart from tree())."""
        if self.has_diff_json:

            def differ_diff_json(differ: Any, tree: Any) -> bytes:
                return differ.diff_json(tree)

            return differ_diff_json
        dumps = self.orjson.dumps

        def differ_diff_then_orjson(differ: Any, tree: Any) -> bytes:
            return dumps(differ.diff(tree))

        return differ_diff_then_orjson


def load_ours(differ_spec: str) -> tuple[Ours | None, str | None]:
    try:
        ours = Ours(differ_spec)
        probe = ours.pt.Template("<p>{{ x }}</p>")
        d = ours.Differ()
        d.join(probe.tree({"x": 1}))
        if d.diff(probe.tree({"x": 1})) != {}:
            return None, f"{differ_spec}: probe diff of an unchanged tree is not {{}}"
        return ours, None
    except Exception as err:  # noqa: BLE001 - report and carry on with the peer
        return None, f"{differ_spec} unavailable: {type(err).__name__}: {err}"


# --- results ------------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    description: str
    rows: int | None
    ours_us: float | None = None
    peer_us: float | None = None
    ours_bytes: int | None = None
    peer_bytes: int | None = None
    peer_bytes_compact: int | None = None
    target: float | None = None
    error: str | None = None
    ours_missing: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def speed_ratio(self) -> float | None:
        if not self.ours_us or not self.peer_us:
            return None
        return self.peer_us / self.ours_us

    @property
    def bytes_ratio(self) -> float | None:
        if not self.ours_bytes or self.peer_bytes is None:
            return None
        return self.peer_bytes / self.ours_bytes

    @property
    def status(self) -> str:
        if self.error:
            return "ERROR"
        if self.ours_missing:
            return "n/a"
        if self.target is None or self.speed_ratio is None:
            return "info"
        return "PASS" if self.speed_ratio >= self.target else "MISS"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(speed_ratio=self.speed_ratio, bytes_ratio=self.bytes_ratio, status=self.status)
        d["ours_diffs_per_s"] = 1e6 / self.ours_us if self.ours_us else None
        d["peer_diffs_per_s"] = 1e6 / self.peer_us if self.peer_us else None
        return d


def _rate(us: float | None) -> str:
    if not us:
        return "—"
    return f"{1e6 / us:,.0f}"


def _int(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}×"


def format_rows(rows: list[Row]) -> str:
    header = [
        "scenario", "ours µs", "ours diffs/s", "peer µs", "peer diffs/s", "speed",
        "ours B", "peer B", "bytes", "target", "result",
    ]
    body = [
        [
            r.scenario, bu._fmt_us(r.ours_us), _rate(r.ours_us), bu._fmt_us(r.peer_us),
            _rate(r.peer_us), _x(r.speed_ratio), _int(r.ours_bytes), _int(r.peer_bytes),
            _x(r.bytes_ratio), "—" if r.target is None else f"≥{r.target:g}×", r.status,
        ]
        for r in rows
    ]
    return bu.markdown_table(header, body, numeric={1, 2, 3, 4, 5, 6, 7, 8})


# --- verification -------------------------------------------------------------------------------


def _wire(obj: Any) -> Any:
    """What the browser gets: a JSON round trip (also a private copy the merge may mutate)."""
    return json.loads(json.dumps(obj))


class Checker:
    def __init__(self, ours: Ours | None, peer: Peer) -> None:
        self.ours, self.peer = ours, peer
        self.warnings: list[str] = []

    def warn(self, row: Row, msg: str) -> None:
        msg = f"{row.scenario}: {msg}"
        row.warnings.append(msg)
        self.warnings.append(msg)
        print(f"WARNING: {msg}", file=sys.stderr)

    def check(self, sc: Scenario, row: Row, ours_t, peer_t) -> bool:
        """Verify both engines on one scenario, record the bytes of each diff. Returns False
        when the scenario must not be timed (the engines do not render the same page)."""
        # Both engines render the same rows (up to whitespace: Ibis keeps the file's final newline).
        peer_html = {k: peer_t.render(c) for k, c in (("base", sc.base), ("next", sc.next))}
        if self.ours is not None and ours_t is not None:
            for k, c in (("base", sc.base), ("next", sc.next)):
                ours_html = ours_t.render(c)
                if bu.normalize_ws(ours_html) != bu.normalize_ws(peer_html[k]):
                    row.error = f"the engines render different HTML ({k} context)"
                    self.warn(row, row.error + "; " + bu.first_difference(
                        bu.normalize_ws(ours_html), bu.normalize_ws(peer_html[k])))
                    return False

        # pyview-web: its trees join to its HTML; its diff merged onto its join gives the new page.
        sock = PeerSocket(self.peer.calc_diff)
        base_tree = peer_t.tree(sc.base)
        if bu.join_phoenix(base_tree) != peer_html["base"]:
            self.warn(row, "pyview-web's tree does not join to its own render() output")
        sock.diff(base_tree)
        pdiff = sock.diff(peer_t.tree(sc.next))
        encoded = json.dumps(pdiff)
        row.peer_bytes = len(encoded.encode())
        row.peer_bytes_compact = len(json.dumps(pdiff, separators=(",", ":"), ensure_ascii=False).encode())
        try:
            merged = client_merge(_wire(base_tree), json.loads(encoded))
            got = client_html(merged)
            if got != peer_html["next"]:
                self.warn(row, "pyview-web's diff merged onto its previous render does not give its new "
                          "page (the client would show a wrong page); " + bu.first_difference(got, peer_html["next"]))
        except ClientError as err:
            self.warn(row, f"pyview-web's diff cannot be merged by the client: {err}")

        if self.ours is None or ours_t is None:
            return True
        return self.check_ours(sc, row, ours_t)

    def check_ours(self, sc: Scenario, row: Row, ours_t) -> bool:
        orjson = self.ours.orjson
        enc = self.ours.encoder()
        html_base, html_next = ours_t.render(sc.base), ours_t.render(sc.next)
        try:
            differ = self.ours.Differ()
            joined = differ.join(ours_t.tree(sc.base))
            client = orjson.loads(orjson.dumps(joined))
            got = client_html(client)
            if got != html_base:
                row.error = "our join tree does not render the page"
                self.warn(row, row.error + "; " + bu.first_difference(got, html_base))
                return True
            raw = enc(differ, ours_t.tree(sc.next))
            row.ours_bytes = len(raw)
            diff = orjson.loads(raw)
            client = client_merge(client, diff)
            got = client_html(client)
            if got != html_next:
                row.error = "our join + diff does not give the new page"
                self.warn(row, row.error + "; " + bu.first_difference(got, html_next))
                return True
            # The untimed setup step (back to the base render) must be right too.
            back = differ.diff(ours_t.tree(sc.base))
            client = client_merge(client, orjson.loads(orjson.dumps(back)))
            got = client_html(client)
            if got != html_base:
                row.error = "our diff back to the base render does not give the base page"
                self.warn(row, row.error + "; " + bu.first_difference(got, html_base))
                return True
            # diff_json and diff agree (fresh differ: same state).
            if self.ours.has_diff_json:
                d2 = self.ours.Differ()
                d2.join(ours_t.tree(sc.base))
                plain = orjson.loads(orjson.dumps(d2.diff(ours_t.tree(sc.next))))
                if plain != diff:
                    self.warn(row, "diff_json() and diff() disagree on the same state")
        except ClientError as err:
            row.error = f"our diff cannot be merged by the client: {err}"
            self.warn(row, row.error)
            return True
        except Exception as err:  # noqa: BLE001
            row.error = f"{type(err).__name__}: {err}"
            self.warn(row, "our differ failed: " + row.error)
            traceback.print_exc()
            return True
        if sc.plausible is not None:
            problem = sc.plausible(diff, raw)
            if problem:
                self.warn(row, f"implausible diff: {problem}; diff starts {raw[:300]!r}")
        return True


# --- the benchmark ------------------------------------------------------------------------------


def event_fns(sc: Scenario, ours: Ours | None, peer: Peer, ours_t, peer_t):
    """(ours_event, ours_setup, peer_event, peer_setup) for one scenario, each side in its
    base state. The event is the timed part; the setup puts the state back, untimed."""
    calc_diff, dumps = peer.calc_diff, json.dumps
    base_tree = peer_t.tree(sc.base)
    sock = PeerSocket(calc_diff)
    sock.diff(base_tree)
    ctx_next, ctx_base = sc.next, sc.base
    peer_tree = peer_t.tree

    def peer_event() -> str:
        return dumps(sock.diff(peer_tree(ctx_next)))

    def peer_setup() -> None:
        sock.prev_rendered = base_tree  # calc_diff never mutates its inputs

    if ours is None or ours_t is None:
        return None, None, peer_event, peer_setup

    enc = ours.encoder()
    differ = ours.Differ()
    differ.join(ours_t.tree(ctx_base))
    tree = ours_t.tree

    def ours_event() -> bytes:
        return enc(differ, tree(ctx_next))

    if ctx_next is ctx_base:
        def ours_setup() -> None:
            pass
    else:
        def ours_setup() -> None:
            differ.diff(tree(ctx_base))

    return ours_event, ours_setup, peer_event, peer_setup


def measure_noop_share(ours: Ours, ours_t, ctx: dict[str, Any], args) -> tuple[float, float]:
    """(ns of tree(ctx), ns of a nothing-changed diff on a fresh, equal tree)."""
    enc = ours.encoder()
    differ = ours.Differ()
    differ.join(ours_t.tree(ctx))
    holder: list[Any] = [None]

    def setup() -> None:
        holder[0] = ours_t.tree(ctx)

    def diff_only() -> bytes:
        return enc(differ, holder[0])

    tree_ns = bu.best_of(lambda: ours_t.tree(ctx), target_s=args.target_time, repeats=args.repeats)
    diff_ns = bu.best_of(diff_only, setup=setup, target_s=args.target_time, repeats=args.repeats)
    return tree_ns, diff_ns


def measure_peer_noop_share(peer: Peer, peer_t, ctx: dict[str, Any], args) -> tuple[float, float]:
    prev = peer_t.tree(ctx)
    holder: list[Any] = [None]

    def setup() -> None:
        holder[0] = peer_t.tree(ctx)

    def diff_only() -> str:
        return json.dumps(peer.calc_diff(prev, holder[0]))

    tree_ns = bu.best_of(lambda: peer_t.tree(ctx), target_s=args.target_time, repeats=args.repeats)
    diff_ns = bu.best_of(diff_only, setup=setup, target_s=args.target_time, repeats=args.repeats)
    return tree_ns, diff_ns


def retained_bytes(build: Callable[[], Any]) -> int:
    """Bytes still allocated (per tracemalloc) after ``build()`` returns, while its result lives."""
    build()  # warm-up: lazy caches, interned strings
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        keep = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del keep
    return after - before


def measure_memory(ours: Ours, peer: Peer, ours_t, peer_t, sc: Scenario) -> tuple[int, int]:
    """Steady-state diff state of one view: join, then one event, then what each side keeps."""

    def build_ours():
        d = ours.Differ()
        d.join(ours_t.tree(sc.base))
        d.diff(ours_t.tree(sc.next))
        return d

    def build_peer():
        s = PeerSocket(peer.calc_diff)
        s.diff(peer_t.tree(sc.base))
        s.diff(peer_t.tree(sc.next))
        return s

    return retained_bytes(build_ours), retained_bytes(build_peer)


def profile(name: str, scenarios: list[Scenario], ours: Ours | None, peer: Peer, templates) -> None:
    import cProfile
    import pstats

    if ours is None:
        print("--profile: our Differ is not available", file=sys.stderr)
        return
    sc = next((s for s in scenarios if s.name == name), None)
    if sc is None:
        names = ", ".join(s.name for s in scenarios)
        print(f"--profile: no scenario {name!r} (one of: {names})", file=sys.stderr)
        return
    ours_t, peer_t = templates(sc)
    ours_event, ours_setup, _, _ = event_fns(sc, ours, peer, ours_t, peer_t)
    ours_setup()
    ours_event()
    k = max(1, bu.calibrate_with_setup(ours_event, ours_setup, 1.0))
    prof = cProfile.Profile()
    for _ in range(k):
        ours_setup()
        prof.enable()
        ours_event()
        prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
    print(f"cProfile of our event, {name}, {k} events (setup not profiled), sorted by own time:")
    print("(Cython functions appear as one entry each unless compiled with profile=True)")
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: short measurements, 3 repeats")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--only", metavar="REGEX", help="only scenarios whose name matches")
    ap.add_argument("--repeats", type=int, help="best of R measurements (default 5, quick 3)")
    ap.add_argument("--target-time", type=float, help="seconds per measurement (default 0.2, quick 0.02)")
    ap.add_argument("--profile", metavar="SCENARIO", help="cProfile our side of one scenario and exit")
    ap.add_argument(
        "--differ", metavar="MODULE:CLASS", default=DEFAULT_DIFFER,
        help=f"the Differ to measure (default {DEFAULT_DIFFER})",
    )
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.target_time is None:
        args.target_time = 0.02 if args.quick else 0.2

    gc.enable()  # as in real use; the benchmark never turns it off
    info = bu.environment_info()
    peer = Peer()
    ours, ours_error = load_ours(args.differ)
    if ours_error:
        print(f"WARNING: {ours_error}; timing pyview-web only", file=sys.stderr)
    else:
        try:
            info["versions"]["orjson"] = ours.orjson.__version__
        except AttributeError:
            pass
        info["differ"] = args.differ
        info["differ_module_file"] = getattr(sys.modules.get(args.differ.partition(":")[0]), "__file__", None)

    compiled: dict[tuple[str, str], Any] = {}

    def templates(sc: Scenario):
        ours_t = None
        if ours is not None:
            key = ("ours", sc.ours_template)
            if key not in compiled:
                compiled[key] = ours.compile(sc.ours_template)
            ours_t = compiled[key]
        key = ("peer", sc.peer_template)
        if key not in compiled:
            compiled[key] = peer.compile(sc.peer_template)
        return ours_t, compiled[key]

    scenarios = make_scenarios()
    if args.profile:
        profile(args.profile, scenarios, ours, peer, templates)
        return 0
    only = re.compile(args.only) if args.only else None
    scenarios = [s for s in scenarios if only is None or only.search(s.name)]

    print(
        f"Python {info['python']} on {info['platform']}; "
        f"{args.target_time:g} s per measurement, best of {args.repeats}"
    )
    if ours is not None:
        print(f"ours: pyview_templates + {args.differ} "
              f"({'diff_json' if ours.has_diff_json else 'diff + orjson.dumps'}); peer: {peer.label}")
    load, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load and load[0] > 0.5 * cpus:
        print(
            f"WARNING: load average {load[0]:.2f} on {cpus} CPUs: other processes are competing "
            "for the CPU, expect noisy numbers (ratios are steadier than microseconds)",
            file=sys.stderr,
        )

    checker = Checker(ours, peer)
    rows: list[Row] = []
    for sc in scenarios:
        row = Row(sc.name, sc.description, sc.rows, target=sc.target)
        rows.append(row)
        try:
            ours_t, peer_t = templates(sc)
            if not checker.check(sc, row, ours_t, peer_t):
                print(f"  {sc.name:<19} not timed: {row.error}", flush=True)
                continue
            ours_event, ours_setup, peer_event, peer_setup = event_fns(sc, ours, peer, ours_t, peer_t)
            gc.collect()  # every scenario starts from the same collector state (GC stays enabled)
            if ours_event is None:
                row.ours_missing = True
                row.peer_us = bu.best_of(
                    peer_event, setup=peer_setup, target_s=args.target_time, repeats=args.repeats
                ) / 1000
            else:
                o, p = bu.compare_with_setup(
                    ours_event, ours_setup, peer_event, peer_setup,
                    target_s=args.target_time, repeats=args.repeats,
                )
                row.ours_us, row.peer_us = o / 1000, p / 1000
        except Exception as err:  # noqa: BLE001 - one broken scenario must not hide the others
            row.error = f"{type(err).__name__}: {err}"
            traceback.print_exc()
        print(
            f"  {sc.name:<19} ours={bu._fmt_us(row.ours_us):>9} µs  peer={bu._fmt_us(row.peer_us):>9} µs  "
            f"speed={_x(row.speed_ratio):>8}  bytes ours={_int(row.ours_bytes):>7} "
            f"peer={_int(row.peer_bytes):>9}  {row.status}" + (f"  ({row.error})" if row.error else ""),
            flush=True,
        )

    # The 200-component page (benchmarks/_component_page.py): live components vs a whole page.
    if ours is not None and (only is None or only.search("components")):
        from _component_page import component_measurements

        gc.collect()
        try:
            for m in component_measurements(peer, bu.compare_with_setup, args.target_time, args.repeats):
                row = Row(m["scenario"], m["description"], None, ours_us=m["ours_us"], peer_us=m["peer_us"],
                          ours_bytes=m["ours_bytes"], peer_bytes=m["peer_bytes"])
                rows.append(row)
                print(
                    f"  {row.scenario:<19} ours={bu._fmt_us(row.ours_us):>9} µs  peer={bu._fmt_us(row.peer_us):>9} µs  "
                    f"speed={_x(row.speed_ratio):>8}  bytes ours={_int(row.ours_bytes):>7} peer={_int(row.peer_bytes):>9}",
                    flush=True,
                )
        except Exception as err:  # noqa: BLE001 - report it with the other rows
            rows.append(Row("components-200", "live components page", None, error=f"{type(err).__name__}: {err}"))
            traceback.print_exc()

    # Extras: nothing-changed share of a render, and retained diff state.
    extras: dict[str, Any] = {}
    targets: list[bu.Target] = []
    for r in rows:
        if r.target is not None:
            targets.append(
                bu.Target(
                    f"full event cost {r.scenario} ≥{r.target:g}× pyview-web",
                    _x(r.speed_ratio), f"≥{r.target:g}×",
                    None if r.speed_ratio is None or r.error else r.speed_ratio >= r.target,
                )
            )
    cell = next((r for r in rows if r.scenario == "cell-1000"), None)
    if cell is not None:
        targets.append(
            bu.Target(
                "bytes for one changed cell in 1000 rows",
                f"{_int(cell.ours_bytes)} B (pyview-web {_int(cell.peer_bytes)} B)",
                f"≤{TARGET_CELL_BYTES} B",
                None if cell.ours_bytes is None or cell.error else cell.ours_bytes <= TARGET_CELL_BYTES,
            )
        )

    by_name = {s.name: s for s in make_scenarios()}
    want_extras = only is None or only.search("noop-1000") or only.search("memory")
    if want_extras:
        gc.collect()
        noop = by_name["noop-1000"]
        ours_t, peer_t = templates(noop)
        try:
            p_tree, p_diff = measure_peer_noop_share(peer, peer_t, noop.base, args)
            extras["peer_noop"] = {"tree_us": p_tree / 1000, "diff_us": p_diff / 1000,
                                   "pct": 100 * p_diff / p_tree}
            if ours is not None:
                o_tree, o_diff = measure_noop_share(ours, ours_t, noop.base, args)
                pct = 100 * o_diff / o_tree
                extras["ours_noop"] = {"tree_us": o_tree / 1000, "diff_us": o_diff / 1000, "pct": pct}
                targets.append(
                    bu.Target(
                        "nothing-changed diff (1000 rows) as % of a tree() render",
                        f"{pct:.1f}% ({bu._fmt_us(o_diff / 1000)} of {bu._fmt_us(o_tree / 1000)} µs)",
                        f"≤{TARGET_NOOP_PCT:g}%", pct <= TARGET_NOOP_PCT,
                    )
                )
            else:
                targets.append(bu.Target("nothing-changed diff (1000 rows) as % of a tree() render",
                                      "—", f"≤{TARGET_NOOP_PCT:g}%", None))
        except Exception as err:  # noqa: BLE001
            traceback.print_exc()
            extras["noop_error"] = f"{type(err).__name__}: {err}"

        mem_sc = by_name[f"cell-{MEMORY_ROWS}"]
        ours_t, peer_t = templates(mem_sc)
        if ours is not None:
            try:
                o_mem, p_mem = measure_memory(ours, peer, ours_t, peer_t, mem_sc)
                ratio = o_mem / p_mem if p_mem else float("inf")
                extras["memory"] = {"ours_bytes": o_mem, "peer_bytes": p_mem, "ratio": ratio}
                targets.append(
                    bu.Target(
                        f"diff state memory, {MEMORY_ROWS} rows (ours / pyview-web)",
                        f"{ratio:.2f} ({o_mem / 1024:,.0f} KiB vs {p_mem / 1024:,.0f} KiB)",
                        f"≤{TARGET_MEM_RATIO:g}", ratio <= TARGET_MEM_RATIO,
                    )
                )
            except Exception as err:  # noqa: BLE001
                traceback.print_exc()
                extras["memory_error"] = f"{type(err).__name__}: {err}"
        else:
            targets.append(bu.Target(f"diff state memory, {MEMORY_ROWS} rows (ours / pyview-web)", "—",
                                  f"≤{TARGET_MEM_RATIO:g}", None))

    print()
    print(format_rows(rows))
    print()
    print(bu.format_targets(targets))
    print()
    print("µs = one full event (tree + diff + JSON encode), best of R; diffs/s = 1e6 / µs; speed = peer µs /")
    print("ours µs; B = bytes of the encoded diff (ours: orjson, compact; pyview-web: json.dumps defaults,")
    print("as it sends them); bytes = peer B / ours B.")
    if "ours_noop" in extras or "peer_noop" in extras:
        parts = []
        if "ours_noop" in extras:
            e = extras["ours_noop"]
            parts.append(f"ours {bu._fmt_us(e['diff_us'])} µs diff vs {bu._fmt_us(e['tree_us'])} µs tree() "
                         f"= {e['pct']:.1f}%")
        e = extras["peer_noop"]
        parts.append(f"pyview-web {bu._fmt_us(e['diff_us'])} µs calc_diff+dumps vs "
                     f"{bu._fmt_us(e['tree_us'])} µs tree() = {e['pct']:.1f}%")
        print("Nothing-changed diff, 1000 rows: " + "; ".join(parts) + ".")
    if "memory" in extras:
        print("Memory: tracemalloc-traced bytes retained by one view's diff state after join + one event "
              "(ours: the Differ; pyview-web: LiveViewSocket.prev_rendered). Only allocations through "
              "Python's allocators are traced.")
    print("Scenarios:")
    for sc in scenarios:
        print(f"  - {sc.name}: {sc.description}")
    bu.print_warnings(checker.warnings)

    if args.json:
        bu.write_json(
            args.json,
            {
                "environment": info,
                "settings": {
                    "quick": args.quick,
                    "repeats": args.repeats,
                    "target_time_s": args.target_time,
                    "differ": args.differ,
                    "ours_encoder": None if ours is None else (
                        "Differ.diff_json" if ours.has_diff_json else "orjson.dumps(Differ.diff)"),
                },
                "ours_error": ours_error,
                "warnings": checker.warnings,
                "results": [r.as_dict() for r in rows],
                "extras": extras,
                "targets": [dict(asdict(t), status=t.status) for t in targets],
            },
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
