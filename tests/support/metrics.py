"""The metrics exporter under test: ImportLogs, feed state and dead letters seeded in real Mongo, served on a
free port, scraped over HTTP (tests/integration/test_metrics.py, tests/unit/test_grafana.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from jobfeed.store import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
A = "https://a.example/feed?key=SECRET"
A_LABEL = "https://a.example/feed?key=***"
B = "https://b.example/jobs.rss"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]  # (sample name, labels) -> value


def import_log(feed: str, status: str, finished: datetime | None, *, new: int = 0, updated: int = 0,
               unchanged: int = 0, failed: int = 0, fetch_ms: float | None = None,
               duration_ms: int | None = None) -> dict[str, Any]:  # fmt: skip
    """An import_logs document as the pipeline writes it (the fields the exporter reads)."""
    return {"fileName": feed, "feedName": feed.split("/")[2], "status": status,
            "startedAt": (finished or NOW) - timedelta(minutes=1), "finishedAt": finished, "timestamp": finished,
            "newJobs": new, "updatedJobs": updated, "unchangedJobs": unchanged, "failedJobs": failed,
            "totalFetched": new + updated + unchanged + failed, "fetchMs": fetch_ms, "durationMs": duration_ms}  # fmt: skip


def seed(store: Store) -> None:
    """Two feeds (A with a secret in its URL, B disabled), five logs (one running), four dead letters."""
    store.logs.coll.insert_many([
        import_log(A, "success", NOW - timedelta(days=2), new=3, updated=1, unchanged=6, fetch_ms=120, duration_ms=900),
        import_log(A, "failed", NOW - timedelta(days=1), duration_ms=40),  # failed before any fetch: no fetchMs
        import_log(A, "success", NOW - timedelta(minutes=10), new=1, unchanged=9, fetch_ms=2600, duration_ms=4000),
        import_log(B, "partial", NOW - timedelta(hours=3), new=2, failed=1, fetch_ms=250, duration_ms=61000),
        import_log(B, "running", None),  # in progress: counted nowhere but runs_in_progress
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


def seed_everything(store: Store) -> None:
    """`seed` plus a feed failure, item failures and lifecycle counts: every metric family has samples."""
    seed(store)
    store.logs.coll.insert_many([
        {**import_log(B, "failed", NOW - timedelta(hours=1)), "error": {"reason": "timeout", "message": "slow"}},
        {**import_log(A, "partial", NOW - timedelta(hours=2), new=1, failed=2, fetch_ms=90, duration_ms=300),
         "failuresByReason": {"item_invalid": 2}, "closedJobs": 1, "reopenedJobs": 1},
    ])  # fmt: skip


def scrape(url: str) -> Samples:
    """Every sample of one scrape, keyed by (sample name, labels)."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@contextmanager
def serving(store_factory: Callable[[], Store], **collector_options: Any) -> Iterator[str]:
    """The exporter on a free 127.0.0.1 port (as `python -m jobfeed.ops.metrics` serves it); yields its URL."""
    from jobfeed.ops.metrics import build_registry, serve_metrics
    from jobfeed.stack.procs import free_port

    port = free_port()
    server, thread = serve_metrics("127.0.0.1", port, build_registry(store_factory, **collector_options))
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
