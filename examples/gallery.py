"""The template gallery: plain Starlette pages rendered by ``pyview_templates`` (dead renders),
each with a link to the Python it compiles to. Mounted at ``/gallery`` by ``examples.app``."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from pyview_templates import Environment, FileSystemLoader

TEMPLATES = Path(__file__).with_name("templates")
env = Environment(FileSystemLoader(TEMPLATES))

USERS = [
    {"id": i, "name": name, "email": f"{name.lower()}@example.com", "admin": i % 3 == 0, "score": i * 7.5}
    for i, name in enumerate(["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "<Mallory>"], start=1)
]

EXAMPLES = [
    ("users", "A table: a loop, a condition per row, filters, escaping of hostile data"),
    ("dashboard", "A page layout with extends/block, included cards, nested conditions"),
]


async def index(request: Request) -> HTMLResponse:
    return HTMLResponse(env.get_template("index.html").render(examples=EXAMPLES))


async def users(request: Request) -> HTMLResponse:
    sort = request.query_params.get("sort", "id")
    rows = sorted(USERS, key=lambda u: u.get(sort, u["id"]))
    return HTMLResponse(env.get_template("users.html").render(users=rows, sort=sort, title="Users"))


async def dashboard(request: Request) -> HTMLResponse:
    cards = [
        {"title": "Visitors", "value": 1234, "trend": 12},
        {"title": "Sign-ups", "value": 56, "trend": -3},
        {"title": "Errors", "value": 0, "trend": 0},
    ]
    return HTMLResponse(env.get_template("dashboard.html").render(cards=cards, user={"name": "Ada"}, title="Dashboard"))


async def source(request: Request) -> PlainTextResponse:
    name = request.path_params["name"] + ".html"
    return PlainTextResponse(env.get_template(name).python_source)


gallery = Starlette(
    routes=[
        Route("/", index),
        Route("/users", users),
        Route("/dashboard", dashboard),
        Route("/source/{name}", source),
    ]
)
