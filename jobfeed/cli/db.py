"""`jobfeed db init`: bring the configured database (MONGODB_URI, MONGODB_DB) to this version's layout: its
indexes, and the fields older versions did not write (jobfeed/store/migrate.py; a 0.1.0 database upgrades).

For a database jobfeed does not run itself (Atlas, a company MongoDB); `jobfeed stack up` and every
import flow do the same for theirs. Read-only clients (dashboard, API, metrics) never create indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from jobfeed.cli.common import EXIT_FAILED, console, err, load_settings
from jobfeed.redact import redact_url


def db_init() -> None:
    """Create the indexes, drop retired ones, backfill older data; idempotent. Exit 1 when the DB is unreachable."""
    from pymongo.errors import PyMongoError

    from jobfeed.store import Store

    settings = load_settings()
    where = f"database `{settings.mongodb_db}` at {redact_url(settings.mongodb_uri)}"
    store = Store.from_settings(settings)
    try:
        try:
            store.ping()
        except PyMongoError as exc:
            err.print(f"[red]cannot reach MongoDB:[/red] {where} did not answer: {_why(exc)}", soft_wrap=True)
            err.print("Check MONGODB_URI (and that the server is up), then run `jobfeed db init` again.")
            raise typer.Exit(EXIT_FAILED) from None
        try:
            migration = store.migrate(datetime.now(UTC))
        except PyMongoError as exc:  # reachable, but e.g. the user may not create indexes
            err.print(f"[red]could not bring the layout up to date[/red] of {where}: {_why(exc)}")
            raise typer.Exit(EXIT_FAILED) from None
    finally:
        store.close()
    report = migration.indexes
    console.print(
        f"{where}: layout version {migration.found} -> {migration.reached}; {len(report.created)} index(es) created, {len(report.existing)} already present, "
        f"{len(report.dropped)} retired one(s) dropped",
        highlight=False,
        soft_wrap=True,  # one line for scripts and logs, however long the URI
    )
    for verb, names in (("created", report.created), ("present", report.existing), ("dropped", report.dropped)):
        for name in names:
            console.print(f"  {verb:8} {name}", highlight=False)
    for step, count in migration.backfilled.items():
        if count:
            console.print(f"  filled   {step} on {count} document(s) written by an older version", highlight=False)


def _why(exc: BaseException) -> str:
    """One line, secrets masked (pymongo messages can quote the URI), without pymongo's topology dump."""
    from jobfeed.store.errors import describe_db_error

    return f"{type(exc).__name__}: {describe_db_error(exc)}"
