"""A feed's snapshot: the identities it lists, with their content hash, misses and last store visit.

Pure logic (no I/O). The store keeps one snapshot per feed (jobfeed/store/snapshots.py); the fetch step
reads it once and lets an item whose hash is unchanged skip the store entirely (`Listing.classify`); the
finish step applies the run to it (`apply_fetched`, `apply_not_modified`) and closes the jobs that no
feed lists any more. Lifecycle rules (docs/architecture.md):

- a run whose whole body was parsed (success, partial) or confirmed unchanged (not_modified) is a snapshot;
  every identity seen in the body counts as listed, even when its item or its batch failed;
- an entry not listed by a snapshot gets a miss; at `close_after` misses it leaves the snapshot and its
  job becomes a closing candidate (closed when no other feed's snapshot lists it);
- failed and skipped runs change nothing.

An entry present in a snapshot therefore always has misses < close_after: a job that left every
snapshot comes back as "new to the snapshot", goes to the store, and the store reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

Key = tuple[str, str]  # (source, externalId): a job's identity
UNKNOWN_HASH = ""  # an entry whose stored content is unknown (its write failed): never equals an item's hash


class Entry(NamedTuple):
    """One identity of a feed's snapshot (a plain tuple: the store reads and writes it as a row)."""

    content_hash: str
    misses: int = 0  # consecutive snapshots of this feed that did not list it (< close_after while present)
    listed_at: datetime | None = None  # when this feed last sent it to the store (lastSeenAt refresh)


Snapshot = dict[Key, Entry]


class Sent(NamedTuple):
    """A listed identity that goes to the store in batch `batch` (new, changed, missed before, or stale).

    A tuple, not a dataclass: a first import pickles 20,000 of them into the run's spool, and a frozen
    slotted dataclass pickles ~10x slower (bench/README.md)."""

    batch: int
    key: Key
    content_hash: str


@dataclass(slots=True)
class Listing:
    """What one parsed body says about the feed's snapshot; kept in the run's spool for the finish step.

    `unchanged` items never reach the store (no batch file, no read, no write); `sent` ones do, and
    enter the snapshot only once their batch is confirmed stored; `missed` are the snapshot's entries
    the body did not list.
    """

    unchanged: int = 0
    sent: list[Sent] = field(default_factory=list)
    missed: list[Key] = field(default_factory=list)
    listed: set[Key] = field(default_factory=set)  # only while ingesting; not persisted

    def classify(self, snapshot: Snapshot, key: Key, content_hash: str, *, refresh_before: datetime) -> bool:
        """True when the item is unchanged (skip the store); records it as listed either way."""
        self.listed.add(key)
        entry = snapshot.get(key)
        return (
            entry is not None
            and entry.content_hash == content_hash
            and entry.misses == 0  # a job listed again after a miss goes to the store: it may have been closed
            and entry.listed_at is not None
            and entry.listed_at >= refresh_before
        )

    def finish_listing(self, snapshot: Snapshot) -> None:
        """After the last item: the snapshot entries the body did not list are this run's misses."""
        self.missed = [key for key in snapshot if key not in self.listed]
        self.listed = set()  # not needed any more; the spool file stays small

    def reset(self) -> None:
        """The parser starts over from the top of the body."""
        self.unchanged = 0
        self.sent.clear()
        self.missed.clear()
        self.listed.clear()


def refresh_cutoff(now: datetime, refresh_s: float) -> datetime:
    """Entries the store saw before this time go to it again (to re-stamp the job's lastSeenAt)."""
    return now - timedelta(seconds=refresh_s)


@dataclass(slots=True)
class Applied:
    """A snapshot after a run: the entries, the keys whose entries changed, and the closing candidates."""

    entries: Snapshot
    changed: set[Key] = field(default_factory=set)  # added, updated or removed: their chunks are rewritten
    reached: list[Key] = field(default_factory=list)  # reached close_after misses in this run: may close


def apply_fetched(
    snapshot: Snapshot,
    listing: Listing,
    *,
    stored_batches: set[int],
    close_after: int,
    now: datetime,
) -> Applied:
    """A parsed body applied to the snapshot: confirmed items enter or are refreshed, missed ones age.

    Items of a batch that was not stored stay absent or keep their entry without a hash: a failed write may
    have reached the database all the same (its acknowledgement lost), so no hash vouches for what is
    stored, and the next run sends them to the store whatever they say, even the content of before.
    They were listed all the same, so they get no miss (the listing's `missed` excludes them).
    """
    result = Applied(dict(snapshot))
    for sent in listing.sent:
        if sent.batch in stored_batches:
            result.entries[sent.key] = Entry(sent.content_hash, 0, now)
            result.changed.add(sent.key)
        elif (entry := result.entries.get(sent.key)) is not None and entry.content_hash != UNKNOWN_HASH:
            result.entries[sent.key] = Entry(UNKNOWN_HASH, entry.misses, entry.listed_at)
            result.changed.add(sent.key)
    for key in listing.missed:
        _miss(result, key, close_after)
    return result


def apply_not_modified(snapshot: Snapshot, *, close_after: int) -> Applied:
    """The same body as last time: it lists what the last parse listed, so entries already missing it
    (misses > 0) miss it once more and entries it listed (misses 0) stay as they are."""
    result = Applied(dict(snapshot))
    for key, entry in snapshot.items():
        if entry.misses > 0:
            _miss(result, key, close_after)
    return result


def _miss(result: Applied, key: Key, close_after: int) -> None:
    entry = result.entries.get(key)
    if entry is None:
        return
    result.changed.add(key)
    if entry.misses + 1 >= close_after:
        del result.entries[key]  # leaves the snapshot: absent means "this feed does not list it"
        result.reached.append(key)
    else:
        result.entries[key] = Entry(entry.content_hash, entry.misses + 1, entry.listed_at)
