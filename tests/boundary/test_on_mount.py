"""``on_mount`` hooks, live sessions and ``@requires`` at the view boundary, through the real
protocol: hooks run before ``mount`` on the dead render *and* on every join, may assign, redirect
(halting everything after them) or refuse, and live navigation never crosses a live_session
without a page load."""

from __future__ import annotations

import bd_views
import pytest
from async_runner import run

from pyview_core import LiveView, PyView
from pyview_core.testing import LiveViewTestError, Redirected, live

app = bd_views.app


@pytest.fixture(autouse=True)
def fresh_calls():
    bd_views.HOOK_CALLS.clear()
    yield


def text_of(html: str, id: str) -> str:
    start = html.index(f'id="{id}">') + len(id) + 6
    return html[start:html.index("<", start)]


def test_hooks_run_in_order_before_mount_on_the_page_and_on_the_join():
    async def scenario():
        async with live(app, "/account?tab=orders", session={"user": "ada"}) as view:
            html = view.html()
            assert text_of(html, "user") == "ada"  # assigned by the session's hook, kept by mount
            assert text_of(html, "tab") == "orders"  # assigned by the view's own hook from the params

    run(scenario())
    order = ["require_user", "view_hook", "refuse_when_banned", "mount"]
    assert bd_views.HOOK_CALLS == [(name, False) for name in order] + [(name, True) for name in order]


def test_a_hook_that_redirects_halts_the_dead_render_with_its_flash():
    async def scenario():
        async with live(app, "/never"):
            pass

    with pytest.raises(Redirected) as redirected:
        run(scenario())
    assert (redirected.value.kind, redirected.value.to) == ("redirect", "/landing")
    assert redirected.value.flash == {"error": "Please log in"}
    assert bd_views.HOOK_CALLS == [("require_user", False)]  # no later hook, no mount


def test_a_hook_that_redirects_on_the_join_halts_it_with_its_flash():
    async def scenario():
        async with live(app, "/account", session={"user": "ada", "banned": "redirect"}):
            pass

    with pytest.raises(Redirected) as redirected:
        run(scenario())
    assert (redirected.value.kind, redirected.value.to) == ("live_redirect", "/landing")
    assert redirected.value.flash == {"error": "You were signed out"}
    dead = [("require_user", False), ("view_hook", False), ("refuse_when_banned", False), ("mount", False)]
    joined = [("require_user", True), ("view_hook", True), ("refuse_when_banned", True)]  # halted before mount
    assert bd_views.HOOK_CALLS == dead + joined


def test_a_hook_that_refuses_with_a_status_refuses_the_join_as_unauthorized():
    async def scenario():
        async with live(app, "/account", session={"user": "ada", "banned": "status"}):
            pass

    with pytest.raises(LiveViewTestError, match="refused: unauthorized"):
        run(scenario())
    assert ("mount", True) not in bd_views.HOOK_CALLS


def test_live_navigation_into_another_live_session_loads_the_page_so_its_hooks_run():
    async def scenario():
        async with live(app, "/notice", session={"user": "ada"}) as view:
            await view.element("#to-account").click()
            assert view.assert_redirect("/account") == {"info": "Sent to /account"}
            account = await view.follow_redirect()
            assert text_of(account.html(), "user") == "ada"
            assert 'id="flash-info"' in account.html()  # the flash went with the page load
        return account

    run(scenario())
    # The join with "redirect" was refused (another live_session), then the page was loaded:
    # the hooks ran on the dead render and again on its join.
    assert bd_views.HOOK_CALLS[0] == ("require_user", False)
    assert bd_views.HOOK_CALLS.count(("mount", True)) == 1


def test_requires_redirects_a_logged_out_user_with_a_flash():
    async def scenario():
        async with live(app, "/profile"):
            pass

    with pytest.raises(Redirected) as redirected:
        run(scenario())
    assert redirected.value.to == "/landing"
    assert redirected.value.flash == {"error": "Log in to see your profile"}


def test_requires_reads_starlettes_authentication_on_the_page_and_the_socket():
    async def scenario():
        async with live(app, "/profile", session={"user": "grace"}) as view:
            assert text_of(view.html(), "user") == "grace"

    run(scenario())


def test_requires_without_a_redirect_answers_403():
    async def scenario(user):
        async with live(app, "/admin", session={"user": user}) as view:
            return text_of(view.html(), "tab")

    with pytest.raises(LiveViewTestError, match="answered 403"):
        run(scenario("grace"))  # authenticated, but not admin
    assert run(scenario("root")) == "admin"


def test_a_plain_route_can_sign_in_and_flash_the_next_page():
    async def scenario():
        async with live(app, "/landing") as view:
            browser = view._browser
            with pytest.raises(Redirected) as redirected:
                await browser.get_page("/login?user=lin")
            assert redirected.value.to == "/profile"
            assert redirected.value.flash == {"info": "Welcome back"}
            profile = await browser.open("/profile")
            assert text_of(profile.html(), "user") == "lin"
            assert 'id="flash-info"' in profile.html()

    run(scenario())


def test_on_mount_mistakes_are_reported_at_startup():
    class Broken(LiveView[dict]):
        on_mount = ["not a hook"]

    fresh = PyView(secret_key=bd_views.SECRET)
    with pytest.raises(TypeError, match="Broken: on_mount hook 'not a hook' is not callable"):
        fresh.add_live_view("/broken", Broken)
    fresh.add_live_view("/late", bd_views.LandingView, live_session="late")
    with pytest.raises(ValueError, match="must be declared before its first add_live_view"):
        fresh.live_session("late", on_mount=[bd_views.require_user])
    fresh.live_session("twice", on_mount=[bd_views.require_user])
    with pytest.raises(ValueError, match="declared twice with different on_mount hooks"):
        fresh.live_session("twice", on_mount=[])


def test_requires_leaves_the_parent_class_hooks_alone():
    from pyview_core import requires

    class Parent(LiveView[dict]):
        on_mount = [bd_views.note_view_hook]

    Child = requires("admin")(type("Child", (Parent,), {}))
    assert Parent.on_mount == [bd_views.note_view_hook]
    assert len(Child.on_mount) == 2 and Child.on_mount[1] is bd_views.note_view_hook
