"""Task: open the run — recover crashed logs, write one `running` ImportLog per feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from jobfeed import constants as C
from jobfeed.importlog import FeedFailure, LogStatus, UpsertCounts, summary_fields
from jobfeed.models import FeedSpec
from jobfeed.ops.locks import get_locks
from jobfeed.pipeline.runs import FeedRun
from jobfeed.pipeline.spool import FeedSpool, prune, spool_root
from jobfeed.reasons import FailureReason
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from tasks.policy import retry_options
from tasks.prefect_api import flow_run_is_alive


@task(name="start-run", cache_policy=NO_CACHE, **retry_options(C.START_RETRIES))
def start_run(feeds: list[FeedSpec]) -> list[FeedRun]:
    """Mark logs of crashed runs failed, then open a `running` ImportLog and take a lock per feed."""
    settings = get_settings()
    store = get_store()
    locks = get_locks(settings.redis_url, settings.lock_ttl_s)
    run_id = flow_run.get_id()
    now = datetime.now(UTC)
    stale_after = timedelta(seconds=settings.lock_ttl_s * C.STALE_RUNNING_TTL_FACTOR)
    spool = spool_root(settings.spool_dir)
    for log in store.logs.running(exclude_flow_run_id=run_id):
        # Prefect says the run is over (or never knew it), or it has been "running" so long that its
        # lock expired long ago: a worker killed with -9 leaves its flow run Running in Prefect forever.
        if now - log["startedAt"] > stale_after or not flow_run_is_alive(log.get("flowRunId")):
            crashed = FeedFailure(FailureReason.RUN_CRASHED, "the run that opened this log ended without finishing it")
            fields = summary_fields(status=LogStatus.FAILED, counts=UpsertCounts(), error=crashed)
            store.logs.finish(str(log["_id"]), finished_at=now, fields=fields)
            FeedSpool(spool, str(log["_id"])).remove()  # its working files, if they are on this machine
            if log.get("flowRunId"):  # its holder is dead: free the feed now, not when the lock expires
                locks.release(log["fileName"], log["flowRunId"])
    prune(spool)  # working files of runs that died without cleaning up and were never recovered
    runs = []
    for feed in feeds:
        log_id = store.logs.open(feed_url=feed.public_url, feed_name=feed.name, flow_run_id=run_id, started_at=now)
        skip, token, note = None, None, None
        disabled, state = store.feeds.run_state(feed.public_url)
        if disabled:
            skip = FeedFailure(FailureReason.DISABLED, "feed is disabled in the feeds collection")
        else:
            lock = locks.acquire(feed.public_url, run_id or log_id)
            if lock.acquired:
                token, note = run_id or log_id, lock.unavailable
            else:
                skip = FeedFailure(FailureReason.LOCKED, f"flow run {lock.holder} is importing this feed now")
        runs.append(FeedRun(feed, log_id, run_id, now, state=state, skip=skip, lock_token=token, lock_note=note))
    return runs
