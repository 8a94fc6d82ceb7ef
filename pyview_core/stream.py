"""``Stream``: a collection the browser keeps and the server only sends operations for.

A stream records operations (insert, delete, reset) until the next render, where its template
loop ``{% for dom_id, item in stream %}`` takes them: the rows of the pending inserts become the
loop's entries and the operations ride along as ``StreamOps`` for the diff core to encode. After
that the stream holds nothing, however many items it has delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Optional, TypeVar

from pyview_templates.tree import StreamOps

T = TypeVar("T")


class StreamError(ValueError):
    """A stream operation that cannot work (an item without a DOM id, a bad position or limit)."""


class Stream(Generic[T]):
    """Pending operations on a client-side list of items, each rendered with a DOM id.

    ``Stream(items, name="messages")`` gives items the ids ``messages-<item.id>`` (or
    ``messages-<item["id"]>`` for dicts); pass ``dom_id=`` for any other scheme.
    """

    def __init__(self, items: Optional[Iterable[T]] = None, *, name: str, dom_id: Optional[Callable[[T], Any]] = None) -> None:
        if not isinstance(name, str) or not name:
            raise StreamError(f"a stream needs a non-empty name, got {name!r}")
        self.name = name
        self._dom_id_function = dom_id
        # Pending inserts by DOM id, in the order the client must apply them (dicts keep insertion
        # order), so that finding an id again in the same handler costs O(1), not a scan.
        self._inserts: dict[str, tuple[T, int, Optional[int], bool]] = {}
        self._deletes: dict[str, None] = {}
        self._reset = False
        if items is not None:
            self.insert_many(items)

    # --- operations ---------------------------------------------------------------------------

    def insert(self, item: T, at: int = -1, limit: Optional[int] = None, update_only: bool = False) -> None:
        """Add ``item`` at ``at`` (-1 appends, 0 prepends); an existing DOM id is updated in place.

        ``limit=-n`` keeps the last n items on the client, ``limit=n`` the first n.
        """
        _check_position(self.name, at, limit)
        dom_id = self.dom_id(item)
        pending = self._inserts.get(dom_id)
        if pending is not None and not pending[3]:
            # Already inserted by this handler: like any existing item, it is updated in place.
            self._inserts[dom_id] = (item, pending[1], pending[2], False)
            return
        if update_only and (self._reset or dom_id in self._deletes):
            return  # reset or deleted earlier in this handler: there is nothing left to update
        # An earlier update_only insert of this id is superseded: this one decides (and goes last).
        self._inserts.pop(dom_id, None)
        self._inserts[dom_id] = (item, at, limit, bool(update_only))

    def insert_many(self, items: Iterable[T], at: int = -1, limit: Optional[int] = None) -> None:
        """Insert several items; with ``at=0`` they are prepended one by one, like Phoenix."""
        for item in items:
            self.insert(item, at=at, limit=limit)

    def delete(self, item: T) -> None:
        """Remove ``item`` (found by its DOM id) from the client's list."""
        self.delete_by_id(self.dom_id(item))

    def delete_by_id(self, dom_id: str) -> None:
        """Remove the element with this DOM id; a pending insert of it in this handler is dropped too."""
        if not isinstance(dom_id, str) or not dom_id:
            raise StreamError(f"stream {self.name!r}: delete_by_id needs a DOM id string, got {dom_id!r}")
        self._inserts.pop(dom_id, None)
        self._deletes[dom_id] = None

    def reset(self, items: Optional[Iterable[T]] = None) -> None:
        """Clear the client's list (and anything pending), then insert ``items`` if given."""
        self._inserts.clear()
        self._deletes.clear()
        self._reset = True
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

    # --- rendering ----------------------------------------------------------------------------

    def __pyview_stream__(self) -> tuple[list[tuple[str, T]], StreamOps]:
        """The template loop's rows and operations; the stream forgets them (it keeps no items)."""
        pending = self._inserts.items()
        rows = [(dom_id, op[0]) for dom_id, op in pending]
        ops = StreamOps(
            self.name,
            inserts=[(dom_id, op[1], op[2], op[3]) for dom_id, op in pending],
            deletes=list(self._deletes),
            reset=self._reset,
        )
        self._inserts, self._deletes, self._reset = {}, {}, False
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
        return f"Stream(name={self.name!r}, pending_inserts={len(self._inserts)}, pending_deletes={len(self._deletes)}, reset={self._reset})"


def _check_position(name: str, at: Any, limit: Any) -> None:
    if type(at) is not int or at < -1:
        raise StreamError(f"stream {name!r}: `at` must be -1 (append), 0 (prepend) or an index, got {at!r}")
    if limit is not None and (type(limit) is not int or limit == 0):
        raise StreamError(f"stream {name!r}: `limit` must be a non-zero int (-n keeps the last n) or None, got {limit!r}")


def render_rounds(render: Callable[[], Any], context: Any) -> Iterator[Any]:
    """The trees the channel must diff, in order, for one handler's changes.

    Usually one. When a handler's stream operations cannot travel in one diff with the meaning
    they had in order, each further segment needs another render and diff (sent as consecutive
    diffs). The caller diffs each tree before asking for the next; the operations a tree carried
    are forgotten only then, so a render that fails, or a render outside the channel
    (``Template.tree`` for a log), loses nothing.
    """
    yield render()  # placeholder until segments land: one render, operations taken by the render
