"""Bearer tokens with scopes against the API served for real: API_TOKEN, HS256 and ES256/RS256 JWTs, and every
way a token can be refused (missing, expired, wrong key, wrong scope, unsigned)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jobfeed.api.auth import issue_token
from jobfeed.settings import UiSettings

SECRET = "s3cret-for-tests-only-0123456789abcdef"  # HS256 keys should be >= 32 bytes (PyJWT warns otherwise)
READ = "/api/import-logs"
WRITE = "/api/runs"


def _pem(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_by_hand(claims: dict[str, Any], key: bytes) -> str:
    """An HS256 token keyed with any bytes (PyJWT itself refuses a PEM as an HMAC key)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def _token(scopes: list[str], *, secret: str = SECRET, ttl: timedelta = timedelta(minutes=5)) -> str:
    return issue_token(secret, subject="tester", scopes=scopes, ttl=ttl)


def _get(client: httpx.Client, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if path == WRITE:  # a body the route would refuse (422) once past authentication
        return client.post(path, json={"feeds": []}, headers=headers)
    return client.get(path, headers=headers)


@pytest.fixture
def api(serve_api: Callable[..., httpx.Client], store: Any) -> httpx.Client:
    return serve_api(ui_settings=UiSettings(api_jwt_secret=SECRET, api_token="static-token-123"))


def test_hs256_scopes(api: httpx.Client) -> None:
    reader, writer = _token(["read"]), _token(["runs:write"])
    assert _get(api, READ, reader).status_code == 200
    assert _get(api, WRITE, reader).status_code == 403
    assert "insufficient_scope" in _get(api, WRITE, reader).headers["www-authenticate"]
    assert _get(api, READ, writer).status_code == 403
    assert _get(api, WRITE, writer).status_code == 422  # through: its body is what is wrong
    assert _get(api, "/api/runs/some-id", writer).status_code == 403  # reading runs needs `read`
    both = _token(["read", "runs:write"])
    assert _get(api, READ, both).status_code == 200 and _get(api, WRITE, both).status_code == 422


def test_static_api_token_has_both_scopes(api: httpx.Client) -> None:
    assert _get(api, READ, "static-token-123").status_code == 200
    assert _get(api, WRITE, "static-token-123").status_code == 422


@pytest.mark.parametrize("path", [READ, WRITE])
def test_refused_tokens_answer_401(api: httpx.Client, path: str) -> None:
    claims = {"sub": "x", "scope": "read runs:write", "exp": 4102444800}
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."
    cases = {
        "missing": None,
        "expired": _token(["read", "runs:write"], ttl=timedelta(seconds=-120)),
        "wrong key": _token(["read", "runs:write"], secret="another-secret-of-32-bytes-or-more!!"),
        "alg none": unsigned,
        "garbage": "not.a.jwt",
        "no exp": jwt.encode({"sub": "x", "scope": "read runs:write"}, SECRET, algorithm="HS256"),
    }
    for name, token in cases.items():
        answer = _get(api, path, token)
        assert answer.status_code == 401, (name, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer"), name


def test_healthz_and_docs_stay_open(api: httpx.Client) -> None:
    assert api.get("/healthz").status_code == 200
    assert api.get("/openapi.json").status_code == 200


@pytest.mark.parametrize("kind", ["ES256", "RS256"])
def test_identity_provider_tokens_by_public_key(
    serve_api: Callable[..., httpx.Client], store: Any, tmp_path: Path, kind: str
) -> None:
    key: Any = ec.generate_private_key(ec.SECP256R1()) if kind == "ES256" else rsa.generate_private_key(65537, 2048)
    other: Any = ec.generate_private_key(ec.SECP256R1()) if kind == "ES256" else rsa.generate_private_key(65537, 2048)
    pem_file = tmp_path / "idp.pem"
    pem_file.write_text(_pem(key))
    api = serve_api(ui_settings=UiSettings(api_jwt_public_key=str(pem_file), api_jwt_audience="jobfeed"))
    claims = {"sub": "svc", "scp": ["read"], "aud": "jobfeed", "exp": 4102444800}
    assert _get(api, READ, jwt.encode(claims, key, algorithm=kind)).status_code == 200
    assert _get(api, WRITE, jwt.encode(claims, key, algorithm=kind)).status_code == 403
    assert _get(api, READ, jwt.encode(claims, other, algorithm=kind)).status_code == 401  # wrong key
    assert _get(api, READ, jwt.encode({**claims, "aud": "else"}, key, algorithm=kind)).status_code == 401
    # an HS256 token "signed" with the public key must not pass (algorithm confusion); no secret is set
    forged = _hs256_by_hand(claims, _pem(key).encode())
    assert _get(api, READ, forged).status_code == 401


def test_without_auth_settings_the_api_is_open(serve_api: Callable[..., httpx.Client], store: Any) -> None:
    api = serve_api(ui_settings=UiSettings())
    assert api.get(READ).status_code == 200
