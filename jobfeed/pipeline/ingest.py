"""A fetched body -> batch files of normalized jobs, streaming: parse, normalize and spool as items come."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jobfeed.models import FeedFormat, ItemFailure
from jobfeed.pipeline.normalize import Normalizer
from jobfeed.pipeline.spool import BatchRef, BatchWriter
from jobfeed.sources import detect_feed, stream_items


@dataclass(slots=True)
class Ingested:
    """One body's items, normalized: jobs in batch files, failed items in memory (with their raw item)."""

    format: FeedFormat
    batches: list[BatchRef] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)


def ingest_body(body_path: Path, content_type: str | None, feed_url: str, writer: BatchWriter) -> Ingested:
    """Parse and normalize a spooled body, writing its jobs in batches; FeedError for a whole-feed problem.

    On a FeedError the batches written so far are worthless (a truncated feed may end in a truncated
    item) and the caller drops the spool. Memory holds one batch, the identities seen (to catch
    duplicates) and the failed items, never the body or all jobs.
    """
    detected = detect_feed(body_path, content_type)
    normalizer = Normalizer(feed_url, detected.format)
    result = Ingested(detected.format)

    def on_item(item: object) -> None:
        outcome = normalizer.add(item)
        if isinstance(outcome, ItemFailure):
            result.failures.append(outcome)
        else:
            writer.add(outcome)

    def restart() -> None:  # the parser starts over from the top: forget the first pass
        normalizer.reset()
        writer.discard()
        result.failures.clear()

    stream_items(body_path, detected, on_item, on_restart=restart)
    writer.flush()
    result.batches = list(writer.batches)
    return result
