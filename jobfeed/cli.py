"""The `jobfeed` command: local stack, imports, logs (typer + rich, both shipped with Prefect)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from jobfeed.clirender import json_safe, print_logs_table
from jobfeed.feeds_config import ConfigError
from jobfeed.settings import Settings, get_settings, reset_settings

app = typer.Typer(help="jobfeed: import job feeds into MongoDB with Prefect.", no_args_is_help=True)
stack_app = typer.Typer(help="Start/stop the local stack (Mongo-compatible server, Redis, Prefect server).")
app.add_typer(stack_app, name="stack")
PIPE_WIDTH = 150  # rich assumes 80 columns when not on a terminal; logs and CI captures are wider
console = Console(width=None if sys.stdout.isatty() else PIPE_WIDTH)
err = Console(stderr=True, width=None if sys.stderr.isatty() else PIPE_WIDTH)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _settings() -> Settings:
    """Settings, or one clear line and exit 2 when the environment holds a bad value."""
    reset_settings()
    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "setting"
        err.print(f"[red]bad setting {name}:[/red] {first['msg']}")
        raise typer.Exit(EXIT_USAGE) from None


@stack_app.command("up")
def stack_up(
    prefect: bool = typer.Option(True, help="also start the Prefect server"),
    worker: bool = typer.Option(False, "--worker", help="also start a Prefect worker on the work pool"),
) -> None:
    """Start (or confirm) the local servers; idempotent."""
    from jobfeed import stack

    statuses = stack.up(_settings(), prefect=prefect, worker=worker)
    _print_stack(statuses)
    if any(s.state == "failed" for s in statuses):
        raise typer.Exit(EXIT_FAILED)


@stack_app.command("down")
def stack_down() -> None:
    """Stop the local servers this project started (never anyone else's)."""
    from jobfeed import stack

    _print_stack(stack.down(_settings()))


@stack_app.command("status")
def stack_status() -> None:
    """Show whether each local server is running and healthy."""
    from jobfeed import stack

    _print_stack(stack.status(_settings()))


def _print_stack(statuses: list[Any]) -> None:
    table = Table(title="jobfeed local stack")
    for column in ("service", "state", "url", "pid", "detail"):
        table.add_column(column)
    colors = {"running": "green", "started": "green", "external": "cyan", "failed": "red"}
    for s in statuses:
        color = colors.get(s.state, "yellow")
        table.add_row(s.name, f"[{color}]{s.state}[/{color}]", s.url or "", str(s.pid or ""), s.detail or "")
    console.print(table)


@app.command("import")
def import_cmd(
    feeds_file: Path | None = typer.Option(None, "--feeds-file", help="YAML feeds file (default: FEEDS_FILE)"),
    feed: list[str] | None = typer.Option(None, "--feed", help="import only this URL (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print the ImportLog documents as a JSON array"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="also show Prefect's task/flow run logs"),
) -> None:
    """Run the import-feeds flow once now, wait for it, and print one line per feed."""
    # Prefect logs every failed task attempt with a traceback; the summary below already says what
    # failed and why (and the Prefect UI keeps the full logs), so the console shows them on request.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "INFO" if verbose else "CRITICAL")
    from jobfeed.feeds_config import resolve_feeds
    from jobfeed.runner import run_import

    settings = _settings()
    try:
        feeds = resolve_feeds(feeds_file, feed, settings.feeds_file)
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    from pymongo.errors import PyMongoError

    try:
        with _private_feeds_file(feeds if feed else None) as private_file:
            # --feed URLs travel as a private file's path: flow-run parameters are stored by Prefect,
            # and a URL may carry a token
            result = run_import(settings, feeds_file=str(private_file or feeds_file or "") or None,
                                feed_urls=None, feed_count=len(feeds), quiet=as_json, console=err)
    except PyMongoError as exc:
        _database_unreachable(exc)
    if as_json:
        sys.stdout.write(json.dumps([json_safe(doc) for doc in result.logs], indent=2) + "\n")
    else:
        print_logs_table(console, result.logs, title=f"import-feeds run {result.flow_run_id or ''}".strip())
        for line in result.notes:
            console.print(line)
    raise typer.Exit(result.exit_code)


def _database_unreachable(exc: Exception) -> NoReturn:
    """One line saying why the database cannot be used (secrets redacted), a hint, and exit 1."""
    from pymongo.errors import OperationFailure

    from jobfeed.redact import redact_text

    if isinstance(exc, OperationFailure):  # its str() drags the whole server reply along
        reason = f"{(exc.details or {}).get('errmsg') or exc} (code {exc.code})"
    else:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    err.print(f"[red]database unreachable:[/red] {redact_text(reason)[:200]}", soft_wrap=True)
    err.print("Is the local stack up? Try: jobfeed stack up", soft_wrap=True)
    raise typer.Exit(EXIT_FAILED)


@contextmanager
def _private_feeds_file(feeds: list[Any] | None) -> Iterator[Path | None]:
    """A 0600 temporary feeds file holding `feeds` (None: nothing to write), removed afterwards."""
    if not feeds:
        yield None
        return
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory(prefix="jobfeed-feeds-") as tmp:
        path = Path(tmp) / "feeds.yaml"
        path.touch(mode=0o600)
        path.write_text(yaml.safe_dump({"feeds": [{"url": f.url, "name": f.name} for f in feeds]}), encoding="utf-8")
        yield path


@app.command("logs")
def logs_cmd(
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="how many logs"),
    feed: str | None = typer.Option(None, "--feed", help="only this feed URL"),
    as_json: bool = typer.Option(False, "--json", help="JSON array instead of a table"),
) -> None:
    """Latest ImportLogs, newest first."""
    from pymongo.errors import PyMongoError

    from jobfeed.store import get_store

    settings = _settings()
    try:
        logs = get_store(settings).logs.latest(limit=limit, feed=feed)
    except PyMongoError as exc:
        _database_unreachable(exc)
    if as_json:
        sys.stdout.write(json.dumps([json_safe(doc) for doc in logs], indent=2) + "\n")
    else:
        print_logs_table(console, logs, title=f"latest {len(logs)} import logs")


@app.command("demo")
def demo_cmd(
    as_json: bool = typer.Option(False, "--json", help="JSON array instead of a table"),
) -> None:
    """Import the bundled sample feeds from a local HTTP server (works without internet)."""
    from jobfeed.demo import serve_samples

    with serve_samples() as feeds_file:
        allow = os.environ.get("FETCH_ALLOW_HOSTS", "")
        os.environ["FETCH_ALLOW_HOSTS"] = ",".join(filter(None, [allow, "127.0.0.1"]))
        import_cmd(feeds_file=feeds_file, feed=None, as_json=as_json, verbose=False)


@app.command("dashboard")
def dashboard_cmd(
    port: int | None = typer.Option(None, "--port", help="default DASHBOARD_PORT (8501)"),
    host: str | None = typer.Option(None, "--host", help="default DASHBOARD_HOST (127.0.0.1)"),
) -> None:
    """Start the Streamlit admin dashboard (Import History, runs, feeds, jobs, dead letters, run now)."""
    from jobfeed.dashboard_runner import run_dashboard

    _settings()
    raise typer.Exit(run_dashboard(port=port, host=host))


@app.command("api")
def api_cmd(
    port: int | None = typer.Option(None, "--port", help="default API_PORT (8000)"),
    host: str | None = typer.Option(None, "--host", help="default API_HOST (127.0.0.1)"),
) -> None:
    """Start the read API (/api/import-logs, /api/feeds, /api/jobs, /healthz, OpenAPI at /docs)."""
    from jobfeed.api import serve

    _settings()
    raise typer.Exit(serve(host=host, port=port))


@app.command("redrive")
def redrive_cmd(
    reason: str | None = typer.Option(None, "--reason", help="only dead letters with this failure reason"),
    limit: int = typer.Option(1000, "--limit", min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="JSON array instead of a table"),
) -> None:
    """Re-process dead letters (flow `redrive-dead-letters`); resolved ones are marked re-driven."""
    from jobfeed.reasons import FailureReason
    from jobfeed.runner import use_prefect_server

    if reason is not None and reason not in {r.value for r in FailureReason}:
        err.print(f"[red]unknown reason {reason!r}[/red]; one of: {', '.join(r.value for r in FailureReason)}")
        raise typer.Exit(EXIT_USAGE)
    use_prefect_server(_settings())
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")  # the table says it all
    from flows.redrive import redrive_dead_letters

    rows = redrive_dead_letters(reason=reason, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        table = Table(title=f"re-drove {len(rows)} dead letters", title_justify="left")
        for column in ("kind", "feed", "reason", "resolved", "new", "updated", "unchanged", "failed", "message"):
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(row.get(c, "")) for c in ("kind", "feed", "reason", "resolved", "new", "updated",
                                                           "unchanged", "failed", "message")))
        console.print(table)
    raise typer.Exit(EXIT_OK if all(row["resolved"] for row in rows) else EXIT_FAILED)


def _deploy_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a deployment operation against the configured Prefect server; errors as one line, exit 1."""
    from jobfeed.deploy import DeployError
    from jobfeed.runner import use_prefect_server

    use_prefect_server(_settings())
    try:
        return fn(*args, **kwargs)
    except DeployError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_FAILED) from None


@app.command("deploy")
def deploy_cmd() -> None:
    """Register the hourly deployment (prefect.yaml) and its process work pool; idempotent."""
    from jobfeed import deploy

    settings = _settings()
    name = _deploy_call(deploy.deploy, settings)
    summary = deploy.deployment_summary() or {}
    console.print(f"deployment [bold]{name}[/bold]: cron {summary.get('schedules')} "
                  f"({settings.schedule_timezone}), pool {summary.get('pool')}")
    console.print("Start a worker to run it: [bold]jobfeed stack up --worker[/bold]")


@app.command("run-now")
def run_now_cmd(watch: bool = typer.Option(False, "--watch", help="wait for the run to finish")) -> None:
    """Trigger the deployment by hand (same as the Prefect UI's Run)."""
    from jobfeed import deploy

    settings = _settings()
    info = _deploy_call(deploy.run_now, watch=watch, settings=settings)
    console.print(f"flow run [bold]{info.name}[/bold] ({info.id}): {info.state}")
    if info.url:
        console.print(info.url)
    if watch:
        from jobfeed.store import get_store

        print_logs_table(console, get_store(settings).logs.for_flow_run(info.id), title=f"run {info.name}")
        if info.state != "Completed":
            raise typer.Exit(EXIT_FAILED)


@app.command("pause")
def pause_cmd() -> None:
    """Pause the work pool: scheduled runs wait instead of starting (and are not deleted)."""
    from jobfeed import deploy

    settings = _settings()
    _deploy_call(deploy.set_pool_paused, settings.work_pool, True)
    console.print(f"work pool {settings.work_pool} paused")


@app.command("resume")
def resume_cmd() -> None:
    """Resume the work pool: waiting and future runs start again."""
    from jobfeed import deploy

    settings = _settings()
    _deploy_call(deploy.set_pool_paused, settings.work_pool, False)
    console.print(f"work pool {settings.work_pool} resumed")


def main() -> None:  # pragma: no cover - console-script shim
    app()
