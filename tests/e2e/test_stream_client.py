"""Random stream operations through the official LiveView client in Chromium.

Each example sends a few handlers' worth of operations to ``/lab/streams`` (lab_app.py), one
event per handler; the view runs in the real channel, so a handler whose operations need several
segments reaches the browser as a reply plus consecutive ``diff`` pushes. After each handler the
children of the stream container in the real DOM must be exactly what the plain-list model of
tests/stream_model.py predicts (the operations applied one by one), for every handler. Beside the
browser, the test renders the same template through ``render_rounds`` and the Differ into our
Python port of the client (``ClientRendered``, used by the fast tests): the port must show the
same rows, and the browser must have received as many extra pushes as the port's rounds, so the
port and the segment count cannot drift from the real client unnoticed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from pyview_core import Stream
from pyview_core.diff import Differ
from pyview_core.stream import render_rounds
from pyview_core.testing.client import ClientRendered
from pyview_templates import Template
from stream_model import apply_op, handler_lists, model_apply
from test_examples import open_live

LAB = Path(__file__).with_name("lab_streams.html").read_text()
READ_ROWS = "() => [...document.querySelectorAll('#songs > li')].map(li => [li.id, li.textContent])"
FILL = [["insert", i, -1, None, False] for i in (1, 2, 3)]


@pytest.fixture
def lab(page):
    open_live(page, "/lab/streams")
    return page


def client_port_rows(port: ClientRendered) -> list[list[str]]:
    """The rows our Python port of the client shows, in the same shape as READ_ROWS."""
    html = port.html()
    inner = html[html.index('<ul id="songs" phx-update="stream">'):html.index("</ul>")]
    return [[i, text] for i, text in re.findall(r'<li id="([^"]+)">([^<]*)</li>', inner)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(handler_lists)
# The three cases one merged diff got wrong: a limit then a delete of another item; an insert and
# a delete of the same id with a limit between; a reset in the middle, then an index and a delete.
@example([FILL, [["insert", 4, -1, -3, False], ["delete", 2]]])
@example([FILL[:2], [["insert", 3, -1, None, False], ["insert", 4, -1, -3, False], ["delete", 3]]])
@example([FILL, [["insert", 5, -1, 1, False], ["reset", [6, 7]], ["insert", 8, 1, None, False], ["delete", 6]]])
# An item a limit removed, inserted again in the same handler (morphdom's id index).
@example([FILL, [["insert", 4, 0, 3, False], ["insert", 3, -1, None, False]]])
def test_random_operations_in_the_real_client(lab, handlers):
    step = lab.evaluate("() => Number(document.querySelector('#step').textContent)")
    # Our own render of the lab template, through render_rounds and the Differ into the Python
    # port, beside the browser.
    context = {"songs": Stream(name="songs"), "step": step, "synced": step}
    template = Template(LAB)
    differ = Differ()
    port = ClientRendered(differ.join(next(render_rounds(lambda: template.tree(context), context))))
    model: list[tuple[str, str]] = []
    fresh = True  # the first handler of an example starts from an empty list
    for ops in handlers:
        step += 1
        pushes = lab.evaluate("h => window.streamLab(h)", {"ops": json.dumps(ops), "step": step, "fresh": fresh})
        assert lab.evaluate("() => document.querySelector('#synced').textContent") == str(step)
        shown = lab.evaluate(READ_ROWS)

        if fresh:
            context["songs"].reset()
        for k, op in enumerate(ops):
            label = f"s{step}o{k}"
            apply_op(context["songs"], tuple(op), label)
            model = model_apply(model, tuple(op), label)
        context["step"] = step
        diffs = [differ.diff(tree) for tree in render_rounds(lambda: template.tree(context), context)]
        for diff in diffs:
            port.merge(diff)
        context["synced"] = step
        port.merge(differ.diff(next(render_rounds(lambda: template.tree(context), context))))
        fresh = False

        assert shown == [list(row) for row in model], f"the page is not what the streams guide predicts after {ops}"
        assert shown == client_port_rows(port), f"the Python client port disagrees with the real client after {ops}"
        assert pushes == len(diffs) - 1, f"the browser got {pushes} extra diffs, the port {len(diffs) - 1}, after {ops}"
