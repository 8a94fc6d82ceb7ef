"""Security primitives (PROTOCOL.md §8): what a user or an attacker would observe."""

from __future__ import annotations

import base64
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import timed

from pyview_core.security import (
    ConfigurationError,
    InvalidToken,
    TokenSigner,
    UnsafeRedirect,
    build_path,
    check_local_path,
    csrf_valid,
    mask_csrf,
    new_csrf_secret,
    new_view_id,
    origin_allowed,
    resolve_secret,
)

SECRET = "s" * 40
TWO_WEEKS = 14 * 24 * 3600

# Whatever a client can put into a JSON string, a header or a query parameter.
garbage_text = st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")))
garbage_any = st.one_of(
    garbage_text, st.none(), st.integers(), st.binary(), st.lists(st.text()), st.booleans()
)


# ------------------------------------------------------------------------------ resolve_secret


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("PYVIEW_SECRET_KEY", raising=False)
    monkeypatch.delenv("PYVIEW_ENV", raising=False)
    return monkeypatch


def test_explicit_secret_wins_over_environment(clean_env):
    clean_env.setenv("PYVIEW_SECRET_KEY", "e" * 40)
    assert resolve_secret("x" * 40, production=True) == "x" * 40


def test_environment_secret_is_used(clean_env):
    clean_env.setenv("PYVIEW_SECRET_KEY", "e" * 40)
    assert resolve_secret(production=True) == "e" * 40


@pytest.mark.parametrize("env_value", [None, ""])
def test_production_without_secret_refuses_to_start(clean_env, env_value):
    clean_env.setenv("PYVIEW_ENV", "production")
    if env_value is not None:
        clean_env.setenv("PYVIEW_SECRET_KEY", env_value)
    with pytest.raises(ConfigurationError, match="PYVIEW_SECRET_KEY"):
        resolve_secret()


def test_production_flag_overrides_environment(clean_env):
    clean_env.setenv("PYVIEW_ENV", "development")
    with pytest.raises(ConfigurationError, match="PYVIEW_SECRET_KEY"):
        resolve_secret(production=True)


def test_production_refuses_short_secret_without_leaking_it(clean_env):
    short = "hunter2-hunter2-hunter2-1234567"  # 31 characters
    assert len(short) == 31
    with pytest.raises(ConfigurationError, match="PYVIEW_SECRET_KEY") as info:
        resolve_secret(short, production=True)
    assert short not in str(info.value)
    assert resolve_secret(short + "8", production=True) == short + "8"


def test_development_generates_a_random_secret_and_warns(clean_env, caplog):
    with caplog.at_level(logging.WARNING, logger="pyview_core"):
        first = resolve_secret()
        second = resolve_secret()
    assert first != second
    assert len(first) >= 32  # would also be acceptable in production
    warnings = [
        r for r in caplog.records if r.name == "pyview_core" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 2
    message = warnings[0].getMessage()
    assert "random development secret" in message
    assert "restart" in message
    assert "PYVIEW_SECRET_KEY" in message
    assert first not in message


def test_development_with_a_secret_does_not_warn(clean_env, caplog):
    with caplog.at_level(logging.WARNING, logger="pyview_core"):
        assert resolve_secret("k" * 40) == "k" * 40
    assert not caplog.records


def test_production_env_value_is_not_case_sensitive(clean_env):
    clean_env.setenv("PYVIEW_ENV", "Production")
    with pytest.raises(ConfigurationError):
        resolve_secret()


# ------------------------------------------------------------------------------ TokenSigner


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
payloads = st.dictionaries(st.text(), json_values, max_size=6)


@given(payloads, st.sampled_from(["session", "static", "flash"]))
def test_token_round_trip(payload, purpose):
    signer = TokenSigner(SECRET)
    token = signer.sign(purpose, payload)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)  # safe in an HTML attribute and a URL
    assert signer.load(purpose, token, max_age=TWO_WEEKS) == payload


def test_token_loads_with_a_new_signer_for_the_same_secret():
    token = TokenSigner(SECRET).sign("session", {"id": "phx-1"})
    assert TokenSigner(SECRET).load("session", token, max_age=TWO_WEEKS) == {"id": "phx-1"}


def test_token_from_another_secret_is_refused():
    token = TokenSigner("a" * 40).sign("session", {"id": "phx-1"})
    with pytest.raises(InvalidToken, match="signature"):
        TokenSigner("b" * 40).load("session", token, max_age=TWO_WEEKS)


@given(st.data())
def test_flipping_any_character_is_detected(data):
    signer = TokenSigner(SECRET)
    token = signer.sign("session", {"id": "phx-1", "view": "app.Home", "user_id": 7})
    i = data.draw(st.integers(0, len(token) - 1), label="index")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != token[i]]), label="char")
    tampered = token[:i] + replacement + token[i + 1 :]
    try:
        loaded = signer.load("session", tampered, max_age=TWO_WEEKS)
    except InvalidToken:
        return
    # Base64 without padding: a change confined to the unused low bits of the last character
    # decodes to the same bytes, so it is not tampering at all.
    assert loaded == {"id": "phx-1", "view": "app.Home", "user_id": 7}
    assert i == len(token) - 1


def test_tampered_payload_with_original_signature_is_refused():
    signer = TokenSigner(SECRET)
    token = signer.sign("session", {"user_id": 1})
    forged_payload = base64.urlsafe_b64encode(b'{"user_id":2}').rstrip(b"=").decode()
    forged = forged_payload + token[token.index(".") :]
    with pytest.raises(InvalidToken, match="signature"):
        signer.load("session", forged, max_age=TWO_WEEKS)


@pytest.mark.parametrize(
    ("signed_as", "loaded_as"),
    [("static", "session"), ("session", "static"), ("flash", "session"), ("session", "flash")],
)
def test_token_for_one_purpose_does_not_load_as_another(signed_as, loaded_as):
    signer = TokenSigner(SECRET)
    token = signer.sign(signed_as, {"id": "phx-1"})
    with pytest.raises(InvalidToken):
        signer.load(loaded_as, token, max_age=TWO_WEEKS)


def test_negative_max_age_means_expired():
    signer = TokenSigner(SECRET)
    token = signer.sign("flash", {"info": "saved"})
    with pytest.raises(InvalidToken, match="expired"):
        signer.load("flash", token, max_age=-1)


def test_flash_expires_after_sixty_seconds(monkeypatch):
    signer = TokenSigner(SECRET)
    now = 1_700_000_000.0
    monkeypatch.setattr(timed.time, "time", lambda: now)
    token = signer.sign("flash", {"info": "saved"})

    monkeypatch.setattr(timed.time, "time", lambda: now + 60)
    assert signer.load("flash", token, max_age=60) == {"info": "saved"}

    monkeypatch.setattr(timed.time, "time", lambda: now + 61)
    with pytest.raises(InvalidToken, match="expired"):
        signer.load("flash", token, max_age=60)


def test_token_from_the_future_is_refused(monkeypatch):
    signer = TokenSigner(SECRET)
    now = 1_700_000_000.0
    monkeypatch.setattr(timed.time, "time", lambda: now + 3600)
    token = signer.sign("session", {"id": "phx-1"})
    monkeypatch.setattr(timed.time, "time", lambda: now)
    with pytest.raises(InvalidToken):
        signer.load("session", token, max_age=TWO_WEEKS)


def test_missing_max_age_is_a_programming_error():
    signer = TokenSigner(SECRET)
    token = signer.sign("session", {})
    with pytest.raises(TypeError):
        signer.load("session", token, max_age=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "token", [None, "", 42, b"abc", ["x"], {"a": 1}, "not-a-token", "a.b.c", "é.é"]
)
def test_malformed_tokens_raise_invalid_token(token):
    with pytest.raises(InvalidToken):
        TokenSigner(SECRET).load("static", token, max_age=TWO_WEEKS)


@given(garbage_text)
def test_garbage_tokens_only_ever_raise_invalid_token(token):
    with pytest.raises(InvalidToken):
        TokenSigner(SECRET).load("session", token, max_age=TWO_WEEKS)


def test_signed_non_dict_payload_is_refused():
    # A token someone signed with our secret through itsdangerous directly, holding a list.
    signer = TokenSigner(SECRET)
    serializer = signer._serializer("session")
    token = serializer.dumps(["not", "a", "dict"])
    with pytest.raises(InvalidToken, match="malformed"):
        signer.load("session", token, max_age=TWO_WEEKS)


def test_empty_secret_is_refused():
    with pytest.raises(ConfigurationError):
        TokenSigner("")


def test_sign_refuses_non_dict_payload():
    with pytest.raises(TypeError):
        TokenSigner(SECRET).sign("session", ["x"])  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ CSRF


def test_csrf_secret_is_random_urlsafe_with_32_bytes():
    a, b = new_csrf_secret(), new_csrf_secret()
    assert a != b
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", a)  # 32 bytes, base64url, no padding


def test_masks_differ_on_every_render_yet_all_validate():
    secret = new_csrf_secret()
    masks = [mask_csrf(secret) for _ in range(50)]
    assert len(set(masks)) == 50
    assert all(csrf_valid(m, secret) for m in masks)
    assert all(secret not in m for m in masks)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", m) for m in masks)  # URL-safe as-is


@given(st.text(min_size=1))
def test_any_secret_round_trips(secret):
    assert csrf_valid(mask_csrf(secret), secret)


@given(st.text(min_size=1), st.text(min_size=1))
def test_a_mask_for_another_secret_fails(secret, other):
    if secret != other:
        assert not csrf_valid(mask_csrf(other), secret)


def test_a_mask_for_another_session_fails():
    assert not csrf_valid(mask_csrf(new_csrf_secret()), new_csrf_secret())


def test_tampered_mask_fails():
    secret = new_csrf_secret()
    masked = mask_csrf(secret)
    flipped = ("A" if masked[-5] != "A" else "B").join([masked[:-5], masked[-4:]])
    assert not csrf_valid(flipped, secret)


def test_the_unmasked_secret_is_not_a_valid_token():
    secret = new_csrf_secret()
    assert not csrf_valid(secret, secret)


@pytest.mark.parametrize(
    ("masked", "secret"),
    [
        (None, "s"),
        ("x", None),
        (None, None),
        ("", ""),  # an empty secret must never validate (an empty token would match it)
        (b"abc", "abc"),
        (123, "abc"),
        ("!!!!", "abc"),
        ("YWJj", "abc"),  # valid base64, wrong length
    ],
)
def test_csrf_bad_inputs_are_false(masked, secret):
    assert csrf_valid(masked, secret) is False


def test_csrf_rejects_non_alphabet_characters_that_lenient_decoders_skip():
    secret = new_csrf_secret()
    masked = mask_csrf(secret)
    assert not csrf_valid(masked[:10] + "!" + masked[10:], secret)
    assert not csrf_valid(masked[:10] + "\n" + masked[10:], secret)


@given(garbage_any, garbage_any)
def test_csrf_valid_never_raises(masked, secret):
    assert csrf_valid(masked, secret) in (True, False)


@given(garbage_text)
def test_garbage_never_validates_against_a_real_secret(masked):
    assert csrf_valid(masked, new_csrf_secret()) is False


# ------------------------------------------------------------------------------ view ids


def test_view_ids_look_like_phoenix_and_are_unique():
    ids = {new_view_id() for _ in range(1000)}
    assert len(ids) == 1000
    for view_id in ids:
        assert re.fullmatch(r"phx-[A-Za-z0-9_-]{16}", view_id)
        assert len(base64.urlsafe_b64decode(view_id[4:])) == 12


# ------------------------------------------------------------------------------ Origin


@pytest.mark.parametrize(
    ("origin", "host", "expected"),
    [
        ("http://localhost:8000", "localhost:8000", True),
        ("http://LocalHost:8000", "localhost:8000", True),
        ("https://example.com", "EXAMPLE.com", True),
        ("https://example.com", "example.com:443", True),
        ("https://example.com:443", "example.com", True),
        ("http://example.com", "example.com:80", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://localhost:8001", "localhost:8000", False),  # different port
        ("http://localhost", "localhost:8000", False),
        ("http://localhost:8000", "localhost", False),
        ("http://example.com", "example.com:443", False),  # http is port 80, not 443
        ("https://evil.com", "example.com", False),
        ("https://example.com.evil.com", "example.com", False),
        ("https://example.com@evil.com", "evil.com", False),  # userinfo never appears in Origin
        ("https://example.com/", "example.com", False),  # Origin never has a path
        ("https://exa\tmple.com", "example.com", False),
        ("ftp://example.com", "example.com", False),
        ("null", "example.com", False),
        ("", "example.com", False),
        ("https://example.com", None, False),
        ("https://example.com", "", False),
        ("https://example.com", "example.com:99999", False),
        # A non-browser client: it has no victim's cookies to ride on, and CSRF still applies.
        (None, "example.com", True),
        (None, None, True),
    ],
)
def test_same_host_origin_check(origin, host, expected):
    assert origin_allowed(origin, host) is expected


ALLOWED = ["https://app.example.com", "http://127.0.0.1:8000", "*.example.org", "example.net"]


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://app.example.com", True),
        ("https://APP.example.com:443", True),
        ("http://app.example.com", False),  # scheme is part of a full origin
        ("https://app.example.com:8443", False),
        ("https://other.example.com", False),
        ("http://127.0.0.1:8000", True),
        ("http://127.0.0.1:8001", False),
        ("https://a.example.org", True),
        ("https://a.b.example.org:8443", True),
        ("https://example.org", False),  # "*." means subdomains only
        ("https://evilexample.org", False),
        ("https://example.org.evil.com", False),
        ("https://example.net", True),
        ("http://example.net:3000", True),  # a host pattern allows any port and http(s)
        ("https://www.example.net", False),
        ("null", False),
        (None, True),
    ],
)
def test_allowlist_origin_check(origin, expected):
    # The Host header equals the origin's host on purpose: with an allowlist it no longer counts.
    assert origin_allowed(origin, "other.host", ALLOWED) is expected


def test_allowlist_replaces_the_same_host_rule():
    assert origin_allowed("http://localhost:8000", "localhost:8000", []) is False
    assert origin_allowed("http://localhost:8000", "localhost:8000", ["localhost:8000"]) is True
    assert origin_allowed("http://localhost:9000", "localhost:9000", ["localhost:8000"]) is False


def test_allowlist_wildcard_full_origin():
    assert origin_allowed("https://a.example.com", None, ["https://*.example.com"]) is True
    assert origin_allowed("http://a.example.com", None, ["https://*.example.com"]) is False


@pytest.mark.parametrize(
    "bad", ["https://", "*", "https://exa mple.com", "example.com/path", "x:99999"]
)
def test_malformed_allowlist_entry_is_a_configuration_error(bad):
    with pytest.raises(ConfigurationError):
        origin_allowed("https://example.com", "example.com", [bad])


def test_allowlist_as_a_single_string_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        origin_allowed("https://example.com", "example.com", "example.com")


hostnames = st.from_regex(
    r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?){0,3}", fullmatch=True
)


@given(hostnames, st.integers(1, 65535), st.integers(1, 65535))
def test_same_host_invariant(host, port, other_port):
    origin = f"http://{host}:{port}"
    assert origin_allowed(origin, f"{host.upper()}:{port}") is True
    if other_port != port:
        assert origin_allowed(origin, f"{host}:{other_port}") is False
    assert origin_allowed(origin, f"x{host}:{port}") is False


@given(st.one_of(garbage_text, st.none()), st.one_of(garbage_text, st.none()))
def test_origin_check_never_raises_on_client_input(origin, host):
    assert origin_allowed(origin, host) in (True, False)
    assert origin_allowed(origin, host, ALLOWED) in (True, False)


# ------------------------------------------------------------------------------ redirects

UNSAFE_PATHS = [
    "//evil.com",
    "/\\evil.com",
    "\\evil",
    "/\t/evil.com",
    "/\n/evil.com",
    "/%09/evil.com",
    "/%0A/evil.com",
    "/%0a/evil",
    "/a%09",
    "/a%0D%0ASet-Cookie:a?q=1",
    "/%00",
    "/x%1f#top",
    "/x%7F",
    "/x\r\nSet-Cookie:a",
    "/a?next=\r\nSet-Cookie:a",
    "/a#\n",
    "/x\x00",
    "/x\x7f",
    "/a\\b",
    "http://evil.com",
    "https://evil.com/",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " /leading-space",
    "",
    "relative",
    "./relative",
    "?q=1",
    "#top",
]


@pytest.mark.parametrize("path", UNSAFE_PATHS)
def test_unsafe_paths_are_refused_with_the_path_in_the_message(path):
    with pytest.raises(UnsafeRedirect) as info:
        check_local_path(path)
    assert repr(path) in str(info.value)


@pytest.mark.parametrize("value", [None, 1, b"/x", ["/x"]])
def test_non_string_targets_are_refused(value):
    with pytest.raises(UnsafeRedirect):
        check_local_path(value)  # type: ignore[arg-type]


def test_unsafe_redirect_is_a_value_error():
    with pytest.raises(ValueError):
        check_local_path("//evil.com")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/users?page=2",
        "/a/b#c",
        "/search?q=a%20b",
        "/caf%C3%A9",
        "/é",
        "/a//b",
        "/a:b",
        "/100%",
        "/a%20b%2F",
        # Encoded control characters after '?' or '#' are data the view decodes, not path.
        "/search?q=a%0Ab",
        "/a?next=%0d%0aSet-Cookie:a",
        "/a?tab=%09&nul=%00&del=%7f",
        "/a#line%0Abreak",
        "/a#frag?x=%0a",
    ],
)
def test_safe_paths_are_returned_unchanged(path):
    assert check_local_path(path) == path


def test_encoded_newline_in_a_search_query_is_accepted():
    """A search for a two-line text must be pushable as a patch, as build_path builds it."""
    target = build_path("/search", {"q": "a\nb"})
    assert target == "/search?q=a%0Ab"
    assert check_local_path(target) == target


@pytest.mark.parametrize("path", ["/%0a/evil", "/\t/evil.com", "/a%09", "/%0D%0A/x?q=ok"])
def test_control_characters_in_the_path_part_are_refused(path):
    with pytest.raises(UnsafeRedirect, match="control character"):
        check_local_path(path)


path_like = st.one_of(st.text(), st.text(alphabet="/\\\t\n\r%09aAdD:.x@ ").map(lambda s: "/" + s))


@given(path_like)
def test_accepted_paths_cannot_leave_the_site(path):
    try:
        check_local_path(path)
    except UnsafeRedirect:
        return
    # What a browser would do: strip tab/newline, treat "\" as "/".
    browser_view = path.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    assert browser_view.startswith("/") and not browser_view.startswith("//")


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/users", None, "/users"),
        ("/users", {}, "/users"),
        ("/users", {"page": 2}, "/users?page=2"),
        ("/users?sort=name", {"page": 2}, "/users?sort=name&page=2"),
        ("/users?", {"page": 2}, "/users?page=2"),
        ("/users#list", {"page": 2}, "/users?page=2#list"),
        ("/users?a=1#list", {"page": 2}, "/users?a=1&page=2#list"),
        ("/users?a=1&", {"page": 2}, "/users?a=1&page=2"),
        ("/users??", {"page": 2}, "/users??&page=2"),
        ("/users?a=?", {"page": 2}, "/users?a=?&page=2"),
        ("/users#a?b", {"page": 2}, "/users?page=2#a?b"),
        ("/s", {"active": True, "archived": False}, "/s?active=true&archived=false"),
        ("/s", {"q": None, "page": 1}, "/s?page=1"),
        ("/s", {"q": None}, "/s"),
        ("/s", {"tag": ["a", "b"]}, "/s?tag=a&tag=b"),
        ("/s", {"flag": [True, None, False]}, "/s?flag=true&flag=false"),
        ("/s", {"q": "a b&c=d"}, "/s?q=a+b%26c%3Dd"),
        ("/s", {"next": "//evil.com"}, "/s?next=%2F%2Fevil.com"),
        ("/s", {"q": "a\nb"}, "/s?q=a%0Ab"),
        ("/s", {"q": "é"}, "/s?q=%C3%A9"),
    ],
)
def test_build_path(path, params, expected):
    assert build_path(path, params) == expected


@pytest.mark.parametrize("path", ["//evil.com", "http://evil.com", "/\t/evil.com"])
def test_build_path_checks_the_path(path):
    with pytest.raises(UnsafeRedirect):
        build_path(path, {"a": 1})


_scalar_params = st.one_of(st.text(), st.integers(), st.booleans(), st.none())
query_params = st.dictionaries(st.text(), st.one_of(_scalar_params, st.lists(_scalar_params)))

# Path parts that are safe by construction: no control characters, backslash, '?' or '#', and
# '%' only as an escape of a printable character, so that nearly every example reaches the
# assertions below. Query and fragment take anything printable plus encoded controls.
_path_chars = st.characters(
    blacklist_categories=("Cc", "Cs"), blacklist_characters="\\?#%"
) | st.sampled_from(["%20", "%2F", "%25", "%C3%A9", "%3F", "%23", "%"])
_tail_chars = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\\") | (
    st.sampled_from(["%0a", "%0D", "%09", "%00", "%1F", "%7f", "&", "=", "?", "#"])
)
local_paths = st.builds(
    lambda path, query, fragment: "/" + path + query + fragment,
    st.lists(_path_chars).map("".join).filter(lambda s: not s.startswith("/")),
    st.one_of(st.just(""), st.lists(_tail_chars).map(lambda cs: "?" + "".join(cs))),
    st.one_of(st.just(""), st.lists(_tail_chars).map(lambda cs: "#" + "".join(cs))),
)


def _query_strings(value):
    """What build_path promises to put in the query for one value, as parse_qs returns it."""
    values = value if isinstance(value, list) else [value]
    return [
        ("true" if v else "false") if isinstance(v, bool) else str(v)
        for v in values
        if v is not None
    ]


@given(st.one_of(local_paths, path_like), query_params)
def test_build_path_results_are_accepted_and_round_trip(path, params):
    """Whatever build_path builds, check_local_path accepts: a patch to a search for a
    multi-line or control-character text must not crash the view that pushes it."""
    try:
        check_local_path(path)
    except UnsafeRedirect:
        with pytest.raises(UnsafeRedirect):
            build_path(path, params)
        return
    result = build_path(path, params)
    assert check_local_path(result) == result

    before, after = urlsplit(path), urlsplit(result)
    assert after.path == before.path
    assert after.fragment == before.fragment
    expected = parse_qs(before.query, keep_blank_values=True)
    for key, value in params.items():
        if _query_strings(value):
            expected[key] = expected.get(key, []) + _query_strings(value)
    assert parse_qs(after.query, keep_blank_values=True) == expected


@given(query_params)
def test_build_path_never_changes_the_target_path(params):
    result = build_path("/base", params)
    assert result == "/base" or result.startswith("/base?")
    # The query cannot smuggle in characters that would change where the browser goes.
    assert not any(c in result for c in "\\\t\r\n#")
