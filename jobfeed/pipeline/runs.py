"""Values handed between the steps of one import run (pure data, no I/O): the feed's run and its outcome.

A feed's fetch ends in exactly one of four tagged outcomes (`FeedOutcome`); `pipeline.finish` turns any
of them, with the feed's upsert batches, into the final ImportLog. `Finished` is what the fetch step
hands back when it could finish the feed at once (nothing to upsert).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from jobfeed.importlog import FeedFailure, ImportLog, UpsertCounts
from jobfeed.models import ConditionalState, FeedFormat, FeedSpec, ItemFailure, Job
from jobfeed.pipeline.spool import BatchRef
from jobfeed.quality import Profile


@dataclass(frozen=True, slots=True)
class Replay:
    """A run that re-reads an archived body instead of fetching (pipeline/replay.py, docs/provenance.md)."""

    of: str  # the id of the ImportLog whose body this is
    body_sha256: str
    dry_run: bool  # an older body than the feed's latest: counted against today's jobs, nothing written
    content_type: str | None = None  # as the body was served


@dataclass(frozen=True, slots=True)
class FeedRun:
    """One feed in one run: its ImportLog id and what we knew about it when the run started."""

    feed: FeedSpec
    log_id: str
    flow_run_id: str | None
    started_at: datetime
    state: ConditionalState = field(default_factory=ConditionalState)
    skip: FeedFailure | None = None  # disabled, or locked by another run
    lock_token: str | None = None  # set while this run holds the feed's Redis lock
    lock_note: str | None = None  # why the run went on without a lock (Redis unreachable)
    replay: Replay | None = None  # set for a replay: no lifecycle, no feed state, no dead letters

    def batch_token(self, index: int) -> str:
        """A name for batch `index` of this feed in this run, stamped on every job it writes."""
        feed_key = hashlib.sha1(self.feed.url.encode()).hexdigest()[:12]
        return f"{self.flow_run_id or self.log_id}:{feed_key}:{index}"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A body was fetched and parsed: its jobs wait in batch files, its invalid items are here."""

    batches: list[BatchRef]
    item_failures: list[ItemFailure]
    conditional: ConditionalState  # saved once every batch is stored
    format: FeedFormat
    http_status: int | None = None
    fetch_ms: int | None = None
    unchanged: int = 0  # items the feed's snapshot showed unchanged: no batch, no store round trip
    listing: str | None = None  # spool file of the pipeline.snapshot.Listing that the finish step applies
    profile: Profile | None = None  # the body's field coverage and shape (jobfeed/quality.py)
    content_type: str | None = None  # as served: recorded on the ImportLog for a replay of this body


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304, or the same body as last time: nothing to write."""

    conditional: ConditionalState
    http_status: int | None = None
    fetch_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """The feed itself failed for good (after retries, for transient reasons)."""

    error: FeedFailure
    http_status: int | None = None
    fetch_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """Not tried in this run: disabled, or locked by another run."""

    reason: FeedFailure


FeedOutcome = Fetched | NotModified | Failed | Skipped


@dataclass(frozen=True, slots=True)
class Finished:
    """A feed whose outcome needed no upserts, finished by the fetch step itself: its final ImportLog."""

    log: ImportLog


def needs_upserts(outcome: FeedOutcome) -> bool:
    """True when the outcome has batches to write (the only case that costs upsert and finish task runs)."""
    return isinstance(outcome, Fetched) and bool(outcome.batches)


@dataclass(slots=True)
class BatchOutcome:
    """One upsert batch after its retries: counts, or the error that exhausted them."""

    index: int
    size: int
    counts: UpsertCounts | None = None
    error: FeedFailure | None = None
    attempts: int = 1
    jobs: list[Job] = field(default_factory=list)  # kept only when the batch failed: for the dead letter
