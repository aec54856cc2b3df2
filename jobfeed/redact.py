"""Keep secrets out of logs, ImportLogs and error messages: passwords in URLs, tokens in query strings.

Both functions work on the raw string (no parse-and-rebuild), so apart from the masked values the
output is byte-for-byte the input: a log line stays greppable and nothing is re-encoded.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

MASK = "***"

# Query/fragment parameter names are split into words ("apiKey" -> api, key; "X-Amz-Signature" ->
# x, amz, signature) and masked when any word is one of _SECRET_WORDS. Whole words, not substrings,
# so WP Job Manager's `search_keywords=python` stays readable while `key=` and `api_key=` do not.
# _SECRET_NAMES only count as the whole name: `auth=` hides a token, MongoDB's `authSource=` does not.
_SECRET_WORDS = frozenset(
    {
        "token",
        "key",
        "apikey",
        "secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "sig",
        "credential",
        "credentials",
        "jwt",
        "otp",
        "accesstoken",
        "refreshtoken",
        "clientsecret",
        "privatekey",
    }
)
_SECRET_NAMES = frozenset({"auth", "authorization", "pass", "session", "sessionid", "sid"})
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# A URL-ish token inside free text: scheme://... up to whitespace or a quote/angle bracket.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")


def _is_secret_name(name: str) -> bool:
    """True when a parameter name reads like a credential (token, api key, signature, ...)."""
    name = unquote_plus(name)
    words = _WORD_SPLIT.split(_CAMEL_SPLIT.sub("_", name).lower())
    joined = "".join(words)
    return joined in _SECRET_WORDS or joined in _SECRET_NAMES or any(word in _SECRET_WORDS for word in words)


def _mask_params(params: str) -> str:
    """Mask the values of secret-looking `name=value` pairs in a query string or fragment."""
    parts = []
    for part in params.split("&"):
        name, eq, value = part.partition("=")
        parts.append(f"{name}={MASK}" if eq and value and _is_secret_name(name) else part)
    return "&".join(parts)


def redact_url(url: str) -> str:
    """The URL with the userinfo password and secret-looking query/fragment values replaced by ***."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = (rest[:cut], rest[cut:]) if sep else ("", rest)
    userinfo, at, hosts = netloc.rpartition("@")  # rpartition: an unencoded '@' in a password stays masked
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hosts}"
    before_fragment, hash_, fragment = tail.partition("#")
    path, qmark, query = before_fragment.partition("?")
    if qmark:
        query = _mask_params(query)
    if hash_ and "=" in fragment:  # OAuth implicit flow puts access_token in the fragment
        fragment = _mask_params(fragment)
    head = f"{scheme}://{netloc}" if sep else ""
    return f"{head}{path}{qmark}{query}{hash_}{fragment}"


def redact_text(text: str) -> str:
    """Text with every embedded URL redacted, e.g. a MongoDB URI with a password inside an error."""
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
