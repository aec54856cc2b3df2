"""The work pool as a person waiting for a run needs it: paused or not, and how many workers poll it.

`jobfeed deploy` says whether a worker is there to run the deployments; `jobfeed run-now --watch` says
why a run does not start instead of waiting silently (a paused pool, or no worker).
"""

from __future__ import annotations

from dataclasses import dataclass

from jobfeed.settings import Settings


@dataclass(frozen=True)
class PoolStatus:
    """A work pool as the Prefect server knows it: `exists` False when nobody created it yet."""

    name: str
    exists: bool
    paused: bool = False
    online_workers: int = 0


def pool_status(settings: Settings, name: str | None = None) -> PoolStatus:
    """The pool `name` (default WORK_POOL): paused, and its workers whose heartbeat is recent (ONLINE).

    Raises PrefectUnavailableError when no Prefect server is configured or running."""
    from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus
    from prefect.exceptions import ObjectNotFound

    from jobfeed.ops.runs import prefect_client

    name = name or settings.work_pool
    with prefect_client(settings) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            return PoolStatus(name, exists=False)
        online = client.read_workers_for_work_pool(
            name, worker_filter=WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
        )
        return PoolStatus(name, exists=True, paused=bool(pool.is_paused), online_workers=len(online))


def waiting_reason(status: PoolStatus) -> str | None:
    """Why a run queued on this pool does not start, in one line with what to do; None when it can start."""
    if not status.exists:
        return f"work pool {status.name} does not exist: create it with `jobfeed deploy`"
    if status.paused:
        return f"work pool {status.name} is paused: the run waits until `jobfeed resume`"
    if status.online_workers == 0:
        return f"no worker is polling work pool {status.name}: start one with `jobfeed stack up --worker`"
    return None


def worker_advice(status: PoolStatus) -> str:
    """What `jobfeed deploy` says after registering the deployments: whether anything will run them."""
    if status.paused:
        return f"Work pool {status.name} is paused: scheduled runs wait. `jobfeed resume` lets them start."
    if status.online_workers:
        count = status.online_workers
        return f"{count} worker{'s' if count != 1 else ''} online on work pool {status.name}: the deployments run."
    return f"No worker is polling work pool {status.name}. Start one to run them: `jobfeed stack up --worker`"
