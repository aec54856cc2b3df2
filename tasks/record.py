"""Task: finish a feed's run after its upserts (tasks/finishing.py); a failing feed ends it not green."""

from __future__ import annotations

from prefect import State, task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.importlog import ImportLog
from jobfeed.pipeline.runs import BatchOutcome, FeedOutcome, FeedRun
from tasks.finishing import final_state, finish
from tasks.policy import retrying


@task(
    name="record-import-log",
    task_run_name="record {run.feed.name}",
    cache_policy=NO_CACHE,
    **retrying(C.UPSERT_RETRIES),
)
def record_import_log(run: FeedRun, outcome: FeedOutcome, batches: list[BatchOutcome]) -> ImportLog | State[ImportLog]:
    """Add up the batches, park failed ones as dead letters, finish the ImportLog and feed state."""
    log = finish(run, outcome, batches)
    return final_state(log, log)
