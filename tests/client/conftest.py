"""Fixtures for tests that run the real LiveView client (Node) next to our Python port."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from node_client import NodeClient, shared_client  # noqa: E402


@pytest.fixture(scope="session")
def real_client() -> NodeClient:
    """One long-lived `node tests/client/rendered_node.mjs` for the whole session.

    Skips when node or `node_modules/phoenix_live_view` is missing, except on CI
    (the `CI` variable set), where it fails and names `npm ci`.
    """
    return shared_client()
