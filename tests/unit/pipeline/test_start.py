"""pipeline.start on the real store and Redis: indexes, crash recovery, skipped feeds, locks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobfeed.models import ConditionalState, FeedSpec
from jobfeed.ops.locks import FeedLocks
from jobfeed.pipeline.runs import FeedRun
from jobfeed.pipeline.spool import FeedSpool
from jobfeed.reasons import FailureReason

Begin = Callable[..., list[FeedRun]]


def test_opens_a_running_log_and_takes_the_lock_per_feed(store: Any, locks: FeedLocks, feed: Any, begin: Begin) -> None:
    a, b = feed("a"), feed("b")
    store.feeds.record_run(
        a.public_url, name="a", status="success", now=datetime.now(UTC),
        conditional=ConditionalState('"e1"', "Mon, 01 Jan 2026 00:00:00 GMT", "h1"), error_reason=None,
    )  # fmt: skip
    runs = begin(a, b, flow_run_id="run-1")
    try:
        assert [run.feed for run in runs] == [a, b]
        for run in runs:
            log = store.logs.get(run.log_id)
            assert (log["status"], log["fileName"], log["flowRunId"]) == ("running", run.feed.public_url, "run-1")
            assert run.skip is None and run.lock_token == "run-1" and run.lock_note is None
            assert locks.holder(run.feed.public_url) == "run-1"
        assert runs[0].state == ConditionalState('"e1"', "Mon, 01 Jan 2026 00:00:00 GMT", "h1")  # for the GET
        assert runs[1].state == ConditionalState()
    finally:
        for run in runs:
            locks.release(run.feed.public_url, "run-1")


def test_creates_the_indexes(store: Any, locks: FeedLocks, feed: Any, begin: Begin) -> None:
    store.db.import_logs.drop_indexes()
    store.db.jobs.drop_indexes()
    (run,) = begin(feed("a"))  # get_store() creates none: the run's start does
    locks.release(run.feed.public_url, "run-1")
    assert "source_externalId" in store.db.jobs.index_information()  # the contract's identity, unique
    assert len(store.db.import_logs.index_information()) > 1


def test_disabled_feed_is_skipped_without_its_lock(store: Any, locks: FeedLocks, feed: Any, begin: Begin) -> None:
    off = feed("off")
    store.feeds.set_disabled(off.public_url, True, now=datetime.now(UTC))
    (run,) = begin(off)
    assert run.skip is not None and run.skip.reason is FailureReason.DISABLED
    assert run.lock_token is None and locks.holder(off.public_url) is None


def test_feed_locked_by_another_run_is_skipped_naming_the_holder(locks: FeedLocks, feed: Any, begin: Begin) -> None:
    busy = feed("busy")
    assert locks.acquire(busy.public_url, "scheduled-run-7").acquired
    try:
        (run,) = begin(busy, flow_run_id="run-2")
        assert run.skip is not None and run.skip.reason is FailureReason.LOCKED
        assert "scheduled-run-7" in run.skip.message and run.lock_token is None
        assert locks.holder(busy.public_url) == "scheduled-run-7"  # not taken over
    finally:
        locks.release(busy.public_url, "scheduled-run-7")


def test_a_retried_start_of_the_same_run_takes_its_own_lock_again(locks: FeedLocks, feed: Any, begin: Begin) -> None:
    url = feed("again")
    first = begin(url, flow_run_id="run-3")
    second = begin(url, flow_run_id="run-3")
    try:
        assert first[0].lock_token == second[0].lock_token == "run-3" and second[0].skip is None
    finally:
        locks.release(url.public_url, "run-3")


def test_unreachable_redis_opens_the_feed_without_a_lock_and_says_so(feed: Any, begin: Begin) -> None:
    (run,) = begin(feed("nolock"), with_locks=FeedLocks("redis://127.0.0.1:9/0", ttl_s=5))
    assert run.skip is None and run.lock_token == "run-1" and run.lock_note


def test_logs_of_crashed_runs_are_failed_their_files_and_locks_freed(
    store: Any, locks: FeedLocks, feed: Any, spool: Path, begin: Begin
) -> None:
    now = datetime.now(UTC)
    gone, zombie, alive, mine = feed("gone"), feed("zombie"), feed("alive"), feed("mine")
    stale = now - timedelta(hours=3)  # far past 2x the lock hold (60 s): crashed, whatever Prefect says
    ids = {
        "gone": _running(store, gone, "dead-run", now),  # Prefect says the run is over
        "zombie": _running(store, zombie, "zombie-run", stale),  # Prefect says Running, for hours
        "alive": _running(store, alive, "live-run", now),  # a run that is really still importing
        "mine": _running(store, mine, "run-1", now),  # this run's own log (a retried start) is never touched
    }
    leftovers = FeedSpool(spool, ids["gone"]).reset()
    (leftovers.dir / "batch-00000.pickle").write_bytes(b"half-written")
    assert locks.acquire(gone.public_url, "dead-run").acquired
    assert locks.acquire(alive.public_url, "live-run").acquired
    try:
        begin(alive=lambda run_id: run_id in {"zombie-run", "live-run", "run-1"})
        statuses = {name: store.logs.get(log_id)["status"] for name, log_id in ids.items()}
        assert statuses == {"gone": "failed", "zombie": "failed", "alive": "running", "mine": "running"}
        for name in ("gone", "zombie"):
            log = store.logs.get(ids[name])
            assert log["error"]["reason"] == "run_crashed" and log["totalFetched"] == 0
            assert log["finishedAt"] is not None and log["timestamp"] == log["finishedAt"]
        assert not leftovers.dir.exists()
        assert locks.holder(gone.public_url) is None  # freed now, not when the hold expires
        assert locks.holder(alive.public_url) == "live-run"
    finally:
        locks.release(alive.public_url, "live-run")


def _running(store: Any, feed: FeedSpec, flow_run_id: str, started_at: datetime) -> str:
    return str(
        store.logs.open(feed_url=feed.public_url, feed_name=feed.name, flow_run_id=flow_run_id, started_at=started_at)
    )
