"""Per-feed snapshots: which identities each feed lists, with content hash, misses and last store visit.

Layout (why: a first import must stay cheap, and an unchanged re-import must write nothing):
- `feed_snapshots`: one small head document per feed, `_id` = the feed's public URL:
  `{chunks: [version of chunk 0, ...], missing, version, reached, at}`.
- `feed_snapshot_chunks`: the entries, ~SNAPSHOT_CHUNK_ENTRIES per document:
  `{feed, n, version, entries: [[source, externalId, contentHash, misses, listedAt], ...]}`.
  An identity's chunk is crc32(externalId) mod the chunk count, so an edit rewrites one chunk.

A first import of 1,000 items writes 2 documents instead of 1,000 (one document per entry cost the
first import ~10 % more server time); a run that changes nothing writes nothing. A save writes the
changed chunks under the run's log id as a new version, then flips the head in one update, then
deletes the old versions: a crash or a retried task never leaves a half-applied snapshot, and applying
the same log twice is recognised by the head's `version` (its `reached` list is returned again).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Collection as Sized
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ReplaceOne
from pymongo.collection import Collection

from jobfeed import constants as C

Doc = dict[str, Any]
Key = tuple[str, str]  # (source, externalId)
Row = tuple[str, int, datetime | None]  # (contentHash, misses, listedAt): jobfeed.pipeline.snapshot.Entry


def chunk_of(external_id: str, chunks: int) -> int:
    """Which chunk an identity lives in (stable while the chunk count stays)."""
    return zlib.crc32(external_id.encode("utf-8", "surrogatepass")) % chunks


def chunk_count(entries: int) -> int:
    return max(1, math.ceil(entries / C.SNAPSHOT_CHUNK_ENTRIES))


class SnapshotRepo:
    """Reads and writes of feed snapshots (pure logic: jobfeed/pipeline/snapshot.py)."""

    def __init__(self, heads: Collection[Doc], chunks: Collection[Doc], jobs: Collection[Doc]) -> None:
        self.heads = heads
        self.chunks = chunks
        self.jobs = jobs

    def head(self, feed: str) -> Doc | None:
        return self.heads.find_one({"_id": feed})

    def load(self, feed: str, head: Doc | None = None) -> dict[Key, Row]:
        """The feed's whole snapshot (empty for a feed that has none yet): two queries."""
        head = head if head is not None else self.head(feed)
        if not head:
            return {}
        versions = head.get("chunks") or []
        snapshot: dict[Key, Row] = {}
        for doc in self.chunks.find({"feed": feed}, {"n": 1, "version": 1, "entries": 1}):
            n = doc["n"]
            if n >= len(versions) or versions[n] != doc["version"]:
                continue  # an old version not yet deleted, or a newer one of a save that never flipped
            for source, external_id, content_hash, misses, listed_at in doc["entries"]:
                snapshot[(source, external_id)] = (content_hash, misses, listed_at)
        return snapshot

    def applied_by(self, head: Doc | None, log_id: str) -> list[Key] | None:
        """The closing candidates when this log's run was already applied (a retried finish), else None."""
        if head and head.get("version") == log_id:
            return [(source, external_id) for source, external_id in head.get("reached") or []]
        return None

    def save(
        self,
        feed: str,
        entries: Mapping[Key, Sequence[Any]],
        *,
        changed: Sized[Key],
        reached: Sequence[Key],
        head: Doc | None,
        log_id: str,
        now: datetime,
    ) -> None:
        """Write the chunks holding `changed` identities as version `log_id`, flip the head, drop old versions.

        `entries` is the whole new snapshot (rows of contentHash, misses, listedAt); `reached` are the
        identities that left it in this run (the closing candidates a retried finish gets back).
        """
        if not changed and not reached and head is not None:
            return  # nothing moved: an unchanged re-import writes nothing
        old_versions: list[str] = list((head or {}).get("chunks") or [])
        count = chunk_count(len(entries))
        if count != len(old_versions):
            touched = set(range(count))  # a new chunk count moves every identity: rewrite them all
        else:
            touched = {chunk_of(external_id, count) for _source, external_id in changed} if count > 1 else {0}
        grouped: dict[int, list[list[Any]]] = {n: [] for n in touched}
        if count == 1:  # most feeds: one chunk, no hashing of every identity
            grouped[0] = [[source, ext_id, content_hash, misses, at] for (source, ext_id), (content_hash, misses, at)
                          in entries.items()]  # fmt: skip
        else:
            for (source, external_id), (content_hash, misses, listed_at) in entries.items():
                n = chunk_of(external_id, count)
                if n in grouped:
                    grouped[n].append([source, external_id, content_hash, misses, listed_at])
        writes = [
            ReplaceOne(
                {"feed": feed, "n": n, "version": log_id},
                {"feed": feed, "n": n, "version": log_id, "entries": rows},
                upsert=True,
            )
            for n, rows in grouped.items()
        ]
        if writes:
            self.chunks.bulk_write(writes, ordered=False)
        versions = [
            log_id if n in touched else (old_versions[n] if n < len(old_versions) else log_id) for n in range(count)
        ]
        missing = sum(1 for _hash, misses, _at in entries.values() if misses > 0)
        self.heads.update_one(
            {"_id": feed},
            {
                "$set": {
                    "chunks": versions,
                    "missing": missing,
                    "version": log_id,
                    "reached": [list(key) for key in reached],
                    "entries": len(entries),
                    "at": now,
                }
            },
            upsert=True,
        )
        # best effort: a leftover old version is ignored by load() and removed by the next save
        self.chunks.delete_many({"feed": feed, "$or": _stale(versions)})

    def lists(self, feed: str, keys: Iterable[Key]) -> set[Key]:
        """Which of these identities the feed's snapshot lists (missed fewer than CLOSE_AFTER_MISSES times)."""
        snapshot = self.load(feed)
        return {key for key in keys if key in snapshot}

    def listed_elsewhere(self, keys: Sequence[Key], feed: str) -> set[Key]:
        """Which of these jobs another feed still lists: the feeds a job was seen in (`jobs.feeds`) are asked.

        A feed without a snapshot (never run since snapshots exist, or removed from feeds.yaml before)
        lists nothing: it must not keep a job open forever. Rare work: only for closing candidates.
        """
        by_source: dict[str, list[str]] = {}
        for source, external_id in keys:
            by_source.setdefault(source, []).append(external_id)
        wanted: dict[str, set[Key]] = {}  # other feed -> the candidates it was seen with
        for source, ids in by_source.items():
            for doc in self.jobs.find({"source": source, "externalId": {"$in": ids}}, {"externalId": 1, "feeds": 1}):
                for other in doc.get("feeds") or ():
                    if other != feed:
                        wanted.setdefault(other, set()).add((source, doc["externalId"]))
        listed: set[Key] = set()
        for other, candidates in wanted.items():
            listed |= self.lists(other, candidates - listed)
        return listed


def _stale(versions: list[str]) -> list[Doc]:
    """Chunk documents of this feed that are not the head's current versions."""
    return [{"n": {"$gte": len(versions)}}] + [
        {"n": n, "version": {"$ne": version}} for n, version in enumerate(versions)
    ]
