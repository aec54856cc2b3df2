"""Values handed between the Prefect tasks of one import run (pure data, no I/O)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jobfeed.importlog import FeedFailure, UpsertCounts
from jobfeed.models import ConditionalState, FeedFormat, FeedSpec, ItemFailure, Job
from jobfeed.pipeline.spool import BatchRef


@dataclass(frozen=True, slots=True)
class FeedRun:
    """One feed in one run: its ImportLog id and what we knew about it when the run started."""

    feed: FeedSpec
    log_id: str
    flow_run_id: str | None
    started_at: datetime
    state: ConditionalState = ConditionalState()
    skip: FeedFailure | None = None  # disabled, or locked by another run
    lock_token: str | None = None  # set while this run holds the feed's Redis lock
    lock_note: str | None = None  # why the run went on without a lock (Redis unreachable)

    def batch_token(self, index: int) -> str:
        """A name for batch `index` of this feed in this run, stamped on every job it writes."""
        feed_key = hashlib.sha1(self.feed.url.encode()).hexdigest()[:12]
        return f"{self.flow_run_id or self.log_id}:{feed_key}:{index}"


@dataclass(slots=True)
class FeedPayload:
    """What fetch-and-normalize produced for one feed: jobs, or a classified reason why not."""

    batches: list[BatchRef] = field(default_factory=list)  # the normalized jobs, in spool files
    item_failures: list[ItemFailure] = field(default_factory=list)
    error: FeedFailure | None = None
    not_modified: bool = False
    conditional: ConditionalState | None = None  # to save once the body is fully stored
    format: FeedFormat | None = None
    http_status: int | None = None
    fetch_ms: int | None = None
    row: dict[str, Any] | None = None  # the summary row, when the fetch task already recorded the feed


@dataclass(slots=True)
class BatchOutcome:
    """One upsert batch after its retries: counts, or the error that exhausted them."""

    index: int
    size: int
    counts: UpsertCounts | None = None
    error: FeedFailure | None = None
    attempts: int = 1
    jobs: list[Job] = field(default_factory=list)  # kept only when the batch failed: for the dead letter
