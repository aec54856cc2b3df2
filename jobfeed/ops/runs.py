"""Run control on Prefect, shared by the runs API, the CLI and the dashboard: start an import run of the
on-demand deployment (priority queue, delay, idempotency key), read runs, cancel them; and the hook that
closes a cancelled run's ImportLogs and frees its feed locks.

Runs started by hand go to `import-feeds/on-demand`: no schedule, collision strategy ENQUEUE, so a run
asked for while another is going waits instead of being cancelled. A run's priority is the work queue it
is put in (`high`, `normal`, `low`: Prefect priorities 1, 2, 3, created by `jobfeed deploy`); a delayed
run is a Prefect Scheduled run. Prefect is imported inside the functions (a page that only links loads none).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from jobfeed.importlog import FeedFailure, FetchFacts, LogStatus, UpsertCounts, finish_fields
from jobfeed.ops.prefect import (
    DeploymentMissingError,
    PrefectUnavailableError,
    flow_run_url,
    prefect_api_url,
)
from jobfeed.reasons import FailureReason
from jobfeed.redact import redact_text
from jobfeed.settings import Settings

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

    from jobfeed.ops.locks import FeedLocks
    from jobfeed.store import Store

FLOW = "import-feeds"
ON_DEMAND = f"{FLOW}/on-demand"
MANAGED_TAG = "jobfeed-managed"  # deployments `jobfeed deploy` made for a schedule (and may remove)
TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
STATE_TYPES = ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING")
CANCELLED_MESSAGE = "the run was cancelled while this feed was importing"


class Priority(StrEnum):
    """A run's priority = the work queue it waits in."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


QUEUE_PRIORITIES = {Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}  # Prefect: 1 is served first


class RunNotFoundError(Exception):
    """Prefect knows no flow run of the import flow with this id."""


class RunFinishedError(Exception):
    """The run is over already: there is nothing to cancel."""


@dataclass(frozen=True)
class RunView:
    """One import flow run as the API, the CLI and the dashboard show it."""

    id: str
    name: str
    state: str  # Prefect's state type: SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
    state_name: str  # the state's own name: `Partial` is a named COMPLETED state, `Late` a SCHEDULED one
    message: str | None
    deployment: str | None  # `import-feeds/on-demand`, `import-feeds/hourly`, ...; None for `jobfeed import`
    priority: str | None  # the work queue
    parameters: dict[str, Any]
    tags: list[str]
    created_at: datetime | None
    scheduled_for: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def to_json(self) -> dict[str, Any]:
        """The public shape (camelCase, ISO 8601 Z times)."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "stateName": self.state_name,
            "message": redact_text(self.message) if self.message else None,
            "deployment": self.deployment,
            "priority": self.priority,
            "parameters": self.parameters,
            "tags": self.tags,
            "createdAt": _iso(self.created_at),
            "scheduledFor": _iso(self.scheduled_for),
            "startedAt": _iso(self.started_at),
            "finishedAt": _iso(self.finished_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


_DEPLOYMENT_NAMES: dict[str, str] = {}  # deployment id -> `flow/name`: ids never change meaning


@contextmanager
def prefect_client(settings: Settings) -> Iterator[SyncPrefectClient]:
    """A sync Prefect client on the configured server; PrefectUnavailableError when there is none
    (checked first: Prefect would otherwise start a temporary server, which knows no run)."""
    api_url = prefect_api_url(settings)
    if not api_url:
        raise PrefectUnavailableError(
            "No Prefect server is running. Start one with `jobfeed stack up` (or set PREFECT_API_URL)."
        )
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        yield client


def _view(client: SyncPrefectClient, run: FlowRun, settings: Settings) -> RunView:
    deployment = None
    if run.deployment_id is not None:
        key = str(run.deployment_id)
        if key not in _DEPLOYMENT_NAMES:
            from prefect.exceptions import ObjectNotFound

            try:
                dep = client.read_deployment(run.deployment_id)
                _DEPLOYMENT_NAMES[key] = f"{client.read_flow(dep.flow_id).name}/{dep.name}"  # import or replay
            except ObjectNotFound:  # deleted since: the run keeps its id
                _DEPLOYMENT_NAMES[key] = key
        deployment = _DEPLOYMENT_NAMES[key]
    state = run.state
    return RunView(
        id=str(run.id),
        name=run.name,
        state=state.type.value if state else "UNKNOWN",
        state_name=(state.name if state else None) or "unknown",
        message=state.message if state else None,
        deployment=deployment,
        priority=run.work_queue_name,
        parameters=dict(run.parameters or {}),
        tags=sorted(run.tags or []),
        created_at=run.created,
        scheduled_for=run.expected_start_time,
        started_at=run.start_time,
        finished_at=run.end_time,
        url=flow_run_url(str(run.id), settings, prefect_api_url(settings)),
    )


def view_of(client: SyncPrefectClient, run: FlowRun, settings: Settings) -> RunView:
    """A flow run as the API, the CLI and the dashboard show it (any flow of jobfeed's: import, replay)."""
    return _view(client, run, settings)


def submit_run(
    settings: Settings,
    *,
    feed_urls: list[str] | None,
    priority: Priority = Priority.NORMAL,
    scheduled_for: datetime | None = None,
    idempotency_key: str | None = None,
    source: str = "api",
) -> tuple[RunView, bool]:
    """Create a run of the on-demand deployment; returns it and whether it was created now (False: the run
    created earlier with the same idempotency key). `feed_urls` None = every enabled feed (read when it runs).
    Raises PrefectUnavailableError / DeploymentMissingError when there is no server / no deployment."""
    from prefect.client.schemas.actions import DeploymentFlowRunCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Scheduled, to_state_create

    with prefect_client(settings) as client:
        try:
            deployment = client.read_deployment_by_name(ON_DEMAND)
        except ObjectNotFound:
            raise DeploymentMissingError(f"No deployment `{ON_DEMAND}`: create it with `jobfeed deploy`.") from None
        state: Any = Scheduled(scheduled_time=scheduled_for) if scheduled_for else Scheduled()
        body = DeploymentFlowRunCreate(
            parameters={"feed_urls": feed_urls},
            state=to_state_create(state),
            tags=["manual", source],
            idempotency_key=idempotency_key,
        )
        body.work_queue_name = priority.value
        # The client's create_flow_run_from_deployment hides whether the key matched an earlier run;
        # the server says so by its status code (201 created, 200 existing).
        response = client.request(
            "POST",
            "/deployments/{id}/create_flow_run",
            path_params={"id": deployment.id},
            json=body.model_dump(mode="json", exclude_unset=True),
        )
        from prefect.client.schemas.objects import FlowRun

        run = FlowRun.model_validate(response.json())
        return _view(client, run, settings), response.status_code == 201


def read_run(settings: Settings, run_id: str) -> RunView:
    """One run of the import flow by id; RunNotFoundError when Prefect has no such run."""
    from prefect.exceptions import ObjectNotFound

    with prefect_client(settings) as client:
        try:
            run = client.read_flow_run(_uuid(run_id))
        except ObjectNotFound:
            raise RunNotFoundError(run_id) from None
        return _view(client, run, settings)


def _uuid(run_id: str) -> Any:
    from uuid import UUID

    try:
        return UUID(run_id)
    except ValueError:
        raise RunNotFoundError(run_id) from None


def list_runs(settings: Settings, *, limit: int = 20, state: str | None = None) -> list[RunView]:
    """Runs of the import flow, newest first; the schedules' future runs are left out."""
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    run_filter = None
    if state:
        kind = StateType(state.upper())  # ValueError for an unknown state: callers check STATE_TYPES first
        run_filter = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[kind])))
    with prefect_client(settings) as client:
        # a schedule keeps a few future runs: fetch enough to still have `limit` after leaving them out
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW])),
            flow_run_filter=run_filter,
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=limit + 50,
        )
        now = datetime.now(UTC)
        wanted = [
            r
            for r in runs
            if not (r.auto_scheduled and r.expected_start_time and r.expected_start_time > now and not state)
        ]
        return [_view(client, run, settings) for run in wanted[:limit]]


def next_scheduled_runs(settings: Settings, deployments: Iterable[str]) -> dict[str, RunView | None]:
    """The next Scheduled run of each deployment (`import-feeds/hourly`, `import-feeds/every-15m`, ...), soonest
    first by expected start; None for a deployment that has none or does not exist (not deployed yet)."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.exceptions import ObjectNotFound

    scheduled = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])))
    found: dict[str, RunView | None] = {}
    with prefect_client(settings) as client:
        for name in dict.fromkeys(deployments):
            try:
                deployment = client.read_deployment_by_name(name)
            except ObjectNotFound:
                found[name] = None
                continue
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=scheduled,
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=1,
            )
            found[name] = _view(client, runs[0], settings) if runs else None
    return found


def cancel_run(settings: Settings, run_id: str) -> RunView:
    """Cancel a run: one that has not started is cancelled at once; a pending or running one is set
    Cancelling, its worker stops the process, runs the flow's on_cancellation hook (close_cancelled_logs)
    and marks it Cancelled. RunFinishedError when it is over already."""
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Cancelled, Cancelling

    with prefect_client(settings) as client:
        try:
            run = client.read_flow_run(_uuid(run_id))
        except ObjectNotFound:
            raise RunNotFoundError(run_id) from None
        kind = run.state.type.value if run.state else "UNKNOWN"
        if kind in TERMINAL_STATES and kind != "CANCELLED":
            raise RunFinishedError(f"run {run_id} is {kind} already")
        if kind in {"SCHEDULED", "PAUSED"}:  # no process to stop: nothing else will move it on
            client.set_flow_run_state(run.id, Cancelled(message="cancelled before it started"), force=True)
        elif kind in {"PENDING", "RUNNING"}:
            client.set_flow_run_state(run.id, Cancelling(message="cancel requested"), force=True)
        return _view(client, client.read_flow_run(run.id), settings)


def wait_for_run(settings: Settings, run_id: str, *, timeout_s: float | None = None, poll_s: float = 1.0) -> RunView:
    """Poll until the run is in a terminal state (or timeout_s passed); returns its last view."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    view = read_run(settings, run_id)
    while not view.terminal and (deadline is None or time.monotonic() < deadline):
        time.sleep(poll_s)
        view = read_run(settings, run_id)
    return view


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
