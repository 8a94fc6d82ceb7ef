"""Sign up: a nested pydantic form (a user and one to three addresses) validated as you type.

``to_form(UserIn, params, name="user")`` turns what the browser posts into the page's form:
each input's name, value and errors. Errors show only on fields the user has touched (the client
marks untouched fields with ``_unused_`` keys), and a submit, which marks none, shows them all.

The view keeps the last params the browser sent; the add and remove buttons edit that list of
address entries and render the form again, so what the user typed stays put. A valid submit
greets the user with a flash message and goes to the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from pydantic import BaseModel, Field, field_validator

from pyview_core import LiveView, LiveViewSocket, event, to_form
from pyview_core.model_form import Form

MAX_ADDRESSES = 3
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AddressIn(BaseModel):
    street: str = Field(min_length=3, max_length=100)
    city: str = Field(min_length=2, max_length=60)
    postal_code: str = Field(title="Postal code")

    @field_validator("postal_code")
    @classmethod
    def five_digits(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]{5}", value.strip()):
            raise ValueError("Enter five digits, like 75001")
        return value.strip()


class UserIn(BaseModel):
    name: str = Field(min_length=2, max_length=60)
    email: str = Field(max_length=254, json_schema_extra={"input_type": "email"})
    password: str = Field(min_length=8, max_length=128, json_schema_extra={"input_type": "password"})
    newsletter: bool = False
    addresses: list[AddressIn] = Field(min_length=1, max_length=MAX_ADDRESSES)

    @field_validator("email")
    @classmethod
    def looks_like_an_email(cls, value: str) -> str:
        if not EMAIL.fullmatch(value.strip()):
            raise ValueError("Enter an email address, like name@example.com")
        return value.strip().lower()


@dataclass
class SignupContext:
    params: Optional[dict[str, Any]] = None  # the user map the browser sent last (None: fresh)
    form: Form = field(default_factory=lambda: signup_form(None))
    max_addresses: int = MAX_ADDRESSES

    @property
    def address_count(self) -> int:
        return len(self.form.inputs_for("addresses"))


def signup_form(params: Optional[dict[str, Any]]) -> Form:
    """The form for ``params``; a fresh one starts with one empty address."""
    return to_form(UserIn, params, name="user", data={"addresses": [{}]})


class SignupLiveView(LiveView[SignupContext]):
    async def mount(self, socket: LiveViewSocket[SignupContext], session):
        socket.context = SignupContext()
        socket.live_title = "Sign up"

    def _show(self, socket: LiveViewSocket[SignupContext], params: Any) -> Form:
        ctx = socket.context
        ctx.params = params if isinstance(params, dict) else {}
        ctx.form = signup_form(ctx.params)
        return ctx.form

    @event("validate")
    async def validate(self, socket: LiveViewSocket[SignupContext], payload: dict):
        self._show(socket, payload.get("user"))

    @event("save")
    async def save(self, socket: LiveViewSocket[SignupContext], payload: dict):
        form = self._show(socket, payload.get("user"))
        if not form.valid:
            return
        user = form.data
        socket.put_flash("info", f"Welcome, {user.name}")  # shown by the next view (a signed token travels)
        await socket.push_navigate("/")

    @event("add_address")
    async def add_address(self, socket: LiveViewSocket[SignupContext]):
        entries = self._entries(socket)
        if len(entries) < MAX_ADDRESSES:
            self._show(socket, {**socket.context.form.params, "addresses": [*entries, {}]})

    @event("remove_address")
    async def remove_address(self, socket: LiveViewSocket[SignupContext], index: int):
        entries = self._entries(socket)
        if len(entries) > 1 and 0 <= index < len(entries):
            del entries[index]
            self._show(socket, {**socket.context.form.params, "addresses": entries})

    @staticmethod
    def _entries(socket: LiveViewSocket[SignupContext]) -> list[dict[str, Any]]:
        """The address entries as posted, in order (an empty entry shows empty, untouched fields)."""
        return [dict(address.params) for address in socket.context.form.inputs_for("addresses")]
