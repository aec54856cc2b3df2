"""Finish a feed's run (jobfeed.pipeline.finish) with this process's store, locks, spool and notifier, tell
Prefect (jobfeed.ops.events), and give the finishing task run a state that says how the feed did."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from prefect import State
from prefect.states import Failed

from jobfeed.importlog import ImportLog, is_failing
from jobfeed.ops.drift import drift_hook
from jobfeed.ops.events import FeedWatch, report_feed
from jobfeed.ops.locks import get_locks
from jobfeed.ops.notify import notify_after_run
from jobfeed.ops.report import warning_line
from jobfeed.pipeline.finish import finish_feed
from jobfeed.pipeline.runs import BatchOutcome, FeedOutcome, FeedRun
from jobfeed.pipeline.spool import spool_root
from jobfeed.settings import get_settings
from jobfeed.store import get_store

T = TypeVar("T")


def finish(run: FeedRun, outcome: FeedOutcome, batches: list[BatchOutcome]) -> ImportLog:
    """Finish the feed's ImportLog and state, then log it, emit its events and add its artifact row."""
    settings = get_settings()
    store = get_store()
    watch = FeedWatch()

    def after_record(url: str, name: str, previous: Mapping[str, Any] | None) -> None:
        watch.saw(previous, notify_after_run(store, url, name, previous))  # never raises; may auto-disable

    log = finish_feed(run, outcome, batches, store=store, locks=get_locks(settings.redis_url, settings.lock_ttl_s),
                      spool=spool_root(settings.spool_dir), now=datetime.now(UTC), after_record=after_record,
                      close_after=settings.close_after_misses, on_drift=drift_hook(watch))  # fmt: skip
    report_feed(log, watch, store=store)
    return log


def final_state(log: ImportLog, value: T) -> T | State[T]:
    """`value` for a feed that did not fail; for a failing one a Failed state named after its status that
    carries `value` as data: returned, not raised, so the flow goes on and retry_transient retries nothing."""
    if not is_failing(log.status):
        return value
    name = log.status.value.capitalize()  # `Failed` / `Partial`
    return Failed(name=name, message=warning_line(log), data=value)
