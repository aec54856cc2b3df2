"""Tasks of a replay (jobfeed/ops/replay.py, jobfeed/pipeline/replay.py): open it, re-read its body, write or
compare its batches. It finishes through record-import-log like any feed's run (tasks/record.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from jobfeed import constants as C
from jobfeed.importlog import UpsertCounts
from jobfeed.ops import replay
from jobfeed.ops.archive import get_archive
from jobfeed.ops.locks import get_locks
from jobfeed.pipeline.replay import replay_outcome
from jobfeed.pipeline.runs import FeedOutcome, FeedRun
from jobfeed.pipeline.spool import BatchRef, spool_root
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from tasks.policy import retrying


@task(name="start-replay", cache_policy=NO_CACHE, **retrying(C.START_RETRIES))
def start_replay(log_id: str | None, feed: str | None, at: str | None) -> FeedRun:
    """Find the body to replay, open the replay's ImportLog and take the feed's lock (ReplayError: nothing to do)."""
    settings = get_settings()
    locks = get_locks(settings.redis_url, settings.lock_ttl_s)
    return replay.start_replay(settings, get_store(), locks, log_id=log_id, feed=feed, at=at,
                               flow_run_id=flow_run.get_id(), now=datetime.now(UTC))  # fmt: skip


@task(name="replay-body", task_run_name="replay {run.feed.name}", cache_policy=NO_CACHE)
def replay_body(run: FeedRun) -> FeedOutcome:
    """Restore the archived body into the spool and parse and normalize it into batch files (no request)."""
    settings = get_settings()
    archive = get_archive(settings, get_store())
    assert archive is not None, "start-replay checked the archive"
    return replay_outcome(run, archive, spool=spool_root(settings.spool_dir), batch_size=settings.batch_size)


@task(name="replay-batch", task_run_name="replay {run.feed.name} batch {batch.index}", cache_policy=NO_CACHE,
      **retrying(C.UPSERT_RETRIES))  # fmt: skip
def replay_batch(run: FeedRun, batch: BatchRef, now: datetime) -> UpsertCounts:
    """Write one batch's changed content (the feed's latest body), or only count it against today's (older)."""
    return replay.replay_batch(get_store(), run, batch, now=now)
