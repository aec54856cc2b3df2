"""Read-only queries of the dashboard and the read API: plain functions on a `Store`, no Streamlit.

Every query is bounded (limit/skip, a capped count, or a server-side aggregate) and is served by an
index declared in `jobfeed/store/indexes.py`; the comment there names the query. Nothing here writes,
and nothing creates an index. `json_safe` and `feed_health` shape what these queries return for
clients that print JSON (the API, the CLI).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING

from jobfeed.importlog import FAILING_STATUSES, NEUTRAL_STATUSES, OK_STATUSES, LogStatus
from jobfeed.models import source_for
from jobfeed.store import Store

PAGE_SIZE = 20
MAX_FEEDS = 500  # more feeds than this need a search box, not a longer select list
COUNT_CAP = 10_000  # a regex count scans; past this many matches the exact number helps nobody
MAX_QUERY_CHARS = 200  # a search box, not a document
MAX_RUN_LOGS = 500  # ImportLogs of one flow run = feeds in the run
MAX_STATS_GROUPS = 20_000  # feeds x days x statuses of a chart window; bounds the aggregate's output

# The history table's columns: `failures` (up to 100 entries per log) stays on the server.
HISTORY_FIELDS = dict.fromkeys(("fileName", "feedName", "flowRunId", "startedAt", "finishedAt", "durationMs", "status", "totalFetched", "totalImported", "newJobs", "updatedJobs", "unchangedJobs", "failedJobs", "closedJobs", "reopenedJobs", "error", "failuresByReason"), 1)  # fmt: skip
FEED_FIELDS = dict.fromkeys(("url", "name", "lastStatus", "consecutiveFailures", "lastSuccessAt", "lastRunAt", "lastErrorReason", "disabled"), 1)  # fmt: skip
# Job lists leave the (up to 1 MB) descriptions and the pipeline's write stamps on the server.
JOB_LIST_FIELDS = {"descriptionHtml": 0, "descriptionText": 0, "lastWrite": 0}
DEAD_LETTER_FIELDS = {"payload.jobs": 0, "payload.raw": 0}  # a batch's jobs / an item's raw text (up to 256 KB)
# `jobs.status`: open or closed. Jobs written before the lifecycle existed have none and are open (a missing
# field matches `None`, and an index on status holds it as null, so both filters stay on the index).
JOB_STATUSES = ("open", "closed")
STATUS_QUERY: dict[str, dict[str, Any]] = {"open": {"status": {"$in": ["open", None]}}, "closed": {"status": "closed"}}


@dataclass(frozen=True, slots=True)
class LogFilter:
    """History filters: feed URL, status, and a [since, until) window on startedAt (UTC-aware)."""

    feed: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> dict[str, Any]:
        """The Mongo filter; served by fileName_startedAt / status_startedAt / startedAt."""
        query: dict[str, Any] = {}
        if self.feed:
            query["fileName"] = self.feed
        if self.status:
            query["status"] = self.status
        window: dict[str, datetime] = {}
        if self.since:
            window["$gte"] = self.since
        if self.until:
            window["$lt"] = self.until
        if window:
            query["startedAt"] = window
        return query


def json_safe(value: Any) -> Any:
    """A stored document made JSON-safe, recursively: `_id` becomes `id`, ObjectIds strings, datetimes ISO 8601 Z."""
    if isinstance(value, dict):
        return {("id" if k == "_id" else k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def feed_health(status: str | None) -> str:
    """A feed's last status in one word, by the shared status sets: ok, failing, neutral, or unknown."""
    if status in OK_STATUSES:
        return "ok"
    if status in FAILING_STATUSES:
        return "failing"
    if status in NEUTRAL_STATUSES:
        return "neutral"
    return "unknown"  # never ran, or still running


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """Pages needed for `total` rows (at least 1, so "page 1 of 1" reads right when empty)."""
    return max(1, math.ceil(total / page_size))


def _skip(page: int, page_size: int) -> int:
    return (max(page, 1) - 1) * page_size


def log_page(store: Store, flt: LogFilter, *, page: int = 1, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """One page of ImportLogs, newest first, without their failure lists."""
    cursor = store.logs.coll.find(flt.query(), HISTORY_FIELDS).sort("startedAt", DESCENDING)
    return list(cursor.skip(_skip(page, page_size)).limit(page_size))


def count_logs(store: Store, flt: LogFilter) -> int:
    """How many ImportLogs match the filters (for the page count)."""
    query = flt.query()
    if not query:  # all time, every feed: the collection's own count, not a scan of every log
        return store.logs.coll.estimated_document_count()
    return store.logs.coll.count_documents(query)


def any_running(store: Store) -> bool:
    """True while some ImportLog is `running` (the history page then refreshes itself)."""
    return store.logs.coll.count_documents({"status": LogStatus.RUNNING.value}, limit=1) > 0


def get_log(store: Store, log_id: str) -> dict[str, Any] | None:
    """One ImportLog with its failures, or None for an unknown or malformed id."""
    try:
        return store.logs.get(log_id)
    except (InvalidId, TypeError):
        return None


def run_logs(store: Store, flow_run_id: str) -> list[dict[str, Any]]:
    """The ImportLogs of one flow run (one per feed), newest first."""
    cursor = store.logs.coll.find({"flowRunId": flow_run_id}, HISTORY_FIELDS).sort("startedAt", DESCENDING)
    return list(cursor.limit(MAX_RUN_LOGS))


def feed_list(store: Store, *, limit: int = MAX_FEEDS) -> list[dict[str, Any]]:
    """Per-feed health documents, by URL."""
    return list(store.feeds.coll.find({}, FEED_FIELDS).sort("url", ASCENDING).limit(limit))


def feed_daily_stats(store: Store, *, since: datetime, tz: str = "UTC") -> list[dict[str, Any]]:
    """Finished runs per feed, day (in `tz`) and status since a time, with summed job counts."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"startedAt": {"$gte": since}, "status": {"$ne": LogStatus.RUNNING.value}}},
        {
            "$group": {
                "_id": {
                    "feed": "$fileName",
                    "day": {"$dateToString": {"date": "$startedAt", "format": "%Y-%m-%d", "timezone": tz}},
                    "status": "$status",
                },
                "runs": {"$sum": 1},
                "newJobs": {"$sum": "$newJobs"},
                "updatedJobs": {"$sum": "$updatedJobs"},
                "failedJobs": {"$sum": "$failedJobs"},
            }
        },
        {"$sort": {"_id.day": 1, "_id.feed": 1}},
        {"$limit": MAX_STATS_GROUPS},
    ]
    return [{**row.pop("_id"), **row} for row in store.logs.coll.aggregate(pipeline)]


def job_filter(q: str | None, source: str | None, status: str | None = None) -> dict[str, Any]:
    """Case-insensitive substring match on title/company/location (regex-escaped), a board, open/closed."""
    query: dict[str, Any] = dict(STATUS_QUERY.get(status or "", {}))  # None or "all": either status
    if source:
        query["source"] = source
    text = (q or "").strip()[:MAX_QUERY_CHARS]
    if text:
        # no $text index on the local Mongo-compatible server; an escaped regex is portable and safe
        pattern = {"$regex": re.escape(text), "$options": "i"}
        query["$or"] = [{"title": pattern}, {"company": pattern}, {"location": pattern}]
    return query


def search_jobs(
    store: Store, *, q: str | None = None, source: str | None = None, status: str | None = None, page: int = 1,
    page_size: int = PAGE_SIZE,
) -> list[dict[str, Any]]:  # fmt: skip
    """One page of matching jobs, most recently seen first, without descriptions."""
    cursor = store.jobs.coll.find(job_filter(q, source, status), JOB_LIST_FIELDS).sort("lastSeenAt", DESCENDING)
    return list(cursor.skip(_skip(page, page_size)).limit(page_size))


def count_jobs(
    store: Store, *, q: str | None = None, source: str | None = None, status: str | None = None, cap: int = COUNT_CAP
) -> int:
    """Matching jobs, counted up to `cap` (a regex count reads every candidate)."""
    return store.jobs.coll.count_documents(job_filter(q, source, status), limit=cap)


def job_sources(store: Store) -> list[str]:
    """The boards jobs come from, sorted: `source_for` of every known feed URL (how jobs get theirs).

    Read from `feeds` (one small document per feed) rather than `distinct` over `jobs`, which the
    local Mongo-compatible server answers by reading every job (~2 s per 100k).
    """
    sources = set()
    for doc in feed_list(store):
        try:
            sources.add(source_for(doc["url"]))
        except ValueError:  # a feed URL without a host never produced jobs
            continue
    return sorted(sources)


def get_job(store: Store, job_id: str) -> dict[str, Any] | None:
    """One job with its description, or None for an unknown or malformed id."""
    try:
        return store.jobs.coll.find_one({"_id": ObjectId(job_id)}, {"lastWrite": 0})
    except (InvalidId, TypeError):
        return None


def dead_letter_counts(store: Store) -> dict[str, int]:
    """Pending dead letters per reason."""
    return store.dead_letters.count_by_reason()


def _pending(reason: str | None) -> dict[str, Any]:
    return {"redrivenAt": None, **({"reason": reason} if reason else {})}


def dead_letter_page(
    store: Store, *, reason: str | None = None, page: int = 1, page_size: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """One page of pending dead letters, oldest first, without their payload's jobs."""
    cursor = store.dead_letters.coll.find(_pending(reason), DEAD_LETTER_FIELDS).sort("firstFailedAt", ASCENDING)
    return list(cursor.skip(_skip(page, page_size)).limit(page_size))


def count_dead_letters(store: Store, *, reason: str | None = None) -> int:
    """Pending dead letters, optionally of one reason."""
    return store.dead_letters.coll.count_documents(_pending(reason))
