# cython: language_level=3
# C-level entry points, so Cython callers skip the Python call protocol.

cpdef object getattr_(object obj, object name)
cpdef object getitem_(object obj, object key)
cpdef str attr_html(object obj, object name)
cpdef object resolve(object ctx, object name, object globals_dict)
