"""Every index, declared once. Each serves a named query (comment) so none is dead weight."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

INDEXES: dict[str, list[IndexModel]] = {
    "jobs": [
        # identity: one document per job per board; upserts and the per-batch hash read use it
        IndexModel([("source", ASCENDING), ("externalId", ASCENDING)], unique=True, name="source_externalId"),
        IndexModel([("lastSeenAt", DESCENDING)], name="lastSeenAt"),  # dashboard: newest jobs, stale jobs
        IndexModel(
            [("source", ASCENDING), ("lastSeenAt", DESCENDING)], name="source_lastSeenAt"
        ),  # dashboard/API jobs of one board, newest first
    ],
    "import_logs": [
        IndexModel([("startedAt", DESCENDING)], name="startedAt"),  # history, newest first
        IndexModel([("fileName", ASCENDING), ("startedAt", DESCENDING)], name="fileName_startedAt"),
        IndexModel([("status", ASCENDING), ("startedAt", DESCENDING)], name="status_startedAt"),
        IndexModel(
            [("fileName", ASCENDING), ("status", ASCENDING), ("startedAt", DESCENDING)],
            name="fileName_status_startedAt",
        ),  # dashboard history: one feed + one status
        IndexModel([("flowRunId", ASCENDING)], name="flowRunId"),  # run detail, crash recovery
        # metrics: each scrape sums only the logs finished since the cached totals (jobfeed/metrics.py)
        IndexModel([("finishedAt", DESCENDING)], name="finishedAt"),
    ],
    "feeds": [IndexModel([("url", ASCENDING)], unique=True, name="url")],
    "dead_letters": [
        IndexModel([("key", ASCENDING)], unique=True, name="key"),  # one letter per failed batch/item
        IndexModel([("reason", ASCENDING), ("redrivenAt", ASCENDING)], name="reason_redrivenAt"),
        IndexModel([("feed", ASCENDING), ("firstFailedAt", DESCENDING)], name="feed_firstFailedAt"),
        IndexModel(
            [("redrivenAt", ASCENDING), ("firstFailedAt", ASCENDING)], name="redrivenAt_firstFailedAt"
        ),  # dashboard: pending letters, oldest first
    ],
}


# Indexes earlier versions created and nothing reads any more: each one costs every insert.
RETIRED: dict[str, list[str]] = {"jobs": ["source_publishedAt"]}


def ensure_indexes(db: Database) -> None:
    """Create all indexes (a no-op when they exist) and drop retired ones."""
    for collection, models in INDEXES.items():
        db[collection].create_indexes(models)
    for collection, names in RETIRED.items():
        existing = set(db[collection].index_information())
        for name in names:
            if name in existing:
                db[collection].drop_index(name)
