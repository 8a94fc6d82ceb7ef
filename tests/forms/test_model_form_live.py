"""A ``to_form`` view driven by the test client as a user fills it in: errors appear only on the
fields the user has touched (the client's ``_unused_`` markers), a submit shows every error, a
valid submit saves. Each step reads what the page shows: the error paragraphs under each input.
"""

from __future__ import annotations

from async_runner import run
from mf_views import make_app
from selectolax.lexbor import LexborHTMLParser

from pyview_core.testing import live

app = make_app()


def shown_errors(view) -> dict[str, list[str]]:
    """Per input id, the error messages the page shows under it (fields without errors left out)."""
    tree = LexborHTMLParser(view.html())
    shown: dict[str, list[str]] = {}
    for message in tree.css("p.field-error"):
        input_id = message.attributes["id"].split("-error")[0]
        control = tree.css_first(f"#{input_id}")
        assert control is not None and message.attributes["id"] in control.attributes["aria-describedby"].split()
        shown.setdefault(input_id, []).append(message.text())
    return shown


def test_errors_follow_the_fields_the_user_touched():
    async def scenario():
        async with live(app, "/owner") as view:
            assert shown_errors(view) == {}  # a fresh form
            # Typing one letter into the name: only the name complains.
            await view.form("#owner", {"owner": {"name": "J"}}).change()
            assert shown_errors(view) == {"owner_name": ["String should have at least 2 characters"]}
            # Fixing the name and typing a bad email: the name is fine now, the email complains.
            await view.form("#owner", {"owner": {"name": "Jo", "email": "jo"}}).change()
            assert shown_errors(view) == {"owner_email": ["Enter an email address"]}
            # A pet's name: the other fields of that pet and the second pet stay quiet.
            await view.form("#owner", {"owner": {"name": "Jo", "email": "jo", "pets": {"0": {"name": "R"}}}}).change()
            assert shown_errors(view) == {
                "owner_email": ["Enter an email address"],
                "owner_pets_0_name": ["String should have at least 2 characters"],
            }
            assert 'aria-invalid="true"' in view.element("#pet-0").html()
            assert "aria-invalid" not in view.element("#pet-1").html()
            # A submit uses every field: every error shows, under its own input and in the summary.
            await view.form("#owner").submit()
            assert shown_errors(view) == {
                "owner_email": ["Enter an email address"],
                "owner_pets_0_name": ["String should have at least 2 characters"],
                "owner_pets_0_species": ["Field required"],
                "owner_pets_1_name": ["Field required"],
                "owner_pets_1_species": ["Field required"],
            }
            assert view.element("#owner-errors").html().count("<li>") == 5
            assert view.element("#saved").html() == '<p id="saved"></p>'

    run(scenario())


def test_a_valid_submit_saves_and_the_inputs_keep_their_values():
    async def scenario():
        async with live(app, "/owner") as view:
            data = {"owner": {"name": "Jo", "email": "jo@example.com",
                              "pets": {"0": {"name": "Rex", "species": "dog"}, "1": {"name": "Tom", "species": "cat"}}}}
            await view.form("#owner", data).change()
            assert shown_errors(view) == {}
            await view.form("#owner").submit()
            assert view.element("#saved").html() == '<p id="saved">Jo with 2 pets</p>'
            html = view.html()
            assert 'name="owner[pets][1][name]" id="owner_pets_1_name" value="Tom"' in html
            assert view.has_element("#pet-1 option[value=cat][selected]") and view.has_element("#pet-0 option[value=dog][selected]")

    run(scenario())
