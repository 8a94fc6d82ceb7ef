"""``Stream``: a collection the browser keeps and the server only sends operations for.

A stream records operations (insert, delete, reset) until the channel has sent them. Its template
loop ``{% for dom_id, item in stream %}`` reads the pending rows and operations without taking
them, so rendering a tree (for a log, a test, or a render whose diff then fails) loses nothing;
``render_rounds`` forgets them once the caller has diffed the tree that carried them. After that
the stream holds nothing, however many items it has delivered.

**Operations apply in order.** The client applies the stream part of one diff in a fixed order
(``dom_patch.ts``, ``DOMPatch.perform``): the reset, then every delete, then the rows in order,
each new row placed at its ``at`` and followed by its ``limit``; a row whose id was on the page
when morphdom indexed it (after the deletes) only morphs that element, so an item a limit has
just removed stays removed even if a later row of the same diff updates it. One handler's
operations are therefore kept as **segments**: an operation joins the last segment when the
client applying that segment as one diff gives the same page as applying the operations one by
one, whatever the page holds (the server does not know); otherwise it starts a new segment, and
each segment becomes its own, consecutive diff. See ``_Segment`` for the rules.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Generic, Optional, TypeVar

from pyview_templates.tree import StreamOps

T = TypeVar("T")


class StreamError(ValueError):
    """A stream operation that cannot work (an item without a DOM id, a bad position or limit)."""


# Set by ``render_rounds`` while its render runs: every stream the render reads records itself
# (and the segment it showed) here, so the round knows which segment each stream sent.
_RENDERING: ContextVar[Optional[dict[int, tuple["Stream", Optional["_Segment"]]]]] = ContextVar(
    "pyview_rendering_streams", default=None
)


class _Segment:
    """Operations the client can apply as one diff with the meaning they had one by one.

    Why an operation may join (everything else starts a new segment):

    * **reset** always: it clears the page, so nothing pending before it matters; the stream
      keeps only the new segment.
    * **delete** moves ahead of the segment's inserts (the client deletes first). That is the same
      page unless an insert placed an item by index (``at > 0``: the deleted item may have been in
      front of it) or cut items with a ``limit`` (the deleted item was counted). A delete of an id
      that cannot be on the page (deleted in this segment, or not inserted since its reset) is
      dropped.
    * **insert** of an id not yet in the segment is processed last, like one-by-one, unless it may
      have been on the page and cut by a ``limit`` of this segment: the client would then morph
      the cut element (it stays removed) where one-by-one adds it back. Ids the segment knows are
      not on the page (deleted in it, or after its reset) are always safe.
    * **insert** of an id the segment already adds updates that row, unless a ``limit`` at or
      after it may have cut the item (the same morphdom rule). An ``update_only`` insert never
      splits: an item that was cut is not on the page either way, and an item that is updates.
    """

    __slots__ = ("reset", "inserts", "deletes", "seq", "last_cut", "reorders", "sealed")

    def __init__(self, reset: bool = False) -> None:
        self.reset = reset
        # dom_id -> [item, at, limit, update_only, seq]; dict order is the order of the rows.
        self.inserts: dict[str, list] = {}
        self.deletes: dict[str, None] = {}
        self.seq = 0
        # seq of the last added (not update_only) insert with a limit: a new id that may be on the
        # page cannot join after it (-1: none).
        self.last_cut = -1
        # Some added insert has a limit or an index position: a delete cannot join after it.
        self.reorders = False
        # Shown by a render inside render_rounds: later operations go to a new segment, so the
        # segment dropped once its diff is out is exactly the one that diff carried.
        self.sealed = False

    def knows_absent(self, dom_id: str) -> bool:
        """Whether ``dom_id`` is certainly not on the page after this segment's operations so far."""
        return dom_id not in self.inserts and (self.reset or dom_id in self.deletes)

    def may_be_cut(self, entry: list) -> bool:
        """Whether a limit at or after this (added) row may have removed its item again."""
        last = self.last_cut
        if last != entry[4]:
            return last > entry[4]
        at, limit = entry[1], entry[2]
        # Its own limit: appending and keeping the last n, or prepending and keeping the first n,
        # never removes the row itself; every other combination may.
        return not ((at == -1 and limit < 0) or (at == 0 and limit > 0))

    def add(self, dom_id: str, item: Any, at: int, limit: Optional[int], update_only: bool) -> None:
        seq = self.seq
        self.inserts[dom_id] = [item, at, limit, update_only, seq]
        self.seq = seq + 1
        if not update_only:  # an update_only row never adds an element, so never moves or cuts one
            if limit is not None:
                self.last_cut = seq
                self.reorders = True
            elif at > 0:
                self.reorders = True


class Stream(Generic[T]):
    """Pending operations on a client-side list of items, each rendered with a DOM id.

    ``Stream(items, name="messages")`` gives items the ids ``messages-<item.id>`` (or
    ``messages-<item["id"]>`` for dicts); pass ``dom_id=`` for any other scheme.

    Several operations in one handler apply in order, as if the client received them one by one
    (when one diff cannot mean that, they travel as consecutive diffs; see the module docstring).
    Appends, prepends, updates, deletes and resets always fit in one diff. A ``limit`` or an
    index ``at`` may need more: after an insert with a limit, each insert of an id that may
    already be on the page (the server cannot tell) starts another diff, so ``insert_many`` of
    k items with a limit costs k renders unless it follows a ``reset`` in the same handler.

    Pending operations are dropped after every render of the view, as Phoenix prunes streams:
    a stream that was rendered drops what its diff sent; a stream at the top level of the view's
    context (a dict or TypedDict value, a dataclass field, an attribute) that the render did not
    reach (its loop sits in a false ``{% if %}``, say) drops everything pending: its operations
    are lost, not delivered later, and it holds nothing while it stays hidden. (A stream nested
    deeper in the context and not rendered keeps its operations until a render reads it.)
    """

    def __init__(self, items: Optional[Iterable[T]] = None, *, name: str, dom_id: Optional[Callable[[T], Any]] = None) -> None:
        if not isinstance(name, str) or not name:
            raise StreamError(f"a stream needs a non-empty name, got {name!r}")
        self.name = name
        self._dom_id_function = dom_id
        # The segments not yet sent, oldest first; usually none or one.
        self._segments: list[_Segment] = []
        if items is not None:
            self.insert_many(items)

    # --- operations ---------------------------------------------------------------------------

    def insert(self, item: T, at: int = -1, limit: Optional[int] = None, update_only: bool = False) -> None:
        """Add ``item`` at ``at`` (-1 appends, 0 prepends); an existing DOM id is updated in place.

        ``limit=-n`` keeps the last n items on the client, ``limit=n`` the first n.
        """
        if type(at) is not int or at < -1 or (limit is not None and (type(limit) is not int or limit == 0)):
            _check_position(self.name, at, limit)
        dom_id = self.dom_id(item)
        update_only = bool(update_only)
        segments = self._segments
        if segments and not segments[-1].sealed:
            segment = segments[-1]
        else:
            segment = _Segment()
            segments.append(segment)
        pending = segment.inserts.get(dom_id)
        if pending is not None and not pending[3]:
            # Already added by this segment: like any item on the page, it is updated in place.
            if update_only or not segment.may_be_cut(pending):
                pending[0] = item
                return
            segment = self._split()
        elif update_only:
            if segment.knows_absent(dom_id):
                return  # deleted or reset earlier in this handler: there is nothing to update
            segment.inserts.pop(dom_id, None)  # a newer update_only row replaces an older one
        elif pending is not None or not (segment.reset or dom_id in segment.deletes):
            # Maybe on the page: a limit of this segment may have cut it, which one diff cannot show.
            if segment.last_cut >= 0:
                segment = self._split()
            elif pending is not None:
                del segment.inserts[dom_id]  # supersedes an update_only row of the same id
        segment.add(dom_id, item, at, limit, update_only)

    def insert_many(self, items: Iterable[T], at: int = -1, limit: Optional[int] = None) -> None:
        """Insert several items; with ``at=0`` they are prepended one by one, like Phoenix."""
        for item in items:
            self.insert(item, at=at, limit=limit)

    def delete(self, item: T) -> None:
        """Remove ``item`` (found by its DOM id) from the client's list."""
        self.delete_by_id(self.dom_id(item))

    def delete_by_id(self, dom_id: str) -> None:
        """Remove the element with this DOM id (an insert of it earlier in the handler is undone)."""
        if not isinstance(dom_id, str) or not dom_id:
            raise StreamError(f"stream {self.name!r}: delete_by_id needs a DOM id string, got {dom_id!r}")
        segment = self._open()
        if segment.knows_absent(dom_id):
            return
        if segment.reorders:
            segment = self._split()
        segment.inserts.pop(dom_id, None)
        segment.deletes[dom_id] = None

    def reset(self, items: Optional[Iterable[T]] = None) -> None:
        """Clear the client's list (and anything pending), then insert ``items`` if given."""
        self._segments = [_Segment(reset=True)]
        if items is not None:
            self.insert_many(items)

    def dom_id(self, item: T) -> str:
        """The DOM id of ``item``: the custom function's result, or ``"<name>-<id>"``."""
        if self._dom_id_function is not None:
            value = self._dom_id_function(item)
        else:
            key = item.get("id") if isinstance(item, dict) else getattr(item, "id", None)
            if key is None:
                raise StreamError(
                    f"stream {self.name!r}: cannot make a DOM id for {item!r}: it has no `id` "
                    f"{'key' if isinstance(item, dict) else 'attribute'}; pass dom_id=lambda item: ... to Stream()"
                )
            value = f"{self.name}-{key}"
        if not isinstance(value, str) or not value:
            raise StreamError(f"stream {self.name!r}: the DOM id of {item!r} must be a non-empty string, got {value!r}")
        return value

    @property
    def pending_segments(self) -> int:
        """How many diffs the operations not yet sent need (0 when there is nothing to send)."""
        return len(self._segments)

    def _open(self) -> _Segment:
        """The segment a new operation may join (a new one if the last was already rendered)."""
        segments = self._segments
        if segments and not segments[-1].sealed:
            return segments[-1]
        return self._split()

    def _split(self) -> _Segment:
        segment = _Segment()
        self._segments.append(segment)
        return segment

    # --- rendering ----------------------------------------------------------------------------

    def __pyview_stream__(self) -> tuple[list[tuple[str, T]], StreamOps]:
        """The template loop's rows and operations: the first pending segment, which stays pending."""
        segment = self._segments[0] if self._segments else None
        rendering = _RENDERING.get()
        if rendering is not None and id(self) not in rendering:
            rendering[id(self)] = (self, segment)
            if segment is not None:
                segment.sealed = True
        if segment is None:
            return [], StreamOps(self.name)
        pending = segment.inserts.items()
        rows = [(dom_id, entry[0]) for dom_id, entry in pending]
        ops = StreamOps(
            self.name,
            inserts=[(dom_id, entry[1], entry[2], entry[3]) for dom_id, entry in pending],
            deletes=list(segment.deletes),
            reset=segment.reset,
        )
        return rows, ops

    def __iter__(self) -> Any:
        raise TypeError(self._misuse("keeps no items to iterate"))

    def __len__(self) -> int:
        raise TypeError(self._misuse("has no length: the browser holds its items"))

    def __bool__(self) -> bool:
        return True  # defined because __len__ refuses: `{% if stream %}` means "there is a stream"

    def __html__(self) -> str:
        raise TypeError(self._misuse("cannot be printed as a value"))

    def _misuse(self, what: str) -> str:
        return f"stream {self.name!r} {what}: render it with `{{% for dom_id, item in {self.name} %}}` in a template"

    def __repr__(self) -> str:
        inserts = sum(len(s.inserts) for s in self._segments)
        deletes = sum(len(s.deletes) for s in self._segments)
        reset = bool(self._segments) and self._segments[0].reset
        return (
            f"Stream(name={self.name!r}, pending_inserts={inserts}, pending_deletes={deletes}, "
            f"reset={reset}, segments={len(self._segments)})"
        )


def _check_position(name: str, at: Any, limit: Any) -> None:
    if type(at) is not int or at < -1:
        raise StreamError(f"stream {name!r}: `at` must be -1 (append), 0 (prepend) or an index, got {at!r}")
    if limit is not None and (type(limit) is not int or limit == 0):
        raise StreamError(f"stream {name!r}: `limit` must be a non-zero int (-n keeps the last n) or None, got {limit!r}")


def _top_level(context: Any) -> Iterable[Any]:
    """The values at the top level of a view's context: dict (or TypedDict) values, dataclass
    fields, or other object attributes. Nested containers are not searched."""
    if type(context) is dict or isinstance(context, Mapping):  # TypedDicts are dicts
        return context.values()
    attributes = getattr(context, "__dict__", None)
    if attributes is not None:  # dataclasses and plain objects: fields are attributes
        return attributes.values()
    if dataclasses.is_dataclass(context) and not isinstance(context, type):  # slots=True
        return [getattr(context, f.name, None) for f in dataclasses.fields(context)]
    return ()


class StreamRounds:
    """The stream bookkeeping of one handler's renders, for a renderer that is not one callable
    (the channel renders a view and then its live components, with awaits in between).

    ``with rounds.capture():`` around everything one round renders; then, once that round's trees
    have been diffed, ``rounds.sent(contexts)`` forgets what they showed (and drops the streams of
    ``contexts`` that were not rendered) and says whether another round is needed. A round that
    raises before ``sent`` forgets nothing.
    """

    __slots__ = ("_rendered",)

    def __init__(self) -> None:
        self._rendered: dict[int, tuple[Stream, Optional[_Segment]]] = {}

    @contextlib.contextmanager
    def capture(self) -> Iterator[None]:
        self._rendered = {}
        token = _RENDERING.set(self._rendered)
        try:
            yield
        finally:
            _RENDERING.reset(token)

    def sent(self, contexts: Iterable[Any]) -> bool:
        """The round's trees were diffed: drop what they showed; True if a stream has more to send."""
        rendered = self._rendered
        more = False
        for stream, segment in rendered.values():
            segments = stream._segments
            if segment is not None and segments and segments[0] is segment:
                del segments[0]  # sent (unless a reset has replaced it meanwhile)
            if segments:
                more = True
        for context in contexts:
            for value in _top_level(context):
                if isinstance(value, Stream) and value._segments and id(value) not in rendered:
                    value._segments = []  # not rendered: dropped, as Phoenix prunes
        return more

    def unsent(self) -> None:
        """The round's trees were not diffed after all: nothing they showed counts as sent."""
        for _, segment in self._rendered.values():
            if segment is not None:
                segment.sealed = False


def render_rounds(render: Callable[[], Any], context: Any) -> Iterator[Any]:
    """The trees the channel must diff, in order, for one handler's changes.

    Each step renders once and yields the tree; resuming the iterator says "that tree has been
    diffed", and only then are its stream operations forgotten: each stream the render read drops
    the segment it showed, and every other stream at the top level of ``context`` drops all it
    holds (it was not rendered; Phoenix prunes the same way). The iterator renders again only
    while a rendered stream still has a segment to send, so usually there is exactly one tree.

    A render that raises, or a diff that raises (the caller never resumes), forgets nothing, and
    neither does a render outside this function (``Template.tree`` for a log or a test).
    """
    rounds = StreamRounds()
    while True:
        with rounds.capture():
            tree = render()
        try:
            yield tree
        except GeneratorExit:  # never resumed: the tree was not diffed, so nothing was sent
            rounds.unsent()
            raise
        if not rounds.sent((context,)):
            return
