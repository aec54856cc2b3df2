"""A fetched body -> batch files of normalized jobs, streaming: parse, normalize and spool as items come.

With the feed's snapshot (pipeline/snapshot.py), an item whose identity and content hash the snapshot
already holds is counted `unchanged` at once: no batch file, no store read, no write, no HTML-to-text.
Only new, changed, returning and stale identities go into batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jobfeed.models import FeedFormat, ItemFailure
from jobfeed.pipeline.normalize import Normalizer
from jobfeed.pipeline.snapshot import Listing, Sent, Snapshot
from jobfeed.pipeline.spool import BatchRef, BatchWriter
from jobfeed.sources import detect_feed, stream_items


@dataclass(slots=True)
class Ingested:
    """One body's items, normalized: jobs in batch files, failed items in memory (with their raw item)."""

    format: FeedFormat
    batches: list[BatchRef] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)
    listing: Listing = field(default_factory=Listing)


def ingest_body(
    body_path: Path,
    content_type: str | None,
    feed_url: str,
    writer: BatchWriter,
    *,
    snapshot: Snapshot | None = None,
    refresh_before: datetime | None = None,
) -> Ingested:
    """Parse and normalize a spooled body, writing its jobs in batches; FeedError for a whole-feed problem.

    On a FeedError the batches written so far are worthless (a truncated feed may end in a truncated
    item) and the caller drops the spool. Memory holds one batch, the identities seen (to catch
    duplicates), the snapshot and the failed items, never the body or all jobs. Without a snapshot
    (or `refresh_before`) every job goes to a batch, as for a feed seen for the first time.
    """
    detected = detect_feed(body_path, content_type)
    normalizer = Normalizer(feed_url, detected.format)
    result = Ingested(detected.format)
    listing = result.listing
    known: Snapshot = snapshot or {}
    use_snapshot = bool(known) and refresh_before is not None
    cutoff = refresh_before or datetime.max.replace(tzinfo=UTC)  # unused without a snapshot

    def on_item(item: object) -> None:
        outcome = normalizer.add(item)
        if isinstance(outcome, ItemFailure):
            result.failures.append(outcome)
            if outcome.itemKey and (normalizer.source, outcome.itemKey) in known:
                listing.listed.add((normalizer.source, outcome.itemKey))  # seen in the body: not a miss
            return
        key = outcome.key
        if use_snapshot and listing.classify(known, key, outcome.contentHash, refresh_before=cutoff):
            listing.unchanged += 1
            return
        listing.listed.add(key)
        # the batch this job lands in is the one pending now (flush appends it as number len(batches))
        listing.sent.append(Sent(len(writer.batches), key, outcome.contentHash))
        writer.add(outcome)

    def restart() -> None:  # the parser starts over from the top: forget the first pass
        normalizer.reset()
        writer.discard()
        result.failures.clear()
        listing.reset()

    stream_items(body_path, detected, on_item, on_restart=restart)
    writer.flush()
    result.batches = list(writer.batches)
    listing.finish_listing(known)
    return result
