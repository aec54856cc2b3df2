"""Every job-board kind and detected format imported end to end: feeds.yaml -> Prefect flow -> Mongo.

Each kind's fixture (tests/fixtures/sources/) is served by the local feed server: paged kinds page by
page (`/paged/...?limit=1`: 3 pages), postings' details at `.../<id>`. Exact counts, identities and
every content field are checked against the fixture read the way an import reads it; a second run
changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobfeed.models import FeedFormat, FeedSpec, Job, ParsedFeed
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.sources import parse_feed
from jobfeed.store import Store
from jobfeed.store.jobs import CONTENT_FIELDS
from tests.support.sources import NOW, fixture

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _json(kind: str, name: str) -> Any:
    return json.loads(fixture(kind, name))


def _serve_json(served: Any, path: str, data: Any) -> None:
    served.set_file(path, json.dumps(data).encode(), content_type="application/json")


def setup_board(served: Any, kind: str, base: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Serve one kind's fixture under `base`; returns its feeds.yaml entry and the raw items it lists."""
    if kind == "greenhouse":
        jobs = _json(kind, "jobs.json")["jobs"]
        _serve_json(served, f"{base}/jobs", {"jobs": jobs})
        detail = _json(kind, "job_detail.json")
        items = []
        for job in jobs:  # the fixture's detail answer, as the answer for each post of the list
            answer = {**detail, "id": job["id"]}
            _serve_json(served, f"{base}/jobs/{job['id']}", answer)
            items.append({**job, **answer})
        return {"kind": kind, "board": "Acme", "url": served.url(f"paged/{base}/jobs?content=true")}, items
    if kind == "lever":
        postings = _json(kind, "postings_page1.json") + _json(kind, "postings_page2.json")
        _serve_json(served, f"{base}/postings", postings)
        return {
            "kind": kind,
            "company": "acme",
            "url": served.url(f"paged/{base}/postings?mode=json&limit=1"),
        }, postings
    if kind == "smartrecruiters":
        content = _json(kind, "postings_page1.json")["content"] + _json(kind, "postings_page2.json")["content"]
        _serve_json(served, f"{base}/postings", {"content": content})
        detail = _json(kind, "posting_detail.json")
        items = []
        for posting in content:
            answer = detail if detail["id"] == posting["id"] else {"id": posting["id"]}
            _serve_json(served, f"{base}/postings/{posting['id']}", answer)
            items.append({**posting, **answer})
        return {"kind": kind, "company": "acme", "url": served.url(f"paged/{base}/postings?limit=1")}, items
    name, key = {
        "ashby": ("job_board.json", "board"),
        "workable": ("account.json", "account"),
        "recruitee": ("offers.json", "company"),
        "personio": ("positions.xml", "company"),
        "indeed_xml": ("source.xml", None),
        "json_feed": ("feed.json", None),
    }[kind]
    body = fixture(kind, name)
    served.set_file(f"{base}/{name}", body, content_type="application/xml" if name.endswith("xml") else None)
    entry: dict[str, Any] = {"url": served.url(f"{base}/{name}")}
    if key:
        entry |= {"kind": kind, key: "acme"}
    parsed = parse_feed(body, expected=FeedFormat(kind) if key else None)
    return entry, parsed.items


def run_flow(feeds_file: Path, store: Store) -> dict[str, Any]:
    from flows.import_feeds import import_feeds

    state = import_feeds(feeds_file=str(feeds_file), return_state=True)
    logs = store.logs.for_flow_run(str(state.state_details.flow_run_id))
    assert len(logs) == 1, state
    return logs[0]


def feeds_yaml(tmp_path: Path, entry: dict[str, Any]) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump({"feeds": [entry]}), encoding="utf-8")
    return path


def counts(log: dict[str, Any]) -> tuple[int, int, int, int, str]:
    return (log["newJobs"], log["updatedJobs"], log["unchangedJobs"], log["failedJobs"], log["status"])


def content(job: Job | dict[str, Any]) -> dict[str, Any]:
    doc = asdict(job) if isinstance(job, Job) else job
    fields = [name for name in CONTENT_FIELDS if name not in {"descriptionText", "dupKey"}]  # derived when written
    return {name: doc.get(name) for name in (*fields, "source", "externalId", "contentHash")}


KINDS = [
    "greenhouse",
    "lever",
    "ashby",
    "smartrecruiters",
    "workable",
    "recruitee",
    "personio",
    "indeed_xml",
    "json_feed",
]


@pytest.mark.parametrize("kind", KINDS)
def test_kind_imports_end_to_end(store: Store, served: Any, tmp_path: Path, kind: str) -> None:
    entry, items = setup_board(served, kind, f"src/{store.db.name}/{kind}")
    spec = FeedSpec(**entry)
    expected = normalize_items(
        ParsedFeed(FeedFormat(kind), items), spec.public_url, source=spec.source, now=NOW, raise_unexpected=True
    )
    assert not expected.failures and expected.jobs
    feeds_file = feeds_yaml(tmp_path, entry)

    first = run_flow(feeds_file, store)
    assert counts(first) == (len(expected.jobs), 0, 0, 0, "success")
    stored = {doc["externalId"]: doc for doc in store.db.jobs.find({"source": spec.source})}
    assert set(stored) == {job.externalId for job in expected.jobs}  # identities
    for job in expected.jobs:  # every content field as the source module maps it
        assert content(stored[job.externalId]) == content(job), job.externalId
    if kind in {"lever", "smartrecruiters"}:
        assert len([r for r in served.requests if "limit=1" in r.path]) >= 3  # 3 pages of one posting

    requests = len(served.requests)
    second = run_flow(feeds_file, store)  # idempotent: the same board again
    assert second["status"] == "not_modified" or counts(second) == (0, 0, len(expected.jobs), 0, "success")
    assert store.db.jobs.count_documents({"source": spec.source}) == len(expected.jobs)
    assert not [r for r in served.requests[requests:] if "/jobs/" in r.path or "/postings/" in r.path]  # no detail


def test_details_follow_the_snapshot(store: Store, served: Any, tmp_path: Path) -> None:
    """SmartRecruiters: a re-run with one posting re-listed (new `releasedDate`) asks only its detail."""
    base = f"src/{store.db.name}/sr-changed"
    entry, _items = setup_board(served, "smartrecruiters", base)
    feeds_file = feeds_yaml(tmp_path, entry)
    assert counts(run_flow(feeds_file, store)) == (3, 0, 0, 0, "success")
    doc = store.db.jobs.find_one({"externalId": "75551135"})
    assert doc is not None and doc["descriptionHtml"] and doc["url"]  # from the detail answer

    content = (
        _json("smartrecruiters", "postings_page1.json")["content"]
        + _json("smartrecruiters", "postings_page2.json")["content"]
    )
    content[1]["releasedDate"] = "2026-02-01T10:00:00.000Z"
    _serve_json(served, f"{base}/postings", {"content": content})
    before = len(served.requests)
    log = run_flow(feeds_file, store)
    assert counts(log) == (0, 1, 2, 0, "success")
    details = [r.path for r in served.requests[before:] if "/postings/" in r.path]
    assert details == [f"/paged/{base}/postings/{content[1]['id']}"]


@pytest.mark.parametrize("kind", ["lever", "smartrecruiters"])
def test_failing_middle_page_fails_the_run_and_closes_nothing(
    store: Store, served: Any, tmp_path: Path, kind: str
) -> None:
    base = f"src/{store.db.name}/{kind}-fail"
    entry, items = setup_board(served, kind, base)
    spec = FeedSpec(**entry)
    feeds_file = feeds_yaml(tmp_path, entry)
    assert counts(run_flow(feeds_file, store))[0] == len(items)

    served.fail_with(f"/paged/{base}/postings@1", 404)  # page 2 of 3 answers 404
    for _ in range(3):  # more runs than close_after misses: an incomplete board never closes a job
        log = run_flow(feeds_file, store)
        assert log["status"] == "failed" and log["error"]["reason"] == "http_4xx"
        assert log["totalFetched"] == 0
    assert store.db.jobs.count_documents({"source": spec.source, "status": "open"}) == len(items)
