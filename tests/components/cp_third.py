"""A view in a module that defines no ``Counter``: placing the ambiguous name is an error."""

from __future__ import annotations

from pyview_core import LiveView


class ThirdBoard(LiveView[dict]):
    template_name = "cp_third_board.html"

    async def mount(self, socket, session):
        socket.context = {}
