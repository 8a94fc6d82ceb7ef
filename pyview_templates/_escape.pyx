# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Escaping and value-to-HTML: what ``{{ value }}`` inserts, called once per dynamic per render.

Everything here avoids Python-level dispatch: exact-type pointer checks first,
and direct writes into string buffers instead of intermediate strings.

Deliberately no pure-Python twin: two implementations of the escaping rules
would drift, and the slow one would be the one nobody measures.
"""

from cpython.object cimport PyObject, PyTypeObject
from libc.stdint cimport uint8_t, uint16_t, uint32_t

from pyview_templates._capi cimport (
    PYVIEW_UNICODE_READY,
    PyLong_AsLongAndOverflow,
    PyObject_Str,
    PyUnicode_Check,
    PyUnicode_CheckExact,
    PyUnicode_DATA,
    PyUnicode_FromObject,
    PyUnicode_New,
    is_subtype_instance,
    p_udata,
    p_ukind,
    p_ulen,
    p_umaxchar,
)

from markupsafe import Markup as _MarkupType

from pyview_templates.undefined import Undefined as _UndefinedType

# Module-level C variables: a global Python name lookup costs a dict probe on
# every call, a cdef variable is a pointer load.
cdef object _Markup = _MarkupType
cdef object _Undefined = _UndefinedType
# Borrowed: _Undefined above keeps the class alive for the module lifetime.
cdef PyTypeObject* _UndefinedPtr = <PyTypeObject*>_UndefinedType


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
    return is_subtype_instance(value, _UndefinedPtr)


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
