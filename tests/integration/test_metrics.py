"""The metrics endpoint over real HTTP, reading seeded ImportLogs, feed state and dead letters from real Mongo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from pymongo import MongoClient

from jobfeed.stack.procs import free_port
from jobfeed.store import Store
from tests.support.metrics import A_LABEL, NOW, A, B, scrape, seed, serving, value
from tests.support.metrics import import_log as _log


class Clock:
    """A settable clock, so the test decides which logs count as settled."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def endpoint(store: Store) -> Iterator[tuple[str, Clock]]:
    clock = Clock()
    with serving(lambda: store, clock=clock) as url:
        yield url, clock


def test_scrape_reports_exact_totals_and_state(store: Store, endpoint: tuple[str, Clock]) -> None:
    seed(store)
    url, _ = endpoint
    samples = scrape(url)
    jobs = {(feed, outcome): value(samples, "jobfeed_jobs_total", feed=feed, outcome=outcome)
            for feed in (A_LABEL, B) for outcome in ("new", "updated", "unchanged", "failed")}  # fmt: skip
    assert jobs == {
        (A_LABEL, "new"): 4, (A_LABEL, "updated"): 1, (A_LABEL, "unchanged"): 15, (A_LABEL, "failed"): 0,
        (B, "new"): 2, (B, "updated"): 0, (B, "unchanged"): 0, (B, "failed"): 1,
    }  # fmt: skip
    runs = {
        (dict(labels)["feed"], dict(labels)["status"]): v
        for (name, labels), v in samples.items()
        if name == "jobfeed_runs_total"
    }
    assert runs == {(A_LABEL, "success"): 2, (A_LABEL, "failed"): 1, (B, "partial"): 1}

    fetch_a = {dict(labels)["le"]: v for (name, labels), v in samples.items()
               if name == "jobfeed_fetch_duration_seconds_bucket" and dict(labels)["feed"] == A_LABEL}  # fmt: skip
    assert fetch_a == {
        "0.1": 0,
        "0.25": 1,
        "0.5": 1,
        "1.0": 1,
        "2.5": 1,
        "5.0": 2,
        "10.0": 2,
        "30.0": 2,
        "60.0": 2,
        "+Inf": 2,
    }
    assert value(samples, "jobfeed_fetch_duration_seconds_count", feed=A_LABEL) == 2
    assert value(samples, "jobfeed_fetch_duration_seconds_sum", feed=A_LABEL) == pytest.approx(2.72)
    assert value(samples, "jobfeed_fetch_duration_seconds_bucket", feed=B, le="0.25") == 1  # bounds are inclusive
    assert value(samples, "jobfeed_fetch_duration_seconds_bucket", feed=B, le="0.1") == 0
    assert value(samples, "jobfeed_run_duration_seconds_count", feed=A_LABEL) == 3
    assert value(samples, "jobfeed_run_duration_seconds_sum", feed=A_LABEL) == pytest.approx(4.94)
    assert value(samples, "jobfeed_run_duration_seconds_bucket", feed=B, le="60.0") == 0
    assert value(samples, "jobfeed_run_duration_seconds_bucket", feed=B, le="120.0") == 1

    assert (
        value(samples, "jobfeed_last_success_timestamp_seconds", feed=A_LABEL)
        == (NOW - timedelta(minutes=10)).timestamp()
    )
    assert ("jobfeed_last_success_timestamp_seconds", frozenset({("feed", B)})) not in samples
    assert value(samples, "jobfeed_feed_consecutive_failures", feed=B) == 12
    assert (value(samples, "jobfeed_feed_disabled", feed=A_LABEL), value(samples, "jobfeed_feed_disabled", feed=B)) == (
        0,
        1,
    )
    assert value(samples, "jobfeed_feed_info", feed=A_LABEL, feed_name="a-all") == 1
    assert value(samples, "jobfeed_runs_in_progress") == 1
    assert value(samples, "jobfeed_dead_letters_pending", reason="db_error") == 2
    assert value(samples, "jobfeed_dead_letters_pending", reason="item_invalid") == 1
    assert value(samples, "jobfeed_store_up") == 1
    assert "SECRET" not in httpx.get(url, timeout=10).text


def test_counters_grow_exactly_as_logs_settle_and_arrive(store: Store, endpoint: tuple[str, Clock]) -> None:
    seed(store)
    url, clock = endpoint
    before = scrape(url)
    # Two hours later: the 10-minute-old log is now settled (folded into the cache), and the
    # running one finished, and one more run came in.
    clock.now = NOW + timedelta(hours=2)
    store.logs.coll.update_one({"status": "running"}, {"$set": {"status": "success", "finishedAt": NOW + timedelta(minutes=5),
                                                                "newJobs": 5, "fetchMs": 90, "durationMs": 700}})  # fmt: skip
    store.logs.coll.insert_one(
        _log(A, "not_modified", NOW + timedelta(hours=1, minutes=59), unchanged=0, fetch_ms=30, duration_ms=50)
    )
    middle = scrape(url)
    clock.now = NOW + timedelta(days=1)  # everything settled now: served from the cache plus an empty fresh window
    after = scrape(url)
    for samples in (middle, after):
        assert value(samples, "jobfeed_jobs_total", feed=B, outcome="new") == 2 + 5
        assert value(samples, "jobfeed_jobs_total", feed=A_LABEL, outcome="new") == 4
        assert value(samples, "jobfeed_runs_total", feed=A_LABEL, status="not_modified") == 1
        assert value(samples, "jobfeed_runs_total", feed=A_LABEL, status="success") == 2
        assert value(samples, "jobfeed_fetch_duration_seconds_count", feed=A_LABEL) == 3
        assert value(samples, "jobfeed_fetch_duration_seconds_bucket", feed=B, le="0.1") == 1
        assert value(samples, "jobfeed_runs_in_progress") == 0
    counters = [key for key in before if key[0].endswith(("_total", "_bucket", "_count", "_sum"))]
    assert counters and all(after[key] >= before[key] for key in counters)  # monotonic


def test_unreachable_mongo_reports_store_down() -> None:
    client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
                                      serverSelectionTimeoutMS=300, connectTimeoutMS=300)  # fmt: skip
    dead = Store(client, "nowhere")
    try:
        with serving(lambda: dead) as url:
            samples = scrape(url)
    finally:
        client.close()
    assert value(samples, "jobfeed_store_up") == 0
    assert not any(name.startswith("jobfeed_jobs") for name, _ in samples)


def test_scrape_creates_no_index(db_name: str, mongo_service) -> None:
    from jobfeed.store import get_store
    from tests.support.indexes import extra_indexes

    with serving(get_store) as url:  # what `jobfeed.ops.metrics` serves
        samples = scrape(url)
    assert value(samples, "jobfeed_store_up") == 1 and value(samples, "jobfeed_runs_in_progress") == 0
    assert extra_indexes(mongo_service.client()[db_name]) == {}  # the exporter only reads


def test_closed_and_reopened_jobs_are_counters_beside_the_outcomes(store: Store, endpoint: tuple[str, Clock]) -> None:
    store.logs.coll.insert_many([
        {**_log(A, "success", NOW - timedelta(hours=2), new=1), "closedJobs": 3, "reopenedJobs": 1},
        {**_log(A, "success", NOW - timedelta(hours=1), unchanged=1), "closedJobs": 2, "reopenedJobs": 0},
        _log(B, "success", NOW - timedelta(hours=1), new=4),  # a log from before the lifecycle: no such fields
    ])  # fmt: skip
    samples = scrape(endpoint[0])
    assert value(samples, "jobfeed_jobs_closed_total", feed=A_LABEL) == 5
    assert value(samples, "jobfeed_jobs_reopened_total", feed=A_LABEL) == 1
    assert (
        value(samples, "jobfeed_jobs_closed_total", feed=B)
        == value(samples, "jobfeed_jobs_reopened_total", feed=B)
        == 0
    )
    assert {dict(labels)["outcome"] for (name, labels) in samples if name == "jobfeed_jobs_total"} == {
        "new", "updated", "unchanged", "failed"
    }  # fmt: skip


def test_failures_by_reason_count_failed_feeds_and_items_exactly(store: Store, endpoint: tuple[str, Clock]) -> None:
    url, clock = endpoint
    timeout = {"reason": "timeout", "message": "read timed out"}
    store.logs.coll.insert_many([
        {**_log(A, "failed", NOW - timedelta(days=1)), "error": timeout},
        {**_log(A, "failed", NOW - timedelta(minutes=5)), "error": timeout},  # not settled yet: the fresh window
        {**_log(A, "partial", NOW - timedelta(hours=2), new=1, failed=150),
         "failuresByReason": {"item_invalid": 148, "db_error": 2}, "failures": [{"reason": "item_invalid"}] * 100},
        {**_log(B, "success", NOW - timedelta(hours=2), new=1), "failuresByReason": {}, "error": None},
        {**_log(B, "running", None), "error": {"reason": "http_5xx", "message": "not finished: not counted"}},
    ])  # fmt: skip
    for samples in (scrape(url), scrape(url)):  # the second scrape adds the settled cache to the fresh window
        assert value(samples, "jobfeed_feed_failures_total", feed=A_LABEL, reason="timeout") == 2
        assert value(samples, "jobfeed_item_failures_total", feed=A_LABEL, reason="item_invalid") == 148
        assert value(samples, "jobfeed_item_failures_total", feed=A_LABEL, reason="db_error") == 2
        # a feed without failures still has a series (reason "none", 0), so rate() works before the first one
        assert value(samples, "jobfeed_feed_failures_total", feed=B, reason="none") == 0
        assert value(samples, "jobfeed_item_failures_total", feed=B, reason="none") == 0
        assert not any(dict(labels).get("reason") == "http_5xx" for _, labels in samples)
    clock.now = NOW + timedelta(days=1)  # everything settled: served from the cache alone
    assert value(scrape(url), "jobfeed_feed_failures_total", feed=A_LABEL, reason="timeout") == 2


def test_drifts_are_counted_by_feed_and_kind(store: Store, endpoint: tuple[str, Clock]) -> None:
    url, clock = endpoint
    missing = {"kind": "element_missing", "field": "company", "before": 1.0, "now": 0.0}
    drop = {"kind": "coverage_drop", "field": "company", "before": 1.0, "now": 0.0}
    store.logs.coll.insert_many([
        {**_log(A, "success", NOW - timedelta(days=1), new=1), "drift": [missing, drop]},
        {**_log(A, "success", NOW - timedelta(minutes=5), unchanged=1), "drift": [missing]},  # it lasts: again
        {**_log(A, "success", NOW - timedelta(minutes=2), unchanged=1), "drift": []},
        _log(B, "not_modified", NOW - timedelta(hours=1)),  # no parsed body: no drift field at all
    ])  # fmt: skip
    for samples in (scrape(url), scrape(url)):
        assert value(samples, "jobfeed_feed_drifts_total", feed=A_LABEL, kind="element_missing") == 2
        assert value(samples, "jobfeed_feed_drifts_total", feed=A_LABEL, kind="coverage_drop") == 1
        # every kind of every feed has a series from its first run on, 0 until a drift
        assert value(samples, "jobfeed_feed_drifts_total", feed=B, kind="namespace_changed") == 0
        kinds = {dict(labels)["kind"] for (name, labels) in samples if name == "jobfeed_feed_drifts_total"}
        assert kinds == {"coverage_drop", "element_missing", "format_changed", "item_element_changed",
                         "namespace_changed"}  # fmt: skip
    clock.now = NOW + timedelta(days=1)  # all settled: the cached totals say the same
    assert value(scrape(url), "jobfeed_feed_drifts_total", feed=A_LABEL, kind="element_missing") == 2
