"""Typed injection for handle_params / handle_event / @event methods (API.md, the lifecycle guide).

This module uses ``from __future__ import annotations`` like much user code does, so classes used
in annotations live at module level (a class local to a test function could not be resolved).
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import functools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyview_core import LiveView, event
from pyview_core.binding import CallPlan, ParamError, check_annotations, convert, plan_for

if TYPE_CHECKING:  # only for type checkers: the annotation cannot be resolved at run time
    from pyview_core.live_socket import ConnectedLiveViewSocket

SOCKET = object()


def run(coro):
    return asyncio.run(coro)


def qs(query: str) -> dict[str, list[str]]:
    return parse_qs(query, keep_blank_values=True)


def params_call(func, query: str = "", path_params: dict | None = None):
    """Call a handle_params-style handler the way the channel does."""
    url = urlparse(f"http://host/users?{query}")
    params: dict[str, Any] = qs(query)
    params.update(path_params or {})
    return run(plan_for(func).call(func, {"socket": SOCKET, "url": url, "params": params}, params))


def event_call(func, name: str, payload: dict):
    return run(plan_for(func).call(func, {"socket": SOCKET, "event": name, "payload": payload}, payload))


@dataclass
class PagingParams:
    page: int = 1
    per_page: int = 10
    sort: str = "id"


@dataclass
class Filter:
    q: str
    tags: list[str] = field(default_factory=list)
    active: Optional[bool] = None


@dataclass
class Address:
    street: str
    zip: int


@dataclass
class User:
    name: str
    age: int
    address: Address | None = None


@dataclass
class Sort:
    sort: str = "id"
    dir: Literal["asc", "desc"] = "asc"


@dataclass
class Range:
    lo: int
    hi: int

    def __post_init__(self):
        if self.lo > self.hi:
            raise ValueError("lo > hi")


@dataclass
class Item:
    name: str
    qty: int = 1


@dataclass
class BadPaging:
    """A dataclass whose field annotation is misspelt: a view that takes it must not be defined."""

    page: itn = 1  # noqa: F821 - the typo under test


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class UsersLive:
    async def handle_params(self, socket, page: int = 1, sort: str = "id"):
        return ("typed", socket, page, sort)


class PagingLive:
    async def handle_params(self, socket, paging: PagingParams):
        return ("paging", socket, paging)


class LegacyParamsLive:
    async def handle_params(self, url, params, socket):
        page = int(params.get("page", ["1"])[0])
        return ("legacy", url, params, socket, page)


class FormLive:
    async def handle_event(self, socket, name: str, email: str):
        return ("form", socket, name, email)


class NamedEventLive:
    async def handle_event(self, event: str, socket, user_id: str):
        return ("named", event, socket, user_id)


class LegacyEventLive:
    async def handle_event(self, event, payload, socket):
        return ("legacy", event, payload, socket)


class TodoLive:
    async def on_toggle(self, socket, id: int, done: bool = False):
        return ("toggle", socket, id, done)

    def sync_handler(self, socket, n: int):
        return ("sync", socket, n)


# --------------------------------------------------------------------------- the guide's signatures


def test_typed_handle_params():
    view = UsersLive()
    assert params_call(view.handle_params, "page=2&sort=name") == ("typed", SOCKET, 2, "name")
    assert params_call(view.handle_params, "") == ("typed", SOCKET, 1, "id")
    assert params_call(view.handle_params, "page=1&page=3") == ("typed", SOCKET, 3, "id")  # last wins


def test_path_params_arrive_as_single_values():
    view = UsersLive()
    assert params_call(view.handle_params, "sort=x", {"page": 7}) == ("typed", SOCKET, 7, "x")
    assert params_call(view.handle_params, "", {"page": "8"}) == ("typed", SOCKET, 8, "id")


def test_dataclass_handle_params_gathers_fields_from_the_url():
    view = PagingLive()
    assert params_call(view.handle_params, "page=2&sort=name") == ("paging", SOCKET, PagingParams(2, 10, "name"))
    assert params_call(view.handle_params, "") == ("paging", SOCKET, PagingParams())
    assert params_call(view.handle_params, "per_page=50&other=x") == ("paging", SOCKET, PagingParams(1, 50))


def test_legacy_handle_params_gets_the_raw_parse_qs_dict():
    view = LegacyParamsLive()
    tag, url, params, socket, page = params_call(view.handle_params, "page=4&tag=a&tag=b")
    assert tag == "legacy" and socket is SOCKET and page == 4
    assert params == {"page": ["4"], "tag": ["a", "b"]}
    assert url.path == "/users" and url.query == "page=4&tag=a&tag=b"


def test_event_values_by_name():
    view = FormLive()
    assert event_call(view.handle_event, "save", {"name": "Jo", "email": "j@x"}) == ("form", SOCKET, "Jo", "j@x")


def test_event_name_is_injected():
    view = NamedEventLive()
    assert event_call(view.handle_event, "delete", {"user_id": "42"}) == ("named", "delete", SOCKET, "42")


def test_legacy_handle_event():
    view = LegacyEventLive()
    payload = {"value": "", "id": "3"}
    assert event_call(view.handle_event, "inc", payload) == ("legacy", "inc", payload, SOCKET)


def test_event_decorated_method_same_binding():
    view = TodoLive()
    assert event_call(view.on_toggle, "toggle", {"id": "5"}) == ("toggle", SOCKET, 5, False)
    assert event_call(view.on_toggle, "toggle", {"id": 5, "done": "on"}) == ("toggle", SOCKET, 5, True)


def test_sync_handlers():
    view = TodoLive()
    assert event_call(view.sync_handler, "x", {"n": "3"}) == ("sync", SOCKET, 3)
    assert run(plan_for(lambda socket: 1).call(lambda socket: 1, {"socket": SOCKET}, {})) == 1


def test_call_awaits_awaitables_returned_by_plain_functions():
    async def inner():
        return "awaited"

    def handler(socket):
        return inner()

    assert run(plan_for(handler).call(handler, {"socket": SOCKET}, {})) == "awaited"


# --------------------------------------------------------------------------- reserved names


def test_reserved_names_win_over_values():
    async def handler(socket, event, payload, page: int = 1):
        return socket, event, payload, page

    payload = {"socket": "evil", "event": "evil", "payload": "evil", "page": "2"}
    assert event_call(handler, "real", payload) == (SOCKET, "real", payload, 2)


def test_reserved_objects_are_not_converted():
    async def handler(event: int, socket: str):
        return event, socket

    args, kwargs = plan_for(handler).arguments({"event": "click", "socket": SOCKET}, {})
    assert args == [] and kwargs == {"event": "click", "socket": SOCKET}


def test_a_reserved_name_the_caller_does_not_pass_is_an_ordinary_value():
    async def handler(socket, params: int):
        return params

    assert event_call(handler, "x", {"params": "3"}) == 3


def test_unresolvable_socket_annotation_is_fine():
    async def handler(socket: ConnectedLiveViewSocket, page: int = 1):  # noqa: F821 - TYPE_CHECKING only
        return socket, page

    # from __future__ import annotations + a TYPE_CHECKING import: get_type_hints fails as a whole,
    # the other annotations still resolve one by one.
    assert params_call(handler, "page=3") == (SOCKET, 3)


# --------------------------------------------------------------------------- dataclasses


def test_dataclass_missing_required_field_names_the_path():
    async def handler(socket, f: Filter):
        return f

    assert event_call(handler, "s", {"q": "x", "tags": ["a", "b"], "active": "true"}) == Filter("x", ["a", "b"], True)
    assert event_call(handler, "s", {"q": "x"}) == Filter("x", [], None)
    with pytest.raises(ParamError, match=r"missing required parameter 'f\.q'") as info:
        event_call(handler, "s", {"tags": ["a"]})
    assert info.value.name == "f.q"


def test_dataclass_field_conversion_errors_name_the_path():
    async def handler(socket, paging: PagingParams):
        return paging

    with pytest.raises(ParamError, match=r"parameter 'paging\.page': expected int, got 'x'") as info:
        params_call(handler, "page=x")
    assert (info.value.name, info.value.value, info.value.expected) == ("paging.page", "x", "int")


def test_dataclass_from_nested_form_params_under_its_own_name():
    async def handler(socket, user: User):
        return user

    payload = {"user": {"name": "Jo", "age": "30", "address": {"street": "Main", "zip": "12345"}}, "_target": ["user"]}
    assert event_call(handler, "save", payload) == User("Jo", 30, Address("Main", 12345))
    assert event_call(handler, "save", {"user": {"name": "Jo", "age": "3"}}) == User("Jo", 3, None)
    with pytest.raises(ParamError, match=r"'user\.address\.zip': expected int, got 'abc'"):
        event_call(handler, "save", {"user": {"name": "Jo", "age": "3", "address": {"street": "s", "zip": "abc"}}})
    with pytest.raises(ParamError, match=r"missing required parameter 'user\.age'"):
        event_call(handler, "save", {"user": {"name": "Jo"}})


def test_dataclass_instance_is_kept():
    async def handler(socket, paging: PagingParams):
        return paging

    given_ = PagingParams(9)
    assert run(plan_for(handler).call(handler, {"socket": SOCKET}, {"paging": given_})) is given_


def test_dataclass_field_named_like_the_parameter_is_gathered():
    async def handler(socket, sort: Sort):
        return sort

    assert params_call(handler, "sort=name&dir=desc") == Sort("name", "desc")


def test_optional_dataclass_and_dataclass_with_default():
    async def opt(socket, paging: PagingParams | None):
        return paging

    async def dflt(socket, paging: PagingParams = PagingParams(5)):
        return paging

    assert params_call(opt, "") is None
    assert params_call(opt, "page=2") == PagingParams(2)
    assert params_call(dflt, "") == PagingParams(5)
    assert params_call(dflt, "sort=x") == PagingParams(sort="x")


def test_dataclass_post_init_errors_become_param_errors():
    async def handler(socket, r: Range):
        return r

    assert params_call(handler, "lo=1&hi=2") == Range(1, 2)
    with pytest.raises(ParamError, match="lo > hi") as info:
        params_call(handler, "lo=3&hi=2")
    assert info.value.name == "r"


def test_list_of_dataclasses_from_form_lists_and_inputs_for_maps():
    async def handler(socket, items: list[Item]):
        return items

    assert event_call(handler, "s", {"items": [{"name": "a", "qty": "2"}, {"name": "b"}]}) == [Item("a", 2), Item("b")]
    # inputs_for: items[0][name]=a&items[1][name]=b&items[10][name]=c, ordered by index
    indexed = {"items": {"1": {"name": "b"}, "0": {"name": "a"}, "10": {"name": "c"}}}
    assert event_call(handler, "s", indexed) == [Item("a"), Item("b"), Item("c")]
    with pytest.raises(ParamError, match=r"'items\[1\]\.qty': expected int"):
        event_call(handler, "s", {"items": [{"name": "a"}, {"name": "b", "qty": "x"}]})


# --------------------------------------------------------------------------- missing values, defaults


def test_missing_required_parameter():
    view = FormLive()
    with pytest.raises(ParamError, match=r"^missing required parameter 'email'$") as info:
        event_call(view.handle_event, "save", {"name": "Jo"})
    assert info.value.name == "email" and info.value.value is None


def test_optional_without_default_is_none_when_missing():
    async def handler(socket, q: Optional[str], n: int | None):
        return q, n

    assert event_call(handler, "s", {}) == (None, None)
    assert event_call(handler, "s", {"q": "", "n": ""}) == ("", None)


def test_unannotated_parameters():
    async def handler(socket, a, b=5, c=None):
        return a, b, c

    assert params_call(handler, "a=1&c=x&c=y") == ("1", 5, ["x", "y"])
    assert event_call(handler, "e", {"a": ["one"], "b": {"k": 1}}) == ("one", {"k": 1}, None)
    with pytest.raises(ParamError, match="missing required parameter 'a'"):
        event_call(handler, "e", {})


def test_var_keyword_gets_remaining_values_unconverted():
    async def handler(socket, page: int = 1, **rest):
        return page, rest

    assert params_call(handler, "page=2&q=x&tag=a&tag=b") == (2, {"q": ["x"], "tag": ["a", "b"]})

    async def with_dc(socket, paging: PagingParams, **rest):
        return paging, rest

    # dataclass fields are consumed too; reserved names never show up in **rest
    assert params_call(with_dc, "page=3&q=x&socket=s") == (PagingParams(3), {"q": ["x"]})


def test_var_positional_is_ignored():
    async def handler(socket, *args, n: int):
        return args, n

    assert event_call(handler, "e", {"n": "1", "args": "x"}) == ((), 1)


def test_positional_only_and_keyword_only():
    def handler(socket, a: int, /, b: int = 2, *, c: int = 3):
        return a, b, c

    plan = plan_for(handler)
    assert plan.arguments({"socket": SOCKET}, {"a": "1", "c": "9"}) == ([SOCKET, 1], {"c": 9})
    assert run(plan.call(handler, {"socket": SOCKET}, {"a": "1", "b": "5"})) == (1, 5, 3)

    def defaults(socket, a: int = 7, /):
        return a

    assert run(plan_for(defaults).call(defaults, {"socket": SOCKET}, {})) == 7


# --------------------------------------------------------------------------- plans


def test_plan_is_cached_per_function():
    def handler(socket, n: int):
        return n

    assert plan_for(handler) is plan_for(handler)
    assert isinstance(plan_for(handler), CallPlan)


def test_bound_methods_share_a_plan_and_skip_self():
    a, b = TodoLive(), TodoLive()
    plan = plan_for(a.on_toggle)
    assert plan is plan_for(a.on_toggle) is plan_for(b.on_toggle)
    args, kwargs = plan.arguments({"socket": SOCKET}, {"id": "1", "self": "ignored?"})
    assert args == [] and kwargs == {"socket": SOCKET, "id": 1}
    # the plain function keeps self as a parameter: a different plan
    unbound = plan_for(TodoLive.on_toggle)
    assert unbound is not plan and unbound is plan_for(TodoLive.on_toggle)
    assert run(unbound.call(TodoLive.on_toggle, {"socket": SOCKET, "self": a}, {"id": "2"})) == (
        "toggle", SOCKET, 2, False,
    )


def test_bound_method_plan_does_not_keep_the_instance_alive():
    import gc
    import weakref

    view = TodoLive()
    ref = weakref.ref(view)
    plan_for(view.on_toggle)
    del view
    gc.collect()
    assert ref() is None


def test_wrapped_partial_and_callable_objects():
    def deco(fn):
        @functools.wraps(fn)
        async def wrapper(*args, **kwargs):
            return await fn(*args, **kwargs)

        return wrapper

    class V:
        @deco
        async def on_x(self, socket, n: int):
            return n

    assert event_call(V().on_x, "x", {"n": "4"}) == 4

    def base(prefix: str, socket, n: int):
        return prefix, n

    part = functools.partial(base, "p")
    assert event_call(part, "x", {"n": "5"}) == ("p", 5)

    class Handler:
        def __call__(self, socket, n: int):
            return n

    assert event_call(Handler(), "x", {"n": "6"}) == 6


# --------------------------------------------------------------------------- conversion tables


@pytest.mark.parametrize(
    "raw, annotation, expected",
    [
        (["2"], int, 2),
        (["1", "2"], int, 2),
        ("-3", int, -3),
        (4, int, 4),
        (4.0, int, 4),
        (["1.5"], float, 1.5),
        (2, float, 2.0),
        ("x", str, "x"),
        (["a", "b"], str, "b"),
        (5, str, "5"),
        (["x"], Any, "x"),
        (["x", "y"], Any, ["x", "y"]),
        ({"a": 1}, Any, {"a": 1}),
        ("x", list, ["x"]),
        (["x", "y"], list, ["x", "y"]),
        ("1", list[int], [1]),
        (["1", "2"], list[int], [1, 2]),
        (("1", "2"), list[int], [1, 2]),
        (["1", "2", "1"], set[int], {1, 2}),
        (["1", "2"], tuple[int, ...], (1, 2)),
        (["1", "x"], tuple[int, str], (1, "x")),
        ({"a": "1"}, dict, {"a": "1"}),
        ({"a": "1"}, dict[str, int], {"a": 1}),
        (None, Optional[int], None),
        ("", Optional[int], None),
        ([""], Optional[int], None),
        ("", int | None, None),
        ("", Optional[str], ""),
        ("3", Optional[int], 3),
        ([], Optional[int], None),
        ("", Optional[bool], None),
        (["b"], Literal["a", "b"], "b"),
        ("2", Literal[1, 2], 2),
        (2, Literal[1, 2], 2),
        ("red", Color, Color.RED),
        (["green"], Color, Color.GREEN),
        (Color.RED, Color, Color.RED),
        ("2", Level, Level.HIGH),
        (1, Level, Level.LOW),
        (["7"], Annotated[int, "meta"], 7),
        ("1", int | str, 1),
        ("x", int | str, "x"),
        ("1", str | int, "1"),
        ("2024-05-01", datetime.date, datetime.date(2024, 5, 1)),
        (["1.10"], Decimal, Decimal("1.10")),
        ("12345678-1234-5678-1234-567812345678", uuid.UUID, uuid.UUID("12345678-1234-5678-1234-567812345678")),
        ({"street": "s", "zip": "1"}, Address, Address("s", 1)),
    ],
)
def test_convert(raw, annotation, expected):
    got = convert(raw, annotation, "p")
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("true", True), ("TRUE", True), ("on", True), ("On", True), ("1", True), ("yes", True), (True, True),
        (["false", "true"], True), (1, True),
        ("false", False), ("off", False), ("0", False), ("no", False), ("NO", False), ("", False), (False, False),
        (["true", "false"], False), (0, False),
    ],
)
def test_bool_table(raw, expected):
    assert convert(raw, bool, "flag") is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", None, {"a": 1}, 2, 0.5, []])
def test_bool_rejects(raw):
    with pytest.raises(ParamError) as info:
        convert(raw, bool, "flag")
    assert info.value.name == "flag" and info.value.expected == "bool"


@pytest.mark.parametrize(
    "raw, annotation, message",
    [
        (["abc"], int, "parameter 'p': expected int, got 'abc'"),
        ("1.5", int, "parameter 'p': expected int, got '1.5'"),
        (True, int, "parameter 'p': expected int, got True"),
        (False, float, "parameter 'p': expected float, got False"),
        (None, int, "parameter 'p': expected int, got None"),
        ({"a": 1}, str, "parameter 'p': expected str, got {'a': 1}"),
        (None, str, "parameter 'p': expected str, got None"),
        ("x", float, "parameter 'p': expected float, got 'x'"),
        ("c", Literal["a", "b"], "parameter 'p': expected Literal['a', 'b'], got 'c'"),
        ("blue", Color, "parameter 'p': expected Color, got 'blue'"),
        ("RED", Color, "parameter 'p': expected Color, got 'RED'"),  # by value, not by name
        (True, Level, "parameter 'p': expected Level, got True"),
        ("x", dict, "parameter 'p': expected dict, got 'x'"),
        (["1", "x"], list[int], "parameter 'p[1]': expected int, got 'x'"),
        ({"a": "x"}, dict[str, int], "parameter 'p[a]': expected int, got 'x'"),
        (["1"], tuple[int, int], "parameter 'p': expected tuple[int, int], got ['1']"),
        ("x", int | None, "parameter 'p': expected int, got 'x'"),
        ("x", int | float, "parameter 'p': expected int | float, got 'x'"),
        ("x", Address, "parameter 'p': expected Address, got 'x'"),
        ({"street": "s"}, Address, "missing required parameter 'p.zip'"),
    ],
)
def test_conversion_errors_name_the_parameter(raw, annotation, message):
    with pytest.raises(ParamError) as info:
        convert(raw, annotation, "p")
    assert str(info.value) == message


def test_class_constructor_failure_is_a_param_error():
    with pytest.raises(ParamError, match=r"parameter 'd': expected date, got 'nope'") as info:
        convert("nope", datetime.date, "d")
    assert isinstance(info.value.__cause__, ValueError)


def test_param_error_attributes():
    err = ParamError("page", "abc", "int")
    assert isinstance(err, ValueError)
    assert (err.name, err.value, err.expected, str(err)) == ("page", "abc", "int", "parameter 'page': expected int, got 'abc'")
    with pytest.raises(ParamError, match="expected int") as info:
        params_call(UsersLive().handle_params, "page=abc")
    assert (info.value.name, info.value.value, info.value.expected) == ("page", "abc", "int")


def test_literal_enum_and_optional_through_a_handler():
    async def handler(socket, sort: Literal["id", "name"] = "id", color: Color = Color.RED, limit: int | None = None):
        return sort, color, limit

    assert params_call(handler, "sort=name&color=green&limit=") == ("name", Color.GREEN, None)
    assert params_call(handler, "") == ("id", Color.RED, None)
    with pytest.raises(ParamError, match="'sort': expected Literal"):
        params_call(handler, "sort=age")


def test_list_param_from_url_and_form():
    async def handler(socket, tags: list[str] = [], ids: set[int] = frozenset()):  # noqa: B006
        return tags, ids

    assert params_call(handler, "tags=a&tags=b&ids=1&ids=2&ids=1") == (["a", "b"], {1, 2})
    assert event_call(handler, "e", {"tags": "solo"}) == (["solo"], frozenset())


# --------------------------------------------------------------------------- property tests


@given(st.integers())
def test_int_round_trip(n):
    assert convert(str(n), int, "n") == n
    assert convert([str(n)], int, "n") == n
    assert convert([str(n)], Optional[int], "n") == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trip(x):
    assert convert(repr(x), float, "x") == x
    assert convert([str(x)], float, "x") == x


@pytest.mark.parametrize("text", ["1_000", " 5", "5 ", "\u0663", "0x10", "5.0", "", "+", "１"])
def test_int_text_is_ascii_digits_with_an_optional_sign(text):
    # Python's int() takes underscores, surrounding spaces and other scripts' digits; a URL should not.
    with pytest.raises(ParamError, match="expected int"):
        convert(text, int, "n")


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e999", "1_0.5", " 1.5", "\u0663.5", "0x1p3", "."])
def test_float_text_is_a_finite_decimal_number(text):
    with pytest.raises(ParamError, match="expected float"):
        convert(text, float, "x")


@given(st.text())
def test_str_round_trip(s):
    assert convert([s], str, "s") == s
    assert convert(s, str, "s") == s


@given(st.booleans())
def test_bool_round_trip(b):
    assert convert(str(b).lower(), bool, "b") is b
    assert convert(["on" if b else "off"], bool, "b") is b


@given(st.lists(st.integers(-(10**6), 10**6)))
def test_int_list_round_trip(xs):
    assert convert([str(x) for x in xs], list[int], "xs") == xs


@given(st.sampled_from(list(Color)))
def test_enum_round_trip(c):
    assert convert(c.value, Color, "c") is c


@given(st.integers(-(10**6), 10**6), st.integers(1, 1000), st.sampled_from(["id", "name", "a b"]))
def test_dataclass_round_trip_through_a_query_string(page, per_page, sort):
    from urllib.parse import urlencode

    query = urlencode({"page": page, "per_page": per_page, "sort": sort})
    assert params_call(PagingLive().handle_params, query) == ("paging", SOCKET, PagingParams(page, per_page, sort))


# --------------------------------------------------------------------------- annotations checked at class definition


def _view_with_typo(kind: str) -> type:
    """A view whose ``kind`` handler annotates ``page`` with the typo ``itn``."""
    if kind == "handle_params":

        class TypoView(LiveView):
            async def handle_params(self, socket, page: itn = 1):  # noqa: F821
                pass

    elif kind == "handle_event":

        class TypoView(LiveView):
            async def handle_event(self, event, socket, page: itn = 1):  # noqa: F821
                pass

    else:

        class TypoView(LiveView):
            @event("go")
            async def go(self, socket, page: itn = 1):  # noqa: F821
                pass

    return TypoView


@pytest.mark.parametrize(("kind", "method"), [
    ("handle_params", "handle_params"),
    ("handle_event", "handle_event"),
    ("@event", "go"),
])
def test_a_misspelt_annotation_fails_when_the_view_is_defined(kind, method):
    with pytest.raises(TypeError) as info:
        _view_with_typo(kind)
    assert str(info.value).endswith(
        f"TypoView.{method}: the annotation of parameter 'page' ('itn') does not resolve: "
        "name 'itn' is not defined (define the type before the class, or import it)"
    )


def test_an_unresolvable_name_inside_a_generic_is_reported():
    with pytest.raises(TypeError, match=r"parameter 'ids' \('list\[Itme\]'\) does not resolve: name 'Itme'"):

        class V(LiveView):
            async def handle_params(self, socket, ids: list[Itme] = ()):  # noqa: F821
                pass


def test_an_invalid_annotation_expression_is_reported():
    with pytest.raises(TypeError, match=r"V\.handle_params: .*parameter 'n'.* does not resolve: SyntaxError"):

        class V(LiveView):
            async def handle_params(self, socket, n: "list[int" = 1):  # noqa: F722
                pass


def test_a_misspelt_dataclass_field_fails_when_the_view_is_defined():
    with pytest.raises(TypeError) as info:

        class V(LiveView):
            async def handle_params(self, socket, paging: BadPaging):
                pass

    assert "V.handle_params: the annotation of field 'page' of the dataclass BadPaging ('itn') does not resolve" in str(
        info.value
    )
    with pytest.raises(TypeError, match="field 'page' of the dataclass BadPaging"):

        class W(LiveView):
            @event
            async def save(self, socket, pages: list[BadPaging] | None = None):
                pass


def test_a_type_local_to_a_function_is_not_visible():
    """With ``from __future__ import annotations`` such names are gone once the function returns,
    so the error must say so now rather than bind raw strings later."""
    LocalType = int  # noqa: F841 - deliberately only a local name

    with pytest.raises(TypeError, match="name 'LocalType' is not defined"):

        class V(LiveView):
            async def handle_params(self, socket, n: LocalType = 1):  # noqa: F821
                pass


def test_unannotated_any_and_reserved_parameters_are_accepted():
    class V(LiveView):
        async def mount(self, socket: ConnectedLiveViewSocket, session: Sesssion):  # noqa: F821 - not a handler
            pass

        async def handle_params(self, url: ParseResultT, params: QueryT, socket: ConnectedLiveViewSocket):  # noqa: F821
            return url, params, socket

        async def handle_event(self, event: EventNameT, payload: PayloadT, socket, extra: Any = None, other=None):  # noqa: F821
            return event, payload, extra, other

        @event("go")
        async def go(self, socket: ConnectedLiveViewSocket, to: str, **rest: Any):  # noqa: F821
            return to, rest

        def helper(self, x: NotAHandler):  # noqa: F821 - not a handler: never bound
            return x

    view = V()
    assert params_call(view.handle_params, "a=1")[1] == {"a": ["1"]}
    assert event_call(view.handle_event, "e", {"extra": "x"}) == ("e", {"extra": "x"}, "x", None)
    assert event_call(view.go, "go", {"to": "/a", "k": "v"}) == ("/a", {"k": "v"})


class _NamespaceView(LiveView):
    """A type defined in the class body is checked, and binds, from the class namespace."""

    Direction = Literal["asc", "desc"]

    async def handle_params(self, socket, dir: Direction = "asc"):  # noqa: F821 - class namespace
        return dir


def test_types_from_the_class_namespace_resolve_and_convert():
    assert params_call(_NamespaceView().handle_params, "dir=desc") == "desc"
    with pytest.raises(ParamError, match=r"'dir': expected Literal\['asc', 'desc'\], got 'up'"):
        params_call(_NamespaceView().handle_params, "dir=up")


def test_inherited_handlers_are_not_checked_again():
    """A subclass inherits a handler whose type lives in its parent's namespace: defining the
    subclass works and the handler binds as it does for the parent."""

    class Child(_NamespaceView):
        pass

    assert params_call(Child().handle_params, "dir=desc") == "desc"
    with pytest.raises(ParamError):
        params_call(Child().handle_params, "dir=up")


def test_check_annotations_returns_the_resolved_types():
    async def handler(socket: ConnectedLiveViewSocket, page: int, paging: Optional[PagingParams] = None):  # noqa: F821
        return page

    assert check_annotations(handler, "handler") == {"page": int, "paging": Optional[PagingParams]}

    async def broken(socket, page: itn):  # noqa: F821
        return page

    with pytest.raises(TypeError, match=r"^my_module\.broken: the annotation of parameter 'page'"):
        check_annotations(broken, "my_module.broken")


# --------------------------------------------------------------------------- bind, then call


def test_arguments_binds_without_calling_the_handler():
    """A ParamError from ``arguments`` is the client's fault (the values do not fit); the handler
    runs only afterwards, so a ParamError its own code raises is told apart (a crash)."""
    calls = []

    async def handler(socket, page: int):
        calls.append(page)
        raise ParamError("page", page, "int", "the handler's own bug")

    plan = plan_for(handler)
    with pytest.raises(ParamError) as info:
        plan.arguments({"socket": SOCKET}, {"page": "x"})
    assert (info.value.name, info.value.value) == ("page", "x")
    args, kwargs = plan.arguments({"socket": SOCKET}, {"page": ["3"]})
    assert (args, kwargs) == ([], {"socket": SOCKET, "page": 3})
    assert calls == []  # binding never ran the handler
    with pytest.raises(ParamError, match="the handler's own bug"):
        run(handler(*args, **kwargs))
    assert calls == [3]


_CLIENT_ANNOTATIONS = [
    int, float, bool, str, Any, Optional[int], Literal["a", 1], Color, Level, list[int], set[str],
    tuple[int, str], tuple[int, ...], dict[str, int], datetime.date, datetime.datetime, uuid.UUID,
    Decimal, int | str, Annotated[int, "meta"], PagingParams, Optional[User], Range, list[Item],
]


def _handler_of(annotation):
    """A handler taking one parameter ``v`` annotated with ``annotation`` (built once, so its
    plan is cached like a real handler's)."""

    async def handler(socket, v):
        raise AssertionError("arguments() must not call the handler")

    handler.__annotations__ = {"v": annotation}
    return handler


_CLIENT_HANDLERS = [_handler_of(a) for a in _CLIENT_ANNOTATIONS]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=8,
)
_client_values = st.one_of(
    _json,
    st.sampled_from(["1", "0", "-2", "1.5", "1e999", "true", "", "red", "a", "2024-01-02", str(uuid.UUID(int=7))]),
    st.lists(st.sampled_from(["1", "x", "", "2024-01-02T03:04"]), max_size=3),
)
# the value itself under "v", and sometimes dataclass fields beside it (gathered from the values)
_field_names = st.sampled_from(["v", "page", "per_page", "sort", "name", "age", "address", "lo", "hi", "qty"])


@given(st.sampled_from(_CLIENT_HANDLERS), st.dictionaries(_field_names, _client_values))
def test_arguments_raises_only_param_error_on_client_values(handler, values):
    """Whatever a client sends, binding either succeeds or raises a ParamError naming the
    parameter: any other exception would be reported as a crash of the view, not a bad request."""
    try:
        args, kwargs = plan_for(handler).arguments({"socket": SOCKET}, values)
    except ParamError as exc:
        assert exc.name.split(".")[0].split("[")[0] == "v", exc
        return
    assert args == [] and kwargs["socket"] is SOCKET and set(kwargs) == {"socket", "v"}
