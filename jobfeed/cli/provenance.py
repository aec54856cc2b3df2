"""`jobfeed replay` and `jobfeed archive prune`: the raw feed archive (docs/provenance.md)."""

from __future__ import annotations

import json
import os
import sys

import typer

from jobfeed.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, console, err, load_settings


def replay_cmd(
    log: str | None = typer.Option(None, "--log", help="the ImportLog id whose body to replay"),
    feed: str | None = typer.Option(None, "--feed", help="or a feed (name or URL): its latest run with a body ..."),
    at: str | None = typer.Option(None, "--at", help="... at or before this time (ISO 8601; default: now)"),
    as_json: bool = typer.Option(False, "--json", help="print the replay's ImportLog as JSON"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="also show Prefect's task/flow run logs"),
) -> None:
    """Run an archived body through today's parse and normalize (flow `replay-import`), with no request.

    Writes jobs only when the body is the feed's latest; an older body is a dry run that counts what
    would be new, updated and unchanged against today's jobs and writes none.
    """
    if bool(log) == bool(feed) or (at and not feed):
        err.print("[red]give --log ID, or --feed NAME_OR_URL (with --at TIME if not the latest run)[/red]")
        raise typer.Exit(EXIT_USAGE)
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "INFO" if verbose else "CRITICAL")
    from pymongo.errors import PyMongoError

    from jobfeed.cli.imports import _database_unreachable
    from jobfeed.cli.render import print_logs_table
    from jobfeed.cli.runner import _without_heartbeats, exit_code_of, use_prefect_server
    from jobfeed.importlog import ImportLog
    from jobfeed.ops.replay import ReplayError, prepare_replay
    from jobfeed.store import get_store
    from jobfeed.store.reads import json_safe

    settings = load_settings()
    store = get_store(settings)
    try:
        _spec, replay = prepare_replay(settings, store, log_id=log, feed=feed, at=at)  # says why before any run
    except ReplayError as exc:
        err.print(f"[red]cannot replay:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    except PyMongoError as exc:
        _database_unreachable(exc)
    use_prefect_server(settings)
    from flows.replay import replay_import  # after the env is set: Prefect reads it at import

    with _without_heartbeats():
        state = replay_import(log_id=replay.of, return_state=True)
    flow_run_id = str(state.state_details.flow_run_id or "")
    logs = store.logs.for_flow_run(flow_run_id) if flow_run_id else []
    if as_json:
        sys.stdout.write(json.dumps([json_safe(doc) for doc in logs], indent=2) + "\n")
    else:
        what = "dry run: an older body, nothing written" if replay.dry_run else "the feed's latest body"
        print_logs_table(console, logs, title=f"replay of import log {replay.of} ({what})")
        if not logs:
            err.print(f"[red]the replay ended {state.type.value}:[/red] {state.message or ''}", soft_wrap=True)
    completed = not (state.is_failed() or state.is_crashed())
    raise typer.Exit(exit_code_of([ImportLog.from_doc(doc) for doc in logs], flow_completed=completed and bool(logs)))


def archive_prune_cmd() -> None:
    """Delete archived bodies older than ARCHIVE_KEEP_DAYS, except those the feeds' latest runs stand on
    (what the daily `prune-archive` flow does)."""
    from pymongo.errors import PyMongoError

    from jobfeed.cli.imports import _database_unreachable
    from jobfeed.ops.archive import prune
    from jobfeed.store import get_store

    settings = load_settings()
    if settings.archive == "off":
        console.print("The archive is off (ARCHIVE=off): nothing to prune.")
        raise typer.Exit(EXIT_OK)
    try:
        removed = prune(settings, get_store(settings))
    except PyMongoError as exc:
        _database_unreachable(exc)
    except OSError as exc:
        err.print(f"[red]cannot prune {settings.archive_path}:[/red] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    console.print(f"Pruned {removed} archived bodies (kept {settings.archive_keep_days} days and every body in use).")
