"""Rendering ImportLogs for people (rich table) and scripts (JSON-safe dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from rich.console import Console
from rich.table import Table

STATUS_STYLE = {"success": "green", "not_modified": "cyan", "partial": "yellow", "failed": "red",
                "skipped": "magenta", "running": "blue"}


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
    """One row per ImportLog: feed, counts, status and the reason when it failed."""
    table = Table(title=title, show_lines=False)
    for column, justify in (("feed", "left"), ("fetched", "right"), ("new", "right"), ("updated", "right"),
                            ("unchanged", "right"), ("failed", "right"), ("status", "left"),
                            ("reason", "left"), ("ms", "right")):
        table.add_column(column, justify=justify, overflow="fold")
    for doc in logs:
        status = doc.get("status", "?")
        style = STATUS_STYLE.get(status, "white")
        error = doc.get("error") or {}
        reason = error.get("reason") or ", ".join(f"{k}×{v}" for k, v in (doc.get("failuresByReason") or {}).items())
        detail = f"{reason}: {error.get('message')}" if error.get("message") else reason
        table.add_row(
            doc.get("feedName") or doc.get("fileName", "?"),
            str(doc.get("totalFetched", 0)), str(doc.get("newJobs", 0)), str(doc.get("updatedJobs", 0)),
            str(doc.get("unchangedJobs", 0)), str(doc.get("failedJobs", 0)),
            f"[{style}]{status}[/{style}]", detail or "", str(doc.get("durationMs") or ""),
        )
    console.print(table)
