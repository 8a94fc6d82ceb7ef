"""The 200-component page of ``diff.py``: one card's event with live components, vs a whole page.

Ours: a board of 200 cards, each a ``LiveComponent`` placed with ``live_component(Card, id=…)``,
driven as the channel drives it (``pyview_core.channel.LiveChannel._render_diffs``): the card's
handler changes its state, the registry renders that card alone (``dirty`` + ``settle``) and the
Differ sends ``{"c": {cid: …}}`` (``diff_components``), encoded with orjson. A second row
measures the view's own event on the same page: the view re-renders, every card's ``update``
runs and every card re-renders and is diffed (what a parent render costs with components).

pyview-web 0.9.0 has no components in its template language, so the peer renders the same
markup as one page (a loop over the 200 cards) and sends its whole-page diff for the same
change, as its ``LiveViewSocket`` would. That is the nearest equivalent, not the same design.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import orjson

CARDS = 200
CHANGED = CARDS // 2

OURS_BOARD = (
    '<section class="board"><h2>{{ title }}</h2>'
    "{% for card in cards %}{{ live_component(BenchCard, id=card.id, card=card) }}{% endfor %}</section>"
)
OURS_CARD = (
    '<article class="card" id="card-{{ id }}"><h3>{{ card.title }}</h3><p class="body">{{ card.body }}</p>'
    '<span class="votes">{{ votes }}</span>'
    '<button phx-click="vote" phx-target="{{ myself }}">+1</button></article>'
)
# The same markup as one template (pyview-web's ibis syntax is Jinja's for these constructs); the
# cid a component would have is the card's position + 1.
PEER_PAGE = (
    '<section class="board"><h2>{{ title }}</h2>'
    '{% for card in cards %}<article class="card" id="card-{{ card.id }}"><h3>{{ card.title }}</h3>'
    '<p class="body">{{ card.body }}</p><span class="votes">{{ card.votes }}</span>'
    '<button phx-click="vote" phx-target="{{ card.cid }}">+1</button></article>{% endfor %}</section>'
)


def make_cards() -> list[dict[str, Any]]:
    return [
        {"id": i, "cid": i + 1, "title": f"Card {i}", "body": f"Something to do, number {i} of {CARDS}", "votes": i % 7}
        for i in range(CARDS)
    ]


def _run(coroutine: Any) -> Any:
    """Run a coroutine that never suspends (no I/O, templates already loaded) to its result."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the component pipeline suspended: something waited for I/O")


class OursBoard:
    """A board view's components and Differ, as one joined channel holds them."""

    def __init__(self, cards: list[dict[str, Any]]) -> None:
        from pyview_core import LiveComponent
        from pyview_core.component_globals import bind, live_component_global, myself_global, unbind
        from pyview_core.component_registry import ComponentRegistry
        from pyview_core.diff import Differ
        from pyview_templates import DictLoader, Environment

        env = Environment(
            loader=DictLoader({"board.html": OURS_BOARD, "card.html": OURS_CARD}),
            globals={"live_component": live_component_global, "myself": myself_global},
        )
        card_template = env.get_template("card.html")
        self.board_template = env.get_template("board.html")

        class BenchCard(LiveComponent[dict]):
            async def update(self, assigns: dict[str, Any], socket: Any) -> None:
                socket.context = {"id": assigns["id"], "card": assigns["card"], "votes": assigns["card"]["votes"]}

            async def vote(self, socket: Any) -> None:
                socket.context["votes"] += 1

            def render(self, context: Any) -> Any:
                return card_template.tree(context)

        env.globals["BenchCard"] = BenchCard
        self.context = {"title": "Board", "cards": cards}
        self.registry = ComponentRegistry(None, "BenchBoard")
        self.differ = Differ()
        self._bind, self._unbind = bind, unbind
        self.join_bytes = len(orjson.dumps(self._render(join=True)))

    def _render(self, join: bool = False) -> dict[str, Any]:
        token = self._bind(self.registry)
        try:
            self.registry.begin_pass(view_renders=True)
            tree = self.board_template.tree(self.context)
            components = _run(self.registry.settle())
        finally:
            self._unbind(token)
        return (self.differ.join if join else self.differ.diff)(tree, components=components)

    def card_event(self, cid: int) -> bytes:
        """A card's own event: its handler, its render alone, a diff of ``"c"``, encoded."""
        entry = self.registry.entry(cid)
        _run(entry.component.vote(entry.socket))
        self.registry.dirty(cid)
        token = self._bind(self.registry)
        try:
            components = _run(self.registry.settle())
        finally:
            self._unbind(token)
        return orjson.dumps(self.differ.diff_components(components))

    def view_event(self) -> bytes:
        """The view's own event: the page and every card re-rendered (``update`` on each), diffed."""
        return orjson.dumps(self._render())


def component_measurements(peer: Any, compare: Callable[..., tuple[float, float]], target_s: float, repeats: int) -> list[dict[str, Any]]:
    """Both rows: (name, description, ours µs, peer µs, ours bytes, peer bytes), checked first."""
    from pyview_templates import join

    cards = make_cards()
    ours = OursBoard(cards)
    peer_t = peer.Template(PEER_PAGE)
    calc_diff, dumps = peer.calc_diff, json.dumps
    cid = CHANGED + 1

    # Check: both render the same page, and our diffs carry exactly the change.
    peer_html = _peer_html(peer_t.tree(ours.context))
    ours_html = join(_fresh(ours))
    if ours_html != peer_html:
        raise AssertionError(f"the two boards differ:\n{ours_html[:300]}\n{peer_html[:300]}")
    before = cards[CHANGED]["votes"]
    card_diff = orjson.loads(ours.card_event(cid))
    if card_diff != {"c": {str(cid): {"3": str(before + 1)}}}:  # dynamics: id, title, body, votes
        raise AssertionError(f"a card's event sent {card_diff}")

    # The card event: ours adds one vote each time (the same work every time); the peer diffs
    # the page with that card's count changed against the page before (reset untimed).
    def ours_card() -> bytes:
        return ours.card_event(cid)

    base_cards = [dict(c) for c in cards]
    next_cards = [dict(c) for c in cards]
    next_cards[CHANGED]["votes"] = before + 2
    base_tree = peer_t.tree({"title": "Board", "cards": base_cards})
    state = {"prev": base_tree}

    def peer_card() -> str:
        new = peer_t.tree({"title": "Board", "cards": next_cards})
        out = dumps(calc_diff(state["prev"], new))
        state["prev"] = new
        return out

    def peer_setup() -> None:
        state["prev"] = base_tree

    o_card, p_card = compare(ours_card, lambda: None, peer_card, peer_setup, target_s=target_s, repeats=repeats)
    ours_card_bytes = len(ours.card_event(cid))
    peer_setup()
    peer_card_bytes = len(peer_card())

    # The view's own event on the same page (title changed): everything re-renders on our side.
    titles = iter(range(10**9))

    def ours_view() -> bytes:
        ours.context["title"] = f"Board {next(titles)}"
        return ours.view_event()

    next_page = {"title": "Board 2", "cards": base_cards}

    def peer_view() -> str:
        new = peer_t.tree(next_page)
        out = dumps(calc_diff(state["prev"], new))
        state["prev"] = new
        return out

    o_view, p_view = compare(ours_view, lambda: None, peer_view, peer_setup, target_s=target_s, repeats=repeats)
    ours_view_bytes = len(ours_view())
    peer_setup()
    peer_view_bytes = len(peer_view())
    peer_join_bytes = len(dumps(base_tree))
    return [
        {
            "scenario": "components-200 card", "ours_us": o_card / 1000, "peer_us": p_card / 1000,
            "ours_bytes": ours_card_bytes, "peer_bytes": peer_card_bytes,
            "description": f"one of {CARDS} live components handles its event (only it renders; a diff of \"c\"); "
                           "pyview-web: its whole-page diff of the same markup",
        },
        {
            "scenario": "components-200 view", "ours_us": o_view / 1000, "peer_us": p_view / 1000,
            "ours_bytes": ours_view_bytes, "peer_bytes": peer_view_bytes,
            "description": f"the view's own event on that page (title): {CARDS} updates and renders of components "
                           "on our side; pyview-web: its whole-page diff",
        },
        {
            "scenario": "components-200 join", "ours_us": None, "peer_us": None,
            "ours_bytes": ours.join_bytes, "peer_bytes": peer_join_bytes,
            "description": f"the join of that page: {CARDS} components sharing one template's statics (\"s\": +cid) "
                           "vs pyview-web's one comprehension",
        },
    ]


def _fresh(ours: OursBoard) -> Any:
    token = ours._bind(ours.registry)
    try:
        tree, _ = ours.registry.render_fresh(lambda: ours.board_template.tree(ours.context))
    finally:
        ours._unbind(token)
    return tree


def _peer_html(tree: dict[str, Any]) -> str:
    import _bench_util as bu

    return bu.join_phoenix(tree)
