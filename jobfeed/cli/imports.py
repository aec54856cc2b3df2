"""`jobfeed import|logs|demo|redrive`: run imports now, read their logs, re-process dead letters."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.table import Table

from jobfeed.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, console, err, load_settings
from jobfeed.cli.render import print_logs_table
from jobfeed.feeds_config import ConfigError


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
    from jobfeed.cli.runner import run_import
    from jobfeed.feeds_config import resolve_feeds

    settings = load_settings()
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
            result = run_import(
                settings,
                feeds_file=str(private_file or feeds_file or "") or None,
                feed_urls=None,
                feed_count=len(feeds),
                quiet=as_json,
                console=err,
            )
    except PyMongoError as exc:
        _database_unreachable(exc)
    if as_json:
        from jobfeed.store.reads import json_safe

        sys.stdout.write(json.dumps([json_safe(doc) for doc in result.logs], indent=2) + "\n")
    else:
        print_logs_table(console, result.logs, title=f"import-feeds run {result.flow_run_id or ''}".strip())
        for line in result.notes:
            console.print(line)
    raise typer.Exit(result.exit_code)


def _database_unreachable(exc: Exception) -> NoReturn:
    """One line saying why the database cannot be used (secrets redacted), a hint, and exit 1."""
    from jobfeed.store.errors import describe_db_error

    err.print(f"[red]database unreachable:[/red] {describe_db_error(exc)}", soft_wrap=True, highlight=False)
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


def logs_cmd(
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="how many logs"),
    feed: str | None = typer.Option(None, "--feed", help="only this feed URL"),
    as_json: bool = typer.Option(False, "--json", help="JSON array instead of a table"),
) -> None:
    """Latest ImportLogs, newest first, with when each started and which run it belongs to."""
    from pymongo.errors import PyMongoError

    from jobfeed.store import get_store

    settings = load_settings()
    try:
        logs = get_store(settings).logs.latest(limit=limit, feed=feed)
    except PyMongoError as exc:
        _database_unreachable(exc)
    if as_json:
        from jobfeed.store.reads import json_safe

        sys.stdout.write(json.dumps([json_safe(doc) for doc in logs], indent=2) + "\n")
    else:
        print_logs_table(console, logs, title=f"latest {len(logs)} import logs", runs=True)


def demo_cmd(
    as_json: bool = typer.Option(False, "--json", help="JSON array instead of a table"),
) -> None:
    """Import the bundled sample feeds from a local HTTP server (works without internet)."""
    from jobfeed.cli.demo import serve_samples

    with serve_samples() as feeds_file:
        allow = os.environ.get("FETCH_ALLOW_HOSTS", "")
        os.environ["FETCH_ALLOW_HOSTS"] = ",".join(filter(None, [allow, "127.0.0.1"]))
        import_cmd(feeds_file=feeds_file, feed=None, as_json=as_json, verbose=False)


def redrive_cmd(
    reason: str | None = typer.Option(None, "--reason", help="only dead letters with this failure reason"),
    limit: int = typer.Option(1000, "--limit", min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="JSON array instead of a table"),
) -> None:
    """Re-process dead letters (flow `redrive-dead-letters`); resolved ones are marked re-driven."""
    from jobfeed.cli.runner import use_prefect_server
    from jobfeed.reasons import FailureReason

    if reason is not None and reason not in {r.value for r in FailureReason}:
        err.print(f"[red]unknown reason {reason!r}[/red]; one of: {', '.join(r.value for r in FailureReason)}")
        raise typer.Exit(EXIT_USAGE)
    use_prefect_server(load_settings())
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
            table.add_row(
                *(
                    str(row.get(c, ""))
                    for c in ("kind", "feed", "reason", "resolved", "new", "updated", "unchanged", "failed", "message")
                )
            )
        console.print(table)
    raise typer.Exit(EXIT_OK if all(row["resolved"] for row in rows) else EXIT_FAILED)
