"""Serve the examples: ``python -m examples`` (http://127.0.0.1:8000), the same as
``pyview serve examples.app:app``.

``HOST`` and ``PORT`` in the environment choose the address; any further arguments go to
``pyview serve`` (``python -m examples --reload``, ``--port 8080``, ``--help``).
"""

import os
import sys

from pyview_core.cli import main

if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    sys.exit(main(["serve", "examples.app:app", "--host", host, "--port", port, *sys.argv[1:]]))
