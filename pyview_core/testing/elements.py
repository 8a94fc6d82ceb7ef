"""What a test does to the page: an element it clicks or types at, a form it fills in and sends.

Each action looks its element up in the HTML the client holds at that moment, refuses what a
person could not do there (no such element, several, no binding, disabled), builds the payload
from the markup as the 1.2 client does (:mod:`.dom`) and hands it to its view as one step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from . import dom
from .controls import is_disabled
from .errors import LiveViewTestError
from .forms import Form
from .messages import TextFilter, describe, snippet
from .uploads import FileInput, unsent_upload_input

if TYPE_CHECKING:
    from .driver import LiveViewTest

__all__ = ["Element", "FormHandle", "TextFilter"]

class Element:
    """An element of the page, found by CSS selector (and text) each time it is used."""

    def __init__(self, view: "LiveViewTest", selector: str, text: TextFilter) -> None:
        self.view = view
        self.selector = selector
        self.text = text

    def _find(self, binding: Optional[str] = None) -> Any:
        __tracebackhide__ = True
        return self.view._dom_page().one(self.selector, self.text, binding=binding)

    def html(self) -> str:
        """The element's outer HTML."""
        __tracebackhide__ = True
        return self._find().html or ""

    def exists(self) -> bool:
        __tracebackhide__ = True
        return self.view.has_element(self.selector, self.text)

    async def click(self, value: Optional[dict[str, Any]] = None) -> str:
        """Click it: it must carry ``phx-click`` (or be a live link) and not be disabled."""
        __tracebackhide__ = True
        node = self._find("phx-click")
        if node.attributes.get("phx-click") is None and node.tag == "a":
            return await self._follow_link(node)
        self._refuse_disabled(node, "click")
        html = ""
        for name, push_value in dom.pushes(node, "phx-click"):
            extra = {**(push_value or {}), **(value or {})}
            payload = {"type": "click", "event": name, "value": dom.event_value(node, extra)}
            html = await self.view._push_event(payload, f"click on {self._described()} ({name!r})", node)
        return html

    async def keydown(self, key: str, value: Optional[dict[str, Any]] = None) -> str:
        """Press ``key`` on it: it must carry ``phx-keydown`` or ``phx-window-keydown``."""
        __tracebackhide__ = True
        return await self._key("keydown", key, value)

    async def keyup(self, key: str, value: Optional[dict[str, Any]] = None) -> str:
        """Release ``key`` on it: it must carry ``phx-keyup`` or ``phx-window-keyup``."""
        __tracebackhide__ = True
        return await self._key("keyup", key, value)

    async def focus(self, value: Optional[dict[str, Any]] = None) -> str:
        __tracebackhide__ = True
        return await self._simple("focus", value)

    async def blur(self, value: Optional[dict[str, Any]] = None) -> str:
        __tracebackhide__ = True
        return await self._simple("blur", value)

    async def hook(self, event: str, payload: Optional[dict[str, Any]] = None) -> str:
        """What ``this.pushEvent(event, payload)`` in the element's ``phx-hook`` sends."""
        __tracebackhide__ = True
        node = self._find("phx-hook")
        if not node.attributes.get("phx-hook"):
            raise LiveViewTestError(f"{self._described()} has no phx-hook, so no hook can push {event!r} from it: {snippet(node)}")
        if not node.attributes.get("id"):
            raise LiveViewTestError(f"{self._described()} has phx-hook but no id (the client refuses such a hook): {snippet(node)}")
        message = {"type": "hook", "event": event, "value": payload if payload is not None else {}}
        return await self.view._push_event(message, f"hook event {event!r} from {self._described()}", node)

    async def _key(self, kind: str, key: str, value: Optional[dict[str, Any]]) -> str:
        __tracebackhide__ = True
        binding = f"phx-{kind}"
        node = self._find(binding)
        attrs = node.attributes
        if attrs.get(binding) is None and attrs.get(f"phx-window-{kind}") is not None:
            binding = f"phx-window-{kind}"
        return await send_key(self.view, node, binding, kind, key, value, self._described())

    async def _simple(self, kind: str, value: Optional[dict[str, Any]]) -> str:
        __tracebackhide__ = True
        binding = f"phx-{kind}"
        node = self._find(binding)
        if node.attributes.get(binding) is None and node.attributes.get(f"phx-window-{kind}") is not None:
            binding = f"phx-window-{kind}"
        html = ""
        for name, push_value in dom.pushes(node, binding):
            extra = {**(push_value or {}), **(value or {})}
            payload = {"type": kind, "event": name, "value": dom.event_value(node, extra)}
            html = await self.view._push_event(payload, f"{kind} on {self._described()}", node)
        return html

    async def _follow_link(self, node: Any) -> str:
        __tracebackhide__ = True
        kind = node.attributes.get("data-phx-link")
        href = node.attributes.get("href") or ""
        if kind == "patch":
            return await self.view.patch(self.view._browser.origin.local(href))
        if kind == "redirect":
            self.view._check_alive(f"click on {self._described()}")
            self.view._redirected("live_redirect", {"to": self.view._browser.origin.local(href)})
            return self.view.html()
        raise LiveViewTestError(
            f"{self._described()} has no phx-click and is a plain link to {href!r}: load it with live(app, {href!r})"
        )

    def _refuse_disabled(self, node: Any, what: str) -> None:
        __tracebackhide__ = True
        if is_disabled(node):
            raise LiveViewTestError(f"cannot {what} {self._described()}: it is disabled: {snippet(node)}")

    def _described(self) -> str:
        return describe(self.selector, self.text)

    def __repr__(self) -> str:
        return f"<Element {self._described()} of {self.view!r}>"


class FormHandle:
    """A form of the page with values typed into it; ``change()`` and ``submit()`` send it."""

    def __init__(self, view: "LiveViewTest", selector: str, data: dict[str, Any]) -> None:
        self.view = view
        self.selector = selector
        self.data = data

    def _model(self, binding: str) -> tuple[Any, Form, list[str]]:
        __tracebackhide__ = True
        page = self.view._dom_page()
        node = page.one(self.selector, binding=binding)
        if node.tag != "form":
            raise LiveViewTestError(f"{self.selector!r} is a <{node.tag}>, not a <form>: {snippet(node)}")
        form = Form(page, node)
        filled = form.fill(self.data) if self.data else []
        return node, form, filled

    async def change(self, target: Optional[str] = None, value: Optional[dict[str, Any]] = None) -> str:
        """Send ``phx-change`` as typing into the form does; ``_target`` is ``target`` or the last field filled."""
        __tracebackhide__ = True
        node, form, filled = self._model("phx-change")
        target = target if target is not None else (filled[-1] if filled else None)
        event = None
        only: Optional[list[str]] = None
        if target is not None:
            if target not in form.field_names():
                raise LiveViewTestError(f"change target {target!r} is not a field of form {self.selector!r}; it has: {_names(form.field_names())}")
            quoted = target.replace("\\", "\\\\").replace('"', '\\"')
            own = [n for n in self.view._dom_page().select(f'[name="{quoted}"]') if n.attributes.get("phx-change")]
            if own:
                event, only = own[0].attributes["phx-change"], [target]
        if event is None:
            event = node.attributes.get("phx-change")
        if not event:
            raise LiveViewTestError(f"form {self.selector!r} has no phx-change, so typing into it sends nothing: {snippet(node)}")
        meta = {"_target": target if target is not None else "undefined", **dom.event_value(node, value)}
        payload = {
            "type": "form", "event": event, "value": form.serialize(used=set(filled), only_names=only),
            "meta": meta, "uploads": {},
        }
        return await self.view._push_event(payload, f"change of form {self.selector!r} ({event!r})", node)

    async def submit(self, submitter: Optional[str] = None, value: Optional[dict[str, Any]] = None) -> str:
        """Submit the form (``phx-submit``), with the button at ``submitter`` as the one pressed."""
        __tracebackhide__ = True
        node, form, _filled = self._model("phx-submit")
        event = node.attributes.get("phx-submit")
        if not event:
            raise LiveViewTestError(f"form {self.selector!r} has no phx-submit, so submitting it sends nothing: {snippet(node)}")
        pending = unsent_upload_input(self.view, form)
        if pending is not None:  # chosen files: the client uploads them first, then submits
            return await FileInput.resumed(self.view, self.selector, pending).submit(self.data, submitter, value)
        button = None
        if submitter is not None:
            buttons = form.submit_buttons()
            matches = [b for b in self.view._dom_page().select(submitter) if any(b.mem_id == c.mem_id for c in buttons)]
            if len(matches) != 1:
                listed = "; ".join(snippet(b) for b in buttons[:5]) or "none"
                raise LiveViewTestError(
                    f"submitter {submitter!r} matches {len(matches)} submit buttons of form {self.selector!r}; it has: {listed}"
                )
            button = matches[0]
            if is_disabled(button):
                raise LiveViewTestError(f"submitter {submitter!r} is disabled: {snippet(button)}")
        payload = {
            "type": "form", "event": event, "value": form.serialize(submitter=button, submitted=True),
            "meta": dom.event_value(node, value),
        }
        return await self.view._push_event(payload, f"submit of form {self.selector!r} ({event!r})", node)

    async def follow_trigger_action(self) -> "LiveViewTest":
        """The request the browser makes once the view set ``phx-trigger-action`` on this form: the
        form's values sent natively to its ``action`` (with its ``method``), as the client does after
        the view accepted them. A redirect is followed to the page it leads to (the cookies, a
        session a login route wrote and its flash, go along); anything else fails the test."""
        __tracebackhide__ = True
        page = self.view._dom_page()
        node = page.one(self.selector)
        if node.tag != "form":
            raise LiveViewTestError(f"{self.selector!r} is a <{node.tag}>, not a <form>: {snippet(node)}")
        if "phx-trigger-action" not in node.attributes:
            raise LiveViewTestError(
                f"form {self.selector!r} has no phx-trigger-action, so the client would not submit it: {snippet(node)}"
            )
        form = Form(page, node)
        if self.data:
            form.fill(self.data)
        method = (node.attributes.get("method") or "get").upper()
        action = node.attributes.get("action") or self.view.path
        return await self.view._browser.submit_natively(method, action, form.serialize(submitted=True))

    def __repr__(self) -> str:
        return f"<FormHandle {self.selector!r} of {self.view!r}>"


async def send_key(view: "LiveViewTest", node: Any, binding: str, kind: str, key: str, value: Optional[dict[str, Any]], described: str) -> str:
    """The key event ``binding`` of ``node`` sends for ``key`` (none if its ``phx-key`` wants another key)."""
    __tracebackhide__ = True
    match = node.attributes.get("phx-key")
    if match and match.lower() != key.lower():
        return view.html()  # the client ignores other keys
    html = ""
    for name, push_value in dom.pushes(node, binding):
        extra = {**(push_value or {}), **(value or {})}
        meta = dom.event_value(node, extra, meta={"key": key})  # the client starts from {key: e.key}
        html = await view._push_event({"type": kind, "event": name, "value": meta}, f"{kind} {key!r} on {described}", node)
    return html


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names[:10]) + (" ..." if len(names) > 10 else "") if names else "no fields"
