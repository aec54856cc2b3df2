"""Dead letters: invalid items are parked with their raw payload; failed batches are re-driven idempotently."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from jobfeed.pipeline.redrive import batch_payload, redrive_letter
from jobfeed.store import Store
from tests.support.seed import make_job

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_invalid_item_is_parked_once_and_redrive_keeps_it_pending(store: Store, feed_server) -> None:
    from flows.import_feeds import import_feeds
    from flows.redrive import redrive_dead_letters

    url = feed_server.url("item_without_identity.xml")
    import_feeds(feed_urls=[url], return_state=True)  # a state: the run is Failed (its only feed is partial)
    store.db.feeds.update_many({}, {"$set": {"etag": None, "lastModified": None, "bodyHash": None}})
    import_feeds(feed_urls=[url], return_state=True)  # the same broken item again: still one letter, two attempts
    letters = store.dead_letters.pending()
    assert len(letters) == 1
    letter = letters[0]
    assert letter["reason"] == "item_invalid" and letter["attempts"] == 2 and letter["feed"] == url
    assert letter["payload"]["kind"] == "item" and json.loads(letter["payload"]["raw"])  # the raw item

    rows = redrive_dead_letters()
    assert [(r["resolved"], r["failed"]) for r in rows] == [(False, 1)]  # today's code still rejects it
    again = store.dead_letters.pending()
    assert len(again) == 1 and again[0]["attempts"] == 3

    # a fixed item (as a parser fix would see it) re-drives into a job and leaves the queue
    raw = json.loads(letter["payload"]["raw"])
    raw["guid"] = "https://example.test/fixed-1"
    store.db.dead_letters.update_one({"key": letter["key"]}, {"$set": {"payload.raw": json.dumps(raw)}})
    rows = redrive_dead_letters(reason="item_invalid")
    assert [(r["resolved"], r["new"]) for r in rows] == [(True, 1)]
    assert store.dead_letters.pending() == []
    assert store.jobs.count({"externalId": "https://example.test/fixed-1"}) == 1


def test_failed_batch_redrive_is_idempotent(store: Store) -> None:
    now = datetime.now(UTC)
    jobs = [make_job(i) for i in range(4)]
    store.dead_letters.add(
        key="run1:abc:0",
        reason="db_error",
        message="AutoReconnect",
        feed="https://jobicy.com/f",
        payload=batch_payload(jobs),
        attempts=4,
        now=now,
    )
    letter = store.dead_letters.pending()[0]
    first = redrive_letter(store, letter, now=now)
    assert first.resolved and (first.counts.new, first.counts.failed) == (4, 0)
    second = redrive_letter(store, letter, now=now)  # e.g. two operators pressing re-drive
    assert second.resolved and second.counts.new == 4  # the same token: counted the same, written once
    assert store.jobs.count() == 4
    assert store.dead_letters.pending() == []
    assert store.db.dead_letters.find_one({"key": "run1:abc:0"})["redriveResult"] == {
        "new": 4,
        "updated": 0,
        "unchanged": 0,
    }


def _park(store: Store, jobs: list, *, feed: str, at: datetime) -> dict:
    store.dead_letters.add(key="run1:abc:0", reason="db_error", message="AutoReconnect", feed=feed,
                           payload=batch_payload(jobs), attempts=4, now=at, attempt_id="log-1")  # fmt: skip
    return store.dead_letters.pending()[0]


def test_a_batch_letter_never_brings_back_content_a_later_run_wrote(store: Store) -> None:
    """Found by the chaos soak (bench/soak): a batch parked while the database was down, then a later run of
    the feed stored a newer edit of the same job; re-driving the old batch must not write the old content back."""
    feed, t0 = "https://jobicy.com/f", datetime(2026, 12, 1, tzinfo=UTC)
    letter = _park(store, [make_job(1, title="edit 1"), make_job(2, title="edit 1")], feed=feed, at=t0)
    later = store.jobs.for_run(log_id="log-2", flow_run_id="run2")
    later.upsert_batch([make_job(1, title="edit 2")], feed_url=feed, token="run2:abc:0", now=t0 + timedelta(hours=1))
    outcome = redrive_letter(store, letter, now=t0 + timedelta(hours=2))
    assert outcome.resolved and (outcome.counts.new, outcome.counts.unchanged) == (1, 1)  # job 2 was never stored
    titles = {doc["externalId"]: doc["title"] for doc in store.jobs.coll.find({}, {"externalId": 1, "title": 1})}
    assert titles == {make_job(1).externalId: "edit 2", make_job(2).externalId: "edit 1"}
    assert store.db.dead_letters.find_one({"key": letter["key"]})["redriveResult"]["superseded"] == 1


def test_a_batch_letter_never_overwrites_a_job_its_feed_listed_again_unchanged(store: Store) -> None:
    """The feed's next run listed the job with the content it had before the failed edit (an edit taken back):
    nothing was written then, but the feed's snapshot vouches for that content; the old batch must not win."""
    feed, t0 = "https://jobicy.com/f", datetime(2026, 12, 1, tzinfo=UTC)
    store.jobs.upsert_batch([make_job(1, title="original")], feed_url=feed, token="run0:abc:0", now=t0)
    letter = _park(store, [make_job(1, title="edit taken back")], feed=feed, at=t0 + timedelta(hours=1))
    entry = [make_job(1).source, make_job(1).externalId, make_job(1, title="original").contentHash, 0,
             t0 + timedelta(hours=2)]  # fmt: skip
    store.snapshots.save(feed, {tuple(entry[:2]): entry[2:]}, changed={tuple(entry[:2])}, reached=[], head=None,
                         log_id="log-3", now=t0 + timedelta(hours=2))  # fmt: skip
    outcome = redrive_letter(store, letter, now=t0 + timedelta(hours=3))
    assert outcome.resolved and outcome.counts.updated == 0
    assert store.jobs.coll.find_one({})["title"] == "original"
