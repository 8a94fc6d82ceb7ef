"""The streams guide's todo app: the list lives in the browser, the server sends only changes.

Written the way the guide writes it (one ``handle_event`` with the event name and payload). The
view keeps its todos in ``TodoStore``, standing in for the database a real app would query; the
stream itself holds nothing after each render.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pyview_core import LiveView, LiveViewSocket, Stream

from ..ui import use_kit

use_kit(__file__)  # the template's buttons are the UI kit's (examples/ui/kit.html)


@dataclass
class Todo:
    id: int
    text: str
    completed: bool = False


@dataclass
class TodoStore:
    """This view's todos by id: what a real app would read from and write to its database."""

    rows: dict[int, Todo] = field(default_factory=dict)

    def save(self, todo: Todo) -> Todo:
        self.rows[todo.id] = todo
        return todo

    def remove(self, todo_id: int) -> None:
        self.rows.pop(todo_id, None)

    def incomplete(self) -> list[Todo]:
        """Newest first, the order the page shows (new todos are prepended)."""
        return [todo for todo in reversed(self.rows.values()) if not todo.completed]


@dataclass
class TodoContext:
    todos: Stream[Todo]
    store: TodoStore = field(default_factory=TodoStore)
    next_id: int = 1
    added: int = 0  # bumped per add: the form gets a new id, so the browser shows it empty


class TodoLiveView(LiveView[TodoContext]):
    async def mount(self, socket: LiveViewSocket[TodoContext], session):
        socket.context = TodoContext(todos=Stream(name="todos"))
        socket.live_title = "Todos"

    async def handle_event(self, event, payload, socket: LiveViewSocket[TodoContext]):
        ctx = socket.context
        if event == "add":
            text = str(payload.get("text", "")).strip()[:200]
            if text:
                todo = ctx.store.save(Todo(id=ctx.next_id, text=text))
                ctx.todos.insert(todo, at=0)  # newest first
                ctx.next_id += 1
                ctx.added += 1
        elif event == "toggle":
            todo = ctx.store.rows.get(_int(payload.get("id")))
            if todo is not None:
                # Same id, so the client updates the row where it is.
                ctx.todos.insert(ctx.store.save(replace(todo, completed=not todo.completed)))
        elif event == "delete":
            todo_id = _int(payload.get("id"))
            ctx.store.remove(todo_id)
            ctx.todos.delete_by_id(f"todos-{todo_id}")
        elif event == "clear_completed":
            for todo in list(ctx.store.rows.values()):
                if todo.completed:
                    ctx.store.remove(todo.id)
            ctx.todos.reset(ctx.store.incomplete())


def _int(value) -> int:
    """A ``phx-value-id`` as an int (it travels as a string); -1 when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
