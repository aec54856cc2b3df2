"""Schemathesis against the API served for real (uvicorn, this test's Mongo with seeded data): every route and
method, positive and negative inputs, in three modes: no auth configured; auth configured and a token with both
scopes; auth configured and no or a bad token (every /api/* route must say 401).

Checks: no server error, status codes / content types / bodies / headers as the OpenAPI documents them. The runs
routes need Prefect: without a server (modes open and unauthorized) they answer their documented 503; with a
token the session's real Prefect test server answers (no deployment, so starting a run is a documented 503 too).
Any other 5xx is a finding. Every finding of a mode is collected (not just the first), then the test fails listing
them with a curl command each. The counts of generated cases go to stdout (-s) and to test-output/fuzz-report.json.
FUZZ_EXAMPLES sets the examples per operation and generation mode (`make fuzz`); CI=1 derandomizes, so CI runs
the same cases every time."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup, ServerError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jobfeed.api.auth import issue_token
from jobfeed.settings import Settings, UiSettings
from jobfeed.store import Store
from tests.support.paths import ROOT
from tests.support.seed import make_job, seed_history, seed_jobs

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
REPORT = ROOT / "test-output" / "fuzz-report.json"
SECRET = "fuzz-secret-for-tests-only-0123456789abcdef"
STATIC_TOKEN = "fuzz-static-token"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
KEPT_PER_OPERATION = 3  # findings kept per operation and check: enough to reproduce, short enough to read

pytestmark = pytest.mark.timeout(120 + 12 * EXAMPLES)  # the authorized mode takes ~2 s per example


class Mode(StrEnum):
    OPEN = "open"  # no API_TOKEN / API_JWT_SECRET: the API answers anyone
    AUTHORIZED = "authorized"  # auth configured, a JWT with `read` and `runs:write`
    UNAUTHORIZED = "unauthorized"  # auth configured, no token or a bad one: 401 on every /api/* route


def _bad_tokens() -> list[str | None]:
    """What a caller without a valid token sends: nothing, garbage, expired, wrong key, unsigned, another scheme."""
    expired = issue_token(SECRET, subject="fuzz", scopes=["read", "runs:write"], ttl=timedelta(minutes=-10))
    wrong_key = issue_token("another-secret-0123456789abcdef-xyz", subject="fuzz", scopes=["read"], ttl=timedelta(1))
    unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJmdXp6Iiwic2NvcGUiOiJyZWFkIn0."
    return [
        None,
        "Bearer not-a-token",
        f"Bearer {expired}",
        f"Bearer {wrong_key}",
        f"Bearer {unsigned}",
        "Basic Zm9vOmJhcg==",
    ]


@dataclass
class Tally:
    """Cases sent per operation, the documented 503s of the runs routes, and the findings."""

    cases: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    documented_503: int = 0
    body_refused_before_auth: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)

    def finding(self, label: str, kind: str, status: int, detail: str, curl: str) -> None:
        same = [f for f in self.findings if f["operation"] == label and f["kind"] == kind]
        if len(same) < KEPT_PER_OPERATION:
            self.findings.append({"operation": label, "kind": kind, "status": status, "detail": detail, "curl": curl})


def _expected_503(case: schemathesis.Case, response: schemathesis.Response) -> bool:
    """The runs routes' documented 503 (RUN_RESPONSES): no Prefect server, or no `import-feeds/on-demand`
    deployment on it. A Problem body saying why; any other 5xx is a finding."""
    if response.status_code != 503 or not case.operation.path.startswith("/api/runs"):
        return False
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return False
    return isinstance(detail, str) and ("Prefect" in detail or "jobfeed deploy" in detail)


def _body_refused_before_auth(response: schemathesis.Response) -> bool:
    """FastAPI reads a request body before any dependency (the token check among them): a body that is not JSON
    gets its 400 / 422 first. Nothing is read or run for it, so it is no way past the token check."""
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return False
    if response.status_code == 400:
        return bool(detail == "There was an error parsing the body")
    return response.status_code == 422 and all(isinstance(d, dict) and d.get("type") == "json_invalid" for d in detail)


def _fuzz_operation(
    operation: schemathesis.APIOperation,
    generation: GenerationMode,
    call: Callable[[schemathesis.Case, str | None], schemathesis.Response],
    authorizations: list[str | None],
    must_be_401: bool,
    tally: Tally,
) -> None:
    label = f"{operation.label} [{generation.value}]"

    @given(case=operation.as_strategy(generation_mode=generation), authorization=st.sampled_from(authorizations))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: findings are recorded, never raised
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case, authorization: str | None) -> None:
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        response = call(case, authorization)
        tally.cases[label] = tally.cases.get(label, 0) + 1
        tally.seconds[label] = round(tally.seconds.get(label, 0.0) + response.elapsed, 3)
        curl = case.as_curl_command(headers={"Authorization": authorization} if authorization else None)
        if must_be_401 and response.status_code != 401:
            if _body_refused_before_auth(response):
                tally.body_refused_before_auth += 1
            else:
                tally.finding(label, "not 401 without a valid token", response.status_code, response.text[:300], curl)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            failures: list[Failure] = list(group.exceptions)
            if _expected_503(case, response):
                tally.documented_503 += 1
                failures = [f for f in failures if not isinstance(f, ServerError)]
            for failure in failures:
                tally.finding(label, failure.title, response.status_code, failure.message[:500], curl)
        else:
            tally.documented_503 += _expected_503(case, response)

    try:
        run()
    except Unsatisfiable:  # negative mode on an operation without parameters or body: nothing can be made invalid
        assert generation is GenerationMode.NEGATIVE, label


def _seed(store: Store) -> None:
    """Logs, feeds and jobs (duplicates across two boards too), so the read routes answer with real bodies."""
    seed_history(store, 12)
    seed_jobs(store, [make_job(i) for i in range(8)])
    seed_jobs(store, [make_job(i, source="weworkremotely.com") for i in range(3)],
              feed_url="https://weworkremotely.com/remote-jobs.rss")  # fmt: skip


@pytest.fixture
def prefect_for(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[Mode], None]:
    """With a token that may run things: the session's real Prefect test server (no deployment, so POST /api/runs
    answers 503 and the other runs routes 200/404). Otherwise: no Prefect server at all (the documented 503)."""

    def use(mode: Mode) -> None:
        if mode is Mode.AUTHORIZED:
            request.getfixturevalue("prefect_harness")
            from prefect.settings import PREFECT_API_URL

            monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))  # for the API's threads
        else:
            from jobfeed.ops import prefect

            monkeypatch.delenv("PREFECT_API_URL", raising=False)
            # another checkout's stack may answer on 127.0.0.1:4200 here: stand in "no healthy local server"
            monkeypatch.setattr(prefect, "local_prefect_api_url", lambda settings: None)

    return use


@pytest.mark.parametrize("mode", list(Mode))
def test_fuzz_every_route(
    mode: Mode, serve_api: Callable[..., httpx.Client], store: Store, db_name: str, prefect_for: Callable[[Mode], None]
) -> None:
    _seed(store)
    prefect_for(mode)
    ui = UiSettings() if mode is Mode.OPEN else UiSettings(api_jwt_secret=SECRET, api_token=STATIC_TOKEN)
    base_url = str(serve_api(settings=Settings(mongodb_db=db_name), ui_settings=ui).base_url).rstrip("/")
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    session = requests.Session()

    def call(case: schemathesis.Case, authorization: str | None) -> schemathesis.Response:
        headers = {"Authorization": authorization} if authorization else None
        return case.call(base_url=base_url, session=session, headers=headers, timeout=30)

    valid = issue_token(SECRET, subject="fuzz", scopes=["read", "runs:write"], ttl=timedelta(hours=1))
    authorizations: list[str | None] = {
        Mode.OPEN: [None],
        Mode.AUTHORIZED: [f"Bearer {valid}", f"Bearer {STATIC_TOKEN}"],
        Mode.UNAUTHORIZED: _bad_tokens(),
    }[mode]
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]  # every route is in the OpenAPI
    for operation in operations:
        guarded = operation.path.startswith("/api/")
        for generation in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            must_be_401 = mode is Mode.UNAUTHORIZED and guarded
            _fuzz_operation(operation, generation, call, authorizations, must_be_401, tally)

    total = sum(tally.cases.values())
    _write_report(mode, tally, total, [op.label for op in operations])
    print(f"\nfuzz[{mode}]: {total} cases over {len(operations)} operations, {EXAMPLES} examples each "
          f"(positive + negative); documented 503s of the runs routes: {tally.documented_503}; findings: {len(tally.findings)}")  # fmt: skip
    assert not tally.findings, json.dumps(tally.findings, indent=1)


def _write_report(mode: Mode, tally: Tally, total: int, operations: list[str]) -> None:
    """Merge this mode's figures into test-output/fuzz-report.json (one key per mode)."""
    REPORT.parent.mkdir(exist_ok=True)
    try:
        report: dict[str, Any] = json.loads(REPORT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = {}
    report.setdefault("modes", {})[mode.value] = {
        "examplesPerOperation": EXAMPLES,
        "operations": operations,
        "cases": total,
        "casesByOperation": tally.cases,
        "serverSecondsByOperation": tally.seconds,
        "documented503": tally.documented_503,
        "bodyRefusedBeforeAuth": tally.body_refused_before_auth,
        "findings": tally.findings,
    }
    report["totalCases"] = sum(m["cases"] for m in report["modes"].values())
    REPORT.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
