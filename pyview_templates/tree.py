"""The rendered tree: what a compiled template returns and the diff core consumes.

A render does not produce a string; it produces a tree that keeps the parts
of the page that never change apart from the parts that do, so that the diff
core can send the unchanging parts to the browser once and afterwards only the
values that changed.

``Rendered(fingerprint, statics, dynamics)``
    One compiled template, ``{% if %}`` branch, include or block.

    * ``fingerprint`` -- an int in ``[0, 2**63)`` computed when the template is
      compiled. Two nodes with the same fingerprint have the same statics, so
      the diff core only compares fingerprints to know whether the client
      already holds a node's statics.
    * ``statics`` -- a tuple of ``N + 1`` str: the literal HTML around the
      dynamic slots. It is created once per compiled template and *shared* by
      every render (never rebuilt, never copied), so identity comparison is
      enough.
    * ``dynamics`` -- a list of ``N`` items, one per slot, each one of:
      a ``str`` that is *already escaped* HTML (``to_html`` made it), a nested
      ``Rendered``, a ``Comprehension``, or a ``ComponentRef`` (a live
      component: its cid, and its own tree once it has rendered).

``Comprehension(fingerprint, statics, entries, keys=None, stream=None)``
    One ``{% for %}`` loop. ``statics`` are the loop body's ``M + 1`` str,
    shared by all iterations; ``entries`` is a list with one list of ``M``
    dynamics (same kinds as above) per iteration. ``keys`` (keyed loops) and
    ``stream`` (pending stream operations) are ``None`` unless a feature that
    needs them is in use.

``join(tree)`` returns the HTML: each node's statics interleaved with its
dynamics, a comprehension's entries concatenated. It raises ``TypeError``
naming the offending node and its path if the tree is malformed.

``statics`` must be an exact ``tuple`` and ``dynamics``/``entries`` exact
``list`` objects (checked when a node is built). The lists are held by
reference, not copied: the renderer builds them and hands them over.
"""

from __future__ import annotations

try:
    from ._native import ComponentRef, Comprehension, Rendered, join
except ImportError as exc:  # pragma: no cover - depends on the build
    # No pure-Python fallback on purpose: a silently slow twin would hide a
    # broken install and would drift from the native semantics.
    raise ImportError(
        "pyview_templates' native code (the Cython extensions _escape, _lookup and "
        "_tree: escaping, lookups, the tree types and join) is not built. Build it with "
        "`python -m pip install -e .` from the project root "
        f"(original error: {exc})"
    ) from exc

__all__ = ["ComponentRef", "Comprehension", "Rendered", "join"]


class StreamOps:
    """The pending operations of one stream, carried by its loop's Comprehension (``stream=``).

    ``inserts`` are ``(dom_id, at, limit, update_only)`` in the order they were
    made, matching the comprehension's entries one to one; ``deletes`` are DOM
    ids; ``reset`` clears the client's container first. The diff core gives
    each stream name a per-view wire ref.
    """

    __slots__ = ("name", "inserts", "deletes", "reset")

    def __init__(self, name: str, inserts=(), deletes=(), reset: bool = False) -> None:
        self.name = name
        self.inserts = list(inserts)
        self.deletes = list(deletes)
        self.reset = reset

    def __repr__(self) -> str:
        return f"StreamOps({self.name!r}, inserts={self.inserts!r}, deletes={self.deletes!r}, reset={self.reset!r})"


__all__ += ["StreamOps"]
