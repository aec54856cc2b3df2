"""`jobfeed export`: the jobs as CSV, Parquet or JSON Lines, streamed from MongoDB with a progress bar.

The rows and formats are `jobfeed/store/export.py` (shared with `GET /api/jobs/export`); this module
only chooses the file, shows progress on stderr and says what it wrote. A file is written under a
temporary name and renamed when complete, so a failed export never leaves a half file under the name
asked for. Columns: docs/exports.md.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import typer

from jobfeed.cli.common import EXIT_USAGE, err, load_settings
from jobfeed.store.export import ExportFormat

PROGRESS_EVERY = 1_000  # rows between progress-bar updates: redrawing per row would cost more than the row
_DATE_ONLY = re.compile(r"^\d{4}-\d\d-\d\d$")
Row = dict[str, Any]


class StatusChoice(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


def parse_since(text: str) -> datetime:
    """`2026-03-10` (midnight UTC) or an ISO 8601 date-time (no offset = UTC); ValueError otherwise."""
    if _DATE_ONLY.match(text):
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def default_path(export_dir: Path, fmt: ExportFormat, now: datetime) -> Path:
    """EXPORT_DIR/jobs-<UTC time>.<format>: a new name per export, sorted by time."""
    return export_dir / f"jobs-{now.strftime('%Y%m%dT%H%M%SZ')}.{fmt.value}"


def export_cmd(
    fmt: ExportFormat = typer.Option(..., "--format", help="csv, parquet or jsonl"),
    status: StatusChoice = typer.Option(StatusChoice.ALL, "--status", help="open, closed or all jobs"),
    since: str | None = typer.Option(None, "--since", help="only jobs seen since DATE (YYYY-MM-DD, UTC) or date-time"),
    source: str | None = typer.Option(None, "--source", help="only jobs of this board, e.g. jobicy.com"),
    out: str | None = typer.Option(None, "--out", help="file to write, '-' for stdout (default: EXPORT_DIR/jobs-<time>.<format>)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:  # fmt: skip
    """Export jobs as CSV, Parquet or JSON Lines, streamed from MongoDB (constant memory)."""
    from pymongo.errors import PyMongoError

    from jobfeed.store import get_store
    from jobfeed.store.export import ExportFilter, count_export, iter_rows

    try:
        since_at = parse_since(since) if since else None
    except ValueError:
        err.print(f"[red]bad --since {since!r}[/red]: expected YYYY-MM-DD or an ISO 8601 date-time")
        raise typer.Exit(EXIT_USAGE) from None
    settings = load_settings()
    flt = ExportFilter(status=None if status is StatusChoice.ALL else status.value, since=since_at, source=source)
    target = (
        None
        if out == "-"
        else Path(out)
        if out
        else default_path(settings.export_dir or Path("."), fmt, datetime.now(UTC))
    )
    store = get_store(settings)
    try:
        total = count_export(store, flt)
        rows = iter_rows(store, flt)
        if target is None:
            written = _write(fmt, rows, sys.stdout.buffer, total, quiet=quiet)
            sys.stdout.flush()
        else:
            written = _write_file(fmt, rows, target, total, quiet=quiet)
    except PyMongoError as exc:
        from jobfeed.cli.imports import _database_unreachable

        _database_unreachable(exc)
    where = "stdout" if target is None else str(target)
    err.print(f"exported {written:,} job(s) as {fmt.value} to {where}", highlight=False, soft_wrap=True)


def _write_file(fmt: ExportFormat, rows: Iterator[dict[str, Any]], target: Path, total: int, *, quiet: bool) -> int:
    from jobfeed.store.export_files import write_export_file

    if target.is_dir():
        err.print(f"[red]--out {target} is a directory[/red]; give a file name")
        raise typer.Exit(EXIT_USAGE)
    with _progress(total, quiet=quiet) as advance:
        return write_export_file(fmt, advance(rows), target)


def _write(fmt: ExportFormat, rows: Iterator[dict[str, Any]], out: BinaryIO, total: int, *, quiet: bool) -> int:
    """Write the rows to a stream, advancing a progress bar on stderr (unless quiet); returns how many."""
    from jobfeed.store.export import write_export

    written = 0

    def counting(source: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal written
        for row in source:
            written += 1
            yield row

    with _progress(total, quiet=quiet) as advance:
        write_export(fmt, counting(advance(rows)), out)
    return written


@contextmanager
def _progress(total: int, *, quiet: bool) -> Iterator[Callable[[Iterator[Row]], Iterator[Row]]]:
    """A progress bar on stderr (unless quiet) and a wrapper that advances it as rows pass through."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task("export", total=total or None)

        def advance(rows: Iterator[Row]) -> Iterator[Row]:
            seen = 0
            for row in rows:
                seen += 1
                if seen % PROGRESS_EVERY == 0:
                    progress.update(task, completed=seen)
                yield row
            progress.update(task, completed=seen)

        yield advance
