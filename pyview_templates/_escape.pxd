# cython: language_level=3
# C-level entry points, so Cython callers (the lookups' attr_html) skip the
# Python call protocol.

cpdef str escape(object s)
cpdef str to_html(object value)
