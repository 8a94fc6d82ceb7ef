"""Every example in one app, behind an index page: ``python -m examples`` → http://127.0.0.1:8000."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pyview_core import PyView

from .auth.auth import AccountLiveView, LoginLiveView, login_post, logout_post, require_login
from .chat.chat import ChatLiveView
from .components.board import BoardView
from .counter.counter import CounterLiveView
from .dashboard.dashboard import DashboardLiveView
from .gallery import gallery
from .home.home import HomeLiveView
from .js.js import JsLiveView
from .layout import favicon, know_sessions, layout, warm_layout
from .live_output.live_output import LiveOutputView
from .realtime import PUBSUB
from .signup.signup import SignupLiveView
from .table.table import ItemLiveView, TableLiveView
from .todo.todo import TodoLiveView
from .uploads.uploads import UploadsLiveView, photo_file
from .uploads.uploads import lifespan as uploads_lifespan
from .volume.volume import VolumeLiveView

STATIC = Path(__file__).resolve().with_name("static")
# The stylesheet every example shares (base look, the header, the UI kit of examples/ui, each example's rules).
STYLESHEET = '<link rel="stylesheet" href="/assets/examples.css">'


def create_app(**options) -> PyView:
    """The examples app; ``options`` go to ``PyView`` (tests pass a fixed secret)."""
    options.setdefault("lifespan", uploads_lifespan)  # deletes the upload example's photos at shutdown
    options.setdefault("pubsub", PUBSUB)  # the one the chat's presence uses (Redis with PYVIEW_PUBSUB_URL)
    options["head_html"] = STYLESHEET + options.get("head_html", "")
    options.setdefault("root_layout", layout)  # the header with the nav of the examples (examples/layout.py)
    app = PyView(title_suffix=" · pyview", default_title="pyview", **options)
    app.add_live_view("/", HomeLiveView)
    app.add_live_view("/counter", CounterLiveView)
    app.add_live_view("/volume", VolumeLiveView)
    app.add_live_view("/chat", ChatLiveView)
    app.add_live_view("/table", TableLiveView)
    app.add_live_view("/table/{id:int}", ItemLiveView)
    app.add_live_view("/dashboard", DashboardLiveView)
    app.add_live_view("/todo", TodoLiveView)
    app.add_live_view("/output", LiveOutputView)
    app.add_live_view("/js", JsLiveView)
    app.add_live_view("/uploads", UploadsLiveView)
    app.add_live_view("/signup", SignupLiveView)
    app.add_live_view("/components", BoardView)
    app.routes.append(Route("/uploads/files/{name}", photo_file))  # the kept photos' bytes
    app.routes.append(Mount("/gallery", app=gallery))
    app.routes.append(Mount("/assets", app=StaticFiles(directory=STATIC), name="examples_assets"))
    app.routes.append(Route("/favicon.ico", favicon))  # the layout links /assets/favicon.svg; other pages get it here
    app.add_live_view("/login", LoginLiveView)
    app.routes.append(Route("/login", login_post, methods=["POST"]))
    app.routes.append(Route("/logout", logout_post, methods=["POST"]))
    account = app.live_session("account", on_mount=[require_login])  # its hook runs before every mount there
    account.add_live_view("/account", AccountLiveView)
    if app.page_config.root_layout is layout:
        warm_layout()
        know_sessions(app)  # which nav links are live navigation (same live_session as the page)
    return app


app = create_app()
