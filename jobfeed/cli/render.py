"""Rendering ImportLogs for people: a rich table (scripts get JSON: jobfeed.store.reads.json_safe)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from jobfeed.importlog import STATUS_COLOURS, LogField, reason_text

STATUS_STYLE = {status.value: terminal for status, (_hex, terminal) in STATUS_COLOURS.items()}
RUN_ID_CHARS = 8  # enough to tell runs apart in a table; `--json` has the whole id
COUNTS = (
    LogField.TOTAL_FETCHED,
    LogField.NEW_JOBS,
    LogField.UPDATED_JOBS,
    LogField.UNCHANGED_JOBS,
    LogField.FAILED_JOBS,
    "closedJobs",  # written by runs since the job lifecycle; older logs show 0
    "reopenedJobs",
)
COUNTS_HEADERS = {"fetched", "new", "updated", "unchanged", "failed", "closed", "reopened", "secs"}  # right-aligned


def local_time(value: datetime | None) -> str:
    """A stored UTC time in this machine's zone, `YYYY-MM-DD HH:MM:SS` ("" when missing)."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def local_zone() -> str:
    """This machine's zone as the tables name it (CET, UTC, +0530)."""
    return datetime.now().astimezone().tzname() or "local time"


def print_logs_table(console: Console, logs: list[dict[str, Any]], *, title: str, runs: bool = False) -> None:
    """One row per ImportLog (counts, status, reason), then one line per failure message.

    runs: also a `started` column (local time) and a `run` column (the flow run id's first characters),
    for tables that mix runs (`jobfeed logs`)."""
    table = Table(title=title + (f" (times in {local_zone()})" if runs else ""), title_justify="left")
    lead = ("started", "run") if runs else ()
    for column in (*lead, "feed", "fetched", "new", "updated", "unchanged", "failed", "closed", "reopened", "status",
                   "reason", "secs"):  # fmt: skip
        table.add_column(column, justify="right" if column in COUNTS_HEADERS else "left",
                         no_wrap=column in {"started", "run"})  # fmt: skip
    messages = []
    for doc in logs:
        status = doc.get(LogField.STATUS, "?")
        style = STATUS_STYLE.get(status, "white")
        name = doc.get(LogField.FEED_NAME) or doc.get(LogField.FILE_NAME, "?")
        error = doc.get(LogField.ERROR) or {}
        if error.get("message"):
            messages.append(f"[{style}]{name}[/{style}]: {error['reason']}: {error['message']}")
        duration = doc.get(LogField.DURATION_MS)
        run_cells = (local_time(doc.get(LogField.STARTED_AT)), str(doc.get(LogField.FLOW_RUN_ID) or "")[:RUN_ID_CHARS])
        table.add_row(
            *(run_cells if runs else ()),
            name,
            *(str(doc.get(field, 0)) for field in COUNTS),
            f"[{style}]{status}[/{style}]",
            reason_text(doc, times="x"),
            f"{duration / 1000:.1f}" if duration is not None else "",
        )
    console.print(table)
    for line in messages:
        console.print(line, highlight=False)


def feed_line(doc: dict[str, Any]) -> str:
    """One finished ImportLog as one line of markup: `jobspresso: success, 3 fetched: 3 new, ... (0.4 s)`."""
    status = doc.get(LogField.STATUS, "?")
    style = STATUS_STYLE.get(status, "white")
    name = doc.get(LogField.FEED_NAME) or doc.get(LogField.FILE_NAME, "?")
    counts = ", ".join(
        f"{doc.get(field, 0)} {label}"
        for field, label in zip(COUNTS[1:5], ("new", "updated", "unchanged", "failed"), strict=True)
    )
    duration = doc.get(LogField.DURATION_MS)
    secs = f" ({duration / 1000:.1f} s)" if duration is not None else ""
    reason = reason_text(doc, times="x")
    why = f" [{style}]{reason}[/{style}]" if reason else ""
    return f"{name}: [{style}]{status}[/{style}]{why}, {doc.get(LogField.TOTAL_FETCHED, 0)} fetched: {counts}{secs}"
