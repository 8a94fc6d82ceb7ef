"""Volume: keyboard events on the window (``phx-window-keydown``), with and without ``phx-key``."""

from __future__ import annotations

from dataclasses import dataclass

from pyview_core import LiveView, LiveViewSocket, event

STEP = 10


@dataclass
class VolumeContext:
    volume: int = 50
    muted: bool = False

    @property
    def bar(self) -> str:
        """What the meter shows (a property: dataclass contexts can compute values for the template)."""
        return "muted" if self.muted else "█" * (self.volume // 10) + "░" * (10 - self.volume // 10)


class VolumeLiveView(LiveView[VolumeContext]):
    async def mount(self, socket: LiveViewSocket[VolumeContext], session):
        socket.context = VolumeContext()
        socket.live_title = "Volume"

    @event("key")
    async def on_key(self, socket: LiveViewSocket[VolumeContext], key: str):
        ctx = socket.context
        if key == "ArrowUp":
            ctx.volume = min(100, ctx.volume + STEP)
        elif key == "ArrowDown":
            ctx.volume = max(0, ctx.volume - STEP)

    @event("toggle_mute")
    async def toggle_mute(self, socket: LiveViewSocket[VolumeContext]):
        socket.context.muted = not socket.context.muted

    @event("set")
    async def set_volume(self, socket: LiveViewSocket[VolumeContext], volume: int):
        socket.context.volume = max(0, min(100, volume))
