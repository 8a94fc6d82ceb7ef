"""JS commands and hooks: a modal and a dropdown run by ``JS`` commands built in Python, and hooks
(``js.js``, next to this file) that ask the server and show its reply.

Opening, closing, focusing and fading happen in the browser, from the commands in the attributes;
the server never knows whether the modal or the menu is open. It sees only what the commands push
(``sides``, ``clear``) and what the hooks ask (``roll``, ``time``), and answers the hooks with the
dict a handler returns.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from pyview_core import JS, LiveView, LiveViewSocket, event

from ..ui import FADE_IN, FADE_OUT, hide_modal, show_modal, use_kit

use_kit(__file__)  # js.html's modal and buttons are the UI kit's (examples/ui/kit.html)

DIE_SIDES = (4, 6, 8, 12, 20)
KEPT_ROLLS = 10


@dataclass(frozen=True)
class Commands:
    """The page's client-side behaviour, built once (``JS`` values are immutable)."""

    open_modal: JS
    close_modal: JS
    clear: JS
    toggle_menu: JS
    close_menu: JS
    picks: tuple[tuple[int, JS], ...]  # (sides, command) per menu item


CLOSE_MENU = JS.hide(to="#menu", transition=FADE_OUT, time=100).set_attribute(("aria-expanded", "false"), to="#menu-button")

COMMANDS = Commands(
    # Remember what had focus, show the dialog (the kit's ui.modal), and put focus on its first control.
    open_modal=show_modal("modal"),
    # Cancel, Escape and a click outside the dialog; focus goes back where it was.
    close_modal=hide_modal("modal"),
    clear=hide_modal("modal", JS.push("clear")),
    toggle_menu=JS.toggle(to="#menu", in_=FADE_IN, out=FADE_OUT, time=100).toggle_attribute(
        ("aria-expanded", "true", "false"), to="#menu-button"
    ),
    close_menu=CLOSE_MENU,
    picks=tuple((sides, JS.push("sides", value={"sides": sides}) + CLOSE_MENU) for sides in DIE_SIDES),
)


@dataclass
class JsContext:
    js: Commands = COMMANDS
    sides: int = 6
    rolls: list[int] = field(default_factory=list)  # newest first
    asked: int = 0
    pings: int = 0


class JsLiveView(LiveView[JsContext]):
    async def mount(self, socket: LiveViewSocket[JsContext], session):
        socket.context = JsContext()
        socket.live_title = "JS commands and hooks"

    @event("sides")
    async def choose_die(self, socket: LiveViewSocket[JsContext], sides: int):
        if sides in DIE_SIDES:
            socket.context.sides = sides

    @event("roll")
    async def roll(self, socket: LiveViewSocket[JsContext], sides: int) -> dict:
        """The Dice hook's question; the returned dict is the reply its ``pushEvent`` callback gets."""
        if sides not in DIE_SIDES:
            sides = socket.context.sides
        rolled = random.randint(1, sides)
        socket.context.rolls = [rolled, *socket.context.rolls][:KEPT_ROLLS]
        return {"rolled": rolled, "sides": sides}

    @event("clear")
    async def clear(self, socket: LiveViewSocket[JsContext]):
        socket.context.rolls = []

    @event("time")
    async def server_time(self, socket: LiveViewSocket[JsContext]) -> dict:
        """The Clock hook's ``pushEventTo("#server", ...)``: sent to the view that owns ``#server``."""
        socket.context.asked += 1
        return {"time": time.strftime("%H:%M:%S"), "asked": socket.context.asked}

    @event("ping")
    async def ping(self, socket: LiveViewSocket[JsContext]):
        """A button's ``phx-click`` with ``phx-target="#server"``: the same routing, without a hook."""
        socket.context.pings += 1
