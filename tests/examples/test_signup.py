"""The sign-up example (``examples/signup``): a nested pydantic form (``to_form``).

The user is told about a field only once they have touched it; a submit tells them about every
field; addresses (one to three) are added and removed live without losing what was typed; a
valid sign-up greets the user with a flash and goes to the index.
"""

from __future__ import annotations

from async_runner import run
from example_dom import make_app, nodes
from hypothesis import given, settings
from hypothesis import strategies as st

from pyview_core.testing import live

app = make_app()

VALID = {"name": "Ada Lovelace", "email": "Ada@Example.com", "password": "analytical", "newsletter": True,
         "addresses": {"0": {"street": "12 St James's Square", "city": "London", "postal_code": "10001"}}}


def errors(view) -> dict[str, list[str]]:
    """The error messages under each input, by input name, as the page shows them."""
    shown: dict[str, list[str]] = {}
    for field in nodes(view, "#signup .field"):
        messages = [p.text() for p in field.css("p.field-error")]
        if messages:
            control = field.css("input, select, textarea")[-1]
            assert control.attributes.get("aria-invalid") == "true"
            shown[control.attributes["name"]] = messages
    return shown


def addresses(view) -> list[dict[str, str]]:
    """Each address fieldset's values, in page order."""
    return [
        {i.attributes["name"].rsplit("[", 1)[1].rstrip("]"): i.attributes.get("value") or "" for i in fieldset.css("input")}
        for fieldset in nodes(view, "#addresses fieldset")
    ]


def add_disabled(view) -> bool:
    (button,) = nodes(view, "#add-address")
    return "disabled" in button.attributes


def test_a_fresh_form_has_one_empty_address_and_no_errors():
    async def scenario():
        async with live(app, "/signup") as view:
            assert view.title == "Sign up · pyview"
            assert errors(view) == {}
            assert addresses(view) == [{"street": "", "city": "", "postal_code": ""}]
            assert not add_disabled(view) and not view.has_element(".remove-address")
            assert [n.attributes["phx-debounce"] for n in nodes(view, "#signup input[type=text], #signup input[type=email]")] == ["300"] * 5

    run(scenario())


def test_typing_shows_errors_of_touched_fields_only():
    async def scenario():
        async with live(app, "/signup") as view:
            await view.form("#signup", {"user": {"name": "A"}}).change()
            assert errors(view) == {"user[name]": ["String should have at least 2 characters"]}
            await view.form("#signup", {"user": {"name": "Ada", "email": "ada"}}).change()
            assert errors(view) == {"user[email]": ["Enter an email address, like name@example.com"]}
            await view.form("#signup", {"user": {"email": "ada", "password": "short", "addresses": {"0": {"postal_code": "7500"}}}}).change()
            assert errors(view) == {
                "user[email]": ["Enter an email address, like name@example.com"],
                "user[password]": ["String should have at least 8 characters"],
                "user[addresses][0][postal_code]": ["Enter five digits, like 75001"],
            }

    run(scenario())


def test_a_submit_shows_every_error():
    async def scenario():
        async with live(app, "/signup") as view:
            await view.form("#signup", {"user": {"name": "Ada"}}).change()
            await view.form("#signup").submit()
            assert errors(view) == {
                "user[email]": ["Field required"],
                "user[password]": ["Field required"],
                "user[addresses][0][street]": ["Field required"],
                "user[addresses][0][city]": ["Field required"],
                "user[addresses][0][postal_code]": ["Field required"],
            }
            view.refute_redirect()

    run(scenario())


def test_addresses_are_added_up_to_three_and_removed_keeping_what_was_typed():
    async def scenario():
        async with live(app, "/signup") as view:
            await view.element("#add-address").click()
            await view.element("#add-address").click()
            assert len(addresses(view)) == 3 and add_disabled(view)
            assert errors(view) == {}  # new entries are untouched
            await view.form("#signup", {"user": {"addresses": {"1": {"city": "Oslo"}, "2": {"city": "Rome"}}}}).change()
            await view.element(".remove-address", text="Remove address 1").click()
            assert [a["city"] for a in addresses(view)] == ["Oslo", "Rome"] and not add_disabled(view)
            assert [n.text() for n in nodes(view, "#addresses legend")] == ["Address 1", "Address 2"]
            await view.element(".remove-address", text="Remove address 2").click()
            assert addresses(view) == [{"street": "", "city": "Oslo", "postal_code": ""}]
            assert not view.has_element(".remove-address")  # the last address stays

    run(scenario())


@settings(max_examples=25)
@given(st.lists(st.one_of(st.just("add"), st.integers(0, 2)), max_size=8))
def test_any_sequence_of_adds_and_removes_keeps_one_to_three_addresses(steps):
    async def scenario():
        async with live(app, "/signup") as view:
            expected = ["a0"]
            await view.form("#signup", {"user": {"addresses": {"0": {"street": "a0"}}}}).change()
            for n, step in enumerate(steps, start=1):
                if step == "add":
                    if add_disabled(view):
                        continue
                    await view.element("#add-address").click()
                    await view.form("#signup", {"user": {"addresses": {str(len(expected)): {"street": f"a{n}"}}}}).change()
                    expected.append(f"a{n}")
                elif len(expected) > 1 and step < len(expected):
                    await view.element(".remove-address", text=f"Remove address {step + 1}").click()
                    del expected[step]
                assert [a["street"] for a in addresses(view)] == expected
                assert 1 <= len(expected) <= 3 and add_disabled(view) == (len(expected) == 3)
                assert view.has_element(".remove-address") == (len(expected) > 1)

    run(scenario())


def test_a_valid_sign_up_greets_the_user_on_the_index():
    async def scenario():
        async with live(app, "/signup") as view:
            await view.form("#signup", {"user": VALID}).change()
            assert errors(view) == {}
            await view.form("#signup").submit()
            flash = view.assert_redirect("/")
            home = await view.follow_redirect()
            assert home.title == "Examples · pyview"
            assert flash == {"info": "Welcome, Ada Lovelace"}
            assert 'id="flash-info"' in home.html() and "Welcome, Ada Lovelace" in home.html()

    run(scenario())
