"""A paginated, sortable table: ``push_patch`` with dataclass-typed params, a title per page,
and ``push_navigate`` to a detail view (``/table/{id:int}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pyview_core import LiveView, LiveViewSocket, event

COLORS = ["red", "green", "blue", "amber", "violet", "teal"]
ITEMS: list[dict[str, Any]] = [
    {"id": i, "name": f"Item {i:03d}", "color": COLORS[(i * 7) % len(COLORS)], "price": round((i * 37) % 1000 / 10, 2)}
    for i in range(1, 96)
]


@dataclass
class Paging:
    page: int = 1
    per_page: int = 10
    sort: Literal["id", "name", "color", "price"] = "id"


class TableLiveView(LiveView[dict]):
    async def mount(self, socket: LiveViewSocket[dict], session):
        socket.context = {"rows": [], "paging": Paging(), "pages": 1}

    async def handle_params(self, socket: LiveViewSocket[dict], paging: Paging):
        per_page = max(1, min(paging.per_page, 50))
        rows = sorted(ITEMS, key=lambda item: item[paging.sort])
        pages = max(1, -(-len(rows) // per_page))
        page = max(1, min(paging.page, pages))
        paging = Paging(page, per_page, paging.sort)
        start = (page - 1) * per_page
        socket.context.update(rows=rows[start:start + per_page], paging=paging, pages=pages)
        socket.live_title = f"Table · page {page} of {pages}"

    @event("next")
    async def next_page(self, socket):
        paging: Paging = socket.context["paging"]
        if paging.page < socket.context["pages"]:
            await socket.push_patch("/table", {"page": paging.page + 1, "per_page": paging.per_page, "sort": paging.sort})

    @event("show")
    async def show(self, socket, id: int):
        await socket.push_navigate(f"/table/{id}")


class ItemLiveView(LiveView[dict]):
    template_name = "item.html"

    async def handle_params(self, socket: LiveViewSocket[dict], id: int):
        item = next((item for item in ITEMS if item["id"] == id), None)
        socket.context = {"item": item}
        socket.live_title = item["name"] if item else "No such item"
