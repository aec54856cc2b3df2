"""Task: fetch one feed and normalize its items into batch files (one task run per feed, never per job)."""

from __future__ import annotations

from prefect import State, task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.ops.archive import get_archive
from jobfeed.pipeline.feedrun import fetch_outcome
from jobfeed.pipeline.runs import FeedOutcome, FeedRun, Finished, needs_upserts
from jobfeed.pipeline.spool import spool_root
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from tasks.finishing import final_state, finish
from tasks.policy import retrying


@task(
    name="fetch-and-normalize",
    task_run_name="fetch {run.feed.name}",
    cache_policy=NO_CACHE,  # inputs are per-run; hashing them would only cost time
    **retrying(C.FETCH_RETRIES),
)
def fetch_and_normalize(run: FeedRun) -> FeedOutcome | Finished | State[Finished]:
    """Fetch, parse and normalize one feed (jobfeed.pipeline.feedrun); permanent failures are values.

    An outcome with nothing to upsert (not modified, skipped, failed for good, no jobs) is finished
    here at once: the hourly run where most feeds answer 304 then costs one task run per feed
    instead of two (bench/README.md, re-import). Then this is the feed's finishing task run.
    """
    settings = get_settings()
    spool = spool_root(settings.spool_dir)
    store = get_store()
    archive = get_archive(settings, store)  # ARCHIVE: where a parsed body is kept for replays
    outcome = fetch_outcome(run, settings=settings, spool=spool, snapshots=store.snapshots, archive=archive)
    if needs_upserts(outcome):
        return outcome
    log = finish(run, outcome, [])
    return final_state(log, Finished(log))  # a failing feed ends this task run Failed, its log as data
