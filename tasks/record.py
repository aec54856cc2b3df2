"""Task: finish a feed's run (jobfeed.pipeline.finish) with this process's store, locks, spool and notifier."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.importlog import ImportLog
from jobfeed.ops.locks import get_locks
from jobfeed.ops.notify import notify_after_run
from jobfeed.pipeline.finish import finish_feed
from jobfeed.pipeline.runs import BatchOutcome, FeedOutcome, FeedRun
from jobfeed.pipeline.spool import spool_root
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from tasks.policy import retrying


@task(
    name="record-import-log",
    task_run_name="record {run.feed.name}",
    cache_policy=NO_CACHE,
    **retrying(C.UPSERT_RETRIES),
)
def record_import_log(run: FeedRun, outcome: FeedOutcome, batches: list[BatchOutcome]) -> ImportLog:
    """Add up the batches, park failed ones as dead letters, finish the ImportLog and feed state."""
    return finish(run, outcome, batches)


def finish(run: FeedRun, outcome: FeedOutcome, batches: list[BatchOutcome]) -> ImportLog:
    """The work of record-import-log; also done inside fetch-and-normalize for a feed with nothing to write."""
    settings = get_settings()
    store = get_store()
    return finish_feed(
        run,
        outcome,
        batches,
        store=store,
        locks=get_locks(settings.redis_url, settings.lock_ttl_s),
        spool=spool_root(settings.spool_dir),
        now=datetime.now(UTC),
        after_record=partial(notify_after_run, store),  # never raises; may auto-disable the feed
        close_after=settings.close_after_misses,
    )
