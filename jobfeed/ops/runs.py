"""Run control on Prefect, shared by the runs API, the CLI and the dashboard: start an import run of the
on-demand deployment (priority queue, delay, idempotency key), read runs, cancel them. What a run looks like
(`RunView`, priorities, state types, errors) is jobfeed/ops/runview.py, re-exported here; the hook that closes a
cancelled run's ImportLogs and frees its feed locks is jobfeed/ops/cancelled.py.

Runs started by hand go to `import-feeds/on-demand`: no schedule, collision strategy ENQUEUE, so a run
asked for while another is going waits instead of being cancelled. A run's priority is the work queue it
is put in (`high`, `normal`, `low`: Prefect priorities 1, 2, 3, created by `jobfeed deploy`); a delayed
run is a Prefect Scheduled run. Prefect is imported inside the functions (a page that only links loads none).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jobfeed.ops.prefect import DeploymentMissingError, PrefectUnavailableError, prefect_api_url
from jobfeed.ops.runview import (  # re-exported: `jobfeed.ops.runs` is where callers find run control's names
    FLOW,
    MANAGED_TAG,
    ON_DEMAND,
    QUEUE_PRIORITIES,
    STATE_TYPES,
    TERMINAL_STATES,
    Priority,
    RunFinishedError,
    RunNotFoundError,
    RunView,
    view_of,
)
from jobfeed.settings import Settings

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

__all__ = [
    "FLOW",
    "MANAGED_TAG",
    "ON_DEMAND",
    "QUEUE_PRIORITIES",
    "STATE_TYPES",
    "TERMINAL_STATES",
    "Priority",
    "RunFinishedError",
    "RunNotFoundError",
    "RunView",
    "cancel_run",
    "list_runs",
    "next_scheduled_runs",
    "prefect_client",
    "read_run",
    "submit_run",
    "view_of",
    "wait_for_run",
]


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
        return view_of(client, run, settings), response.status_code == 201


def read_run(settings: Settings, run_id: str) -> RunView:
    """One run of the import flow by id; RunNotFoundError when Prefect has no such run."""
    from prefect.exceptions import ObjectNotFound

    with prefect_client(settings) as client:
        try:
            run = client.read_flow_run(_uuid(run_id))
        except ObjectNotFound:
            raise RunNotFoundError(run_id) from None
        return view_of(client, run, settings)


def state_history(settings: Settings, run_id: str) -> list[str]:
    """The names of every state the run has been in, oldest first (a poll can miss a short one)."""
    with prefect_client(settings) as client:
        states = client.read_flow_run_states(_uuid(run_id))
    return [state.name or state.type.value for state in sorted(states, key=lambda s: s.timestamp)]


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
        return [view_of(client, run, settings) for run in wanted[:limit]]


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
            found[name] = view_of(client, runs[0], settings) if runs else None
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
        return view_of(client, client.read_flow_run(run.id), settings)


def wait_for_run(settings: Settings, run_id: str, *, timeout_s: float | None = None, poll_s: float = 1.0) -> RunView:
    """Poll until the run is in a terminal state (or timeout_s passed); returns its last view."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    view = read_run(settings, run_id)
    while not view.terminal and (deadline is None or time.monotonic() < deadline):
        time.sleep(poll_s)
        view = read_run(settings, run_id)
    return view
