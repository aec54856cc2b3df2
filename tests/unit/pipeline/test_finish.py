"""pipeline.finish on the real store and Redis: every outcome kind, dead letters, idempotence, clean-up."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobfeed.importlog import FeedFailure, ImportLog, LogStatus
from jobfeed.models import ConditionalState, FeedFormat, FeedSpec
from jobfeed.ops.locks import FeedLocks
from jobfeed.pipeline.feedrun import batch_outcome_of
from jobfeed.pipeline.finish import finish_feed
from jobfeed.pipeline.ingest import ingest_body
from jobfeed.pipeline.runs import BatchOutcome, Failed, FeedOutcome, FeedRun, Fetched, NotModified, Skipped
from jobfeed.pipeline.spool import BatchWriter, FeedSpool, load_batch
from jobfeed.reasons import FailureReason

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
STATE = ConditionalState('"etag-2"', "Tue, 02 Jan 2026 00:00:00 GMT", "body-2")
Begin = Callable[..., list[FeedRun]]


class Finisher:
    """finish_feed with this test's store, locks and spool; records what the after-record hook saw."""

    def __init__(self, store: Any, locks: FeedLocks, spool: Path) -> None:
        self.store, self.locks, self.spool = store, locks, spool
        self.notified: list[tuple[str, str, Any]] = []

    def __call__(self, run: FeedRun, outcome: FeedOutcome, batches: list[BatchOutcome] | None = None) -> ImportLog:
        return finish_feed(
            run, outcome, batches or [], store=self.store, locks=self.locks, spool=self.spool,
            now=datetime.now(UTC), after_record=lambda *args: self.notified.append(args),
        )  # fmt: skip

    def fetched(self, run: FeedRun, fixture: str, batch_size: int = 2) -> Fetched:
        """What the fetch step leaves for a body: batch files in the run's spool, invalid items in memory."""
        spool = FeedSpool(self.spool, run.log_id).reset()
        shutil.copyfile(FIXTURES / fixture, spool.body_path)
        ingested = ingest_body(spool.body_path, None, run.feed.url, BatchWriter(spool, batch_size))
        return Fetched(ingested.batches, ingested.failures, STATE, ingested.format, http_status=200, fetch_ms=12)

    def upserts(self, run: FeedRun, outcome: Fetched, *, failing: frozenset[int] = frozenset()) -> list[BatchOutcome]:
        """The upsert step per batch; batches in `failing` end as a transient database error after retries."""
        results = []
        for batch in outcome.batches:
            if batch.index in failing:
                value: Any = ConnectionError("connection reset (injected)")
            else:
                jobs = load_batch(batch)
                value = self.store.jobs.upsert_batch(
                    jobs, feed_url=run.feed.public_url, token=run.batch_token(batch.index), now=datetime.now(UTC)
                )
            results.append(
                batch_outcome_of(batch, value, retries=3, is_transient=lambda e: isinstance(e, ConnectionError))
            )
        return results


@pytest.fixture
def finish(store: Any, locks: FeedLocks, spool: Path) -> Finisher:
    return Finisher(store, locks, spool)


def check_invariant(log: ImportLog, doc: dict[str, Any]) -> None:
    assert doc["totalFetched"] == doc["newJobs"] + doc["updatedJobs"] + doc["unchangedJobs"] + doc["failedJobs"]
    assert doc["totalImported"] == doc["newJobs"] + doc["updatedJobs"]
    assert doc["finishedAt"] is not None and doc["timestamp"] == doc["finishedAt"] and doc["durationMs"] >= 0
    assert log == ImportLog.from_doc(doc)  # the typed log returned is the stored one


def test_fetched_and_every_batch_stored_is_success(
    store: Any, locks: FeedLocks, spool: Path, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    (run,) = begin(feed("ok"))
    outcome = finish.fetched(run, "jobicy_job_feed.xml")  # 5 jobs in batches of 2, 2, 1
    log = finish(run, outcome, finish.upserts(run, outcome))
    doc = store.logs.get(run.log_id)
    check_invariant(log, doc)
    assert (log.status, log.new, log.failed, log.total_fetched) == (LogStatus.SUCCESS, 5, 0, 5)
    assert (doc["httpStatus"], doc["format"], doc["fetchMs"], doc["batches"]) == (200, "rss", 12, 3)
    state = store.feeds.get(run.feed.public_url)
    assert (state["lastStatus"], state["consecutiveFailures"], state["lastLogId"]) == ("success", 0, run.log_id)
    assert store.feeds.conditional_state(run.feed.public_url) == STATE  # every job stored: next GET is conditional
    assert locks.holder(run.feed.public_url) is None  # lock given back
    assert not FeedSpool(spool, run.log_id).dir.exists()  # working files removed
    assert finish.notified == [(run.feed.public_url, run.feed.name, None)]  # state before this first run: none


def test_a_batch_failing_after_retries_is_parked_and_the_body_not_remembered(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    (run,) = begin(feed("flaky-db"))
    outcome = finish.fetched(run, "jobicy_job_feed.xml")
    batches = finish.upserts(run, outcome, failing=frozenset({1}))
    log = finish(run, outcome, batches)
    check_invariant(log, store.logs.get(run.log_id))
    assert (log.status, log.new, log.failed) == (LogStatus.PARTIAL, 3, 2)
    assert log.failures_by_reason == {"db_error": 2}
    (letter,) = store.db.dead_letters.find({})
    assert (letter["key"], letter["reason"], letter["attempts"]) == (run.batch_token(1), "db_error", 4)
    assert [job["externalId"] for job in letter["payload"]["jobs"]] == [f.itemKey for f in log.failures]
    assert store.feeds.conditional_state(run.feed.public_url) == ConditionalState()  # next run fetches it all again
    assert store.feeds.get(run.feed.public_url)["consecutiveFailures"] == 0  # partial: no streak


def test_a_batch_failing_after_an_ok_run_forgets_the_old_validators(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    """Found by the chaos soak (bench/soak): keeping the validators of the last stored body let the next run
    get a 304 when the board went back to that body, although the failed batch's writes (an acknowledgement
    lost) may have reached the database: the store kept the edit the board had taken back."""
    (first,) = begin(feed("flaky-later"), flow_run_id="run-1")
    outcome = finish.fetched(first, "jobicy_job_feed.xml")
    finish(first, outcome, finish.upserts(first, outcome))
    assert store.feeds.conditional_state(first.feed.public_url) == STATE
    (second,) = begin(feed("flaky-later"), flow_run_id="run-2")
    outcome = finish.fetched(second, "jobicy_job_feed.xml")
    log = finish(second, outcome, finish.upserts(second, outcome, failing=frozenset({0})))
    assert log.status is LogStatus.PARTIAL
    assert store.feeds.conditional_state(second.feed.public_url) == ConditionalState()  # a full GET next time


def test_invalid_items_are_parked_for_a_redrive(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    (run,) = begin(feed("noid"))
    outcome = finish.fetched(run, "item_without_identity.xml")
    log = finish(run, outcome, finish.upserts(run, outcome))
    check_invariant(log, store.logs.get(run.log_id))
    assert log.status is LogStatus.PARTIAL and log.failed == 1 and log.new == log.total_fetched - 1 >= 1
    (letter,) = store.db.dead_letters.find({})
    assert letter["reason"] == "item_invalid" and letter["payload"]["kind"] == "item"
    assert letter["payload"]["format"] == "rss" and letter["payload"]["raw"]
    assert store.feeds.conditional_state(run.feed.public_url) == STATE  # every valid job is stored


def test_not_modified_keeps_the_conditional_state(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    (run,) = begin(feed("same"))
    log = finish(run, NotModified(STATE, http_status=304, fetch_ms=3))
    doc = store.logs.get(run.log_id)
    check_invariant(log, doc)
    assert (log.status, log.total_fetched, doc["httpStatus"], doc["format"]) == (LogStatus.NOT_MODIFIED, 0, 304, None)
    assert store.feeds.conditional_state(run.feed.public_url) == STATE


def test_failed_feed_counts_a_streak_and_keeps_no_state(
    store: Any, locks: FeedLocks, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    (run,) = begin(feed("broken"))
    log = finish(run, Failed(FeedFailure(FailureReason.HTTP_5XX, "HTTP 503"), http_status=503))
    check_invariant(log, store.logs.get(run.log_id))
    assert (log.status, log.reason, log.total_fetched) == (LogStatus.FAILED, "http_5xx", 0)
    state = store.feeds.get(run.feed.public_url)
    assert (state["consecutiveFailures"], state["lastErrorReason"], state.get("etag")) == (1, "http_5xx", None)
    assert locks.holder(run.feed.public_url) is None


def test_skipped_feed_leaves_feed_health_and_the_holders_lock_alone(
    store: Any, locks: FeedLocks, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    busy = feed("busy")
    assert locks.acquire(busy.public_url, "other-run").acquired
    try:
        (run,) = begin(busy)
        log = finish(run, Skipped(run.skip))  # type: ignore[arg-type]
        assert (log.status, log.reason) == (LogStatus.SKIPPED, "locked") and "other-run" in log.error.message  # type: ignore[union-attr]
        check_invariant(log, store.logs.get(run.log_id))
        assert store.feeds.get(busy.public_url) is None and finish.notified == []  # says nothing of its health
        assert locks.holder(busy.public_url) == "other-run"
    finally:
        locks.release(busy.public_url, "other-run")


def test_a_skipped_run_is_skipped_whatever_its_fetch_step_reported(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    off = feed("off")
    store.feeds.set_disabled(off.public_url, True, now=datetime.now(UTC))
    (run,) = begin(off)
    log = finish(run, Failed(FeedFailure(FailureReason.INTERNAL_ERROR, "the fetch task crashed")))
    assert (log.status, log.reason) == (LogStatus.SKIPPED, "disabled")


def test_finishing_twice_counts_once(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    (run,) = begin(feed("twice"))
    outcome = finish.fetched(run, "item_without_identity.xml")
    batches = finish.upserts(run, outcome)
    failure = Failed(FeedFailure(FailureReason.HTTP_4XX, "HTTP 404"))
    first = finish(run, outcome, batches)
    again = finish(run, outcome, batches)  # a retried record task
    other = finish(run, failure)  # even a different outcome cannot finish a finished log again
    assert first == again == other and first.status is LogStatus.PARTIAL
    assert store.db.dead_letters.find_one({})["attempts"] == 1
    assert store.feeds.get(run.feed.public_url)["consecutiveFailures"] == 0  # the failure was not counted
    assert store.db.import_logs.count_documents({}) == 1


def test_format_of_the_body_is_recorded(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    (run,) = begin(feed("atom"))
    outcome = finish.fetched(run, "atom_feed.xml")
    assert outcome.format is FeedFormat.ATOM
    log = finish(run, outcome, finish.upserts(run, outcome))
    assert log.facts.format == "atom" and log.status is LogStatus.SUCCESS
