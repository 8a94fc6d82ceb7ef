"""Makes the real-client fixture of tests/client available to the diff-core tests."""

from __future__ import annotations

import sys
from pathlib import Path

_CLIENT = str(Path(__file__).resolve().parents[1] / "client")
if _CLIENT not in sys.path:
    sys.path.insert(0, _CLIENT)

from node_client import NodeClient, shared_client  # noqa: E402,F401
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def real_client() -> NodeClient:
    """The shared `node tests/client/rendered_node.mjs` process (see tests/client/conftest.py)."""
    return shared_client()
