"""Template engine benchmark: pyview_templates vs Jinja2 3.1 vs pyview-web 0.9.0 (Ibis).

Run from the repository root::

    python benchmarks/templates.py            # full run (~0.2 s per measurement, best of 5)
    python benchmarks/templates.py --quick    # smoke run
    python benchmarks/templates.py --json results.json
    python benchmarks/templates.py --profile render:table-1000   # cProfile our side of one row

Three comparisons, each measured in this one process:

1. ``render``  – dead-render HTML: ours ``Template.render(ctx)`` vs Jinja2
   ``Environment(autoescape=True).get_template(...).render(**ctx)``;
2. ``tree``    – statics/dynamics tree: ours ``Template.tree(ctx)`` vs pyview-web's
   ``pyview.vendor.ibis.Template.tree(ctx)``;
3. ``compile`` – source to template object: ours ``Template(src)`` vs Jinja2
   ``Environment(autoescape=True).from_string(src)`` (which compiles on every call:
   Jinja2 only caches templates fetched through a loader).

The ratio is peer time / our time: above 1 means we are faster. Targets are
printed next to each row; they never change the exit status (always 0), but a
template whose output differs from Jinja2's on the table workload is a
correctness failure and stops the run before anything is timed.
"""

from __future__ import annotations

import argparse
import gc
import io
import re
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATES = HERE / "templates"

sys.path.insert(0, str(HERE))
# Prefer the checkout's packages over anything installed elsewhere.
sys.path.insert(1, str(ROOT))

import _bench_util as bu  # noqa: E402

TABLE_SIZES = (10, 100, 1000)
RENDER_TARGET_ROWS = 1000  # the dead-render target applies at this table size
TARGET_RENDER = 1.5  # ours must be >= 1.5x faster than Jinja2 (dead render, 1000 rows)
TARGET_TREE = 5.0  # ours must be >= 5x faster than pyview-web (tree building)
TARGET_COMPILE = 1.0  # ours must compile no slower than Jinja2


# --- contexts -----------------------------------------------------------------------------------

_FIRST = ["Ada", "Grace", "Linus", "Margaret", "Guido", "Barbara", "Ken", "Frances", "Dennis", "Radia"]
_LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "van Rossum", "Liskov", "Thompson", "Allen"]
_ROLES = ["viewer", "editor", "owner", "billing manager"]


def make_users(n: int) -> list[dict[str, Any]]:
    """Rows as plain dicts; every 6th name needs escaping (&, <, ', ")."""
    users = []
    for i in range(n):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 7) % len(_LAST)]
        name = f"{first} {last}"
        if i % 6 == 5:
            name = f"{first} O'{last} & <Sons> \"Ltd\""
        users.append(
            {
                "id": 1000 + i,
                "name": name,
                "email": f"{first.lower()}.{last.lower().replace(' ', '')}{i}@example.com",
                "role": _ROLES[i % len(_ROLES)],
                "admin": i % 7 == 0,
                "active": i % 3 != 0,
                "balance": ((i * 7919) % 1_000_000) / 100 - 1500.0,
            }
        )
    return users


def table_context(n: int) -> dict[str, Any]:
    return {"users": make_users(n)}


def dashboard_context() -> dict[str, Any]:
    return {
        "year": 2025,
        "build": "1.4.2+g3f9c2e1",
        "user": {
            "name": "Ada Lovelace",
            "first_name": "Ada",
            "avatar": "/avatars/ada.png?s=64&v=3",
            "is_admin": True,
            "dark_mode": False,
            "unread": 3,
        },
        "nav": [
            {"label": "Dashboard", "href": "/", "active": True},
            {"label": "Orders", "href": "/orders", "active": False},
            {"label": "Customers", "href": "/customers", "active": False},
            {"label": "Products", "href": "/products", "active": False},
            {"label": "Reports", "href": "/reports", "active": False},
            {"label": "Settings", "href": "/settings", "active": False},
        ],
        "pending": [{"id": 1}, {"id": 2}],
        "stats": {
            "revenue": {"kind": "money", "title": "Revenue", "value": "$48,210", "delta": 12},
            "orders": {"kind": "count", "title": "Orders", "value": "1,024", "delta": -3},
            "customers": {"kind": "count", "title": "New customers", "value": "87", "delta": 0},
            "refunds": {"kind": "money", "title": "Refunds & <chargebacks>", "value": "$312", "delta": 5},
        },
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
        "notifications": [
            {"text": "Weekly report is ready", "ago": "2h", "unread": True},
            {"text": "Invoice #1042 was paid", "ago": "5h", "unread": True},
            {"text": "New sign-in from Firefox <Linux>", "ago": "1d", "unread": False},
            {"text": "Backup completed", "ago": "2d", "unread": False},
        ],
    }


# --- engines ------------------------------------------------------------------------------------


def read(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


class Jinja:
    def __init__(self) -> None:
        import jinja2

        self.version = jinja2.__version__
        self.label = f"jinja2 {self.version}"
        self.jinja2 = jinja2
        self.env = jinja2.Environment(
            autoescape=True, loader=jinja2.FileSystemLoader(str(TEMPLATES))
        )
        # For compile timing: from_string() never consults the template cache (only
        # get_template() does), so one loader-less environment compiles on every call.
        self.compile_env = jinja2.Environment(autoescape=True)

    def template(self, name: str):
        return self.env.get_template(name)

    def compile(self, src: str):
        return self.compile_env.from_string(src)


class Ibis:
    NOTES = {
        "table": (
            "pyview-web gets benchmarks/templates/ibis/table.html: Ibis ternary `c ?? a :: b` for "
            "the inline if, loop.count for loop.index (Ibis loop.index is 0-based), and a registered "
            "`money` filter for \"%.2f\"|format(x) (Ibis filters take literal arguments only)"
        ),
        "dashboard": (
            "pyview-web gets benchmarks/templates/ibis/dashboard.html: Ibis's tree() ignores "
            "{% extends %} (the layout would vanish), so the layout is inlined with the blocks "
            "filled in; {% with %}+{% include %} becomes {% include ... with card = ... %} "
            "(Ibis's {% with %} does not bind its names when building a tree); |length -> |len"
        ),
    }

    def __init__(self) -> None:
        from importlib import metadata

        from pyview.vendor import ibis
        from pyview.vendor.ibis import filters
        from pyview.vendor.ibis.loaders import FileLoader

        self.version = metadata.version("pyview-web")
        self.label = f"pyview-web {self.version}"
        self.ibis = ibis
        # Ibis resolves {% include %}/{% extends %} through one module-level callable.
        ibis.loader = FileLoader(str(TEMPLATES))
        filters.register("money")(lambda value: "%.2f" % value)

    def template(self, name: str):
        return self.ibis.loader(name)

    def compile(self, src: str):
        return self.ibis.Template(src)


class Ours:
    def __init__(self) -> None:
        import pyview_templates as pt

        self.pt = pt
        self.label = "pyview_templates"
        # disk_cache=False: don't write compiled modules next to the benchmark's templates
        # (a template loaded from the disk cache runs the same code; only loading differs).
        self.env = pt.Environment(loader=pt.FileSystemLoader(str(TEMPLATES)), disk_cache=False)
        self._join = self._find_join()

    def _find_join(self) -> Callable[[Any], str] | None:
        for modname, attr in (
            ("pyview_templates", "join"),
            ("pyview_templates.tree", "join"),
            ("pyview_templates._native", "join"),
        ):
            try:
                mod = __import__(modname, fromlist=[attr])
                fn = getattr(mod, attr)
            except (ImportError, AttributeError):
                continue
            if callable(fn):
                return fn
        return None

    def template(self, name: str):
        return self.env.get_template(name)

    def compile(self, src: str):
        return self.pt.Template(src)

    def compiler_with(self, sources: dict[str, str]) -> Callable[[str], Any]:
        """``from_string`` on an environment whose loader serves ``sources`` from memory.

        Our compiler resolves {% extends %}/{% include %} at compile time (the parent and
        the partials are inlined into one module), so a page that extends or includes
        cannot be compiled by a loader-less ``Template(src)``. Every call still parses
        and compiles the page and everything it pulls in: nothing is cached.
        """
        env = self.pt.Environment(loader=self.pt.DictLoader(sources), disk_cache=False)
        return env.from_string

    def join(self, tree: Any) -> str | None:
        if isinstance(tree, str):
            return tree
        if self._join is not None:
            return self._join(tree)
        return None


def load_ours() -> tuple[Ours | None, str | None]:
    try:
        ours = Ours()
        probe = ours.pt.Template("{{ x }}").render({"x": 1})
        if probe != "1":
            return None, f"pyview_templates probe rendered {probe!r}, expected '1'"
        return ours, None
    except Exception as err:  # noqa: BLE001 - report and carry on with the peers
        return None, f"pyview_templates unavailable: {type(err).__name__}: {err}"


# --- verification -------------------------------------------------------------------------------


class Verifier:
    def __init__(self, ours: Ours | None, jinja: Jinja, ibis: Ibis) -> None:
        self.ours, self.jinja, self.ibis = ours, jinja, ibis
        self.warnings: list[str] = []

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)
        print(f"WARNING: {msg}", file=sys.stderr)

    def check(self, workload: str, ours_t, jinja_t, ibis_t, ctx: dict[str, Any], strict: bool) -> None:
        jinja_html = jinja_t.render(**ctx)

        # pyview-web: its tree must join to its own HTML, and that HTML should match Jinja2's
        # up to whitespace (Ibis keeps each file's trailing newline; Jinja2 drops it).
        ibis_html = ibis_t.render(ctx)
        ibis_joined = bu.join_phoenix(ibis_t.tree(ctx))
        if ibis_joined != ibis_html:
            self.warn(
                f"{workload}: pyview-web's tree does not join to its own render() output; "
                + bu.first_difference(ibis_joined, ibis_html)
            )
        if bu.normalize_ws(ibis_html) != bu.normalize_ws(jinja_html):
            self.warn(
                f"{workload}: pyview-web's HTML differs from Jinja2's beyond whitespace; "
                + bu.first_difference(bu.normalize_ws(ibis_html), bu.normalize_ws(jinja_html))
            )
        elif ibis_html != jinja_html:
            print(f"note: {workload}: pyview-web's HTML equals Jinja2's up to whitespace only")

        if self.ours is None or ours_t is None:
            return
        ours_html = ours_t.render(ctx)
        if ours_html != jinja_html:
            msg = f"{workload}: our HTML differs from Jinja2's; " + bu.first_difference(
                ours_html, jinja_html
            )
            if strict:
                raise AssertionError(msg)
            self.warn(msg)
        joined = self.ours.join(ours_t.tree(ctx))
        if joined is None:
            self.warn(f"{workload}: found no join() for our tree; tree/HTML consistency not checked")
        elif joined != ours_html:
            self.warn(
                f"{workload}: our tree does not join to our render() output; "
                + bu.first_difference(joined, ours_html)
            )


# --- the benchmark ------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: list[bu.Result] = []
        self.only = re.compile(args.only) if args.only else None

    def wanted(self, kind: str, workload: str) -> bool:
        return self.only is None or bool(self.only.search(f"{kind}:{workload}"))

    def run(
        self,
        kind: str,
        workload: str,
        peer_label: str,
        ours_fn: Callable[[], Any] | None,
        peer_fn: Callable[[], Any],
        target: float | None,
        notes: list[str] | None = None,
        ours_error: str | None = None,
    ) -> None:
        if not self.wanted(kind, workload):
            return
        res = bu.Result(kind, workload, peer_label, None, None, target, list(notes or []))
        try:
            if ours_fn is None:
                peer_fn()
                k = bu.calibrate(peer_fn, self.args.target_time)
                res.peer_us = min(bu._run(peer_fn, k) for _ in range(self.args.repeats)) / 1000
                res.error = ours_error or "ours not available"
                res.ours_missing = True
            else:
                o, p = bu.compare(
                    ours_fn, peer_fn, target_s=self.args.target_time, repeats=self.args.repeats
                )
                res.ours_us, res.peer_us = o / 1000, p / 1000
        except Exception as err:  # noqa: BLE001 - one broken row must not hide the others
            res.error = f"{type(err).__name__}: {err}"
            traceback.print_exc()
        self.results.append(res)
        ratio = "—" if res.ratio is None else f"{res.ratio:.2f}×"
        print(
            f"  {kind:<7} {workload:<12} ours={bu._fmt_us(res.ours_us):>9} µs  "
            f"{peer_label}={bu._fmt_us(res.peer_us):>9} µs  ratio={ratio:>7}  {res.status}"
            + (f"  ({res.error})" if res.error else ""),
            flush=True,
        )


def build_plan(ours: Ours | None, jinja: Jinja, ibis: Ibis):
    """The (kind, workload, peer_label, ours_fn, peer_fn, target, notes) rows, built after
    verifying every template pair once."""
    verifier = Verifier(ours, jinja, ibis)
    plan = []

    def ours_template(get: Callable[[], Any]):
        if ours is None:
            return None
        try:
            return get()
        except Exception as err:  # noqa: BLE001
            verifier.warn(f"our template failed to load: {type(err).__name__}: {err}")
            return None

    # Table.
    table_src = read("table.html")
    ibis_table_src = read("ibis/table.html")
    ours_table = ours_template(lambda: ours.compile(table_src))
    jinja_table = jinja.jinja2.Environment(autoescape=True).from_string(table_src)
    ibis_table = ibis.compile(ibis_table_src)
    for n in TABLE_SIZES:
        ctx = table_context(n)
        verifier.check(f"table-{n}", ours_table, jinja_table, ibis_table, ctx, strict=True)
        o_render = (lambda t=ours_table, c=ctx: t.render(c)) if ours_table else None
        o_tree = (lambda t=ours_table, c=ctx: t.tree(c)) if ours_table else None
        plan.append(
            (
                "render", f"table-{n}", jinja.label, o_render,
                lambda t=jinja_table, c=ctx: t.render(**c),
                TARGET_RENDER if n == RENDER_TARGET_ROWS else None, [],
            )
        )
        plan.append(
            (
                "tree", f"table-{n}", ibis.label, o_tree,
                lambda t=ibis_table, c=ctx: t.tree(c),
                TARGET_TREE, [Ibis.NOTES["table"]],
            )
        )

    # Dashboard.
    dctx = dashboard_context()
    ours_dash = ours_template(lambda: ours.template("dashboard.html"))
    jinja_dash = jinja.template("dashboard.html")
    ibis_dash = ibis.template("ibis/dashboard.html")
    verifier.check("dashboard", ours_dash, jinja_dash, ibis_dash, dctx, strict=False)
    plan.append(
        (
            "render", "dashboard", jinja.label,
            (lambda: ours_dash.render(dctx)) if ours_dash else None,
            lambda: jinja_dash.render(**dctx), None, [],
        )
    )
    plan.append(
        (
            "tree", "dashboard", ibis.label,
            (lambda: ours_dash.tree(dctx)) if ours_dash else None,
            lambda: ibis_dash.tree(dctx), TARGET_TREE, [Ibis.NOTES["dashboard"]],
        )
    )

    # Compile: fresh compile from source strings on every call (no file I/O on either side).
    layout_src, dash_src, card_src = read("layout.html"), read("dashboard.html"), read("partials/card.html")
    dash_srcs = [layout_src, dash_src, card_src]
    ibis_dash_srcs = [read("ibis/dashboard.html"), card_src]

    def compile_all(compile_fn, srcs):
        return lambda: [compile_fn(s) for s in srcs]

    ours_table_compile = ours_dash_compile = None
    if ours is not None:
        ours_table_compile = compile_all(ours.compile, [table_src])
        ours_from_string = ours.compiler_with({"layout.html": layout_src, "partials/card.html": card_src})
        ours_dash_compile = lambda: ours_from_string(dash_src)  # noqa: E731
    dash_note = (
        "compile dashboard: Jinja2 compiles layout.html, dashboard.html and partials/card.html "
        "(3x from_string); ours compiles dashboard.html, which inlines the layout and the "
        "partial, with their sources served from memory (one from_string)"
    )
    plan.append(
        (
            "compile", "table", jinja.label, ours_table_compile,
            compile_all(jinja.compile, [table_src]), TARGET_COMPILE, [],
        )
    )
    plan.append(
        (
            "compile", "dashboard", jinja.label, ours_dash_compile,
            compile_all(jinja.compile, dash_srcs), TARGET_COMPILE, [dash_note],
        )
    )
    # Informational: compile against pyview-web too (no target).
    plan.append(
        (
            "compile", "table", ibis.label, ours_table_compile,
            compile_all(ibis.compile, [ibis_table_src]), None, [Ibis.NOTES["table"]],
        )
    )
    plan.append(
        (
            "compile", "dashboard", ibis.label, ours_dash_compile,
            compile_all(ibis.compile, ibis_dash_srcs), None, [Ibis.NOTES["dashboard"]],
        )
    )
    return plan, verifier


def profile(spec: str, ours: Ours | None, plan) -> None:
    import cProfile
    import pstats

    if ours is None:
        print("--profile: pyview_templates is not available", file=sys.stderr)
        return
    kind, _, workload = spec.partition(":")
    for row in plan:
        if row[0] == kind and row[1] == workload and row[3] is not None:
            fn = row[3]
            break
    else:
        print(f"--profile: no row {spec!r} (use e.g. render:table-1000, tree:dashboard)", file=sys.stderr)
        return
    fn()
    k = max(1, bu.calibrate(fn, 1.0))
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(k):
        fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    print(f"cProfile of ours, {spec}, {k} calls, sorted by own time:")
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: short measurements, 3 repeats")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--only", metavar="REGEX", help="only rows whose 'kind:workload' matches")
    ap.add_argument("--repeats", type=int, help="best of R measurements (default 5, quick 3)")
    ap.add_argument("--target-time", type=float, help="seconds per measurement (default 0.2, quick 0.02)")
    ap.add_argument("--profile", metavar="KIND:WORKLOAD", help="cProfile our side of one row and exit")
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.target_time is None:
        args.target_time = 0.02 if args.quick else 0.2

    gc.enable()  # as in real use; the benchmark never turns it off
    info = bu.environment_info()
    jinja, ibis = Jinja(), Ibis()
    ours, ours_error = load_ours()
    if ours_error:
        print(f"WARNING: {ours_error}; timing the peers only", file=sys.stderr)

    plan, verifier = build_plan(ours, jinja, ibis)

    if args.profile:
        profile(args.profile, ours, plan)
        return 0

    print(
        f"Python {info['python']} on {info['platform']}; "
        f"{args.target_time:g} s per measurement, best of {args.repeats}"
    )
    load, cpus = info.get("loadavg"), info.get("cpu_count") or 1
    if load and load[0] > 0.5 * cpus:
        print(
            f"WARNING: load average {load[0]:.2f} on {cpus} CPUs: other processes are competing "
            "for the CPU, expect noisy numbers (ratios are steadier than microseconds)",
            file=sys.stderr,
        )
    bench = Bench(args)
    for kind, workload, peer_label, ours_fn, peer_fn, target, notes in plan:
        bench.run(kind, workload, peer_label, ours_fn, peer_fn, target, notes, ours_error)

    print()
    print(bu.format_table(bench.results))
    print()
    print("ratio = peer time / our time (>1 means we are faster). Targets: render ≥1.5× Jinja2 at")
    print("1000 rows; tree ≥5× pyview-web; compile no slower than Jinja2 (≥1.0×). Rows without a")
    print("target are informational.")
    print("Workload notes:")
    if ours is not None:
        print(
            "  - tree: ours returns native Rendered/Comprehension objects (statics shared, not copied); "
            "pyview-web returns its Phoenix wire-format dict, so its time includes building that dict"
        )
    seen: set[str] = set()
    for r in bench.results:
        for note in r.notes:
            if note not in seen:
                seen.add(note)
                print(f"  - {note}")
    bu.print_warnings(verifier.warnings)

    if args.json:
        bu.write_json(
            args.json,
            {
                "environment": info,
                "settings": {
                    "quick": args.quick,
                    "repeats": args.repeats,
                    "target_time_s": args.target_time,
                    "table_sizes": list(TABLE_SIZES),
                },
                "ours_error": ours_error,
                "warnings": verifier.warnings,
                "results": [r.as_dict() for r in bench.results],
            },
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
