"""Rendering ImportLogs for people (rich table) and scripts (JSON-safe dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from rich.console import Console
from rich.table import Table

STATUS_STYLE = {
    "success": "green",
    "not_modified": "cyan",
    "partial": "yellow",
    "failed": "red",
    "skipped": "magenta",
    "running": "blue",
}


def json_safe(value: Any) -> Any:
    """ObjectIds to strings, datetimes to ISO 8601 UTC, recursively."""
    if isinstance(value, dict):
        return {("id" if k == "_id" else k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def print_logs_table(console: Console, logs: list[dict[str, Any]], *, title: str) -> None:
    """One row per ImportLog (counts, status, reason), then one line per failure message."""
    table = Table(title=title, title_justify="left")
    for column in ("feed", "fetched", "new", "updated", "unchanged", "failed", "status", "reason", "secs"):
        table.add_column(column, justify="left" if column in {"feed", "status", "reason"} else "right")
    messages = []
    for doc in logs:
        status = doc.get("status", "?")
        style = STATUS_STYLE.get(status, "white")
        name = doc.get("feedName") or doc.get("fileName", "?")
        error = doc.get("error") or {}
        by_reason = doc.get("failuresByReason") or {}
        reason = error.get("reason") or ", ".join(f"{k} x{v}" for k, v in by_reason.items())
        if error.get("message"):
            messages.append(f"[{style}]{name}[/{style}]: {error['reason']}: {error['message']}")
        duration = doc.get("durationMs")
        table.add_row(
            name,
            str(doc.get("totalFetched", 0)),
            str(doc.get("newJobs", 0)),
            str(doc.get("updatedJobs", 0)),
            str(doc.get("unchangedJobs", 0)),
            str(doc.get("failedJobs", 0)),
            f"[{style}]{status}[/{style}]",
            reason or "",
            f"{duration / 1000:.1f}" if duration is not None else "",
        )
    console.print(table)
    for line in messages:
        console.print(line, highlight=False)
