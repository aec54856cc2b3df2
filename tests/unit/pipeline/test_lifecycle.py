"""Feed snapshots and closing on the real Mongo-compatible server: chunks, versions, retried finishes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from jobfeed import constants as C
from jobfeed.importlog import UpsertCounts
from jobfeed.models import ConditionalState, FeedFormat, FeedSpec
from jobfeed.pipeline.lifecycle import record_lifecycle
from jobfeed.pipeline.runs import BatchOutcome, FeedRun, Fetched, NotModified
from jobfeed.pipeline.snapshot import Listing, Sent
from jobfeed.pipeline.spool import FeedSpool, save_value
from jobfeed.store.changes import changed_fields
from tests.support.seed import make_job

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
FEED = "https://jobicy.com/feed-a"


def test_snapshot_chunks_round_trip_and_an_edit_rewrites_one_chunk(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "SNAPSHOT_CHUNK_ENTRIES", 10)
    rows = {("b", f"id-{n}"): (f"h{n}", 0, NOW) for n in range(35)}
    snapshots = store.snapshots
    snapshots.save(FEED, rows, changed=set(rows), reached=[], head=None, log_id="log-1", now=NOW)
    head = snapshots.head(FEED)
    assert len(head["chunks"]) == 4 and snapshots.load(FEED) == rows
    edited = {**rows, ("b", "id-3"): ("h3-new", 0, NOW)}
    snapshots.save(FEED, edited, changed={("b", "id-3")}, reached=[], head=head, log_id="log-2", now=NOW)
    versions = snapshots.head(FEED)["chunks"]
    assert sorted(versions) == ["log-1", "log-1", "log-1", "log-2"]
    assert snapshots.load(FEED) == edited
    assert store.db.feed_snapshot_chunks.count_documents({"feed": FEED}) == 4  # the old version is gone
    assert snapshots.applied_by(snapshots.head(FEED), "log-2") == [] and snapshots.applied_by(head, "log-2") is None


def _run(feed: FeedSpec, log_id: str) -> FeedRun:
    return FeedRun(feed, log_id, "flow-1", NOW)


def test_a_retried_finish_closes_and_counts_once(store: Any, tmp_path: Any, db_name: str) -> None:
    feed = FeedSpec(url=f"https://jobicy.com/{db_name}/a.xml")
    jobs = [make_job(n) for n in range(3)]
    store.jobs.for_run(log_id="log-0", flow_run_id=None).upsert_batch(
        jobs, feed_url=feed.public_url, token="t0", now=NOW
    )
    spool = FeedSpool(tmp_path, "log-0").reset()
    sent = Listing(sent=[Sent(0, job.key, job.contentHash) for job in jobs])
    stored = [BatchOutcome(0, 3, counts=UpsertCounts(new=3))]

    def fetched(listing: Listing) -> Fetched:
        path = save_value(spool.listing_path, listing)
        return Fetched([], [], ConditionalState(), FeedFormat.RSS, listing=path)

    record: Callable[..., int] = lambda run, outcome, batches=(): record_lifecycle(  # noqa: E731
        run, outcome, batches, store=store, close_after=2, now=NOW
    )
    assert record(_run(feed, "log-1"), fetched(sent), stored) == 0
    assert len(store.snapshots.load(feed.public_url)) == 3
    dropped = Listing(missed=[jobs[0].key])  # the body lists 1 and 2 only
    assert record(_run(feed, "log-2"), fetched(dropped)) == 0
    closing = _run(feed, "log-3")
    assert record(closing, NotModified(ConditionalState())) == 1
    assert record(closing, NotModified(ConditionalState())) == 1  # a retried finish: same count, no second close
    doc = store.db.jobs.find_one({"externalId": jobs[0].externalId})
    assert (doc["status"], doc["closedBy"]) == ("closed", "log-3")
    assert store.db.job_changes.count_documents({"jobId": doc["_id"]}) == 1
    assert set(store.snapshots.load(feed.public_url)) == {jobs[1].key, jobs[2].key}
    assert record(_run(feed, "log-4"), NotModified(ConditionalState())) == 0


def test_changed_fields_names_exactly_what_differs() -> None:
    old = {"title": "A", "company": "X", "publishedAt": NOW, "descriptionHtml": "<p>a</p>", "descriptionText": "a"}
    new = {**old, "company": "Y", "descriptionHtml": "<p>b</p>", "descriptionText": "b" * 10_000}
    changes = changed_fields(old, new)
    assert set(changes) == {"company", "description"}
    assert changes["company"] == {"old": "X", "new": "Y"}
    description = changes["description"]
    assert description["diffTruncated"] and len(description["diff"].encode()) <= C.CHANGE_DIFF_MAX_BYTES
    assert description["oldHash"] != description["newHash"]
