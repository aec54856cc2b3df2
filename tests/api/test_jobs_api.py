"""The job lifecycle over the read API: a job with its history, open/closed filters, duplicates, the export stream."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from jobfeed.store import Store
from jobfeed.store.export import COLUMN_NAMES
from tests.support.lifecycle import add_change, close, job_id, seed_duplicates
from tests.support.seed import SECRET, T0, make_job, seed_history, seed_jobs


def test_job_detail_has_history_newest_first_and_other_boards(serve_api, store: Store) -> None:
    jobs = seed_duplicates(store)
    acme = jobs["acme_jobicy"]
    add_change(store, acme, T0 + timedelta(hours=1), {"title": {"old": "Backend Engineer", "new": acme.title}})
    add_change(store, acme, T0 + timedelta(hours=3), {"status": {"old": "open", "new": "closed"}}, flow_run_id="run-3")
    diff = {"diff": "--- old\n+++ new\n-line one\n+line 1", "diffTruncated": False, "oldHash": "a" * 64,
            "newHash": "b" * 64}  # fmt: skip
    add_change(
        store, acme, T0 + timedelta(hours=2), {"description": diff}, feed="https://jobicy.com/?feed=x&token=" + SECRET
    )
    close(store, acme, T0 + timedelta(hours=3))
    api = serve_api()

    body = api.get(f"/api/jobs/{job_id(store, acme)}").json()
    assert body["title"] == acme.title and body["status"] == "closed" and body["closedAt"] == "2026-03-10T15:00:00Z"
    assert body["descriptionHtml"] and "lastWrite" not in body
    history = body["history"]
    assert [h["at"] for h in history] == ["2026-03-10T15:00:00Z", "2026-03-10T14:00:00Z", "2026-03-10T13:00:00Z"]
    assert history[0]["changes"] == {"status": {"old": "open", "new": "closed"}} and history[0]["flowRunId"] == "run-3"
    assert history[1]["changes"]["description"]["diff"].endswith("+line 1") and history[1]["feed"].endswith("token=***")
    assert history[2]["changes"]["title"] == {"old": "Backend Engineer", "new": "Sr. Backend Engineer"}
    assert {h["jobId"] for h in history} == {body["id"]}
    assert sorted(c["source"] for c in body["otherBoards"]) == ["jobspresso.co", "weworkremotely.com"]
    assert SECRET not in api.get(f"/api/jobs/{body['id']}").text

    assert len(api.get(f"/api/jobs/{body['id']}", params={"history": 1}).json()["history"]) == 1
    solo = api.get(f"/api/jobs/{job_id(store, jobs['solo'])}").json()
    assert solo["history"] == [] and solo["otherBoards"] == []
    for unknown in ("0123456789abcdef01234567", "not-an-id", "export2"):
        response = api.get(f"/api/jobs/{unknown}")
        assert response.status_code == 404 and response.json() == {"detail": "no job with this id"}


def test_jobs_filter_open_and_closed(serve_api, store: Store) -> None:
    jobs = [make_job(i) for i in range(6)]
    seed_jobs(store, jobs)
    for job in jobs[:2]:
        close(store, job, T0)
    # jobs[5] keeps no status, as a job written before the lifecycle existed
    store.jobs.coll.update_many(
        {"status": {"$exists": False}, "externalId": {"$ne": jobs[5].externalId}}, {"$set": {"status": "open"}}
    )
    api = serve_api()
    assert len(api.get("/api/jobs").json()["items"]) == 6  # default: all
    closed = api.get("/api/jobs", params={"status": "closed"}).json()["items"]
    assert sorted(j["externalId"] for j in closed) == sorted(j.externalId for j in jobs[:2])
    assert len(api.get("/api/jobs", params={"status": "open"}).json()["items"]) == 4  # a job without status is open
    assert len(api.get("/api/jobs", params={"status": "all"}).json()["items"]) == 6
    assert api.get("/api/jobs", params={"status": "gone"}).status_code == 422


def test_duplicates_lists_groups_on_more_than_one_board(serve_api, store: Store) -> None:
    jobs = seed_duplicates(store)
    api = serve_api()
    groups = api.get("/api/duplicates").json()["items"]
    assert [g["boards"] for g in groups] == [
        ["jobicy.com", "jobspresso.co", "weworkremotely.com"],  # seen last (jobspresso's run was the latest)
        ["jobicy.com", "weworkremotely.com"],
    ]
    acme, globex = groups
    assert acme["count"] == 3 and {j["company"] for j in acme["jobs"]} == {"Acme Inc.", "ACME", "Acme, Inc"}
    assert globex["count"] == 2 and "Initech" not in json.dumps(groups)  # same title and city, other company
    assert acme["dupKey"] == jobs["acme_wwr"].dupKey and acme["lastSeenAt"] == "2026-03-10T14:00:00Z"
    assert len(api.get("/api/duplicates", params={"limit": 1}).json()["items"]) == 1
    assert api.get("/api/duplicates", params={"limit": 0}).status_code == 422

    close(store, jobs["globex_wwr"], T0)
    open_groups = api.get("/api/duplicates", params={"status": "open"}).json()["items"]
    assert [g["count"] for g in open_groups] == [3]  # Globex is on one board only among open jobs
    assert len(api.get("/api/duplicates", params={"status": "all"}).json()["items"]) == 2


def test_export_streams_csv_and_jsonl(serve_api, store: Store) -> None:
    jobs = [make_job(i) for i in range(1200)]  # more than one cursor batch and several chunks
    seed_jobs(store, jobs)
    close(store, jobs[0], T0)
    api = serve_api()
    with api.stream("GET", "/api/jobs/export", params={"format": "csv"}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert 'filename="jobs.csv"' in response.headers["content-disposition"]
        chunks = list(response.iter_bytes())
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8"))))
    assert len(rows) == 1200 and tuple(rows[0]) == COLUMN_NAMES and SECRET not in b"".join(chunks).decode()

    response = api.get("/api/jobs/export", params={"format": "jsonl", "status": "closed"})
    assert response.headers["content-type"] == "application/x-ndjson"
    (line,) = response.text.splitlines()
    assert json.loads(line)["externalId"] == jobs[0].externalId and json.loads(line)["status"] == "closed"
    assert api.get("/api/jobs/export", params={"format": "jsonl", "source": "nowhere.example"}).text == ""
    since = api.get("/api/jobs/export", params={"format": "jsonl", "since": "2030-01-01T00:00:00Z"})
    assert since.status_code == 200 and since.text == ""
    assert api.get("/api/jobs/export", params={"format": "parquet"}).status_code == 422  # a file: the CLI's
    assert api.get("/api/jobs/export", params={"since": "yesterday"}).status_code == 422


def test_import_logs_show_closed_and_reopened(serve_api, store: Store) -> None:
    seed_history(store, 2)
    store.logs.coll.update_one({}, {"$set": {"closedJobs": 4, "reopenedJobs": 1}})
    items = serve_api().get("/api/import-logs").json()["items"]
    assert {(i.get("closedJobs"), i.get("reopenedJobs")) for i in items} == {(4, 1), (None, None)}


def test_new_routes_are_guarded(serve_api, store: Store) -> None:
    from pydantic import SecretStr

    from jobfeed.settings import UiSettings

    seed_duplicates(store)
    api = serve_api(ui_settings=UiSettings(api_token=SecretStr("t0ken")))
    any_id = str(job_id(store, make_job(1)))
    for path in (f"/api/jobs/{any_id}", "/api/duplicates", "/api/jobs/export"):
        assert api.get(path).status_code == 401, path
        assert api.get(path, headers={"Authorization": "Bearer t0ken"}).status_code == 200, path
    spec = api.get("/openapi.json").json()["paths"]
    assert {"401", "503"} <= set(spec["/api/jobs/{job_id}"]["get"]["responses"]) and "404" in set(
        spec["/api/jobs/{job_id}"]["get"]["responses"]
    )
