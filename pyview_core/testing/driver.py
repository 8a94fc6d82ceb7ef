"""``live(app, path)``: drive a LiveView in process, through the real protocol, like a browser would.

What a test does here is what a person does in the page, and nothing a person could not do:

* ``live()`` GETs the page (the dead render, with its session cookie), opens the live socket and
  joins the view with the tokens the page carries, exactly as the official client does;
* every action finds its element in the HTML the client holds (the join and every diff merged by
  :class:`~pyview_core.testing.client.ClientRendered`, our port of the client's merge) and refuses
  one the page does not offer: no element, several, no ``phx-click``, a disabled button, a form
  field that does not exist or a value a ``<select>`` does not list;
* the payload is built from that markup as the 1.2 client builds it (``phx-value-*``, the form
  serialised with ``_target`` and ``_unused_`` keys) and sent as a Channels V2 frame;
* after every step, once the view is idle, the merged HTML must equal a fresh render of the view's
  state: a diff that went missing (the server's fault, or a view that reuses a tree it mutates)
  fails the test where it happened.

Methods set ``__tracebackhide__``: a failing step shows the test's own line and the message, not
the client's insides. A view that crashes raises the original exception in the test. Nothing is rendered a second way:
the fresh render is the view's own template, joined.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import re
import tempfile
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

import orjson
from markupsafe import escape
from selectolax.lexbor import LexborHTMLParser

from pyview_templates.tree import join

from ..error_page import short_error
from ..events import InfoEvent
from ..flash import COOKIE as FLASH_COOKIE
from ..flash import FlashTokens, rendering
from ..probe import PROBE_KEY
from . import dom
from .messages import snippet
from .asgi import CookieJar, HttpResponse, Origin, SocketClosed, WebSocketPeer, http_get, http_request
from .client import ClientRendered, without_component_marks
from .elements import Element, FormHandle, TextFilter, send_key
from .errors import LiveViewTestError, LiveViewTestWarning

if TYPE_CHECKING:
    from .uploads import FileInput

__all__ = ["LiveViewTest", "Redirected", "live"]

#: How long a step waits for the server's answer before the test fails (a safety net, not a pace).
STEP_TIMEOUT = 5.0
LIVE_SOCKET_PATH = "/live/websocket"
MAX_HTTP_REDIRECTS = 5


class _NavigationRefused(LiveViewTestError):
    """A live navigation's join was refused: the real client falls back to loading the page."""


class Redirected(LiveViewTestError):
    """The view sent the browser elsewhere (``redirect`` or ``push_navigate``) where a page was expected.

    ``kind`` is ``"redirect"`` (a full page load) or ``"live_redirect"`` (live navigation);
    ``to`` the local path; ``flash`` the messages the redirect carried (``token``: as signed).
    """

    def __init__(self, kind: str, to: str, flash: Optional[dict[str, str]] = None, token: Optional[str] = None) -> None:
        super().__init__(f"the view answered with a {kind} to {to!r}" + (f" (flash {flash!r})" if flash else ""))
        self.kind = kind
        self.to = to
        self.flash = flash or {}
        self.token = token


# ============================================================================ the test browser


class _Probe:
    """Told by the runtime (through the ASGI scope) about channels and dead-render crashes."""

    def __init__(self) -> None:
        self.channels: dict[tuple[str, Any], Any] = {}
        self.render_errors: list[BaseException] = []

    def joined(self, channel: Any) -> None:
        self.channels[(channel.topic, channel.join_ref)] = channel

    def crashed(self, error: BaseException) -> None:
        self.render_errors.append(error)


class _Page:
    """What the client reads from a dead render: the container's tokens, the CSRF token, the title."""

    def __init__(self, path: str, response: HttpResponse) -> None:
        tree = LexborHTMLParser(response.text)
        container = tree.css_first("[data-phx-main]")
        if container is None:
            raise LiveViewTestError(f"GET {path} answered a page without a LiveView container ([data-phx-main])")
        attrs = container.attributes
        self.path = path
        self.id = attrs.get("id") or ""
        self.session = attrs.get("data-phx-session") or ""
        self.static = attrs.get("data-phx-static") or ""
        meta = tree.css_first('meta[name="csrf-token"]')
        self.csrf = (meta.attributes.get("content") if meta is not None else None) or ""
        title = tree.css_first("title")
        title_attrs = title.attributes if title is not None else {}
        self.title_prefix = title_attrs.get("data-prefix") or ""
        self.title_suffix = title_attrs.get("data-suffix") or ""
        self.document_title = title.text(deep=True) if title is not None else ""
        head = tree.css_first("head")
        self.head = head.html if head is not None else ""
        self.html = response.text


class _Browser:
    """One test's browser: a cookie jar, the sockets it opened, and the runtime's probe."""

    def __init__(self, app: Any, origin: Origin, session: Optional[dict[str, Any]], timeout: float, check: bool) -> None:
        self.app = app
        self.origin = origin
        self.timeout = timeout
        self.check = check
        self.jar = CookieJar()
        self.probe = _Probe()
        self.scope = {PROBE_KEY: self.probe}
        self.connections: list[_Connection] = []
        if session is not None:
            cookie = getattr(app, "session_cookie", None)
            if cookie is None:
                raise LiveViewTestError(f"session= needs a PyView app (it signs the session cookie); got {type(app).__name__}")
            self.jar.set(*cookie(dict(session)))

    async def get_page(self, path: str) -> _Page:
        """The dead render of ``path``, following plain HTTP redirects to a LiveView page."""
        _check_local_path(path)
        for _ in range(MAX_HTTP_REDIRECTS):
            errors_before = len(self.probe.render_errors)
            response = await http_get(self.app, self.origin, path, self.jar, self.scope)
            if response.status in (301, 302, 303, 307, 308):
                location = response.header("location") or ""
                token = self.jar.cookies.get(FLASH_COOKIE)
                raise Redirected("redirect", self.origin.local(location), self.read_flash(token), token)
            if response.status == 200:
                return _Page(path, response)
            if len(self.probe.render_errors) > errors_before:
                error = self.probe.render_errors[-1]
                _note_once(error, f"raised while rendering GET {path} (the dead render); re-raised by pyview_core.testing")
                raise error
            raise LiveViewTestError(f"GET {path} answered {response.status}, not a LiveView page: {response.text[:300]!r}")
        raise LiveViewTestError(f"GET {path}: more than {MAX_HTTP_REDIRECTS} redirects")

    async def submit_natively(self, method: str, action: str, data: str) -> "LiveViewTest":
        """A form sent by the browser itself (``phx-trigger-action``), then the page it redirects to."""
        target = self.origin.local(action)
        _check_local_path(target)
        if method == "GET":
            target = target.split("?", 1)[0] + "?" + data
            response = await http_request(self.app, self.origin, "GET", target, self.jar, self.scope)
        else:
            response = await http_request(self.app, self.origin, "POST", target, self.jar, self.scope, form=data)
        if response.status in (301, 302, 303, 307, 308):
            return await self.open(self.origin.local(response.header("location") or "/"))
        raise LiveViewTestError(f"{method} {target} answered {response.status}, not a redirect: {response.text[:300]!r}")

    def read_flash(self, token: Any) -> dict[str, str]:
        """The messages of a flash token the app signed ({} for none, or for an app that is not a PyView)."""
        runtime = getattr(self.app, "runtime", None)
        if not token or runtime is None:
            return {}
        return FlashTokens(runtime.signer).load(token)

    def redirected(self, kind: str, target: Any) -> Redirected:
        """A ``redirect``/``live_redirect`` payload from the server as ``Redirected``, its flash read."""
        target = target if isinstance(target, dict) else {}
        token = target.get("flash")
        return Redirected(kind, target.get("to", ""), self.read_flash(token), token)

    async def open(self, path: str, flash: Optional[str] = None) -> "LiveViewTest":
        """Load ``path`` as a new page: dead render, a socket of its own, the join.

        ``flash``: a token a full redirect carried, set as the client does (its cookie)."""
        if flash:
            self.jar.set(FLASH_COOKIE, flash)
        page = await self.get_page(path)
        query = f"_csrf_token={quote(page.csrf, safe='')}&vsn=2.0.0"
        peer = WebSocketPeer()
        try:
            await peer.connect(self.app, self.origin, f"{LIVE_SOCKET_PATH}?{query}", self.jar, self.scope)
        except SocketClosed as closed:
            raise LiveViewTestError(
                f"the live socket was refused (code {closed.code}): check allowed_origins against live(base_url=...)"
            ) from None
        connection = _Connection(self, peer)
        self.connections.append(connection)
        view = LiveViewTest(connection, page, page.path)
        await view._join(None)
        return view

    async def aclose(self) -> None:
        for connection in self.connections:
            await connection.peer.close()


class _Connection:
    """One live socket: numbered refs, and each frame handed to the view of its topic."""

    def __init__(self, browser: _Browser, peer: WebSocketPeer) -> None:
        self.browser = browser
        self.peer = peer
        self.views: dict[str, LiveViewTest] = {}
        self._ref = 0

    def next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    def send(self, frame: list[Any]) -> None:
        self.peer.send_text(orjson.dumps(frame).decode())

    def dispatch(self, text: str) -> list[Any]:
        """Decode a frame and hand it to the view of its topic; the frame."""
        frame = orjson.loads(text)
        view = self.views.get(frame[2])
        if view is not None:
            view._on_frame(frame)
        return frame

    def drain(self) -> None:
        """Hand every frame that has already arrived to its view (no waiting)."""
        while True:
            try:
                text = self.peer.receive_nowait()
            except SocketClosed:
                return
            if text is None:
                return
            self.dispatch(text)

    async def request(self, view: "LiveViewTest", event: str, payload: dict[str, Any]) -> Optional[dict[str, Any]]:
        """Send ``event`` on the view's topic and return its reply's payload (frames before it are
        handled on the way); None if the view ended (crashed, navigated) before answering."""
        ref = self.next_ref()
        view._awaiting = ref
        view._reply = None
        try:
            self.send([view.join_ref, ref, view.topic, event, payload])
            while view._reply is None and not view._ended:
                try:
                    text = await self.peer.receive(self.browser.timeout)
                except TimeoutError:
                    raise LiveViewTestError(
                        f"no answer to {event} {payload.get('event', '')!r} within {self.browser.timeout:g} s "
                        f"(is a handler of {view.view_name} stuck?)"
                    ) from None
                except SocketClosed as closed:
                    raise LiveViewTestError(f"the server closed the live socket with code {closed.code}") from None
                self.dispatch(text)
            return view._reply
        finally:
            view._awaiting = None


# ============================================================================ the view


class LiveViewTest:
    """A joined LiveView as its browser sees it; every action returns the HTML after it."""

    def __init__(self, connection: _Connection, page: _Page, path: str) -> None:
        self._connection = connection
        self._browser = connection.browser
        self._page = page
        self._path = path
        self.topic = "lv:" + page.id
        self.join_ref = ""
        self.view_name = "the view"
        self._rendered: Optional[ClientRendered] = None
        self._title: Optional[str] = None
        self._channel: Any = None
        self._awaiting: Optional[str] = None
        self._reply: Optional[dict[str, Any]] = None
        self._ended: Optional[str] = None  # why the view is gone, once it is
        self._crash: Optional[BaseException] = None
        self._crash_raised = False
        self._patches: list[str] = []
        self._redirects: list[Redirected] = []
        self._followed: Optional[Redirected] = None
        self._gone_to: Optional[Redirected] = None  # the navigation that ended this view
        self._events: list[tuple[str, Any]] = []
        self._replies: list[Any] = []  # what handlers returned to hooks (pushEvent's reply)
        self._warned: set[str] = set()
        self._dom: Optional[tuple[str, dom.Page]] = None
        self._removed_cids: set[int] = set()  # components that left the page since the last step

    # --- what the page shows --------------------------------------------------------------------

    def html(self) -> str:
        """The view container's current HTML: the join and every diff received so far, merged."""
        __tracebackhide__ = True
        self._connection.drain()
        assert self._rendered is not None
        return self._rendered.html()

    @property
    def title(self) -> str:
        """The page title as the browser shows it (prefix and suffix included)."""
        __tracebackhide__ = True
        self._connection.drain()
        if self._title is None:
            return self._page.document_title
        return f"{self._page.title_prefix}{self._title}{self._page.title_suffix}"

    @property
    def path(self) -> str:
        """The current URL's path and query (after live patches)."""
        __tracebackhide__ = True
        self._connection.drain()
        return self._path

    def element(self, selector: str, text: TextFilter = None) -> Element:
        """The element matching the CSS ``selector`` (and containing ``text``), found when it is used."""
        __tracebackhide__ = True
        return Element(self, selector, text)

    def form(self, selector: str, data: Optional[dict[str, Any]] = None) -> FormHandle:
        """The ``<form>`` at ``selector`` with ``data`` typed into its fields (checked when it is used)."""
        __tracebackhide__ = True
        return FormHandle(self, selector, data or {})

    def file_input(self, selector: str, name: str, files: list[dict[str, Any]]) -> "FileInput":
        """Files chosen for the ``live_file_input`` named ``name`` of the form at ``selector`` (see
        :func:`pyview_core.testing.uploads.file_input`): ``select()``, ``render_upload()``, ``submit()``."""
        __tracebackhide__ = True
        from .uploads import FileInput

        return FileInput(self, selector, name, files)

    def has_element(self, selector: str, text: TextFilter = None) -> bool:
        """Whether the page has at least one element matching ``selector`` (and containing ``text``)."""
        __tracebackhide__ = True
        return bool(self._dom_page().select(selector, text))

    async def keydown(self, key: str, value: Optional[dict[str, Any]] = None) -> str:
        """Press ``key`` with nothing focused: every ``phx-window-keydown`` of the page gets it."""
        __tracebackhide__ = True
        return await self._window_key("keydown", key, value)

    async def keyup(self, key: str, value: Optional[dict[str, Any]] = None) -> str:
        """Release ``key`` with nothing focused: every ``phx-window-keyup`` of the page gets it."""
        __tracebackhide__ = True
        return await self._window_key("keyup", key, value)

    async def _window_key(self, kind: str, key: str, value: Optional[dict[str, Any]]) -> str:
        __tracebackhide__ = True
        binding = f"phx-window-{kind}"
        nodes = self._dom_page().select(f"[{binding}]")
        if not nodes:
            raise LiveViewTestError(f"a {kind} of {key!r} on the page reaches nothing: no element has {binding}")
        html = self.html()
        for node in nodes:
            html = await send_key(self, node, binding, kind, key, value, snippet(node))
        return html

    # --- navigation -----------------------------------------------------------------------------

    async def patch(self, path: str) -> str:
        """Change the URL within this view as a ``<.link patch>`` would (``handle_params`` runs)."""
        __tracebackhide__ = True
        self._check_alive("patch")
        _check_local_path(path)
        response = await self._request("live_patch", {"url": self._browser.origin.url(path)}, f"patch to {path!r}")
        if response.get("link_redirect"):
            raise LiveViewTestError(
                f"{path!r} is served by another LiveView: a patch stays within {self.view_name} "
                "(navigate to it with live(app, path), or follow a push_navigate with follow_redirect())"
            )
        self._path = path
        self._patches.append(path)
        return self._finish_step()

    def assert_patch(self, to: Optional[str] = None) -> str:
        """The oldest live patch not asserted yet (the view's ``push_patch`` or ``patch()``); checks ``to``."""
        __tracebackhide__ = True
        self._connection.drain()
        if not self._patches:
            raise LiveViewTestError(f"expected a live patch{_to(to)}, but none happened" + self._pending_hint())
        path = self._patches[0]
        if to is not None and path != to:
            raise LiveViewTestError(f"expected a live patch to {to!r}, got one to {path!r}")
        return self._patches.pop(0)

    def refute_patch(self) -> None:
        __tracebackhide__ = True
        self._connection.drain()
        if self._patches:
            raise LiveViewTestError(f"expected no live patch, got one to {self._patches[0]!r}")

    def assert_redirect(self, to: Optional[str] = None) -> dict[str, Any]:
        """The oldest redirect (``redirect`` or ``push_navigate``) not asserted yet; returns its flash."""
        __tracebackhide__ = True
        self._connection.drain()
        if not self._redirects:
            raise LiveViewTestError(f"expected a redirect{_to(to)}, but none happened" + self._pending_hint())
        redirect = self._redirects[0]
        if to is not None and redirect.to != to:
            raise LiveViewTestError(f"expected a redirect to {to!r}, got a {redirect.kind} to {redirect.to!r}")
        self._followed = self._redirects.pop(0)
        return redirect.flash

    def refute_redirect(self) -> None:
        __tracebackhide__ = True
        self._connection.drain()
        if self._redirects:
            raise LiveViewTestError(f"expected no redirect, got a {self._redirects[0].kind} to {self._redirects[0].to!r}")

    async def follow_redirect(self) -> "LiveViewTest":
        """The page the last redirect leads to, joined (live navigation reuses this socket, as the client does)."""
        __tracebackhide__ = True
        self._connection.drain()
        redirect = self._redirects.pop(0) if self._redirects else self._followed
        if redirect is None:
            raise LiveViewTestError("follow_redirect: the view has not redirected")
        self._followed = None
        if redirect.kind == "live_redirect":
            view = LiveViewTest(self._connection, self._page, redirect.to)
            try:
                await view._join(redirect.to, referer=self._path, flash=redirect.token)
            except _NavigationRefused:
                # Another live_session (or no live view there): the client loads the page instead,
                # so that session's on_mount hooks run on a page request.
                self._connection.views.pop(view.topic, None)
                return await self._browser.open(redirect.to, flash=redirect.token)
            return view
        return await self._browser.open(redirect.to, flash=redirect.token)

    # --- client events --------------------------------------------------------------------------

    def assert_push_event(self, event: str, payload: Any = ...) -> Any:
        """The oldest ``push_event(event, ...)`` not asserted yet; checks ``payload`` when given; returns it."""
        __tracebackhide__ = True
        self._connection.drain()
        for i, (name, value) in enumerate(self._events):
            if name == event:
                del self._events[i]
                if payload is not ... and value != payload:
                    raise LiveViewTestError(f"push_event {event!r} carried {value!r}, expected {payload!r}")
                return value
        seen = ", ".join(repr(name) for name, _ in self._events) or "none"
        raise LiveViewTestError(f"expected push_event {event!r}; pushed and not asserted: {seen}")

    def assert_reply(self, payload: Any = ...) -> Any:
        """The oldest reply a handler returned to a hook (``pushEvent(..., reply => ...)``), checked
        against ``payload`` when given."""
        __tracebackhide__ = True
        self._connection.drain()
        if not self._replies:
            raise LiveViewTestError("expected a reply to a hook event, but no handler returned one")
        reply = self._replies.pop(0)
        if payload is not ... and reply != payload:
            raise LiveViewTestError(f"the hook's reply was {reply!r}, expected {payload!r}")
        return reply

    def refute_push_event(self, event: str) -> None:
        __tracebackhide__ = True
        self._connection.drain()
        for name, value in self._events:
            if name == event:
                raise LiveViewTestError(f"expected no push_event {event!r}, got one with {value!r}")

    # --- the server side ------------------------------------------------------------------------

    async def send_info(self, event: InfoEvent) -> str:
        """Deliver ``event`` to ``handle_info`` as a timer or pub/sub would; the HTML once it rendered."""
        __tracebackhide__ = True
        channel = self._live_channel("send_info")
        await channel.post_info(event)
        await self._barrier("send_info")
        return self._finish_step()

    async def render_async(self, timeout: float = 1.0) -> str:
        """Wait until the view's jobs and one-off timers have finished and every message they sent is
        rendered; the HTML then. Repeating timers are not waited for."""
        __tracebackhide__ = True
        channel = self._live_channel("render_async")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = channel.jobs.pending()
            if pending:
                _done, still = await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))
                if still:
                    names = ", ".join(sorted(_task_name(task) for task in still))
                    raise LiveViewTestError(f"render_async: {len(still)} job(s) of {self.view_name} still running after {timeout:g} s: {names}")
            await self._barrier("render_async")
            if not channel.jobs.pending() and not len(channel.mailbox):
                return self._finish_step()
            if loop.time() > deadline:
                raise LiveViewTestError(f"render_async: {self.view_name} was still busy after {timeout:g} s")

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 1.0) -> str:
        """Wait until ``condition()`` holds, checked after each frame the server sends (for a page a
        running job keeps changing, where ``render_async`` would wait for the whole job); the HTML then."""
        __tracebackhide__ = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        connection = self._connection
        connection.drain()
        while not condition():
            self._raise_crash()
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                connection.dispatch(await connection.peer.receive(remaining))
            except TimeoutError:
                raise LiveViewTestError(f"wait_for: {condition!r} did not hold within {timeout:g} s; the page is:\n{self.html()}") from None
            except SocketClosed as closed:
                raise LiveViewTestError(f"wait_for: the server closed the live socket with code {closed.code}") from None
            connection.drain()
        return self._finish_step()

    def open_browser(self) -> str:
        """Write the current page to a temporary HTML file, print its path and return it."""
        __tracebackhide__ = True
        fd, path = tempfile.mkstemp(prefix="pyview-", suffix=".html")
        document = (
            f"<!DOCTYPE html>\n<html>{_without_scripts(self._page.head)}<body>"
            f'<div id="{escape(self._page.id)}">{self.html()}</div></body></html>\n'
        )
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(document)
        print(f"pyview: {self.view_name} at {self._path} written to {path}")
        return path

    # --- steps (used by Element and FormHandle) -------------------------------------------------

    async def _push_event(self, payload: dict[str, Any], what: str, node: Any = None) -> str:
        """One event, sent to where ``node``'s ``phx-target`` points (the view, or a component's
        cid; one event per element a selector target matches)."""
        __tracebackhide__ = True
        self._check_alive(what)
        targets = self._dom_page().targets(node) if node is not None else [None]
        for cid in targets:
            message = payload if cid is None else {**payload, "cid": cid}
            response = await self._request("event", message, what)
            del response  # navigation and diff were taken off by _on_reply
            if self._ended:
                break
        await self._destroy_removed_components(what)
        return self._finish_step()

    async def _destroy_removed_components(self, what: str) -> None:
        """What the client does after a patch removed components (``maybePushComponentsDestroyed``):
        ``cids_will_destroy``, then ``cids_destroyed`` for those still gone, then prune the ones the
        server names."""
        __tracebackhide__ = True
        rendered = self._rendered
        if rendered is None or self._ended or not self._removed_cids:
            return
        on_page = set(rendered.cids())
        gone = sorted(cid for cid in self._removed_cids if cid not in on_page)
        self._removed_cids.clear()
        if not gone:
            return
        await self._request("cids_will_destroy", {"cids": gone}, what)
        on_page = set(rendered.cids())
        still_gone = [cid for cid in gone if cid not in on_page]
        if still_gone and not self._ended:
            reply = await self._request("cids_destroyed", {"cids": still_gone}, what)
            rendered.prune(reply.get("cids") or [])

    async def _request(self, event: str, payload: dict[str, Any], what: str) -> dict[str, Any]:
        __tracebackhide__ = True
        reply = await self._connection.request(self, event, payload)
        self._raise_crash()
        if reply is None:
            raise LiveViewTestError(f"{what}: {self.view_name} ended before answering ({self._ended})")
        if reply.get("status") != "ok":
            reason = (reply.get("response") or {}).get("reason", reply.get("response"))
            raise LiveViewTestError(f"{what}: {self.view_name} refused it: {reason}")
        return reply.get("response") or {}

    async def _barrier(self, what: str) -> None:
        """Wait until the view has handled everything queued before now (the channel answers
        ``cids_will_destroy`` in mailbox order, so its reply comes after theirs)."""
        __tracebackhide__ = True
        await self._request("cids_will_destroy", {"cids": []}, what)

    def _finish_step(self) -> str:
        """After a step: take what has arrived, raise a crash, check the page; the HTML."""
        __tracebackhide__ = True
        self._connection.drain()
        self._raise_crash()
        html = self.html()
        if self._browser.check:
            self._check_page(html)
        return html

    def _check_page(self, html: str) -> None:
        """Merged HTML equals a fresh render (when the view is idle); warn about fragile markup."""
        __tracebackhide__ = True
        channel = self._channel
        if channel is not None and channel.mailbox.idle and not channel.jobs.pending() and self._ended is None:
            with rendering(channel.socket.flash):
                fresh = join(channel.fresh_tree())
            html = without_component_marks(html)
            if html == fresh:
                merged_form = fresh_form = ""
            else:  # streams keep rows a fresh render no longer has: compare with those left out
                merged_form, fresh_form = dom.comparable(html), dom.comparable(fresh)
            if merged_form != fresh_form:
                diff = "\n".join(difflib.unified_diff(
                    _lines(merged_form), _lines(fresh_form), "what the client shows (diffs merged)", "a fresh render of the state", lineterm="", n=1,
                ))
                raise LiveViewTestError(
                    f"{self.view_name}: the page the client holds differs from a fresh render of the view's state, "
                    "so a change never reached the client. A common cause is a render that reuses and mutates a "
                    "list or tree from an earlier render.\n" + diff[:4000]
                )
        page = self._dom_page()
        for dup in page.duplicate_ids():
            self._warn(f"{self.view_name}: duplicate id {dup!r} in the page (the client's DOM patching needs unique ids)")
        for form in page.change_forms_without_id():
            self._warn(f"{self.view_name}: a phx-change form without an id loses its input on reconnect: {form}")

    def _warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(LiveViewTestWarning(message), stacklevel=4)

    def _dom_page(self) -> dom.Page:
        html = self.html()
        cached = self._dom
        if cached is None or cached[0] != html:
            cached = self._dom = (html, dom.Page(html))
        return cached[1]

    # --- joining --------------------------------------------------------------------------------

    async def _join(self, redirect: Optional[str], referer: Optional[str] = None, flash: Optional[str] = None) -> None:
        __tracebackhide__ = True
        connection, page, origin = self._connection, self._page, self._browser.origin
        self.join_ref = connection.next_ref()
        params: dict[str, Any] = {"_csrf_token": page.csrf, "_mounts": 0, "_mount_attempts": 0}
        payload: dict[str, Any] = {"params": params, "session": page.session, "static": page.static, "sticky": False}
        if redirect is not None:
            payload["redirect"] = origin.url(redirect)
            params["_live_referer"] = origin.url(referer or "/")
            if flash:  # the client sends the flash a live redirect carried (omitted when null)
                payload["flash"] = flash
        else:
            payload["url"] = origin.url(self._path)
        connection.views[self.topic] = self
        reply = await connection.request(self, "phx_join", payload)
        self._channel = self._browser.probe.channels.pop((self.topic, self.join_ref), None)
        if self._channel is not None:
            self.view_name = self._channel.view_name
        self._raise_crash()
        if reply is None:
            raise LiveViewTestError(f"the join of {self._path} ended without an answer ({self._ended})")
        response = reply.get("response") or {}
        if reply.get("status") != "ok":
            channel = self._channel
            if channel is not None and channel.crash is not None:
                error, where = channel.crash
                _note_once(error, f"{channel.view_name} crashed in {where}; the server logged it and refused the join; re-raised by pyview_core.testing")
                raise error
            for kind in ("redirect", "live_redirect"):
                if kind in response:
                    raise self._browser.redirected(kind, response[kind])
            reason = response.get("reason", response)
            if redirect is not None and reason in ("unauthorized", "stale"):
                raise _NavigationRefused(f"the live navigation to {self._path} was refused: {reason}")
            raise LiveViewTestError(f"the join of {self._path} was refused: {reason}")
        self._rendered = ClientRendered(response["rendered"], decoded=True)
        self._take_merge_output()
        patched = response.get("live_patch")
        if patched:
            self._path = patched["to"]
        self._finish_step()

    # --- frames ---------------------------------------------------------------------------------

    def _on_frame(self, frame: list[Any]) -> None:
        join_ref, ref, _topic, event, payload = frame
        if join_ref is not None and join_ref != self.join_ref:
            return  # for an earlier view under this topic
        if event == "phx_reply":
            if ref is not None and ref == self._awaiting:
                self._reply = payload
                if payload.get("status") == "ok" and self._rendered is not None:
                    self._apply(payload.get("response") or {})
            return
        if event == "diff":
            self._merge(payload)
        elif event == "live_patch":
            self._path = payload.get("to", self._path)
            self._patches.append(self._path)
        elif event in ("redirect", "live_redirect"):
            self._redirected(event, payload)
        elif event == "phx_error":
            self._ended = "it crashed"
            channel = self._channel
            if channel is not None and channel.crash is not None:
                self._crash = channel.crash[0]
                _note_once(self._crash, f"{channel.view_name} crashed in {channel.crash[1]}; the server logged it and sent phx_error; re-raised by pyview_core.testing")
            else:
                self._crash = LiveViewTestError(f"{self.view_name} crashed: {payload}")
        elif event == "phx_close":
            self._ended = self._ended or "the server closed it"

    def _apply(self, response: dict[str, Any]) -> None:
        """What a reply carries besides its status: a diff, a patch, a navigation."""
        if "diff" in response:
            self._merge(response["diff"])
        patched = response.get("live_patch")
        if patched:
            self._path = patched["to"]
            self._patches.append(self._path)
        for kind in ("redirect", "live_redirect"):
            if kind in response:
                self._redirected(kind, response[kind])

    def _redirected(self, kind: str, target: dict[str, Any]) -> None:
        """The view sent the browser elsewhere: it ends here (the server closes it next)."""
        redirect = self._browser.redirected(kind, target)
        self._redirects.append(redirect)
        self._gone_to = redirect
        self._ended = self._ended or f"it sent the browser to {redirect.to!r}"

    def _merge(self, diff: dict[str, Any]) -> None:
        assert self._rendered is not None
        before = self._rendered.cids()
        self._rendered.merge(diff, decoded=True)
        if before:
            self._removed_cids.update(set(before) - set(self._rendered.cids()))
        self._take_merge_output()

    def _take_merge_output(self) -> None:
        rendered = self._rendered
        assert rendered is not None
        if rendered.title is not None:
            self._title = rendered.title
        for name, value in rendered.events:
            self._events.append((name, value))
        rendered.events = []
        if rendered.reply is not None:
            self._replies.append(rendered.reply)
            rendered.reply = None

    # --- state ----------------------------------------------------------------------------------

    def _raise_crash(self) -> None:
        __tracebackhide__ = True
        crash = self._crash
        if crash is not None and not self._crash_raised:
            self._crash_raised = True
            raise crash

    def _check_alive(self, what: str) -> None:
        __tracebackhide__ = True
        self._connection.drain()
        self._raise_crash()
        if self._ended is not None:
            hint = "; follow_redirect() gives the page it went to" if self._gone_to is not None else ""
            raise LiveViewTestError(f"{what}: {self.view_name} has ended ({self._ended}){hint}")

    def _live_channel(self, what: str) -> Any:
        __tracebackhide__ = True
        self._check_alive(what)
        if self._channel is None:
            raise LiveViewTestError(f"{what} needs the app to run in this process")
        return self._channel

    def _pending_hint(self) -> str:
        __tracebackhide__ = True
        channel = self._channel
        if channel is not None and (channel.jobs.pending() or len(channel.mailbox)):
            return " (the view is still busy: await view.render_async() first)"
        return ""

    def __repr__(self) -> str:
        return f"<LiveViewTest {self.view_name} at {self._path}>"


# ============================================================================ entry point


@asynccontextmanager
async def live(
    app: Any,
    path: str = "/",
    *,
    session: Optional[dict[str, Any]] = None,
    base_url: str = "http://testserver",
    check: bool = True,
    timeout: float = STEP_TIMEOUT,
) -> AsyncIterator[LiveViewTest]:
    """Load ``path`` of ``app`` in a test browser and join its LiveView.

    ``session`` starts the browser with that cookie session (what ``mount`` receives).
    ``check`` compares the merged HTML with a fresh render after every step. ``timeout`` is how
    long a step waits for the server. Leaving the block closes the socket like a closed tab and
    waits until every view was torn down (``disconnect`` ran).
    """
    browser = _Browser(app, Origin(base_url), session, timeout, check)
    try:
        yield await browser.open(path)
    finally:
        await browser.aclose()


# ============================================================================ helpers


def _check_local_path(path: str) -> None:
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise LiveViewTestError(f"expected a local path like '/users?page=2', got {path!r}")


def _note_once(error: BaseException, note: str) -> None:
    notes = getattr(error, "__notes__", [])
    if note not in notes:
        lineno = getattr(error, "template_lineno", None)
        if lineno is not None and not any("line" in n for n in notes):
            note += f"\n  at {getattr(error, 'template_name', '?')} line {lineno}: {short_error(error)}"
        error.add_note(note)


def _to(to: Optional[str]) -> str:
    return f" to {to!r}" if to is not None else ""


def _lines(html: str) -> list[str]:
    return html.replace("><", ">\n<").splitlines()


def _task_name(task: "asyncio.Task[Any]") -> str:
    """The coroutines the task is waiting in, outermost first (``_guarded -> job -> sleep``)."""
    names, coro = [], task.get_coro()
    while coro is not None and len(names) < 6:
        name = getattr(coro, "__qualname__", None)
        if name is None:
            break
        names.append(name)
        coro = getattr(coro, "cr_await", None)
    return " -> ".join(names) or task.get_name()


def _without_scripts(head: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", head, flags=re.S | re.I)
