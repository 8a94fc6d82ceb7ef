# cython: language_level=3
# C API declarations shared by the native modules (_escape, _lookup, _tree).
#
# Cython's bundled declarations take `object` arguments, which forces a
# reference-count round trip per call; the tree walkers work on borrowed
# PyObject* pointers, so they get their own PyObject* flavoured declarations.
# Only extern declarations and inline helpers live here: cimporting this file
# adds no runtime import.

from cpython.object cimport PyObject, PyTypeObject
from libc.stdint cimport uint32_t

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


cdef inline bint is_subtype_instance(object value, PyTypeObject* base) noexcept:
    # isinstance() would also consult value.__class__ (for proxy objects)
    # after a failed type check, an extra attribute lookup on every value
    # that is not a `base`; the plain subtype test is a short MRO scan.
    return p_IsSubtype(p_TYPE(<PyObject*>value), base)
