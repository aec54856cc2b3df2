"""Replay (docs/provenance.md): an archived body through today's parse -> normalize path, with no request.

A replay opens an ImportLog of its own (`replayOf` = the source log's id) under the feed's lock, restores
the body from the archive into its spool and ingests it exactly as the fetch step does (`ingest_body`),
without the snapshot: every job goes to a batch, so the store compares each with today's. It writes jobs
only when the body is the feed's latest; an older body is a dry run (`dryRun`), counted against today's
jobs and written nowhere. Either way it finishes through pipeline/finish.py, whose replay branch keeps it
out of the feed's lifecycle, state and dead letters.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jobfeed.importlog import BODY_SHA256, CONTENT_TYPE, FeedFailure, LogField
from jobfeed.models import ConditionalState, FeedSpec
from jobfeed.pipeline.archive import archivable, restore_body
from jobfeed.pipeline.ingest import ingest_body
from jobfeed.pipeline.paging import board_kind
from jobfeed.pipeline.ports import Archive, Locks, LogRepo
from jobfeed.pipeline.runs import Failed, FeedOutcome, FeedRun, Fetched, Replay, Skipped
from jobfeed.pipeline.spool import BatchWriter, FeedSpool
from jobfeed.pipeline.start import take_lock
from jobfeed.reasons import FeedError


class ReplayError(Exception):
    """Why this replay cannot run (no body hash, body not archived, a board that needs detail requests)."""


def plan_replay(
    source: Mapping[str, Any], feed: FeedSpec, *, latest_sha256: str | None, archive: Archive | None
) -> Replay:
    """The replay of `source`'s body: checked to be possible, and a dry run unless it is the feed's latest body."""
    log_id = str(source.get(LogField.ID))
    sha = source.get(BODY_SHA256)
    if not sha:
        status = source.get(LogField.STATUS)
        raise ReplayError(f"import log {log_id} ({status}) has no body: only runs that parsed a body can be replayed")
    if not archivable(board_kind(feed)):
        raise ReplayError(f"{feed.name} needs a request per posting: its bodies are not archived")
    if archive is None:
        raise ReplayError("the archive is off (ARCHIVE=off): there is no body to replay")
    if not archive.has(str(sha)):
        raise ReplayError(f"the body of import log {log_id} is not archived (pruned, or fetched with ARCHIVE=off)")
    return Replay(log_id, str(sha), dry_run=sha != latest_sha256, content_type=source.get(CONTENT_TYPE))


def open_replay(
    feed: FeedSpec, replay: Replay, *, logs: LogRepo, locks: Locks, flow_run_id: str | None, now: datetime
) -> FeedRun:
    """Open the replay's `running` ImportLog and take the feed's lock (skipped `locked` when a run holds it)."""
    log_id = logs.open(
        feed_url=feed.public_url, feed_name=feed.name, flow_run_id=flow_run_id, started_at=now, replay_of=replay.of
    )
    return take_lock(FeedRun(feed, log_id, flow_run_id, now, replay=replay), locks)


def replay_outcome(run: FeedRun, archive: Archive, *, spool: Path, batch_size: int) -> FeedOutcome:
    """The archived body, restored into the run's spool and ingested: batch files, as a fetch leaves them.

    Raises for a body that vanished from the archive or fails its hash (the task turns that into a failure).
    """
    assert run.replay is not None, "not a replay"
    if run.skip is not None:
        return Skipped(run.skip)
    feed_spool = FeedSpool(spool, run.log_id).reset()
    kind = board_kind(run.feed)
    try:
        paths = restore_body(archive, run.replay.body_sha256, feed_spool.dir)
        ingested = ingest_body(
            paths, run.replay.content_type, run.feed.url, BatchWriter(feed_spool, batch_size),
            expected=kind.format if kind else None, source=run.feed.source,
        )  # fmt: skip
    except FeedError as exc:  # today's parser refuses the body: that is the replay's answer
        return Failed(FeedFailure(exc.reason, exc.message))
    except BaseException:
        feed_spool.remove()
        raise
    finally:
        feed_spool.remove_body()
    conditional = ConditionalState(body_hash=run.replay.body_sha256)
    return Fetched(
        ingested.batches, ingested.failures, conditional, ingested.format, content_type=run.replay.content_type
    )
