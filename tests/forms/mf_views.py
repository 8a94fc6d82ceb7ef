"""A LiveView built on ``to_form`` for the forms tests (template ``mf_signup.html`` beside it)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, Field, field_validator

from pyview_core import LiveView, PyView, event, to_form

SECRET = "model-form-tests-only-not-a-secret-" + "0123456789abc"  # 48 characters, fixed
assert len(SECRET) == 48


class Pet(BaseModel):
    name: str = Field(min_length=2)
    species: str = Field(pattern=r"^(cat|dog)$")


class Owner(BaseModel):
    name: str = Field(min_length=2, title="Your name")
    email: str = Field(json_schema_extra={"input_type": "email"})
    pets: list[Pet] = Field(min_length=1)

    @field_validator("email")
    @classmethod
    def has_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("Enter an email address")
        return value


class OwnerView(LiveView[dict]):
    """Validates as the user types, shows every error on submit, and "saves" a valid owner."""

    template_name = "mf_signup.html"

    async def mount(self, socket: Any, session: dict[str, Any]) -> None:
        socket.context = {"form": self.form(None), "saved": ""}

    @staticmethod
    def form(params: Optional[dict]) -> Any:
        return to_form(Owner, params, name="owner", data={"pets": [{}, {}]})

    @event("validate")
    async def validate(self, socket: Any, payload: dict) -> None:
        socket.context["form"] = self.form(payload.get("owner"))

    @event("save")
    async def save(self, socket: Any, payload: dict) -> None:
        form = self.form(payload.get("owner"))
        socket.context["form"] = form
        if form.valid:
            socket.context["saved"] = f"{form.data.name} with {len(form.data.pets)} pets"


def make_app() -> PyView:
    app = PyView(secret_key=SECRET)
    app.add_live_view("/owner", OwnerView)
    return app
