"""Builds the Cython extensions; all metadata lives in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

# One extension per job; pyview_templates._native (plain Python) re-exports the first three.
EXTENSIONS = [
    Extension("pyview_templates._escape", ["pyview_templates/_escape.pyx"]),  # escape, to_html
    Extension("pyview_templates._lookup", ["pyview_templates/_lookup.pyx"]),  # resolve, getattr_, ...
    Extension("pyview_templates._tree", ["pyview_templates/_tree.pyx"]),  # Rendered, Comprehension, join
    Extension("pyview_core._diff", ["pyview_core/_diff.pyx"]),  # cimports the tree types from _tree
]

setup(
    ext_modules=cythonize(
        EXTENSIONS,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "embedsignature": True,
        },
    ),
)
