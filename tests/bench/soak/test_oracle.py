"""The soak's oracle finds what it is there to find: each check fails on the fault it names, on a real database."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bench.soak.chaos import Served
from bench.soak.model import Board, Rates
from bench.soak.oracle import Oracle
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.sources import parse_feed

FLOW_RUN = "flow-run-1"


def _setup(store: Any) -> tuple[Board, Oracle, dict[str, str]]:
    board = Board(2, (4, 4), seed=5, rates=Rates(unchanged=0.0))
    urls = {feed: f"http://127.0.0.1:9/{feed}.xml" for feed in board.feeds}
    return board, Oracle(board, store.db, urls), urls


def _import(store: Any, board: Board, urls: dict[str, str], feed: str, **log: Any) -> Served:
    """Store the feed's current version as jobfeed would, and its ImportLog; returns the server's answer."""
    version = board.feeds[feed].current
    jobs = normalize_items(parse_feed(version.body, "application/rss+xml"), urls[feed]).jobs
    counts = store.jobs.upsert_batch(jobs, feed_url=urls[feed], token=f"{FLOW_RUN}:{feed}:0", now=datetime.now(UTC))
    doc = {
        "fileName": urls[feed],
        "flowRunId": FLOW_RUN,
        "status": "success",
        "totalFetched": len(jobs),
        "totalImported": counts.new + counts.updated,
        "newJobs": counts.new,
        "updatedJobs": counts.updated,
        "unchangedJobs": counts.unchanged,
        "failedJobs": 0,
        "failuresByReason": {},
        **log,
    }
    store.logs.coll.insert_one(doc)
    return Served(0, feed, 0, "ok", 200, version.etag, time.time())


def test_a_run_as_the_model_says_has_no_violation(store: Any) -> None:
    board, oracle, urls = _setup(store)
    served = [_import(store, board, urls, feed) for feed in board.feeds]
    facts = oracle.after_run(0, FLOW_RUN, "COMPLETED", clean=True, before={}, served=served)
    assert oracle.violations == [] and facts.statuses == {"success": 2}


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("counts", "counts"),  # the log miscounts new vs unchanged
        ("invariant", "invariant"),  # failuresByReason does not add up to failedJobs
        ("outcome", "outcome"),  # the log's status is not what the server answered
        ("stale", "latest"),  # a stored job holds older content than the snapshot
        ("lost", "acknowledged"),  # a finished ImportLog disappears
    ],
)
def test_each_check_catches_its_fault(store: Any, fault: str, check: str) -> None:
    board, oracle, urls = _setup(store)
    feed, other = board.feeds
    extra = {"newJobs": 3, "unchangedJobs": 1, "totalImported": 3} if fault == "counts" else {}
    extra |= {"failuresByReason": {"db_error": 1}} if fault == "invariant" else {}
    served = [_import(store, board, urls, feed, **extra), _import(store, board, urls, other)]
    if fault == "outcome":  # the server only ever answered 503 (and jobfeed gave up at once), the log says success
        served = [Served(0, feed, 0, "5xx", 503, None, time.time()), served[1]]
    oracle.after_run(0, FLOW_RUN, "COMPLETED", clean=True, before={}, served=served)
    if fault in ("stale", "lost"):
        assert oracle.violations == []
        if fault == "stale":
            store.jobs.coll.update_one({}, {"$set": {"contentHash": "an-older-hash"}})
        else:
            store.logs.coll.delete_one({"fileName": urls[feed]})
        oracle.after_run(1, None, None, clean=False, before={}, served=[])
    assert {v.check for v in oracle.violations} == {check}, oracle.violations
