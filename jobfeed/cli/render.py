"""Rendering ImportLogs for people: a rich table (scripts get JSON: jobfeed.store.reads.json_safe)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from jobfeed.importlog import STATUS_COLOURS, LogField, reason_text

STATUS_STYLE = {status.value: terminal for status, (_hex, terminal) in STATUS_COLOURS.items()}


def print_logs_table(console: Console, logs: list[dict[str, Any]], *, title: str) -> None:
    """One row per ImportLog (counts, status, reason), then one line per failure message."""
    table = Table(title=title, title_justify="left")
    for column in ("feed", "fetched", "new", "updated", "unchanged", "failed", "closed", "reopened", "status", "reason",
                   "secs"):  # fmt: skip
        table.add_column(column, justify="left" if column in {"feed", "status", "reason"} else "right")
    messages = []
    for doc in logs:
        status = doc.get(LogField.STATUS, "?")
        style = STATUS_STYLE.get(status, "white")
        name = doc.get(LogField.FEED_NAME) or doc.get(LogField.FILE_NAME, "?")
        error = doc.get(LogField.ERROR) or {}
        if error.get("message"):
            messages.append(f"[{style}]{name}[/{style}]: {error['reason']}: {error['message']}")
        duration = doc.get(LogField.DURATION_MS)
        counts = (
            LogField.TOTAL_FETCHED,
            LogField.NEW_JOBS,
            LogField.UPDATED_JOBS,
            LogField.UNCHANGED_JOBS,
            LogField.FAILED_JOBS,
            "closedJobs",  # written by runs since the job lifecycle; older logs show 0
            "reopenedJobs",
        )
        table.add_row(
            name,
            *(str(doc.get(field, 0)) for field in counts),
            f"[{style}]{status}[/{style}]",
            reason_text(doc, times="x"),
            f"{duration / 1000:.1f}" if duration is not None else "",
        )
    console.print(table)
    for line in messages:
        console.print(line, highlight=False)
