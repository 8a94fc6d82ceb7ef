"""The app the browser tests serve: every example, plus lab views that only tests drive.

``/lab/streams`` applies stream operations that the test sends as one event per handler (through
a hook's ``pushEvent``), so the official client in Chromium receives exactly the diffs a real
handler would produce. ``#step`` shows how many handlers have run, for the test to wait on.
"""

from __future__ import annotations

import json

from examples.app import create_app
from pyview_core import LiveView, Stream, event
from stream_model import apply_op

# Hooks must exist before the client's bootstrap (app.js, deferred) reads window.pyview.hooks.
LAB_HOOKS = """<script>
window.pyview = window.pyview || {hooks: {}};
window.pyview.hooks.StreamLab = {
  mounted() { window.streamLab = (handler) => this.pushEvent("apply", handler); }
};
</script>"""


class StreamLabLiveView(LiveView[dict]):
    template_name = "lab_streams.html"

    async def mount(self, socket, session):
        socket.context = {"songs": Stream(name="songs"), "step": 0}

    @event("apply")
    async def apply(self, socket, ops: str, step: int, fresh: bool = False):
        """Run one handler's operations; ``fresh`` first empties the list (a new test example)."""
        songs = socket.context["songs"]
        if fresh:
            songs.reset()
        for k, op in enumerate(json.loads(ops)):
            apply_op(songs, tuple(op), f"s{step}o{k}")
        socket.context["step"] = step


app = create_app(head_html=LAB_HOOKS)
app.add_live_view("/lab/streams", StreamLabLiveView)
