"""The read API over real HTTP (uvicorn) on the real database: limits, filters, dates, token, health, docs."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest
from pydantic import SecretStr

from jobfeed.settings import Settings, UiSettings
from jobfeed.stack.procs import free_port
from jobfeed.store import Store
from tests.support.seed import FEEDS, SECRET, make_job, seed_history, seed_jobs

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
WWR = list(FEEDS)[1]


def test_import_logs_limits(serve_api, store: Store) -> None:
    seed_history(store, 205)
    api = serve_api()
    assert len(api.get("/api/import-logs", params={"limit": 1}).json()["items"]) == 1
    body = api.get("/api/import-logs", params={"limit": 200}).json()
    assert len(body["items"]) == 200 and body["nextBefore"] == body["items"][-1]["startedAt"]
    assert len(api.get("/api/import-logs").json()["items"]) == 20  # default
    for bad in (0, 201, -1, "ten"):
        response = api.get("/api/import-logs", params={"limit": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_import_logs_filters_dates_and_paging(serve_api, store: Store) -> None:
    ids = seed_history(store, 45)
    api = serve_api()
    first = api.get("/api/import-logs", params={"limit": 20}).json()
    assert [item["id"] for item in first["items"]] == ids[:20]
    newest = first["items"][0]
    assert newest["startedAt"] == "2026-03-10T12:00:00Z" and ISO_Z.match(newest["finishedAt"])
    assert newest["status"] == "success" and newest["newJobs"] == 3 and newest["feedName"] == "jobicy-all"
    second = api.get("/api/import-logs", params={"limit": 20, "before": first["nextBefore"]}).json()
    assert [item["id"] for item in second["items"]] == ids[20:40]
    last = api.get("/api/import-logs", params={"limit": 20, "before": second["nextBefore"]}).json()
    assert [item["id"] for item in last["items"]] == ids[40:] and last["nextBefore"] is None

    by_feed = api.get("/api/import-logs", params={"feed": WWR, "limit": 200}).json()["items"]
    assert len(by_feed) == 15 and {i["fileName"] for i in by_feed} == {WWR}
    failed = api.get("/api/import-logs", params={"status": "failed", "limit": 200}).json()["items"]
    assert len(failed) == 9 and all(i["error"]["reason"] == "http_5xx" for i in failed)
    assert api.get("/api/import-logs", params={"status": "exploded"}).status_code == 422
    naive = api.get("/api/import-logs", params={"before": "2026-03-10T10:30:00", "limit": 200}).json()["items"]
    assert naive[0]["startedAt"] == "2026-03-10T10:00:00Z" and len(naive) == 45 - 2  # no offset = UTC
    offset = api.get("/api/import-logs", params={"before": "2026-03-10T12:30:00+02:00", "limit": 200}).json()["items"]
    assert offset[0]["startedAt"] == "2026-03-10T10:00:00Z"
    assert SECRET not in api.get("/api/import-logs", params={"limit": 200}).text  # feed URL tokens masked


def test_feeds_and_jobs(serve_api, store: Store) -> None:
    seed_history(store, 6)
    seed_jobs(store, [make_job(i) for i in range(30)])
    seed_jobs(store, [make_job(1, source="weworkremotely.com", title="Data (Lead)", location="Berlin")], feed_url=WWR)
    api = serve_api()
    feeds = api.get("/api/feeds").json()["items"]
    assert {f["name"] for f in feeds} == set(FEEDS.values())
    jobicy = next(f for f in feeds if f["name"] == "jobicy-all")
    assert jobicy["url"].endswith("token=***") and jobicy["lastStatus"] == "success" and jobicy["health"] == "ok"
    assert ISO_Z.match(jobicy["lastSuccessAt"])

    jobs = api.get("/api/jobs", params={"limit": 25}).json()["items"]
    assert len(jobs) == 25 and "descriptionHtml" not in jobs[0] and "lastWrite" not in jobs[0]
    assert ISO_Z.match(jobs[0]["lastSeenAt"]) and ISO_Z.match(jobs[0]["publishedAt"])
    assert len(api.get("/api/jobs", params={"limit": 25, "page": 2}).json()["items"]) == 6
    assert [j["title"] for j in api.get("/api/jobs", params={"q": "data (lead"}).json()["items"]] == ["Data (Lead)"]
    assert api.get("/api/jobs", params={"q": ".*"}).json()["items"] == []  # the text is literal, not a regex
    assert len(api.get("/api/jobs", params={"source": "weworkremotely.com"}).json()["items"]) == 1
    assert len(api.get("/api/jobs", params={"q": "BERLIN"}).json()["items"]) == 1
    assert api.get("/api/jobs", params={"limit": 201}).status_code == 422
    assert api.get("/api/jobs", params={"q": "x" * 201}).status_code == 422
    assert SECRET not in api.get("/api/jobs", params={"limit": 200}).text


def test_bearer_token(serve_api, store: Store) -> None:
    seed_history(store, 2)
    api = serve_api(ui_settings=UiSettings(api_token=SecretStr("t0ken-ok")))
    for path in ("/api/import-logs", "/api/feeds", "/api/jobs"):
        missing = api.get(path)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer", path
        assert api.get(path, headers={"Authorization": "Bearer t0ken-no"}).status_code == 401
        assert api.get(path, headers={"Authorization": "Basic t0ken-ok"}).status_code == 401
        assert api.get(path, headers={"Authorization": "Bearer t0ken-ok"}).status_code == 200
    assert api.get("/healthz").status_code == 200 and api.get("/docs").status_code == 200  # no data behind these
    open_api = serve_api(ui_settings=UiSettings(api_token=None))
    assert open_api.get("/api/feeds").status_code == 200


def test_healthz_and_docs(serve_api, store: Store) -> None:
    api = serve_api()
    assert api.get("/healthz").json() == {"status": "ok", "database": "ok"}
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/import-logs", "/api/feeds", "/api/jobs", "/healthz"} <= set(paths)
    for path in ("/api/import-logs", "/api/feeds", "/api/jobs"):  # guarded: 401 and 503 are documented answers
        assert {"401", "503"} <= set(paths[path]["get"]["responses"]), path


def test_docs_load_nothing_from_outside(serve_api, db_name: str) -> None:
    api = serve_api()
    page = api.get("/docs").text
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page)
    assert urls and not [u for u in urls if "//" in u], urls  # no CDN, no absolute URL at all: works offline
    assets = [u for u in urls if u.endswith((".js", ".css", ".png"))]
    assert {"/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"} <= set(assets)
    for url in assets:
        response = api.get(url)
        assert response.status_code == 200 and len(response.content) > 100, url
    spec = api.get(next(u for u in urls if u.endswith(".json"))).json()  # Swagger UI 5 reads OpenAPI 3.1 itself
    assert spec["openapi"].startswith("3.1.") and "/api/import-logs" in spec["paths"]
    redoc = api.get("/redoc").text
    redoc_assets = re.findall(r"""src\s*=\s*['"]([^'"]+\.js)['"]""", redoc)
    assert redoc_assets and all(u.startswith("/docs-assets/") for u in redoc_assets), redoc_assets


@pytest.mark.parametrize("before", ["1700000000", "2026-03-10", "yesterday", "2026-13-40T00:00:00Z"])
def test_before_must_be_an_iso_datetime(serve_api, store: Store, before: str) -> None:
    response = serve_api().get("/api/import-logs", params={"before": before})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "before"]


def test_read_only_clients_create_no_index(serve_api, db_name: str, mongo_service) -> None:
    from tests.support.indexes import extra_indexes

    api = serve_api()
    for path in ("/api/import-logs", "/api/feeds", "/api/jobs", "/healthz"):
        assert api.get(path).status_code == 200, path
    assert extra_indexes(mongo_service.client()[db_name]) == {}  # creating them is `jobfeed db init`'s job


def test_database_down_is_503(serve_api, db_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobfeed import constants as C

    def down() -> Settings:  # a new URI each time: get_store keeps one client (and its timeouts) per URI
        uri = f"mongodb://u:hunter2@127.0.0.1:{free_port()}/?directConnection=true"
        return Settings(mongodb_uri=uri, mongodb_db=db_name)

    with monkeypatch.context() as patch:
        # Server selection at 60 s: only the probe's own 2 s bound can end it early. The wide gap between
        # the two (not a speed limit) is what the assertion checks, so it holds on a loaded machine.
        patch.setattr(C, "MONGO_SERVER_SELECTION_TIMEOUT_MS", 60_000)
        started = time.monotonic()
        health = serve_api(settings=down()).get("/healthz")
        assert health.status_code == 503 and health.json() == {"status": "error", "database": "unreachable"}
        assert time.monotonic() - started < 20
    logs = serve_api(settings=down()).get("/api/import-logs")
    assert logs.status_code == 503 and logs.json() == {"detail": "database unavailable"} and "hunter2" not in logs.text


def test_serve_binds_loopback_by_default(store: Store, db_name: str) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", f"from jobfeed.api.app import serve; serve(port={port})"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"jobfeed.api.app.serve did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                    )
                time.sleep(0.2)
        assert response.status_code == 200
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], check=True, capture_output=True, text=True
        ).stdout
        local_addresses = [line.split()[3] for line in listening.splitlines()]
        assert local_addresses == [f"127.0.0.1:{port}"]  # API_HOST unset: loopback only
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_runs_routes_answer_503_when_the_prefect_server_is_down(serve_api, db_name: str) -> None:
    """PREFECT_API_URL names a server that does not answer: the runs routes say 503, never 500."""
    from jobfeed.settings import Settings
    from tests.support.ports import closed_port

    down = Settings(mongodb_db=db_name, prefect_api_url=f"http://127.0.0.1:{closed_port()}/api")
    api = serve_api(settings=down)
    for method, path in (("GET", "/api/runs"), ("GET", "/api/runs/00000000-0000-0000-0000-000000000000")):
        response = api.request(method, path)
        assert response.status_code == 503, (path, response.status_code, response.text)
        assert "Prefect" in response.json()["detail"]
