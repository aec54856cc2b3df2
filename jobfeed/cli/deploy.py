"""Prefect deployment operations of the CLI: the work pool and its priority queues, the deployments
(`hourly`, `on-demand`, one per other feed schedule), run now, pause/resume.

Which server, links into its UI and run control live in `jobfeed/ops/` (shared with the API and the
dashboard); the names are re-exported here for the commands that already use them.
"""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobfeed.feeds_config import HOURLY, ConfigError, ScheduleGroup, load_feeds_file, schedule_groups
from jobfeed.ops.prefect import (  # noqa: F401 - re-exported: the commands' names for them
    DEPLOYMENT,
    LOCAL_PREFECT_UI_URL,
    PrefectUnavailableError,
    RunInfo,
    flow_run_url,
    prefect_api_url,
    prefect_ui_url,
)
from jobfeed.ops.replay import ON_DEMAND as REPLAY_ON_DEMAND
from jobfeed.ops.runs import FLOW, MANAGED_TAG, ON_DEMAND, QUEUE_PRIORITIES, Priority, submit_run, wait_for_run
from jobfeed.settings import Settings
from jobfeed.stack.servers import venv_script
from jobfeed.stack.services import PROJECT_DIR

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.responses import DeploymentResponse

YAML_DEPLOYMENTS = ("hourly", "on-demand", "daily")  # prefect.yaml's names (`on-demand`: import and replay)
PRUNE_DAILY = "prune-archive/daily"  # the raw feed archive's retention (docs/provenance.md)


class DeployError(Exception):
    """A deployment operation failed; the message says what to do."""


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


def ensure_queues(pool: str) -> dict[str, int]:
    """The pool's queues `high`, `normal`, `low` with Prefect priorities 1, 2, 3 (created or corrected).

    In that order: Prefect keeps a pool's priorities distinct by moving the others down, so setting 1, 2, 3
    one after the other ends with exactly these (the pool's `default` queue moves behind them)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        for priority, rank in QUEUE_PRIORITIES.items():
            try:
                queue = client.read_work_queue_by_name(priority.value, work_pool_name=pool)
            except ObjectNotFound:
                client.create_work_queue(priority.value, priority=rank, work_pool_name=pool,
                                         description=f"jobfeed runs of priority {priority.value}")  # fmt: skip
                continue
            if queue.priority != rank:
                client.update_work_queue(queue.id, priority=rank)
        return {q.name: q.priority for q in client.read_work_queues(work_pool_name=pool)}


def deploy(settings: Settings) -> list[str]:
    """Create/update the work pool, its queues, `import-feeds/hourly`, `import-feeds/on-demand`,
    `replay-import/on-demand` and `prune-archive/daily` from prefect.yaml, and one deployment per other feed
    schedule; returns the deployments' names."""
    _require_api()
    groups = _groups(settings.feeds_file)
    ensure_work_pool(settings.work_pool)
    ensure_queues(settings.work_pool)
    env = {**os.environ, "JOBFEED_PROJECT_DIR": str(PROJECT_DIR), "SCHEDULE_TIMEZONE": settings.schedule_timezone,
           "WORK_POOL": settings.work_pool}  # fmt: skip  # prefect.yaml reads them (--pool is ignored for two)
    names = [arg for name in YAML_DEPLOYMENTS for arg in ("--name", name)]
    proc = subprocess.run(
        [venv_script("prefect"), "--no-prompt", "deploy", *names],
        check=False,  # a failure is read from returncode and explained below
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise DeployError(f"prefect deploy failed:\n{tail}")
    return [DEPLOYMENT, ON_DEMAND, REPLAY_ON_DEMAND, PRUNE_DAILY, *sync_schedules(groups, settings)]


def _groups(feeds_file: Path) -> list[ScheduleGroup]:
    """The schedule groups of the feeds file; only `hourly` (every feed) when there is no file yet."""
    if not feeds_file.exists():
        return [ScheduleGroup(HOURLY, None, None, ())]
    try:
        return schedule_groups(load_feeds_file(feeds_file))
    except ConfigError as exc:
        raise DeployError(str(exc)) from None


def sync_schedules(groups: list[ScheduleGroup], settings: Settings) -> list[str]:
    """Make the server's schedule deployments match the feeds' schedules; returns the names beyond hourly.

    Without any other schedule, `hourly` imports every enabled feed of the file as it is when it runs
    (`feed_urls: null`). Otherwise each deployment carries its feed list (public URLs: no secret goes
    to Prefect), so `jobfeed deploy` must run again after feeds.yaml changes. A deployment of another
    schedule is a copy of `hourly` (same flow, code location, pool) with its own schedule and feeds;
    deployments tagged jobfeed-managed whose schedule no feed uses any more are deleted (`hourly`
    stays, its schedule paused while no feed uses it).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags, FlowFilter, FlowFilterName

    only_hourly = len(groups) == 1
    hourly_group = groups[0]
    with get_client(sync_client=True) as client:
        hourly = client.read_deployment_by_name(DEPLOYMENT)
        feeds = None if only_hourly else [spec.public_url for spec in hourly_group.feeds]
        client.update_deployment(hourly.id, DeploymentUpdate(parameters={"feeds_file": None, "feed_urls": feeds}))
        for schedule in hourly.schedules:
            client.update_deployment_schedule(hourly.id, schedule.id, active=only_hourly or bool(hourly_group.feeds))
        made = [_upsert_copy(client, hourly, group, settings) for group in groups[1:]]
        managed = client.read_deployments(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW])),
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=[MANAGED_TAG])),
        )
        keep = {group.name for group in groups}
        for dep in managed:
            if dep.name not in keep and dep.name != HOURLY:
                client.delete_deployment(dep.id)
    return made


def _upsert_copy(client: SyncPrefectClient, hourly: DeploymentResponse, group: ScheduleGroup,
                 settings: Settings) -> str:  # fmt: skip
    """Create or update `import-feeds/<group>` as a copy of hourly with the group's schedule and feeds."""
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy, ConcurrencyOptions
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

    if group.interval_s is not None:
        schedule: Any = IntervalSchedule(
            interval=timedelta(seconds=group.interval_s), timezone=settings.schedule_timezone
        )
        what = f"every {group.interval_s // 60} min"
    else:
        schedule = CronSchedule(cron=str(group.cron), timezone=settings.schedule_timezone)
        what = f"cron {group.cron}"
    client.create_deployment(  # the server updates the deployment of this flow and name when it exists
        flow_id=hourly.flow_id,
        name=group.name,
        description=f"Import {len(group.feeds)} feed(s) of feeds.yaml on their schedule ({what}).",
        schedules=[DeploymentScheduleCreate(schedule=schedule, active=True)],
        concurrency_limit=1,  # as hourly: a run due while the last one still goes adds nothing
        concurrency_options=ConcurrencyOptions(collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
        parameters={"feeds_file": None, "feed_urls": [spec.public_url for spec in group.feeds]},
        work_pool_name=hourly.work_pool_name,
        work_queue_name=Priority.NORMAL.value,
        tags=["jobfeed", MANAGED_TAG],
        path=hourly.path,
        entrypoint=hourly.entrypoint,
        pull_steps=hourly.pull_steps,
        parameter_openapi_schema=hourly.parameter_openapi_schema,
        enforce_parameter_schema=hourly.enforce_parameter_schema,
        job_variables=dict(hourly.job_variables or {}),
    )
    return f"{FLOW}/{group.name}"


def run_now(
    *,
    watch: bool,
    settings: Settings,
    feed_urls: list[str] | None = None,
    priority: Priority = Priority.NORMAL,
    scheduled_for: Any = None,
) -> RunInfo:
    """Start a run of `import-feeds/on-demand` (queued behind a running one, in priority order); with watch,
    wait for it to finish."""
    _require_api()
    try:
        view, _ = submit_run(settings, feed_urls=feed_urls, priority=priority, scheduled_for=scheduled_for,
                             source="cli")  # fmt: skip
        if watch:
            view = wait_for_run(settings, view.id)
    except PrefectUnavailableError as exc:
        raise DeployError(str(exc)) from None
    return RunInfo(view.id, view.name, view.state_name, view.url)


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


def deployment_summary(name: str = DEPLOYMENT) -> dict[str, Any] | None:
    """A deployment's schedule, pool and feeds as the server has them (None when it does not exist)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            dep = client.read_deployment_by_name(name)
        except ObjectNotFound:
            return None
        return {
            "id": str(dep.id),
            "pool": dep.work_pool_name,
            "schedules": [
                getattr(s.schedule, "cron", None) or getattr(s.schedule, "interval", None) for s in dep.schedules
            ],
            "timezone": [getattr(s.schedule, "timezone", None) for s in dep.schedules],
            "active": [s.active for s in dep.schedules],
            "concurrency": dep.concurrency_limit,
            "feeds": (dep.parameters or {}).get("feed_urls"),
        }


def _require_api() -> None:
    if not os.environ.get("PREFECT_API_URL"):
        raise DeployError("no Prefect server: start one with `jobfeed stack up` or set PREFECT_API_URL")
