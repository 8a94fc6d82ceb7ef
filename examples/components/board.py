"""A kanban board made of live components: ``BoardView`` places a ``KanbanColumn`` per column, and
each column places a ``KanbanCard`` per card (components inside components).

Who owns what. The board itself (which cards exist, their titles, which column holds them in
what order) is a ``Board`` the view creates at mount and passes to its columns, the way a Phoenix
view passes data its components read and its context module writes. The components own only
what the page shows about them: a card whether it is being edited (and the error of a blank
title), a column how many cards were added through its form (the form's id, which clears it).

Who handles what. A change is handled by the smallest component that shows all of it, which
writes it to the ``Board`` and re-renders alone, so only its own part travels (a diff of ``"c"``
alone, the view untouched):

- edit, cancel and save: the ``KanbanCard`` (``phx-target="{{ myself }}"``);
- add a card: its ``KanbanColumn`` (the column's form); delete a card: its column too, as the
  column's list changes (the card's Delete button targets ``#column-<id>``). The card's component
  is then gone from the page, and the client tells the server to free it.

Moving a card changes two columns, so it belongs to the view: the ``move`` event has no target
(the ``ColumnDrop`` hook in ``board.js`` pushes it on a drop; the card's ◀/▶ buttons send it by
click or keyboard). The view re-renders, every column gets ``update`` with the board and
re-renders, and the moved card, placed as ``(KanbanCard, id)`` by its new column in the same render,
is the same component (same cid, same state) in its new place.

Clearing the Done column (a confirmation in the UI kit's modal) is the view's event too.

Why not keep everything in the view, the components only rendering it and reporting with
``send_parent``: every save would then re-render the view and every column and card (a component
re-rendered by its parent gets ``update``), where here it is one card's diff. And why not let each
column own its cards: a move would need ``send_update`` to two columns and a card's state handed
from one column's list to the other's, where here the card simply appears under another column.
``send_update`` and ``send_parent`` are not needed: nothing is owned by one component and shown by
another.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from pyview_core import ComponentSocket, LiveComponent, LiveView, LiveViewSocket, event

from ..ui import use_kit

use_kit(__file__)  # board.html, column.html and card.html import "kit.html"

MAX_TITLE = 80
COLUMNS = (("todo", "To do"), ("doing", "Doing"), ("done", "Done"))
SEED = {
    "todo": ["Write the release notes", "Review the components PR", "Plan the next sprint"],
    "doing": ["Fix the login redirect", "Draw the kanban example"],
    "done": ["Set up the e2e tests"],
}


# --- the model --------------------------------------------------------------------------------


@dataclass
class CardItem:
    id: str
    title: str


@dataclass(frozen=True)
class ColumnInfo:
    id: str
    title: str


def clean_title(title: str) -> str:
    """A title as kept: surrounding and repeated whitespace dropped, at most ``MAX_TITLE`` characters."""
    return " ".join(title.split())[:MAX_TITLE]


class Board:
    """Columns in order, each an ordered list of card ids, and the cards by id."""

    def __init__(self, columns=COLUMNS) -> None:
        self.columns = [ColumnInfo(id, title) for id, title in columns]
        self.order: dict[str, list[str]] = {column.id: [] for column in self.columns}
        self.cards: dict[str, CardItem] = {}
        self._ids = itertools.count(1)

    @classmethod
    def seeded(cls) -> Board:
        board = cls()
        for column, titles in SEED.items():
            for title in titles:
                board.add(column, title)
        return board

    def column(self, column_id: str) -> ColumnInfo:
        return next(column for column in self.columns if column.id == column_id)

    def neighbours(self, column_id: str) -> tuple[ColumnInfo | None, ColumnInfo | None]:
        """The columns left and right of ``column_id`` (None at the ends)."""
        i = [column.id for column in self.columns].index(column_id)
        return (self.columns[i - 1] if i > 0 else None, self.columns[i + 1] if i + 1 < len(self.columns) else None)

    def cards_in(self, column_id: str) -> list[CardItem]:
        return [self.cards[card_id] for card_id in self.order[column_id]]

    def column_of(self, card_id: str) -> str | None:
        return next((column for column, ids in self.order.items() if card_id in ids), None)

    def add(self, column_id: str, title: str) -> CardItem | None:
        title = clean_title(title)
        if not title or column_id not in self.order:
            return None
        card = CardItem(f"c{next(self._ids)}", title)
        self.cards[card.id] = card
        self.order[column_id].append(card.id)
        return card

    def rename(self, card_id: str, title: str) -> bool:
        title = clean_title(title)
        if not title or card_id not in self.cards:
            return False
        self.cards[card_id].title = title
        return True

    def delete(self, card_id: str) -> bool:
        column = self.column_of(card_id)
        if column is None:
            return False
        self.order[column].remove(card_id)
        del self.cards[card_id]
        return True

    def move(self, card_id: str, to_column: str, index: int | None = None) -> bool:
        """Put the card at ``index`` of ``to_column`` (counted without the card; None: last)."""
        source = self.column_of(card_id)
        if source is None or to_column not in self.order:
            return False
        self.order[source].remove(card_id)
        target = self.order[to_column]
        at = len(target) if index is None else max(0, min(index, len(target)))
        target.insert(at, card_id)
        return True

    def clear(self, column_id: str) -> list[str]:
        gone, self.order[column_id] = self.order[column_id], []
        for card_id in gone:
            del self.cards[card_id]
        return gone


# --- the components ---------------------------------------------------------------------------


@dataclass
class CardState:
    id: str = ""
    card: CardItem = field(default_factory=lambda: CardItem("", ""))
    column: ColumnInfo | None = None
    prev: ColumnInfo | None = None  # where ◀ moves it (None in the first column)
    next: ColumnInfo | None = None
    board: Board | None = None
    editing: bool = False
    error: str = ""


class KanbanCard(LiveComponent[CardState]):
    """One card: its title, or a form editing it in place; its own events re-render only it."""

    template_name = "card.html"

    async def mount(self, socket: ComponentSocket[CardState]) -> None:
        socket.context = CardState()

    async def update(self, assigns: dict[str, Any], socket: ComponentSocket[CardState]) -> None:
        """From its column's render: ``id``, ``card``, ``column`` and ``board``."""
        state = socket.context
        state.id, state.card, state.column, state.board = assigns["id"], assigns["card"], assigns["column"], assigns["board"]
        state.prev, state.next = state.board.neighbours(state.column.id)

    @event("edit")
    async def edit(self, socket: ComponentSocket[CardState]) -> None:
        socket.context.editing, socket.context.error = True, ""

    @event("cancel")
    async def cancel(self, socket: ComponentSocket[CardState]) -> None:
        socket.context.editing, socket.context.error = False, ""

    @event("save")
    async def save(self, socket: ComponentSocket[CardState], title: str = "") -> None:
        state = socket.context
        if state.board is not None and state.board.rename(state.id, title):
            state.editing, state.error = False, ""
        else:
            state.error = "A card needs a title."


@dataclass
class ColumnState:
    id: str = ""
    column: ColumnInfo | None = None
    board: Board | None = None
    cards: list[CardItem] = field(default_factory=list)
    added: int = 0  # in the add form's id: a new form (an empty input) after each card added


class KanbanColumn(LiveComponent[ColumnState]):
    """A column: its cards (``KanbanCard`` components), a form adding one, and deleting one."""

    template_name = "column.html"

    async def mount(self, socket: ComponentSocket[ColumnState]) -> None:
        socket.context = ColumnState()

    async def update(self, assigns: dict[str, Any], socket: ComponentSocket[ColumnState]) -> None:
        """From the view's render: ``id`` and ``board``."""
        state = socket.context
        state.id, state.board = assigns["id"], assigns["board"]
        self._refresh(state)

    @staticmethod
    def _refresh(state: ColumnState) -> None:
        assert state.board is not None
        state.column = state.board.column(state.id)
        state.cards = state.board.cards_in(state.id)  # a new list: the next render sees the change

    @event("add")
    async def add(self, socket: ComponentSocket[ColumnState], title: str = "") -> None:
        state = socket.context
        if state.board is not None and state.board.add(state.id, title) is not None:
            state.added += 1
            self._refresh(state)

    @event("delete")
    async def delete(self, socket: ComponentSocket[ColumnState], card: str) -> None:
        state = socket.context
        if state.board is not None and state.board.column_of(card) == state.id:
            state.board.delete(card)
            self._refresh(state)


# --- the view ---------------------------------------------------------------------------------


@dataclass
class BoardContext:
    board: Board = field(default_factory=Board.seeded)


class BoardView(LiveView[BoardContext]):
    async def mount(self, socket: LiveViewSocket[BoardContext], session):
        socket.context = BoardContext()
        socket.live_title = "Kanban board"

    @event("move")
    async def move(self, socket: LiveViewSocket[BoardContext], card: str, to: str, index: int | None = None):
        """Card ``card`` to column ``to``: from the ColumnDrop hook (a drop, at the index it fell
        at) or a card's ◀/▶ button (last in the column)."""
        socket.context.board.move(card, to, index)

    @event("clear_done")
    async def clear_done(self, socket: LiveViewSocket[BoardContext]):
        socket.context.board.clear("done")
