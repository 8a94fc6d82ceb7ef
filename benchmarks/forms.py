"""Forms: one keystroke of the sign-up form's validation, on the server and on the wire.

Run from the repository root::

    python benchmarks/forms.py            # best of R=5, ~0.3 s per measurement
    python benchmarks/forms.py --quick    # R=2, shorter measurements
    python benchmarks/forms.py --json forms.json

Workload: the ``/signup`` example (``examples/signup``: a user with a name, email, password, a
newsletter box and one address). A user types "Ada Lovelace" into the name and then
"ada@example.com" into the email, one ``phx-change`` per keystroke, with the params the 1.2 client
sends (every field not touched yet marked ``_unused_``, so only the touched fields show errors).
Each keystroke is measured three ways, in the same process:

1. **pyview**: ``to_form(UserIn, params)`` (cast, pydantic validation, used-input errors), the
   view's compiled template to a tree, and ``Differ.diff`` against the previous keystroke's tree;
   the bytes are the diff's JSON, what the reply carries.
2. **Jinja2** (the peer): the same ``to_form`` and the same template compiled by Jinja2 with our
   ``input``/``errors`` filters, rendering the whole form, which a server that re-renders a
   fragment per keystroke (htmx-style, or pyview-web without a diff of the form) sends: its bytes.
3. **pydantic alone**: ``UserIn.model_validate`` of the same cast params, the floor under any
   form library: what validation itself costs.

Reported: µs per keystroke (best of R interleaved runs, averaged over the whole typing sequence)
and bytes per keystroke, with ratios. Benchmarks never gate; the exit status is 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

import _bench_util as bu
import jinja2
import orjson

from examples.signup.signup import SignupContext, SignupLiveView, UserIn, signup_form
from pyview_core.diff import Differ
from pyview_core.form_tags import errors_tag, input_tag
from pyview_core.forms import decode_form, merge_meta
from pyview_core.model_form import _cast
from pyview_templates.tree import join

FIELDS = ["name", "email", "password", "newsletter", "addresses][0][street", "addresses][0][city", "addresses][0][postal_code"]


def keystrokes() -> list[dict[str, Any]]:
    """The decoded ``user`` params of each keystroke, as the 1.2 client serialises the form."""
    values = {f: "" for f in FIELDS}
    values["newsletter"] = "false"
    used: set[str] = set()
    out = []
    for field, text in (("name", "Ada Lovelace"), ("email", "ada@example.com")):
        used.add(field)
        for i in range(1, len(text) + 1):
            values[field] = text[:i]
            pairs = []
            for f in FIELDS:
                key = f"user[{f}]"
                if f not in used:  # prependFormDataKey: the marker before the value, in the field's own map
                    head, _, last = key.rpartition("[")
                    pairs.append((f"{head}[_unused_{last}", ""))
                pairs.append((key, values[f]))
            params = merge_meta(decode_form(urlencode(pairs)), {"_target": f"user[{field}]"})
            out.append(params["user"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    repeats, target_s = (2, 0.1) if args.quick else (5, 0.3)

    steps = keystrokes()
    view = SignupLiveView()
    template = view.template()
    source = (ROOT / "examples" / "signup" / "signup.html").read_text()
    env = jinja2.Environment(autoescape=True)
    env.filters.update(input=input_tag, errors=errors_tag)
    jinja_template = env.from_string(source)

    def context(params: dict[str, Any]) -> SignupContext:
        """The view's state after its validate handler (which builds one form per keystroke)."""
        return SignupContext(params=params, form=signup_form(params))

    # Checks before timing: both engines render the same page for every keystroke, and the diffs
    # merged in order rebuild it (the diff is complete, not just small).
    for params in steps:
        ours = join(template.tree(context(params)))
        theirs = jinja_template.render(**{k: getattr(context(params), k) for k in ("form", "max_addresses", "address_count")})
        if bu.normalize_ws(ours) != bu.normalize_ws(theirs):
            raise SystemExit("the two renders differ: " + bu.first_difference(ours, theirs))

    diff_bytes: list[int] = []
    differ = Differ()
    differ.join(template.tree(context({})))
    for params in steps:
        diff_bytes.append(len(orjson.dumps(differ.diff(template.tree(context(params))))))
    page_bytes = [len(jinja_template.render(form=context(p).form, max_addresses=3, address_count=1).encode()) for p in steps]

    def run_ours() -> None:
        d = Differ()
        d.join(template.tree(context({})))
        for params in steps:
            orjson.dumps(d.diff(template.tree(context(params))))

    def run_jinja() -> None:
        for params in steps:
            ctx = context(params)
            jinja_template.render(form=ctx.form, max_addresses=ctx.max_addresses, address_count=ctx.address_count).encode()

    casts = [_cast(UserIn, p, {"addresses": [{}]}) for p in steps]

    def run_pydantic() -> None:
        for cast in casts:
            try:
                UserIn.model_validate(cast)
            except Exception:
                pass

    n = len(steps)
    timings: dict[str, float] = {}
    runs: list[tuple[str, Callable[[], None]]] = [("pyview", run_ours), ("jinja2", run_jinja), ("pydantic", run_pydantic)]
    loops = {}
    for name, fn in runs:  # warm up and calibrate each way, then interleave their repeats
        fn()
        loops[name] = bu.calibrate(fn, target_s)
    for _ in range(repeats):
        for name, fn in runs:
            took = bu._run(fn, loops[name]) / n / 1000  # µs per keystroke
            timings[name] = min(took, timings.get(name, took))

    ours_b = sum(diff_bytes) / n
    theirs_b = sum(page_bytes) / n
    rows = [
        ["pyview: to_form + tree + diff", f"{timings['pyview']:.1f}", "1.00×", f"{ours_b:.0f}", "1.00×"],
        ["Jinja2: to_form + the whole form", f"{timings['jinja2']:.1f}", f"{timings['jinja2'] / timings['pyview']:.2f}×",
         f"{theirs_b:.0f}", f"{theirs_b / ours_b:.1f}×"],
        ["pydantic alone (model_validate)", f"{timings['pydantic']:.1f}", f"{timings['pydantic'] / timings['pyview']:.2f}×", "—", "—"],
    ]
    print(f"{n} keystrokes typing a name and an email into /signup's form\n")
    print(bu.markdown_table(["way", "µs/keystroke", "time vs pyview", "bytes/keystroke", "bytes vs pyview"], rows, {1, 2, 3, 4}))
    print("\nratios above 1 mean more time or more bytes than pyview; bytes: the diff's JSON (pyview) or the form's HTML (Jinja2)")
    if args.json:
        bu.write_json(args.json, {
            "environment": bu.environment_info(), "keystrokes": n, "us_per_keystroke": timings,
            "bytes_per_keystroke": {"pyview": ours_b, "jinja2": theirs_b},
        })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
