"""The `jobs` collection: batched, idempotent upserts with exact new/updated/unchanged counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from jobfeed import constants as C
from jobfeed.importlog import UpsertCounts
from jobfeed.models import ItemFailure, Job
from jobfeed.reasons import FailureReason

DUPLICATE_KEY = 11000
CONTENT_FIELDS = (
    "title", "company", "location", "jobType", "category", "url",
    "descriptionHtml", "descriptionText", "publishedAt", "contentHash",
)  # fmt: skip


def content_of(job: Job) -> dict[str, Any]:
    """The fields of a job document that come from the feed (identity excluded)."""
    return {name: getattr(job, name) for name in CONTENT_FIELDS}


class JobRepo:
    """Reads and writes of `jobs`. One read per batch; writes only for new and changed jobs."""

    def __init__(self, collection: Collection) -> None:
        self.coll = collection

    def upsert_batch(self, jobs: Sequence[Job], *, feed_url: str, token: str, now: datetime) -> UpsertCounts:
        """Upsert one batch and count exactly what happened to each job.

        `token` names this batch of this run. Every content write stamps it into `lastWrite`, so when
        Prefect retries a batch that was half-written before a connection dropped, the jobs already
        written are still counted as new/updated (not as unchanged) and nothing is written twice.
        A duplicate-key race with another feed of the same board is re-read and re-applied.
        """
        counts = UpsertCounts()
        pending: list[Job] = list(jobs)
        for _ in range(C.DUPLICATE_KEY_RETRIES + 1):
            if not pending:
                break
            step, pending = self._apply(pending, feed_url=feed_url, token=token, now=now)
            counts = counts.add(step)
        for job in pending:  # still racing after bounded re-reads: say so, never guess
            counts.failures.append(
                ItemFailure(FailureReason.DB_ERROR, "concurrent writers kept racing on this job", job.externalId)
            )
        return counts

    def _apply(
        self, jobs: Sequence[Job], *, feed_url: str, token: str, now: datetime
    ) -> tuple[UpsertCounts, list[Job]]:
        existing = self._read_existing(jobs)
        counts = UpsertCounts()
        ops: list[InsertOne | UpdateOne] = []
        op_jobs: list[tuple[Job, str]] = []
        touch_ids: list[Any] = []
        touch_before = now - timedelta(seconds=C.LAST_SEEN_REFRESH_S)
        for job in jobs:
            doc = existing.get(job.key)
            if doc is None:
                ops.append(_insert_op(job, feed_url, token, now))
                op_jobs.append((job, "new"))
            elif doc.get("contentHash") != job.contentHash:
                ops.append(_update_op(doc["_id"], job, feed_url, token, now))
                op_jobs.append((job, "updated"))
            elif (doc.get("lastWrite") or {}).get("token") == token:
                # written by an earlier attempt of this very batch (a retry after a dropped connection)
                if doc["lastWrite"].get("op") == "insert":
                    counts.new += 1
                else:
                    counts.updated += 1
            else:
                counts.unchanged += 1
                if _needs_touch(doc, feed_url, touch_before):
                    touch_ids.append(doc["_id"])
        retry: list[Job] = []
        if ops:
            retry = self._write(ops, op_jobs, counts)
        if touch_ids:
            # one statement for the whole batch: unchanged jobs cost no per-job round trip
            self.coll.update_many(
                {"_id": {"$in": touch_ids}}, {"$max": {"lastSeenAt": now}, "$addToSet": {"feeds": feed_url}}
            )
        return counts, retry

    def _write(
        self, ops: list[InsertOne | UpdateOne], op_jobs: list[tuple[Job, str]], counts: UpsertCounts
    ) -> list[Job]:
        """Run the writes unordered; count per op; return jobs to re-read (lost an insert race)."""
        try:
            self.coll.bulk_write(ops, ordered=False)
            errors: list[dict[str, Any]] = []
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if exc.details.get("writeConcernErrors"):
                raise  # not durable: let the task retry the whole batch (idempotent)
        failed_idx: set[int] = set()
        retry: list[Job] = []
        for err in errors:
            idx = err["index"]
            failed_idx.add(idx)
            job = op_jobs[idx][0]
            if err.get("code") == DUPLICATE_KEY:
                retry.append(job)  # another feed of this board inserted it a moment ago
            else:
                counts.failures.append(
                    ItemFailure(
                        FailureReason.ITEM_INVALID,
                        f"rejected by the database (code {err.get('code')}): {str(err.get('errmsg', ''))[:200]}",
                        job.externalId,
                    )
                )
        for idx, (_job, kind) in enumerate(op_jobs):
            if idx in failed_idx:
                continue
            if kind == "updated":
                counts.updated += 1
            else:
                counts.new += 1
        return retry

    def _read_existing(self, jobs: Sequence[Job]) -> dict[tuple[str, str], dict[str, Any]]:
        """One query per source in the batch (normally exactly one) for ids, hashes and write stamps."""
        by_source: dict[str, list[str]] = defaultdict(list)
        for job in jobs:
            by_source[job.source].append(job.externalId)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for source, ids in by_source.items():
            cursor = self.coll.find(
                {"source": source, "externalId": {"$in": ids}},
                {"source": 1, "externalId": 1, "contentHash": 1, "lastWrite": 1, "lastSeenAt": 1, "feeds": 1},
            )
            for doc in cursor:
                found[(doc["source"], doc["externalId"])] = doc
        return found

    def count(self, filter_: dict[str, Any] | None = None) -> int:
        """Number of job documents matching a filter (tests, dashboard)."""
        return self.coll.count_documents(filter_ or {})


def _insert_op(job: Job, feed_url: str, token: str, now: datetime) -> InsertOne:
    # A plain insert, not an upsert: the batch's read just found no such job, and an insert is ~3x
    # cheaper for the server than an upsert (bench/README.md). If another feed of the board inserts
    # it in between, the unique index refuses ours (duplicate key) and _write sends the job round again.
    return InsertOne(
        {
            "source": job.source,
            "externalId": job.externalId,
            **content_of(job),
            "firstSeenAt": now,
            "lastSeenAt": now,
            "lastChangedAt": now,
            "feeds": [feed_url],
            "lastWrite": {"token": token, "op": "insert", "at": now},
        }
    )


def _needs_touch(doc: dict[str, Any], feed_url: str, touch_before: datetime) -> bool:
    """An unchanged job is written only when its lastSeenAt is older than the refresh interval or
    this feed is new to it: hourly re-runs then write nothing for the jobs they merely see again."""
    seen = doc.get("lastSeenAt")
    if seen is None or seen < touch_before:  # the Store's client is tz_aware
        return True
    return feed_url not in (doc.get("feeds") or ())


def _update_op(doc_id: Any, job: Job, feed_url: str, token: str, now: datetime) -> UpdateOne:
    return UpdateOne(
        {"_id": doc_id},
        {
            "$set": {
                **content_of(job),
                "lastSeenAt": now,
                "lastChangedAt": now,
                "lastWrite": {"token": token, "op": "update", "at": now},
            },
            "$addToSet": {"feeds": feed_url},
        },
    )
