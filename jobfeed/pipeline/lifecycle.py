"""The finish step's part of the job lifecycle: apply a run to its feed's snapshot, close what no feed lists.

Idempotent under task retries: the snapshot remembers which log applied it last (and which identities
left it then), and jobs are closed with a `closedBy` stamp that the count is taken from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jobfeed.pipeline.ports import RunStore
from jobfeed.pipeline.runs import BatchOutcome, FeedOutcome, FeedRun, Fetched, NotModified
from jobfeed.pipeline.snapshot import Applied, Entry, Key, Listing, apply_fetched, apply_not_modified
from jobfeed.pipeline.spool import load_value


def record_lifecycle(
    run: FeedRun,
    outcome: FeedOutcome,
    batches: Sequence[BatchOutcome],
    *,
    store: RunStore,
    close_after: int,
    now: datetime,
) -> int:
    """Apply a snapshot run (fetched or not modified) to the feed's snapshot; close the jobs that left
    every feed's snapshot. Returns how many jobs this run closed (0 for failed and skipped runs)."""
    if not isinstance(outcome, Fetched | NotModified):
        return 0  # failed and skipped runs are not snapshots: no misses, no resets
    feed = run.feed.public_url
    snapshots = store.snapshots
    head = snapshots.head(feed)
    reached = snapshots.applied_by(head, run.log_id)
    if reached is None:  # not applied yet (a retried finish gets the closing candidates back instead)
        applied = _apply(run, outcome, batches, head=head, store=store, close_after=close_after, now=now)
        if applied is None:
            return 0
        snapshots.save(
            feed, applied.entries, changed=applied.changed, reached=applied.reached, head=head,
            log_id=run.log_id, now=now,
        )  # fmt: skip
        reached = applied.reached
    if not reached:
        return 0
    # after our own save, so of two feeds dropping one job in the same run the later check sees both
    still_listed = snapshots.listed_elsewhere(reached, feed)
    closing = [key for key in reached if key not in still_listed]
    if not closing:
        return 0
    return store.jobs.close(closing, log_id=run.log_id, now=now, flow_run_id=run.flow_run_id, feed=feed)


def _apply(
    run: FeedRun,
    outcome: Fetched | NotModified,
    batches: Sequence[BatchOutcome],
    *,
    head: dict[str, object] | None,
    store: RunStore,
    close_after: int,
    now: datetime,
) -> Applied | None:
    feed = run.feed.public_url
    if isinstance(outcome, NotModified):
        if not head or not head.get("missing"):
            return None  # the usual hourly 304: every entry was listed last time, nothing ages
        return apply_not_modified(_load(store, feed, head), close_after=close_after)
    listing = load_value(outcome.listing)
    if not isinstance(listing, Listing):
        return None  # fetched without a snapshot source (tests, redrive): nothing to apply
    if head is not None and not listing.sent and not listing.missed:
        return None  # every item unchanged and fresh (a re-serialized body): the snapshot stays as it is
    stored = {batch.index for batch in batches if batch.counts is not None}
    return apply_fetched(_load(store, feed, head), listing, stored_batches=stored, close_after=close_after, now=now)


def _load(store: RunStore, feed: str, head: dict[str, object] | None) -> dict[Key, Entry]:
    if head is None:
        return {}
    return {key: Entry._make(row) for key, row in store.snapshots.load(feed, head).items()}
