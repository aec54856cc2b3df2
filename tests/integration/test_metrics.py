"""The metrics endpoint over real HTTP, reading seeded ImportLogs, feed state and dead letters from real Mongo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pymongo import MongoClient

from jobfeed.ops.metrics import build_registry, serve_metrics
from jobfeed.stack.procs import free_port
from jobfeed.store import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
A = "https://a.example/feed?key=SECRET"
A_LABEL = "https://a.example/feed?key=***"
B = "https://b.example/jobs.rss"


def _log(feed: str, status: str, finished: datetime | None, *, new: int = 0, updated: int = 0, unchanged: int = 0,
         failed: int = 0, fetch_ms: float | None = None, duration_ms: int | None = None) -> dict[str, Any]:  # fmt: skip
    return {"fileName": feed, "feedName": feed.split("/")[2], "status": status, "startedAt": (finished or NOW) - timedelta(minutes=1),
            "finishedAt": finished, "timestamp": finished, "newJobs": new, "updatedJobs": updated, "unchangedJobs": unchanged,
            "failedJobs": failed, "totalFetched": new + updated + unchanged + failed, "fetchMs": fetch_ms, "durationMs": duration_ms}  # fmt: skip


class Clock:
    """A settable clock, so the test decides which logs count as settled."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def endpoint(store: Store) -> Iterator[tuple[str, Clock]]:
    clock = Clock()
    port = free_port()
    server, thread = serve_metrics("127.0.0.1", port, build_registry(lambda: store, clock=clock))
    yield f"http://127.0.0.1:{port}/metrics", clock
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of one scrape, keyed by (sample name, labels)."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def seed(store: Store) -> None:
    store.logs.coll.insert_many([
        _log(A, "success", NOW - timedelta(days=2), new=3, updated=1, unchanged=6, fetch_ms=120, duration_ms=900),
        _log(A, "failed", NOW - timedelta(days=1), duration_ms=40),  # failed before any fetch: no fetchMs
        _log(A, "success", NOW - timedelta(minutes=10), new=1, unchanged=9, fetch_ms=2600, duration_ms=4000),
        _log(B, "partial", NOW - timedelta(hours=3), new=2, failed=1, fetch_ms=250, duration_ms=61000),
        _log(B, "running", None),  # in progress: counted nowhere but runs_in_progress
    ])  # fmt: skip
    store.feeds.coll.insert_many([
        {"url": A, "name": "a-all", "consecutiveFailures": 0, "disabled": False, "lastSuccessAt": NOW - timedelta(minutes=10)},
        {"url": B, "name": "b-rss", "consecutiveFailures": 12, "disabled": True, "lastSuccessAt": None},
    ])  # fmt: skip
    store.dead_letters.coll.insert_many([
        {"key": "k1", "reason": "db_error", "redrivenAt": None},
        {"key": "k2", "reason": "db_error", "redrivenAt": None},
        {"key": "k3", "reason": "item_invalid"},
        {"key": "k4", "reason": "db_error", "redrivenAt": NOW},
    ])  # fmt: skip


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
    port = free_port()
    server, _thread = serve_metrics("127.0.0.1", port, build_registry(lambda: dead))
    try:
        samples = scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        server.shutdown()
        server.server_close()
        client.close()
    assert value(samples, "jobfeed_store_up") == 0
    assert not any(name.startswith("jobfeed_jobs") for name, _ in samples)
