"""The diff core: ``Differ().join(tree)`` / ``.diff(tree)`` in the LiveView 1.2 wire format.

Implemented in Cython (``_diff.pyx``); there is no pure-Python fallback.
"""

from __future__ import annotations

try:
    from ._diff import Differ
except ImportError as exc:  # pragma: no cover - depends on the build
    raise ImportError(
        "pyview_core._diff (the Cython diff core) is not built. Build it with "
        f"`python -m pip install -e .` from the project root (original error: {exc})"
    ) from exc

from pyview_templates.roots import single_root
from pyview_templates.tree import StreamOps

__all__ = ["Differ", "StreamOps", "single_root"]
