"""The ``input`` and ``errors`` template filters: exact markup, and escaping checked with hypothesis.

The markup tests render through a real template (``{{ form.email | input(...) }}``), so they also
check that the filters are registered by ``import pyview_core``. The escaping properties parse the
output with an HTML5 parser (lexbor): whatever the value, message, label or attribute, the page
has exactly the elements the filter meant, carrying the text unchanged.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from pydantic import BaseModel, Field, field_validator
from selectolax.lexbor import LexborHTMLParser

from pyview_core import JS, to_form
from pyview_core.form_tags import errors_tag, input_tag
from pyview_templates import Template


class Signup(BaseModel):
    email: str = Field(min_length=5, json_schema_extra={"input_type": "email"})
    bio: str = ""
    plan: Literal["free", "pro"] = "free"
    tos: bool = False
    age: Optional[int] = None


def render(source: str, **context) -> str:
    return Template(source).render(**context)


def test_an_input_with_errors_is_labelled_and_described_by_them():
    form = to_form(Signup, {"email": "a"}, name="user")
    html = render('{{ form.email | input("Email", placeholder="you@example.com", phx_debounce="300") }}', form=form)
    assert html == (
        '<div class="field field-invalid"><label for="user_email">Email</label>'
        '<input type="email" name="user[email]" id="user_email" placeholder="you@example.com" phx-debounce="300"'
        ' aria-invalid="true" aria-describedby="user_email-error" value="a">'
        '<p class="field-error" id="user_email-error">String should have at least 5 characters</p></div>'
    )
    assert "phx-feedback-for" not in html


def test_an_unused_field_renders_without_errors_and_the_label_defaults_to_the_fields():
    form = to_form(Signup, {"_unused_email": "", "email": "a"}, name="user")
    html = render("{{ form.email | input }}", form=form)
    assert html == ('<div class="field"><label for="user_email">Email</label>'
                    '<input type="email" name="user[email]" id="user_email" value="a"></div>')
    assert render("{{ form.email | errors }}", form=form) == ""


def test_textarea_select_and_checkbox():
    form = to_form(Signup, {"bio": "\nfirst line", "plan": "pro", "tos": "true"}, name="user")
    assert render('{{ form.bio | input(type="textarea", rows=3) }}', form=form) == (
        '<div class="field"><label for="user_bio">Bio</label>'
        '<textarea name="user[bio]" id="user_bio" rows="3">\n\nfirst line</textarea></div>'
    )
    assert render('{{ form.plan | input(prompt="Pick one") }}', form=form) == (
        '<div class="field"><label for="user_plan">Plan</label><select name="user[plan]" id="user_plan">'
        '<option value="">Pick one</option><option value="free">free</option>'
        '<option value="pro" selected>pro</option></select></div>'
    )
    assert render('{{ form.plan | input(type="select", options=[("free", "Free"), ("pro", "Pro")]) }}', form=form).count(
        "selected") == 1
    assert render('{{ form.tos | input("I agree") }}', form=form) == (
        '<div class="field field-checkbox"><input type="hidden" name="user[tos]" value="false">'
        '<input type="checkbox" name="user[tos]" id="user_tos" value="true" checked>'
        '<label for="user_tos">I agree</label></div>'
    )
    unchecked = to_form(Signup, {"tos": "false"}, name="user")
    assert " checked" not in render("{{ form.tos | input }}", form=unchecked)


def test_extra_attributes_from_python_and_templates():
    form = to_form(Signup, name="user")
    html = str(input_tag(form.age, "Age", **{"phx-debounce": "blur"}, min=0, required=True, disabled=False,
                         class_="narrow", attrs={"data-role": "age"}, phx_click=JS.push("touch")))
    control = LexborHTMLParser(html).css_first("input")
    assert control.attributes == {
        "type": "number", "name": "user[age]", "id": "user_age", "phx-debounce": "blur", "min": "0", "required": None,
        "class": "narrow", "data-role": "age", "phx-click": '[["push",{"event":"touch"}]]', "value": "",
    }
    assert 'id="other"' in render('{{ form.age | input(id="other", label="") }}', form=form)
    assert "<label" not in render('{{ form.age | input(id="other", label="") }}', form=form)
    with pytest.raises(ValueError, match="not a valid HTML attribute name"):
        input_tag(form.age, **{'x" onclick="alert(1)': "1"})


def test_several_errors_get_unique_ids_and_an_own_describedby_is_kept():
    class Code(BaseModel):
        code: Union[int, bool]  # "x" is neither: one error per member, both on this field

    form = to_form(Code, {"code": "x"}, name="c")
    assert len(form.code.errors) == 2
    tree = LexborHTMLParser(str(input_tag(form.code, aria_describedby="code-hint")))
    assert tree.css_first("input").attributes["aria-describedby"] == "code-hint c_code-error c_code-error-2"
    assert [p.attributes["id"] for p in tree.css("p.field-error")] == ["c_code-error", "c_code-error-2"]
    assert [p.text() for p in tree.css("p.field-error")] == form.code.errors


def test_the_errors_filter_of_a_form_is_a_labelled_summary():
    class Address(BaseModel):
        postal_code: str = Field(pattern=r"^\d{5}$")

    class User(BaseModel):
        email: str = Field(min_length=5)
        addresses: list[Address]

    form = to_form(User, {"email": "a", "addresses": {"0": {"postal_code": "x"}}}, name="user")
    assert render("{{ form | errors }}", form=form) == (
        '<ul class="form-errors" id="user-errors"><li>Email: String should have at least 5 characters</li>'
        "<li>Addresses 1 › Postal code: String should match pattern &#39;^\\d{5}$&#39;</li></ul>"
    )
    assert render("{{ form | errors }}", form=to_form(User, name="user")) == ""


def test_the_filters_refuse_what_they_cannot_render():
    class Outer(BaseModel):
        inner: Signup

    form = to_form(Outer, name="o")
    with pytest.raises(TypeError, match="renders one field"):
        input_tag(form.inner)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a form field or a form"):
        errors_tag("email")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pass options="):
        input_tag(form.inner.email, type="select")


# ================================================================================ escaping


def parsed(text: str) -> str:
    """``text`` as an HTML parser reads it back: the input stream's newlines are normalised."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Echo(BaseModel):
    """Every value is an error whose message contains the value itself."""

    text: str
    note: str = ""

    @field_validator("text", "note")
    @classmethod
    def refuse(cls, value: str) -> str:
        raise ValueError(f"<b>{value}</b> & {value!r}")


# Any text but NUL (which the parser drops or replaces depending on where it is: never an escape),
# with HTML's own characters drawn often enough to build tags, entities and attribute ends.
anything = st.text(
    st.sampled_from('<>&"\'=/;#b ') | st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)


@given(value=anything, label=anything, placeholder=anything)
def test_an_input_never_lets_a_value_a_message_or_a_label_out(value, label, placeholder):
    form = to_form(Echo, {"text": value}, name="echo")
    html = str(input_tag(form.text, label, placeholder=placeholder))
    tree = LexborHTMLParser(f"<body>{html}</body>")
    body = tree.body
    assert [node.tag for node in body.iter()] == ["div"]
    assert [node.tag for node in body.css_first("div").iter()] == ["label", "input", "p"]
    control = tree.css_first("input")
    assert control.attributes["value"] == parsed(value)
    assert control.attributes["placeholder"] == parsed(placeholder)
    assert control.attributes["name"] == "echo[text]" and control.attributes["aria-invalid"] == "true"
    assert tree.css_first("label").text() == parsed(label)
    assert tree.css_first("p.field-error").text() == parsed(f"<b>{value}</b> & {value!r}")


@given(value=anything)
def test_a_textarea_and_the_errors_filter_keep_their_text(value):
    form = to_form(Echo, {"text": "x", "note": value}, name="echo")
    tree = LexborHTMLParser(f"<body>{input_tag(form.note, type='textarea')}{errors_tag(form)}</body>")
    assert [node.tag for node in tree.body.iter()] == ["div", "ul"]
    assert tree.css_first("textarea").text() == parsed(value)
    assert [li.text() for li in tree.css("ul.form-errors li")] == [
        parsed("Text: <b>x</b> & 'x'"), parsed(f"Note: <b>{value}</b> & {value!r}")]


@given(option=anything, chosen=st.booleans())
def test_select_options_are_escaped(option, chosen):
    form = to_form(Signup, {"plan": option if chosen else "free"}, name="user")
    tree = LexborHTMLParser(f"<body>{input_tag(form.plan, options=[(option, option), ('free', 'Free')])}</body>")
    options = tree.css("option")
    assert [(o.attributes["value"], o.text()) for o in options] == [(parsed(option), parsed(option)), ("free", "Free")]
    assert ("selected" in options[0].attributes) == (chosen or option == "free")


def test_markup_values_of_extra_attributes_are_trusted_and_field_values_are_not():
    form = to_form(Signup, {"email": Markup('"><script>')}, name="user")
    html = str(input_tag(form.email, title=Markup("&amp;")))
    assert 'title="&amp;"' in html and 'value="&#34;&gt;&lt;script&gt;"' in html
