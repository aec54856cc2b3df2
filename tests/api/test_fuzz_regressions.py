"""What schemathesis (tests/api/test_fuzz.py) found, pinned one by one with the input that showed it."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from jobfeed.settings import UiSettings


def test_a_body_that_is_not_utf8_is_a_documented_400(serve_api: Callable[..., httpx.Client], db_name: str) -> None:
    """Found: POST /api/runs with a body that is not UTF-8 answered 400, which the OpenAPI did not list.

    FastAPI reads the body before any dependency, so the answer is the same with or without a token."""
    body, headers = b"\x07\x0b\xff\xfe{", {"Content-Type": "application/json"}
    for ui in (UiSettings(), UiSettings(api_token="fuzz-static-token")):
        api = serve_api(ui_settings=ui)
        response = api.post("/api/runs", content=body, headers=headers)
        assert response.status_code == 400 and response.json() == {"detail": "There was an error parsing the body"}
        documented = api.get("/openapi.json").json()["paths"]["/api/runs"]["post"]["responses"]
        assert documented["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
