"""The start of an import run: recover logs of crashed runs, then open a `running` ImportLog and take a
lock per feed. Pure of Prefect and the database driver: the store, locks and clock come in as parameters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from jobfeed import constants as C
from jobfeed.importlog import FeedFailure, FetchFacts, ImportLog, LogStatus, UpsertCounts, finish_fields
from jobfeed.models import FeedSpec
from jobfeed.pipeline.ports import Locks, RunStore
from jobfeed.pipeline.runs import FeedRun
from jobfeed.pipeline.spool import FeedSpool, prune
from jobfeed.reasons import FailureReason

CRASHED = FeedFailure(FailureReason.RUN_CRASHED, "the run that opened this log ended without finishing it")


def start_run(
    feeds: Sequence[FeedSpec],
    *,
    store: RunStore,
    locks: Locks,
    flow_run_id: str | None,
    now: datetime,
    spool: Path,
    lock_ttl_s: int,
    flow_run_is_alive: Callable[[str | None], bool],
) -> list[FeedRun]:
    """Bring the database layout up to date, finish logs of crashed runs, prune dead working files, open one log per feed.

    Safe to retry: the layout step is idempotent, a recovered log finishes once, and a lock retaken with the
    same token (the flow run id) is ours again.
    """
    store.prepare(now)  # indexes (and backfills) when the layout is older: get_store() never creates them
    recover_crashed(
        store, locks, flow_run_id=flow_run_id, now=now, spool=spool, lock_ttl_s=lock_ttl_s, alive=flow_run_is_alive
    )
    prune(spool)  # working files of runs that died without cleaning up and were never recovered
    return [open_feed(feed, store=store, locks=locks, flow_run_id=flow_run_id, now=now) for feed in feeds]


def recover_crashed(
    store: RunStore,
    locks: Locks,
    *,
    flow_run_id: str | None,
    now: datetime,
    spool: Path,
    lock_ttl_s: int,
    alive: Callable[[str | None], bool],
) -> list[ImportLog]:
    """Mark `running` logs of other runs failed (`run_crashed`) when their run is over; returns them.

    A run is over when Prefect says so (or never knew it), or when its log has been `running` so long
    that its lock expired long ago: a worker killed with -9 leaves its flow run Running in Prefect forever.
    """
    stale_after = timedelta(seconds=lock_ttl_s * C.STALE_RUNNING_TTL_FACTOR)
    recovered = []
    for log in store.logs.running(exclude_flow_run_id=flow_run_id):
        if now - log.started_at <= stale_after and alive(log.flow_run_id):
            continue
        assert log.id is not None  # read from the database
        fields = finish_fields(status=LogStatus.FAILED, counts=UpsertCounts(), error=CRASHED, facts=FetchFacts())
        store.logs.finish(log.id, finished_at=now, fields=fields)
        FeedSpool(spool, log.id).remove()  # its working files, if they are on this machine
        if log.flow_run_id:  # its holder is dead: free the feed now, not when the lock expires
            locks.release(log.file_name, log.flow_run_id)
        recovered.append(log)
    return recovered


def open_feed(feed: FeedSpec, *, store: RunStore, locks: Locks, flow_run_id: str | None, now: datetime) -> FeedRun:
    """Open the feed's `running` log; skip it when disabled or locked by another run (naming the holder)."""
    log_id = store.logs.open(feed_url=feed.public_url, feed_name=feed.name, flow_run_id=flow_run_id, started_at=now)
    disabled, state = store.feeds.run_state(feed.public_url)
    run = FeedRun(feed, log_id, flow_run_id, now, state=state)
    if disabled:
        return replace(run, skip=FeedFailure(FailureReason.DISABLED, "feed is disabled in the feeds collection"))
    return take_lock(run, locks)


def take_lock(run: FeedRun, locks: Locks) -> FeedRun:
    """The run holding its feed's lock (token: the flow run id, else the log id), or skipped `locked`."""
    token = run.flow_run_id or run.log_id
    lock = locks.acquire(run.feed.public_url, token)
    if not lock.acquired:
        return replace(
            run, skip=FeedFailure(FailureReason.LOCKED, f"flow run {lock.holder} is importing this feed now")
        )
    return replace(run, lock_token=token, lock_note=lock.unavailable)
