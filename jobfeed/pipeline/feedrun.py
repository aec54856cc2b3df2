"""One feed's fetch step: conditional GET into the spool, parse and normalize into batch files, and the
classification of whatever went wrong into a tagged outcome. Transient failures raise (to be retried)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from jobfeed import constants as C
from jobfeed.fetch.pages import RequestError
from jobfeed.importlog import FeedFailure, UpsertCounts
from jobfeed.pipeline.archive import archivable, keep_body
from jobfeed.pipeline.ingest import ingest_body
from jobfeed.pipeline.paging import board_kind, board_session, detail_of, fetch_body
from jobfeed.pipeline.ports import Archive, Snapshots
from jobfeed.pipeline.runs import BatchOutcome, Failed, FeedOutcome, FeedRun, Fetched, Finished, NotModified, Skipped
from jobfeed.pipeline.snapshot import Entry, Snapshot, refresh_cutoff
from jobfeed.pipeline.spool import BatchRef, BatchWriter, FeedSpool, load_batch, save_value
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.redact import redact_text
from jobfeed.settings import Settings

IsTransient = Callable[[BaseException], bool]  # e.g. jobfeed.store.is_transient_db_error (pymongo's errors)


def fetch_outcome(
    run: FeedRun,
    *,
    settings: Settings,
    spool: Path,
    snapshots: Snapshots | None = None,
    sleep: Callable[[float], None] = time.sleep,
    archive: Archive | None = None,
) -> FeedOutcome:
    """Fetch (conditional GET), parse and normalize one feed; permanent failures come back as values.

    A transient FeedError is raised for the caller to retry; each attempt starts from an empty spool.
    The working files of an outcome without batches are removed by `finish_feed` with the run's.
    With `snapshots`, items the feed's snapshot holds unchanged skip the store; a feed that has no
    snapshot yet (an existing database) is fetched unconditionally once, so that one is built.
    With `archive`, a body that was parsed is kept there (pipeline/archive.py) before the spool drops it.
    """
    if run.skip is not None:
        return Skipped(run.skip)
    feed_spool = FeedSpool(spool, run.log_id).reset()  # a retry starts clean
    try:
        return _fetch_into(feed_spool, run, settings, sleep, snapshots, archive)
    except BaseException:
        feed_spool.remove()  # a retry or the finish step owns nothing of this attempt
        raise
    finally:
        feed_spool.remove_body()  # the jobs are in batch files now; the body is not needed again


def _fetch_into(
    spool: FeedSpool,
    run: FeedRun,
    settings: Settings,
    sleep: Callable[[float], None],
    snapshots: Snapshots | None,
    archive: Archive | None = None,
) -> FeedOutcome:
    head = snapshots.head(run.feed.public_url) if snapshots is not None else None
    state = run.state
    if snapshots is not None and head is None and (state.etag or state.last_modified or state.body_hash):
        state = replace(state, etag=None, last_modified=None, body_hash=None)  # build the snapshot once
    kind = board_kind(run.feed)
    with board_session(kind, settings) as board:
        try:
            body = fetch_body(run.feed.url, board, state=state, settings=settings, body_path=spool.body_path)
        except FeedError as exc:
            return _request_failed(exc, sleep)
        facts = {"http_status": body.http_status, "fetch_ms": body.fetch_ms}
        if body.not_modified:
            return NotModified(body.conditional, **facts)
        snapshot: Snapshot = {}
        if snapshots is not None and head is not None:
            snapshot = {key: Entry._make(row) for key, row in snapshots.load(run.feed.public_url, head).items()}
        try:
            writer = BatchWriter(spool, settings.batch_size)
            cutoff = refresh_cutoff(datetime.now(UTC), C.LAST_SEEN_REFRESH_S)
            ingested = ingest_body(
                body.paths, body.content_type, run.feed.url, writer, snapshot=snapshot, refresh_before=cutoff,
                expected=kind.format if kind else None, source=run.feed.source,
                detail=detail_of(board, run.feed.url, settings),
            )  # fmt: skip
        except RequestError as exc:  # a detail request: the board is incomplete, so no snapshot
            return _request_failed(exc, sleep, **facts)
        except FeedError as exc:
            return Failed(FeedFailure(exc.reason, exc.message), **facts)
    if archivable(kind):
        paged = kind is not None and kind.first_request is not None
        keep_body(archive, body.paths, body.conditional.body_hash, paged=paged)
    listing = save_value(spool.listing_path, ingested.listing) if snapshots is not None else None
    return Fetched(
        ingested.batches, ingested.failures, body.conditional, ingested.format, **facts,
        unchanged=ingested.listing.unchanged, listing=listing, profile=ingested.profile,
        content_type=body.content_type,
    )  # fmt: skip


def _request_failed(exc: FeedError, sleep: Callable[[float], None], **facts: int | None) -> Failed:
    """A failed request (the feed, a page, a detail): raised again when transient, for the task to retry."""
    if exc.reason.transient:
        if exc.retry_after_s:
            sleep(min(exc.retry_after_s, C.RETRY_AFTER_CAP_S))  # the board asked us to wait
        raise exc  # retried with backoff; the last failure becomes a value (outcome_of_result)
    return Failed(FeedFailure(exc.reason, exc.message), **facts)


def failure_of(exc: BaseException, *, is_transient: IsTransient) -> FeedFailure:
    """Classify an exception that escaped a step: feed errors keep their reason, the rest say what."""
    if isinstance(exc, FeedError):
        return FeedFailure(exc.reason, exc.message)
    message = redact_text(f"{type(exc).__name__}: {exc}")[:500]
    if is_transient(exc):
        return FeedFailure(FailureReason.DB_ERROR, message)
    return FeedFailure(FailureReason.INTERNAL_ERROR, message)


def outcome_of_result(value: object, *, is_transient: IsTransient) -> FeedOutcome | Finished:
    """The fetch step's result, or a `Failed` outcome carrying the error that exhausted its retries."""
    if isinstance(value, Fetched | NotModified | Failed | Skipped | Finished):
        return value
    if isinstance(value, BaseException):
        return Failed(failure_of(value, is_transient=is_transient))
    return Failed(FeedFailure(FailureReason.INTERNAL_ERROR, f"unexpected fetch result {type(value).__name__}"))


def batch_outcome_of(batch: BatchRef, value: object, *, retries: int, is_transient: IsTransient) -> BatchOutcome:
    """An upsert step's counts, or its final error with the batch's jobs kept for a dead letter."""
    if isinstance(value, UpsertCounts):
        return BatchOutcome(index=batch.index, size=batch.size, counts=value)
    exc = value if isinstance(value, BaseException) else RuntimeError(f"unexpected result {value!r}")
    failure = failure_of(exc, is_transient=is_transient)
    attempts = retries + 1 if failure.reason.transient else 1
    return BatchOutcome(index=batch.index, size=batch.size, error=failure, attempts=attempts, jobs=load_batch(batch))
