"""Form payload decoding (PROTOCOL.md §6.1): Rack/Plug nested params and Phoenix's meta merge."""

from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyview_core.forms import FormError, decode_form, merge_meta

# --------------------------------------------------------------------------- decode_form


def test_protocol_example():
    value = "user%5Bname%5D=Jo&user%5B_unused_ok%5D=&tags%5B%5D=a&tags%5B%5D=b&n=1"
    assert decode_form(value) == {"user": {"name": "Jo", "_unused_ok": ""}, "tags": ["a", "b"], "n": "1"}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {}),
        ("a=1", {"a": "1"}),
        ("a[b]=1", {"a": {"b": "1"}}),
        ("a[b][c]=1&a[b][d]=2&a[e]=3", {"a": {"b": {"c": "1", "d": "2"}, "e": "3"}}),
        ("a[]=1&a[]=2", {"a": ["1", "2"]}),
        ("a[b][]=1&a[b][]=2", {"a": {"b": ["1", "2"]}}),
        # lists of maps: a new map starts when its key repeats
        ("a[][x]=1&a[][x]=2", {"a": [{"x": "1"}, {"x": "2"}]}),
        ("a[][x]=1&a[][y]=2", {"a": [{"x": "1", "y": "2"}]}),
        ("a[][x]=1&a[][y]=2&a[][x]=3&a[][y]=4", {"a": [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]}),
        ("a[][x][y]=1&a[][x][z]=2&a[][x][y]=3", {"a": [{"x": {"y": "1", "z": "2"}}, {"x": {"y": "3"}}]}),
        # a path through a further [] never counts as present (Rack): the values collect
        ("a[][t][]=1&a[][t][]=2", {"a": [{"t": ["1", "2"]}]}),
        ("a[][n]=x&a[][t][]=1&a[][n]=y&a[][t][]=2", {"a": [{"n": "x", "t": ["1"]}, {"n": "y", "t": ["2"]}]}),
        # Phoenix inputs_for names: indexed maps, kept as maps
        ("items[0][name]=a&items[1][name]=b", {"items": {"0": {"name": "a"}, "1": {"name": "b"}}}),
        # repeated plain keys: the last one wins (Plug)
        ("a=1&a=2", {"a": "2"}),
        ("a[b]=1&a[b]=2", {"a": {"b": "2"}}),
        # blanks and missing "="
        ("a=&b", {"a": "", "b": ""}),
        ("a[]=&a[]=", {"a": ["", ""]}),
        # + is a space, %2B a plus; percent-encoded and literal brackets mean the same
        ("q=a+b%2Bc&x+y=1", {"q": "a b+c", "x y": "1"}),
        ("u%5Bn%5D=1&u[m]=2", {"u": {"n": "1", "m": "2"}}),
        ("name=J%C3%B6rg+%E2%9C%93", {"name": "Jörg ✓"}),
        ("k=a%3Db%26c", {"k": "a=b&c"}),
        # empty pairs and empty keys are skipped
        ("&a=1&&b=2&", {"a": "1", "b": "2"}),
        ("=x&a=1", {"a": "1"}),
    ],
)
def test_decode(query, expected):
    assert decode_form(query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        # only a key ending in "]" that contains "[" nests (Plug.Conn.Query); the rest is literal
        ("a[b=1", {"a[b": "1"}),
        ("]=1", {"]": "1"}),
        ("a]=1", {"a]": "1"}),
        ("a[b]c=1", {"a[b]c": "1"}),
        ("a[b][c=1", {"a[b][c": "1"}),
        ("[=1", {"[": "1"}),
        # ... and such a key splits at the first "[" and then on "]["
        ("a[b]c]=1", {"a": {"b]c": "1"}}),
        ("a[[b]]=1", {"a": {"[b]": "1"}}),
        ("[a]=1", {"": {"a": "1"}}),
        ("a[]]=1", {"a": {"]": "1"}}),
    ],
)
def test_malformed_keys_are_literal_as_in_plug(query, expected):
    assert decode_form(query) == expected


@pytest.mark.parametrize(
    "query, key",
    [
        ("a=1&a[b]=2", "'a' is used both as a scalar and as a map"),
        ("a[b]=2&a=1", "'a' is used both as a map and as a scalar"),
        ("a=1&a[]=2", "'a' is used both as a scalar and as a list"),
        ("a[]=1&a[b]=2", "'a' is used both as a list and as a map"),
        ("a[b]=1&a[]=2", "'a' is used both as a map and as a list"),
        ("a[]=1&a=2", "'a' is used both as a list and as a scalar"),
        ("user[name]=1&user[name][first]=2", "'user[name]' is used both as a scalar and as a map"),
        ("a[][x]=1&a[][x][y]=2", "'a[][x]' is used both as a scalar and as a map"),
    ],
)
def test_scalar_and_nested_use_of_one_key_is_an_error(query, key):
    with pytest.raises(FormError, match=key.replace("[", r"\[").replace("]", r"\]")):
        decode_form(query)


def test_form_error_is_a_value_error():
    assert issubclass(FormError, ValueError)


def test_max_fields():
    ok = "&".join(f"f{i}=x" for i in range(10))
    assert len(decode_form(ok, max_fields=10)) == 10
    with pytest.raises(FormError, match="11 fields, more than the limit of 10"):
        decode_form(ok + "&f10=x", max_fields=10)
    # empty segments are not fields
    assert len(decode_form("&&" + ok + "&&&", max_fields=10)) == 10


def test_max_fields_default_is_1000():
    decode_form("&".join(["a[]=1"] * 1000))
    with pytest.raises(FormError, match="limit of 1000"):
        decode_form("&".join(["a[]=1"] * 1001))


def test_max_depth():
    assert decode_form("a[b][c]=1", max_depth=2) == {"a": {"b": {"c": "1"}}}
    with pytest.raises(FormError, match="nests 3 levels deep, more than the limit of 2"):
        decode_form("a[b][c][d]=1", max_depth=2)
    with pytest.raises(FormError, match="limit of 2"):
        decode_form("a[][][]=1", max_depth=2)
    decode_form("a" + "[x]" * 32 + "=1")
    with pytest.raises(FormError, match="limit of 32"):
        decode_form("a" + "[x]" * 33 + "=1")


def test_invalid_utf8_is_a_form_error():
    with pytest.raises(FormError, match="UTF-8"):
        decode_form("a=%FF")


def test_lone_percent_is_kept():
    assert decode_form("a=100%&b=%zz") == {"a": "100%", "b": "%zz"}


# --------------------------------------------------------------------------- round trip

_KEY = st.text(st.characters(blacklist_characters="[]", blacklist_categories=("Cs",)), min_size=1, max_size=6)
_LEAF = st.text(max_size=6)
_STR_LIST = st.lists(_LEAF, min_size=1, max_size=3)


@st.composite
def _dict_list(draw):
    """A list of maps that survives encoding: every map starts with the same scalar key."""
    keys = draw(st.lists(_KEY, min_size=1, max_size=3, unique=True))
    items = []
    for _ in range(draw(st.integers(1, 3))):
        item = {keys[0]: draw(_LEAF)}
        for key in keys[1:]:
            item[key] = draw(st.one_of(_LEAF, _STR_LIST))
        items.append(item)
    return items


_VALUE = st.recursive(
    st.one_of(_LEAF, _STR_LIST, _dict_list()),
    lambda children: st.dictionaries(_KEY, children, min_size=1, max_size=3),
    max_leaves=10,
)
_FORM = st.dictionaries(_KEY, _VALUE, max_size=4)


def encode_form(params: dict, plus: bool = False) -> str:
    """A small URLSearchParams-style encoder: nested maps as k[sub], lists as k[] (maps as k[][sub])."""
    enc = quote_plus if plus else (lambda s: quote(s, safe=""))
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value):
        if isinstance(value, str):
            pairs.append((prefix, value))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    for k, v in item.items():
                        walk(f"{prefix}[][{k}]", v)
                else:
                    pairs.append((f"{prefix}[]", item))
        else:
            for k, v in value.items():
                walk(f"{prefix}[{k}]", v)

    for key, value in params.items():
        walk(key, value)
    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)


@given(_FORM, st.booleans())
def test_round_trip(params, plus):
    assert decode_form(encode_form(params, plus), max_fields=10_000) == params


@given(st.text(max_size=40))
def test_any_text_decodes_or_raises_form_error(text):
    try:
        result = decode_form(text)
    except FormError:
        return
    assert isinstance(result, dict)


# --------------------------------------------------------------------------- merge_meta


def test_merge_meta_protocol_example():
    params = decode_form("user%5Bname%5D=Jo&user%5B_unused_ok%5D=&user%5Bok%5D=true")
    merged = merge_meta(params, {"_target": "user[name]"})
    assert merged == {"user": {"name": "Jo", "_unused_ok": "", "ok": "true"}, "_target": ["user", "name"]}


@pytest.mark.parametrize(
    "target, path",
    [
        ("name", ["name"]),
        ("user[name]", ["user", "name"]),
        ("user[address][street]", ["user", "address", "street"]),
        ("tags[]", ["tags"]),
        ("items[][name]", ["items", "name"]),
        ("items[0][name]", ["items", "0", "name"]),
        ("", []),
    ],
)
def test_target_becomes_a_path(target, path):
    assert merge_meta({}, {"_target": target})["_target"] == path


def test_meta_values_win_and_params_are_not_modified():
    params = {"id": "from-form", "q": "x"}
    merged = merge_meta(params, {"id": "7", "kind": "row", "_target": "q"})
    assert merged == {"id": "7", "q": "x", "kind": "row", "_target": ["q"]}
    assert params == {"id": "from-form", "q": "x"}


def test_target_list_is_kept_and_no_meta_is_fine():
    assert merge_meta({"a": "1"}, {"_target": ["a"]}) == {"a": "1", "_target": ["a"]}
    assert merge_meta({"a": "1"}, None) == {"a": "1"}
    assert merge_meta({"a": "1"}, {}) == {"a": "1"}
    # a form field literally named _target is turned into a path too, as in Phoenix
    assert merge_meta({"_target": "a[b]"}, None) == {"_target": ["a", "b"]}
