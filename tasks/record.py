"""Tasks: finish each feed's ImportLog and feed state; publish the run's summary artifact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.importlog import LogStatus, UpsertCounts, decide_status, summary_fields
from jobfeed.models import ItemFailure
from jobfeed.ops.locks import get_locks
from jobfeed.ops.notify import notify_after_run
from jobfeed.pipeline.redrive import batch_payload, item_letter
from jobfeed.pipeline.runs import BatchOutcome, FeedPayload, FeedRun
from jobfeed.pipeline.spool import FeedSpool, spool_root
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from tasks.policy import retry_options

SUMMARY_COLUMNS = (
    "feedName",
    "status",
    "totalFetched",
    "newJobs",
    "updatedJobs",
    "unchangedJobs",
    "failedJobs",
    "durationMs",
)


@task(
    name="record-import-log",
    task_run_name="record {run.feed.name}",
    cache_policy=NO_CACHE,
    **retry_options(C.UPSERT_RETRIES),
)
def record_import_log(run: FeedRun, payload: FeedPayload, batches: list[BatchOutcome]) -> dict[str, Any]:
    """Add up the batches, park failed ones as dead letters, finish the ImportLog and feed state."""
    return finish_feed(run, payload, batches)


def finish_feed(run: FeedRun, payload: FeedPayload, batches: list[BatchOutcome]) -> dict[str, Any]:
    """The work of record-import-log; also done inside fetch-and-normalize for a feed with nothing to write.

    Idempotent (the log finishes once, the feed state counts a run once, dead letters are keyed), so
    a retried task may run it again.
    """
    store = get_store()
    now = datetime.now(UTC)
    counts = UpsertCounts(failures=list(payload.item_failures))
    for batch in batches:
        if batch.counts is not None:
            counts = counts.add(batch.counts)
            continue
        assert batch.error is not None
        counts.failures.extend(
            ItemFailure(batch.error.reason, batch.error.message, job.externalId) for job in batch.jobs
        )
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
    for failure in payload.item_failures:
        if failure.raw is not None:  # invalid items are parked too: a fixed parser can re-drive them
            key, letter = item_letter(run.feed.public_url, payload.format, failure)
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
    error = run.skip or payload.error
    status = decide_status(error=error, not_modified=payload.not_modified, skipped=run.skip is not None, counts=counts)
    fields = summary_fields(status=status, counts=counts, error=error)
    fields.update(
        httpStatus=payload.http_status,
        format=payload.format.value if payload.format else None,
        fetchMs=payload.fetch_ms,
        batches=len(batches),
        lockUnavailable=run.lock_note,
    )
    doc = store.logs.finish(run.log_id, finished_at=now, fields=fields) or store.logs.get(run.log_id) or {}
    all_batches_stored = all(batch.counts is not None for batch in batches)
    if run.skip is None:
        previous_state = store.feeds.get(run.feed.public_url)  # notify compares the state before and after
        store.feeds.record_run(
            run.feed.public_url,
            name=run.feed.name,
            status=status.value,
            now=now,
            # saved only when every job of this body is stored: a failed write must not turn the
            # next run of the same body into `not_modified`
            conditional=payload.conditional if all_batches_stored and status is not LogStatus.FAILED else None,
            error_reason=error.reason.value if error else None,
            log_id=run.log_id,
        )
        notify_after_run(store, run.feed.public_url, run.feed.name, previous_state)  # never raises; may auto-disable
    settings = get_settings()
    FeedSpool(spool_root(settings.spool_dir), run.log_id).remove()  # its batches are stored or dead letters now
    if run.lock_token:
        get_locks(settings.redis_url, settings.lock_ttl_s).release(run.feed.public_url, run.lock_token)
    return {
        **{k: doc.get(k) for k in SUMMARY_COLUMNS},
        "logId": run.log_id,
        "fileName": run.feed.public_url,
        "reason": (doc.get("error") or {}).get("reason"),
    }


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary(rows: list[dict[str, Any]]) -> None:
    """A table artifact in the Prefect UI: one row per feed with its counts and status."""
    create_table_artifact(
        key="import-feeds-summary",
        table=[{k: row.get(k) for k in (*SUMMARY_COLUMNS, "reason")} for row in rows],
        description=f"jobfeed import: {len(rows)} feeds, "
        + ", ".join(f"{s}={sum(r['status'] == s for r in rows)}" for s in sorted({r["status"] for r in rows})),
    )
