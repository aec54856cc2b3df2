"""The raw feed archive in GridFS (bucket `feed_bodies`) on the real secantusd-py server, the replay writes of
the jobs repository, and the store's reads of which body each log stands on."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import ObjectId
from gridfs import GridFSBucket

from jobfeed.importlog import BODY_SHA256, REPLAY_OF
from jobfeed.pipeline.archive import keep_body, restore_body
from jobfeed.store import Store
from jobfeed.store.archive import GridFSArchive
from jobfeed.store.provenance import BodyIndex
from tests.support.feeds import many_items_feed
from tests.support.seed import make_job

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_back(archive: GridFSArchive, digest: str) -> bytes:
    with archive.open(digest) as stream:
        return stream.read()


@pytest.fixture
def archive(store: Store) -> GridFSArchive:
    return GridFSArchive(store.db)


def test_a_body_is_kept_gzipped_in_the_bucket_and_read_back(store: Store, archive: GridFSArchive) -> None:
    data = many_items_feed("gridfs", 300)
    digest = sha(data)
    assert archive.put(digest, io.BytesIO(data)) is True
    (doc,) = store.db["feed_bodies.files"].find({})
    assert doc["filename"] == digest and doc["metadata"]["encoding"] == "gzip" and not doc["metadata"]["pages"]
    assert doc["length"] < len(data) / 4  # stored compressed
    chunks = b"".join(c["data"] for c in store.db["feed_bodies.chunks"].find({"files_id": doc["_id"]}).sort("n", 1))
    assert gzip.decompress(chunks) == data
    assert archive.has(digest) and not archive.has(sha(b"other")) and read_back(archive, digest) == data
    bucket = GridFSBucket(store.db, bucket_name="feed_bodies")  # the GridFS layout: pymongo's reader agrees
    assert gzip.decompress(bucket.open_download_stream_by_name(digest).read()) == data
    with pytest.raises(KeyError):
        read_back(archive, sha(b"other"))


def test_keeping_a_body_again_stores_nothing_and_marks_it_seen(store: Store, archive: GridFSArchive) -> None:
    data = many_items_feed("again", 3)
    archive.put(sha(data), io.BytesIO(data))
    store.db["feed_bodies.files"].update_many({}, {"$set": {"metadata.seenAt": NOW - timedelta(days=90)}})
    assert archive.put(sha(data), io.BytesIO(data)) is False
    (doc,) = store.db["feed_bodies.files"].find({})
    assert doc["metadata"]["seenAt"] > datetime.now(UTC) - timedelta(minutes=5)


def test_wrong_bytes_are_refused_and_leave_no_chunk(store: Store, archive: GridFSArchive) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        archive.put(sha(b"claimed"), io.BytesIO(b"actual bytes" * 50_000))
    assert store.db["feed_bodies.files"].count_documents({}) == 0
    assert store.db["feed_bodies.chunks"].count_documents({}) == 0


class HeldStream(io.BytesIO):
    """Bytes whose first read waits until every racer is past the `already kept?` check."""

    def __init__(self, data: bytes, barrier: threading.Barrier) -> None:
        super().__init__(data)
        self.barrier: threading.Barrier | None = barrier

    def read(self, size: int | None = -1, /) -> bytes:
        if self.barrier is not None:
            barrier, self.barrier = self.barrier, None
            barrier.wait(timeout=10)
        return super().read(size)


def test_two_runs_storing_one_body_at_once_leave_one_copy(store: Store, archive: GridFSArchive) -> None:
    data = many_items_feed("race", 500)
    barrier = threading.Barrier(2)
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(archive.put(sha(data), HeldStream(data, barrier))))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]  # both uploaded; the second was refused and dropped its chunks
    (doc,) = store.db["feed_bodies.files"].find({})
    assert store.db["feed_bodies.chunks"].count_documents({"files_id": {"$ne": doc["_id"]}}) == 0
    assert read_back(archive, sha(data)) == data


def test_pruning_keeps_what_is_in_use_or_young_and_drops_dead_uploads(store: Store, archive: GridFSArchive) -> None:
    bodies = {name: many_items_feed(name, 3) for name in ("young", "old", "in-use")}
    for data in bodies.values():
        archive.put(sha(data), io.BytesIO(data))
    files = store.db["feed_bodies.files"]
    files.update_many({"filename": {"$ne": sha(bodies["young"])}}, {"$set": {"metadata.seenAt": NOW - timedelta(40)}})
    dead = ObjectId.from_datetime(datetime.now(UTC) - timedelta(days=2))  # an upload killed halfway, long ago
    store.db["feed_bodies.chunks"].insert_one({"files_id": dead, "n": 0, "data": b"partial"})
    assert archive.prune({sha(bodies["in-use"])}, NOW - timedelta(days=30)) == 1
    assert sorted(doc["filename"] for doc in files.find({})) == sorted([sha(bodies["young"]), sha(bodies["in-use"])])
    assert store.db["feed_bodies.chunks"].count_documents({"files_id": dead}) == 0


def test_memory_stays_flat_for_a_20_mib_body(tmp_path: Path, archive: GridFSArchive) -> None:
    data = os.urandom(MiB) * 20
    path = tmp_path / "body"
    path.write_bytes(data)
    digest = sha(data)
    del data
    into = tmp_path / "spool"
    into.mkdir()
    tracemalloc.start()
    try:
        assert keep_body(archive, [path], digest, paged=False) is True
        (restored,) = restore_body(archive, digest, into)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert restored.stat().st_size == 20 * MiB
    assert peak < 5 * MiB, f"archiving and restoring a 20 MiB body in GridFS peaked at {peak / MiB:.1f} MiB"


def log_doc(feed: str, started: datetime, body: str | None, **extra: object) -> dict[str, object]:
    return {"fileName": feed, "feedName": feed, "startedAt": started, "status": "success", BODY_SHA256: body, **extra}


def test_the_bodies_in_use_are_each_feeds_latest_its_state_and_its_snapshot(store: Store) -> None:
    logs = store.db.import_logs
    a1, a2, b1, b2, s1 = (c * 64 for c in "12345")
    logs.insert_many([
        log_doc("feed-a", NOW - timedelta(hours=3), a1),
        log_doc("feed-a", NOW - timedelta(hours=2), a2),
        log_doc("feed-a", NOW - timedelta(hours=1), None, status="failed"),  # no body: a2 is still the latest
        log_doc("feed-a", NOW, a1, **{REPLAY_OF: "x"}),  # a replay is not the feed's own run
        log_doc("feed-b", NOW - timedelta(hours=2), b1),
    ])  # fmt: skip
    snapshot_log = logs.insert_one(log_doc("feed-b", NOW - timedelta(hours=1), s1)).inserted_id
    logs.insert_one(log_doc("feed-b", NOW, b2))
    store.db.feeds.insert_many([{"url": "feed-a", "bodyHash": None}, {"url": "feed-b", "bodyHash": b1}])
    store.db.feed_snapshots.insert_one({"_id": "feed-b", "version": str(snapshot_log)})
    index = BodyIndex(store.db)
    assert index.latest_body("feed-a") == a2
    assert index.in_use() == {a2, b2, b1, s1}
    at = index.latest_with_body("feed-a", at=NOW - timedelta(hours=2, minutes=30))
    assert at is not None and at[BODY_SHA256] == a1


def test_a_replay_writes_content_but_never_sees_or_reopens_a_job(store: Store) -> None:
    jobs = [make_job(i) for i in range(4)]
    store.jobs.upsert_batch(jobs, feed_url="f1", token="run1:0", now=NOW)
    store.db.jobs.update_one({"externalId": jobs[3].externalId}, {"$set": {"status": "closed"}})
    edited = [make_job(0, title="Renamed by a parser fix"), *jobs[1:]]
    later = NOW + timedelta(days=2)  # lastSeenAt is stale: a normal run would touch every unchanged job
    dry = store.jobs.compare_batch([*edited, make_job(9)])
    assert (dry.new, dry.updated, dry.unchanged) == (1, 1, 3)
    assert store.jobs.count() == 4  # a comparison writes nothing
    counts = store.jobs.for_replay(flow_run_id="replay-1").upsert_batch(edited, feed_url="f2", token="r:0", now=later)
    assert (counts.new, counts.updated, counts.unchanged, counts.reopened) == (0, 1, 3, 0)
    renamed = store.db.jobs.find_one({"externalId": jobs[0].externalId})
    assert renamed["title"] == "Renamed by a parser fix" and renamed["lastChangedAt"] == later
    assert renamed["lastSeenAt"] == NOW and renamed["feeds"] == ["f1"]  # not seen by the replay
    assert store.db.jobs.count_documents({"lastSeenAt": NOW}) == 4  # no touch either
    assert store.db.jobs.find_one({"externalId": jobs[3].externalId})["status"] == "closed"  # not reopened
    (change,) = store.db.job_changes.find({})
    assert change["flowRunId"] == "replay-1" and change["changes"]["title"]["new"] == "Renamed by a parser fix"
