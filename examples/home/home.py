"""The index of the examples (itself a LiveView: its links are live navigation)."""

from __future__ import annotations

from pyview_core import LiveView

EXAMPLES = [
    ("/counter", "Counter", "clicks, and a ?count= URL parameter"),
    ("/volume", "Volume", "keyboard events: phx-window-keydown and phx-key"),
    ("/chat", "Chat", "open two tabs: messages travel through pub/sub, the page's list is a stream with a limit"),
    ("/table", "Paginated table", "push_patch with dataclass-typed params, a title per page, push_navigate"),
    ("/dashboard", "Dashboard", "server-pushed updates with schedule_info"),
    ("/todo", "Todos", "the streams guide's todo app: add, toggle, delete, clear completed"),
    ("/output", "Live output", "a server job's output, value by value, in a stream that keeps the last 1,000 lines"),
    ("/uploads", "Photo uploads", "drag and drop, progress bars, previews, cancel and errors; upload at once or on Save"),
    ("/js", "JS commands and hooks", "a modal and a dropdown run by JS commands; colocated hooks (js.js) that ask the server, pushEventTo"),
    ("/signup", "Sign up", "a nested pydantic form (to_form): errors on touched fields as you type, 1–3 addresses added live"),
    ("/components", "Kanban board", "live components: columns and cards with their own state and events, drag and drop with a hook; the UI kit's function components"),
    ("/login", "Log in", "a validated form that posts to an HTTP route (phx-trigger-action); /account sits behind an on_mount hook"),
]


class HomeLiveView(LiveView[dict]):
    async def mount(self, socket, session):
        socket.context = {"examples": EXAMPLES}
        socket.live_title = "Examples"
