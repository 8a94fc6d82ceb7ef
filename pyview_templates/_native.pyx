# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Hot helpers called by compiled templates for every dynamic value.

Compiled templates call ``to_html``/``attr_html``/``resolve`` once per
``{{ ... }}`` per render, and the diff core walks the resulting trees, so
everything here avoids Python-level dispatch: exact-type pointer checks first,
borrowed references while walking trees, and direct writes into string
buffers instead of intermediate strings.

Deliberately no pure-Python twin: two implementations of the escaping and
lookup rules would drift, and the slow one would be the one nobody measures.
"""

cimport cython
from cpython.object cimport PyObject, PyTypeObject
from libc.string cimport memcpy
from libc.stdint cimport uint8_t, uint16_t, uint32_t

from collections.abc import Mapping as _MappingABC

from markupsafe import Markup as _MarkupType

from pyview_templates.undefined import Undefined as _UndefinedType
from pyview_templates.undefined import UndefinedError as _UndefinedErrorType

# Module-level C variables: a global Python name lookup costs a dict probe on
# every call, a cdef variable is a pointer load.
cdef object _Undefined = _UndefinedType
cdef object _UndefinedError = _UndefinedErrorType
cdef object _Markup = _MarkupType
cdef object _Mapping = _MappingABC
# Sentinel for getattr(..., default): distinguishes "missing" from a None value
# without raising and catching AttributeError (exception objects are costly).
cdef object _MISSING = object()
# Borrowed: _Undefined above keeps the class alive for the module lifetime.
cdef PyTypeObject* _UndefinedPtr = <PyTypeObject*>_UndefinedType


# --------------------------------------------------------------------------
# C-level declarations
#
# Cython's bundled declarations take `object` arguments, which forces a
# reference-count round trip per call; the tree walkers below work on borrowed
# PyObject* pointers, so they get their own PyObject* flavoured declarations.
# --------------------------------------------------------------------------

cdef extern from *:
    """
    /* Python 3.12 removed not-yet-ready ("legacy") strings; on 3.11 they can
       still come from deprecated C APIs, so make sure the canonical
       representation exists before reading kind/data. */
    #if PY_VERSION_HEX < 0x030C0000
    #define PYVIEW_UNICODE_READY(o) PyUnicode_READY(o)
    #else
    #define PYVIEW_UNICODE_READY(o) 0
    #endif
    """
    int PYVIEW_UNICODE_READY(PyObject* o)

cdef extern from "Python.h":
    ctypedef struct PyMappingMethods:
        void* mp_subscript
    ctypedef struct _TypeWithMapping "PyTypeObject":
        PyMappingMethods* tp_as_mapping

    PyTypeObject* p_TYPE "Py_TYPE"(PyObject* o)
    int p_UnicodeCheck "PyUnicode_Check"(PyObject* o)
    int p_UnicodeCheckExact "PyUnicode_CheckExact"(PyObject* o)
    int p_ListCheck "PyList_Check"(PyObject* o)
    int p_IsSubtype "PyType_IsSubtype"(PyTypeObject* a, PyTypeObject* b)
    Py_ssize_t p_ulen "PyUnicode_GET_LENGTH"(PyObject* o)
    int p_ukind "PyUnicode_KIND"(PyObject* o)
    void* p_udata "PyUnicode_DATA"(PyObject* o)
    uint32_t p_umaxchar "PyUnicode_MAX_CHAR_VALUE"(PyObject* o)
    Py_ssize_t p_tuple_size "PyTuple_GET_SIZE"(PyObject* o)
    PyObject* p_tuple_item "PyTuple_GET_ITEM"(PyObject* o, Py_ssize_t i)
    Py_ssize_t p_list_size "PyList_GET_SIZE"(PyObject* o)
    PyObject* p_list_item "PyList_GET_ITEM"(PyObject* o, Py_ssize_t i)

    # `object` flavoured ones used by the value helpers.
    bint PyUnicode_Check(object o)
    bint PyUnicode_CheckExact(object o)
    object PyUnicode_FromObject(object o)
    object PyUnicode_New(Py_ssize_t size, uint32_t maxchar)
    void* PyUnicode_DATA(object o)
    object PyObject_Str(object o)
    PyObject* PyDict_GetItemWithError(object d, object key) except? NULL
    long PyLong_AsLongAndOverflow(object o, int* overflow) except? -1


# --------------------------------------------------------------------------
# escape
# --------------------------------------------------------------------------

# All five special characters are below 64, so a 64-entry table indexed by the
# code point (after a `< 64` test) classifies any character of any width.
# _EXTRA[c] is how many characters the replacement adds (len(entity) - 1).
cdef uint8_t _EXTRA[64]
cdef const char* _ENTITY[64]


cdef void _init_escape_tables() noexcept:
    cdef int i
    for i in range(64):
        _EXTRA[i] = 0
        _ENTITY[i] = NULL
    # markupsafe's exact spellings: numeric references for the quotes so the
    # output is valid in both HTML and XML attribute values.
    _ENTITY[38] = b"&amp;"    # &
    _ENTITY[60] = b"&lt;"     # <
    _ENTITY[62] = b"&gt;"     # >
    _ENTITY[34] = b"&#34;"    # "
    _ENTITY[39] = b"&#39;"    # '
    _EXTRA[38] = 4
    _EXTRA[60] = 3
    _EXTRA[62] = 3
    _EXTRA[34] = 4
    _EXTRA[39] = 4


_init_escape_tables()


ctypedef fused ucs_t:
    uint8_t
    uint16_t
    uint32_t


cdef inline Py_ssize_t _escape_extra(const ucs_t* p, Py_ssize_t n) noexcept nogil:
    # Counting pass only: most template values need no escaping at all, and
    # then the caller returns the input object without allocating.
    # Comparisons instead of a table lookup so the C compiler vectorises the
    # loop (a table lookup is a gather; measured ~4x slower on 1 KB). The
    # 32-bit per-block accumulator keeps vector lanes narrow; a 2**24-char
    # block adds at most 4 per char, so it cannot overflow.
    cdef Py_ssize_t i, start, stop, extra = 0
    cdef uint32_t block
    cdef ucs_t c
    start = 0
    while start < n:
        stop = start + (1 << 24)
        if stop > n:
            stop = n
        block = 0
        for i in range(start, stop):
            c = p[i]
            block += ((c == 38) + (c == 34) + (c == 39)) * 4 + ((c == 60) + (c == 62)) * 3
        extra += block
        start = stop
    return extra


cdef inline void _escape_fill(const ucs_t* src, ucs_t* dst, Py_ssize_t n) noexcept nogil:
    # Every entity is written as 5 characters so the copy is a fixed,
    # unrolled sequence instead of a tiny variable loop (2x faster on dense
    # input). For the 4-character ones the 5th is their C literal's NUL and is
    # overwritten by whatever comes next; if such an entity ends the string it
    # lands in the terminator slot PyUnicode_New allocates (length + 1), which
    # holds 0 anyway -- the final store just makes that explicit.
    cdef Py_ssize_t i, j = 0
    cdef uint32_t c
    cdef const char* ent
    for i in range(n):
        c = src[i]
        if c >= 64 or _EXTRA[c] == 0:
            dst[j] = <ucs_t>c
            j += 1
        else:
            ent = _ENTITY[c]
            dst[j] = <ucs_t>ent[0]
            dst[j + 1] = <ucs_t>ent[1]
            dst[j + 2] = <ucs_t>ent[2]
            dst[j + 3] = <ucs_t>ent[3]
            dst[j + 4] = <ucs_t>ent[4]
            j += _EXTRA[c] + 1
    dst[j] = 0


cdef inline str _escape(object s):
    """Escape a str (exact or subclass); always returns an exact str."""
    cdef PyObject* p = <PyObject*>s
    if PYVIEW_UNICODE_READY(p) < 0:
        raise MemoryError()
    cdef Py_ssize_t n = p_ulen(p)
    cdef int kind = p_ukind(p)
    cdef void* src = p_udata(p)
    cdef Py_ssize_t extra
    if kind == 1:
        extra = _escape_extra(<const uint8_t*>src, n)
    elif kind == 2:
        extra = _escape_extra(<const uint16_t*>src, n)
    else:
        extra = _escape_extra(<const uint32_t*>src, n)
    if extra == 0:
        if PyUnicode_CheckExact(s):
            return <str>s
        # A subclass (e.g. Markup) must not leak out: callers concatenate the
        # result into HTML and rely on it being plain text.
        return <str>PyUnicode_FromObject(s)
    # Entities are ASCII, so the input's max char is also the output's: the
    # output keeps the input's kind and both buffers can be walked in lockstep.
    out = PyUnicode_New(n + extra, p_umaxchar(p))
    cdef void* dst = PyUnicode_DATA(out)
    if kind == 1:
        _escape_fill(<const uint8_t*>src, <uint8_t*>dst, n)
    elif kind == 2:
        _escape_fill(<const uint16_t*>src, <uint16_t*>dst, n)
    else:
        _escape_fill(<const uint32_t*>src, <uint32_t*>dst, n)
    return <str>out


cpdef str escape(object s):
    """HTML-escape ``& < > " '`` exactly like markupsafe; returns a plain str.

    Unlike ``markupsafe.escape`` this does not honour ``__html__``: it is the
    raw text escaper (``to_html`` is the one that knows about Markup).  A
    string with nothing to escape is returned as the same object.
    """
    if not PyUnicode_Check(s):
        raise TypeError(f"escape() expects str, got {type(s).__name__}")
    return _escape(s)


cdef inline bint _is_undefined(object value) noexcept:
    # isinstance() would also consult value.__class__ (for proxy objects)
    # after a failed type check, an extra attribute lookup on every
    # non-Undefined value; the plain subtype test is a short MRO scan.
    return p_IsSubtype(p_TYPE(<PyObject*>value), _UndefinedPtr)


# --------------------------------------------------------------------------
# to_html
# --------------------------------------------------------------------------

# str() of small non-negative ints, precomputed: counters, ids and indexes are
# among the most common dynamics and int.__str__ allocates every time.
cdef enum:
    _SMALL_INTS = 1024
cdef tuple _SMALL_INT_STR = tuple([str(i) for i in range(_SMALL_INTS)])


cdef inline str _plain_str(object value):
    # str() may return a str subclass (a __str__ returning Markup); the tree
    # only holds exact str so the diff core can compare them cheaply.
    s = PyObject_Str(value)
    if PyUnicode_CheckExact(s):
        return <str>s
    return <str>PyUnicode_FromObject(s)


cdef inline str _int_str(object value):
    cdef int overflow = 0
    cdef long v = PyLong_AsLongAndOverflow(value, &overflow)
    if overflow == 0 and 0 <= v < _SMALL_INTS:
        return <str>_SMALL_INT_STR[v]
    return <str>PyObject_Str(value)


cdef inline str _to_html(object value):
    # Ordered by how often each kind shows up in templates; every test up to
    # the Undefined one is a single pointer comparison.
    cdef type t = type(value)
    if t is str:
        return _escape(value)
    if value is None:
        return ""
    if t is int:
        return _int_str(value)
    if t is _Markup:
        # Markup.__html__ returns itself; skip the method call, only drop the
        # subclass.
        return <str>PyUnicode_FromObject(value)
    if t is bool:
        return "True" if value is True else "False"
    if t is float:
        # float reprs ("1.5", "inf", "1e+100") contain nothing to escape.
        return <str>PyObject_Str(value)
    if _is_undefined(value):
        return ""
    html = getattr(value, "__html__", None)
    if html is not None:
        return _plain_str(html())
    return _escape(_plain_str(value))


cpdef str to_html(object value):
    """What ``{{ value }}`` inserts (autoescape on), as a plain str."""
    return _to_html(value)


# --------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------

cdef inline bint _is_mapping(object obj):
    # isinstance(x, Mapping) goes through ABCMeta.__instancecheck__, which is
    # an order of magnitude slower than everything else here. A type whose
    # instances cannot be subscripted cannot be a usable Mapping, and the
    # lookup order only matters when subscripting can succeed, so skipping
    # the ABC check for them does not change any result. This makes the
    # common case -- dataclass or plain object rows -- cheap.
    cdef _TypeWithMapping* tp = <_TypeWithMapping*>p_TYPE(<PyObject*>obj)
    if tp.tp_as_mapping == NULL or tp.tp_as_mapping.mp_subscript == NULL:
        return False
    t = type(obj)
    if t is list or t is tuple or t is str:
        return False
    return isinstance(obj, _Mapping)


cdef inline object _fail_undefined(object obj):
    obj._fail()
    # Only reached if a subclass's _fail() returns: a lookup on an undefined
    # value is always an error.
    raise _UndefinedError(obj._undefined_message)


cdef inline object _getattr(object obj, object name):
    cdef PyObject* item
    if type(obj) is dict:
        # Keys first so a row like {"items": ...} works; methods (d.items())
        # remain reachable when no key shadows them.
        item = PyDict_GetItemWithError(obj, name)
        if item is not NULL:
            return <object>item
        value = getattr(obj, name, _MISSING)
        if value is not _MISSING:
            return value
        return _Undefined(name, obj)
    if _is_undefined(obj):
        return _fail_undefined(obj)
    if _is_mapping(obj):
        try:
            return obj[name]
        except KeyError:
            pass
        value = getattr(obj, name, _MISSING)
        if value is not _MISSING:
            return value
        return _Undefined(name, obj)
    value = getattr(obj, name, _MISSING)
    if value is not _MISSING:
        return value
    try:
        return obj[name]
    except (TypeError, LookupError, AttributeError):
        pass
    return _Undefined(name, obj)


cpdef object getattr_(object obj, object name):
    """``obj.name`` in a template: mapping keys first, then attributes.

    A missing name gives an ``Undefined`` (prints as ""), never an error;
    looking something up *on* an Undefined raises ``UndefinedError``.
    """
    return _getattr(obj, name)


cpdef object getitem_(object obj, object key):
    """``obj[key]`` in a template: subscript first, then (str keys) attribute."""
    cdef PyObject* item
    if type(obj) is dict:
        try:
            item = PyDict_GetItemWithError(obj, key)
        except TypeError:  # unhashable key
            item = NULL
        if item is not NULL:
            return <object>item
    elif _is_undefined(obj):
        return _fail_undefined(obj)
    else:
        try:
            return obj[key]
        except (AttributeError, TypeError, LookupError):
            pass
    if PyUnicode_Check(key):
        value = getattr(obj, key, _MISSING)
        if value is not _MISSING:
            return value
    return _Undefined(key, obj)


cpdef str attr_html(object obj, object name):
    """``to_html(getattr_(obj, name))`` in one call: ``{{ row.name }}``."""
    return _to_html(_getattr(obj, name))


cpdef object resolve(object ctx, object name, object globals_dict):
    """A top-level template name: the context first, then the globals."""
    cdef PyObject* item
    if type(ctx) is dict:
        item = PyDict_GetItemWithError(ctx, name)
        if item is not NULL:
            return <object>item
    elif ctx is not None:
        if _is_mapping(ctx):
            # `in` rather than try/except KeyError: "present" must not
            # trigger a defaultdict's __missing__ and must not swallow a
            # KeyError raised by a buggy __getitem__.
            if name in ctx:
                return ctx[name]
        else:
            value = getattr(ctx, name, _MISSING)
            if value is not _MISSING:
                return value
    if type(globals_dict) is dict:
        item = PyDict_GetItemWithError(globals_dict, name)
        if item is not NULL:
            return <object>item
    elif globals_dict is not None:
        if name in globals_dict:
            return globals_dict[name]
    return _Undefined(name)


# --------------------------------------------------------------------------
# Tree types
# --------------------------------------------------------------------------

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


_DYNAMIC_KINDS = "str/Rendered/Comprehension"


def _check_statics(statics, str node_kind, str where):
    for i, s in enumerate(statics):
        if not isinstance(s, str):
            raise TypeError(
                f"static {i} of a {node_kind} node is {type(s).__name__}, expected str; the node is at {where}"
            )


def _check_dynamic(d, str what, str where, str path, int depth):
    """One dynamic of a node: of a kind the diff core knows, and itself well formed (at ``path``)."""
    if not isinstance(d, (str, Rendered, Comprehension)):
        raise TypeError(f"{what} is {type(d).__name__}, expected {_DYNAMIC_KINDS}; the node is at {where}")
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
