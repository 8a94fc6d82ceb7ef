"""Random templates and random sequences of context changes, for the diff core's real-client
property (tests/core/test_diff_real_client.py).

A case is a main template (plus include parts for a DictLoader), a first context, and a list
of steps; each step is a list of operations applied to the SAME context objects, mostly in
place (``rows.append``, ``rows[i]["name"] = ...``, ``rows.reverse()``), sometimes by assigning
a new object. Operations are plain data (tuples), drawn while simulating them on a copy so that
indices are valid and loop keys stay unique, then replayed by :func:`apply_ops`.

The context schema::

    a, b    bool                   flags for ifs
    x, y    str                    text with HTML specials
    n       int (0..5)
    items   list[str]              unique strings (so `key it` is valid)
    rows    list[row]              row = {"id": int (unique), "name": str, "done": bool,
                                          "tags": list[str] (unique within the row)}
    grid    list[list[str]]

The template generator covers if/elif/else, loops with and without `key`, `{% else %}` of
loops, loops nested in loops and in if branches, includes (also inside loops, reading the
loop variable), elements with dynamic attributes (single-root nodes get ``"r": 1``), and
``loop.*``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

PARTS = ("part1.html", "part2.html")
WORDS = ["a", "b", "<i>", "x&y", '"q"', "o'n", "é", "中", "", " ", "z z", "T"]
TAGS = ["t1", "t2", "t3", "<t>", "t&5", "t6"]
ITEMS = ["i1", "i2", "i3", "i4", "<i5>", "i&6", "i7", "i8"]
TEXT = ["a", "b", " ", "\n", "  ", "é", "&amp;", "x", "-", ":", "<br>", "<hr/>", "<span>", "</span>", ">", "'", '"',
        "\x1c", "\x85", "\u00a0", "\t", "<!-- c -->"]
ELEMENTS = ["div", "p", "span", "li", "b", "section"]


@dataclass
class DiffCase:
    source: str
    templates: dict[str, str]
    context: dict[str, Any]
    steps: list[list[tuple]]
    check_unchanged: list[bool] = field(default_factory=list)  # per context, incl. the first

    def loader_mapping(self) -> dict[str, str]:
        return {**self.templates, "main.html": self.source}

    def __repr__(self) -> str:
        steps = ",\n        ".join(repr(s) for s in self.steps)
        return (
            f"DiffCase(source={self.source!r},\n    templates={self.templates!r},\n"
            f"    context={self.context!r},\n    steps=[\n        {steps}])"
        )


# --------------------------------------------------------------------------------------------
# templates
# --------------------------------------------------------------------------------------------
class TGen:
    def __init__(self, draw, allow_include: bool = True) -> None:
        self.draw = draw
        self.allow_include = allow_include
        self.used_parts: set[str] = set()
        self.budget = 14

    def n(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def chance(self, pct: int) -> bool:
        return self.n(0, 99) >= 100 - pct

    def pick(self, options):
        return options[self.n(0, len(options) - 1)]

    # scope: dict name -> kind ("row", "item", "tag", "line", "cell")
    def expr(self, scope: dict) -> str:
        options = ["x", "y", "n", "x|upper", "items|length", "rows|length", "a", "items|join(',')"]
        for name, kind in scope.items():
            if kind == "row":
                options += [f"{name}.name", f"{name}.id", f"{name}.done", f"{name}.tags|join('/')", f"{name}.name"]
            elif kind in ("item", "tag", "cell"):
                options += [name, name]
            elif kind == "line":
                options += [f"{name}|length"]
        if any(k in ("row", "item", "tag", "line", "cell") for k in scope.values()):
            options += ["loop.index", "loop.first", "loop.length", "loop.revindex0"]
        return self.pick(options)

    def cond(self, scope: dict) -> str:
        options = ["a", "b", "not a", "a and b", "n > 2", "n == 0", "items", "x == 'a'", "rows|length > 1"]
        for name, kind in scope.items():
            if kind == "row":
                options += [f"{name}.done", f"not {name}.done", f"{name}.tags", f"{name}.id > 3"]
            elif kind in ("item", "tag"):
                options += [f"{name} == 'i2'", f"{name} == 't1'"]
        if any(k in ("row", "item", "tag", "line", "cell") for k in scope.values()):
            options += ["loop.first", "loop.last", "loop.index is even"]
        return self.pick(options)

    def text(self) -> str:
        return "".join(self.pick(TEXT) for _ in range(self.n(0, 3)))

    def body(self, scope: dict, depth: int, min_nodes: int = 0, max_nodes: int = 3) -> str:
        out = []
        for _ in range(self.n(min_nodes, max_nodes)):
            if self.budget <= 0:
                break
            self.budget -= 1
            out.append(self.stmt(scope, depth))
        return "".join(out)

    def stmt(self, scope: dict, depth: int) -> str:
        choices = ["text", "out", "out", "element"]
        if depth < 4:
            choices += ["if", "if", "for", "for", "element"]
        if self.allow_include and depth < 4:
            choices += ["include"]
        if depth < 4:
            choices += ["with"]
        kind = self.pick(choices)
        if kind == "text":
            return self.text()
        if kind == "out":
            return "{{ " + self.expr(scope) + " }}"
        if kind == "element":
            tag = self.pick(ELEMENTS)
            attr = f' class="{{{{ {self.expr(scope)} }}}}"' if self.chance(50) else ""
            lead = self.pick(["", "", "\n", "  ", "\x1c", "\u00a0"])
            return f"{lead}<{tag}{attr}>" + self.body(scope, depth + 1, 0, 2) + f"</{tag}>"
        if kind == "if":
            out = "{% if " + self.cond(scope) + " %}" + self.branch(scope, depth + 1)
            for _ in range(self.n(0, 2)):
                out += "{% elif " + self.cond(scope) + " %}" + self.branch(scope, depth + 1)
            if self.chance(50):
                out += "{% else %}" + self.branch(scope, depth + 1)
            return out + "{% endif %}"
        if kind == "with" :
            return "{% with wv = " + self.expr(scope) + " %}" + self.body(scope, depth + 1, 1, 2) + "{{ wv }}{% endwith %}"
        if kind == "include":
            name = self.pick(PARTS)
            self.used_parts.add(name)
            return '{% include "' + name + '" %}'
        return self.loop(scope, depth)

    def loop(self, scope: dict, depth: int) -> str:
        options = [("row", "rows", "row.id"), ("row", "rows", None), ("it", "items", "it"), ("it", "items", None),
                   ("line", "grid", None)]
        for name, kind in scope.items():
            if kind == "row":
                options += [("tag", f"{name}.tags", "tag"), ("tag", f"{name}.tags", None)]
            elif kind == "line":
                options += [("cell", name, None)]
        var, seq, key = self.pick(options)
        kinds = {"row": "row", "it": "item", "tag": "tag", "line": "line", "cell": "cell"}
        if var in scope:  # a nested loop over the same kind: a fresh name
            var = var + str(depth)
            if key is not None:
                key = key.replace(key.split(".")[0], var, 1)
        if seq == "rows" and self.chance(30):
            seq = self.pick(["rows|reverse", "rows|sort(attribute='name')", "rows|sort(attribute='id', reverse=true)"])
        loop_filter = ""
        if self.chance(15):
            loop_filter = " if " + self.pick({"row": [f"{var}.done", f"not {var}.done"], "item": [f"{var} != 'i2'"],
                                              "tag": [f"{var} != 't1'"], "line": [f"{var}"], "cell": [f"{var}"]}[
                kinds[var.rstrip("0123456789")]])
        inner = dict(scope)
        inner[var] = kinds[var.rstrip("0123456789")]
        head = "{% for " + var + " in " + seq + loop_filter + (" key " + key if key and self.chance(75) else "") + " %}"
        body = self.row_body(inner, depth + 1)
        if self.chance(20):  # a loop-local set, used in the body
            body = "{% set sv = " + self.expr(inner) + " %}" + body + "{{ sv }}"
        if self.chance(15):
            body += "{{ loop.cycle('odd', 'even') }}"
        out = head + body
        if self.chance(25):
            out += "{% else %}" + self.body(scope, depth + 1, 0, 1)
        return out + "{% endfor %}"

    def branch(self, scope: dict, depth: int) -> str:
        """If branches: often exactly one element (the diff core flags those "r": 1)."""
        if self.chance(50):
            tag = self.pick(ELEMENTS)
            attr = f' class="{{{{ {self.expr(scope)} }}}}"' if self.chance(50) else ""
            lead, trail = self.pick(["", "", "\n", " ", "\x85", "\u00a0", "<!-- c -->"]), self.pick(["", "", "\n", "\x1f"])
            return f"{lead}<{tag}{attr}>" + self.body(scope, depth, 0, 2) + f"</{tag}>{trail}"
        return self.body(scope, depth, 0, 2)

    def row_body(self, scope: dict, depth: int) -> str:
        """Loop bodies: often one element (a single root), sometimes loose content."""
        if self.chance(60):
            tag = self.pick(["li", "div", "tr", "p"])
            attr = f' id="{{{{ {self.expr(scope)} }}}}"' if self.chance(50) else ""
            return f"<{tag}{attr}>" + self.body(scope, depth, 1, 3) + f"</{tag}>"
        return self.body(scope, depth, 1, 3)


@st.composite
def templates(draw) -> tuple[str, dict[str, str]]:
    g = TGen(draw)
    src = g.body({}, 0, 1, 4)
    parts = {}
    for name in sorted(g.used_parts):
        pg = TGen(draw, allow_include=False)
        pg.budget = 4
        body = pg.body({}, 2, 0, 2)
        if draw(st.booleans()):
            body = "<div>" + body + "</div>"
        if draw(st.booleans()):
            # the includer's loop variable, when there is one
            body += "{% if row is defined %}[{{ row.name }}]{% endif %}"
        parts[name] = body
    return src, parts


# --------------------------------------------------------------------------------------------
# contexts and operations
# --------------------------------------------------------------------------------------------
class CGen:
    def __init__(self, draw) -> None:
        self.draw = draw
        self.next_id = 1

    def n(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def word(self) -> str:
        return self.draw(st.sampled_from(WORDS))

    def tags(self) -> list[str]:
        return self.draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))

    def row(self) -> dict:
        r = {"id": self.next_id, "name": self.word(), "done": self.draw(st.booleans()), "tags": self.tags()}
        self.next_id += 1
        return r

    def context(self) -> dict:
        return {
            "a": self.draw(st.booleans()),
            "b": self.draw(st.booleans()),
            "x": self.word(),
            "y": self.word(),
            "n": self.n(0, 5),
            "items": self.draw(st.lists(st.sampled_from(ITEMS), max_size=4, unique=True)),
            "rows": [self.row() for _ in range(self.n(0, 4))],
            "grid": [[self.word() for _ in range(self.n(0, 2))] for _ in range(self.n(0, 2))],
        }

    def op(self, ctx: dict) -> tuple:
        rows, items, grid = ctx["rows"], ctx["items"], ctx["grid"]
        kinds = ["flip", "set", "rows_append", "rows_insert", "row_set", "row_set", "items_append", "new_rows",
                 "grid_set", "noop"]
        if rows:
            kinds += ["rows_pop", "rows_move", "rows_move", "rows_reverse", "row_set", "row_tags", "row_id",
                      "rows_sort", "rows_swap_new"]
        if items:
            kinds += ["items_pop", "items_move", "items_reverse"]
        kind = self.draw(st.sampled_from(kinds))
        if kind == "flip":
            return ("flip", self.draw(st.sampled_from(["a", "b"])))
        if kind == "set":
            key = self.draw(st.sampled_from(["x", "y", "n"]))
            return ("set", key, self.n(0, 5) if key == "n" else self.word())
        if kind == "rows_append":
            return ("rows_append", self.row())
        if kind == "rows_insert":
            return ("rows_insert", self.n(0, len(rows)), self.row())
        if kind == "rows_pop":
            return ("rows_pop", self.n(0, len(rows) - 1))
        if kind == "rows_move":
            return ("rows_move", self.n(0, len(rows) - 1), self.n(0, len(rows) - 1))
        if kind == "rows_reverse":
            return ("rows_reverse",)
        if kind == "rows_sort":
            return ("rows_sort",)
        if kind == "rows_swap_new":  # a new list object holding the same row dicts, shuffled
            return ("rows_swap_new", self.draw(st.permutations(range(len(rows)))))
        if kind == "new_rows":  # fresh objects, some equal to old rows
            keep = [copy.deepcopy(r) for r in rows if self.draw(st.booleans())]
            return ("new_rows", keep + [self.row() for _ in range(self.n(0, 2))])
        if kind == "row_set":
            if not rows:
                return ("noop",)
            field_ = self.draw(st.sampled_from(["name", "done"]))
            value = self.word() if field_ == "name" else self.draw(st.booleans())
            return ("row_set", self.n(0, len(rows) - 1), field_, value)
        if kind == "row_tags":
            i = self.n(0, len(rows) - 1)
            tags = rows[i]["tags"]
            free = [t for t in TAGS if t not in tags]
            choices = ["reverse"] + (["pop"] if tags else []) + (["append"] if free else [])
            what = self.draw(st.sampled_from(choices))
            if what == "append":
                return ("row_tags", i, "append", self.draw(st.sampled_from(free)))
            if what == "pop":
                return ("row_tags", i, "pop", self.n(0, len(tags) - 1))
            return ("row_tags", i, "reverse", None)
        if kind == "row_id":  # the same row dict gets a new (unique) key
            i = self.n(0, len(rows) - 1)
            new_id = self.next_id
            self.next_id += 1
            return ("row_id", i, new_id)
        if kind == "items_append":
            free = [t for t in ITEMS if t not in items]
            return ("items_append", self.draw(st.sampled_from(free))) if free else ("noop",)
        if kind == "items_pop":
            return ("items_pop", self.n(0, len(items) - 1))
        if kind == "items_move":
            return ("items_move", self.n(0, len(items) - 1), self.n(0, len(items) - 1))
        if kind == "items_reverse":
            return ("items_reverse",)
        if kind == "grid_set":
            if grid and grid[0] and self.draw(st.booleans()):
                i = self.n(0, len(grid) - 1)
                if grid[i]:
                    return ("grid_set", i, self.n(0, len(grid[i]) - 1), self.word())
            return ("grid_append", [self.word() for _ in range(self.n(0, 2))])
        return ("noop",)


def apply_ops(ctx: dict, ops: list[tuple]) -> None:
    """Apply operations to ``ctx`` -- in place where the operation says so."""
    for op in ops:
        kind = op[0]
        rows, items = ctx.get("rows"), ctx.get("items")
        if kind == "flip":
            ctx[op[1]] = not ctx[op[1]]
        elif kind == "set":
            ctx[op[1]] = op[2]
        elif kind == "rows_append":
            rows.append(copy.deepcopy(op[1]))
        elif kind == "rows_insert":
            rows.insert(op[1], copy.deepcopy(op[2]))
        elif kind == "rows_pop":
            rows.pop(op[1])
        elif kind == "rows_move":
            rows.insert(op[2], rows.pop(op[1]))
        elif kind == "rows_reverse":
            rows.reverse()
        elif kind == "rows_sort":
            rows.sort(key=lambda r: (r["name"], r["id"]))
        elif kind == "rows_swap_new":
            ctx["rows"] = [rows[i] for i in op[1]]
        elif kind == "new_rows":
            ctx["rows"] = copy.deepcopy(op[1])
        elif kind == "row_set":
            rows[op[1]][op[2]] = op[3]
        elif kind == "row_tags":
            tags = rows[op[1]]["tags"]
            if op[2] == "append":
                tags.append(op[3])
            elif op[2] == "pop":
                tags.pop(op[3])
            else:
                tags.reverse()
        elif kind == "row_id":
            rows[op[1]]["id"] = op[2]
        elif kind == "items_append":
            items.append(op[1])
        elif kind == "items_pop":
            items.pop(op[1])
        elif kind == "items_move":
            items.insert(op[2], items.pop(op[1]))
        elif kind == "items_reverse":
            items.reverse()
        elif kind == "grid_set":
            ctx["grid"][op[1]][op[2]] = op[3]
        elif kind == "grid_append":
            ctx["grid"].append(list(op[1]))
        elif kind == "noop":
            pass
        else:  # pragma: no cover
            raise AssertionError(op)


@st.composite
def diff_cases(draw, max_steps: int = 5) -> DiffCase:
    src, parts = draw(templates())
    cg = CGen(draw)
    ctx0 = cg.context()
    shadow = copy.deepcopy(ctx0)
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        ops = []
        for _ in range(draw(st.integers(1, 3))):
            op = cg.op(shadow)
            apply_ops(shadow, [op])
            ops.append(op)
        steps.append(ops)
    unchanged = [draw(st.integers(0, 3)) == 0 for _ in range(len(steps) + 1)]
    return DiffCase(src, parts, ctx0, steps, unchanged)
