"""The native extensions are required: without any of them, import fails and says how to build them."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    ["pyview_templates._native", "pyview_templates._escape", "pyview_templates._lookup", "pyview_templates._tree"],
)
def test_import_without_the_extension_names_the_install_command(module):
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None  # as if the extension was never built\n"
        "try:\n"
        "    import pyview_templates\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    print('imported without the extension')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "is not built" in out and "python -m pip install -e ." in out


def test_the_native_path_re_exports_the_split_modules():
    """Generated modules, runtime.py and pyview_core import these names from ``_native``."""
    from pyview_templates import _escape, _lookup, _native, _tree

    public = set()
    for module in (_escape, _lookup, _tree):
        for name in dir(module):
            if not name.startswith("_"):
                public.add(name)
                assert getattr(_native, name) is getattr(module, name), name
    assert public == set(_native.__all__) == {
        "ComponentRef", "Comprehension", "Rendered", "attr_html", "escape", "getattr_", "getitem_", "join", "resolve",
        "to_html",
    }
