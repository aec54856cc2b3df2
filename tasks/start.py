"""Task: open the run (jobfeed.pipeline.start) with this process's store, locks, spool and Prefect's view."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from jobfeed import constants as C
from jobfeed.models import FeedSpec
from jobfeed.ops.locks import get_locks
from jobfeed.pipeline import start
from jobfeed.pipeline.runs import FeedRun
from jobfeed.pipeline.spool import spool_root
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from tasks.policy import retrying
from tasks.prefect_api import flow_run_is_alive


@task(name="start-run", cache_policy=NO_CACHE, **retrying(C.START_RETRIES))
def start_run(feeds: list[FeedSpec]) -> list[FeedRun]:
    """Create indexes, mark logs of crashed runs failed, then open a `running` log and take a lock per feed."""
    settings = get_settings()
    return start.start_run(
        feeds,
        store=get_store(),
        locks=get_locks(settings.redis_url, settings.lock_ttl_s),
        flow_run_id=flow_run.get_id(),
        now=datetime.now(UTC),
        spool=spool_root(settings.spool_dir),
        lock_ttl_s=settings.lock_ttl_s,
        flow_run_is_alive=flow_run_is_alive,
    )
