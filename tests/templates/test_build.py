"""The native extension is required: without it, import fails and says how to build it."""

import subprocess
import sys


def test_import_without_the_extension_names_the_install_command():
    code = (
        "import sys\n"
        "sys.modules['pyview_templates._native'] = None  # as if the extension was never built\n"
        "try:\n"
        "    import pyview_templates\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    print('imported without the extension')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "is not built" in out and "python -m pip install -e ." in out
