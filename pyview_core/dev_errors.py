"""What the development loop sends to the browser, and how the page knows to listen.

Development pages carry ``<meta name="pyview-dev">`` in their head (the dead render adds it to
``PageContext.head``; production pages never have it), and ``static/app.js`` listens for these
events only when it is there. They travel as a view's push events (the ``"e"`` of a diff, or the
``events`` of a join's error reply), which the Phoenix LiveView client dispatches on ``window``
as ``phx:<name>``:

* ``pyview:dev-error`` ``{title, kind, html, css}``: show the overlay (``error_page.error_overlay``:
  the message, the template lines or Python frames around it and a caret, all HTML-escaped);
* ``pyview:dev-clear`` ``{}``: remove it (the render after a file change succeeded);
* ``pyview:dev-assets`` ``{css: [url path, ...] | null, reload: bool}``: swap the stylesheets
  (those paths, or every same-origin one when null) with a cache-busting query, or reload the
  page when a script changed.

Only a client that says it shows them gets these events: app.js on a development page joins with
the param ``_pyview_dev`` (``DEV_CLIENT_PARAM``). Nothing here runs in production: the channel
sends an error only when ``runtime.development``, the page has no meta tag, and the file watcher
(``dev_reload``) only starts in development with live reload on.
"""

from __future__ import annotations

from typing import Any, Optional

from markupsafe import Markup

from .error_page import error_overlay

RELOAD_ENV = "PYVIEW_RELOAD"  # set by `pyview serve --reload`: the worker's app watches its files
ERROR_EVENT = "pyview:dev-error"
CLEAR_EVENT = "pyview:dev-clear"
ASSETS_EVENT = "pyview:dev-assets"

#: Added to the head of every development page (``page.head``): app.js's sign to install the loop.
DEV_META = Markup('<meta name="pyview-dev" content="1">\n')
#: The join param by which app.js says it shows these events (other clients, such as the test
#: client, get none of them: a crash is a plain ``phx_error`` for them, as in production).
DEV_CLIENT_PARAM = "_pyview_dev"

# Messages the development loop puts in a view's mailbox: ("templates",) after a template file
# changed, ("assets", payload) after a stylesheet or script changed.
TEMPLATES = "templates"
ASSETS = "assets"


def error_event(exc: BaseException, where: Optional[str] = None) -> list[Any]:
    """The push event ``[ERROR_EVENT, payload]`` describing ``exc`` (development only: it shows source)."""
    return [ERROR_EVENT, error_overlay(exc, where=where)]


def clear_event() -> list[Any]:
    return [CLEAR_EVENT, {}]


__all__ = ["ASSETS", "ASSETS_EVENT", "CLEAR_EVENT", "DEV_CLIENT_PARAM", "DEV_META", "ERROR_EVENT", "TEMPLATES", "clear_event", "error_event"]
