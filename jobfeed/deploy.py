"""Prefect deployment operations for the CLI: create pool + deployment, run now, pause/resume."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobfeed.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEPLOYMENT = "import-feeds/hourly"  # flow name / deployment name in prefect.yaml


class DeployError(Exception):
    """A deployment operation failed; the message says what to do."""


@dataclass(frozen=True)
class RunInfo:
    """A flow run started by hand."""

    id: str
    name: str
    state: str
    url: str | None


def ensure_work_pool(name: str) -> bool:
    """Create the process work pool if missing; True when it was created now."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            return True
        except ObjectAlreadyExists:
            return False


def deploy(settings: Settings) -> str:
    """Create/update the work pool and the `import-feeds/hourly` deployment from prefect.yaml."""
    _require_api()
    ensure_work_pool(settings.work_pool)
    env = {**os.environ, "JOBFEED_PROJECT_DIR": str(PROJECT_DIR), "SCHEDULE_TIMEZONE": settings.schedule_timezone}
    prefect = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "prefect"
    executable = str(prefect) if prefect.exists() else _venv_prefect()
    proc = subprocess.run(
        [executable, "--no-prompt", "deploy", "--name", "hourly", "--pool", settings.work_pool],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise DeployError(f"prefect deploy failed:\n{tail}")
    return DEPLOYMENT


def run_now(*, watch: bool, ui_url: str | None) -> RunInfo:
    """Trigger the deployment (like the UI's Run); with watch, wait for the run to finish."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    _require_api()
    try:
        run = run_deployment(name=DEPLOYMENT, timeout=None if watch else 0, tags=["manual"])
    except ObjectNotFound:
        raise DeployError(f"no deployment {DEPLOYMENT!r} on this Prefect server: run `jobfeed deploy` first") from None
    state = run.state.name if run.state else "unknown"
    return RunInfo(str(run.id), run.name, state, flow_run_url(str(run.id), ui_url))


def set_pool_paused(name: str, paused: bool) -> None:
    """Pause or resume the work pool: scheduled runs wait (not deleted, unlike pausing a schedule)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    _require_api()
    with get_client(sync_client=True) as client:
        try:
            client.update_work_pool(name, WorkPoolUpdate(is_paused=paused))
        except ObjectNotFound:
            raise DeployError(f"no work pool {name!r}: run `jobfeed deploy` first") from None


def flow_run_url(flow_run_id: str, ui_url: str | None) -> str | None:
    """Link to a flow run in the Prefect UI (PREFECT_UI_URL, else derived from PREFECT_API_URL)."""
    base = ui_url or _ui_from_api(os.environ.get("PREFECT_API_URL"))
    return f"{base.rstrip('/')}/runs/flow-run/{flow_run_id}" if base else None


def deployment_summary() -> dict[str, Any] | None:
    """The deployment's schedule and pool as the server has them (None when it does not exist)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            dep = client.read_deployment_by_name(DEPLOYMENT)
        except ObjectNotFound:
            return None
        return {
            "id": str(dep.id),
            "pool": dep.work_pool_name,
            "schedules": [getattr(s.schedule, "cron", None) for s in dep.schedules],
            "timezone": [getattr(s.schedule, "timezone", None) for s in dep.schedules],
            "concurrency": dep.concurrency_limit,
        }


def _ui_from_api(api_url: str | None) -> str | None:
    if not api_url or not api_url.rstrip("/").endswith("/api"):
        return None
    return api_url.rstrip("/")[: -len("/api")]


def _require_api() -> None:
    if not os.environ.get("PREFECT_API_URL"):
        raise DeployError("no Prefect server: start one with `jobfeed stack up` or set PREFECT_API_URL")


def _venv_prefect() -> str:
    import sys

    candidate = Path(sys.executable).parent / "prefect"
    return str(candidate) if candidate.exists() else "prefect"
