"""Dead letters: invalid items are parked with their raw payload; failed batches are re-driven idempotently."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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
