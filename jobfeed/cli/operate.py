"""`jobfeed dashboard|api|deploy|run-now|pause|resume`: the read servers, the deployment and its work pool."""

from __future__ import annotations

from typing import Any

import typer

from jobfeed.cli.common import EXIT_FAILED, console, err, load_settings
from jobfeed.cli.render import print_logs_table


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
    """Register the hourly deployment (prefect.yaml) and its process work pool; idempotent."""
    from jobfeed.cli import deploy

    settings = load_settings()
    name = _deploy_call(deploy.deploy, settings)
    summary = deploy.deployment_summary() or {}
    console.print(
        f"deployment [bold]{name}[/bold]: cron {summary.get('schedules')} "
        f"({settings.schedule_timezone}), pool {summary.get('pool')}"
    )
    console.print("Start a worker to run it: [bold]jobfeed stack up --worker[/bold]")


def run_now_cmd(watch: bool = typer.Option(False, "--watch", help="wait for the run to finish")) -> None:
    """Trigger the deployment by hand (same as the Prefect UI's Run)."""
    from jobfeed.cli import deploy

    settings = load_settings()
    info = _deploy_call(deploy.run_now, watch=watch, settings=settings)
    console.print(f"flow run [bold]{info.name}[/bold] ({info.id}): {info.state}")
    if info.url:
        console.print(info.url)
    if watch:
        from jobfeed.store import get_store

        print_logs_table(console, get_store(settings).logs.for_flow_run(info.id), title=f"run {info.name}")
        if info.state != "Completed":
            raise typer.Exit(EXIT_FAILED)


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
