"""Read-only queries of the dashboard's Data quality page: the field coverage and drift of parsed bodies over time.

Each ImportLog of a parsed body holds `fieldCoverage`, `shape` and `drift` (jobfeed/quality.py). The query asks the
server only for a `startedAt` range (and a feed), which index startedAt / fileName_startedAt serves on every
server, and keeps the logs with a shape here: secantusdb answers a `$type` condition with a collection scan.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pymongo import DESCENDING

from jobfeed.importlog import LogField

if TYPE_CHECKING:
    from jobfeed.store import Store

MAX_PROFILE_ROWS = 20_000  # logs of one chart window (9 hourly feeds x 90 days is 19,440)
PROFILE_FIELDS = dict.fromkeys(
    ("fileName", "feedName", "startedAt", "status", "fieldCoverage", "drift", "shape.items", "shape.format"), 1
)


def profile_history(store: Store, *, since: datetime, feed: str | None = None) -> list[dict[str, Any]]:
    """The logs of parsed bodies started since a time (of one feed URL, or all), oldest first, with
    fileName, feedName, startedAt, status, fieldCoverage, drift and shape.items / shape.format."""
    query: dict[str, Any] = {LogField.STARTED_AT: {"$gte": since}}
    if feed:
        query[LogField.FILE_NAME] = feed
    cursor = store.logs.coll.find(query, PROFILE_FIELDS).sort(LogField.STARTED_AT, DESCENDING).limit(MAX_PROFILE_ROWS)
    return [doc for doc in cursor if isinstance(doc.get(LogField.SHAPE), dict)][::-1]
