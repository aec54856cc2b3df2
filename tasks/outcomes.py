"""Turn finished Prefect futures into values: a failure after retries becomes a classified reason."""

from __future__ import annotations

from typing import Any

from jobfeed import constants as C
from jobfeed.importlog import FeedFailure, UpsertCounts
from jobfeed.pipeline.runs import BatchOutcome, FeedPayload
from jobfeed.pipeline.spool import BatchRef, load_batch
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.redact import redact_text
from jobfeed.store import is_transient_db_error


def failure_of(exc: BaseException) -> FeedFailure:
    """Classify an exception that escaped a task: feed errors keep their reason, the rest say what."""
    if isinstance(exc, FeedError):
        return FeedFailure(exc.reason, exc.message)
    message = redact_text(f"{type(exc).__name__}: {exc}")[:500]
    if is_transient_db_error(exc):
        return FeedFailure(FailureReason.DB_ERROR, message)
    return FeedFailure(FailureReason.INTERNAL_ERROR, message)


def payload_of(future: Any) -> FeedPayload:
    """The fetch task's payload, or a payload carrying the error that exhausted its retries."""
    value = future.result(raise_on_failure=False)
    if isinstance(value, FeedPayload):
        return value
    if isinstance(value, BaseException):
        return FeedPayload(error=failure_of(value))
    return FeedPayload(
        error=FeedFailure(FailureReason.INTERNAL_ERROR, f"unexpected task result {type(value).__name__}")
    )


def batch_outcome(batch: BatchRef, future: Any) -> BatchOutcome:
    """The upsert task's counts, or its final error with the batch's jobs kept for a dead letter."""
    value = future.result(raise_on_failure=False)
    if isinstance(value, UpsertCounts):
        return BatchOutcome(index=batch.index, size=batch.size, counts=value)
    exc = value if isinstance(value, BaseException) else RuntimeError(f"unexpected result {value!r}")
    failure = failure_of(exc)
    attempts = C.UPSERT_RETRIES + 1 if failure.reason.transient else 1
    return BatchOutcome(index=batch.index, size=batch.size, error=failure, attempts=attempts, jobs=load_batch(batch))
