"""The import-feeds flow end to end: real HTTP feed server, real Mongo-compatible server, Prefect harness."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from jobfeed.store import Store

pytestmark = pytest.mark.usefixtures("prefect_harness")

JOBICY = "jobicy_job_feed.xml"
JOBICY_DESIGN = "jobicy_job_feed_design.xml"  # shares two jobs with JOBICY
REAL = ["jobspresso_wpjm_job_feed.xml", "weworkremotely_opencruit_feed.xml", "jobicy_api_opencruit_response.json"]


def run_flow(store: Store, urls: list[str]) -> dict[str, dict[str, Any]]:
    """Run the flow in-process and return this run's ImportLogs by feed URL."""
    from flows.import_feeds import import_feeds

    state = import_feeds(feed_urls=urls, return_state=True)
    logs = store.logs.for_flow_run(str(state.state_details.flow_run_id))
    assert len(logs) == len(urls), state
    for log in logs:
        assert log["status"] != "running"
        assert not (Path(os.environ["SPOOL_DIR"]) / str(log["_id"])).exists()  # working files removed
        assert log["totalFetched"] == log["newJobs"] + log["updatedJobs"] + log["unchangedJobs"] + log["failedJobs"]
        assert log["totalImported"] == log["newJobs"] + log["updatedJobs"]
    return {log["fileName"]: log for log in logs}


def counts(log: dict[str, Any]) -> tuple[int, int, int, int, str]:
    return (log["newJobs"], log["updatedJobs"], log["unchangedJobs"], log["failedJobs"], log["status"])


def test_first_run_second_run_and_edits(store: Store, served) -> None:
    urls = [served.url(name) for name in (JOBICY, JOBICY_DESIGN, *REAL)]
    first = run_flow(store, urls)
    for name, expected in (
        ("jobspresso_wpjm_job_feed.xml", 3),
        ("weworkremotely_opencruit_feed.xml", 5),
        ("jobicy_api_opencruit_response.json", 3),
    ):
        assert counts(first[served.url(name)]) == (expected, 0, 0, 0, "success"), name
    jobicy, design = first[served.url(JOBICY)], first[served.url(JOBICY_DESIGN)]
    assert jobicy["status"] == design["status"] == "success"
    jobicy_docs = store.jobs.count({"feeds": {"$in": [served.url(JOBICY), served.url(JOBICY_DESIGN)]}})
    # the two shared jobs are one document each, counted new by exactly one of the two feeds
    assert jobicy["newJobs"] + design["newJobs"] == jobicy_docs
    assert jobicy["totalFetched"] + design["totalFetched"] - jobicy_docs == 2
    assert store.db.jobs.count_documents({"feeds": {"$all": [served.url(JOBICY), served.url(JOBICY_DESIGN)]}}) == 2
    total_docs = store.jobs.count()
    assert total_docs == sum(log["newJobs"] for log in first.values())

    # second run: the server answers 304 to our conditional GET -> not_modified, nothing written
    stamps = {d["_id"]: d["lastWrite"]["token"] for d in store.db.jobs.find({}, {"lastWrite": 1})}
    second = run_flow(store, urls)
    assert {log["status"] for log in second.values()} == {"not_modified"}
    assert store.jobs.count() == total_docs
    assert {d["_id"]: d["lastWrite"]["token"] for d in store.db.jobs.find({}, {"lastWrite": 1})} == stamps

    # forget the conditional state: bodies are parsed again and every job is counted unchanged
    store.db.feeds.update_many({}, {"$set": {"etag": None, "lastModified": None, "bodyHash": None}})
    third = run_flow(store, urls)
    for url, log in third.items():
        assert counts(log) == (0, 0, first[url]["totalFetched"], 0, "success"), url
    assert {d["_id"]: d["lastWrite"]["token"] for d in store.db.jobs.find({}, {"lastWrite": 1})} == stamps

    # edit two titles in one feed: exactly those two are updated
    original = (served.root / JOBICY).read_text(encoding="utf-8")
    titles = [line for line in original.splitlines() if "<title>" in line][1:3]  # [0] is the channel title
    edited = original
    for line in titles:
        edited = edited.replace(line, line.replace("<title>", "<title>EDITED "), 1)
    served.set_file(JOBICY, edited.encode("utf-8"), content_type="application/rss+xml")
    fourth = run_flow(store, urls)
    assert counts(fourth[served.url(JOBICY)]) == (0, 2, jobicy["totalFetched"] - 2, 0, "success")
    assert store.db.jobs.count_documents({"title": {"$regex": "^EDITED "}}) == 2
    assert {log["status"] for url, log in fourth.items() if url != served.url(JOBICY)} == {"not_modified"}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/status/404", "http_4xx"),
        ("/html-challenge?code=200", "blocked_html"),
        ("/html-challenge?code=403", "blocked_html"),
        ("/xxe_bomb.xml", "xml_forbidden"),
        ("/xxe_file.xml", "xml_forbidden"),
        ("/truncated_feed.xml", "xml_malformed"),
    ],
)
def test_broken_feed_leaves_a_failed_log_with_its_reason(store: Store, served, path: str, reason: str) -> None:
    good = served.url("jobspresso_wpjm_job_feed.xml")
    logs = run_flow(store, [served.base_url + path, good])
    broken = logs[served.base_url + path]
    assert broken["status"] == "failed"
    assert broken["error"]["reason"] == reason
    assert broken["totalFetched"] == 0
    assert logs[good]["status"] in {"success", "not_modified"}  # other feeds unaffected


def test_transient_failure_is_retried_then_recorded(store: Store, served) -> None:
    flaky = served.base_url + "/flaky/e2e-flaky?fail=1&code=503&file=jobspresso_wpjm_job_feed.xml"
    always = served.base_url + "/status/500"
    logs = run_flow(store, [flaky, always])
    assert counts(logs[flaky])[0] == 3 and logs[flaky]["status"] == "success"  # recovered on retry
    assert logs[always]["status"] == "failed" and logs[always]["error"]["reason"] == "http_5xx"


def test_body_cut_off_mid_transfer_is_fetched_again_from_scratch(store: Store, served) -> None:
    # attempt 1 spools part of a body before the connection is reset (transient: retried);
    # attempt 2 must start from an empty spool, not append to or parse the cut-off body
    url = served.url(f"flaky/cut-{store.db.name}?fail=1&code=reset&file={JOBICY}")
    log = run_flow(store, [url])[url]
    assert counts(log) == (5, 0, 0, 0, "success")
    assert len(served.requests_to(f"/flaky/cut-{store.db.name}")) == 2


def test_item_without_identity_fails_alone(store: Store, served) -> None:
    url = served.url("item_without_identity.xml")
    log = run_flow(store, [url])[url]
    assert log["status"] == "partial"
    assert log["failedJobs"] == 1 and log["failures"][0]["reason"] == "item_invalid"
    assert log["newJobs"] == log["totalFetched"] - 1 >= 1


def test_unreachable_host_is_a_network_failure(store: Store) -> None:
    url = "http://127.0.0.1:9/feed.xml"  # discard port: nothing listens
    log = run_flow(store, [url])[url]
    assert log["status"] == "failed" and log["error"]["reason"] == "network_error"
    assert store.feeds.get(url)["consecutiveFailures"] == 1


def test_feed_locked_by_another_run_is_skipped(store: Store, served) -> None:
    from jobfeed.ops.locks import get_locks
    from jobfeed.settings import get_settings

    settings = get_settings()
    locks = get_locks(settings.redis_url, settings.lock_ttl_s)
    busy, free = served.url("single_item_feed.xml"), served.url("atom_feed.xml")
    assert locks.acquire(busy, "scheduled-run-123").acquired
    try:
        logs = run_flow(store, [busy, free])
    finally:
        locks.release(busy, "scheduled-run-123")
    assert logs[busy]["status"] == "skipped"
    assert logs[busy]["error"]["reason"] == "locked" and "scheduled-run-123" in logs[busy]["error"]["message"]
    assert logs[busy]["totalFetched"] == 0 and store.jobs.count({"feeds": busy}) == 0
    assert logs[free]["status"] == "success"
    assert locks.holder(free) is None  # released after recording
    again = run_flow(store, [busy])
    assert again[busy]["status"] == "success" and again[busy]["newJobs"] == 1


def test_failing_feed_notifies_once_then_auto_disables(store: Store, served, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobfeed.settings import reset_settings
    from tests.support.receivers import WebhookReceiver

    url = served.base_url + "/status/404"
    with WebhookReceiver() as hook:
        monkeypatch.setenv("NOTIFY_WEBHOOK_URL", hook.url())
        monkeypatch.setenv("NOTIFY_FAIL_AFTER", "2")
        monkeypatch.setenv("AUTO_DISABLE_AFTER", "3")
        reset_settings()
        statuses = [run_flow(store, [url])[url]["status"] for _ in range(4)]
        posts = [post for post in hook.posts if " run import-" not in post.json()["text"]]  # per feed, not per run
        texts = [post.json()["text"] for post in posts]
        bodies = [post.body.decode() for post in posts]
        runs = [post.json()["text"] for post in hook.posts if post not in posts]
    assert statuses == ["failed", "failed", "failed", "skipped"]  # disabled after the 3rd failure
    # NOTIFY_RUN_SUMMARY's default (failures): one run summary per failing run, none for the skipped one
    assert len(runs) == 3 and all("Failed - 0 of 1 feeds ok; 1 failed: http_4xx" in text for text in runs), runs
    assert len(texts) == 2, texts  # "failing" once at 2, "disabled" at 3; nothing on the skipped run
    assert "failed 2 runs in a row" in texts[0] and "http_4xx" in bodies[0]
    assert "disabled" in texts[1].lower()
    assert store.feeds.is_disabled(url)
