"""`jobfeed run-now|runs|run|cancel`: start, list, show and cancel import runs on the Prefect server,
the same operations as the runs API (jobfeed/ops/runs.py does the work for both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import typer
from rich.table import Table

from jobfeed.cli.common import EXIT_FAILED, EXIT_USAGE, console, err, load_settings
from jobfeed.cli.render import print_logs_table
from jobfeed.ops.prefect import RunInfo
from jobfeed.ops.runs import Priority


def _prefect(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call run control against the configured Prefect server; its errors as one line, exit 1."""
    from jobfeed.cli.runner import use_prefect_server
    from jobfeed.ops.prefect import PrefectUnavailableError
    from jobfeed.ops.runs import RunFinishedError, RunNotFoundError

    settings = load_settings()
    use_prefect_server(settings)
    try:
        return fn(settings, *args, **kwargs)
    except RunNotFoundError as exc:
        err.print(f"[red]no run {exc}[/red]")
    except (PrefectUnavailableError, RunFinishedError) as exc:
        err.print(f"[red]{exc}[/red]")
    raise typer.Exit(EXIT_FAILED)


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(EXIT_USAGE)


def _start_time(at: str | None, in_: str | None) -> datetime | None:
    """--at TIME (ISO 8601; without an offset it is UTC) or --in 10m; None = now."""
    from jobfeed.models import parse_duration

    if at and in_:
        raise _usage("give either --at or --in, not both")
    if in_:
        try:
            return datetime.now(UTC) + timedelta(seconds=parse_duration(in_))
        except ValueError as exc:
            raise _usage(f"--in: {exc}") from None
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise _usage(f"--at: expected an ISO 8601 time such as 2026-03-10T12:00:00Z, got {at!r}") from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if when < datetime.now(UTC):
            raise _usage("--at: that time is in the past")
        return when
    return None


def _feed_urls(feeds: list[str]) -> list[str] | None:
    """The public URLs of the feeds named by --feed (names or URLs of the feeds file); None = all."""
    from jobfeed.feeds_config import ConfigError, select_feeds

    if not feeds:
        return None
    try:
        specs, unknown = select_feeds(load_settings().feeds_file, feeds)
    except ConfigError as exc:
        raise _usage(str(exc)) from None
    if unknown:
        raise _usage(f"--feed: unknown feed {', '.join(repr(feeds[i]) for i in unknown)} (not in the feeds file)")
    return [spec.public_url for spec in specs]


def run_now_cmd(
    feed: list[str] = typer.Option([], "--feed", help="a feed of the feeds file (name or URL); repeatable"),
    priority: Priority = typer.Option(Priority.NORMAL, "--priority", help="its work queue"),
    at: str | None = typer.Option(None, "--at", help="start at this time (ISO 8601)"),
    in_: str | None = typer.Option(None, "--in", help="start after this long, e.g. 10m"),
    watch: bool = typer.Option(False, "--watch", help="follow the run to its end, one line per feed"),
    timeout: str | None = typer.Option(None, "--timeout", help="with --watch: stop watching after this long, e.g. 10m"),
) -> None:
    """Start an import run now (or later) on the workers: every enabled feed, or the --feed ones.

    It runs as `import-feeds/on-demand` and waits behind a run that is going, in priority order.
    With --watch: a line per state and per finished feed, why the run waits when it cannot start (paused
    work pool, no worker), then the ImportLogs; exit 1 when any feed is failing (failed, partial) or the run
    did not complete (or --timeout passed first: the run goes on)."""
    from jobfeed.cli.deploy import run_now

    when = _start_time(at, in_)
    timeout_s = _timeout(timeout, watch)
    feed_urls = _feed_urls(feed)
    options = {"watch": False, "feed_urls": feed_urls, "priority": priority, "scheduled_for": when}
    info = _prefect(lambda settings: _or_exit(run_now, settings=settings, **options))
    console.print(f"flow run [bold]{info.name}[/bold] ({info.id}): {info.state}")
    if info.url:
        console.print(info.url)
    if watch:
        raise typer.Exit(_watch(info, timeout_s))


def _timeout(value: str | None, watch: bool) -> float | None:
    from jobfeed.models import parse_duration

    if value is None:
        return None
    if not watch:
        raise _usage("--timeout is for --watch")
    try:
        return float(parse_duration(value))
    except ValueError as exc:
        raise _usage(f"--timeout: {exc}") from None


def _watch(info: RunInfo, timeout_s: float | None) -> int:
    """Follow the run (jobfeed/cli/watch.py), print its ImportLogs; the exit code of `jobfeed import`."""
    from jobfeed.cli.runner import exit_code_of
    from jobfeed.cli.watch import watch_run
    from jobfeed.importlog import ImportLog
    from jobfeed.store import get_store

    run_id, name = info.id, info.name
    settings = load_settings()
    try:
        view = _prefect(lambda s: watch_run(s, run_id, console, timeout_s=timeout_s, state=info.state))
    except KeyboardInterrupt:
        err.print(f"stopped watching; run {name} goes on (`jobfeed run {run_id}`, `jobfeed cancel {run_id}`)")
        return 130
    if not view.terminal:
        err.print(f"[yellow]stopped watching after --timeout: run {name} is {view.state_name} and goes on[/yellow] "
                  f"(`jobfeed run {run_id}`, `jobfeed cancel {run_id}`)")  # fmt: skip
        return EXIT_FAILED
    docs = get_store(settings).logs.for_flow_run(run_id)
    print_logs_table(console, docs, title=f"run {name}: {view.state_name}")
    # the same rule as `jobfeed import`: any failing feed (failed, partial) or a run that did not complete -> 1
    return exit_code_of([ImportLog.from_doc(doc) for doc in docs], flow_completed=view.state_name in COMPLETED_NAMES)


COMPLETED_NAMES = {"Completed", "Partial"}  # Partial: a named Completed state; its failing feeds decide the code


def _or_exit(fn: Any, **kwargs: Any) -> Any:
    from jobfeed.cli.deploy import DeployError

    try:
        return fn(**kwargs)
    except DeployError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_FAILED) from None


def runs_cmd(
    limit: int = typer.Option(20, "--limit", min=1, max=200),
    state: str | None = typer.Option(None, "--state", help="e.g. RUNNING, COMPLETED, SCHEDULED"),
    json_out: bool = typer.Option(False, "--json", help="JSON instead of a table"),
) -> None:
    """Import runs, newest first (scheduled, on-demand and `jobfeed import` runs)."""
    from jobfeed.ops.runs import STATE_TYPES, list_runs

    if state and state.upper() not in STATE_TYPES:
        raise _usage(f"--state: one of {', '.join(STATE_TYPES)}")
    views = _prefect(list_runs, limit=limit, state=state)
    if json_out:
        console.print_json(data=[v.to_json() for v in views])
        return
    table = Table(title="runs", title_justify="left")
    for column in ("id", "name", "state", "deployment", "priority", "scheduled for", "finished"):
        table.add_column(column)
    for v in views:
        row = v.to_json()
        table.add_row(v.id, v.name, v.state_name, v.deployment or "-", v.priority or "-", row["scheduledFor"] or "-",
                      row["finishedAt"] or "-")  # fmt: skip
    console.print(table)


def run_cmd(
    run_id: str = typer.Argument(..., help="flow run id"),
    json_out: bool = typer.Option(False, "--json", help="JSON instead of text"),
) -> None:
    """One run: its state, times, parameters and the ImportLogs of its feeds."""
    from jobfeed.ops.runs import read_run
    from jobfeed.store import get_store

    view = _prefect(read_run, run_id)
    docs = get_store(load_settings()).logs.for_flow_run(view.id)
    if json_out:
        from jobfeed.store.reads import json_safe  # logs hold public URLs only (FeedSpec.public_url)

        console.print_json(data={**view.to_json(), "importLogs": [json_safe(d) for d in docs]})
        return
    data = view.to_json()
    console.print(f"[bold]{view.name}[/bold] ({view.id}): {view.state_name}")
    for label, key in (("deployment", "deployment"), ("priority", "priority"), ("scheduled for", "scheduledFor"),
                       ("started", "startedAt"), ("finished", "finishedAt")):  # fmt: skip
        console.print(f"  {label}: {data[key] or '-'}")
    console.print(f"  feeds: {view.parameters.get('feed_urls') or 'every enabled feed'}")
    if view.url:
        console.print(f"  {view.url}")
    print_logs_table(console, docs, title="ImportLogs")


def cancel_cmd(run_id: str = typer.Argument(..., help="flow run id")) -> None:
    """Cancel a run: a waiting one at once; a running one is stopped by its worker (its feeds end `cancelled`)."""
    from jobfeed.ops.runs import cancel_run

    view = _prefect(cancel_run, run_id)
    console.print(f"run {view.name} ({view.id}): {view.state_name}")
