"""Every index, declared once. Each serves a named query (comment) so none is dead weight."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
        # job detail: the same job on other boards; duplicate groups' copies (jobfeed/store/job_reads.py)
        IndexModel([("dupKey", ASCENDING)], name="dupKey"),
        # Jobs page / API / export: closed jobs, newest first. Partial, so an insert of an open job (every job of a
        # first import) pays nothing for it; open jobs are listed through `lastSeenAt` (closed ones are few).
        IndexModel(
            [("lastSeenAt", DESCENDING)],
            name="closed_lastSeenAt",
            partialFilterExpression={"status": "closed"},
        ),
    ],
    # a job's timeline, newest first (jobfeed/store/job_reads.py job_history)
    "job_changes": [IndexModel([("jobId", ASCENDING), ("at", DESCENDING)], name="jobId_at")],
    "import_logs": [
        IndexModel([("startedAt", DESCENDING)], name="startedAt"),  # history, newest first
        IndexModel([("fileName", ASCENDING), ("startedAt", DESCENDING)], name="fileName_startedAt"),
        IndexModel([("status", ASCENDING), ("startedAt", DESCENDING)], name="status_startedAt"),
        IndexModel(
            [("fileName", ASCENDING), ("status", ASCENDING), ("startedAt", DESCENDING)],
            name="fileName_status_startedAt",
        ),  # dashboard history: one feed + one status
        IndexModel([("flowRunId", ASCENDING)], name="flowRunId"),  # run detail, crash recovery
        # metrics: each scrape sums only the logs finished since the cached totals (jobfeed/store/stats.py)
        IndexModel([("finishedAt", DESCENDING)], name="finishedAt"),
    ],
    "feeds": [IndexModel([("url", ASCENDING)], unique=True, name="url")],
    # materialized duplicate groups (jobfeed/store/duplicates.py): the lists, newest first, of all / open /
    # closed groups; and the groups a touched job was in (a refresh finds the group a changed key left)
    "duplicate_groups": [
        IndexModel([("lastSeenAt", DESCENDING), ("_id", ASCENDING)], name="lastSeenAt"),
        IndexModel([("open.lastSeenAt", DESCENDING), ("_id", ASCENDING)], name="open_lastSeenAt"),
        IndexModel([("closed.lastSeenAt", DESCENDING), ("_id", ASCENDING)], name="closed_lastSeenAt"),
        IndexModel([("jobIds", ASCENDING)], name="jobIds"),
    ],
    # a feed's snapshot chunks: loaded by feed at every fetched run; one version per (feed, chunk)
    "feed_snapshot_chunks": [
        IndexModel([("feed", ASCENDING), ("n", ASCENDING), ("version", ASCENDING)], unique=True, name="feed_n_version")
    ],
    "dead_letters": [
        IndexModel([("key", ASCENDING)], unique=True, name="key"),  # one letter per failed batch/item
        IndexModel([("reason", ASCENDING), ("redrivenAt", ASCENDING)], name="reason_redrivenAt"),
        IndexModel([("feed", ASCENDING), ("firstFailedAt", DESCENDING)], name="feed_firstFailedAt"),
        IndexModel(
            [("redrivenAt", ASCENDING), ("firstFailedAt", ASCENDING)], name="redrivenAt_firstFailedAt"
        ),  # dashboard: pending letters, oldest first
    ],
    # the raw feed archive (jobfeed/store/archive.py), a GridFS bucket: one file per body hash (unique: two runs
    # storing one body at once keep one), and a file's chunks in order (the GridFS spec's index, pymongo's name)
    "feed_bodies.files": [IndexModel([("filename", ASCENDING)], unique=True, name="filename_unique")],
    "feed_bodies.chunks": [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True, name="files_id_1_n_1")],
}


# Indexes earlier versions created and nothing reads any more: each one costs every insert.
RETIRED: dict[str, list[str]] = {"jobs": ["source_publishedAt", "status_lastSeenAt"]}


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What `ensure_indexes` did, as `collection.index` names: created now, already there, dropped."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def ensure_indexes(db: Database[dict[str, Any]]) -> IndexReport:
    """Create all indexes (a no-op for those that exist) and drop retired ones; say which was which."""
    report = IndexReport()
    for collection, models in INDEXES.items():
        before = set(db[collection].index_information())  # empty for a collection not created yet
        db[collection].create_indexes(models)
        for model in models:
            name = model.document["name"]
            (report.existing if name in before else report.created).append(f"{collection}.{name}")
    for collection, names in RETIRED.items():
        existing = set(db[collection].index_information())
        for name in names:
            if name in existing:
                db[collection].drop_index(name)
                report.dropped.append(f"{collection}.{name}")
    return report
