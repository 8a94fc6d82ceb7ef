# cython: language_level=3
# The tree types, for other Cython modules: the diff core in pyview_core
# cimports them so it can read tree fields as C struct members and test node
# kinds with a pointer comparison instead of Python attribute lookups.

cimport cython


@cython.final
cdef class Rendered:
    # Identifies the template (or branch) the statics came from; the diff core
    # compares fingerprints to decide whether the client already has the statics.
    cdef readonly long long fingerprint
    # Shared with every other render of the same template: never copied, never
    # rebuilt, so the diff core may compare them by identity.
    cdef readonly tuple statics
    # len(statics) - 1 items: str (already-escaped HTML), Rendered, Comprehension.
    cdef readonly list dynamics


@cython.final
cdef class Comprehension:
    cdef readonly long long fingerprint
    # The loop body's statics, shared by every entry.
    cdef readonly tuple statics
    # One list per iteration, each holding len(statics) - 1 dynamics.
    cdef readonly list entries
    # None, or a list with one key per entry (keyed loops).
    cdef readonly object keys
    # None, or the pending stream operations.
    cdef readonly object stream


@cython.final
cdef class ComponentRef:
    # Where a live component sits in its parent's tree. The diff core sends the int cid there
    # and the component's own tree in the diff's "c" map; join() inlines ``tree``.
    cdef readonly long long cid
    # The component's Rendered tree, set once the component has rendered (None before).
    cdef public object tree
    # The component's class name, for error messages.
    cdef readonly str name


# C-level entry point, so Cython callers skip the Python call protocol.
cpdef str join(object tree)
