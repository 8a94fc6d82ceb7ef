"""What the live runtime needs from the application, passed down to each connection and view.

``PyView`` builds one ``Runtime`` at startup and hands it to every WebSocket connection, which
hands it to every view it joins, and to the dead render. Nothing below the app reaches back up
to it: a connection, a channel or a page needs only this object (and can be tested with one).
"""

from __future__ import annotations

import gc
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Protocol

from .pubsub import PubSub
from .routing import LiveRouter
from .security import TokenSigner

logger = logging.getLogger("pyview_core")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one client can make the server hold or do.

    ``mailbox_size`` is the most messages a view may have queued; a view whose mailbox overflows
    (its client floods it, or pub/sub outpaces its handlers) is stopped, logged, and rejoined by
    the client with a fresh mount. Producers that await (``send_info``, timers) already wait at
    a quarter of it. ``outbox_bytes`` is what the server buffers for a client that does not
    read before it closes that socket. ``info_batch`` is how many queued ``handle_info`` messages
    a view handles before it renders once for all of them.
    """

    max_frame_bytes: int = 1_000_000
    idle_timeout: float = 60.0
    max_channels: int = 100  # Phoenix's per-connection cap
    mailbox_size: int = 1024
    outbox_bytes: int = 4 * 1024 * 1024
    info_batch: int = 64
    stop_timeout: float = 5.0  # how long teardown waits for a job that ignores its cancellation

    def __post_init__(self) -> None:
        for name in ("max_frame_bytes", "max_channels", "mailbox_size", "outbox_bytes", "info_batch"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, got {value!r}")
        for name in ("idle_timeout", "stop_timeout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"Limits.{name} must be a positive number of seconds, got {value!r}")


class SocketSweeper:
    """Counts open live sockets and collects the garbage closed ones leave behind.

    A closed socket leaves reference cycles (the server's protocol objects, parsers, views), and
    they are mostly old enough to sit in the collector's oldest generation, which Python scans only
    rarely (and ``pyview serve`` raises the thresholds further, for render speed). After a wave of
    disconnects that memory would stay taken, and the next wave would grow the process again.
    So once as many sockets have closed since the last collection as are still open (and at least
    ``minimum``), the last one to close runs a full collection: its cost is spread over the
    sockets that made the garbage, and memory comes back after a crowd leaves.
    """

    def __init__(self, minimum: int = 100) -> None:
        self.minimum = minimum
        self.open = 0
        self.closed_since_collection = 0
        self.collections = 0

    def opened(self) -> None:
        self.open += 1

    def closed(self) -> None:
        self.open -= 1
        self.closed_since_collection += 1
        if self.closed_since_collection >= max(self.minimum, self.open):
            self.closed_since_collection = 0
            self.collections += 1
            gc.collect()


class LiveChannel(Protocol):
    """What the registry needs of a joined view (``channel.LiveChannel``)."""

    topic: str

    def dev_notify(self, message: tuple) -> bool: ...


class LiveChannels:
    """The views joined in this process, for whoever must reach all of them (the development loop).

    A channel adds itself when its actor starts and removes itself in its teardown, so the
    registry never holds a view that has ended. ``notify`` offers a message to every view's
    mailbox without waiting (a view whose mailbox is full is skipped, never failed).

    It also remembers, per topic, that a development error overlay is showing on that page: a
    view that crashed is rejoined by a new channel on the same topic, which must clear the
    overlay after the next successful render that follows a file change (bounded: development
    only, and a few entries per crashed page).
    """

    _MAX_OVERLAYS = 10_000

    def __init__(self) -> None:
        self._channels: dict[LiveChannel, None] = {}
        self._overlays: dict[str, None] = {}

    def add(self, channel: LiveChannel) -> None:
        self._channels[channel] = None

    def discard(self, channel: LiveChannel) -> None:
        self._channels.pop(channel, None)

    def __len__(self) -> int:
        return len(self._channels)

    def __iter__(self) -> Iterator[LiveChannel]:
        return iter(list(self._channels))

    def notify(self, message: tuple) -> int:
        """Offer ``message`` to every joined view; returns how many took it."""
        return sum(1 for channel in list(self._channels) if channel.dev_notify(message))

    def overlay_shown(self, topic: str) -> None:
        if len(self._overlays) >= self._MAX_OVERLAYS:
            self._overlays.pop(next(iter(self._overlays)))
        self._overlays[topic] = None

    def overlay_cleared(self, topic: str) -> bool:
        """Forget the overlay of ``topic``; whether there was one."""
        return self._overlays.pop(topic, 0) is None


class TemplatePolicy(Protocol):
    """How views get their compiled templates (``view_templates.ViewTemplates``)."""

    def is_current(self, view_class: type) -> bool: ...

    async def ready(self, view_class: type) -> None: ...

    def invalidate(self) -> None: ...


@dataclass
class Runtime:
    """The router, pub/sub, token signer, limits and template policy of one app, and the
    registry of its joined views (``channels``)."""

    router: LiveRouter
    pubsub: PubSub
    signer: TokenSigner
    templates: TemplatePolicy
    limits: Limits = field(default_factory=Limits)
    development: bool = True
    allowed_origins: Optional[list[str]] = None
    sockets: SocketSweeper = field(default_factory=SocketSweeper)
    channels: LiveChannels = field(default_factory=LiveChannels)
    upload_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "pyview-uploads")
    _warned: set[tuple[str, str, str]] = field(default_factory=set, repr=False)

    def warn_refusal(self, view: str, event: str, reason: str, kind: str) -> None:
        """Log an error reply a developer must see, once per view, event and kind of error.

        In development that is one ``WARNING`` line naming view, event and reason (the browser
        console shows the same reason); in production it stays at ``INFO`` so that a client
        sending junk cannot flood the log.
        """
        if not self.development:
            logger.info("%s: event %r refused: %s", view, event, reason)
            return
        key = (view, event, kind)
        if key in self._warned:
            return
        if len(self._warned) < 10_000:
            self._warned.add(key)
        logger.warning("%s: event %r refused: %s", view, event, reason)


    def warn_unshown_flash(self, view: str) -> None:
        """A view put a flash its template never rendered: tell the developer once, in development."""
        key = (view, "flash", "unshown")
        if not self.development or key in self._warned:
            return
        self._warned.add(key)
        logger.warning(
            "%s put a flash message but its template does not render `flash`: add {{ flash }} where messages "
            "should appear (or read flash.info / flash.error)", view,
        )


def view_identity(view: Any) -> str:
    """How a session token names its view class."""
    return f"{view.__module__}.{view.__qualname__}"
