"""The native helpers under one import path: escaping, lookups, the tree types and ``join``.

They are three Cython extensions split by job (``_escape``, ``_lookup``, ``_tree``; Cython code
cimports from their ``.pxd`` files). Generated template modules reach them through
``runtime``, and other code imports them from here, so the split stays an internal layout.
"""

from ._escape import escape, to_html
from ._lookup import attr_html, getattr_, getitem_, resolve
from ._tree import ComponentRef, Comprehension, Rendered, join

__all__ = ["ComponentRef", "Comprehension", "Rendered", "attr_html", "escape", "getattr_", "getitem_", "join", "resolve", "to_html"]
