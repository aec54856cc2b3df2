"""The one path that finishes a feed's run: outcome + upsert batches -> ImportLog, feed state, dead letters.

Every feed of every run ends here, whatever its outcome (fetched, not modified, failed, skipped). It is
idempotent, so a retried task may run it again: the log finishes once, the feed state counts a run once
(keyed by the log id), dead letters are keyed, and the lock and working files are simply gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from jobfeed import constants as C
from jobfeed.importlog import (
    FeedFailure,
    FetchFacts,
    ImportLog,
    LogField,
    LogStatus,
    UpsertCounts,
    decide_status,
    finish_fields,
)
from jobfeed.models import ConditionalState, ItemFailure
from jobfeed.pipeline.archive import body_fields
from jobfeed.pipeline.drift import OnDrift, assess
from jobfeed.pipeline.lifecycle import record_lifecycle
from jobfeed.pipeline.ports import AfterRecord, Locks, RunStore
from jobfeed.pipeline.redrive import batch_payload, item_letter
from jobfeed.pipeline.runs import BatchOutcome, Failed, FeedOutcome, FeedRun, Fetched, NotModified, Skipped
from jobfeed.pipeline.spool import FeedSpool


def finish_feed(
    run: FeedRun,
    outcome: FeedOutcome,
    batches: Sequence[BatchOutcome],
    *,
    store: RunStore,
    locks: Locks,
    spool: Path,
    now: datetime,
    after_record: AfterRecord | None = None,
    close_after: int = C.CLOSE_AFTER_MISSES,
    on_drift: OnDrift | None = None,
) -> ImportLog:
    """Add up the batches, park what failed as dead letters, apply the run to the feed's snapshot and
    close the jobs no feed lists any more, finish the log and the feed's state, remove the working
    files and give the lock back; returns the final ImportLog.

    A replay (`run.replay`, pipeline/replay.py) only finishes its log: it is no snapshot of the feed, says
    nothing of the feed's health, and parks no dead letters (its source run did).
    """
    if run.skip is not None:  # a skipped feed is skipped whatever its fetch step reported
        outcome = Skipped(run.skip)
    replay = run.replay is not None
    counts = _count(run, outcome, batches, store=store, now=now, park=not replay)
    error = _error_of(outcome)
    status = decide_status(
        error=error, not_modified=isinstance(outcome, NotModified), skipped=isinstance(outcome, Skipped), counts=counts
    )
    closed = 0
    if status is not LogStatus.FAILED and not replay:  # a body whose every item failed lists nothing we could trust
        closed = record_lifecycle(run, outcome, batches, store=store, close_after=close_after, now=now)
    facts = _facts(run, outcome, len(batches))
    fields = finish_fields(status=status, counts=counts, error=error, facts=facts, closed=closed)
    fields.update(body_fields(run, outcome))
    quality = assess(run, outcome, store.logs)  # a parsed body's coverage, shape and drift from its baseline
    fields.update(quality.fields())
    finished = store.logs.finish(run.log_id, finished_at=now, fields=fields)
    doc = finished or store.logs.get(run.log_id)
    if quality.new and finished is not None and on_drift is not None and not replay:  # told once, by the finisher
        on_drift(run.feed.public_url, run.feed.name, run.log_id, quality.new)
    if not isinstance(outcome, Skipped) and not replay:  # a skipped run says nothing about the feed's health
        previous_state = store.feeds.get(run.feed.public_url)  # notifications compare before and after
        every_batch_stored = all(batch.counts is not None for batch in batches)
        # Saved only when every job of this body is stored: a failed write must not turn the next run of the
        # same body into `not_modified`. A failed batch also forgets the last stored body's validators: its
        # writes may have reached the database (an acknowledgement lost), and a 304 for the body of before
        # would leave them there.
        conditional = None
        if not every_batch_stored:
            conditional = ConditionalState()
        elif status is not LogStatus.FAILED:
            conditional = _conditional(outcome)
        store.feeds.record_run(
            run.feed.public_url,
            name=run.feed.name,
            status=status.value,
            now=now,
            conditional=conditional,
            error_reason=error.reason.value if error else None,
            log_id=run.log_id,
        )
        if after_record is not None:
            after_record(run.feed.public_url, run.feed.name, previous_state)  # may auto-disable the feed
    FeedSpool(spool, run.log_id).remove()  # its batches are stored or dead letters now
    if run.lock_token:
        locks.release(run.feed.public_url, run.lock_token)
    if doc is None:  # the log vanished under the run (dropped by hand): report what was decided
        opened = ImportLog(run.feed.public_url, run.feed.name, run.flow_run_id, run.started_at, id=run.log_id)
        doc = {**opened.to_doc(), **fields, LogField.FINISHED_AT.value: now}
    return ImportLog.from_doc(doc)


def _count(
    run: FeedRun,
    outcome: FeedOutcome,
    batches: Sequence[BatchOutcome],
    *,
    store: RunStore,
    now: datetime,
    park: bool = True,
) -> UpsertCounts:
    """The feed's counts; failed batches and invalid items are parked as dead letters on the way (`park`)."""
    item_failures = outcome.item_failures if isinstance(outcome, Fetched) else []
    # items the feed's snapshot showed unchanged never reached the store: counted here, so the invariant holds
    counts = UpsertCounts(
        unchanged=outcome.unchanged if isinstance(outcome, Fetched) else 0, failures=list(item_failures)
    )
    for batch in batches:
        if batch.counts is not None:
            counts = counts.add(batch.counts)
            continue
        assert batch.error is not None  # a BatchOutcome has counts or an error
        counts.failures.extend(
            ItemFailure(batch.error.reason, batch.error.message, job.externalId) for job in batch.jobs
        )
        if not park:
            continue
        store.dead_letters.add(
            key=run.batch_token(batch.index),
            reason=batch.error.reason.value,
            message=batch.error.message,
            feed=run.feed.public_url,
            payload=batch_payload(batch.jobs),
            attempts=batch.attempts,
            now=now,
            attempt_id=run.log_id,
        )
    for failure in item_failures:
        if failure.raw is not None and park:  # invalid items are parked too: a fixed parser can re-drive them
            assert isinstance(outcome, Fetched)
            key, letter = item_letter(run.feed.public_url, outcome.format, failure)
            store.dead_letters.add(
                key=key,
                reason=failure.reason.value,
                message=failure.message,
                feed=run.feed.public_url,
                payload=letter,
                attempts=1,
                now=now,
                attempt_id=run.log_id,
            )
    return counts


def _error_of(outcome: FeedOutcome) -> FeedFailure | None:
    match outcome:
        case Skipped(reason=reason):
            return reason
        case Failed(error=error):
            return error
    return None


def _conditional(outcome: FeedOutcome) -> ConditionalState | None:
    return outcome.conditional if isinstance(outcome, Fetched | NotModified) else None


def _facts(run: FeedRun, outcome: FeedOutcome, batches: int) -> FetchFacts:
    if isinstance(outcome, Skipped):
        return FetchFacts(lock_unavailable=run.lock_note)
    return FetchFacts(
        http_status=outcome.http_status,
        format=outcome.format.value if isinstance(outcome, Fetched) else None,
        fetch_ms=outcome.fetch_ms,
        batches=batches,
        lock_unavailable=run.lock_note,
    )
