"""What the pipeline needs from the outside, as Protocols: the store's repositories and the feed locks.

The pipeline never imports jobfeed.store or jobfeed.ops (they sit above it); their objects arrive as
parameters and are typed by these shapes. jobfeed.store.Store and jobfeed.ops.locks.FeedLocks fit them,
and so does any test double that keeps the same protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from jobfeed.importlog import ImportLog, UpsertCounts
from jobfeed.models import ConditionalState, Job
from jobfeed.streams import Readable


class LogRepo(Protocol):
    def open(
        self,
        *,
        feed_url: str,
        feed_name: str,
        flow_run_id: str | None,
        started_at: datetime,
        replay_of: str | None = None,
    ) -> str: ...

    def finish(self, log_id: str, *, finished_at: datetime, fields: dict[str, Any]) -> dict[str, Any] | None: ...

    def get(self, log_id: str) -> dict[str, Any] | None: ...

    def running(self, *, exclude_flow_run_id: str | None = None) -> list[ImportLog]: ...

    def profiled_before(self, feed_url: str, *, before: datetime, limit: int) -> list[dict[str, Any]]: ...


class FeedStates(Protocol):
    def get(self, url: str) -> dict[str, Any] | None: ...

    def run_state(self, url: str) -> tuple[bool, ConditionalState]: ...

    def record_run(
        self,
        url: str,
        *,
        name: str,
        status: str,
        now: datetime,
        conditional: ConditionalState | None,
        error_reason: str | None,
        log_id: str | None = None,
    ) -> None: ...


class DeadLetters(Protocol):
    def add(
        self,
        *,
        key: str,
        reason: str,
        message: str,
        feed: str,
        payload: Any,
        attempts: int,
        now: datetime,
        attempt_id: str | None = None,
    ) -> None: ...

    def mark_redriven(self, key: str, *, now: datetime, result: dict[str, Any]) -> None: ...

    def mark_still_failing(self, key: str, *, now: datetime, message: str) -> None: ...


class Jobs(Protocol):
    def upsert_batch(self, jobs: Sequence[Job], *, feed_url: str, token: str, now: datetime) -> UpsertCounts: ...

    def for_run(self, *, log_id: str, flow_run_id: str | None) -> Jobs: ...

    def written_since(
        self, keys: Sequence[tuple[str, str]], *, since: datetime, except_tokens: Sequence[str] = ()
    ) -> set[tuple[str, str]]: ...

    def close(
        self, keys: Sequence[tuple[str, str]], *, log_id: str, now: datetime, flow_run_id: str | None, feed: str
    ) -> int: ...


SnapshotRow = tuple[str, int, datetime | None]  # contentHash, misses, listedAt (pipeline.snapshot.Entry)


class Snapshots(Protocol):
    """jobfeed.store.snapshots.SnapshotRepo: each feed's snapshot of the identities it lists."""

    def head(self, feed: str) -> dict[str, Any] | None: ...

    def load(self, feed: str, head: dict[str, Any] | None = None) -> Mapping[tuple[str, str], SnapshotRow]: ...

    def applied_by(self, head: dict[str, Any] | None, log_id: str) -> list[tuple[str, str]] | None: ...

    def save(
        self,
        feed: str,
        entries: Mapping[tuple[str, str], Sequence[Any]],
        *,
        changed: Collection[tuple[str, str]],
        reached: Sequence[tuple[str, str]],
        head: dict[str, Any] | None,
        log_id: str,
        now: datetime,
    ) -> None: ...

    def listed_elsewhere(self, keys: Sequence[tuple[str, str]], feed: str) -> set[tuple[str, str]]: ...


class RunStore(Protocol):
    """The parts of jobfeed.store.Store that starting and finishing a run use."""

    @property
    def logs(self) -> LogRepo: ...

    @property
    def feeds(self) -> FeedStates: ...

    @property
    def dead_letters(self) -> DeadLetters: ...

    @property
    def jobs(self) -> Jobs: ...

    @property
    def snapshots(self) -> Snapshots: ...

    def prepare(self, now: datetime) -> object: ...  # indexes and backfills when the layout is older; idempotent


class LockAnswer(Protocol):
    """jobfeed.ops.locks.LockResult: taken or not, who holds it, or why Redis could not be asked."""

    @property
    def acquired(self) -> bool: ...

    @property
    def holder(self) -> str | None: ...

    @property
    def unavailable(self) -> str | None: ...


class Locks(Protocol):
    """jobfeed.ops.locks.FeedLocks: per-feed locks held under a token (the flow run id)."""

    def acquire(self, feed_url: str, token: str) -> LockAnswer: ...

    def release(self, feed_url: str, token: str) -> bool: ...


# Called once a feed's state was recorded, with the state from before the run: notifications and
# auto-disable (jobfeed.ops.notify) live above the pipeline and must never fail a run.
AfterRecord = Callable[[str, str, Mapping[str, Any] | None], object]


class Archive(Protocol):
    """Where parsed feed bodies are kept, gzip-compressed, by the SHA-256 of their bytes (docs/provenance.md):
    jobfeed.store.archive.GridFSArchive (bucket `feed_bodies`), jobfeed.pipeline.archive_dir.DirArchive.

    A board's list pages are kept one by one, with a manifest (`pages=True`) whose bytes are their hashes,
    one a line: its SHA-256 is the board's combined body hash (jobfeed/fetch/pages.py).
    """

    def put(self, sha256: str, source: Path | Readable, *, pages: bool = False) -> bool:
        """Store the bytes of `source` (streamed) under `sha256`, checked against them; True when stored now,
        False when they were kept already (then marked seen now, for retention)."""
        ...

    def has(self, sha256: str) -> bool: ...

    def is_pages(self, sha256: str) -> bool:
        """True for a board's manifest (its bytes are the hashes of its pages)."""
        ...

    def open(self, sha256: str) -> AbstractContextManager[Readable]:
        """The stored bytes, decompressed as they are read; KeyError when they are not kept."""
        ...

    def prune(self, keep: Collection[str], older_than: datetime) -> int:
        """Delete what was last seen before `older_than`, except `keep` and the pages of a kept manifest;
        returns how many bodies went."""
        ...
