"""What an import run is, as the runs API, the CLI and the dashboard show it: its flow and deployment names,
priorities (work queues), the state types, the errors of run control, and `RunView` built from a Prefect flow run.

Run control itself (submit, read, list, cancel) is jobfeed/ops/runs.py, which re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from jobfeed.ops.prefect import flow_run_url, prefect_api_url
from jobfeed.redact import redact_text
from jobfeed.settings import Settings

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

FLOW = "import-feeds"
ON_DEMAND = f"{FLOW}/on-demand"
MANAGED_TAG = "jobfeed-managed"  # deployments `jobfeed deploy` made for a schedule (and may remove)
TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
STATE_TYPES = ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING")


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


def view_of(client: SyncPrefectClient, run: FlowRun, settings: Settings) -> RunView:
    """A flow run as the API, the CLI and the dashboard show it (any flow of jobfeed's: import, replay)."""
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
