"""The table example (``examples/table``): paging and sorting by ``push_patch`` and patch links,
dataclass-typed URL params, a title per page, and ``push_navigate`` to the item view and back."""

from __future__ import annotations

import pytest
from async_runner import run
from example_dom import attr, has_attr, ids, make_app, text, texts
from hypothesis import given, settings
from hypothesis import strategies as st

from examples.table.table import ITEMS
from pyview_core.testing import LiveViewTestError, live

app = make_app()
SORTS = ["id", "name", "color", "price"]


def row_ids(view) -> list[int]:
    return [int(row_id.removeprefix("row-")) for row_id in ids(view, "#rows > tr")]


def expected_page(page: int, per_page: int, sort: str) -> tuple[int, int, list[int]]:
    """(page shown, pages, ids of its rows) for the URL's params, clamped as the page promises."""
    per_page = max(1, min(per_page, 50))
    ordered = [item["id"] for item in sorted(ITEMS, key=lambda item: item[sort])]
    pages = -(-len(ordered) // per_page)
    page = max(1, min(page, pages))
    return page, pages, ordered[(page - 1) * per_page:page * per_page]


def check_page(view, page: int, pages: int, rows: list[int], sort: str) -> None:
    assert text(view, "#page") == f"page {page} of {pages}"
    assert view.title == f"Table · page {page} of {pages} · pyview"
    assert row_ids(view) == rows
    assert [attr(view, f"#sort-{key}", "aria-current") for key in SORTS] == [("true" if key == sort else None) for key in SORTS]
    assert view.has_element("#prev") == (page > 1)
    assert (has_attr(view, "#next", "disabled")) == (page >= pages)


def test_first_page():
    async def scenario():
        async with live(app, "/table") as view:
            check_page(view, 1, 10, list(range(1, 11)), "id")
            first = view.element("#row-1").html()
            assert "Item 001" in first and "green" in first and "3.70" in first
            assert texts(view, "#rows > tr:first-child td") == ["1", "Item 001", "green", "3.70"]

    run(scenario())


def test_next_patches_the_url_keeping_sort_and_page_size():
    async def scenario():
        async with live(app, "/table") as view:
            await view.element("#next").click()
            view.assert_patch("/table?page=2&per_page=10&sort=id")
            check_page(view, 2, 10, list(range(11, 21)), "id")
        async with live(app, "/table?sort=price&per_page=20") as view:
            await view.element("#next").click()
            view.assert_patch("/table?page=2&per_page=20&sort=price")
            check_page(view, *expected_page(2, 20, "price"), "price")

    run(scenario())


def test_previous_link_and_sort_links_are_patches():
    async def scenario():
        async with live(app, "/table?page=3") as view:
            check_page(view, 3, 10, list(range(21, 31)), "id")
            await view.element("#prev").click()
            view.assert_patch("/table?page=2&per_page=10&sort=id")
            check_page(view, 2, 10, list(range(11, 21)), "id")
            await view.element("#sort-color").click()  # back to page 1, sorted by color
            view.assert_patch("/table?sort=color&per_page=10")
            check_page(view, *expected_page(1, 10, "color"), "color")
            assert texts(view, "#rows > tr > td:nth-child(3)") == ["amber"] * 10
            await view.element("#sort-price").click()
            view.assert_patch("/table?sort=price&per_page=10")
            prices = [float(p) for p in texts(view, "#rows > tr > td:nth-child(4)")]
            assert prices == sorted(prices) and prices[0] == min(item["price"] for item in ITEMS)
            await view.patch("/table?page=2&per_page=10&sort=id")  # as the browser's back button does
            check_page(view, 2, 10, list(range(11, 21)), "id")

    run(scenario())


def test_the_last_page_is_short_and_next_is_disabled():
    async def scenario():
        async with live(app, "/table?page=10") as view:
            check_page(view, 10, 10, list(range(91, 96)), "id")
            with pytest.raises(LiveViewTestError, match="disabled"):
                await view.element("#next").click()
            view.refute_patch()

    run(scenario())


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("per_page", [7, 50])
def test_next_walks_every_row_exactly_once(sort, per_page):
    async def scenario():
        async with live(app, f"/table?sort={sort}&per_page={per_page}") as view:
            seen = row_ids(view)
            while not has_attr(view, "#next", "disabled"):
                await view.element("#next").click()
                seen += row_ids(view)
            assert seen == [item["id"] for item in sorted(ITEMS, key=lambda item: item[sort])]
            assert text(view, "#page") == f"page {-(-95 // per_page)} of {-(-95 // per_page)}"

    run(scenario())


@settings(max_examples=25, deadline=None)
@given(page=st.integers(-3, 15), per_page=st.integers(-2, 60), sort=st.sampled_from(SORTS))
def test_any_params_show_the_clamped_page(page, per_page, sort):
    async def scenario():
        async with live(app, f"/table?page={page}&per_page={per_page}&sort={sort}") as view:
            check_page(view, *expected_page(page, per_page, sort), sort)
            for key in SORTS:  # sort links keep the page size, clamped
                assert attr(view, f"#sort-{key}", "href") == f"/table?sort={key}&per_page={max(1, min(per_page, 50))}"

    run(scenario())


@pytest.mark.parametrize(
    "query, where",
    [("page=abc", "page"), ("per_page=1.5", "per_page"), ("sort=bogus", "sort"), ("sort=ID", "sort")],
)
def test_params_that_do_not_convert_are_a_400(query, where):
    async def scenario():
        with pytest.raises(LiveViewTestError, match=f"400.*{where}"):
            async with live(app, f"/table?{query}"):
                pass

    run(scenario())


def test_a_bad_patch_is_refused_and_the_page_stays():
    async def scenario():
        async with live(app, "/table?page=2") as view:
            with pytest.raises(LiveViewTestError, match="sort"):
                await view.patch("/table?sort=nope")
            assert view.path == "/table?page=2"
            check_page(view, 2, 10, list(range(11, 21)), "id")
            await view.element("#next").click()
            check_page(view, 3, 10, list(range(21, 31)), "id")

    run(scenario())


# ================================================================================ the item view


def test_a_row_navigates_to_its_item_and_back():
    async def scenario():
        async with live(app, "/table?page=2&sort=price") as table:
            first = row_ids(table)[0]
            item = next(i for i in ITEMS if i["id"] == first)
            await table.element(f"#row-{first}").click()  # push_navigate
            table.assert_redirect(f"/table/{first}")
            view = await table.follow_redirect()
            assert view.path == f"/table/{first}"
            assert view.title == f"{item['name']} · pyview"
            assert text(view, "#item-name") == item["name"] and text(view, "#item-color") == item["color"]
            assert f"{item['price']:.2f}" in texts(view, "dd")
            with pytest.raises(LiveViewTestError, match="ended"):
                await table.element("#next").click()  # the table view is gone
            await view.element("#back").click()  # data-phx-link="redirect": live navigation
            view.assert_redirect("/table")
            back = await view.follow_redirect()
            check_page(back, 1, 10, list(range(1, 11)), "id")  # a fresh table
            await back.element("#next").click()
            check_page(back, 2, 10, list(range(11, 21)), "id")

    run(scenario())


@pytest.mark.parametrize("item_id", [1, 15, 95])
def test_the_item_page(item_id):
    item = next(i for i in ITEMS if i["id"] == item_id)

    async def scenario():
        async with live(app, f"/table/{item_id}") as view:
            assert view.title == f"{item['name']} · pyview"
            assert texts(view, "dd") == [item["color"], f"{item['price']:.2f}"]
            assert attr(view, "#back", "href") == "/table"

    run(scenario())


@pytest.mark.parametrize("item_id", [0, 96, 100000])
def test_an_item_that_does_not_exist(item_id):
    async def scenario():
        async with live(app, f"/table/{item_id}") as view:
            assert view.title == "No such item · pyview"
            assert text(view, "#item-name") == "No such item"
            assert not view.has_element("#item-color")
            await view.element("#back").click()
            assert (await view.follow_redirect()).has_element("#row-1")

    run(scenario())


@pytest.mark.parametrize("path", ["/table/abc", "/table/-1", "/table/1.5", "/table/1/2"])
def test_an_item_path_that_is_not_an_int_is_a_404(path):
    async def scenario():
        with pytest.raises(LiveViewTestError, match="404"):
            async with live(app, path):
                pass

    run(scenario())


def test_a_percent_encoded_item_path_is_the_item():
    async def scenario():
        async with live(app, "/table/%31") as view:
            assert view.title == "Item 001 · pyview"

    run(scenario())
