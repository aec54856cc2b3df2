"""The database's layout version and the steps that bring an older database up to it, without losing data.

Version 1 is what jobfeed 0.1.0 wrote (jobs without `dupKey` and `status`, retired indexes); version 2 is
1.0.0. `jobfeed db init` runs every step (idempotent); `jobfeed stack up` and each run's start call
`prepare()`, which reads one document and does nothing more when the layout is current, so that a run
pays one round trip instead of re-declaring ~20 indexes. The record lives in `meta` (`_id: "schema"`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from jobfeed.dupkey import dupkey
from jobfeed.store.indexes import INDEXES, IndexReport, ensure_indexes

SCHEMA_VERSION = 2  # 1: jobfeed 0.1.0; 2: 1.0.0 (jobs carry dupKey and status; snapshots, job_changes)
SCHEMA_ID = "schema"
BACKFILL_BATCH = 1_000  # jobs updated per bulk_write: one round trip per thousand, small enough to retry

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What `migrate` did: the version found and reached, the indexes, and each data step's count."""

    found: int  # 0: an empty database
    reached: int
    indexes: IndexReport
    backfilled: dict[str, int] = field(default_factory=dict)  # step name -> documents changed


def indexes_digest() -> str:
    """A fingerprint of every declared index: a change to INDEXES makes `prepare()` declare them again."""
    spec = {name: [model.document for model in models] for name, models in INDEXES.items()}
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


def found_version(db: Database[Doc]) -> int:
    """The recorded layout version; 1 for a database 0.1.0 wrote (it kept no record), 0 for an empty one."""
    record = db["meta"].find_one({"_id": SCHEMA_ID})
    if record is not None:
        return int(record.get("version", 1))
    written = any(db[name].estimated_document_count() for name in ("jobs", "import_logs", "feeds"))
    return 1 if written else 0


def is_current(db: Database[Doc]) -> bool:
    record = db["meta"].find_one({"_id": SCHEMA_ID}) or {}
    return record.get("version") == SCHEMA_VERSION and record.get("indexes") == indexes_digest()


def prepare(db: Database[Doc], *, now: datetime) -> MigrationReport | None:
    """`migrate` unless the recorded layout is current (then None): one read on the common path."""
    return None if is_current(db) else migrate(db, now=now)


def migrate(db: Database[Doc], *, now: datetime) -> MigrationReport:
    """Declare the indexes (dropping retired ones), backfill fields older versions did not write, record it.

    Every step is idempotent and touches only documents that still lack the field, so an interrupted
    migration is finished by running it again.
    """
    found = found_version(db)
    indexes = ensure_indexes(db)
    backfilled = {"jobs.dupKey": _backfill_dupkeys(db), "jobs.status": _backfill_status(db)}
    db["meta"].update_one(
        {"_id": SCHEMA_ID},
        {"$set": {"version": SCHEMA_VERSION, "indexes": indexes_digest(), "migratedAt": now},
         "$push": {"history": {"from": found, "to": SCHEMA_VERSION, "at": now, "backfilled": backfilled}}},
        upsert=True,
    )  # fmt: skip
    return MigrationReport(found=found, reached=SCHEMA_VERSION, indexes=indexes, backfilled=backfilled)


def _backfill_dupkeys(db: Database[Doc]) -> int:
    """Jobs written before the duplicate key existed get it from their company, title and location."""
    jobs = db["jobs"]
    changed = 0
    while True:  # each pass takes the next batch still missing the field: safe to interrupt and resume
        docs = list(
            jobs.find({"dupKey": {"$exists": False}}, {"company": 1, "title": 1, "location": 1}, limit=BACKFILL_BATCH)
        )
        if not docs:
            return changed
        ops = [
            UpdateOne(
                {"_id": doc["_id"], "dupKey": {"$exists": False}},
                {"$set": {"dupKey": dupkey(doc.get("company"), doc.get("title"), doc.get("location"))}},
            )
            for doc in docs
        ]
        changed += jobs.bulk_write(ops, ordered=False).modified_count


def _backfill_status(db: Database[Doc]) -> int:
    """Jobs from before the lifecycle existed are open (every read already treated a missing status so)."""
    return db["jobs"].update_many({"status": {"$exists": False}}, {"$set": {"status": "open"}}).modified_count
