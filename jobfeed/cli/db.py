"""`jobfeed db init`: create the indexes of the configured database (MONGODB_URI, MONGODB_DB).

For a database jobfeed does not run itself (Atlas, a company MongoDB); `jobfeed stack up` and every
import flow do the same for theirs. Read-only clients (dashboard, API, metrics) never create indexes.
"""

from __future__ import annotations

import typer

from jobfeed.cli.common import EXIT_FAILED, console, err, load_settings
from jobfeed.redact import redact_url


def db_init() -> None:
    """Create the indexes jobfeed queries by (and drop retired ones); idempotent. Exit 1 when the DB is unreachable."""
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
            report = store.ensure_indexes()
        except PyMongoError as exc:  # reachable, but e.g. the user may not create indexes
            err.print(f"[red]could not create the indexes[/red] of {where}: {_why(exc)}")
            raise typer.Exit(EXIT_FAILED) from None
    finally:
        store.close()
    console.print(
        f"{where}: {len(report.created)} index(es) created, {len(report.existing)} already present, "
        f"{len(report.dropped)} retired one(s) dropped",
        highlight=False,
        soft_wrap=True,  # one line for scripts and logs, however long the URI
    )
    for verb, names in (("created", report.created), ("present", report.existing), ("dropped", report.dropped)):
        for name in names:
            console.print(f"  {verb:8} {name}", highlight=False)


def _why(exc: BaseException) -> str:
    """One line, secrets masked (pymongo messages can quote the URI), without pymongo's topology dump."""
    from jobfeed.store.errors import describe_db_error

    return f"{type(exc).__name__}: {describe_db_error(exc)}"
