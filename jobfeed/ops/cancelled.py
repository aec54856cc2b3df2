"""A cancelled import run's clean-up: the flows' on_cancellation hook closes the run's `running` ImportLogs
(`failed`, reason `cancelled`), deletes their working files and frees their feed locks at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jobfeed.importlog import FeedFailure, FetchFacts, LogStatus, UpsertCounts, finish_fields
from jobfeed.reasons import FailureReason

if TYPE_CHECKING:
    from jobfeed.ops.locks import FeedLocks
    from jobfeed.store import Store

CANCELLED_MESSAGE = "the run was cancelled while this feed was importing"


def close_cancelled_logs(store: Store, locks: FeedLocks, flow_run_id: str, *, now: datetime) -> int:
    """Finish the run's `running` ImportLogs `failed` (reason `cancelled`), delete their working files and
    give their feed locks back; returns how many logs it finished. Idempotent: a log finishes once."""
    from jobfeed.pipeline.spool import FeedSpool, spool_root
    from jobfeed.settings import get_settings

    spool = spool_root(get_settings().spool_dir)
    fields = finish_fields(
        status=LogStatus.FAILED,
        counts=UpsertCounts(),
        error=FeedFailure(FailureReason.CANCELLED, CANCELLED_MESSAGE),
        facts=FetchFacts(),
    )
    closed = 0
    for log in store.logs.running():
        if log.flow_run_id != flow_run_id or log.id is None:
            continue
        if store.logs.finish(log.id, finished_at=now, fields=fields) is not None:
            closed += 1
        FeedSpool(spool, log.id).remove()
        locks.release(log.file_name, flow_run_id)  # the lock's token is the flow run id (pipeline/start.py)
    return closed


def on_cancellation(flow: Any, flow_run: Any, state: Any) -> None:
    """The import flow's on_cancellation hook (Prefect runs it where the run is stopped, before the run
    is marked Cancelled): close the run's open ImportLogs and free its feeds now, not when the locks expire."""
    from jobfeed.ops.locks import get_locks
    from jobfeed.settings import get_settings
    from jobfeed.store import get_store

    settings = get_settings()
    close_cancelled_logs(
        get_store(settings), get_locks(settings.redis_url, settings.lock_ttl_s), str(flow_run.id), now=datetime.now(UTC)
    )
