"""Read-only queries of a job's life and of cross-board duplicates, for the dashboard and the read API.

Beside `reads.py` (lists and searches): one job with its change history (`job_changes`, newest first), the
other boards' copies of it (same `dupKey`), the groups of duplicates, and the job list with every group
collapsed into one row. Bounded like every read: limits, an index per lookup (`jobfeed/store/indexes.py`),
and aggregates whose output is capped. Nothing here writes or creates an index.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import DESCENDING

from jobfeed.store import Store
from jobfeed.store.duplicates import COPY_FIELDS, MAX_GROUP_JOBS, materialized_groups
from jobfeed.store.reads import COUNT_CAP, JOB_LIST_FIELDS, PAGE_SIZE, job_filter

CHANGES = "job_changes"  # {jobId, source, externalId, at, flowRunId, feed, changes: {field: {old, new}}}
MAX_HISTORY = 100  # a job's timeline: changes per page; an hourly feed rarely changes one job this often
MAX_DUPLICATE_GROUPS = 200


def _object_id(job_id: str) -> ObjectId | None:
    try:
        return ObjectId(job_id)
    except (InvalidId, TypeError):
        return None


def job_history(store: Store, job_id: ObjectId, *, limit: int = MAX_HISTORY) -> list[dict[str, Any]]:
    """The job's recorded changes, newest first (index jobId_at). `jobId` is the job's ObjectId; a string
    id is matched too, so a writer that stored it as text is still read."""
    cursor = store.db[CHANGES].find({"jobId": {"$in": [job_id, str(job_id)]}}).sort("at", DESCENDING)
    return list(cursor.limit(limit))


def get_job_with_history(store: Store, job_id: str, *, limit: int = MAX_HISTORY) -> dict[str, Any] | None:
    """One job with its description and `history` (newest first), or None for an unknown or malformed id."""
    oid = _object_id(job_id)
    if oid is None:
        return None
    job = store.jobs.coll.find_one({"_id": oid}, {"lastWrite": 0})
    if job is None:
        return None
    job["history"] = job_history(store, oid, limit=limit)
    return job


def other_boards(store: Store, job: dict[str, Any], *, limit: int = MAX_GROUP_JOBS) -> list[dict[str, Any]]:
    """Copies of this job on other boards: same `dupKey`, another `source` (index dupKey)."""
    key = job.get("dupKey")
    if not key:
        return []
    query = {"dupKey": key, "source": {"$ne": job.get("source")}}
    return list(store.jobs.coll.find(query, COPY_FIELDS).sort("lastSeenAt", DESCENDING).limit(limit))


def duplicate_groups(
    store: Store, *, limit: int = MAX_DUPLICATE_GROUPS, status: str | None = None
) -> list[dict[str, Any]]:
    """Groups of jobs sharing a `dupKey` on more than one board, most recently seen first.

    Each: `{dupKey, boards: [source, ...], count, lastSeenAt, jobs: [copy, ...]}` with at most MAX_GROUP_JOBS
    copies. Read from the materialized `duplicate_groups` while it is fresh (jobfeed/store/duplicates.py),
    else aggregated from `jobs` (aggregate_duplicate_groups): the same groups either way.
    """
    groups = materialized_groups(store, limit=limit, status=status)
    return groups if groups is not None else aggregate_duplicate_groups(store, limit=limit, status=status)


def aggregate_duplicate_groups(
    store: Store, *, limit: int = MAX_DUPLICATE_GROUPS, status: str | None = None
) -> list[dict[str, Any]]:
    """duplicate_groups computed from `jobs`. The grouping reads every keyed job once (a `$group` cannot use
    an index); its output is only the small per-key summaries, and the copies of the `limit` groups shown
    come from one indexed `find`."""
    match: dict[str, Any] = {**job_filter(None, None, status), "dupKey": {"$type": "string"}}
    pipeline: list[dict[str, Any]] = [
        {"$match": match},
        {
            "$group": {
                "_id": "$dupKey",
                "boards": {"$addToSet": "$source"},
                "count": {"$sum": 1},
                "lastSeenAt": {"$max": "$lastSeenAt"},
            }
        },
        {"$match": {"boards.1": {"$exists": True}}},
        {"$sort": {"lastSeenAt": DESCENDING, "_id": 1}},
        {"$limit": limit},
    ]
    groups = list(store.jobs.coll.aggregate(pipeline))
    copies: dict[str, list[dict[str, Any]]] = {group["_id"]: [] for group in groups}
    if copies:
        cursor = store.jobs.coll.find({**match, "dupKey": {"$in": list(copies)}}, COPY_FIELDS)
        for doc in cursor.sort("lastSeenAt", DESCENDING).limit(limit * MAX_GROUP_JOBS):
            if len(copies[doc["dupKey"]]) < MAX_GROUP_JOBS:
                copies[doc["dupKey"]].append(doc)
    return [
        {"dupKey": g["_id"], "boards": sorted(g["boards"]), "count": g["count"], "lastSeenAt": g["lastSeenAt"],
         "jobs": copies[g["_id"]]}
        for g in groups
    ]  # fmt: skip


def _collapse_stages(q: str | None, source: str | None, status: str | None) -> list[dict[str, Any]]:
    # A job without a key is a group of its own (its _id); the newest copy represents the group.
    return [
        {"$match": job_filter(q, source, status)},
        {"$project": JOB_LIST_FIELDS},
        {"$sort": {"lastSeenAt": DESCENDING, "_id": 1}},
        {
            "$group": {
                "_id": {"$ifNull": ["$dupKey", "$_id"]},
                "job": {"$first": "$$ROOT"},
                "boards": {"$addToSet": "$source"},
                "copies": {"$sum": 1},
            }
        },
    ]


def search_job_groups(
    store: Store, *, q: str | None = None, source: str | None = None, status: str | None = None, page: int = 1,
    page_size: int = PAGE_SIZE,
) -> list[dict[str, Any]]:  # fmt: skip
    """One page of matching jobs with every duplicate group collapsed into its most recently seen copy.

    Each row is the job's list fields plus `boards` (sorted) and `copies` (jobs in the group that match).
    The grouping reads every matching job, so it is the Jobs page's opt-in view, not its default.
    """
    pipeline = [
        *_collapse_stages(q, source, status),
        {"$sort": {"job.lastSeenAt": DESCENDING, "_id": 1}},
        {"$skip": (max(page, 1) - 1) * page_size},
        {"$limit": page_size},
    ]
    return [
        {**row["job"], "boards": sorted(row["boards"]), "copies": row["copies"]}
        for row in store.jobs.coll.aggregate(pipeline)
    ]


def count_job_groups(
    store: Store, *, q: str | None = None, source: str | None = None, status: str | None = None, cap: int = COUNT_CAP
) -> int:
    """Rows of the collapsed list (groups + jobs without a key), counted up to `cap`."""
    pipeline: list[dict[str, Any]] = [
        {"$match": job_filter(q, source, status)},
        {"$group": {"_id": {"$ifNull": ["$dupKey", "$_id"]}}},
        {"$limit": cap},
        {"$count": "n"},
    ]
    rows = list(store.jobs.coll.aggregate(pipeline))
    return int(rows[0]["n"]) if rows else 0
