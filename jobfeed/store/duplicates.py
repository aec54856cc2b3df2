"""The materialized `duplicate_groups` collection: cross-board duplicates kept ready for reading.

One document per group (a `dupKey` on more than one board), written by `refresh_duplicate_groups`, a
follow-up of every import run (docs/architecture.md), and read by `job_reads.duplicate_groups` while it is
fresh. A group document:

`{_id: dupKey, dupKey, count, boards, feeds, lastSeenAt, newest, jobs, jobIds, open, closed, updatedAt}`:
`count` jobs on `boards` (sorted sources), seen in `feeds` (masked URLs), `lastSeenAt` of the newest
copy, `newest` that copy, `jobs` the newest copies (at most MAX_GROUP_JOBS open and MAX_GROUP_JOBS
closed, newest first), `jobIds` every member (at most MAX_MEMBER_IDS), and `open` / `closed` the same
`{count, boards, lastSeenAt}` over the jobs of that status (absent when none).

The document `_id: "_refresh"` holds the refresh state: `refreshedAt` (when the last refresh began),
`fullAt`, `stale` (set by a re-drive, which writes jobs without an ImportLog). The collection is
**fresh** when that document exists, is not stale, and no ImportLog finished after `refreshedAt`; else
readers fall back to the aggregation over `jobs`.

A refresh looks again at the dupKeys touched since the previous one: jobs whose `lastSeenAt` moved
(inserted, updated, reopened or seen again: every write stamps it) since then or since the start of a
log finished since then, jobs those logs closed (their `job_changes` ids), and the groups that listed a
touched job (its key may have changed). The first refresh, an empty state, or more than
DUPLICATE_FULL_REFRESH_AFTER touched jobs make it a full one: the group keys from one `$group`.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import DESCENDING, DeleteOne, ReplaceOne
from pymongo.collection import Collection

from jobfeed import constants as C

if TYPE_CHECKING:
    from jobfeed.store import Store

COLLECTION = "duplicate_groups"
STATE_ID = "_refresh"
MAX_GROUP_JOBS = 20  # copies of one job listed per duplicate group (boards rarely exceed a handful)
MAX_MEMBER_IDS = 1_000  # member ids kept per group, to find the group again when a member's key changes
KEYS_PER_READ = 500  # dupKeys per `$in` read of `jobs` (index dupKey)
IDS_PER_READ = 1_000  # ids per `$in` read of touched jobs
# What a copy in a group carries: enough to tell the copies apart.
COPY_FIELDS = dict.fromkeys(("source", "title", "company", "location", "url", "status", "lastSeenAt", "dupKey"), 1)
_READ_FIELDS = {**COPY_FIELDS, "feeds": 1}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh did: full or incremental, dupKeys looked at, groups written and removed."""

    full: bool
    keys: int
    groups: int
    removed: int
    refreshed_at: datetime

    def __str__(self) -> str:
        kind = "full" if self.full else "incremental"
        return f"{kind} refresh of {self.keys} dupKey(s): {self.groups} group(s) written, {self.removed} removed"


def collection(store: Store) -> Collection[Doc]:
    return store.db[COLLECTION]


def refresh_duplicate_groups(store: Store, *, now: datetime, full: bool = False) -> RefreshReport:
    """Bring `duplicate_groups` up to date with `jobs` as of `now` (the time this refresh began).

    Idempotent: a retry redoes the same work. `full` (or a missing state) recomputes every group and
    removes the documents of keys that are no groups any more.
    """
    coll = collection(store)
    state = coll.find_one({"_id": STATE_ID})
    keys: set[str] | None = None
    if state is not None and not full:
        keys = _touched_keys(store, state["refreshedAt"])
    if keys is None:  # first refresh, asked for, or too much changed to go key by key
        keys = _group_keys(store)
        groups, removed = _refresh_keys(store, keys, now)
        removed += _remove_others(coll, keys)
        report = RefreshReport(True, len(keys), groups, removed, now)
    else:
        groups, removed = _refresh_keys(store, keys, now)
        report = RefreshReport(False, len(keys), groups, removed, now)
    full_at = now if report.full else (state or {}).get("fullAt")
    coll.replace_one(
        {"_id": STATE_ID},
        {"refreshedAt": now, "fullAt": full_at, "stale": False, "keys": report.keys, "groups": report.groups},
        upsert=True,
    )
    return report


def mark_stale(store: Store) -> None:
    """Say that jobs changed outside an import run (a re-drive): readers aggregate until the next refresh."""
    collection(store).update_one({"_id": STATE_ID}, {"$set": {"stale": True}})


def is_fresh(store: Store) -> bool:
    """True when the last refresh began after every finished ImportLog and nothing marked it stale."""
    state = collection(store).find_one({"_id": STATE_ID}, {"refreshedAt": 1, "stale": 1})
    if state is None or state.get("stale") or state.get("refreshedAt") is None:
        return False
    newest = store.logs.coll.find_one(
        {"finishedAt": {"$type": "date"}}, {"finishedAt": 1}, sort=[("finishedAt", DESCENDING)]
    )
    return newest is None or bool(newest["finishedAt"] <= state["refreshedAt"])


def materialized_groups(store: Store, *, limit: int, status: str | None = None) -> list[Doc] | None:
    """The groups as `job_reads.duplicate_groups` returns them, from the collection; None when it is not fresh.

    `status` open/closed lists the groups with that status on more than one board, counted over those jobs.
    """
    if not is_fresh(store):
        return None
    scope = status if status in ("open", "closed") else None
    prefix = f"{scope}." if scope else ""
    query = {f"{prefix}boards.1": {"$exists": True}}
    projection = {"jobIds": 0, "feeds": 0, "newest": 0}
    docs = collection(store).find(query, projection).sort([(f"{prefix}lastSeenAt", DESCENDING), ("_id", 1)])
    return [_as_read(doc, scope) for doc in docs.limit(limit)]


def _as_read(doc: Doc, scope: str | None) -> Doc:
    part = doc[scope] if scope else doc
    jobs = [job for job in doc.get("jobs") or [] if scope is None or _status(job) == scope]
    return {"dupKey": doc["_id"], "boards": part["boards"], "count": part["count"], "lastSeenAt": part["lastSeenAt"],
            "jobs": jobs[:MAX_GROUP_JOBS]}  # fmt: skip


def _status(job: Doc) -> str:
    return "closed" if job.get("status") == "closed" else "open"  # jobs from before the lifecycle: open


def _touched_keys(store: Store, last: datetime) -> set[str] | None:
    """The dupKeys to look at again since the refresh that began at `last`; None when a full refresh is cheaper."""
    logs = list(store.logs.coll.find({"finishedAt": {"$gte": last}}, {"startedAt": 1, "closedJobs": 1}))
    since = min([last, *(log["startedAt"] for log in logs if log.get("startedAt"))])
    keys: set[str] = set()
    ids: list[Any] = []
    for doc in store.jobs.coll.find({"lastSeenAt": {"$gte": since}}, {"dupKey": 1}):
        ids.append(doc["_id"])
        if len(ids) > C.DUPLICATE_FULL_REFRESH_AFTER:
            return None
        if isinstance(doc.get("dupKey"), str):
            keys.add(doc["dupKey"])
    closed = [change["jobId"] for log in logs if log.get("closedJobs") for change in _closings(store, str(log["_id"]))]
    for chunk in _chunks(closed, IDS_PER_READ):
        for doc in store.jobs.coll.find({"_id": {"$in": chunk}}, {"dupKey": 1}):
            ids.append(doc["_id"])
            if isinstance(doc.get("dupKey"), str):
                keys.add(doc["dupKey"])
    for chunk in _chunks(ids, IDS_PER_READ):  # groups a touched job was in: its key may have changed
        keys.update(doc["_id"] for doc in collection(store).find({"jobIds": {"$in": chunk}}, {"_id": 1}))
    return keys


def _closings(store: Store, log_id: str) -> Iterator[Doc]:
    """The `job_changes` of the jobs a log closed: `_id` `close:<log id>:<job id>` (jobfeed/store/jobs.py)."""
    prefix = f"close:{log_id}:"
    yield from store.changes.coll.find({"_id": {"$gte": prefix, "$lt": prefix[:-1] + ";"}}, {"jobId": 1})


def _group_keys(store: Store) -> set[str]:
    """Every dupKey on more than one board: one `$group` over the keyed jobs, only the keys come back."""
    pipeline: list[Doc] = [
        {"$match": {"dupKey": {"$type": "string"}}},
        {"$group": {"_id": "$dupKey", "boards": {"$addToSet": "$source"}}},
        {"$match": {"boards.1": {"$exists": True}}},
        {"$project": {"_id": 1}},
    ]
    return {row["_id"] for row in store.jobs.coll.aggregate(pipeline)}


def _refresh_keys(store: Store, keys: Iterable[str], now: datetime) -> tuple[int, int]:
    """Recompute the groups of these keys from `jobs`: write the groups, delete the keys that are none."""
    written = removed = 0
    for chunk in _chunks(sorted(keys), KEYS_PER_READ):
        folds = {key: _Fold() for key in chunk}
        for doc in store.jobs.coll.find({"dupKey": {"$in": chunk}}, _READ_FIELDS):
            folds[doc["dupKey"]].add(doc)
        ops: list[ReplaceOne[Doc] | DeleteOne] = [
            ReplaceOne({"_id": key}, fold.document(key, now), upsert=True) if fold.is_group else DeleteOne({"_id": key})
            for key, fold in folds.items()
        ]
        result = collection(store).bulk_write(ops, ordered=False)
        written += sum(1 for fold in folds.values() if fold.is_group)
        removed += result.deleted_count
    return written, removed


def _remove_others(coll: Collection[Doc], keep: set[str]) -> int:
    """Delete group documents whose key is not in `keep` (after a full refresh)."""
    gone = [doc["_id"] for doc in coll.find({"_id": {"$ne": STATE_ID}}, {"_id": 1}) if doc["_id"] not in keep]
    return sum(coll.delete_many({"_id": {"$in": chunk}}).deleted_count for chunk in _chunks(gone, IDS_PER_READ))


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass(slots=True)
class _Part:
    """Counts of one status (or of all jobs) of a key, and its newest copies in a bounded min-heap."""

    count: int = 0
    boards: set[str] = field(default_factory=set)
    last_seen: datetime | None = None
    newest: list[tuple[datetime, int, Doc]] = field(default_factory=list)

    def add(self, doc: Doc, order: int) -> None:
        self.count += 1
        self.boards.add(str(doc.get("source")))
        seen = doc.get("lastSeenAt")
        if isinstance(seen, datetime) and (self.last_seen is None or seen > self.last_seen):
            self.last_seen = seen
        heapq.heappush(self.newest, (seen if isinstance(seen, datetime) else _EPOCH, -order, doc))
        if len(self.newest) > MAX_GROUP_JOBS:
            heapq.heappop(self.newest)

    def summary(self) -> Doc:
        return {"count": self.count, "boards": sorted(self.boards), "lastSeenAt": self.last_seen}


@dataclass(slots=True)
class _Fold:
    """One dupKey's jobs folded as they stream in: counts per status, boards, feeds, members, newest copies."""

    all: _Part = field(default_factory=_Part)
    by_status: dict[str, _Part] = field(default_factory=dict)
    feeds: set[str] = field(default_factory=set)
    ids: list[Any] = field(default_factory=list)
    order: Iterator[int] = field(default_factory=itertools.count)

    def add(self, doc: Doc) -> None:
        n = next(self.order)
        self.all.add(doc, n)
        self.by_status.setdefault(_status(doc), _Part()).add(doc, n)
        self.feeds.update(url for url in doc.get("feeds") or [] if isinstance(url, str))
        if len(self.ids) < MAX_MEMBER_IDS:
            self.ids.append(doc["_id"])

    @property
    def is_group(self) -> bool:
        return len(self.all.boards) > 1

    def document(self, key: str, now: datetime) -> Doc:
        copies = [entry for part in self.by_status.values() for entry in part.newest]
        jobs = [{k: v for k, v in doc.items() if k != "feeds"} for _seen, _n, doc in sorted(copies, reverse=True)]
        return {
            "dupKey": key, **self.all.summary(), "feeds": sorted(self.feeds), "newest": jobs[0], "jobs": jobs,
            "jobIds": self.ids, **{status: part.summary() for status, part in self.by_status.items()},
            "updatedAt": now,
        }  # fmt: skip
