"""Invariants of ``to_form``, checked with hypothesis.

- Round trip: a model instance rendered as an edit form, its inputs posted as a browser posts
  them (hidden ``false`` before each checkbox, ``tags[]`` lists, ``_unused_`` markers before
  untouched fields), decoded by ``decode_form`` and cast by ``to_form`` gives the same instance.
- Used inputs: with every field invalid, a change shows exactly the touched fields' errors and a
  submit shows every one.
- Index maps: list entries keep integer order whatever order the browser posts them in.
"""

from __future__ import annotations

import datetime
from typing import Literal, Optional
from urllib.parse import quote_plus, urlencode

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from pyview_core import to_form
from pyview_core.forms import decode_form
from pyview_core.model_form import Form, FormField


class Address(BaseModel):
    street: str = Field(min_length=1)
    city: str = Field(min_length=1)
    postal_code: Optional[str] = None


class Profile(BaseModel):
    name: str = Field(min_length=1)
    age: int
    height: Optional[float] = None
    newsletter: bool = False
    born: Optional[datetime.date] = None
    plan: Literal["free", "pro", "team"] = "free"
    tags: list[str] = Field(default_factory=list)
    home: Address
    addresses: list[Address] = Field(default_factory=list)


# Any text a user can type (no surrogates: they cannot be sent as UTF-8); empty means "no value".
words = st.text(min_size=1, max_size=20)
addresses = st.builds(Address, street=words, city=words, postal_code=st.none() | words)
profiles = st.builds(
    Profile,
    name=words,
    age=st.integers(),
    height=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    newsletter=st.booleans(),
    born=st.none() | st.dates(),
    plan=st.sampled_from(["free", "pro", "team"]),
    tags=st.lists(words, max_size=3),
    home=addresses,
    addresses=st.lists(addresses, max_size=3),
)


def unused_key(name: str) -> str:
    """``user[home][city]`` → ``user[home][_unused_city]`` (the client's ``prependFormDataKey``)."""
    head, bracket, last = name.rpartition("[")
    return f"{head}[_unused_{last}" if bracket else f"_unused_{name}"


def posted(form: Form, untouched: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser posts for the rendered form, in page order; a field in
    ``untouched`` gets the client's ``_unused_`` marker before its value."""
    pairs: list[tuple[str, str]] = []
    for child in form:
        if isinstance(child, Form):
            pairs += posted(child, untouched)
            continue
        assert isinstance(child, FormField)
        try:
            entries = list(child)  # a list of nested models: its sub-forms
        except TypeError:
            pass
        else:
            for entry in entries:
                pairs += posted(entry, untouched)
            continue
        marker = [(unused_key(child.name), "")] if child.name in untouched else []
        if child.input_type == "checkbox":
            pairs += marker + [(child.name, "false")] + ([(child.name, "true")] if child.checked else [])
        elif isinstance(child.value, list):  # tags[]: the client keeps the [] after the marker
            for value in child.value:
                pairs += [(unused_key(child.name) + "[]", "")] if child.name in untouched else []
                pairs.append((child.name + "[]", value))
        else:
            pairs += marker + [(child.name, child.value)]
    return pairs


def leaf_names(form: Form) -> list[str]:
    return [name for name, _ in posted(form) if "_unused_" not in name]


@given(profiles)
def test_an_instance_survives_the_browser_round_trip(profile):
    edit = to_form(Profile, name="user", data=profile)
    body = urlencode(posted(edit), quote_via=quote_plus)
    back = to_form(Profile, decode_form(body)["user"], name="user")
    assert back.valid, back.errors
    assert back.data == profile


@given(profiles, st.data())
def test_unused_markers_change_nothing_but_what_is_shown(profile, data):
    edit = to_form(Profile, name="user", data=profile)
    names = sorted(set(leaf_names(edit)))
    untouched = frozenset(data.draw(st.sets(st.sampled_from(names))) if names else set())
    body = urlencode(posted(edit, untouched), quote_via=quote_plus)
    back = to_form(Profile, decode_form(body)["user"], name="user")
    assert back.data == profile


class Flat(BaseModel):
    a: str = Field(min_length=5)
    b: int
    c: str = Field(pattern=r"^x+$")
    d: Optional[int] = Field(None, ge=10)
    inner: Address


BAD = {"user[a]": "abc", "user[b]": "one", "user[c]": "y", "user[d]": "3", "user[inner][street]": "", "user[inner][city]": ""}


@given(st.sets(st.sampled_from(sorted(BAD))))
def test_a_change_shows_the_touched_fields_errors_and_a_submit_all(touched):
    fresh = to_form(Flat, name="user")
    change = [pair for name, value in BAD.items() for pair in ([] if name in touched else [(unused_key(name), "")]) + [(name, value)]]
    form = to_form(Flat, decode_form(urlencode(change))["user"], name="user")
    assert {name for name, _ in form.errors} == set(touched)
    assert {f.name for f in [form.a, form.b, form.c, form.d, form.inner.street, form.inner.city] if f.errors} == set(touched)
    assert fresh.errors == [] and not fresh.valid
    submit = to_form(Flat, decode_form(urlencode(list(BAD.items())))["user"], name="user")
    assert {name for name, _ in submit.errors} == set(BAD)
    assert not submit.valid and not form.valid


@given(st.permutations(range(12)))
def test_index_maps_are_ordered_by_integer_index(order):
    pairs = [(f"p[addresses][{i}][street]", f"s{i}") for i in order] + [(f"p[addresses][{i}][city]", "c") for i in order]
    raw = decode_form(urlencode(pairs))["p"]
    form = to_form(Profile, raw, name="p")
    assert [a.street.value for a in form.addresses] == [f"s{i}" for i in range(12)]
    assert [a.name for a in form.addresses] == [f"p[addresses][{i}]" for i in range(12)]
