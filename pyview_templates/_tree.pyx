# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The tree types a render returns (``Rendered``, ``Comprehension``) and ``join``, their HTML.

The diff core cimports the types (``_tree.pxd``) to read their fields as C
struct members and test node kinds with a pointer comparison; ``join`` walks a
tree with borrowed references and writes it into one preallocated string.
"""

cimport cython
from cpython.object cimport PyObject, PyTypeObject
from libc.string cimport memcpy
from libc.stdint cimport uint8_t, uint16_t, uint32_t

from pyview_templates._capi cimport (
    PYVIEW_UNICODE_READY,
    PyUnicode_DATA,
    PyUnicode_FromObject,
    PyUnicode_New,
    p_ListCheck,
    p_TYPE,
    p_UnicodeCheck,
    p_UnicodeCheckExact,
    p_list_item,
    p_list_size,
    p_tuple_item,
    p_tuple_size,
    p_udata,
    p_ukind,
    p_ulen,
    p_umaxchar,
)


@cython.freelist(64)
@cython.final
cdef class Rendered:
    """A compiled template, if-branch, include or block: statics + dynamics."""

    def __cinit__(self, long long fingerprint, tuple statics not None, list dynamics not None):
        # No per-item validation here: construction happens once per node per
        # render, join() checks the structure anyway (dynamics is a mutable
        # list kept by reference, so a check now would prove nothing later).
        if fingerprint < 0:
            raise ValueError(f"fingerprint must be >= 0, got {fingerprint}")
        self.fingerprint = fingerprint
        self.statics = statics
        self.dynamics = dynamics

    def __repr__(self):
        return f"Rendered({self.fingerprint}, {self.statics!r}, {self.dynamics!r})"

    def __eq__(self, other):
        if type(other) is not Rendered:
            return NotImplemented
        cdef Rendered o = <Rendered>other
        return (
            self.fingerprint == o.fingerprint
            and self.statics == o.statics
            and self.dynamics == o.dynamics
        )

    # Mutable contents (the dynamics list) make a hash meaningless.
    __hash__ = None

    def __reduce__(self):
        # Cython cannot derive pickling/deepcopy for a class whose __cinit__
        # takes arguments; tests and caches want both.
        return (Rendered, (self.fingerprint, self.statics, self.dynamics))


@cython.freelist(64)
@cython.final
cdef class Comprehension:
    """A for loop: the body's statics once, and one dynamics list per entry."""

    def __cinit__(
        self,
        long long fingerprint,
        tuple statics not None,
        list entries not None,
        object keys=None,
        object stream=None,
    ):
        if fingerprint < 0:
            raise ValueError(f"fingerprint must be >= 0, got {fingerprint}")
        self.fingerprint = fingerprint
        self.statics = statics
        self.entries = entries
        self.keys = keys
        self.stream = stream

    def __repr__(self):
        extra = ""
        if self.keys is not None:
            extra += f", keys={self.keys!r}"
        if self.stream is not None:
            extra += f", stream={self.stream!r}"
        return f"Comprehension({self.fingerprint}, {self.statics!r}, {self.entries!r}{extra})"

    def __eq__(self, other):
        if type(other) is not Comprehension:
            return NotImplemented
        cdef Comprehension o = <Comprehension>other
        return (
            self.fingerprint == o.fingerprint
            and self.statics == o.statics
            and self.entries == o.entries
            and self.keys == o.keys
            and self.stream == o.stream
        )

    __hash__ = None

    def __reduce__(self):
        return (
            Comprehension,
            (self.fingerprint, self.statics, self.entries, self.keys, self.stream),
        )


@cython.freelist(64)
@cython.final
cdef class ComponentRef:
    """A live component's place in its parent's tree: its cid, and its tree once rendered.

    The template runtime only carries it (``live_component(...)`` in ``pyview_core`` makes it);
    the diff core sends the cid in its place and the component's tree under ``"c"``.
    """

    def __cinit__(self, long long cid, object tree=None, str name=""):
        if cid <= 0:
            raise ValueError(f"a component id (cid) must be a positive int, got {cid}")
        self.cid = cid
        self.tree = tree
        self.name = name

    def __repr__(self):
        return f"ComponentRef({self.cid}, {self.name!r})"

    def __eq__(self, other):
        if type(other) is not ComponentRef:
            return NotImplemented
        cdef ComponentRef o = <ComponentRef>other
        return self.cid == o.cid and self.tree == o.tree

    __hash__ = None

    def __html__(self):
        if type(self.tree) is not Rendered:
            raise TypeError(_unrendered(self))
        return join(self.tree)

    def __reduce__(self):
        return (ComponentRef, (self.cid, self.tree, self.name))


def _unrendered(ComponentRef ref):
    return (
        f"live component {ref.name or '?'} (cid {ref.cid}) has no rendered tree: a component is "
        "rendered by the view that placed it (print `{{ live_component(...) }}` directly)"
    )


# --------------------------------------------------------------------------
# join
#
# Two passes over the tree with borrowed pointers: the first validates and
# sums lengths and the widest character kind, the second copies every piece
# straight into one preallocated string. No list of pieces, no intermediate
# strings, no reference counting per piece. Nothing between the passes can run
# Python code (no allocation of GC-tracked objects, no callbacks), so the tree
# cannot change under us; the writer still bounds-checks every copy so a
# mutation from C code could at worst produce an error, never a buffer overrun.
# --------------------------------------------------------------------------

# A tree deeper than this is almost certainly a node that contains itself;
# bail out before the C stack does.
cdef enum:
    _MAX_DEPTH = 1000

cdef struct _Measure:
    Py_ssize_t length
    uint32_t maxchar

cdef struct _Writer:
    void* data
    int kind
    Py_ssize_t pos
    Py_ssize_t cap
    bint overflow


# Return codes of the measuring pass: 0 fine, 1 malformed tree (no exception
# set; join() re-walks it in Python to explain where), -1 Python exception.
cdef inline int _measure_str(PyObject* s, _Measure* m) except -1:
    if PYVIEW_UNICODE_READY(s) < 0:
        return -1
    m.length += p_ulen(s)
    cdef uint32_t mc = p_umaxchar(s)
    if mc > m.maxchar:
        m.maxchar = mc
    return 0


cdef inline int _measure_dynamic(PyObject* d, _Measure* m, int depth) except -1:
    cdef PyTypeObject* t = p_TYPE(d)
    if p_UnicodeCheckExact(d):
        return _measure_str(d, m)
    if t == <PyTypeObject*>Rendered:
        return _measure_rendered(<Rendered>d, m, depth + 1)
    if t == <PyTypeObject*>Comprehension:
        return _measure_comprehension(<Comprehension>d, m, depth + 1)
    if t == <PyTypeObject*>ComponentRef:
        if type((<ComponentRef>d).tree) is not Rendered:
            return 1
        return _measure_rendered(<Rendered>(<ComponentRef>d).tree, m, depth + 1)
    if p_UnicodeCheck(d):
        return _measure_str(d, m)
    return 1


cdef int _measure_rendered(Rendered r, _Measure* m, int depth) except -1:
    cdef PyObject* statics
    cdef PyObject* dynamics
    cdef PyObject* s
    cdef Py_ssize_t i, n
    cdef int rc
    if depth > _MAX_DEPTH or r.statics is None or r.dynamics is None:
        return 1
    statics = <PyObject*>r.statics
    dynamics = <PyObject*>r.dynamics
    n = p_list_size(dynamics)
    if p_tuple_size(statics) != n + 1:
        return 1
    for i in range(n + 1):
        s = p_tuple_item(statics, i)
        if not p_UnicodeCheck(s):
            return 1
        rc = _measure_str(s, m)
        if rc:
            return rc
    for i in range(n):
        rc = _measure_dynamic(p_list_item(dynamics, i), m, depth)
        if rc:
            return rc
    return 0


cdef int _measure_comprehension(Comprehension c, _Measure* m, int depth) except -1:
    cdef PyObject* statics
    cdef PyObject* entries
    cdef PyObject* entry
    cdef PyObject* s
    cdef Py_ssize_t i, j, n_entries, n_dyn
    cdef int rc
    cdef _Measure body
    if depth > _MAX_DEPTH or c.statics is None or c.entries is None:
        return 1
    entries = <PyObject*>c.entries
    n_entries = p_list_size(entries)
    if n_entries == 0:
        return 0
    statics = <PyObject*>c.statics
    n_dyn = p_tuple_size(statics) - 1
    if n_dyn < 0:
        return 1
    # The body statics repeat once per entry: measure them once, multiply.
    body.length = 0
    body.maxchar = 0
    for i in range(n_dyn + 1):
        s = p_tuple_item(statics, i)
        if not p_UnicodeCheck(s):
            return 1
        rc = _measure_str(s, &body)
        if rc:
            return rc
    m.length += body.length * n_entries
    if body.maxchar > m.maxchar:
        m.maxchar = body.maxchar
    for i in range(n_entries):
        entry = p_list_item(entries, i)
        if not p_ListCheck(entry) or p_list_size(entry) != n_dyn:
            return 1
        for j in range(n_dyn):
            rc = _measure_dynamic(p_list_item(entry, j), m, depth)
            if rc:
                return rc
    return 0


cdef inline void _write_str(_Writer* w, PyObject* s) noexcept:
    cdef Py_ssize_t n = p_ulen(s), i, nbytes
    cdef int skind
    cdef const void* src
    cdef char* dst
    if n == 0:
        return
    if w.pos + n > w.cap:
        w.overflow = True
        return
    skind = p_ukind(s)
    src = p_udata(s)
    if skind == w.kind:
        nbytes = n * skind
        dst = <char*>w.data + w.pos * skind
        # Most pieces are a few bytes ("</td><td>", a number); an inline loop
        # beats a memcpy call for those (about 20% on a 1000-row table).
        if nbytes <= 16:
            for i in range(nbytes):
                dst[i] = (<const char*>src)[i]
        else:
            memcpy(dst, src, nbytes)
    elif w.kind == 2:  # widening 1 -> 2
        for i in range(n):
            (<uint16_t*>w.data)[w.pos + i] = (<const uint8_t*>src)[i]
    elif skind == 1:   # widening 1 -> 4
        for i in range(n):
            (<uint32_t*>w.data)[w.pos + i] = (<const uint8_t*>src)[i]
    else:              # widening 2 -> 4
        for i in range(n):
            (<uint32_t*>w.data)[w.pos + i] = (<const uint16_t*>src)[i]
    w.pos += n


cdef inline void _write_dynamic(_Writer* w, PyObject* d) noexcept:
    cdef PyTypeObject* t = p_TYPE(d)
    if t == <PyTypeObject*>Rendered:
        _write_rendered(w, <Rendered>d)
    elif t == <PyTypeObject*>Comprehension:
        _write_comprehension(w, <Comprehension>d)
    elif t == <PyTypeObject*>ComponentRef:
        _write_rendered(w, <Rendered>(<ComponentRef>d).tree)
    else:  # validated as a str by the measuring pass
        _write_str(w, d)


cdef void _write_rendered(_Writer* w, Rendered r) noexcept:
    cdef PyObject* statics = <PyObject*>r.statics
    cdef PyObject* dynamics = <PyObject*>r.dynamics
    cdef Py_ssize_t i, n = p_list_size(dynamics)
    for i in range(n):
        _write_str(w, p_tuple_item(statics, i))
        _write_dynamic(w, p_list_item(dynamics, i))
    _write_str(w, p_tuple_item(statics, n))


cdef void _write_comprehension(_Writer* w, Comprehension c) noexcept:
    cdef PyObject* statics = <PyObject*>c.statics
    cdef PyObject* entries = <PyObject*>c.entries
    cdef PyObject* entry
    cdef Py_ssize_t i, j, n_entries = p_list_size(entries), n_dyn
    if n_entries == 0:
        return
    n_dyn = p_tuple_size(statics) - 1
    for i in range(n_entries):
        entry = p_list_item(entries, i)
        for j in range(n_dyn):
            _write_str(w, p_tuple_item(statics, j))
            _write_dynamic(w, p_list_item(entry, j))
        _write_str(w, p_tuple_item(statics, n_dyn))


_DYNAMIC_KINDS = "str/Rendered/Comprehension/ComponentRef"


def _check_statics(statics, str node_kind, str where):
    for i, s in enumerate(statics):
        if not isinstance(s, str):
            raise TypeError(
                f"static {i} of a {node_kind} node is {type(s).__name__}, expected str; the node is at {where}"
            )


def _check_dynamic(d, str what, str where, str path, int depth):
    """One dynamic of a node: of a kind the diff core knows, and itself well formed (at ``path``)."""
    if not isinstance(d, (str, Rendered, Comprehension, ComponentRef)):
        raise TypeError(f"{what} is {type(d).__name__}, expected {_DYNAMIC_KINDS}; the node is at {where}")
    if type(d) is ComponentRef:
        if type((<ComponentRef>d).tree) is not Rendered:
            raise TypeError(f"{_unrendered(d)}; the node is at {path}")
        _diagnose((<ComponentRef>d).tree, f"{path}.tree", depth + 1)
        return
    _diagnose(d, path, depth + 1)


def _diagnose(node, str where, int depth=0):
    """Find the first malformed node and raise an error that says where.

    Only runs after the fast pass has found a problem, so it can afford to be
    plain Python-level code with readable messages and a path from the root.
    """
    if depth > _MAX_DEPTH:
        raise RecursionError(
            f"tree nested more than {_MAX_DEPTH} levels deep (does a node contain itself?); "
            f"gave up at {where}"
        )
    kind = type(node).__name__
    if type(node) is Rendered:
        statics, dyns = node.statics, node.dynamics
        if statics is None or dyns is None:
            raise TypeError(f"a Rendered node has statics/dynamics of None; the node is at {where}")
        if len(statics) != len(dyns) + 1:
            raise TypeError(
                f"a Rendered node has {len(statics)} statics and {len(dyns)} dynamics, "
                f"expected len(statics) == len(dynamics) + 1; the node is at {where}"
            )
        _check_statics(statics, "Rendered", where)
        for i, d in enumerate(dyns):
            _check_dynamic(d, f"dynamic {i} of a Rendered node", where, f"{where}.dynamics[{i}]", depth)
    elif type(node) is Comprehension:
        statics, entries = node.statics, node.entries
        if statics is None or entries is None:
            raise TypeError(f"a Comprehension node has statics/entries of None; the node is at {where}")
        if not entries:
            return
        if len(statics) == 0:
            raise TypeError(
                f"a Comprehension node has {len(entries)} entries but no statics; the node is at {where}"
            )
        _check_statics(statics, "Comprehension", where)
        n_dyn = len(statics) - 1
        for i, entry in enumerate(entries):
            if not isinstance(entry, list):
                raise TypeError(
                    f"entry {i} of a Comprehension node is {type(entry).__name__}, expected list; "
                    f"the node is at {where}"
                )
            if len(entry) != n_dyn:
                raise TypeError(
                    f"entry {i} of a Comprehension node has {len(entry)} dynamics, expected {n_dyn} "
                    f"(len(statics) - 1); the node is at {where}"
                )
            for j, d in enumerate(entry):
                _check_dynamic(
                    d, f"dynamic {j} of entry {i} of a Comprehension node", where, f"{where}.entries[{i}][{j}]", depth
                )
    elif not isinstance(node, str):
        raise TypeError(f"{where} is {kind}, expected {_DYNAMIC_KINDS}")


cpdef str join(object tree):
    """The HTML of a tree (or of a plain str, returned as is)."""
    cdef _Measure m
    cdef _Writer w
    cdef int rc
    cdef type t = type(tree)
    if t is str:
        return <str>tree
    if t is Rendered or t is Comprehension:
        m.length = 0
        m.maxchar = 0
        if t is Rendered:
            rc = _measure_rendered(<Rendered>tree, &m, 0)
        else:
            rc = _measure_comprehension(<Comprehension>tree, &m, 0)
        if rc:
            _diagnose(tree, "tree")
            raise RuntimeError("join(): malformed tree, but the problem could not be located")
        if m.length == 0:
            return ""
        out = PyUnicode_New(m.length, m.maxchar)
        w.data = PyUnicode_DATA(out)
        w.kind = p_ukind(<PyObject*>out)
        w.pos = 0
        w.cap = m.length
        w.overflow = False
        if t is Rendered:
            _write_rendered(&w, <Rendered>tree)
        else:
            _write_comprehension(&w, <Comprehension>tree)
        if w.overflow or w.pos != w.cap:
            raise RuntimeError("join(): the tree changed while it was being joined")
        return <str>out
    if isinstance(tree, str):
        return <str>PyUnicode_FromObject(tree)
    raise TypeError(f"join() expects {_DYNAMIC_KINDS}, got {t.__name__}")
