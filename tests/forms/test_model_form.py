"""``to_form``: names, values, casting of submitted params, error locations and the used-input rule.

Params are written as the browser posts them and decoded with ``decode_form`` (the view receives
exactly that), so each test reads like the form the user filled.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import Any, Literal, Optional

import pytest
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from pyview_core import to_form
from pyview_core.forms import decode_form
from pyview_core.model_form import FieldError, Form, FormField


class Address(BaseModel):
    street: str = Field(min_length=3)
    city: str
    postal_code: str = Field(pattern=r"^\d{5}$")

    @model_validator(mode="after")
    def not_nowhere(self) -> "Address":
        if self.city == "Nowhere":
            raise ValueError("Nowhere is not a place")
        return self


class UserIn(BaseModel):
    name: str = Field(min_length=2)
    email: str = Field(json_schema_extra={"input_type": "email"})
    age: Optional[int] = None
    newsletter: bool = False
    home: Optional[Address] = None
    addresses: list[Address] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def no_admin(self) -> "UserIn":
        if self.name == "admin":
            raise ValueError("That name is reserved")
        return self


def params(query: str, form: str = "user") -> dict[str, Any]:
    """What a view gets for ``form`` from a URL-encoded form body."""
    return decode_form(query)[form]


def without_markers(query: str) -> str:
    """The same form as a submit sends it: no ``_unused_`` markers."""
    return "&".join(pair for pair in query.split("&") if "_unused_" not in pair)


VALID = (
    "user[name]=Jo&user[email]=jo@example.com&user[age]=33&user[newsletter]=false&user[newsletter]=true"
    "&user[addresses][0][street]=Main+St&user[addresses][0][city]=Paris&user[addresses][0][postal_code]=75001"
)


# ================================================================================ names and values


def test_a_fresh_form_names_every_input_and_shows_no_error():
    form = to_form(UserIn)
    assert (form.name, form.id, form.valid, form.data, form.errors, dict(form.params)) == ("user_in", "user_in", False, None, [], {})
    assert form.email.name == "user_in[email]" and form.email.id == "user_in_email"
    assert form["name"].name == "user_in[name]"  # `form.name` is the form's own name
    assert form.home.street.name == "user_in[home][street]" and form.home.street.id == "user_in_home_street"
    assert [f.name for f in form] == ["user_in[name]", "user_in[email]", "user_in[age]", "user_in[newsletter]",
                                      "user_in[home]", "user_in[addresses]"]
    assert all(not f.errors and not f.used for f in form if isinstance(f, FormField))


@pytest.mark.parametrize("model_name, expected", [("UserIn", "user_in"), ("HTTPRequest", "http_request"), ("Signup2Form", "signup2_form")])
def test_the_default_name_is_the_class_name_in_snake_case(model_name, expected):
    model = type(model_name, (BaseModel,), {"__annotations__": {"x": int}})
    assert to_form(model).name == expected


def test_names_and_ids_of_list_entries_follow_their_position():
    form = to_form(UserIn, params("user[addresses][3][city]=B&user[addresses][1][city]=A&user[addresses][_unused_7]="), name="user")
    entries = form.inputs_for("addresses")
    assert [(e.name, e.id, e.index, e.city.value) for e in entries] == [
        ("user[addresses][0]", "user_addresses_0", 0, "A"),
        ("user[addresses][1]", "user_addresses_1", 1, "B"),
    ]
    assert entries[1].postal_code.name == "user[addresses][1][postal_code]"
    assert entries[1].postal_code.id == "user_addresses_1_postal_code"
    assert list(form.addresses) == entries and len(form.addresses) == 2


def test_values_come_from_params_then_data_then_the_default():
    data = UserIn(name="Ann", email="ann@example.com", age=40, newsletter=True,
                  addresses=[Address(street="Elm St", city="Rome", postal_code="00100")])
    fresh = to_form(UserIn, name="user", data=data)
    assert (fresh["name"].value, fresh.age.value, fresh.newsletter.value, fresh.newsletter.checked) == ("Ann", "40", "true", True)
    assert [a.city.value for a in fresh.addresses] == ["Rome"]
    assert fresh.home.street.value == ""  # data has no home: None shows as ""
    edited = to_form(UserIn, params("user[name]=Bea&user[age]="), name="user", data=data)
    assert edited["name"].value == "Bea" and edited.age.value == ""  # a cleared field shows empty
    assert edited.email.value == "ann@example.com"  # not submitted: the data's
    assert to_form(UserIn, name="user").newsletter.value == "false"  # the default, formatted


def test_data_may_be_a_mapping_and_fills_only_fields_the_params_do_not_mention():
    data = {"name": "Ann", "email": "ann@example.com", "addresses": [{"street": "Elm St", "city": "Rome", "postal_code": "00100"}]}
    form = to_form(UserIn, params("user[age]=5"), name="user", data=data)
    assert form.valid and form.data.name == "Ann" and form.data.age == 5 and form.data.addresses[0].city == "Rome"
    cleared = to_form(UserIn, params("user[name]="), name="user", data=data)
    assert not cleared.valid and cleared["name"].errors == ["Field required"]  # empty is not "use the data"


def test_labels_required_and_input_types():
    class Plan(enum.Enum):
        FREE = "free"
        TEAM_PRO = "team_pro"

    class Everything(BaseModel):
        postal_code: str
        nick: str = Field("", title="Nickname", description="shown to others")
        count: int = 0
        ratio: float = 0.5
        price: Decimal = Decimal("1.5")
        agree: bool = False
        born: Optional[datetime.date] = None
        meet_at: Optional[datetime.datetime] = None
        wake: Optional[datetime.time] = None
        size: Literal["s", "m", "l"] = "m"
        plan: Plan = Plan.FREE
        secret: SecretStr = SecretStr("")
        mail: str = Field("", json_schema_extra={"format": "email"})
        phone: str = Field("", json_schema_extra={"input_type": "tel"})

    form = to_form(Everything)
    assert form.postal_code.label == "Postal code" and form.postal_code.required
    assert form.nick.label == "Nickname" and not form.nick.required and form.nick.description == "shown to others"
    types = {f.field: f.input_type for f in form}
    assert types == {
        "postal_code": "text", "nick": "text", "count": "number", "ratio": "number", "price": "number",
        "agree": "checkbox", "born": "date", "meet_at": "datetime-local", "wake": "time", "size": "select",
        "plan": "select", "secret": "password", "mail": "email", "phone": "tel",
    }
    assert form.size.options == [("s", "s"), ("m", "m"), ("l", "l")] and form.size.value == "m"
    assert form.plan.options == [("free", "Free"), ("team_pro", "Team pro")] and form.plan.value == "free"
    assert form.nick.options is None
    stored = to_form(Everything, data={"secret": SecretStr("hunter2"), "born": datetime.date(2000, 2, 29)})
    assert stored.secret.value == "" and stored.born.value == "2000-02-29"  # a stored secret never goes back


def test_aliased_fields_are_named_by_their_alias():
    class Account(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        user_name: str = Field(alias="userName", min_length=3)

    form = to_form(Account, {"userName": "ab"}, name="account")
    assert form.user_name.name == "account[userName]" and form["userName"] is form.user_name
    assert form.user_name.errors == ["String should have at least 3 characters"]
    assert to_form(Account, {"userName": "abc"}).data.user_name == "abc"


def test_unknown_fields_are_refused_with_the_fields_the_model_has():
    form = to_form(UserIn)
    with pytest.raises(KeyError, match="no field 'nope'; its fields: name, email"):
        form["nope"]
    with pytest.raises(AttributeError, match="no field 'nope'"):
        form.nope  # noqa: B018
    assert "email" in form and "nope" not in form
    with pytest.raises(ValueError, match="not a nested model field"):
        form.inputs_for("email")
    with pytest.raises(TypeError, match="not a list of nested models"):
        iter(form.email)
    with pytest.raises(TypeError, match="pydantic model class"):
        to_form(dict)  # type: ignore[arg-type]


# ================================================================================ casting params


def test_empty_strings_are_missing_values():
    form = to_form(UserIn, params("user[name]=&user[email]=a@b&user[age]=&user[addresses][0][street]=Main"), name="user")
    assert form["name"].errors == ["Field required"]
    assert form.age.errors == []  # optional: its default
    entry = form.inputs_for("addresses")[0]
    assert entry.city.errors == []  # never submitted: not used, whatever its error
    ok = to_form(UserIn, params(VALID.replace("user[age]=33", "user[age]=")), name="user")
    assert ok.valid and ok.data.age is None


def test_unused_markers_target_and_other_keys_never_reach_the_model():
    seen: list[dict] = []

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")
        title: str
        tags: list[str] = []
        meta: dict[str, str] = {}

        @model_validator(mode="before")
        @classmethod
        def record(cls, data: Any) -> Any:
            seen.append(data)
            return data

    query = ("post[_unused_title]=&post[title]=Hi&post[tags][]=&post[tags][]=a&post[meta][_unused_k]=&post[meta][k]=v"
             "&post[save]=1&post[_target]=x")
    form = to_form(Strict, params(query, "post"), name="post")
    assert form.valid, form.errors
    assert seen == [{"title": "Hi", "tags": ["a"], "meta": {"k": "v"}}]
    whole = decode_form("post[title]=Hi&_target=post%5Btitle%5D")  # a whole payload passed by mistake
    assert to_form(Strict, whole["post"], name="post").valid


def test_index_maps_become_lists_in_integer_order_and_real_lists_work_too():
    class Tagged(BaseModel):
        tags: list[str]
        addresses: list[Address] = []

    query = ("t[tags][10]=c&t[tags][2]=b&t[tags][_unused_2]=&t[tags][0]=a"
             "&t[addresses][10][street]=Third&t[addresses][9][street]=Second&t[addresses][1][street]=First")
    form = to_form(Tagged, params(query, "t"), name="t")
    assert form.tags.value == ["a", "b", "c"]
    assert [a.street.value for a in form.addresses] == ["First", "Second", "Third"]
    as_lists = {"tags": ["x", "y"], "addresses": [{"street": "Main", "city": "Oslo", "postal_code": "01500"}]}
    form = to_form(Tagged, as_lists, name="t")
    assert form.valid and form.data.tags == ["x", "y"] and form.data.addresses[0].city == "Oslo"
    assert [a.name for a in form.addresses] == ["t[addresses][0]"]


def test_checkbox_hidden_false_then_true():
    checked = to_form(UserIn, params(VALID), name="user")
    unchecked = to_form(UserIn, params(VALID.replace("&user[newsletter]=true", "")), name="user")
    assert checked.data.newsletter is True and checked.newsletter.checked
    assert unchecked.data.newsletter is False and not unchecked.newsletter.checked


def test_params_that_are_not_a_map_count_as_an_empty_submission():
    form = to_form(UserIn, "x", name="user")  # type: ignore[arg-type]
    assert not form.valid and form.params == {} and form.errors == []


def test_a_valid_submission_gives_the_model_and_sub_forms_their_part():
    form = to_form(UserIn, params(VALID), name="user")
    assert form.valid and form.errors == []
    assert form.data == UserIn(name="Jo", email="jo@example.com", age=33, newsletter=True,
                               addresses=[Address(street="Main St", city="Paris", postal_code="75001")])
    entry = form.inputs_for("addresses")[0]
    assert entry.valid and entry.data == Address(street="Main St", city="Paris", postal_code="75001")
    assert form.home.data is None and form.home.valid


# ================================================================================ where errors go


def test_nested_and_list_errors_land_on_their_field():
    query = ("user[name]=Jo&user[email]=a@b&user[home][street]=ab&user[home][city]=X&user[home][postal_code]=1"
             "&user[addresses][0][street]=Main&user[addresses][0][city]=Oslo&user[addresses][0][postal_code]=01500"
             "&user[addresses][1][street]=Elm&user[addresses][1][city]=Nowhere&user[addresses][1][postal_code]=abc")
    form = to_form(UserIn, params(query), name="user")
    assert not form.valid
    assert form.home.street.errors == ["String should have at least 3 characters"]
    assert form.home.postal_code.errors == ["String should match pattern '^\\d{5}$'"]
    first, second = form.inputs_for("addresses")
    assert first.valid and all(not f.errors for f in first)
    assert not second.valid and second.postal_code.errors == ["String should match pattern '^\\d{5}$'"]
    assert second.city.errors == [] and second.street.errors == []
    assert form.errors == [
        FieldError("user[home][street]", "String should have at least 3 characters"),
        FieldError("user[home][postal_code]", "String should match pattern '^\\d{5}$'"),
        FieldError("user[addresses][1][postal_code]", "String should match pattern '^\\d{5}$'"),
    ]
    assert second.errors == [FieldError("user[addresses][1][postal_code]", "String should match pattern '^\\d{5}$'")]


def test_model_level_errors_belong_to_their_form_without_the_value_error_prefix():
    query = VALID.replace("user[name]=Jo", "user[name]=admin").replace("city]=Paris", "city]=Nowhere")
    form = to_form(UserIn, params(query), name="user")
    # pydantic stops at the first failing model: the entry's validator runs, the user's does not.
    assert form.errors == [FieldError("user[addresses][0]", "Nowhere is not a place")]
    assert form.inputs_for("addresses")[0].errors == [FieldError("user[addresses][0]", "Nowhere is not a place")]
    form = to_form(UserIn, params(VALID.replace("user[name]=Jo", "user[name]=admin")), name="user")
    assert form.errors == [FieldError("user", "That name is reserved")]
    assert all(not f.errors for f in form if isinstance(f, FormField))


def test_list_level_errors_go_to_the_list_field():
    query = VALID + "".join(f"&user[addresses][{i}][street]=Main&user[addresses][{i}][city]=Oslo&user[addresses][{i}][postal_code]=01500" for i in (1, 2, 3))
    form = to_form(UserIn, params(query), name="user")
    assert form.addresses.errors == ["List should have at most 3 items after validation, not 4"]
    assert form.errors == [FieldError("user[addresses]", "List should have at most 3 items after validation, not 4")]


def test_errors_below_a_scalar_field_stay_on_it_and_unknown_locations_on_the_form():
    class Grid(BaseModel):
        sizes: list[int]

        @model_validator(mode="before")
        @classmethod
        def extra(cls, data: Any) -> Any:
            return {**data, "ghost": 1} if data.get("sizes") == ["0"] else data

        model_config = ConfigDict(extra="forbid")

    form = to_form(Grid, params("g[sizes][]=1&g[sizes][]=x", "g"), name="g")
    assert form.sizes.errors == ["Input should be a valid integer, unable to parse string as an integer"]
    ghost = to_form(Grid, params("g[sizes][]=0", "g"), name="g")
    assert ghost.errors == [FieldError("g", "ghost: Extra inputs are not permitted")]


def test_a_validators_value_error_is_shown_as_its_own_text():
    class Signup(BaseModel):
        email: str

        @field_validator("email")
        @classmethod
        def has_at(cls, value: str) -> str:
            if "@" not in value:
                raise ValueError("Enter an email address like name@example.com")
            return value

    assert to_form(Signup, {"email": "x"}).email.errors == ["Enter an email address like name@example.com"]


# ================================================================================ used inputs


def test_used_inputs_follow_phoenix_used_input():
    class Birthday(BaseModel):
        year: int
        month: int
        day: int

    class Person(BaseModel):
        name: str
        bday: Birthday

    # Phoenix's own example: day unused, year and month used, so bday as a whole was used.
    form = to_form(Person, params("p[_unused_name]=&p[name]=&p[bday][year]=&p[bday][month]=&p[bday][_unused_day]=&p[bday][day]=", "p"), name="p")
    assert not form["name"].used and form.bday.used
    assert (form.bday.year.used, form.bday.month.used, form.bday.day.used) == (True, True, False)
    assert form.bday.year.errors == ["Field required"] and form.bday.day.errors == []
    assert form["name"].errors == []
    all_unused = to_form(Person, params("p[bday][_unused_year]=&p[bday][year]=", "p"), name="p")
    assert not all_unused.bday.used and all_unused.errors == []


def test_a_change_shows_touched_fields_only_and_a_submit_shows_all():
    change = ("user[name]=J&user[_unused_email]=&user[email]=&user[_unused_age]=&user[age]="
              "&user[_unused_newsletter]=&user[newsletter]=false"
              "&user[addresses][0][_unused_street]=&user[addresses][0][street]=&user[addresses][0][city]=O"
              "&user[addresses][0][_unused_postal_code]=&user[addresses][0][postal_code]=")
    form = to_form(UserIn, params(change), name="user")
    shown = {name: message for name, message in form.errors}
    assert shown == {"user[name]": "String should have at least 2 characters"}
    assert form.email.errors == [] and form.inputs_for("addresses")[0].street.errors == []
    assert form.inputs_for("addresses")[0].city.used and form.inputs_for("addresses")[0].city.errors == []
    submit = to_form(UserIn, params(without_markers(change)), name="user")
    assert {name for name, _ in submit.errors} == {
        "user[name]", "user[email]", "user[addresses][0][street]", "user[addresses][0][postal_code]"}
    assert submit.email.errors == ["Field required"]


def test_form_repr_and_field_repr_name_what_they_are():
    form = to_form(UserIn, name="user")
    assert repr(form) == "<Form user of UserIn valid=False>"
    assert repr(form.email) == "<FormField user[email] value='' errors=[]>"
    assert isinstance(form.home, Form) and form.inputs_for("home") == [form.home]
