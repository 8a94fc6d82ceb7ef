"""A second module with a component named ``Counter`` (as cp_views has): the name is ambiguous
process-wide, and each view's template means the one beside it."""

from __future__ import annotations

from pyview_core import LiveComponent, LiveView


class Counter(LiveComponent[dict]):
    template_name = "cp_other_counter.html"


class Outer(LiveComponent[dict]):
    """Places an ``Inner`` and passes it ``myself``: the inner one must get the outer cid."""

    template_name = "cp_outer.html"


class Inner(LiveComponent[dict]):
    template_name = "cp_inner.html"


class OtherBoard(LiveView[dict]):
    template_name = "cp_other_board.html"

    async def mount(self, socket, session):
        socket.context = {}
