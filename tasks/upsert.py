"""Task: upsert one batch file of jobs (retried with backoff on transient database errors)."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.importlog import UpsertCounts
from jobfeed.pipeline.runs import FeedRun
from jobfeed.pipeline.spool import BatchRef, load_batch
from jobfeed.store import get_store
from tasks.policy import retrying


@task(
    name="upsert-batch",
    task_run_name="upsert {run.feed.name} batch {batch.index}",
    cache_policy=NO_CACHE,
    **retrying(C.UPSERT_RETRIES),
)
def upsert_batch(run: FeedRun, batch: BatchRef, now: datetime) -> UpsertCounts:
    """Write one batch file's jobs; idempotent, so a retry after a dropped connection counts exactly."""
    jobs = load_batch(batch)
    repo = get_store().jobs.for_run(log_id=run.log_id, flow_run_id=run.flow_run_id)  # reopens what it lists
    return repo.upsert_batch(jobs, feed_url=run.feed.public_url, token=run.batch_token(batch.index), now=now)
