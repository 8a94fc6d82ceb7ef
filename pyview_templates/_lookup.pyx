# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Context and attribute lookups: ``name``, ``obj.name`` and ``obj[key]`` in a template.

Compiled templates call ``resolve`` for every top-level name and ``getattr_``/
``attr_html`` for every ``a.b``, per render. A missing name gives an
``Undefined`` (prints as ""), and looking something up *on* an Undefined
raises ``UndefinedError``, as in Jinja2.

Deliberately no pure-Python twin: two implementations of the lookup rules
would drift, and the slow one would be the one nobody measures.
"""

from cpython.object cimport PyObject, PyTypeObject

from pyview_templates._capi cimport (
    PyDict_GetItemWithError,
    PyUnicode_Check,
    _TypeWithMapping,
    is_subtype_instance,
    p_TYPE,
)
from pyview_templates._escape cimport to_html

from collections.abc import Mapping as _MappingABC

from pyview_templates.undefined import Undefined as _UndefinedType
from pyview_templates.undefined import UndefinedError as _UndefinedErrorType

# Module-level C variables: a global Python name lookup costs a dict probe on
# every call, a cdef variable is a pointer load.
cdef object _Undefined = _UndefinedType
cdef object _UndefinedError = _UndefinedErrorType
cdef object _Mapping = _MappingABC
# Sentinel for getattr(..., default): distinguishes "missing" from a None value
# without raising and catching AttributeError (exception objects are costly).
cdef object _MISSING = object()
# Borrowed: _Undefined above keeps the class alive for the module lifetime.
cdef PyTypeObject* _UndefinedPtr = <PyTypeObject*>_UndefinedType


cdef inline bint _is_undefined(object value) noexcept:
    return is_subtype_instance(value, _UndefinedPtr)


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
    return to_html(_getattr(obj, name))


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
