"""The examples' pub/sub and presence: one of each per process, shared by every app ``create_app`` builds.

``PYVIEW_PUBSUB_URL=redis://...`` makes the pub/sub Redis, so that several processes (``pyview
serve --workers N``, or servers on several machines) share the chat and its presence list;
without it everything stays in this process. The chat view imports ``PRESENCE`` from here, and
``create_app`` gives the app the same ``PUBSUB``, which the app starts and closes with itself.
"""

from __future__ import annotations

from pyview_core import Presence, pubsub_from_env

PUBSUB = pubsub_from_env()
PRESENCE = Presence(PUBSUB)
