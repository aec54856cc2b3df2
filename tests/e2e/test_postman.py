"""The Postman collection (docs/api/jobfeed.postman_collection.json): it holds every route of the OpenAPI, it
is what `make postman` generates today, and each of its requests, sent as Postman would (variables filled
in, the collection's bearer token), gets a documented answer from a live API on the real test database."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jobfeed.api.postman import DEFAULT_OUT, generate, requests_of, route_of
from jobfeed.settings import Settings, reset_settings
from jobfeed.store import Store
from tests.support.api_server import ApiServer
from tests.support.paths import ROOT
from tests.support.seed import FEEDS, T0, add_log, make_job, seed_jobs

TOKEN = "postman-test-token"
COLLECTION = ROOT / DEFAULT_OUT
VARIABLE = re.compile(r"\{\{(\$?\w+)\}\}")
PREFECT_ROUTES = re.compile(r"^/api/runs")  # answered by Prefect, not the database


def collection() -> dict[str, Any]:
    return json.loads(COLLECTION.read_text())


def openapi() -> dict[str, Any]:
    from jobfeed.api.app import create_app

    return create_app(settings=Settings(), ui_settings=Settings()).openapi()


def test_the_committed_collection_is_a_fresh_generation_with_every_route() -> None:
    assert COLLECTION.read_text() == generate(), "out of date: run `make postman`"
    spec = openapi()
    routes = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    items = requests_of(collection())
    assert sorted(route_of(item["request"]) for item in items) == sorted(routes)  # each once, nothing else
    doc = collection()
    assert doc["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert {v["key"] for v in doc["variable"]} >= {"baseUrl", "token"}
    assert doc["auth"]["bearer"][0]["value"] == "{{token}}"
    create = next(item for item in items if route_of(item["request"]) == ("POST", "/api/runs"))
    assert json.loads(create["request"]["body"]["raw"]) == {
        "feeds": None,
        "priority": "normal",
        "startAt": None,
        "delaySeconds": None,
    }


class Runner:
    """Sends a collection's requests as Postman does: {{variables}} filled in, the collection's auth."""

    def __init__(self, client: httpx.Client, variables: dict[str, str]) -> None:
        self.client, self.variables = client, variables

    def fill(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match[1]
            if name == "$guid":
                return str(uuid.uuid4())
            assert name in self.variables, f"no value for {{{{{name}}}}}"
            return self.variables[name]

        return VARIABLE.sub(one, text)

    def send(self, request: dict[str, Any]) -> httpx.Response:
        url = request["url"]
        path_values = {v["key"]: self.fill(v["value"]) for v in url.get("variable", [])}
        path = "/".join(path_values[part[1:]] if part.startswith(":") else part for part in url["path"])
        params = [(q["key"], self.fill(q["value"])) for q in url.get("query", []) if not q.get("disabled")]
        headers = {h["key"]: self.fill(h["value"]) for h in request["header"] if not h.get("disabled")}
        if request.get("auth", {}).get("type") != "noauth":
            headers["Authorization"] = f"Bearer {self.fill('{{token}}')}"
        body = request.get("body", {}).get("raw")
        return self.client.request(request["method"], "/" + path, params=params, headers=headers,
                                   content=self.fill(body).encode() if body else None)  # fmt: skip


@pytest.fixture
def live_api(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """The API with API_TOKEN set on a seeded database; yields its client and the collection's variable values."""
    from jobfeed.api.app import create_app

    seed_jobs(store, [make_job(1), make_job(2)])
    add_log(store, url=next(iter(FEEDS)), started=T0)
    job_id = str(store.jobs.coll.find_one({}, {"_id": 1})["_id"])  # type: ignore[index]
    monkeypatch.setenv("API_TOKEN", TOKEN)
    reset_settings()
    settings = Settings()
    server = ApiServer(create_app(settings=settings, ui_settings=settings)).start()
    variables = {
        "baseUrl": server.url,
        "token": TOKEN,
        "jobId": job_id,
        "runId": "00000000-0000-0000-0000-000000000000",
    }
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client, variables
    finally:
        server.stop()
        reset_settings()


def _run_collection(client: httpx.Client, variables: dict[str, str]) -> dict[tuple[str, str], httpx.Response]:
    runner = Runner(client, variables)
    spec = openapi()
    answers = {}
    for item in requests_of(collection()):
        method, path = route_of(item["request"])
        response = runner.send(item["request"])
        documented = spec["paths"][path][method.lower()]["responses"]
        assert str(response.status_code) in documented, (method, path, response.status_code, response.text[:300])
        assert response.status_code < 500 or response.status_code == 503, (method, path, response.text[:300])
        answers[(method, path)] = response
    return answers


def test_every_request_against_a_live_api_without_prefect(live_api, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobfeed.ops import prefect

    client, variables = live_api
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    # other people's local stacks may answer on 127.0.0.1:4200 here: stand in "no healthy local server"
    monkeypatch.setattr(prefect, "local_prefect_api_url", lambda settings: None)
    answers = _run_collection(client, variables)
    for (method, path), response in answers.items():
        if PREFECT_ROUTES.match(path):
            # documented: "Prefect (or the database) is unavailable, or not deployed"
            assert response.status_code == 503 and "Prefect" in response.json()["detail"], (method, path)
        else:
            assert response.status_code == 200, (method, path, response.text[:300])
    assert answers[("GET", "/api/jobs/{job_id}")].json()["id"] == variables["jobId"]
    assert len(answers[("GET", "/api/jobs")].json()["items"]) == 2
    assert answers[("GET", "/api/jobs/export")].headers["content-type"].startswith("text/csv")
    assert len(answers[("GET", "/api/import-logs")].json()["items"]) == 1
    assert client.get("/api/feeds").status_code == 401  # without the collection's token
    assert Runner(client, {**variables, "token": "wrong"}).send(_item("GET", "/api/feeds")).status_code == 401


@pytest.mark.usefixtures("prefect_harness")
def test_the_runs_requests_against_a_live_prefect_without_the_deployment(live_api, monkeypatch) -> None:
    from prefect.settings import PREFECT_API_URL

    client, variables = live_api
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the harness's server, for the API's threads
    answers = _run_collection(client, variables)
    runs = {route: response.status_code for route, response in answers.items() if PREFECT_ROUTES.match(route[1])}
    assert runs == {
        ("POST", "/api/runs"): 503,  # no `import-feeds/on-demand` deployment: `jobfeed deploy` makes it
        ("GET", "/api/runs"): 200,
        ("GET", "/api/runs/{run_id}"): 404,  # the collection's example id names no run
        ("POST", "/api/runs/{run_id}/cancel"): 404,
        ("GET", "/api/runs/{run_id}/events"): 404,
    }
    assert "jobfeed deploy" in answers[("POST", "/api/runs")].json()["detail"]


def _item(method: str, path: str) -> dict[str, Any]:
    return next(i["request"] for i in requests_of(collection()) if route_of(i["request"]) == (method, path))
