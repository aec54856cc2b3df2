"""A fetched body -> batch files of normalized jobs, streaming: parse, normalize and spool as items come.

With the feed's snapshot (pipeline/snapshot.py), an item whose identity and content hash the snapshot
already holds is counted `unchanged` at once: no batch file, no store read, no write, no HTML-to-text.
Only new, changed, returning and stale identities go into batches.

A job board may come as several list pages (read in order, as one body) and may need one detail
request per posting (`detail`). Such a posting is decided from its list item alone: when the
snapshot holds its identity with the same list stamp (a hash of the list item) it is unchanged and
no detail is requested; otherwise its detail is requested and it is normalized whole. For these
boards the snapshot keeps `<content hash>@<list stamp>`, so that the next run can decide so too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobfeed.models import FeedFormat, ItemFailure
from jobfeed.pipeline.normalize import Normalizer
from jobfeed.pipeline.profile import ProfileTally
from jobfeed.pipeline.snapshot import Entry, Listing, Sent, Snapshot
from jobfeed.pipeline.spool import BatchRef, BatchWriter
from jobfeed.quality import Profile
from jobfeed.sources import detect_feed, stream_items
from jobfeed.sources.outline import declared_namespaces, item_element

# A list item -> that item completed by its detail answer (requested over HTTP; RequestError when it fails)
Detail = Callable[[dict[str, Any]], dict[str, Any]]
STAMP_MARK = "@"  # between a job's content hash and its list stamp in a snapshot entry


def list_stamp(item: Any) -> str:
    """A short hash of a list item as the board lists it: any change to it (a new `releasedDate`,
    `updated_at`, title, place) changes the stamp and brings the posting's detail again."""
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _same_listing(entry: Entry | None, stamp: str, refresh_before: datetime) -> bool:
    """The snapshot holds this posting with this list stamp, listed last run and recently sent to the store."""
    return (
        entry is not None
        and entry.content_hash.endswith(STAMP_MARK + stamp)
        and entry.misses == 0
        and entry.listed_at is not None
        and entry.listed_at >= refresh_before  # a stale entry fetches its detail again (catches ad edits)
    )


@dataclass(slots=True)
class Ingested:
    """One body's items, normalized: jobs in batch files, failed items in memory (with their raw item)."""

    format: FeedFormat
    batches: list[BatchRef] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)
    listing: Listing = field(default_factory=Listing)
    profile: Profile | None = None  # field coverage and shape of the body (jobfeed/quality.py)


def ingest_body(
    body_path: Path | Sequence[Path],
    content_type: str | None,
    feed_url: str,
    writer: BatchWriter,
    *,
    snapshot: Snapshot | None = None,
    refresh_before: datetime | None = None,
    expected: FeedFormat | None = None,
    source: str | None = None,
    detail: Detail | None = None,
) -> Ingested:
    """Parse and normalize a spooled body, writing its jobs in batches; FeedError for a whole-feed problem.

    On a FeedError the batches written so far are worthless (a truncated feed may end in a truncated
    item) and the caller drops the spool. Memory holds one batch, the identities seen (to catch
    duplicates), the snapshot and the failed items, never the body or all jobs. Without a snapshot
    (or `refresh_before`) every job goes to a batch, as for a feed seen for the first time.

    `body_path` may be a board's list pages, in order; `expected` is a feeds.yaml `kind:` (checked
    against each page's shape), `source` the jobs' source (`<kind>:<board>`), `detail` completes a
    new or changed posting from its own answer (module doc).
    """
    paths = [body_path] if isinstance(body_path, Path) else list(body_path)
    detected = detect_feed(paths[0], content_type, expected=expected)
    normalizer = Normalizer(feed_url, detected.format, source=source)
    result = Ingested(detected.format)
    listing = result.listing
    known: Snapshot = snapshot or {}
    use_snapshot = bool(known) and refresh_before is not None
    cutoff = refresh_before or datetime.max.replace(tzinfo=UTC)  # unused without a snapshot
    tally = ProfileTally(normalizer.extract, normalizer.source)

    def on_item(item: Any) -> None:
        tally.item(item)  # every item of the body, the unchanged ones too
        stamp = None
        if detail is not None and isinstance(item, dict):
            stamp = list_stamp(item)
            identity = _identity(normalizer, item)
            key = (normalizer.source, identity or "")
            if (
                identity
                and identity not in normalizer.seen
                and use_snapshot
                and _same_listing(known.get(key), stamp, cutoff)
            ):
                normalizer.seen.add(identity)  # a later item with this identity is still a duplicate
                listing.listed.add(key)
                listing.unchanged += 1
                return
            item = detail(item)
        outcome = normalizer.add(item)
        tally.outcome(outcome)
        if isinstance(outcome, ItemFailure):
            result.failures.append(outcome)
            if outcome.itemKey and (normalizer.source, outcome.itemKey) in known:
                listing.listed.add((normalizer.source, outcome.itemKey))  # seen in the body: not a miss
            return
        key = outcome.key
        snapshot_hash = outcome.contentHash if stamp is None else f"{outcome.contentHash}{STAMP_MARK}{stamp}"
        if use_snapshot and listing.classify(known, key, snapshot_hash, refresh_before=cutoff):
            listing.unchanged += 1
            return
        listing.listed.add(key)
        # the batch this job lands in is the one pending now (flush appends it as number len(batches))
        listing.sent.append(Sent(len(writer.batches), key, snapshot_hash))
        writer.add(outcome)

    def restart() -> None:  # the parser starts over from the top: forget the first pass
        normalizer.reset()
        tally.reset()
        writer.discard()
        result.failures.clear()
        listing.reset()

    # Pages are JSON, whose streams never restart; an XML body is always one page, so a restart
    # (which forgets everything read so far) can only concern the page being read.
    for number, path in enumerate(paths):
        page = detected if number == 0 else detect_feed(path, content_type, expected=expected)
        stream_items(path, page, on_item, on_restart=restart)
    writer.flush()
    result.batches = list(writer.batches)
    listing.finish_listing(known)
    namespaces = declared_namespaces(paths[0], detected.format, detected.codec)
    result.profile = tally.profile(detected.format, item_element(detected.format), namespaces)
    return result


def _identity(normalizer: Normalizer, item: dict[str, Any]) -> str | None:
    """A list item's identity as the normalizer will find it (None when it has none: it fails there)."""
    try:
        raw = normalizer.extract(item, normalizer.source)
    except Exception:  # noqa: BLE001 - the normalizer reports a broken item; here it just needs its detail
        return None
    return normalizer.clean(raw.identity or "").strip() or None
