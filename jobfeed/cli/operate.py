"""`jobfeed dashboard|api|deploy|pause|resume`: the read servers, the deployments and their work pool."""

from __future__ import annotations

from typing import Any

import typer

from jobfeed.cli.common import EXIT_FAILED, console, err, load_settings


def dashboard_cmd(
    port: int | None = typer.Option(None, "--port", help="default DASHBOARD_PORT (8501)"),
    host: str | None = typer.Option(None, "--host", help="default DASHBOARD_HOST (127.0.0.1)"),
) -> None:
    """Start the Streamlit admin dashboard (Import History, runs, feeds, jobs, dead letters, run now)."""
    from jobfeed.cli.dashboard import run_dashboard

    load_settings()
    raise typer.Exit(run_dashboard(port=port, host=host))


def api_cmd(
    port: int | None = typer.Option(None, "--port", help="default API_PORT (8000)"),
    host: str | None = typer.Option(None, "--host", help="default API_HOST (127.0.0.1)"),
) -> None:
    """Start the read API (/api/import-logs, /api/feeds, /api/jobs, /healthz, OpenAPI at /docs)."""
    from jobfeed.api.app import serve

    load_settings()
    raise typer.Exit(serve(host=host, port=port))


def _deploy_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a deployment operation against the configured Prefect server; errors as one line, exit 1."""
    from jobfeed.cli.deploy import DeployError
    from jobfeed.cli.runner import use_prefect_server

    use_prefect_server(load_settings())
    try:
        return fn(*args, **kwargs)
    except DeployError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_FAILED) from None


def deploy_cmd() -> None:
    """Register the deployments (hourly, on-demand, one per feed schedule, replay, daily archive prune), the work
    pool and its queues.

    Idempotent. The queues are high/normal/low; run it again after changing schedules in the feeds file."""
    from jobfeed.cli import deploy
    from jobfeed.ops.runs import FLOW as IMPORT_FLOW

    settings = load_settings()
    names = _deploy_call(deploy.deploy, settings)
    for name in names:
        summary = deploy.deployment_summary(name) or {}
        feeds = summary.get("feeds")
        imports = name.startswith(f"{IMPORT_FLOW}/")  # replay-import and prune-archive import no feed
        console.print(
            f"deployment [bold]{name}[/bold]: schedule {summary.get('schedules') or 'none'} "
            f"({settings.schedule_timezone}), pool {summary.get('pool')}"
            + (f", feeds: {'every enabled feed' if feeds is None else len(feeds)}" if imports else "")
        )
    from jobfeed.ops.pool import pool_status, worker_advice

    console.print(_deploy_call(lambda: worker_advice(pool_status(settings))), highlight=False)


def pause_cmd() -> None:
    """Pause the work pool: scheduled runs wait instead of starting (and are not deleted)."""
    from jobfeed.cli import deploy

    settings = load_settings()
    _deploy_call(deploy.set_pool_paused, settings.work_pool, True)
    console.print(f"work pool {settings.work_pool} paused")


def resume_cmd() -> None:
    """Resume the work pool: waiting and future runs start again."""
    from jobfeed.cli import deploy

    settings = load_settings()
    _deploy_call(deploy.set_pool_paused, settings.work_pool, False)
    console.print(f"work pool {settings.work_pool} resumed")
