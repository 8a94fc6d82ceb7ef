"""The index page (``examples/home``) and the navigation between the examples.

Its links are live redirects (``data-phx-link="redirect"``): the same socket joins the next
view, as the client does; ``follow_redirect()`` gives that view.
"""

from __future__ import annotations

import pytest
from async_runner import run
from example_dom import make_app, nodes, text

from pyview_core.testing import LiveViewTestError, live

app = make_app()

EXAMPLES = [
    ("/counter", "Counter", "Counter", "#count"),
    ("/volume", "Volume", "Volume", "#meter"),
    ("/chat", "Chat", "Chat", "#messages"),
    ("/table", "Paginated table", "Table · page 1 of 10", "#rows"),
    ("/dashboard", "Dashboard", "Dashboard", "#metrics"),
    ("/todo", "Todos", "Todos", "#todos"),
    ("/output", "Live output", "Live output", "#log"),
    ("/uploads", "Photo uploads", "Uploads", "#drop-zone"),
    ("/js", "JS commands and hooks", "JS commands and hooks", "#dice"),
    ("/signup", "Sign up", "Sign up", "#signup"),
    ("/components", "Kanban board", "Kanban board", "#board"),
    ("/login", "Log in", "Log in", "#login-form"),
]


def test_the_index_lists_every_example():
    async def scenario():
        async with live(app, "/") as view:
            assert view.title == "Examples · pyview"
            links = nodes(view, "main.home ul a")
            assert [(a.attributes["href"], a.text()) for a in links] == [(path, name) for path, name, _, _ in EXAMPLES]
            assert {a.attributes.get("data-phx-link") for a in links} == {"redirect"}

    run(scenario())


@pytest.mark.parametrize("path, name, title, landmark", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_link_navigates_to_its_example(path, name, title, landmark):
    async def scenario():
        async with live(app, "/") as home:
            await home.element("main.home ul a", text=name).click()
            home.assert_redirect(path)
            view = await home.follow_redirect()
            assert view.path == path
            assert view.title == f"{title} · pyview"
            assert view.has_element(landmark)

    run(scenario())


def test_the_index_is_gone_once_a_link_navigated_away():
    async def scenario():
        async with live(app, "/") as home:
            await home.element("a", text="Counter").click()
            await home.follow_redirect()
            with pytest.raises(LiveViewTestError, match="ended"):
                await home.element("a", text="Volume").click()  # a browser has no index page to click in any more

    run(scenario())


def test_a_followed_example_is_live():
    async def scenario():
        async with live(app, "/") as home:
            await home.element("a[href='/counter']").click()
            counter = await home.follow_redirect()
            await counter.element("#inc").click()
            await counter.element("#add5").click()
            assert text(counter, "#count") == "6"
            await counter.element("#reset").click()
            counter.assert_patch("/counter?count=0")
            assert text(counter, "#count") == "0"

    run(scenario())


def test_from_the_index_through_the_table_to_an_item_and_back():
    async def scenario():
        async with live(app, "/") as home:
            await home.element("a", text="Paginated table").click()
            table = await home.follow_redirect()
            await table.element("#next").click()
            table.assert_patch("/table?page=2&per_page=10&sort=id")
            await table.element("#row-15").click()
            table.assert_redirect("/table/15")
            item = await table.follow_redirect()
            assert item.title == "Item 015 · pyview" and text(item, "#item-name") == "Item 015"
            await item.element("#back").click()
            again = await item.follow_redirect()
            assert again.title == "Table · page 1 of 10 · pyview" and again.has_element("#row-1")

    run(scenario())


def test_the_gallery_links_are_plain_links():
    async def scenario():
        async with live(app, "/") as home:
            for href in ("/gallery/users", "/gallery/dashboard"):
                with pytest.raises(LiveViewTestError, match="plain link"):
                    await home.element(f"a[href='{href}']").click()
            with pytest.raises(LiveViewTestError, match="LiveView container"):
                async with live(app, "/gallery/users"):  # a dead render, not a LiveView
                    pass

    run(scenario())


def test_an_unknown_page_is_a_404():
    async def scenario():
        with pytest.raises(LiveViewTestError, match="404"):
            async with live(app, "/nowhere"):
                pass

    run(scenario())
