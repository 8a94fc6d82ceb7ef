"""The live components of one view: placing, mounting, updating, rendering and destroying them.

One registry per view instance (a joined channel, or one dead render). A render pass goes:

1. ``begin_pass()``; the view's template renders and each ``live_component(Cls, id=…, **assigns)``
   calls ``place``, which gives the component's cid (a new one for a new ``(Cls, id)``; cids are
   never reused) and queues the assigns;
2. ``await settle()`` mounts new components, runs ``update`` with the queued assigns and renders
   each placed (or ``send_update``-d) component; components those renders place are settled in the
   next round, until none is left. It returns ``{cid: tree}`` for the diff's ``"c"``.

A component's events, and ``send_update``, make a pass of their own without the view: only those
components render (``dirty``). ``render_fresh`` renders everything from the current state
without ``update`` (stream rounds after the first, and the test client's fresh-render check).

Destruction follows the client (PROTOCOL.md §6.5): ``cids_will_destroy`` marks, a later
``place`` unmarks, and ``cids_destroyed`` deletes what is still marked.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from pyview_templates.roots import flag_for
from pyview_templates.tree import ComponentRef, Rendered

from .component_globals import _Ambiguous, done_rendering, rendering_component
from .live_component import ComponentSocket, LiveComponent
from .runtime import TemplatePolicy

logger = logging.getLogger("pyview_core")

__all__ = ["ComponentError", "ComponentRegistry"]


class ComponentError(ValueError):
    """A live component placed wrongly (no id, a duplicate id, not a component class, several roots)."""


@dataclass(eq=False)
class Entry:
    """One live component of the view."""

    cid: int
    cls: type
    id: Any
    socket: ComponentSocket[Any]
    component: Optional[LiveComponent[Any]] = None  # made and mounted by the first settle
    pending: list[dict[str, Any]] = field(default_factory=list)  # assigns for update, in order
    tree: Optional[Rendered] = None  # the last render
    marked: bool = False  # the client said it will destroy it
    handlers: dict[Optional[str], tuple[Any, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.cls.__qualname__} (id={self.id!r}, cid {self.cid})"


def _describe(cls: Any) -> str:
    return cls.__qualname__ if isinstance(cls, type) else repr(cls)


class ComponentRegistry:
    """The components of one view; ``place`` is what ``live_component(...)`` calls while it renders."""

    def __init__(
        self,
        parent_socket: Any,
        view_name: str,
        templates: Optional[TemplatePolicy] = None,
        post_update: Optional[Callable[[type, Any, dict[str, Any]], None]] = None,
        owner: Optional[Callable[[], Optional["asyncio.Task[Any]"]]] = None,
        view_module: Optional[str] = None,
    ) -> None:
        """``post_update(cls, id, assigns)``: how a ``send_update`` from outside the view's own
        task (a job) reaches it (the channel queues it in the mailbox); ``owner()`` is that task.
        ``view_module``: where the view is defined (a component class name several modules use
        means the one defined there)."""
        self._parent = parent_socket
        self._view_name = view_name
        self._view_module = view_module
        self._templates = templates
        self._post_update = post_update
        self._owner = owner
        self._by_key: dict[tuple[type, Any], Entry] = {}
        self._by_cid: dict[int, Entry] = {}
        self._next_cid = 1
        self._placed: set[tuple[type, Any]] = set()  # this pass: duplicates are an error
        # Who placed whom (0: the view): in the latest render of each placer, and in this pass.
        self._children: dict[int, set[int]] = {}
        self._pass_children: dict[int, set[int]] = {}
        self._refs: list[tuple[ComponentRef, Entry]] = []
        self._dirty: dict[int, Entry] = {}
        self._fresh: Optional[dict[int, Rendered]] = None  # set while render_fresh runs
        self._rendering: list[Entry] = []  # the components whose render is running (nested in fresh renders)

    def __len__(self) -> int:
        return len(self._by_cid)

    def entry(self, cid: Any) -> Optional[Entry]:
        return self._by_cid.get(cid) if type(cid) is int else None

    @property
    def cids(self) -> list[int]:
        return list(self._by_cid)

    @property
    def has_work(self) -> bool:
        """Whether components wait to be updated and rendered (``send_update``)."""
        return bool(self._dirty)

    # --- placing (during a render) -------------------------------------------------------------

    def begin_pass(self, view_renders: bool = False) -> None:
        """A new render pass; ``view_renders``: the view's own render comes first (it re-places
        its components, so what it placed before no longer counts)."""
        self._placed.clear()
        self._pass_children = {}
        self._refs.clear()
        if view_renders:
            self._children[0] = set()

    def reached_from_view(self) -> set[int]:
        """The components this pass rendered where the view's render reaches them: placed by the
        view, or by a component so reached. (The others, rendered by ``send_update`` or their own
        events, the client must patch in place: they go in a diff of components alone.)"""
        return _reach(self._pass_children)

    def on_page(self) -> set[int]:
        """The components the latest renders place, from the view down: what the client shows
        once it has applied what was sent (stream rows it keeps aside)."""
        return _reach(self._children)

    def place(self, cls: Any, id: Any, assigns: dict[str, Any]) -> ComponentRef:
        if isinstance(cls, _Ambiguous):
            cls = self._disambiguate(cls)
        if not (isinstance(cls, type) and issubclass(cls, LiveComponent)):
            raise ComponentError(
                f"live_component() needs a LiveComponent subclass as its first argument, got {_describe(cls)}"
            )
        if id is None:
            raise ComponentError(
                f"live_component({cls.__qualname__}) needs an id=… that names it among the {cls.__qualname__} "
                f"components of {self._view_name} (e.g. id=item.id)"
            )
        key = (cls, id)
        try:
            if key in self._placed:
                raise ComponentError(
                    f"duplicate id {id!r} for live component {cls.__qualname__} in one render of {self._view_name}: "
                    "each live_component(...) of a class needs its own id"
                )
        except TypeError:
            raise ComponentError(
                f"live_component({cls.__qualname__}, id={id!r}): the id must be hashable (a str, an int, a tuple)"
            ) from None
        self._placed.add(key)
        entry = self._by_key.get(key)
        if entry is None:
            entry = self._add(cls, id)
        entry.marked = False  # rendered again: not destroyed after all
        placer = self._rendering[-1].cid if self._rendering else 0
        self._children.setdefault(placer, set()).add(entry.cid)
        self._pass_children.setdefault(placer, set()).add(entry.cid)
        ref = ComponentRef(entry.cid, None, cls.__qualname__)
        if self._fresh is not None:
            ref.tree = self._fresh[entry.cid] = self._render(entry)
            return ref
        entry.pending.append({"id": id, **assigns})
        self._dirty[entry.cid] = entry
        self._refs.append((ref, entry))
        return ref

    def _disambiguate(self, name: _Ambiguous) -> type:
        """A class name several components share: the one defined in the module of whoever is
        rendering (the component being rendered, else the view), or an error naming them all."""
        rendering = self._rendering[-1].cls if self._rendering else None
        for module in (getattr(rendering, "__module__", None), self._view_module):
            found = [c for c in name.classes if c.__module__ == module]
            if len(found) == 1:
                return found[0]
        raise ComponentError(f"live_component({name.name}): {name!r}")

    def _add(self, cls: type, id: Any) -> Entry:
        cid = self._next_cid
        self._next_cid += 1
        entry = Entry(cid, cls, id, ComponentSocket(self._parent, self, cid, id))
        self._by_key[(cls, id)] = entry
        self._by_cid[cid] = entry
        return entry

    # --- updates ------------------------------------------------------------------------------

    def send_update(self, cls: type, id: Any, assigns: dict[str, Any]) -> None:
        """``socket.send_update(Cls, id, **assigns)``: ``update`` runs with them, then a render.

        From the view's own task it is queued for the render that ends the current handler; from
        elsewhere (a job) it goes through the view's mailbox."""
        if self._owner is not None and self._post_update is not None and asyncio.current_task() is not self._owner():
            self._post_update(cls, id, assigns)
            return
        self.queue_update(cls, id, assigns)

    def queue_update(self, cls: type, id: Any, assigns: dict[str, Any]) -> bool:
        entry = self._by_key.get((cls, id))
        if entry is None:
            logger.warning(
                "%s: send_update(%s, id=%r) found no such component (never rendered, or removed from the page)",
                self._view_name, _describe(cls), id,
            )
            return False
        entry.pending.append({"id": id, **assigns})  # as Phoenix: update sees the id too
        self._dirty[entry.cid] = entry
        return True

    def dirty(self, cid: int) -> None:
        """Component ``cid`` changed its own state (it handled an event): render it in the next settle."""
        entry = self._by_cid.get(cid)
        if entry is not None:
            self._dirty[cid] = entry

    async def settle(self) -> dict[int, Rendered]:
        """Mount, update and render every component placed or updated since the last settle
        (and the ones their renders place), then give each placed ``ComponentRef`` its tree."""
        rendered: dict[int, Rendered] = {}
        while self._dirty:
            batch = list(self._dirty.values())
            self._dirty.clear()
            for entry in batch:
                await self._prepare(entry)
            for entry in batch:
                rendered.pop(entry.cid, None)  # rendered again: after the components its render placed
                rendered[entry.cid] = self._render(entry)
        for ref, entry in self._refs:
            ref.tree = entry.tree
        self._refs.clear()
        return rendered

    async def _prepare(self, entry: Entry) -> None:
        templates = self._templates
        phase = "the template (set template_name, or override render()) of"
        try:
            if templates is not None and not templates.is_current(entry.cls):
                await templates.ready(entry.cls)
            phase = "mount of"
            if entry.component is None:
                entry.component = entry.cls()
                await entry.component.mount(entry.socket)
            phase = "update of"
            pending = entry.pending
            while pending:
                await entry.component.update(pending.pop(0), entry.socket)
        except Exception as exc:
            exc.add_note(f"in {phase} live component {entry.name} of {self._view_name}")
            raise

    def _render(self, entry: Entry) -> Rendered:
        if entry.component is None:
            raise ComponentError(f"live component {entry.name} was placed during a fresh render but never mounted")
        token = rendering_component(entry.cid)
        self._children[entry.cid] = set()  # this render says which components it places
        self._rendering.append(entry)
        try:
            tree = entry.component.render(entry.socket.context)
        except Exception as exc:
            exc.add_note(f"in the render of live component {entry.name} of {self._view_name}")
            raise
        finally:
            self._rendering.pop()
            done_rendering(token)
        if type(tree) is not Rendered:
            raise ComponentError(f"live component {entry.name}: render() returned {type(tree).__name__}, not a Rendered tree")
        if entry.tree is None or entry.tree.fingerprint != tree.fingerprint:
            if not flag_for(tree.fingerprint, tree.statics):
                raise ComponentError(
                    f"live component {entry.name} must render a single root HTML tag (the client marks it with "
                    f"data-phx-component); its template {self._template_of(entry.cls)} renders "
                    f"{''.join(tree.statics)[:80]!r}…"
                )
        entry.tree = tree
        return tree

    @staticmethod
    def _template_of(cls: type) -> str:
        try:
            return str(cls.template_path())  # type: ignore[attr-defined]
        except Exception:
            return "(its render())"

    def render_fresh(self, render_view: Optional[Callable[[], Rendered]], cids: tuple[int, ...] = ()) -> tuple[Optional[Rendered], dict[int, Rendered]]:
        """The view (if ``render_view``) and components ``cids`` rendered from their current
        state, without ``update``: what the client should be showing when nothing is pending."""
        self.begin_pass(view_renders=render_view is not None)
        self._fresh = {}
        try:
            tree = render_view() if render_view is not None else None
            for cid in cids:
                entry = self._by_cid.get(cid)
                if entry is not None and cid not in self._fresh:
                    self._fresh[cid] = self._render(entry)
            return tree, self._fresh
        finally:
            self._fresh = None
            self.begin_pass()

    # --- destruction (PROTOCOL.md §6.5) ---------------------------------------------------------

    def mark_for_destroy(self, cids: list[Any]) -> None:
        """The client removed these from its page. One that the latest renders place again is
        not marked: the message crossed a render that put it back (a removal, a re-add and
        another removal in flight can otherwise destroy a component that is on the page)."""
        on_page = self.on_page() if cids else set()
        for cid in cids:
            entry = self.entry(cid)
            if entry is not None and cid not in on_page:
                entry.marked = True

    def destroy(self, cids: list[Any]) -> list[int]:
        """Delete the marked components among ``cids`` and return them (what the client prunes);
        one rendered again since it was marked stays, and an unknown cid is ignored (Phoenix's
        ``Diff.delete_component``)."""
        gone: list[int] = []
        for cid in cids:
            entry = self.entry(cid)
            if entry is not None and entry.marked:
                del self._by_cid[cid]
                del self._by_key[(entry.cls, entry.id)]
                self._dirty.pop(cid, None)
                self._children.pop(cid, None)
                for placed in self._children.values():
                    placed.discard(cid)
                gone.append(cid)
        return gone


def _reach(children: dict[int, set[int]]) -> set[int]:
    """The cids reachable from the view (0) through ``children``."""
    seen: set[int] = set()
    todo = list(children.get(0, ()))
    while todo:
        cid = todo.pop()
        if cid not in seen:
            seen.add(cid)
            todo.extend(children.get(cid, ()))
    return seen
