"""Who may call the API: bearer tokens with scopes.

A token is either the static API_TOKEN (both scopes, as before JWTs) or a JWT (PyJWT): HS256 signed with
API_JWT_SECRET (`jobfeed token create`), or RS256/ES256 signed by an identity provider whose public key is
API_JWT_PUBLIC_KEY. Scopes: `read` (every GET of /api/*) and `runs:write` (start and cancel runs), from
the token's `scope` claim (space-separated, RFC 8693) or `scp`/`scopes` (a list, as some providers send).
With none of the three settings the API is open (bound to 127.0.0.1 by default); with any of them every
/api/* route needs a token: 401 when it is missing, expired, badly signed or unsigned (`alg: none`),
403 when it lacks the route's scope. /healthz and /docs stay open: they carry no data.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jobfeed.api.common import Problem
from jobfeed.settings import UiSettings

HMAC_ALGORITHMS = ("HS256",)
KEY_ALGORITHMS = ("RS256", "ES256")
LEEWAY_S = 30  # clock skew tolerated on exp/nbf/iat between the token's issuer and this server


class Scope(StrEnum):
    READ = "read"
    RUNS_WRITE = "runs:write"


ALL_SCOPES = frozenset(Scope)

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "a token is required and is missing, expired or invalid"},
    403: {"model": Problem, "description": "the token lacks the scope this route needs"},
}


@dataclass(frozen=True)
class Principal:
    """The caller a token names, with its scopes."""

    subject: str
    scopes: frozenset[str]


_bearer = HTTPBearer(auto_error=False, description="API_TOKEN, or a JWT with scopes `read` / `runs:write`")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Authorizer:
    """Checks bearer tokens against the settings of the moment (read per request: tests and reloads)."""

    def __init__(self, settings: Callable[[], UiSettings]) -> None:
        self._settings = settings

    @staticmethod
    def configured(settings: UiSettings) -> bool:
        return bool(settings.api_token or settings.api_jwt_secret or settings.api_jwt_public_key)

    def authenticate(self, token: str | None) -> Principal | None:
        """The token's principal; None when the API has no auth configured; 401 otherwise."""
        settings = self._settings()
        if not self.configured(settings):
            return None
        if not token:  # RFC 6750: no error code when the request carried no credentials
            raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        static = settings.api_token
        if static and hmac.compare_digest(token.encode(), static.get_secret_value().encode()):
            return Principal("api-token", ALL_SCOPES)
        try:
            return decode_token(token, settings)
        except jwt.ExpiredSignatureError:
            raise _unauthorized("the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"invalid token: {exc}") from None

    def require(self, scope: Scope) -> Callable[..., Principal | None]:
        """A FastAPI dependency: the caller, who must hold `scope` (when auth is configured)."""

        def dependency(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> Principal | None:
            principal = self.authenticate(credentials.credentials if credentials else None)
            if principal is not None and scope.value not in principal.scopes:
                raise HTTPException(
                    403,
                    f"the token lacks the scope {scope.value!r}",
                    headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope.value}"'},
                )
            return principal

        return dependency


def decode_token(token: str, settings: UiSettings) -> Principal:
    """Verify a JWT's signature, expiry (required) and, when configured, audience and issuer.

    The key follows the header's algorithm, and only the configured families are accepted: an HS256
    token is checked with the secret and never with the public key (no algorithm confusion), and an
    unsigned token (`alg: none`) is refused by PyJWT because `none` is never among the algorithms."""
    algorithm = jwt.get_unverified_header(token).get("alg")
    key: Any
    if algorithm in HMAC_ALGORITHMS and settings.api_jwt_secret:
        key = settings.api_jwt_secret.get_secret_value()
    elif algorithm in KEY_ALGORITHMS and settings.api_jwt_public_key:
        key = _public_key(settings.api_jwt_public_key)
    else:
        raise jwt.InvalidAlgorithmError(f"tokens signed with {algorithm!r} are not accepted here")
    claims = jwt.decode(
        token,
        key,
        algorithms=[algorithm],
        audience=settings.api_jwt_audience,
        issuer=settings.api_jwt_issuer,
        leeway=LEEWAY_S,
        options={"require": ["exp"], "verify_aud": settings.api_jwt_audience is not None},
    )
    return Principal(str(claims.get("sub") or "unknown"), frozenset(_scopes(claims)))


def _scopes(claims: dict[str, Any]) -> Iterable[str]:
    for name in ("scope", "scp", "scopes"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [str(v) for v in value]
    return []


@lru_cache(maxsize=4)
def _public_key(value: str) -> str:
    """PEM text as given, or read from the file it names."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    try:
        return Path(value).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise HTTPException(500, f"API_JWT_PUBLIC_KEY cannot be read: {exc.strerror or exc}") from None


def issue_token(
    secret: str,
    *,
    subject: str,
    scopes: Iterable[str],
    ttl: timedelta,
    audience: str | None = None,
    issuer: str | None = None,
    now: datetime | None = None,
) -> str:
    """An HS256 JWT for `subject` with `scopes`, valid for `ttl` (`jobfeed token create`)."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "scope": " ".join(sorted(set(scopes))),
        "iat": issued,
        "exp": issued + ttl,
    }
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm="HS256")
