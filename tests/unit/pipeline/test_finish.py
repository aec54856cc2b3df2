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
from jobfeed.quality import COVERAGE_FIELDS, Drift, DriftKind
from jobfeed.reasons import FailureReason

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
STATE = ConditionalState('"etag-2"', "Tue, 02 Jan 2026 00:00:00 GMT", "body-2")
Begin = Callable[..., list[FeedRun]]


class Finisher:
    """finish_feed with this test's store, locks and spool; records what the after-record hook saw."""

    def __init__(self, store: Any, locks: FeedLocks, spool: Path) -> None:
        self.store, self.locks, self.spool = store, locks, spool
        self.notified: list[tuple[str, str, Any]] = []
        self.drifted: list[tuple[str, str, str, list[Drift]]] = []  # what the on_drift hook was told

    def __call__(self, run: FeedRun, outcome: FeedOutcome, batches: list[BatchOutcome] | None = None) -> ImportLog:
        return finish_feed(
            run, outcome, batches or [], store=self.store, locks=self.locks, spool=self.spool,
            now=datetime.now(UTC), after_record=lambda *args: self.notified.append(args),
            on_drift=lambda url, name, log_id, drift: self.drifted.append((url, name, log_id, list(drift))),
        )  # fmt: skip

    def fetched(self, run: FeedRun, fixture: str | bytes, batch_size: int = 2) -> Fetched:
        """What the fetch step leaves for a body (a fixture's name, or bytes): batch files in the run's spool,
        invalid items in memory, the body's profile."""
        spool = FeedSpool(self.spool, run.log_id).reset()
        if isinstance(fixture, bytes):
            spool.body_path.write_bytes(fixture)
        else:
            shutil.copyfile(FIXTURES / fixture, spool.body_path)
        ingested = ingest_body(spool.body_path, None, run.feed.url, BatchWriter(spool, batch_size))
        return Fetched(ingested.batches, ingested.failures, STATE, ingested.format, http_status=200, fetch_ms=12,
                       profile=ingested.profile)  # fmt: skip

    def run(self, run: FeedRun, body: str | bytes) -> ImportLog:
        """Finish one fetched body with its upserts."""
        outcome = self.fetched(run, body)
        return self(run, outcome, self.upserts(run, outcome))

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


# --- Data quality: coverage, shape and drift in the finish path ----------------------------------


def test_a_parsed_body_stores_its_coverage_and_shape_and_a_304_stores_none(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    spec = feed("quality")
    (run,) = begin(spec)
    log = finish.run(run, "jobicy_job_feed.xml")
    doc = store.logs.get(run.log_id)
    check_invariant(log, doc)
    assert doc["fieldCoverage"] == dict.fromkeys(COVERAGE_FIELDS, 1.0) and doc["drift"] == []  # no baseline yet
    assert (doc["shape"]["format"], doc["shape"]["items"], log.shape.elements["company"]) == ("rss", 5, 1.0)
    assert finish.drifted == []
    (again,) = begin(spec)
    finish(again, NotModified(STATE, http_status=304))
    assert {"fieldCoverage", "shape", "drift"}.isdisjoint(store.logs.get(again.log_id))  # nothing was parsed


def test_a_drift_is_stored_on_every_run_it_lasts_and_told_once(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    """v1 (WP Job Manager, job_listing:company) -> v2 (renamed) -> a 304 -> v2' (one job edited) -> v2' again."""
    spec = feed("drift")
    v1 = (FIXTURES / "jobicy_job_feed.xml").read_bytes()
    v2 = v1.replace(b"job_listing:company", b"job_listing:employer")
    v2_edited = v2.replace(b"<title>", b"<title>Senior ", 2).replace(b"<title>Senior ", b"<title>", 1)  # one job
    logs = []
    for body in (v1, v2, None, v2_edited, v2_edited):
        (run,) = begin(spec)
        logs.append(finish(run, NotModified(STATE)) if body is None else finish.run(run, body))
    missing, still = (Drift(DriftKind.ELEMENT_MISSING, "company", before, 0.0) for before in (1.0, 0.5))
    assert [log.drift for log in logs] == [[], [missing], [], [still], []]  # the last: the baseline moved on
    assert logs[3].updated == 1
    assert logs[1].field_coverage == logs[0].field_coverage  # no coverage_drop: dc:creator still names the company
    assert finish.drifted == [(spec.public_url, spec.name, logs[1].id, [missing])]  # told once, on v2


def test_a_drift_that_went_away_and_came_back_is_told_again_and_replays_are_no_baseline(
    store: Any, feed: Callable[[str], FeedSpec], begin: Begin, finish: Finisher
) -> None:
    spec = feed("flapping")
    full = (FIXTURES / "jobicy_job_feed.xml").read_bytes()
    bare = full.replace(b"<job_listing:location>", b"<job_listing:place>").replace(b"</job_listing:location>",
                                                                                   b"</job_listing:place>")  # fmt: skip
    for body in (full, bare, full, full, full, full, bare):
        (run,) = begin(spec)
        finish.run(run, body)
    lost = [("coverage_drop", "location"), ("element_missing", "location")]  # no other element names the place
    back = [("element_missing", "place")]  # the renamed element was in half of the baseline's items: gone again
    assert [[d.key for d in drift] for *_, drift in finish.drifted] == [lost, back, lost]
    (run,) = begin(spec)
    assert len(store.logs.profiled_before(spec.public_url, before=run.started_at, limit=5)) == 5
    # an archived body replayed (`jobfeed replay`) writes a log with `replayOf`: never part of a baseline
    store.db.import_logs.update_many({"fileName": spec.public_url}, {"$set": {"replayOf": "log-0"}})
    assert store.logs.profiled_before(spec.public_url, before=run.started_at, limit=5) == []
