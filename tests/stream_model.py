"""Random stream operations and the plain-list model of what the page should show after them.

Shared by the property test against the Python client model (tests/core/test_stream.py) and the
one against the official client in Chromium (tests/e2e/test_stream_client.py). An operation is
``("insert", id, at, limit, update_only)``, ``("delete", id)`` or ``("reset", [ids])`` on a
stream named ``songs`` whose items are ``{"id": id, "title": label}``.

The model is the streams guide read literally: the operations of one handler apply one at a
time, in order. Every handler must leave the page the model predicts, however its operations
mix limits, positions, deletes and resets (the stream sends consecutive diffs when one diff
could not mean the same).
"""

from __future__ import annotations

from hypothesis import strategies as st

ids = st.integers(min_value=1, max_value=8)
limits = st.none() | st.integers(min_value=-5, max_value=5).filter(lambda n: n != 0)
operation = st.one_of(
    st.tuples(st.just("insert"), ids, st.sampled_from([-1, 0, 1, 2, 5]), limits, st.booleans()),
    st.tuples(st.just("delete"), ids),
    st.tuples(st.just("reset"), st.lists(ids, max_size=4, unique=True)),
)
# Handlers that only add items, with limits (random mixes of every operation rarely produce them).
growth = st.lists(
    st.tuples(st.just("insert"), ids, st.sampled_from([-1, 0, 1, 2, 5]), limits, st.just(False)),
    min_size=1, max_size=5,
)
# A test run: a list of handlers, each a list of operations applied in one event.
handler_lists = st.lists(st.lists(operation, max_size=5) | growth, min_size=1, max_size=6)
# Operations without a limit or an index position: what a handler can do in one diff, always.
plain_operation = st.one_of(
    st.tuples(st.just("insert"), ids, st.sampled_from([-1, 0]), st.none(), st.booleans()),
    st.tuples(st.just("delete"), ids),
    st.tuples(st.just("reset"), st.lists(ids, max_size=4, unique=True)),
)

Row = tuple[str, str]  # (dom_id, text)


def apply_op(stream, op: tuple, label: str) -> None:
    """Carry out ``op`` on a ``pyview_core.Stream`` of songs; ``label`` becomes inserted items' title."""
    if op[0] == "insert":
        stream.insert({"id": op[1], "title": label}, at=op[2], limit=op[3], update_only=op[4])
    elif op[0] == "delete":
        stream.delete_by_id(f"songs-{op[1]}")
    else:
        stream.reset([{"id": i, "title": label} for i in op[1]])


def model_apply(model: list[Row], op: tuple, label: str) -> list[Row]:
    """The streams guide, one operation at a time, on the list of (dom_id, text) the page shows."""
    kind = op[0]
    if kind == "delete":
        return [row for row in model if row[0] != f"songs-{op[1]}"]
    if kind == "reset":
        return [(f"songs-{i}", label) for i in op[1]]
    _, i, at, limit, update_only = op
    dom_id = f"songs-{i}"
    if any(row[0] == dom_id for row in model):
        return [(d, label if d == dom_id else text) for d, text in model]  # update in place, whatever `at`
    if update_only:
        return model
    model = list(model)
    model.insert(len(model) if at == -1 else min(at, len(model)), (dom_id, label))
    if limit is not None:
        model = model[limit:] if limit < 0 else model[:limit]
    return model
