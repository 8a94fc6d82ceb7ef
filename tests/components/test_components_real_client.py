"""Live components against the REAL LiveView 1.2.12 client (Node, tests/client/rendered_node.mjs).

Pages are built through the real pipeline, driven as ``LiveChannel._render_diffs`` drives it: a
``ComponentRegistry`` bound while the parent template renders (``live_component(...)`` places
components), ``await registry.settle()``, then ``Differ.join/diff(tree, components=...)``; a
component's own change is ``registry.dirty(cid)``, settle, ``Differ.diff_components``. The
destruction flow is the client's (PROTOCOL.md §6.5): right after a patch that removed components
the client resets their render and sends ``cids_will_destroy``; the server marks them when that
arrives; the client asks ``cids_destroyed`` for those still gone from its DOM; the server deletes
the ones still marked (``registry.destroy``), forgets them (``Differ.forget``) and the client
prunes what it names. Those messages arrive at random points between renders, as they can.

Three component classes on three (four) templates: ``RcCard`` (an ``{% if %}`` node), ``RcGroup``
(a loop placing ``RcBadge`` components, and an ``{% if %}``) and ``RcBadge`` (a loop; it renders
one of two templates depending on its own state). The page places cards in a loop inside an
``{% if %}``, groups in a keyed loop, and one badge alone. Card and badge ids come from the same
small pool: a component is its ``(class, id)``.

Per step (hypothesis, random operation sequences):

* the real client's HTML (client-only attributes stripped) is ``join()`` of a fresh render of the
  same state (``registry.render_fresh``), and the client logs no diagnostics and throws nothing;
* the Python port (``pyview_core.testing.ClientRendered``) gives the same HTML;
* a component-only diff has the key ``"c"`` and nothing else;
* bytes: a component new to the client (or switching template) borrows statics (``"s": +cid`` /
  ``-cid`` of a component of the same template) whenever the client holds one of that template or
  one is sent whole in the same diff, so one diff carries at most one statics array per template;
  a component the client holds with the same template sends no ``"s"``;
* cids: a component keeps its cid (and its own state) until it is destroyed, a new one gets a cid
  never used before, and the Differ holds exactly the components the client holds;
* the DOM side (rendered_node.mjs's CheckingBuffer): no ``data-phx-skip`` placeholder stands for a
  root whose content changed, or hides a component rendered anew inside it; component-only diffs
  are patched as the client does (one patch per changed component the page shows that is not
  inside another one); and the port stamps ``data-phx-component`` on the same elements.

The client's own component bookkeeping travels to rendered_node.mjs as steps of their own:
``{"__will_destroy__": [cids]}`` (``resetRender``, right after the patch that removed them) and
``{"__prune__": [cids]}`` (``pruneCIDs``, on the ``cids_destroyed`` reply).

Three server bugs were found here and fixed; the tests at the end of this module replay each, and
the property now covers what triggered them (``switch_templates``, ``couple``, ``destroy_race``).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

_CLIENT = str(Path(__file__).resolve().parents[1] / "client")
if _CLIENT not in sys.path:
    sys.path.insert(0, _CLIENT)
_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from async_runner import run
from node_client import ClientRun, NodeClient, NodeClientError, shared_client

from pyview_core import LiveComponent
from pyview_core.component_globals import (
    bind,
    live_component_global,
    myself_global,
    unbind,
)
from pyview_core.component_registry import ComponentRegistry
from pyview_core.diff import Differ
from pyview_core.testing.client import ClientRendered, without_component_marks
from pyview_templates import DictLoader, Environment
from pyview_templates.tree import ComponentRef, Comprehension, Rendered, join


@pytest.fixture(scope="module")
def real_client() -> NodeClient:
    """The shared ``node tests/client/rendered_node.mjs`` (tests/client/node_client.py): skips
    when Node or the npm client is missing, except on CI (``CI`` set), where it fails."""
    return shared_client()


# ------------------------------------------------------------------------------------------------
# the page and its components
# ------------------------------------------------------------------------------------------------

TEMPLATES = {
    "page.html": (
        '<main id="page"><h1>{{ title }}</h1>'
        '{% if show %}<ul class="cards">{% for id in cards %}{{ live_component(RcCard, id=id, label=labels[id]) }}{% endfor %}</ul>'
        '{% else %}<p>hidden</p>{% endif %}'
        '<section>{% for g in groups key g.id %}<div id="g-{{ g.id }}">'
        "{{ live_component(RcGroup, id=g.id, name=g.name, members=g.members) }}</div>{% endfor %}</section>"
        '{% if solo %}<aside>{{ live_component(RcBadge, id=solo, text=solo_text) }}</aside>{% endif %}</main>'
    ),
    "card.html": (
        '<li id="card-{{ id }}" class="card" phx-click="click" phx-target="{{ myself }}">{{ label }}'
        "{% if clicks %}<b>{{ clicks }}</b>{% else %}<i>none</i>{% endif %}</li>"
    ),
    "group.html": (
        '<div class="group" phx-target="{{ myself }}"><h2>{{ name }}</h2>'
        "{% if open %}<p>open {{ open }}</p>{% endif %}"
        "<ol>{% for m in members %}<li>{{ live_component(RcBadge, id=m, text=name) }}</li>{% endfor %}</ol></div>"
    ),
    "badge.html": '<span class="badge">{{ text }}{% for s in stars %}<em>{{ s }}</em>{% endfor %}</span>',
    "badge_wide.html": '<strong class="badge wide">{{ text }}:{{ id }}{% for s in stars %}<u>{{ s }}</u>{% endfor %}</strong>',
}

FP_NAMES: dict[int, str] = {}  # root fingerprint of a component's tree -> its template's name


def _tree(name: str, ctx: Any) -> Rendered:
    tree = ENV.get_template(name).tree(ctx)
    FP_NAMES[tree.fingerprint] = name
    return tree


class RcCard(LiveComponent[dict]):
    """Own state: ``clicks``."""

    async def mount(self, socket):
        socket.context = {"clicks": 0}

    def render(self, context):
        return _tree("card.html", context)


class RcGroup(LiveComponent[dict]):
    """Places a badge per member. Own state: ``open``."""

    async def mount(self, socket):
        socket.context = {"open": 0}

    def render(self, context):
        return _tree("group.html", context)


class RcBadge(LiveComponent[dict]):
    """Own state: ``stars`` (a loop) and ``wide`` (which template it renders)."""

    async def mount(self, socket):
        socket.context = {"stars": [], "wide": False}

    def render(self, context):
        return _tree("badge_wide.html" if context["wide"] else "badge.html", context)


ENV = Environment(
    loader=DictLoader(TEMPLATES),
    globals={
        "live_component": live_component_global, "myself": myself_global,
        "RcCard": RcCard, "RcGroup": RcGroup, "RcBadge": RcBadge,
    },
)

OWN_DEFAULTS = {"RcCard": {"clicks": 0}, "RcGroup": {"open": 0}, "RcBadge": {"stars": [], "wide": False}}


class _ParentSocket:
    """What a ComponentSocket may ask of its view (nothing here asks)."""

    connected = True


def wire(payload: Any) -> Any:
    """What travels: JSON (statics tuples become arrays, cid keys strings)."""
    return json.loads(json.dumps(payload))


class Page:
    """One connected view: its state, its component registry and its Differ."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {
            "title": "T", "show": True, "cards": ["a", "b"], "labels": {"a": "A", "b": "B"},
            "groups": [{"id": 1, "name": "one", "members": ["c"]}], "solo": None, "solo_text": "solo",
            "gone": [],  # ids that left the page, in order (not rendered: it steers the ops)
        }
        self.registry = ComponentRegistry(_ParentSocket(), "RcPage")
        self.differ = Differ()

    def _render_view(self) -> Rendered:
        return ENV.get_template("page.html").tree(copy.deepcopy(self.state))

    async def render(self) -> tuple[Rendered, dict[int, Rendered]]:
        """A view render pass, as ``_render_diffs`` makes it."""
        token = bind(self.registry)
        try:
            self.registry.begin_pass(view_renders=True)
            tree = self._render_view()
            components = await self.registry.settle()
        finally:
            unbind(token)
        return tree, components

    async def render_components(self, cids: list[int]) -> dict[int, Rendered]:
        """A component-only pass: the components changed their own state (they handled events)."""
        token = bind(self.registry)
        try:
            self.registry.begin_pass()
            for cid in cids:
                self.registry.dirty(cid)
            return await self.registry.settle()
        finally:
            unbind(token)

    def fresh(self) -> Rendered:
        """The view and its components from their current state, without ``update``."""
        token = bind(self.registry)
        try:
            tree, _ = self.registry.render_fresh(self._render_view)
        finally:
            unbind(token)
        return tree


def page_cids(tree: Any, out: list[int] | None = None) -> list[int]:
    """The cids a tree shows, in document order (nested components included)."""
    if out is None:
        out = []
    t = type(tree)
    if t is ComponentRef:
        out.append(tree.cid)
        if tree.tree is not None:
            page_cids(tree.tree, out)
    elif t is Rendered:
        for d in tree.dynamics:
            page_cids(d, out)
    elif t is Comprehension:
        for entry in tree.entries:
            for d in entry:
                page_cids(d, out)
    return out


# The client-only marks on component roots (data-phx-id and data-phx-skip are already stripped by
# rendered_node.mjs).
_CLIENT_ATTRS = re.compile(r' data-phx-component="[0-9]+"| data-phx-view="[^"]*"| data-phx-id="[^"]*"| data-phx-skip(?=[\s>/])')


def strip_client_attrs(html: str) -> str:
    return _CLIENT_ATTRS.sub("", html)


# ------------------------------------------------------------------------------------------------
# the checks of one scenario
# ------------------------------------------------------------------------------------------------

@dataclass
class Trace:
    """What a scenario sent and what the page should show after each step."""

    payloads: list[Any] = field(default_factory=list)  # join, then diffs and bookkeeping steps
    expected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what each step was

    def add(self, payload: Any, expected: str, note: str) -> None:
        self.payloads.append(payload)
        self.expected.append(expected)
        self.notes.append(note)

    def report(self, got: list[str] | None = None, step: int | None = None, who: str = "") -> str:
        lines = [f"{who} disagrees at step {step}" if step is not None else who]
        for i, (p, e, n) in enumerate(zip(self.payloads, self.expected, self.notes)):
            mark = "  <==" if i == step else ""
            lines.append(f"-- step {i}: {n}{mark}\n   wire:     {json.dumps(p)}\n   expected: {e}")
            if got is not None and i < len(got) and got[i] != e:
                lines.append(f"   got:      {got[i]}")
        return "\n".join(lines)


def check_borrowing(payload: dict, components: dict[int, Rendered], held: dict[int, str], where: str) -> None:
    """The byte rules of "c" (PROTOCOL.md §4.4) against what the client holds (``held``: cid ->
    template name) before this payload; then ``held`` is updated."""
    c = payload.get("c", {})
    whole: dict[str, int] = {}  # template -> cid sent with a statics array in this diff
    for key, value in c.items():
        cid = int(key)
        tpl = FP_NAMES[components[cid].fingerprint]
        s = value.get("s", None)
        assert value.get("r") == 1 or ("s" not in value), f"{where}: component {cid} sent whole without \"r\": 1: {value}"
        if held.get(cid) == tpl:
            assert "s" not in value, (
                f"{where}: component {cid} ({tpl}) is held by the client with the same template, yet its diff "
                f"carries statics: {value}"
            )
            continue
        held_same = sorted(h for h, t in held.items() if t == tpl and h != cid)
        if isinstance(s, int):
            if s > 0:
                source = c.get(str(s))
                assert source is not None and isinstance(source.get("s"), list), (
                    f"{where}: component {cid} borrows \"s\": +{s}, which this diff does not send whole: {c.get(str(s))}"
                )
                assert FP_NAMES[components[s].fingerprint] == tpl, (
                    f"{where}: component {cid} ({tpl}) borrows the statics of +{s}, a "
                    f"{FP_NAMES[components[s].fingerprint]}"
                )
            else:
                assert held.get(-s) == tpl, (
                    f"{where}: component {cid} ({tpl}) borrows \"s\": {s}, but the client holds component {-s} as "
                    f"{held.get(-s) or 'nothing'} (the client renders {-s}'s statics with {cid}'s dynamics)"
                )
        else:
            assert isinstance(s, list), f"{where}: component {cid} new to the client without statics: {value}"
            assert not held_same, (
                f"{where}: component {cid} ({tpl}) sends its statics although the client holds {held_same} of the "
                f"same template (it should borrow \"s\": -{held_same[0]})"
            )
            assert tpl not in whole, (
                f"{where}: components {whole[tpl]} and {cid} of {tpl} both send statics in one diff "
                f"({cid} should borrow \"s\": +{whole[tpl]})"
            )
            whole[tpl] = cid
    for key in c:
        held[int(key)] = FP_NAMES[components[int(key)].fingerprint]


class Scenario:
    """Drives a Page step by step, checking the server-side invariants as it goes; ``trace`` is
    what the clients replay."""

    def __init__(self, destroy_race: bool = True) -> None:
        self.page = Page()
        self.trace = Trace()
        self.destroy_race = destroy_race  # see DESTROY_RACE_FIXED
        self.held: dict[int, str] = {}  # what the client holds: cid -> template
        self.on_page: list[int] = []
        self.alive: dict[tuple[str, Any], int] = {}  # (class, id) -> cid, until destroyed
        self.own: dict[tuple[str, Any], dict[str, Any]] = {}  # the components' own state, as the model says
        self.max_cid = 0
        # The client's pushes not yet at the server, in the order it sent them (one channel):
        # ("cids_will_destroy", cids) after a patch removed components, ("cids_destroyed", cids)
        # when a cids_will_destroy reply came back.
        self.outbox: list[tuple[str, list[int]]] = []
        self.seen: list[str] = []  # situations met (hypothesis events, and the named scenarios' checks)

    # --- steps -----------------------------------------------------------------------------------
    async def join(self) -> None:
        tree, components = await self.page.render()
        payload = wire(self.page.differ.join(tree, components=components))
        check_borrowing(payload, components, self.held, "join")
        self._after_render(tree, payload, "join")

    async def view_step(self, note: str) -> None:
        """A view render. As ``_render_diffs`` does, a component the view's render does not reach
        (``send_update`` to one off the page, or to one inside a component that did not re-render)
        goes in a component-only diff of its own, right after the view's."""
        tree, components = await self.page.render()
        reached = self.page.registry.reached_from_view()
        unplaced = {cid: t for cid, t in components.items() if cid not in reached}
        placed = {cid: t for cid, t in components.items() if cid in reached}
        payload = wire(self.page.differ.diff(tree, components=placed))
        check_borrowing(payload, placed, self.held, note)
        extra = wire(self.page.differ.diff_components(unplaced)) if unplaced else {}
        self._after_render(tree, payload, note)
        if extra:
            assert set(extra) == {"c"}, f"{note}: the diff of the components no render placed: {extra}"
            check_borrowing(extra, unplaced, self.held, note + " (components no render placed)")
            self.seen.append("unplaced-components")
            self.trace.add(extra, self.trace.expected[-1], f"{note}: components no render placed, in a diff of their own")

    async def component_step(self, cids: list[int], note: str) -> None:
        components = await self.page.render_components(cids)
        payload = wire(self.page.differ.diff_components(components))
        assert set(payload) <= {"c"}, f"{note}: a component-only diff has keys {sorted(payload)}: {payload}"
        for cid in cids:
            assert str(cid) in payload.get("c", {}), f"{note}: component {cid} changed but is not in the diff {payload}"
        check_borrowing(payload, components, self.held, note)
        self._after_render(None, payload, note)

    def _after_render(self, tree: Rendered | None, payload: dict, note: str) -> None:
        fresh = self.page.fresh()
        html = join(fresh)
        if tree is not None:
            assert join(tree) == html, f"{note}: the settled tree and a fresh render differ"
        before = self.on_page
        self.on_page = page_cids(fresh)
        returned = [cid for cid in self.on_page if cid not in before and cid in self.alive.values()]
        if returned:
            self.seen.append("back-with-its-cid")
        self._check_cids(note)
        for value in payload.get("c", {}).values():
            s = value.get("s")
            if isinstance(s, int):
                self.seen.append("borrow-from-this-diff" if s > 0 else "borrow-from-the-client")
        if payload or not self.trace.payloads:  # the channel sends no empty diff
            self.trace.add(payload, html, note)
        removed = [cid for cid in before if cid not in self.on_page]
        if removed:
            # The client, right after the patch: resetRender + cids_will_destroy (PROTOCOL.md §6.5).
            self.trace.add({"__will_destroy__": removed}, html, f"client: will destroy {removed}")
            self.outbox.append(("cids_will_destroy", removed))
        assert self.page.differ.component_count == len(self.held), (
            f"{note}: the Differ holds {self.page.differ.component_count} components, the client {sorted(self.held)}"
        )

    def _check_cids(self, note: str) -> None:
        registry = self.page.registry
        now: dict[tuple[str, Any], int] = {}
        for cid in registry.cids:
            entry = registry.entry(cid)
            key = (entry.cls.__name__, entry.id)
            now[key] = cid
            if key in self.alive:
                assert cid == self.alive[key], (
                    f"{note}: {key} had cid {self.alive[key]} and was not destroyed, but now has cid {cid}"
                )
            else:
                assert cid > self.max_cid, f"{note}: new component {key} got cid {cid}, not above {self.max_cid} (reused)"
                if key in self.own:  # destroyed, then placed again: a fresh component
                    self.seen.append("new-after-destroy")
                self.own[key] = copy.deepcopy(OWN_DEFAULTS[key[0]])
            context = entry.socket.context
            for name, value in self.own[key].items():
                assert context[name] == value, (
                    f"{note}: {key} (cid {cid}) has {name}={context[name]!r}, expected {value!r} (its own state)"
                )
        lost = set(self.alive) - set(now)
        assert not lost, f"{note}: components {lost} left the registry without being destroyed"
        self.alive = now
        if now:
            self.max_cid = max(self.max_cid, max(now.values()))

    def own_change(self, key: tuple[str, Any], change: str) -> int | None:
        """Change the own state of component ``key`` (it handled an event); its cid."""
        cid = self.alive.get(key)
        if cid is None or cid not in self.on_page:
            return None  # events only come from components on the page
        context = self.page.registry.entry(cid).socket.context
        own = self.own[key]
        if change == "click":
            own["clicks"] = context["clicks"] = context["clicks"] + 1
        elif change == "open":
            own["open"] = context["open"] = 0 if context["open"] >= 2 else context["open"] + 1
        elif change == "star":
            stars = context["stars"]
            new = stars[:-1] if len(stars) >= 3 else stars + [f"s{len(stars)}<"]
            own["stars"], context["stars"] = list(new), new
        elif change == "widen":
            own["wide"] = context["wide"] = not context["wide"]
        return cid

    def deliver(self) -> None:
        """The client's oldest push not yet handled reaches the server.

        ``cids_will_destroy``: the server marks the cids; on the reply the client asks
        ``cids_destroyed`` for those still absent from its DOM (a later push than any it sent
        before). ``cids_destroyed``: the server deletes what is still marked, forgets it, and the
        client prunes what the reply names."""
        if not self.outbox:
            return
        kind, cids = self.outbox.pop(0)
        if kind == "cids_will_destroy":
            if not self.destroy_race:
                # Keep away from the race of test_bug_destroyed_while_back_on_the_page: a component
                # back on the page that an earlier cids_destroyed still names is not marked.
                named = {cid for k, later in self.outbox if k == "cids_destroyed" for cid in later}
                cids = [cid for cid in cids if not (cid in self.on_page and cid in named)]
            self.page.registry.mark_for_destroy(cids)
            absent = [cid for cid in cids if cid not in self.on_page]
            if absent:
                self.outbox.append(("cids_destroyed", absent))
            return
        gone = self.page.registry.destroy(cids)
        self.page.differ.forget(gone)
        assert set(gone) <= set(cids)
        for cid in gone:
            assert cid not in self.on_page, f"cids_destroyed {cids} deleted component {cid}, which is on the page"
            self.held.pop(cid, None)
        self.alive = {key: cid for key, cid in self.alive.items() if cid not in gone}
        if gone:
            self.seen.append("pruned")
            self.trace.add({"__prune__": gone}, self.trace.expected[-1], f"cids_destroyed {cids} -> pruned {gone}")
        self._check_cids(f"after cids_destroyed {cids}")
        assert self.page.differ.component_count == len(self.held)

    def deliver_all(self) -> None:
        while self.outbox:
            self.deliver()


# ------------------------------------------------------------------------------------------------
# operations
# ------------------------------------------------------------------------------------------------

POOL = ["a", "b", "c", "d", "e"]  # ids of cards AND badges: (RcCard, "a") and (RcBadge, "a") are distinct
GROUP_IDS = [1, 2, 3]
TEXTS = ["A", "b<i>", "&amp;", '"q"', "", "é"]

VIEW_OPS = [
    "add_card", "remove_card", "move_card", "relabel", "replace_card_id", "toggle_show",
    "add_group", "remove_group", "move_group", "rename_group",
    "add_member", "remove_member", "move_member", "solo", "title",
]
OWN_OPS = ["click", "open", "star", "widen", "many"]  # a component handled an event: component-only diff
# The client's pushes reach the server one at a time, between renders ("deliver"), or all of them
# ("deliver_all": an idle moment, the cids_destroyed their replies cause included).
OTHER_OPS = ["send_update", "deliver", "deliver_all"]
ALL_OPS = VIEW_OPS + OWN_OPS + OTHER_OPS

# Server bugs found by these tests and fixed (see the regression tests at the end of this module);
# the property covers what triggered them.
#: Differ._by_print keeps naming a component as the holder of a template after it switched to
#: another one: a new component of the first template borrows the wrong statics ("s": -cid).
STALE_BORROW_FIXED = True
#: A full (not component-only) diff that changes a component inside a view node or a component
#: that did not change itself: the client skips that unchanged root ("r": 1) and drops the new
#: content of the component inside it.
LOST_UPDATE_FIXED = True
#: cids_will_destroy marks a component the server has put back on the page since the client sent
#: it; a cids_destroyed the client sent before it saw the component back (still naming it) then
#: deletes it while it is on the page, and the client prunes it.
DESTROY_RACE_FIXED = True


# What the property and the named scenarios stay away from until the bugs are fixed.
KNOWN_BUGS = {
    "switch_templates": STALE_BORROW_FIXED, "couple": LOST_UPDATE_FIXED, "destroy_race": DESTROY_RACE_FIXED,
}


def _free(used, state: dict) -> list[str]:
    """The pool's ids not in ``used``, those that left the page most recently first (so that an
    id often comes back, before or after its component is destroyed)."""
    recent = [x for x in reversed(state["gone"]) if x not in used]
    return list(dict.fromkeys(recent + [x for x in POOL if x not in used]))


def _gone(state: dict, *ids) -> None:
    state["gone"].extend(x for x in ids if x)


def _badges_placed(state: dict) -> set[str]:
    placed = {m for g in state["groups"] for m in g["members"]}
    if state["solo"]:
        placed.add(state["solo"])
    return placed


def apply_view_op(state: dict, op: str, i: int, j: int, text: str, couple: bool) -> str | None:
    """Change the view's state; a description, or None when the op does not apply.
    ``couple``: the lone badge shows the title (a title change changes that component too)."""
    cards, groups = state["cards"], state["groups"]
    if op == "add_card":
        free = _free(cards, state)
        if not free:
            return None
        new = free[i % len(free)]
        cards.insert(j % (len(cards) + 1), new)
        state["labels"][new] = text
        return f"add card {new!r}"
    if op == "remove_card" and cards:
        removed = cards.pop(i % len(cards))
        _gone(state, removed)
        return f"remove card {removed!r}"
    if op == "move_card" and len(cards) > 1:
        moved = cards.pop(i % len(cards))
        cards.insert(j % (len(cards) + 1), moved)
        return f"move card {moved!r} to {cards.index(moved)}"
    if op == "relabel" and cards:
        card = cards[i % len(cards)]
        state["labels"][card] = text
        return f"relabel card {card!r} {text!r}"
    if op == "replace_card_id" and cards:
        free = _free(cards, state)
        if not free:
            return None
        k = i % len(cards)
        old, cards[k] = cards[k], free[j % len(free)]
        _gone(state, old)
        state["labels"][cards[k]] = text
        return f"card {old!r} becomes {cards[k]!r}"
    if op == "toggle_show":
        state["show"] = not state["show"]
        return f"show cards: {state['show']}"
    if op == "add_group":
        free = [g for g in GROUP_IDS if g not in [x["id"] for x in groups]]
        if not free:
            return None
        gid = free[i % len(free)]
        groups.insert(j % (len(groups) + 1), {"id": gid, "name": text or f"g{gid}", "members": []})
        return f"add group {gid}"
    if op == "remove_group" and groups:
        removed = groups.pop(i % len(groups))
        _gone(state, *removed["members"])
        return f"remove group {removed['id']} (with badges {removed['members']})"
    if op == "move_group" and len(groups) > 1:
        moved = groups.pop(i % len(groups))
        groups.insert(j % (len(groups) + 1), moved)
        return f"move group {moved['id']} to {groups.index(moved)}"
    if op == "rename_group" and groups:
        g = groups[i % len(groups)]
        g["name"] = text
        return f"rename group {g['id']} {text!r}"
    if op == "add_member" and groups:
        free = _free(_badges_placed(state), state)
        if not free:
            return None
        g = groups[i % len(groups)]
        new = free[j % len(free)]
        g["members"].insert(j % (len(g["members"]) + 1), new)
        return f"badge {new!r} into group {g['id']}"
    if op == "remove_member":
        full = [g for g in groups if g["members"]]
        if not full:
            return None
        g = full[i % len(full)]
        removed = g["members"].pop(j % len(g["members"]))
        _gone(state, removed)
        return f"badge {removed!r} out of group {g['id']}"
    if op == "move_member":
        full = [g for g in groups if g["members"]]
        if not full:
            return None
        src = full[i % len(full)]
        badge = src["members"].pop(j % len(src["members"]))
        dst = groups[(i + j) % len(groups)]
        dst["members"].insert(i % (len(dst["members"]) + 1), badge)
        return f"badge {badge!r} from group {src['id']} to group {dst['id']}"
    if op == "solo":
        choice = [None] + _free(_badges_placed(state), state)
        _gone(state, state["solo"])
        state["solo"] = choice[i % len(choice)]
        return f"solo badge {state['solo']!r}"
    if op == "title":
        state["title"] = text
        if couple:
            state["solo_text"] = text
        return f"title {text!r}" + (" (the lone badge shows it)" if couple else "")
    return None


# What each class's own state op is, and what "many" does to it.
OWN_CHANGES = {"RcCard": ("click",), "RcGroup": ("open",), "RcBadge": ("star", "widen")}


async def run_ops(
    ops: list[tuple], *, switch_templates: bool = True, couple: bool = True, destroy_race: bool = True,
) -> Scenario:
    """Run ``ops`` on a fresh page. ``switch_templates``: "widen" makes a badge render its other
    template; ``couple``: a view change and a component change may travel in one full diff (a
    title the lone badge shows; ``send_update`` from a view handler that also changes the view);
    ``destroy_race``: the client's destruction pushes may interleave as in DESTROY_RACE_FIXED."""
    sc = Scenario(destroy_race)
    await sc.join()
    for n, (op, i, j, text, *after) in enumerate(ops):
        await _apply(sc, n, op, i, j, text, switch_templates, couple)
        for then in after:  # what the client's messages do right after this step
            if then is not None:
                await _apply(sc, n, then, i, j, text, switch_templates, couple)
    return sc


async def _apply(sc: Scenario, n: int, op: str, i: int, j: int, text: str, switch_templates: bool, couple: bool) -> None:
    """One operation (``ops`` entries are ``(op, i, j, text[, then])``)."""
    if op in VIEW_OPS:
        note = apply_view_op(sc.page.state, op, i, j, text, couple)
        if note is not None:
            await sc.view_step(f"op {n}: {note}")
    elif op in OWN_OPS:
        keys = [k for k, cid in sc.alive.items() if cid in sc.on_page]
        if not keys:
            return
        if op == "many":
            picks = list(dict.fromkeys(keys[x % len(keys)] for x in (i, j, i + j + 1)))
        else:
            picks = [keys[i % len(keys)]]
        cids, done = [], []
        for key in picks:
            change = op if op in OWN_CHANGES[key[0]] else OWN_CHANGES[key[0]][0]
            if change == "widen" and not switch_templates:
                change = "star"
            cid = sc.own_change(key, change)
            if cid is not None:
                cids.append(cid)
                done.append(f"{change} {key} (cid {cid})")
        if cids:
            await sc.component_step(cids, f"op {n}: component-only: {', '.join(done)}")
    elif op == "send_update":
        # A view handler calls socket.send_update(Cls, id, ...) (and, coupled, changes the view):
        # update() merges the assigns, and the component renders in the view's render pass. The
        # target may have left the page and not be destroyed yet (not a group: its render would
        # place its badges again, wherever they are now).
        keys = [k for k, cid in sc.alive.items() if cid in sc.on_page or k[0] != "RcGroup"]
        if not keys:
            return
        key = keys[i % len(keys)]
        cid = sc.alive[key]
        context = sc.page.registry.entry(cid).socket.context
        if key[0] == "RcCard":
            name, value = "clicks", context["clicks"] + 1
        elif key[0] == "RcGroup":
            name, value = "open", (context["open"] + 1) % 3
        else:
            stars = context["stars"]
            name, value = "stars", stars[:-1] if len(stars) >= 3 else stars + ["u"]
        sc.own[key][name] = copy.deepcopy(value)
        entry = sc.page.registry.entry(cid)
        assert sc.page.registry.queue_update(entry.cls, entry.id, {name: value})
        note = f"send_update({key[0]}, {key[1]!r}, {name}={value!r})"
        if couple:
            sc.page.state["title"] = text
            note += f" and title {text!r}"
        await sc.view_step(f"op {n}: {note}")
    elif op == "deliver":
        sc.deliver()
    elif op == "deliver_all":
        sc.deliver_all()


def _run_node(client: NodeClient, payloads: list[Any]) -> tuple[ClientRun | None, NodeClientError | None, list]:
    """The real client on one scenario, with the diagnostics its logError reported (which
    ``NodeClient.run_full`` does not return)."""
    ident = next(client._ids)
    client._send([{"id": ident, "join": payloads[0], "diffs": payloads[1:]}])
    answer = client._wait(ident)
    diagnostics = answer.get("diagnostics") or []
    try:
        return NodeClient._result(answer), None, diagnostics
    except NodeClientError as exc:
        return None, exc, diagnostics


def port_replay(payloads: list[Any]) -> list[str]:
    """The Python port on the same steps (the bookkeeping steps prune, as the client does):
    its ``html()`` per step, with the ``data-phx-component`` marks it puts on component roots."""
    port = ClientRendered(payloads[0])
    out = [port.html()]
    for p in payloads[1:]:
        if "__prune__" in p or "__will_destroy__" in p:
            port.prune(p.get("__prune__", []))
        else:
            port.merge(p)
        out.append(port.html())
    return out


_VIEW_ATTR = re.compile(r' data-phx-view="[^"]*"')


def client_problem(client: NodeClient, trace: Trace) -> str | None:
    """Replay ``trace`` on the real client and on the Python port: what is wrong, or None."""
    payloads = copy.deepcopy(trace.payloads)
    result, error, diagnostics = _run_node(client, payloads)
    if error is not None:
        return (f"the real client threw, or its patch would leave the DOM stale: {error}\n"
                f"diagnostics: {diagnostics}\n" + trace.report(
                    [strip_client_attrs(h) for h in error.html], error.step, "the real client (node)"))
    if diagnostics:
        return f"the real client logged: {diagnostics}\n" + trace.report(None, None, "")
    node = [strip_client_attrs(h) for h in result.html]
    if node != trace.expected:
        step = next(k for k, (a, b) in enumerate(zip(node, trace.expected)) if a != b)
        return trace.report(node, step, "the real client (node)")
    try:
        marked = port_replay(copy.deepcopy(trace.payloads))
    except ValueError as exc:
        return f"the Python port refused the wire: {exc}\n" + trace.report(None, None, "the Python port")
    port = [without_component_marks(h) for h in marked]
    if port != trace.expected:
        step = next(k for k, (a, b) in enumerate(zip(port, trace.expected)) if a != b)
        return trace.report(port, step, "the Python port (ClientRendered)")
    # and the port marks the same elements with the same cids as the real client
    node_marked = [_VIEW_ATTR.sub("", h) for h in result.html]
    if marked != node_marked:
        step = next(k for k, (a, b) in enumerate(zip(marked, node_marked)) if a != b)
        return f"data-phx-component marks differ at step {step}:\n  node: {node_marked[step]}\n  port: {marked[step]}"
    return None


def check_clients(client: NodeClient, trace: Trace) -> None:
    problem = client_problem(client, trace)
    if problem is not None:
        pytest.fail(problem, pytrace=False)


# ------------------------------------------------------------------------------------------------
# the property
# ------------------------------------------------------------------------------------------------

# Each operation may be followed by client pushes reaching the server (a component is destroyed
# only after a removal, its cids_will_destroy and then its cids_destroyed); removals and additions
# weigh more, so that ids leave and come back.
op_strategy = st.tuples(
    st.sampled_from(ALL_OPS + ["remove_card", "remove_member", "add_card", "solo"]),
    st.integers(0, 6), st.integers(0, 6), st.sampled_from(TEXTS),
    st.sampled_from([None, None, None, "deliver", "deliver", "deliver_all"]),
)

SETTINGS = {
    "max_examples": 500,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
}


@settings(**SETTINGS)
@given(ops=st.lists(op_strategy, min_size=3, max_size=24))
def test_real_client_renders_components_like_a_fresh_render(real_client, ops):
    sc = run(run_ops(ops, **KNOWN_BUGS))
    for what in sorted(set(sc.seen)):
        event(what)  # --hypothesis-show-statistics: how often each situation came up
    check_clients(real_client, sc.trace)


# Named scenarios: sequences the property may or may not draw, run every time.
SCENARIOS = {
    # removed, then back before cids_destroyed: same cid, same state, and not destroyed after all
    "readd-before-destroy": [
        ("click", 0, 0, ""), ("remove_card", 0, 0, ""), ("deliver", 0, 0, ""),
        ("add_card", 0, 0, "again"), ("deliver", 0, 0, ""), ("relabel", 0, 0, "x"), ("click", 0, 0, ""),
    ],
    # removed and back before the client's cids_will_destroy even arrives (marked while shown)
    "readd-before-will-destroy": [
        ("click", 0, 0, ""), ("remove_card", 0, 0, ""), ("add_card", 0, 0, "again"),
        ("deliver", 0, 0, ""), ("deliver", 0, 0, ""), ("remove_card", 0, 0, ""),
        ("deliver", 0, 0, ""), ("deliver", 0, 0, ""), ("add_card", 0, 0, "new"),
    ],
    # removed, destroyed (pruned), then back: a new cid, fresh state, statics borrowed from "b"
    "readd-after-destroy": [
        ("click", 0, 0, ""), ("remove_card", 0, 0, ""), ("deliver", 0, 0, ""),
        ("deliver", 0, 0, ""), ("add_card", 0, 0, "new a"),
    ],
    # both cards go and are destroyed; a new card must send the statics again
    "forget-the-only-holders": [
        ("remove_card", 0, 0, ""), ("remove_card", 0, 0, ""), ("deliver", 0, 0, ""),
        ("deliver", 0, 0, ""), ("deliver", 0, 0, ""), ("deliver", 0, 0, ""),
        ("add_card", 2, 0, "c"), ("add_card", 2, 0, "d"),
    ],
    # the whole list hidden and shown again before the server hears of it
    "hide-and-show": [
        ("toggle_show", 0, 0, ""), ("toggle_show", 0, 0, ""), ("deliver", 0, 0, ""),
        ("deliver", 0, 0, ""), ("click", 0, 0, ""),
    ],
    # a badge moves from its group to another and to the page (a component changes parent)
    "badge-changes-parent": [
        ("add_group", 0, 1, "two"), ("move_member", 0, 0, ""), ("star", 3, 0, ""),
        ("remove_member", 0, 0, ""), ("solo", 1, 0, ""), ("star", 4, 0, ""),
    ],
    # groups reorder (keyed moves of entries holding components) and change their own state
    "keyed-moves": [
        ("add_group", 0, 1, "two"), ("add_group", 0, 2, "three"), ("add_member", 1, 0, ""),
        ("move_group", 0, 2, ""), ("open", 2, 0, ""), ("move_group", 2, 0, ""), ("many", 0, 3, ""),
    ],
    # a group leaves with its badges; a badge of it comes back alone before destruction
    "group-leaves": [
        ("add_member", 0, 1, ""), ("remove_group", 0, 0, ""), ("deliver", 0, 0, ""),
        ("solo", 1, 0, ""), ("deliver", 0, 0, ""), ("add_group", 0, 0, "back"), ("add_member", 0, 0, ""),
    ],
    # send_update from a view handler that changes nothing else: the diff is "c" alone
    "send-update-alone": [("send_update", 0, 0, ""), ("send_update", 3, 0, ""), ("send_update", 2, 0, "")],
    # send_update to card "a" after it left the page: a component-only diff of its own, then it
    # is destroyed, and "a" comes back as a new component
    "send-update-off-the-page": [
        ("remove_card", 0, 0, ""), ("send_update", 0, 0, ""), ("deliver_all", 0, 0, ""), ("add_card", 0, 0, "a"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_named_scenarios(real_client, name):
    sc = run(run_ops(SCENARIOS[name], **KNOWN_BUGS))
    check_clients(real_client, sc.trace)
    if name == "readd-after-destroy":
        assert "new-after-destroy" in sc.seen
    if name == "send-update-off-the-page":
        assert "unplaced-components" in sc.seen and "pruned" in sc.seen and "new-after-destroy" in sc.seen


def test_readded_component_keeps_cid_and_state_until_destroyed():
    """The model behind the scenarios, spelled out: card "a" removed and placed again before
    cids_destroyed keeps cid 1 and its clicks; after destruction it is a new cid with fresh state."""
    async def scenario():
        sc = Scenario()
        await sc.join()
        registry = sc.page.registry
        sc.own_change(("RcCard", "a"), "click")
        await sc.component_step([1], "click a")
        sc.page.state["cards"].remove("a")
        await sc.view_step("remove a")
        sc.deliver()  # cids_will_destroy [1]: marks 1; the client then asks cids_destroyed [1]
        sc.page.state["cards"].append("a")
        await sc.view_step("a is back")
        sc.deliver()  # cids_destroyed [1]: 1 was placed again, so it is not deleted
        assert registry.entry(1) is not None and registry.entry(1).socket.context["clicks"] == 1
        assert 1 in sc.on_page
        sc.page.state["cards"].remove("a")
        await sc.view_step("remove a again")
        sc.deliver_all()
        assert registry.entry(1) is None and sc.page.differ.component_count == len(sc.held)
        sc.page.state["cards"].append("a")
        await sc.view_step("a once more")
        cid = sc.alive[("RcCard", "a")]
        assert cid > 1 and registry.entry(cid).socket.context["clicks"] == 0
        return sc

    sc = run(scenario())
    assert [p for p in sc.trace.payloads if "__prune__" in p] == [{"__prune__": [1]}]


# ------------------------------------------------------------------------------------------------
# exact wire output of the statics borrowing rules (PROTOCOL.md §4.4)
# ------------------------------------------------------------------------------------------------

def _cards_page(ids: list[str]) -> Page:
    page = Page()
    page.state.update(cards=list(ids), labels={x: x.upper() for x in POOL}, groups=[], solo=None)
    return page


CARD_STATICS = [
    '<li id="card-', '" class="card" phx-click="click" phx-target="', '">', "", "</li>",
]


def test_first_render_of_n_cards_sends_the_statics_once():
    async def go():
        page = _cards_page(["a", "b", "c"])
        tree, components = await page.render()
        return wire(page.differ.join(tree, components=components))

    rendered = run(go())
    c = rendered["c"]
    assert c["1"] == {"s": CARD_STATICS, "0": "a", "1": "1", "2": "A", "3": {"s": ["<i>none</i>"], "r": 1}, "r": 1}
    assert c["2"] == {"s": 1, "0": "b", "1": "2", "2": "B", "3": {}, "r": 1}
    assert c["3"] == {"s": 1, "0": "c", "1": "3", "2": "C", "3": {}, "r": 1}
    assert rendered["1"]["0"]["k"] == {"0": {"0": 1}, "1": {"0": 2}, "2": {"0": 3}, "kc": 3}
    assert json.dumps(rendered).count('"<li id=\\"card-"') == 1


def test_a_card_added_later_borrows_from_one_the_client_holds():
    async def go():
        page = _cards_page(["a", "b"])
        tree, components = await page.render()
        join_payload = wire(page.differ.join(tree, components=components))
        page.state["cards"].append("c")
        tree, components = await page.render()
        return join_payload, wire(page.differ.diff(tree, components=components))

    join_payload, diff = run(go())
    assert diff == {
        "1": {"0": {"k": {"2": {"0": 3}, "kc": 3}}},
        "c": {"3": {"s": -1, "0": "c", "1": "3", "2": "C", "3": {}, "r": 1}},
    }
    assert replay_html([join_payload, diff])[-1].count('class="card"') == 3


def test_a_card_clicked_sends_only_its_changes():
    async def go():
        page = _cards_page(["a", "b"])
        tree, components = await page.render()
        page.differ.join(tree, components=components)
        page.registry.entry(2).socket.context["clicks"] = 1
        return wire(page.differ.diff_components(await page.render_components([2])))

    assert run(go()) == {"c": {"2": {"3": {"s": ["<b>", "</b>"], "0": "1", "r": 1}}}}


def test_after_forgetting_the_only_holder_a_new_card_sends_its_statics_again():
    async def go():
        page = _cards_page(["a"])
        tree, components = await page.render()
        payloads = [wire(page.differ.join(tree, components=components))]
        page.state["cards"] = []
        tree, components = await page.render()
        payloads.append(wire(page.differ.diff(tree, components=components)))
        page.registry.mark_for_destroy([1])
        gone = page.registry.destroy([1])
        assert gone == [1]
        page.differ.forget(gone)
        assert page.differ.component_count == 0
        payloads.append({"__prune__": gone})
        page.state["cards"] = ["b"]
        tree, components = await page.render()
        payloads.append(wire(page.differ.diff(tree, components=components)))
        return payloads

    payloads = run(go())
    assert payloads[-1]["c"] == {"2": {"s": CARD_STATICS, "0": "b", "1": "2", "2": "B", "3": {"s": ["<i>none</i>"], "r": 1}, "r": 1}}
    assert replay_html(payloads)[-1].count('class="card"') == 1


def test_after_forgetting_one_holder_a_new_card_borrows_from_another():
    async def go():
        page = _cards_page(["a", "b"])
        tree, components = await page.render()
        page.differ.join(tree, components=components)
        page.state["cards"] = ["b"]
        tree, components = await page.render()
        page.differ.diff(tree, components=components)
        page.registry.mark_for_destroy([1])
        page.differ.forget(page.registry.destroy([1]))
        page.state["cards"] = ["b", "c"]
        tree, components = await page.render()
        return wire(page.differ.diff(tree, components=components))

    assert run(go())["c"] == {"3": {"s": -2, "0": "c", "1": "3", "2": "C", "3": {}, "r": 1}}


def test_different_templates_never_share_statics():
    async def go():
        page = _cards_page(["a", "b"])
        page.state.update(solo="a")  # a badge "a" beside card "a": another class, another template
        tree, components = await page.render()
        return wire(page.differ.join(tree, components=components))

    c = run(go())["c"]
    assert isinstance(c["1"]["s"], list) and c["2"]["s"] == 1
    assert c["3"]["s"] == ['<span class="badge">', "", "</span>"]


def replay_html(payloads: list[Any]) -> list[str]:
    return [without_component_marks(h) for h in port_replay(copy.deepcopy(payloads))]


@pytest.mark.parametrize("which", ["n-cards", "added-later", "forgotten-holder"])
def test_borrowing_examples_on_the_real_client(real_client, which):
    ops = {
        "n-cards": [("add_card", 2, 2, "x"), ("add_card", 2, 3, "y")],
        "added-later": [("add_card", 2, 2, "x")],
        "forgotten-holder": [
            ("remove_card", 0, 0, ""), ("remove_card", 0, 0, ""), ("deliver_all", 0, 0, ""), ("add_card", 0, 0, "n"),
        ],
    }[which]
    sc = run(run_ops(ops, **KNOWN_BUGS))
    check_clients(real_client, sc.trace)


# ------------------------------------------------------------------------------------------------
# what rendered_node.mjs does with components (hand-made wire: these test the harness itself)
# ------------------------------------------------------------------------------------------------

_H_JOIN = {
    "s": ["<main><h1>", "</h1>", "</main>"], "0": "T",
    "1": {"s": ["<aside>", "</aside>"], "0": 1, "r": 1},
    "c": {
        "1": {"s": ['<div class="g">', "", "</div>"], "0": "g", "1": 2, "r": 1},
        "2": {"s": ["<span>", "</span>"], "0": "x", "r": 1},
    },
}


def test_harness_flags_a_component_update_dropped_by_a_skip_placeholder(real_client):
    # the view's <aside> root and component 1 are unchanged: the client emits both as skip
    # placeholders, and component 2's new text never reaches the DOM
    with pytest.raises(NodeClientError, match="drops the new content of component"):
        real_client.run_full(copy.deepcopy(_H_JOIN), [{"0": "T2", "c": {"2": {"0": "y"}}}])


def test_harness_lets_the_dom_keep_what_a_component_patch_put_there(real_client):
    # a component-only diff patches component 2 in place; the next full diff may skip the roots
    # around it (their DOM holds the patched component)
    run = real_client.run_full(copy.deepcopy(_H_JOIN), [{"c": {"2": {"0": "y"}}}, {"0": "T2"}])
    assert [strip_client_attrs(h) for h in run.html][-1] == '<main><h1>T2</h1><aside><div class="g">g<span>y</span></div></aside></main>'
    assert strip_client_attrs(run.patches[1]) == "<span>y</span>"


def test_harness_component_only_diff_patches_the_outermost_changed_components(real_client):
    # 1 and 2 changed, 2 is inside 1: one patch, of 1 (DOM.findExistingParentCIDs)
    run = real_client.run_full(copy.deepcopy(_H_JOIN), [{"c": {"2": {"0": "y"}, "1": {"0": "G"}}}])
    assert strip_client_attrs(run.patches[1]) == '<div class="g">G<span>y</span></div>'


def test_harness_component_only_patches_skip_what_the_page_does_not_show(real_client):
    # component 3 is held by the client but not on the page: a diff for it patches nothing
    join = copy.deepcopy(_H_JOIN)
    join["c"]["3"] = {"s": ["<b>", "</b>"], "0": "off", "r": 1}
    run = real_client.run_full(join, [{"c": {"3": {"0": "still off"}}}])
    assert run.patches[1] == ""


def test_harness_prune_step_forgets_components(real_client):
    # pruned while still on the page: the next render finds no component 2 (and the client says so)
    with pytest.raises(NodeClientError, match="missing component"):
        real_client.run_full(copy.deepcopy(_H_JOIN), [{"__prune__": [2]}])
    run = real_client.run_full(copy.deepcopy(_H_JOIN), [{"1": {"0": ""}}, {"__will_destroy__": [1, 2]}, {"__prune__": [1, 2]}])
    assert run.patches[2:] == [None, None]
    assert [strip_client_attrs(h) for h in run.html][1:] == ["<main><h1>T</h1><aside></aside></main>"] * 3


# ------------------------------------------------------------------------------------------------
# the bugs found, fixed: each replayed on the real client
# ------------------------------------------------------------------------------------------------

def test_bug_new_component_borrows_from_a_component_that_switched_template(real_client):
    # badge "c" (cid 4) switches to badge_wide.html; badge "a" (new) of badge.html then borrows
    # from cid 4, which the client now holds as badge_wide.html
    ops = [("widen", 3, 0, ""), ("solo", 1, 0, "")]
    sc = run(run_ops(ops, switch_templates=True, couple=False))
    problem = client_problem(real_client, sc.trace)
    assert problem is None, problem


def test_bug_component_change_lost_under_an_unchanged_view_root(real_client):
    ops = [("solo", 1, 0, ""), ("title", 0, 0, "A")]
    sc = run(run_ops(ops, switch_templates=False, couple=True))
    problem = client_problem(real_client, sc.trace)
    assert problem is None, problem


def test_bug_component_change_lost_under_an_unchanged_component(real_client):
    ops = [("send_update", 3, 0, "A")]  # keys in cid order: card a, card b, group 1, badge c
    sc = run(run_ops(ops, switch_templates=False, couple=True))
    problem = client_problem(real_client, sc.trace)
    assert problem is None, problem


def test_bug_destroyed_while_back_on_the_page(real_client):
    ops = [
        ("remove_card", 0, 0, ""),  # card a (cid 1) leaves: the client sends cids_will_destroy [1] (W1)
        ("add_card", 0, 0, "A"),  # a is back
        ("remove_card", 0, 0, ""),  # a leaves again: cids_will_destroy [1] (W2)
        ("deliver", 0, 0, ""),  # W1 marks 1; on its reply the client (a absent) sends cids_destroyed [1] (D1)
        ("add_card", 0, 0, "A"),  # a is back (placed: unmarked)
        ("deliver", 0, 0, ""),  # W2 marks 1 again, on the page (the client, seeing a, asks nothing)
        ("deliver", 0, 0, ""),  # D1: 1 is marked, so it is deleted, forgotten and pruned while shown
    ]
    sc = run(run_ops(ops, switch_templates=False, couple=False, destroy_race=True))
    problem = client_problem(real_client, sc.trace)
    assert problem is None, problem
