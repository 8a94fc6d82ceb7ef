"""The app the browser tests serve: every example, plus lab views that only tests drive.

``/lab/streams`` applies stream operations that the test sends as one event per handler (through
a hook's ``pushEvent``), so the official client in Chromium receives exactly the diffs a real
handler produces: the view runs in the real channel, which renders with ``render_rounds`` and
pushes a handler's extra segments as consecutive ``diff`` messages after the reply.

``window.streamLab(handler)`` resolves once every diff of that handler is on the page: after the
``apply`` reply it sends a ``sync`` event, whose reply the channel can only send after the pushes
that came before it (one mailbox, in order), and the client applies messages in the order they
arrive. It resolves with the number of ``diff`` pushes the handler caused. ``#step`` shows how
many handlers have run, ``#synced`` the last sync.

The hook sits on an element of its own, beside the stream container, not around it: a hook's
``pushEvent`` locks the hook's element until the reply, and the client patches a locked
element's clone and morphs it back on the reply without the stream operations, so rows pushed
meanwhile would land at the end instead of at their ``at``.
"""

from __future__ import annotations

import json

from examples.app import create_app
from pyview_core import LiveView, Stream, event
from stream_model import apply_op

# Hooks must exist before the client's bootstrap (app.js, deferred) reads window.pyview.hooks.
LAB_HOOKS = """<script>
window.pyview = window.pyview || {hooks: {}};
window.labDiffs = 0;
window.pyview.hooks.StreamLab = {
  mounted() {
    window.pyview.liveSocket.getSocket().onMessage((msg) => { if (msg.event === "diff") window.labDiffs += 1; });
    window.streamLab = async (handler) => {
      const before = window.labDiffs;
      await this.pushEvent("apply", handler);
      await this.pushEvent("sync", {step: handler.step});
      return window.labDiffs - before;
    };
  }
};
</script>"""


class StreamLabLiveView(LiveView[dict]):
    template_name = "lab_streams.html"

    async def mount(self, socket, session):
        socket.context = {"songs": Stream(name="songs"), "step": 0, "synced": 0}

    @event("apply")
    async def apply(self, socket, ops: str, step: int, fresh: bool = False):
        """Run one handler's operations; ``fresh`` first empties the list (a new test example)."""
        songs = socket.context["songs"]
        if fresh:
            songs.reset()
        for k, op in enumerate(json.loads(ops)):
            apply_op(songs, tuple(op), f"s{step}o{k}")
        socket.context["step"] = step

    @event("sync")
    async def sync(self, socket, step: int):
        """A round trip after ``apply``: its reply follows every diff that handler pushed."""
        socket.context["synced"] = step


app = create_app(head_html=LAB_HOOKS)
app.add_live_view("/lab/streams", StreamLabLiveView)
