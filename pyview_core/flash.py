"""Flash messages: short notices ("Saved", "Welcome, Ada") that a view shows once.

A socket holds its messages in a ``Flash`` (``socket.put_flash(kind, message)``,
``socket.clear_flash(kind)``); templates render them with ``{{ flash }}`` (a group of messages,
each with a close button that sends ``lv:clear-flash``) or read ``flash.info`` for their own markup.

``flash`` is one template global for every view rather than a key of each view's context, because
contexts are the user's own objects (a dict, a dataclass) that pyview must not write into. The
channel and the dead render bind the socket's ``Flash`` for the duration of a render
(``rendering``); the global reads the bound one. It also notes that it was read, so a view that
puts a flash its template never shows gets a warning in development instead of silence.

Across a navigation, the messages put since the last render travel as a signed token (PROTOCOL.md
§7.3): in the ``flash`` of the next join after a live redirect, in the ``__phoenix_flash__`` cookie
(60 s) after a full redirect. ``FlashTokens`` signs and verifies them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from typing import Any, Optional

from markupsafe import Markup, escape

from .security import InvalidToken, TokenSigner

__all__ = ["COOKIE", "Flash", "FlashTokens", "bind", "flash_global", "rendering", "unbind"]

COOKIE = "__phoenix_flash__"  # the name the official client sets after a full redirect
MAX_AGE = 60  # seconds a flash token stays valid (Phoenix: 60 s)
_MAX_MESSAGES = 16  # a token from a client carries at most this many kinds
_MAX_LENGTH = 4096  # characters per kind or message taken from a token


class Flash(Mapping[str, str]):
    """A view's flash messages by kind (``"info"``, ``"error"``, any string).

    ``changed`` holds the messages put since the last render: those are the ones a navigation
    carries to the next page (a message shown before the navigation has been seen already).
    """

    __slots__ = ("_messages", "changed", "read")

    def __init__(self, messages: Optional[Mapping[str, str]] = None) -> None:
        self._messages: dict[str, str] = dict(messages or {})
        self.changed: dict[str, str] = {}
        self.read = False  # whether a template read it during the current render

    def put(self, kind: str, message: str) -> None:
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"put_flash needs a kind such as 'info' or 'error', got {kind!r}")
        if not isinstance(message, str):
            raise TypeError(f"put_flash({kind!r}): the message must be a str, got {type(message).__name__}")
        self._messages[kind] = message
        self.changed[kind] = message

    def clear(self, kind: Optional[str] = None) -> None:
        if kind is None:
            self._messages.clear()
            self.changed.clear()
        else:
            self._messages.pop(kind, None)
            self.changed.pop(kind, None)

    def __getitem__(self, kind: str) -> str:
        return self._messages[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def __repr__(self) -> str:
        return f"Flash({self._messages!r})"


def group_html(messages: Mapping[str, str]) -> Markup:
    """The flash group: one ``role="alert"`` box per kind with a close button.

    The container is always there (even empty) so a message appearing later is a change inside
    it, and its id lets the client keep focus and scroll position around it.
    """
    parts = ['<div id="flash-group" class="flash-group" aria-live="polite">']
    for kind, message in messages.items():
        k = escape(kind)
        parts.append(
            f'<div id="flash-{k}" class="flash flash-{k}" role="alert"><p>{escape(message)}</p>'
            f'<button type="button" class="flash-close" aria-label="Close" phx-click="lv:clear-flash" '
            f'phx-value-key="{k}">&times;</button></div>'
        )
    parts.append("</div>")
    return Markup("".join(parts))


_bound: ContextVar[Optional[Flash]] = ContextVar("pyview_flash", default=None)


def bind(flash: Flash) -> Token:
    """Bind ``flash`` for templates (``{{ flash }}`` reads it) until ``unbind(token)``; for the
    channel's render path, where a ``with`` block's generator would cost more than the binding."""
    flash.read = False
    return _bound.set(flash)


unbind = _bound.reset


@contextlib.contextmanager
def rendering(flash: Flash) -> Iterator[None]:
    """Bind ``flash`` for templates while a view renders (``{{ flash }}`` reads it)."""
    token = bind(flash)
    try:
        yield
    finally:
        unbind(token)


class _FlashGlobal(Mapping[str, str]):
    """The ``flash`` template global: the bound view's messages, empty outside a view's render."""

    __slots__ = ()

    @staticmethod
    def _current() -> Mapping[str, str]:
        flash = _bound.get()
        if flash is None:
            return {}
        flash.read = True
        return flash

    def __getitem__(self, kind: str) -> str:
        return self._current()[kind]

    def __getattr__(self, kind: str) -> str:
        """``flash.info`` in a template: the message, or ``""`` when there is none."""
        if kind.startswith("__"):
            raise AttributeError(kind)
        return self._current().get(kind, "")

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __html__(self) -> str:
        return group_html(self._current())

    def __str__(self) -> str:
        return str(self.__html__())


flash_global = _FlashGlobal()


class FlashTokens:
    """Signs the messages a navigation carries and reads them back (60 s, one salt for flash)."""

    def __init__(self, signer: TokenSigner) -> None:
        self._signer = signer

    def sign(self, messages: Mapping[str, str]) -> Optional[str]:
        """A token for ``messages``, or None when there is nothing to carry."""
        if not messages:
            return None
        return self._signer.sign("flash", {"f": dict(messages)})

    def load(self, token: Any) -> dict[str, str]:
        """The messages of a token we signed in the last minute; ``{}`` for anything else.

        A forged, expired or malformed token is not an error the user could act on: the page
        simply shows no flash (as Phoenix does).
        """
        if not token:
            return {}
        try:
            payload = self._signer.load("flash", token, max_age=MAX_AGE)
        except InvalidToken:
            return {}
        messages = payload.get("f")
        if not isinstance(messages, dict):
            return {}
        return {
            k: v for k, v in list(messages.items())[:_MAX_MESSAGES]
            if isinstance(k, str) and isinstance(v, str) and k and len(k) <= _MAX_LENGTH and len(v) <= _MAX_LENGTH
        }
