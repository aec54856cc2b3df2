"""Finished Prefect futures -> values: a failure after retries becomes a classified outcome."""

from __future__ import annotations

from typing import Any

from jobfeed import constants as C
from jobfeed.pipeline.feedrun import batch_outcome_of, outcome_of_result
from jobfeed.pipeline.runs import BatchOutcome, FeedOutcome, Finished
from jobfeed.pipeline.spool import BatchRef
from jobfeed.store import is_transient_db_error


def outcome_of(future: Any) -> FeedOutcome | Finished:
    """The fetch task's outcome, or a `Failed` one carrying the error that exhausted its retries."""
    return outcome_of_result(future.result(raise_on_failure=False), is_transient=is_transient_db_error)


def batch_outcome(batch: BatchRef, future: Any) -> BatchOutcome:
    """The upsert task's counts, or its final error with the batch's jobs kept for a dead letter."""
    value = future.result(raise_on_failure=False)
    return batch_outcome_of(batch, value, retries=C.UPSERT_RETRIES, is_transient=is_transient_db_error)
