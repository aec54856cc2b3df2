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
from jobfeed.store.changes import TRACKED_FIELDS, ChangeRepo, change_doc, changed_fields
from jobfeed.store.job_writes import (  # noqa: F401 - CONTENT_FIELDS, content_of: re-exported
    CLOSED,
    CONTENT_FIELDS,
    OPEN,
    Write,
    content_of,
    insert_op,
    needs_touch,
    reopen_op,
    update_op,
)

DUPLICATE_KEY = 11000
# What the batch's read needs of every stored job; the old content is read only for jobs that changed.
_STATE = {"source": 1, "externalId": 1, "contentHash": 1, "lastWrite": 1, "lastSeenAt": 1, "feeds": 1,
          "status": 1, "reopenedBy": 1}  # fmt: skip
_OLD_CONTENT = dict.fromkeys((*TRACKED_FIELDS, "descriptionHtml", "descriptionText", "source", "externalId"), 1)
Key = tuple[str, str]


class JobRepo:
    """Reads and writes of `jobs`. One read per batch; writes only for new and changed jobs."""

    def __init__(
        self,
        collection: Collection[dict[str, Any]],
        changes: ChangeRepo | None = None,
        *,
        log_id: str | None = None,
        flow_run_id: str | None = None,
        replay: bool = False,
    ) -> None:
        self.coll = collection
        self.changes = changes or ChangeRepo(collection.database["job_changes"])
        self.log_id, self.flow_run_id, self.replay = log_id, flow_run_id, replay

    def for_run(self, *, log_id: str, flow_run_id: str | None) -> JobRepo:
        """This repository writing for one feed's run: reopens closed jobs it lists, names the run in history."""
        return JobRepo(self.coll, self.changes, log_id=log_id, flow_run_id=flow_run_id)

    def for_replay(self, *, flow_run_id: str | None) -> JobRepo:
        """This repository writing a replay's batches (docs/provenance.md): new and changed content is written
        (with its job_changes), but no job is reopened, touched, or stamped seen (`lastSeenAt`, `feeds`)."""
        return JobRepo(self.coll, self.changes, flow_run_id=flow_run_id, replay=True)

    def compare_batch(self, jobs: Sequence[Job]) -> UpsertCounts:
        """What upsert_batch would count for these jobs against today's, writing nothing (a dry-run replay)."""
        existing = self._read_existing(jobs)
        counts = UpsertCounts()
        for job in jobs:
            doc = existing.get(job.key)
            if doc is None:
                counts.new += 1
            elif doc.get("contentHash") != job.contentHash:
                counts.updated += 1
            else:
                counts.unchanged += 1
        return counts

    def upsert_batch(self, jobs: Sequence[Job], *, feed_url: str, token: str, now: datetime) -> UpsertCounts:
        """Upsert one batch and count exactly what happened to each job.

        `token` names this batch of this run. Every content write stamps it into `lastWrite`, so when
        Prefect retries a batch that was half-written before a connection dropped, the jobs already
        written are still counted as new/updated (not as unchanged) and nothing is written twice.
        A duplicate-key race with another feed of the same board is re-read and re-applied.
        Every update also writes one `job_changes` document. For a run's feed (`for_run`), a listed job
        that was `closed` is reopened and counted in `reopened`; a redrive writes without a run.
        """
        counts = UpsertCounts()
        pending: list[Job] = list(jobs)
        ctx = Write(feed_url, token, now, self.log_id, self.flow_run_id, replay=self.replay)
        for _ in range(C.DUPLICATE_KEY_RETRIES + 1):
            if not pending:
                break
            step, pending = self._apply(pending, ctx)
            counts = counts.add(step)
        for job in pending:  # still racing after bounded re-reads: say so, never guess
            counts.failures.append(
                ItemFailure(FailureReason.DB_ERROR, "concurrent writers kept racing on this job", job.externalId)
            )
        return counts

    def _apply(self, jobs: Sequence[Job], ctx: Write) -> tuple[UpsertCounts, list[Job]]:
        existing = self._read_existing(jobs)
        counts = UpsertCounts()
        ops: list[InsertOne[dict[str, Any]] | UpdateOne] = []
        op_jobs: list[tuple[Job, str]] = []
        touch_ids: list[Any] = []
        touch_before = ctx.now - timedelta(seconds=C.LAST_SEEN_REFRESH_S)
        changed: list[tuple[Job, dict[str, Any]]] = []  # (job, its stored doc): each gets a job_changes doc
        for job in jobs:
            doc = existing.get(job.key)
            reopen = ctx.log_id is not None and doc is not None and doc.get("status") == CLOSED
            if doc is not None and ctx.log_id is not None and doc.get("reopenedBy") == ctx.log_id:
                counts.reopened += 1  # reopened by an earlier attempt of this run: count it once, here
            if doc is None:
                ops.append(insert_op(job, ctx))
                op_jobs.append((job, "new"))
            elif doc.get("contentHash") != job.contentHash:
                ops.append(update_op(doc["_id"], job, ctx, reopen=reopen))
                op_jobs.append((job, "updated-reopened" if reopen else "updated"))
                changed.append((job, doc))
            elif (doc.get("lastWrite") or {}).get("token") == ctx.token:
                # written by an earlier attempt of this very batch (a retry after a dropped connection)
                if doc["lastWrite"].get("op") == "insert":
                    counts.new += 1
                else:
                    counts.updated += 1
            elif reopen:  # the same content, listed again after it was closed
                ops.append(reopen_op(doc["_id"], ctx))
                op_jobs.append((job, "reopened"))
                changed.append((job, doc))
            else:
                counts.unchanged += 1
                if not ctx.replay and needs_touch(doc, ctx.feed_url, touch_before):
                    touch_ids.append(doc["_id"])
        if changed:  # recorded before the jobs are written: a retry then finds them (same _id), never twice
            self.changes.add(self._change_docs(changed, ctx))
        retry: list[Job] = []
        if ops:
            retry = self._write(ops, op_jobs, counts)
        if touch_ids:
            # one statement for the whole batch: unchanged jobs cost no per-job round trip
            self.coll.update_many(
                {"_id": {"$in": touch_ids}}, {"$max": {"lastSeenAt": ctx.now}, "$addToSet": {"feeds": ctx.feed_url}}
            )
        return counts, retry

    def _change_docs(self, changed: list[tuple[Job, dict[str, Any]]], ctx: Write) -> list[dict[str, Any]]:
        """One job_changes document per updated or reopened job: its old content is read only now."""
        old = {
            doc["_id"]: doc for doc in self.coll.find({"_id": {"$in": [d["_id"] for _j, d in changed]}}, _OLD_CONTENT)
        }
        docs = []
        for job, state in changed:
            before = old.get(state["_id"], state)
            changes = changed_fields(before, content_of(job)) if state.get("contentHash") != job.contentHash else {}
            if ctx.log_id is not None and state.get("status") == CLOSED:
                changes["status"] = {"old": CLOSED, "new": OPEN}
            docs.append(
                change_doc(f"{ctx.token}:{state['_id']}", state, changes, at=ctx.now, flow_run_id=ctx.flow_run_id,
                           feed=ctx.feed_url)
            )  # fmt: skip
        return docs

    def close(self, keys: Sequence[Key], *, log_id: str, now: datetime, flow_run_id: str | None, feed: str) -> int:
        """Close the open jobs among `keys` (no feed lists them any more); returns how many this log closed.

        Idempotent: each is stamped `closedBy: log_id`, and the count is of the jobs carrying that stamp,
        so a retried finish neither closes twice nor counts twice. Each closing is a job_changes document.
        """
        closed = 0
        by_source: dict[str, list[str]] = defaultdict(list)
        for source, external_id in keys:
            by_source[source].append(external_id)
        for source, ids in by_source.items():
            # by _id: secantusdb scans the collection for an update whose filter is a compound-key `$in`
            # (116 s of server CPU to close 1,004 of 20,000 jobs); a find by the same filter uses the index
            ids_found = [
                doc["_id"] for doc in self.coll.find({"source": source, "externalId": {"$in": ids}}, {"_id": 1})
            ]
            self.coll.update_many(
                {"_id": {"$in": ids_found}, "status": {"$ne": CLOSED}},
                {"$set": {"status": CLOSED, "closedAt": now, "closedBy": log_id}},
            )
            projection = {"source": 1, "externalId": 1}
            docs = list(self.coll.find({"_id": {"$in": ids_found}, "closedBy": log_id, "status": CLOSED}, projection))
            self.changes.add(
                [
                    change_doc(f"close:{log_id}:{doc['_id']}", doc, {"status": {"old": OPEN, "new": CLOSED}}, at=now,
                               flow_run_id=flow_run_id, feed=feed)
                    for doc in docs
                ]
            )  # fmt: skip
            closed += len(docs)
        return closed

    def _write(
        self, ops: list[InsertOne[dict[str, Any]] | UpdateOne], op_jobs: list[tuple[Job, str]], counts: UpsertCounts
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
            if kind == "new":
                counts.new += 1
            elif kind == "reopened":
                counts.unchanged += 1  # its content did not change; `reopened` is counted beside the four
            else:
                counts.updated += 1
            if kind.endswith("reopened"):
                counts.reopened += 1
        return retry

    def _read_existing(self, jobs: Sequence[Job]) -> dict[tuple[str, str], dict[str, Any]]:
        """One query per source in the batch (normally exactly one) for ids, hashes and write stamps."""
        by_source: dict[str, list[str]] = defaultdict(list)
        for job in jobs:
            by_source[job.source].append(job.externalId)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for source, ids in by_source.items():
            cursor = self.coll.find({"source": source, "externalId": {"$in": ids}}, _STATE)
            for doc in cursor:
                found[(doc["source"], doc["externalId"])] = doc
        return found

    def written_since(self, keys: Sequence[Key], *, since: datetime, except_tokens: Sequence[str] = ()) -> set[Key]:
        """The keys among `keys` whose content a write stamped after `since`, other than `except_tokens`'."""
        by_source: dict[str, list[str]] = defaultdict(list)
        for source, external_id in keys:
            by_source[source].append(external_id)
        found: set[Key] = set()
        for source, ids in by_source.items():
            query = {"source": source, "externalId": {"$in": ids}, "lastWrite.at": {"$gt": since},
                     "lastWrite.token": {"$nin": list(except_tokens)}}  # fmt: skip
            found |= {
                (doc["source"], doc["externalId"]) for doc in self.coll.find(query, {"source": 1, "externalId": 1})
            }
        return found

    def count(self, filter_: dict[str, Any] | None = None) -> int:
        """Number of job documents matching a filter (tests, dashboard)."""
        return self.coll.count_documents(filter_ or {})
