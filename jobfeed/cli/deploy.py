"""Prefect deployment operations (CLI and dashboard): which server, create pool + deployment, run now,
pause/resume, and links into the Prefect UI."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Any

from jobfeed.settings import LOCAL_PREFECT_API_URL, Settings
from jobfeed.stack.local import PROJECT_DIR
from jobfeed.stack.servers import venv_script

LOCAL_PREFECT_UI_URL = LOCAL_PREFECT_API_URL.removesuffix("/api")
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
    proc = subprocess.run(
        [venv_script("prefect"), "--no-prompt", "deploy", "--name", "hourly", "--pool", settings.work_pool],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise DeployError(f"prefect deploy failed:\n{tail}")
    return DEPLOYMENT


def run_now(*, watch: bool, settings: Settings) -> RunInfo:
    """Trigger the deployment (like the UI's Run); with watch, wait for the run to finish."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    _require_api()
    try:
        run = run_deployment(name=DEPLOYMENT, timeout=None if watch else 0, tags=["manual"])
    except ObjectNotFound:
        raise DeployError(f"no deployment {DEPLOYMENT!r} on this Prefect server: run `jobfeed deploy` first") from None
    state = run.state.name if run.state else "unknown"
    return RunInfo(str(run.id), run.name, state, flow_run_url(str(run.id), settings, os.environ["PREFECT_API_URL"]))


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


def prefect_api_url(settings: Settings) -> str | None:
    """The Prefect API to talk to: PREFECT_API_URL, the setting, or a healthy local stack; None = none."""
    from jobfeed.stack import local as stack

    return os.environ.get("PREFECT_API_URL") or settings.prefect_api_url or stack.local_prefect_api_url(settings)


def prefect_ui_url(settings: Settings, api_url: str | None = None) -> str:
    """Base URL of the Prefect UI: PREFECT_UI_URL, else the API URL without `/api`, else the local one."""
    if settings.prefect_ui_url:
        return settings.prefect_ui_url.rstrip("/")
    api = (api_url or settings.prefect_api_url or "").rstrip("/")
    return api.removesuffix("/api") if api else LOCAL_PREFECT_UI_URL


def flow_run_url(flow_run_id: str, settings: Settings, api_url: str | None = None) -> str:
    """Link to a flow run in the Prefect UI."""
    return f"{prefect_ui_url(settings, api_url)}/runs/flow-run/{flow_run_id}"


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


def _require_api() -> None:
    if not os.environ.get("PREFECT_API_URL"):
        raise DeployError("no Prefect server: start one with `jobfeed stack up` or set PREFECT_API_URL")
