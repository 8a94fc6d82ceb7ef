"""The examples' UI kit: function components shared by every example.

``kit.html`` (beside this file) holds the components, plain macros: ``button``, ``card`` (header
and footer slots) and ``modal``. A view's template imports them::

    {% import "kit.html" as ui %}
    {{ ui.button("Add", type="submit", id="add") }}

This module is their Python half. ``use_kit(__file__)``, called once by a view module, makes the
kit importable from the templates of that module's folder and gives them the modal's commands:

- ``show_modal(id)`` / ``hide_modal(id)``: ``JS`` commands that open and close ``ui.modal(id, …)``
  (focus moves into the dialog, and back where it was when it closes), both taking a chain to
  extend first, as Phoenix's ``core_components`` do: ``hide_modal("confirm", JS.push("clear"))``;
- ``JS`` itself, to build such a chain in a template.

Why a call and not a template path: a view's templates are found by one ``FileSystemLoader`` per
view folder (``pyview_core.live_view.environment_for``), which refuses ``..`` in a name, so a
template cannot reach a sibling folder by itself. ``use_kit`` appends this folder to that
loader's search path (after the view's own folder, which wins on a name clash) and adds the
globals; both are public attributes of the environment, so pyview itself is unchanged. Every
environment compiles ``kit.html`` from the same file, and an edit to it reloads the templates
that import it, as any import does. (``pyview compile examples/js`` on its own cannot find
``kit.html``: the command has no option for another folder to search.)

The kit's styles are in ``examples/static/examples.css``, the stylesheet every example shares.
"""

from __future__ import annotations

from pathlib import Path

from pyview_core import JS
from pyview_core.live_view import environment_for

__all__ = ["FADE_IN", "FADE_OUT", "KIT_FOLDER", "hide_modal", "show_modal", "use_kit"]

KIT_FOLDER = Path(__file__).resolve().parent

# (transition classes, start classes, end classes), styled in examples.css: opacity fades.
FADE_IN = ("ui-fade", "ui-faded", "ui-opaque")
FADE_OUT = ("ui-fade", "ui-opaque", "ui-faded")
MODAL_FADE_MS = 150


_NOTHING = JS()  # an empty chain: the default of show_modal and hide_modal


def show_modal(id: str, js: JS = _NOTHING) -> JS:
    """Open ``ui.modal(id, …)``: remember what has focus, show the dialog, focus its first control."""
    return js.push_focus().show(to=f"#{id}", transition=FADE_IN, time=MODAL_FADE_MS).focus_first(to=f"#{id}-content")


def hide_modal(id: str, js: JS = _NOTHING) -> JS:
    """Close ``ui.modal(id, …)`` after ``js`` (e.g. ``JS.push("confirm")``); focus goes back."""
    return js.hide(to=f"#{id}", transition=FADE_OUT, time=MODAL_FADE_MS).pop_focus()


KIT_GLOBALS = {"JS": JS, "show_modal": show_modal, "hide_modal": hide_modal}


def use_kit(module_file: str) -> None:
    """Let the templates beside ``module_file`` (a view module's ``__file__``) use the kit."""
    env = environment_for(Path(module_file).resolve().parent)  # the key views use (live_view._template_path)
    searchpath = env.loader.searchpath  # type: ignore[union-attr]  # a FileSystemLoader's folders
    if KIT_FOLDER not in searchpath:
        searchpath.append(KIT_FOLDER)
    for name, value in KIT_GLOBALS.items():
        env.globals.setdefault(name, value)
