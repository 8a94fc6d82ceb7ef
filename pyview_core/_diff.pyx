# cython: language_level=3, boundscheck=False, wraparound=False
"""The diff core: Rendered trees → LiveView 1.2 wire trees and minimal diffs.

Phoenix's model, as a pure function of (what the client holds, new tree):

* A node whose fingerprint is new at its position is sent whole, with ``"s"``.
* A node whose fingerprint the client already has at that position sends only
  the dynamics that changed, recursively; unchanged keys are left out.
* A comprehension is a keyed ``k``/``kc`` table whose entries are diffed one
  dynamic at a time; with loop keys, entries that moved are sent as moves
  (``j`` or ``[j, diff]`` and ``"km": true``) instead of re-sent rows.
* A stream comprehension always sends full rows for what it inserts (the
  client forgets rendered stream rows) plus its operations.

What the Differ keeps between renders is the previous tree itself: its
fingerprints, the statics tuples shared with the compiled template, and the
already-escaped dynamic strings. Those are immutable snapshots of the page, so
a user mutating ``socket.context`` lists in place cannot corrupt the next
diff, and nothing is copied.

Live components (``ComponentRef`` in a tree) are sent as Phoenix does: the int cid in their
place, and each component's own tree under the diff's top-level ``"c"``, diffed against what the
client holds for that cid. A component the client does not hold yet borrows the statics of one
with the same template (``"s": +cid`` from this diff, ``-cid`` already known) and sends every
dynamic, so two hundred cards of one template send their statics once.

Stream comprehensions are the exception: once encoded, their rows belong to
the client, so the kept tree holds an empty placeholder in their place. The
Differ never changes the tree it is given (the caller may render it to HTML,
log it or diff it again), so it keeps a copy of only the path from the root
to each stream: a tree without streams is kept as given, and the walk pays
one integer comparison per comprehension to know (see ``_kept_tree``).
"""

cimport cython
from pyview_templates._tree cimport ComponentRef, Comprehension, Rendered

import orjson

from pyview_templates.roots import ROOT_FLAGS, flag_for as _root_flag_for

# The compiler's root flags by fingerprint (pyview_templates.roots), as a C-typed reference.
cdef dict _ROOT_FLAGS = ROOT_FLAGS

# "0", "1", … as shared str objects: every wire key is one of these.
cdef list _KEYS = [str(i) for i in range(4096)]
cdef str _S = "s"
cdef str _K = "k"
cdef str _KC = "kc"
cdef str _KM = "km"
cdef str _R = "r"
cdef str _STREAM = "stream"
cdef str _C = "c"


cdef inline str _key(Py_ssize_t i):
    if i < 4096:
        return <str>_KEYS[i]
    return str(i)


# --- the root flag -----------------------------------------------------------------------------
# Decided by the compiler for every node of a compiled template (pyview_templates.roots); here it
# is only looked up by fingerprint. A hand-built tree's node is judged the first time it is seen.

cdef bint _is_root(Rendered node) except -1:
    cached = _ROOT_FLAGS.get(node.fingerprint)
    if cached is None:
        cached = _root_flag_for(node.fingerprint, node.statics)
    return <bint>cached


# --- errors ------------------------------------------------------------------------------------

cdef object _bad_dynamic(object d, str where):
    return TypeError(
        f"{where} is a {type(d).__name__}; a tree dynamic must be a str (escaped HTML), "
        f"a Rendered, a Comprehension or a ComponentRef"
    )


cdef object _bad_count(str kind, Py_ssize_t statics, Py_ssize_t dynamics):
    return TypeError(
        f"a {kind} has {statics} statics and {dynamics} dynamics; expected one more static than dynamics"
    )


# --- the differ ----------------------------------------------------------------------------------


@cython.final
cdef class Differ:
    """Per connected view: ``join(tree)`` once, then ``diff(tree)`` per render.

    Both return JSON-ready dicts in the LiveView 1.2 format (statics are tuples,
    which JSON encoders write as arrays). ``title`` and ``events`` become the
    top-level ``t`` and ``e`` keys. ``join_json``/``diff_json`` encode in the
    same call.

    ``components`` (``{cid: Rendered}``) are the live components rendered for this
    diff; ``diff_components`` sends components alone (an event one component
    handled), and ``forget`` drops the components the client has destroyed.
    """

    cdef object _prev
    cdef dict _stream_refs
    # Stream comprehensions met so far, and for this walk: id(comprehension) -> what the kept
    # tree holds instead (a placeholder for a stream; for a loop with streams in its entries,
    # a copy whose entries hold the replacements). Filled only when a tree has streams.
    cdef Py_ssize_t _streams
    cdef dict _replaced
    cdef dict _placeholders  # fingerprint -> the empty Comprehension kept for a stream
    # Components the client holds: cid -> the kept tree; and, per root fingerprint, one such cid
    # whose statics a new component of the same template can borrow.
    cdef dict _ctrees
    cdef dict _by_print
    cdef long long _cid  # the component being encoded (0: the view), for stream refs
    # The components whose changes this diff sends under "c": their places are sent again (their
    # cid), so that every node on the way to them is re-rendered by the client instead of being
    # kept as an unchanged root (which would keep the component's old content with it).
    cdef set _changed
    cdef Py_ssize_t _refs_made  # stream refs ever given out: a ref is never reused

    def __cinit__(self):
        self._prev = None
        self._stream_refs = {}
        self._streams = 0
        self._replaced = {}
        self._placeholders = {}
        self._ctrees = {}
        self._by_print = {}
        self._cid = 0
        self._changed = set()
        self._refs_made = 0

    @property
    def joined(self) -> bool:
        return self._prev is not None

    def join(self, tree, title=None, events=None, components=None) -> dict:
        """The full wire tree (the ``rendered`` of a join reply)."""
        if type(tree) is not Rendered:
            raise _bad_dynamic(tree, "the tree")
        cdef Py_ssize_t before = self._streams
        if self._replaced:
            self._replaced.clear()  # what a walk that raised left: ids of objects maybe gone
        self._cid = 0
        out = self._full_node(<Rendered>tree, True)
        self._prev = tree if self._streams == before else self._kept_tree(tree)
        if components:
            self._put_components(out, components)
        _add_top(out, title, events)
        return out

    def diff_components(self, components, title=None, events=None) -> dict:
        """Only components changed (an event a component handled, ``send_update``): ``{"c": …}``,
        which the client patches without re-rendering the view; ``{}`` when nothing changed."""
        if self._prev is None:
            raise RuntimeError("Differ.diff_components() before join(): the client has no tree to patch")
        cdef dict out = {}
        if self._replaced:
            self._replaced.clear()
        if components:
            self._put_components(out, components)
        _add_top(out, title, events)
        return out

    def forget(self, cids) -> None:
        """The client destroyed these components: their cids are never sent or borrowed again."""
        cdef long long cid
        for c in cids:
            cid = c
            kept = self._ctrees.pop(cid, None)
            if kept is not None:
                self._unregister_print(cid, (<Rendered>kept).fingerprint)
            for key in [k for k in self._stream_refs if type(k) is tuple and (<tuple>k)[0] == cid]:
                del self._stream_refs[key]

    @property
    def component_count(self) -> int:
        """How many components the client holds (for tests and leak checks)."""
        return len(self._ctrees)

    def diff(self, tree, title=None, events=None, components=None) -> dict:
        """The minimal diff from the previous tree to ``tree``; ``{}`` when nothing changed."""
        if type(tree) is not Rendered:
            raise _bad_dynamic(tree, "the tree")
        if self._prev is None:
            raise RuntimeError("Differ.diff() before join(): the client has no tree to patch")
        cdef Rendered prev = <Rendered>self._prev
        cdef Rendered new = <Rendered>tree
        cdef Py_ssize_t before = self._streams
        if self._replaced:
            self._replaced.clear()  # what a walk that raised left: ids of objects maybe gone
        cdef dict c = self._components_out(components) if components else None
        before = self._streams
        self._cid = 0
        try:
            if prev.fingerprint != new.fingerprint:
                out = self._full_node(new, True)
            else:
                out = self._diff_node(prev, new)
                if out is None:
                    out = {}
        finally:
            self._changed.clear()
        self._prev = tree if self._streams == before else self._kept_tree(tree)
        if c:
            out[_C] = c
        _add_top(out, title, events)
        return out

    # --- components ("c") ------------------------------------------------------------------------

    cdef void _put_components(self, dict out, object components) except *:
        """``out["c"]`` for a diff whose view was not walked after its components (join, or none)."""
        c = self._components_out(components)
        self._changed.clear()
        if c:
            out[_C] = c

    cdef void _unregister_print(self, long long cid, long long fingerprint) except *:
        """``cid`` no longer holds the template ``fingerprint``: another holder lends it, if any."""
        if self._by_print.get(fingerprint) != cid:
            return
        del self._by_print[fingerprint]
        for other, other_tree in self._ctrees.items():
            if other != cid and (<Rendered>other_tree).fingerprint == fingerprint:
                self._by_print[fingerprint] = other
                break

    cdef dict _components_out(self, object components):
        """Each rendered component's wire value (left out when unchanged), for ``"c"``.

        Every value is computed against what the client holds *before* this diff (a ``-cid``
        reference reads the client's old tree of that cid), and only then is the kept state
        updated. Components come in render order (a component before those its render placed):
        they are encoded in reverse, so a component's changed children are known when its own
        tree is diffed, and their places in it are sent again (``_changed``)."""
        cdef dict c = {}
        cdef dict whole = {}  # root fingerprint -> the cid that sends its statics in this diff
        cdef list kept = []
        cdef long long cid
        cdef Rendered tree
        cdef Py_ssize_t before
        cdef object value, source, found
        # Which component sends a template's statics: the first (in render order) of those the
        # client does not hold at that template, unless the client holds another of it to borrow.
        for key, node in components.items():
            if type(node) is not Rendered:
                raise _bad_dynamic(node, f"the tree of component {key}")
            found = self._ctrees.get(key)
            fingerprint = (<Rendered>node).fingerprint
            if (found is not None and (<Rendered>found).fingerprint == fingerprint) or fingerprint in whole:
                continue
            source = self._by_print.get(fingerprint)
            if source is None or source == key:
                whole[fingerprint] = key
        self._changed.clear()
        for key in reversed(list(components)):
            tree = <Rendered>components[key]
            cid = key
            self._cid = cid
            before = self._streams
            found = self._ctrees.get(cid)
            if found is not None and (<Rendered>found).fingerprint == tree.fingerprint:
                value = self._diff_node(<Rendered>found, tree)
            else:
                source = whole.get(tree.fingerprint)
                if source is not None and source != cid:  # borrow from the one sent whole in this diff
                    value = self._shared_node(<Rendered>components[source], tree)
                    value[_S] = source
                    value[_R] = 1
                elif source is None:  # borrow from one the client holds
                    source = self._by_print[tree.fingerprint]
                    value = self._shared_node(<Rendered>self._ctrees[source], tree)
                    value[_S] = -<long long>source
                    value[_R] = 1
                else:
                    value = self._full_node(tree)
                    value[_R] = 1  # a component's root is always stamped (the registry checked it has one)
            kept.append((cid, tree if self._streams == before else self._kept_tree(tree)))
            if value is not None:
                c[_key(cid)] = value
                self._changed.add(cid)
        self._cid = 0
        for cid, node in reversed(kept):  # render order: the first holder of a template lends it
            found = self._ctrees.get(cid)
            self._ctrees[cid] = node
            if found is not None and (<Rendered>found).fingerprint != (<Rendered>node).fingerprint:
                self._unregister_print(cid, (<Rendered>found).fingerprint)  # it holds another template now
            if (<Rendered>node).fingerprint not in self._by_print:
                self._by_print[(<Rendered>node).fingerprint] = cid
        return {_key(cid): c[_key(cid)] for cid in sorted(self._changed)} if c else c

    cdef dict _shared_node(self, Rendered source, Rendered new):
        """``new`` complete, as a merge onto ``source`` (same fingerprint): every dynamic is sent,
        a nested node that has the same fingerprint in ``source`` without its statics."""
        cdef list src = source.dynamics, dyn = new.dynamics
        cdef Py_ssize_t i, n = len(dyn)
        cdef dict out = {}
        cdef object d, s
        if len(src) != n:
            raise TypeError(f"two renders of the same fingerprint have {len(src)} and {n} dynamics")
        for i in range(n):
            d = dyn[i]
            s = src[i]
            if type(d) is Rendered and type(s) is Rendered and (<Rendered>s).fingerprint == (<Rendered>d).fingerprint:
                out[_key(i)] = self._shared_node(<Rendered>s, <Rendered>d)
            else:
                out[_key(i)] = self._full_dyn(d, i)
        return out

    # --- the kept tree (only when the tree has streams) ---------------------------------------

    cdef object _kept_tree(self, Rendered tree):
        """``tree`` with every stream replaced by its placeholder, sharing all the rest."""
        kept = self._strip(tree)
        self._replaced.clear()
        return kept

    cdef object _strip(self, object d):
        """What the kept tree holds for ``d``. Comprehensions are never searched: the walk
        registered every one that held a stream (itself or in its entries) in ``_replaced``,
        so only the nodes outside loops are visited here."""
        cdef type t = type(d)
        if t is Comprehension:
            return self._replaced.get(id(d), d)
        if t is not Rendered:
            return d
        cdef list dyn = (<Rendered>d).dynamics
        cdef list kept = self._strip_list(dyn)
        if kept is dyn:
            return d
        return Rendered((<Rendered>d).fingerprint, (<Rendered>d).statics, kept)

    cdef list _strip_list(self, list dyn):
        """``dyn`` itself, or a copy with the kept replacement of each dynamic that differs."""
        cdef list kept = None
        cdef Py_ssize_t i, n = len(dyn)
        cdef object x, y
        for i in range(n):
            x = dyn[i]
            if type(x) is str:
                continue
            y = self._strip(x)
            if y is not x:
                if kept is None:
                    kept = list(dyn)
                kept[i] = y
        return dyn if kept is None else kept

    cdef void _replace_loop(self, Comprehension c) except *:
        """Streams were met in the entries of loop ``c``: register its copy for the kept tree."""
        cdef list entries = c.entries
        cdef list kept = list(entries)
        cdef Py_ssize_t i
        for i in range(len(entries)):
            kept[i] = self._strip_list(<list>entries[i])
        self._replaced[id(c)] = Comprehension(c.fingerprint, c.statics, kept, c.keys)

    cdef void _replace_stream(self, Comprehension c) except *:
        """Stream ``c`` was encoded: its rows belong to the client now. The kept tree gets an
        empty comprehension in its place (the next render's operations are diffed against
        nothing, as a stream always is)."""
        placeholder = self._placeholders.get(c.fingerprint)
        if placeholder is None:  # one per loop: nothing ever changes a placeholder
            placeholder = self._placeholders[c.fingerprint] = Comprehension(c.fingerprint, c.statics, [])
        self._replaced[id(c)] = placeholder
        self._streams += 1

    def join_json(self, tree, title=None, events=None) -> bytes:
        return orjson.dumps(self.join(tree, title, events))

    def diff_json(self, tree, title=None, events=None) -> bytes:
        return orjson.dumps(self.diff(tree, title, events))

    # --- full trees (the client has nothing at this position) -----------------------------------

    cdef dict _full_node(self, Rendered node, bint top=False):
        cdef list dyn = node.dynamics
        cdef Py_ssize_t i, n = len(dyn)
        if len(node.statics) != n + 1:
            raise _bad_count("Rendered node", len(node.statics), n)
        cdef dict out = {_S: node.statics}
        for i in range(n):
            out[_key(i)] = self._full_dyn(dyn[i], i)
        # At the top level "r" means a hook reply to the client, never the root flag.
        if not top and _is_root(node):
            out[_R] = 1
        return out

    cdef object _full_dyn(self, object d, Py_ssize_t i):
        cdef type t = type(d)
        if t is str:
            return d
        if t is Rendered:
            return self._full_node(<Rendered>d)
        if t is Comprehension:
            return self._full_comp(<Comprehension>d)
        if t is ComponentRef:
            return (<ComponentRef>d).cid
        raise _bad_dynamic(d, f"dynamic {i}")

    cdef dict _full_entry(self, object entry, Py_ssize_t width):
        if type(entry) is not list or len(<list>entry) != width:
            raise TypeError(f"a comprehension entry must be a list of {width} dynamics, got {entry!r:.80}")
        cdef list e = <list>entry
        cdef dict out = {}
        cdef Py_ssize_t j
        for j in range(width):
            out[_key(j)] = self._full_dyn(e[j], j)
        return out

    cdef dict _full_comp(self, Comprehension c):
        cdef list entries = c.entries
        cdef Py_ssize_t i, n = len(entries), width = len(c.statics) - 1
        cdef Py_ssize_t before = self._streams
        cdef dict k = {}
        for i in range(n):
            k[_key(i)] = self._full_entry(entries[i], width)
        k[_KC] = n
        cdef dict out = {_S: c.statics, _K: k}
        if c.stream is not None:
            out[_STREAM] = self._stream(c.stream)
            self._replace_stream(c)
        elif self._streams != before:
            self._replace_loop(c)
        return out

    # --- diffs (the client has the same fingerprint at this position) ----------------------------

    cdef object _diff_dyn(self, object old, object new, Py_ssize_t i):
        """The wire value for one node position, or None if the client already shows ``new``.

        Text positions never get here: ``_diff_list`` compares them inline.
        """
        cdef type t = type(new)
        if t is Rendered:
            if type(old) is Rendered and (<Rendered>old).fingerprint == (<Rendered>new).fingerprint:
                return self._diff_node(<Rendered>old, <Rendered>new)
            return self._full_node(<Rendered>new)
        if t is Comprehension:
            if type(old) is Comprehension and (<Comprehension>old).fingerprint == (<Comprehension>new).fingerprint:
                return self._diff_comp(<Comprehension>old, <Comprehension>new)
            return self._full_comp(<Comprehension>new)
        if t is ComponentRef:
            if type(old) is ComponentRef and (<ComponentRef>old).cid == (<ComponentRef>new).cid \
                    and (<ComponentRef>new).cid not in self._changed:
                return None  # the same component, unchanged
            return (<ComponentRef>new).cid  # new here, or changed: its place is sent again (see _changed)
        raise _bad_dynamic(new, f"dynamic {i}")

    cdef object _diff_list(self, list old, list new):
        """Changed positions of two dynamics lists of the same shape, or None."""
        cdef Py_ssize_t i, n = len(new)
        if len(old) != n:
            raise TypeError(f"two renders of the same fingerprint have {len(old)} and {n} dynamics")
        cdef object out = None
        cdef object r, o, nw
        for i in range(n):
            o = old[i]
            nw = new[i]
            if o is nw:
                continue
            # Text is by far the most common dynamic: compare it here, without a call.
            if type(nw) is str:
                if type(o) is str and <str>o == <str>nw:
                    continue
                r = nw
            elif type(nw) is Rendered and type(o) is Rendered and not (<Rendered>nw).dynamics \
                    and (<Rendered>o).fingerprint == (<Rendered>nw).fingerprint:
                continue  # same static-only branch (an `if` with no dynamics)
            else:
                r = self._diff_dyn(o, nw, i)
                if r is None:
                    continue
            if out is None:
                out = {}
            (<dict>out)[_key(i)] = r
        return out

    cdef object _diff_node(self, Rendered old, Rendered new):
        return self._diff_list(old.dynamics, new.dynamics)

    cdef object _diff_comp(self, Comprehension old, Comprehension new):
        cdef list entries = new.entries
        cdef Py_ssize_t width = len(new.statics) - 1
        cdef Py_ssize_t i, n = len(entries)
        cdef dict k
        if new.stream is not None:
            ops = new.stream
            if n == 0 and not ops.inserts and not ops.deletes and not ops.reset:
                self._replace_stream(new)
                return None
            k = {}
            for i in range(n):
                k[_key(i)] = self._full_entry(entries[i], width)
            k[_KC] = n
            out = {_K: k, _STREAM: self._stream(ops)}
            self._replace_stream(new)
            return out
        cdef Py_ssize_t before = self._streams
        if new.keys is not None and old.keys is not None:
            k = self._diff_keyed(old, new, width)
        else:
            k = self._diff_by_index(old.entries, entries, width)
        if self._streams != before:
            self._replace_loop(new)
        if k is None:
            return None
        return {_K: k}

    cdef object _diff_by_index(self, list old, list new, Py_ssize_t width):
        cdef Py_ssize_t i, n_old = len(old), n_new = len(new)
        cdef Py_ssize_t common = n_old if n_old < n_new else n_new
        cdef dict k = {}
        cdef object e
        for i in range(common):
            e = self._diff_entry(old[i], new[i], width)
            if e is not None:
                k[_key(i)] = e
        for i in range(common, n_new):
            k[_key(i)] = self._full_entry(new[i], width)
        if not k and n_old == n_new:
            return None
        k[_KC] = n_new
        return k

    cdef object _diff_entry(self, object old, object new, Py_ssize_t width):
        if type(new) is not list or len(<list>new) != width:
            raise TypeError(f"a comprehension entry must be a list of {width} dynamics, got {new!r:.80}")
        return self._diff_list(<list>old, <list>new)

    cdef object _diff_keyed(self, Comprehension old, Comprehension new, Py_ssize_t width):
        """Entries matched by key: unchanged rows stay put or move (``"km"``); only changes are sent."""
        cdef list old_keys = <list>old.keys, new_keys = <list>new.keys
        cdef list old_entries = old.entries, new_entries = new.entries
        cdef Py_ssize_t i, j, n_new = len(new_entries)
        if len(old_keys) != len(old_entries) or len(new_keys) != n_new:
            raise TypeError("a keyed comprehension needs exactly one key per entry")
        cdef dict where = {}
        try:
            for i in range(len(old_keys)):
                where[old_keys[i]] = i
            unique = len(where) == len(old_keys) and len(set(new_keys)) == n_new
        except TypeError:  # unhashable keys (templates check this; hand-built trees may not)
            unique = False
        if not unique:
            # Duplicate keys cannot be matched reliably: fall back to positions.
            return self._diff_by_index(old_entries, new_entries, width)
        cdef dict k = {}
        cdef bint moved = False
        cdef object e
        for i in range(n_new):
            found = where.get(new_keys[i])
            if found is None:
                k[_key(i)] = self._full_entry(new_entries[i], width)
                continue
            j = <Py_ssize_t>found
            e = self._diff_entry(old_entries[j], new_entries[i], width)
            if j == i:
                if e is not None:
                    k[_key(i)] = e
            else:
                moved = True
                k[_key(i)] = j if e is None else [j, e]
        if not k and len(old_entries) == n_new:
            return None
        k[_KC] = n_new
        if moved:
            k[_KM] = True
        return k

    # --- streams -------------------------------------------------------------------------------

    cdef list _stream(self, ops):
        """``[ref, [[dom_id, at, limit, update_only], …], [deleted ids]]`` (+ ``true`` on reset)."""
        key = ops.name if self._cid == 0 else (self._cid, ops.name)
        ref = self._stream_refs.get(key)
        if ref is None:
            # Unique per view: a view's streams are "0", "1", …; a component's "<cid>-<n>".
            ref = _key(self._refs_made) if self._cid == 0 else f"{self._cid}-{self._refs_made}"
            self._refs_made += 1
            self._stream_refs[key] = ref
        inserts = [[dom_id, at, limit, bool(update_only)] for dom_id, at, limit, update_only in ops.inserts]
        out = [ref, inserts, list(ops.deletes)]
        if ops.reset:
            out.append(True)  # present only on reset: the client treats any 4th element as a reset
        return out


cdef void _add_top(dict out, object title, object events) except *:
    if title is not None:
        out["t"] = str(title)
    if events:
        out["e"] = [list(e) for e in events]
