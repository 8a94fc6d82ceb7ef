"""Security primitives for the live runtime (PROTOCOL.md §1, §3 and §8).

Everything here is deliberately small and free of framework state so it can be reasoned about
and tested on its own:

* the signing secret (:func:`resolve_secret`) and signed tokens (:class:`TokenSigner`) for the
  ``data-phx-session`` / ``data-phx-static`` attributes and the flash;
* the masked CSRF token that the page's ``<meta name="csrf-token">`` hands to the socket;
* the ids of root views (:func:`new_view_id`);
* the WebSocket ``Origin`` check (:func:`origin_allowed`);
* the local-path rule for ``push_patch`` / ``push_navigate`` / ``redirect``
  (:func:`check_local_path`, :func:`build_path`).

Every check that looks at client input answers "no" (``False`` or a specific exception) for
malformed input instead of letting an unrelated exception escape, because an attacker controls
that input and an unexpected ``TypeError`` deep in a handler is both a crash and an oracle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Optional
from urllib.parse import urlencode

import orjson
from itsdangerous import BadData, BadPayload, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

__all__ = [
    "ConfigurationError",
    "InvalidToken",
    "TokenSigner",
    "UnsafeRedirect",
    "build_path",
    "check_local_path",
    "csrf_valid",
    "mask_csrf",
    "new_csrf_secret",
    "new_view_id",
    "origin_allowed",
    "resolve_secret",
]

logger = logging.getLogger("pyview_core")

SECRET_ENV = "PYVIEW_SECRET_KEY"
ENV_ENV = "PYVIEW_ENV"
MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The application is configured in a way that would make it insecure.

    A ``RuntimeError`` rather than a ``ValueError`` because it is raised at start-up about the
    deployment, not about one bad input, and should stop the process.
    """


# --------------------------------------------------------------------------------------------
# The signing secret
# --------------------------------------------------------------------------------------------


def production_from_env() -> bool:
    """``PYVIEW_ENV=production`` (stripped and lower-cased, so ``Production`` counts too): the one
    reading of the variable that the app, ``resolve_secret`` and ``pyview serve`` share."""
    return os.environ.get(ENV_ENV, "").strip().lower() == "production"


def resolve_secret(secret: str | None = None, *, production: bool | None = None) -> str:
    """Return the secret that signs session, static and flash tokens.

    The explicit ``secret`` wins, else the ``PYVIEW_SECRET_KEY`` environment variable; an empty
    string counts as "not set". ``production`` defaults to ``PYVIEW_ENV == "production"``
    (compared after stripping and lower-casing, so ``PYVIEW_ENV=Production`` does not silently
    fall back to development mode).

    In production a missing or short (< 32 characters) secret raises
    :class:`ConfigurationError`: anyone who can guess the secret can forge session tokens,
    i.e. mount any view with any session. In development a random secret is generated instead,
    so ``python app.py`` just works, and a WARNING says so, because every token (and therefore
    every open page) becomes invalid on the next restart.
    """
    if secret is not None and not isinstance(secret, str):
        raise TypeError(f"secret must be a str, not {type(secret).__name__}")
    value = secret if secret is not None else os.environ.get(SECRET_ENV)
    if production is None:
        production = production_from_env()

    if production:
        if not value:
            raise ConfigurationError(
                f"{SECRET_ENV} is not set. In production a fixed secret of at least "
                f"{MIN_SECRET_LENGTH} characters is required to sign session tokens; generate one "
                'with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        if len(value) < MIN_SECRET_LENGTH:
            # Never echo the secret itself: this message ends up in logs.
            raise ConfigurationError(
                f"{SECRET_ENV} is too short ({len(value)} characters); at least "
                f"{MIN_SECRET_LENGTH} are required in production"
            )
        return value

    if not value:
        logger.warning(
            "%s is not set: generated a random development secret. Sessions and signed tokens "
            "will not survive a restart (open pages will reload). Set %s to a fixed value of at "
            "least %d characters; it is required when %s=production.",
            SECRET_ENV,
            SECRET_ENV,
            MIN_SECRET_LENGTH,
            ENV_ENV,
        )
        return secrets.token_urlsafe(48)
    if len(value) < MIN_SECRET_LENGTH:
        logger.warning(
            "%s is shorter than %d characters; this is accepted in development but refused "
            "when %s=production.",
            SECRET_ENV,
            MIN_SECRET_LENGTH,
            ENV_ENV,
        )
    return value


# --------------------------------------------------------------------------------------------
# Signed tokens
# --------------------------------------------------------------------------------------------


class InvalidToken(ValueError):
    """A signed token was refused. The message says why (bad signature, expired, malformed).

    The reason is for logs; the client only ever sees ``{"reason": "stale"}`` (PROTOCOL §3.3).
    """


class _KeyOnceSigner(TimestampSigner):
    """itsdangerous's timestamp signer, deriving its key once instead of on every signature."""

    def derive_key(self, secret_key: Any = None) -> bytes:
        if secret_key is not None:
            return super().derive_key(secret_key)
        key = self.__dict__.get("_derived_key")
        if key is None:
            key = self._derived_key = super().derive_key()
        return key


class _OrjsonText:
    """The JSON codec of tokens (itsdangerous calls ``dumps``/``loads``)."""

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

    @staticmethod
    def loads(data: Any) -> Any:
        return orjson.loads(data)


class _TokenSerializer(URLSafeTimedSerializer):
    """itsdangerous's URL-safe timed serializer, made cheap enough for two tokens on every page.

    Every dead render signs a session and a static token; as shipped, each signature built a new
    signer, derived its key (an extra HMAC), tried zlib on ~150 bytes that never shrink, and
    encoded with the standard json module: ~50 µs a token. Here the signer is built once per
    salt, payloads are never compressed (``load_payload`` still reads compressed ones) and orjson
    encodes. The token format is itsdangerous's own, so either side reads the other's tokens.
    """

    default_signer = _KeyOnceSigner

    def make_signer(self, salt: Any = None) -> Any:
        signers = self.__dict__.setdefault("_signers", {})
        signer = signers.get(salt)
        if signer is None:
            signer = signers[salt] = super().make_signer(salt)
        return signer

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(self.serializer.dumps(obj))


class TokenSigner:
    """Signs and verifies JSON payloads with a timestamp, one salt per purpose.

    The salt is what makes a token signed for one purpose (say ``"static"``) fail to load as
    another (``"session"``): both may carry the same view id, and without distinct salts a
    client could swap them. Purposes the app uses are ``"session"`` (max age 2 weeks, as in
    Phoenix), ``"static"`` and ``"flash"`` (60 s); any other non-empty string gets its own salt.

    HMAC-SHA256 is used instead of itsdangerous's SHA-1 default; it costs nothing and avoids
    having to argue about SHA-1 in a review.
    """

    _SALT_PREFIX = "pyview.token."

    def __init__(self, secret: str) -> None:
        if not isinstance(secret, str) or not secret:
            # An empty key would make every token forgeable by anyone who reads this code.
            raise ConfigurationError("TokenSigner needs a non-empty secret (see resolve_secret)")
        self._secret = secret
        self._serializers: dict[str, _TokenSerializer] = {}

    def _serializer(self, purpose: str) -> _TokenSerializer:
        if not isinstance(purpose, str) or not purpose:
            raise ValueError(f"purpose must be a non-empty str, got {purpose!r}")
        serializer = self._serializers.get(purpose)
        if serializer is None:
            serializer = _TokenSerializer(
                self._secret,
                salt=self._SALT_PREFIX + purpose,
                serializer=_OrjsonText,
                signer_kwargs={"digest_method": hashlib.sha256},
            )
            self._serializers[purpose] = serializer
        return serializer

    def sign(self, purpose: str, payload: dict) -> str:
        """Return a URL-safe token for ``payload`` (a JSON-serialisable dict) bound to ``purpose``.

        Only dicts are accepted so that :meth:`load` can promise a dict back and callers can
        add fields (e.g. a version) later without changing the token shape.
        """
        if not isinstance(payload, dict):
            raise TypeError(f"payload must be a dict, not {type(payload).__name__}")
        token = self._serializer(purpose).dumps(payload)
        return token if isinstance(token, str) else token.decode("ascii")

    def load(self, purpose: str, token: str | None, *, max_age: float) -> dict:
        """Return the payload of ``token`` if it was signed by us, for ``purpose``, within ``max_age`` seconds.

        Raises :class:`InvalidToken` for anything else: ``None`` or a non-string (the client
        sends ``null`` for an empty ``data-phx-static``), garbage, a token for another purpose,
        an expired or future-dated token, or a tampered one. ``max_age`` is mandatory because a
        token without an age limit can be replayed forever.
        """
        if max_age is None:
            raise TypeError("max_age is required: a token without an age limit never expires")
        serializer = self._serializer(purpose)
        if token is None:
            raise InvalidToken("malformed token: missing")
        if not isinstance(token, str):
            raise InvalidToken(f"malformed token: expected a string, got {type(token).__name__}")
        if not token or not token.isascii():
            # Real tokens are URL-safe ASCII; this also keeps non-encodable text away from
            # itsdangerous, which would raise UnicodeEncodeError instead of BadData.
            raise InvalidToken("malformed token: not a URL-safe string")
        try:
            payload = serializer.loads(token, max_age=max_age)
        except SignatureExpired as exc:
            raise InvalidToken(f"expired token ({exc})") from None
        except BadPayload:
            raise InvalidToken("malformed token: payload could not be decoded") from None
        except BadData:
            raise InvalidToken(
                f"bad signature: tampered, signed with another secret, or not a {purpose!r} token"
            ) from None
        if not isinstance(payload, dict):
            raise InvalidToken("malformed token: payload is not an object")
        return payload


# --------------------------------------------------------------------------------------------
# CSRF (masked tokens, as in Phoenix/Rails)
# --------------------------------------------------------------------------------------------

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes | None:
    """Strict URL-safe base64 (padding optional); ``None`` instead of an exception.

    Strict because :func:`base64.urlsafe_b64decode` silently skips characters outside the
    alphabet, which would let many different strings decode to the same token.
    """
    if not _B64URL.fullmatch(text):
        return None
    body = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None


def new_csrf_secret() -> str:
    """Return a fresh per-session CSRF secret (URL-safe, 32 random bytes).

    It lives in the signed cookie session; only masked forms of it ever appear in a page.
    """
    return secrets.token_urlsafe(32)


def mask_csrf(secret: str) -> str:
    """Return ``base64url(mask || mask XOR secret)`` with a fresh random mask.

    The page carries this instead of the secret so that the token differs on every render:
    a compressed response that reflects attacker input next to a constant secret leaks it byte
    by byte (BREACH); a token that changes each time gives the attacker nothing to converge on.
    Any number of masked tokens for the same secret validate.
    """
    if not isinstance(secret, str) or not secret:
        raise ValueError("mask_csrf needs a non-empty secret string")
    secret_bytes = secret.encode("utf-8")
    mask = secrets.token_bytes(len(secret_bytes))
    return _b64url_encode(mask + bytes(m ^ s for m, s in zip(mask, secret_bytes)))


def csrf_valid(masked: str | None, secret: str | None) -> bool:
    """Whether ``masked`` (from the socket URL) is a masking of ``secret`` (from the session).

    Never raises: both values are attacker-influenced (a missing cookie session gives ``None``),
    and a failed check must simply lead to a ``stale`` join. The final comparison uses
    :func:`hmac.compare_digest` so the time taken does not reveal how many bytes matched.
    An empty secret never validates, otherwise an empty token would match it.
    """
    if not isinstance(masked, str) or not isinstance(secret, str) or not secret:
        return False
    try:
        secret_bytes = secret.encode("utf-8")
    except UnicodeEncodeError:
        return False
    raw = _b64url_decode(masked)
    if raw is None or len(raw) != 2 * len(secret_bytes):
        return False
    half = len(secret_bytes)
    unmasked = bytes(m ^ x for m, x in zip(raw[:half], raw[half:]))
    return hmac.compare_digest(unmasked, secret_bytes)


# --------------------------------------------------------------------------------------------
# View ids
# --------------------------------------------------------------------------------------------


def new_view_id() -> str:
    """Return ``"phx-" + base64url(12 random bytes)`` (16 characters, no padding), like Phoenix.

    The id becomes the channel topic ``lv:<id>`` and is signed into the session token, so it
    must be unguessable and unique per render; 96 random bits make collisions irrelevant.
    """
    return "phx-" + _b64url_encode(secrets.token_bytes(12))


# --------------------------------------------------------------------------------------------
# WebSocket Origin check
# --------------------------------------------------------------------------------------------

# Hosts as browsers send them: ASCII (IDNs arrive as punycode), or a bracketed IPv6 literal.
# Parsed with regular expressions rather than urllib.parse, which silently drops tabs and
# newlines and accepts userinfo, paths and empty ports.
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?)"
_PORT = r"(?::(?P<port>[0-9]{1,5}))?"
_ORIGIN_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>" + _HOST + ")" + _PORT)
_HOST_HEADER_RE = re.compile(r"(?P<host>" + _HOST + ")" + _PORT)
_PATTERN_RE = re.compile(r"(?P<host>(?:\*\.)?" + _HOST + ")" + _PORT)
_ALLOWED_ORIGIN_RE = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>(?:\*\.)?" + _HOST + ")" + _PORT + "/?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_WEB_SCHEMES = ("http", "https")


def _port(text: str | None) -> int | None:
    if text is None:
        return None
    port = int(text)
    if not 0 < port <= 65535:
        raise ValueError(port)
    return port


def _parse_origin(origin: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, effective port)`` of an Origin header, or ``None`` if malformed."""
    m = _ORIGIN_RE.fullmatch(origin)
    if m is None:
        return None
    scheme = m["scheme"].lower()
    try:
        port = _port(m["port"])
    except ValueError:
        return None
    return scheme, m["host"].lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com": subdomains only, at any depth
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern


def _entry_allows(entry: str, scheme: str, host: str, port: int | None) -> bool:
    if not isinstance(entry, str):
        raise ConfigurationError(f"allowed origins must be strings, got {entry!r}")
    if "://" in entry:
        m = _ALLOWED_ORIGIN_RE.fullmatch(entry)
        if m is None:
            raise ConfigurationError(f"malformed allowed origin {entry!r}")
        entry_scheme = m["scheme"].lower()
        try:
            entry_port = _port(m["port"])
        except ValueError:
            raise ConfigurationError(f"bad port in allowed origin {entry!r}") from None
        if entry_port is None:
            entry_port = _DEFAULT_PORTS.get(entry_scheme)
        return (
            scheme == entry_scheme and port == entry_port and _host_matches(m["host"].lower(), host)
        )
    m = _PATTERN_RE.fullmatch(entry)
    if m is None:
        raise ConfigurationError(
            f"malformed allowed origin {entry!r}: use 'https://example.com', 'example.com' "
            "or '*.example.com'"
        )
    try:
        entry_port = _port(m["port"])
    except ValueError:
        raise ConfigurationError(f"bad port in allowed origin {entry!r}") from None
    return (
        scheme in _WEB_SCHEMES
        and (entry_port is None or entry_port == port)
        and _host_matches(m["host"].lower(), host)
    )


def origin_allowed(
    origin: str | None, host: str | None, allowed: Sequence[str] | None = None
) -> bool:
    """Whether a WebSocket upgrade with this ``Origin`` header may proceed (PROTOCOL §8.1).

    Browsers always attach ``Origin`` to WebSocket handshakes and, unlike for ``fetch``, do not
    enforce CORS on them, so without this check any site could open a socket with the victim's
    cookies (cross-site WebSocket hijacking). Answer 403 before upgrading when this is False.

    * ``origin is None``: allowed. Only non-browser clients (curl, test clients, native apps)
      omit the header, and they cannot ride on a victim's cookies; the join is still protected
      by the CSRF token (which such a client can only have obtained from a page it loaded
      itself) and by the signed session token.
    * ``"null"`` (sandboxed iframes, ``file:`` pages, some redirects) is refused: it is shared by
      every opaque origin, so allowing it would allow any site that sandboxes itself.
    * ``allowed is None``: the origin's host and port must equal the request's ``Host`` header,
      case-insensitively. A ``Host`` without a port stands for the default port of the origin's
      scheme (80 for http, 443 for https), since the server may sit behind a TLS proxy and does
      not know its public scheme; an explicit port must equal the origin's effective port
      (so ``http://h:8000`` matches ``h:8000`` and ``https://h`` matches ``h:443``). Only
      ``http``/``https`` origins qualify.
    * ``allowed`` given: the same-host rule no longer applies; the origin must match an entry.
      A full origin (``"https://example.com"``, ``"http://127.0.0.1:8000"``,
      ``"https://*.example.com"``) must match scheme, host and effective port. A host pattern
      (``"example.com"``, ``"*.example.com"``, optionally ``":port"``) matches any http(s)
      origin on that host (any port unless one is given). ``"*.example.com"`` matches
      subdomains at any depth but not ``example.com`` itself.

    Malformed client input gives ``False``; a malformed ``allowed`` entry raises
    :class:`ConfigurationError`, because silently never matching would look like a client bug.
    """
    if origin is None:
        return True
    if not isinstance(origin, str):
        return False
    parsed = _parse_origin(origin)
    if parsed is None:  # includes "null"
        return False
    scheme, origin_host, origin_port = parsed

    if allowed is None:
        if not isinstance(host, str) or scheme not in _WEB_SCHEMES:
            return False
        m = _HOST_HEADER_RE.fullmatch(host)
        if m is None:
            return False
        try:
            host_port = _port(m["port"])
        except ValueError:
            return False
        if m["host"].lower() != origin_host:
            return False
        if host_port is None:
            return origin_port == _DEFAULT_PORTS[scheme]
        return host_port == origin_port

    if isinstance(allowed, str):
        # A bare string is a Sequence[str] of characters: refuse the classic mistake loudly.
        raise ConfigurationError("allowed origins must be a list of strings, not a single string")
    return any(_entry_allows(entry, scheme, origin_host, origin_port) for entry in allowed)


# --------------------------------------------------------------------------------------------
# Local redirect targets
# --------------------------------------------------------------------------------------------


class UnsafeRedirect(ValueError):
    """A ``push_patch`` / ``push_navigate`` / ``redirect`` target that is not a plain local path."""


# A percent-encoded C0 control character or DEL: ``%00``-``%1f`` or ``%7f``, any case.
_ENCODED_CONTROL_RE = re.compile(r"%(?:[01][0-9A-Fa-f]|7[Ff])")


def check_local_path(path: str) -> str:
    """Return ``path`` unchanged if it is a safe local path, else raise :class:`UnsafeRedirect`.

    Targets often come from user input (``?return_to=…``), so anything that a browser could
    resolve to another site is refused (PROTOCOL §8.7):

    * it must be a non-empty ``str`` starting with ``/``. This also rules out every scheme
      (``http:``, ``javascript:``): a URL whose first character is ``/`` has none;
    * not ``//…`` or ``/\\…``: browsers read both as protocol-relative URLs to another host;
    * no ``\\`` anywhere: browsers treat it as ``/`` in http(s) URLs;
    * no raw control characters (< 0x20, 0x7f) anywhere: browsers silently *remove* tab and
      newlines, so ``/\\t/evil.com`` becomes ``//evil.com``, and CR/LF in a ``Location`` header
      would split the response;
    * no *encoded* control characters (``%00``-``%1f``, ``%7f``, any case; among them ``%09``,
      ``%0a``, ``%0d``) in the path part, i.e. before the first ``?`` or ``#``: a proxy,
      router or client that decodes the path once would see the raw character again.

    Encoded control characters in the query string and the fragment are accepted: there they
    are ordinary data that the receiving view decodes (``/search?q=a%0Ab`` searches for a
    two-line text), no browser or router turns them into a path, and they cannot split a
    header while they stay encoded. This is what makes every :func:`build_path` result, which
    percent-encodes any value, acceptable here.
    """
    if not isinstance(path, str):
        raise UnsafeRedirect(f"unsafe redirect target {path!r}: not a string")

    def refuse(reason: str) -> UnsafeRedirect:
        return UnsafeRedirect(f"unsafe redirect target {path!r}: {reason}")

    if not path:
        raise refuse("empty")
    if not path.startswith("/"):
        raise refuse("must be a local path starting with '/' (no scheme, host or relative path)")
    if path.startswith(("//", "/\\")):
        raise refuse("starts with '//' or '/\\', which browsers read as another host")
    if "\\" in path:
        raise refuse("contains a backslash, which browsers treat as '/'")
    for char in path:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            raise refuse(f"contains the control character {char!r}")
    path_part = re.split(r"[?#]", path, maxsplit=1)[0]
    encoded = _ENCODED_CONTROL_RE.search(path_part)
    if encoded is not None:
        raise refuse(
            f"contains the encoded control character {encoded.group()!r} in its path "
            "(before '?' or '#'); encode such data as a query parameter instead"
        )
    return path


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def build_path(path: str, params: Mapping[str, Any] | None) -> str:
    """Return ``path`` (checked with :func:`check_local_path`) with ``params`` appended as a query.

    Values are encoded with ``urlencode(..., doseq=True)`` so lists become repeated keys.
    ``True``/``False`` become ``"true"``/``"false"`` (what JavaScript and most Phoenix apps
    expect, rather than Python's ``"True"``), and ``None`` values are dropped, so
    ``build_path("/users", {"page": page, "q": None})`` does not produce ``q=None``. Inside
    lists the same two rules apply element-wise.

    An existing query is kept and the new parameters are appended after it with ``&``; a
    ``#fragment`` stays at the end, where browsers expect it.

    Every value is percent-encoded into the query, so the result always passes
    :func:`check_local_path` (a value with a newline becomes ``%0A`` after the ``?``), and
    callers may check the finished target again without refusing legitimate data.
    """
    check_local_path(path)
    if not params:
        return path
    items: list[tuple[Any, Any]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = [_query_value(v) for v in value if v is not None]
        else:
            value = _query_value(value)
        items.append((key, value))
    query = urlencode(items, doseq=True)
    if not query:
        return path
    base, hash_sign, fragment = path.partition("#")
    _, question_mark, existing_query = base.partition("?")
    if not question_mark:
        separator = "?"
    elif existing_query == "" or existing_query.endswith("&"):
        separator = ""
    else:
        # Also after a query that ends in "?" ("/x??"): without the "&" the first new key
        # would be glued onto the last existing field.
        separator = "&"
    return f"{base}{separator}{query}{hash_sign}{fragment}"


def csrf_fingerprint(secret: Any) -> Optional[str]:
    """A short digest of the cookie's CSRF secret, signed into session tokens to bind them to the cookie."""
    if not isinstance(secret, str):
        return None
    return hashlib.sha256(secret.encode()).hexdigest()[:24]
