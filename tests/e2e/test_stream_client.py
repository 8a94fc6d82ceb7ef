"""Random stream operations through the official LiveView client in Chromium.

Each example sends a few handlers' worth of operations to ``/lab/streams`` (lab_app.py), one
event per handler, and after each one reads the children of the stream container from the real
DOM. They must be what the plain-list model of tests/stream_model.py predicts (for handlers
whose limits stay simple, see ``limits_stay_simple``) and, for every handler without exception,
what our Python port of the client (``ClientRendered``, used by the fast tests) predicts from the
same wire diffs, so the port cannot drift from the real client unnoticed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from pyview_core import Stream
from pyview_core.diff import Differ
from pyview_core.testing.client import ClientRendered
from pyview_templates import Template
from stream_model import apply_op, handler_lists, limits_stay_simple, model_apply
from test_examples import open_live

LAB = Path(__file__).with_name("lab_streams.html").read_text()
READ_ROWS = "() => [...document.querySelectorAll('#songs > li')].map(li => [li.id, li.textContent])"


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
def test_random_operations_in_the_real_client(lab, handlers):
    step = lab.evaluate("() => Number(document.querySelector('#step').textContent)")
    # Our own render of the lab template, diffed and merged by the Python port, beside the browser.
    stream = Stream(name="songs")
    template = Template(LAB)
    differ = Differ()
    port = ClientRendered(differ.join(template.tree(songs=stream, step=step)))
    model: list[tuple[str, str]] = []
    fresh = True  # the first handler of an example starts from an empty list
    for ops in handlers:
        step += 1
        lab.evaluate("h => window.streamLab(h)", {"ops": json.dumps(ops), "step": step, "fresh": fresh})
        lab.wait_for_function(f"document.querySelector('#step').textContent === '{step}'")
        shown = lab.evaluate(READ_ROWS)

        if fresh:
            stream.reset()
        simple = limits_stay_simple(ops, model)
        for k, op in enumerate(ops):
            label = f"s{step}o{k}"
            apply_op(stream, op, label)
            model = model_apply(model, op, label)
        port.merge(differ.diff(template.tree(songs=stream, step=step)))
        fresh = False

        assert shown == client_port_rows(port), f"the Python client port disagrees with the real client after {ops}"
        if simple:
            assert shown == [list(row) for row in model], f"the page is not what the streams guide predicts after {ops}"
        else:
            model = [tuple(row) for row in shown]  # the real client decides; carry on from what it shows
