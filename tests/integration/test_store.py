"""The Mongo repository against a real secantusd-py server: exact counts, idempotent retries, races."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import MongoClient, monitoring

from jobfeed.constants import LAST_SEEN_REFRESH_S
from jobfeed.importlog import LogStatus
from jobfeed.models import ConditionalState
from jobfeed.store import Store
from tests.support.seed import make_job

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_new_unchanged_updated_counts_are_exact(store: Store) -> None:
    jobs = [make_job(i) for i in range(10)]
    first = store.jobs.upsert_batch(jobs, feed_url="f1", token="run1:0", now=NOW)
    assert (first.new, first.updated, first.unchanged, first.failed) == (10, 0, 0, 0)

    second = store.jobs.upsert_batch(jobs, feed_url="f1", token="run2:0", now=NOW + timedelta(hours=1))
    assert (second.new, second.updated, second.unchanged) == (0, 0, 10)

    edited = [make_job(i, title=f"Senior {i}") if i < 3 else make_job(i) for i in range(12)]
    third = store.jobs.upsert_batch(edited, feed_url="f1", token="run3:0", now=NOW + timedelta(hours=2))
    assert (third.new, third.updated, third.unchanged) == (2, 3, 7)
    assert store.jobs.count() == 12
    doc = store.db.jobs.find_one({"externalId": "https://jobicy.com/?p=0"})
    assert doc["title"] == "Senior 0"
    assert doc["firstSeenAt"] == NOW and doc["lastChangedAt"] == NOW + timedelta(hours=2)
    assert doc["descriptionHtml"] == "<p>line one</p>\n<p>line two</p>"  # multi-line HTML intact
    untouched = store.db.jobs.find_one({"externalId": "https://jobicy.com/?p=5"})
    assert untouched["lastWrite"]["token"] == "run1:0"  # unchanged jobs were never rewritten
    assert untouched["lastSeenAt"] == NOW  # seen again within LAST_SEEN_REFRESH_S: not even touched


def test_retry_of_half_written_batch_counts_the_same(store: Store) -> None:
    store.jobs.upsert_batch([make_job(0)], feed_url="f1", token="old", now=NOW)
    batch = [make_job(0, title="Changed 0")] + [make_job(i) for i in range(1, 6)]
    # attempt 1 "crashed" after writing the first four ops
    store.jobs.upsert_batch(batch[:4], feed_url="f1", token="run:7", now=NOW)
    retried = store.jobs.upsert_batch(batch, feed_url="f1", token="run:7", now=NOW)
    assert (retried.new, retried.updated, retried.unchanged, retried.failed) == (5, 1, 0, 0)


def test_two_feeds_racing_on_the_same_jobs_count_each_job_once(store: Store) -> None:
    jobs = [make_job(i) for i in range(200)]
    results = {}
    barrier = threading.Barrier(2)

    def run(feed: str) -> None:
        barrier.wait()
        results[feed] = store.jobs.upsert_batch(jobs, feed_url=feed, token=f"{feed}:0", now=NOW)

    threads = [threading.Thread(target=run, args=(f,)) for f in ("feedA", "feedB")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    a, b = results["feedA"], results["feedB"]
    assert a.failed == b.failed == 0
    assert a.new + b.new == 200  # every job inserted exactly once
    assert a.total == b.total == 200
    assert store.jobs.count() == 200
    assert store.db.jobs.count_documents({"feeds": {"$all": ["feedA", "feedB"]}}) == 200


class CommandLog(monitoring.CommandListener):
    """The names of the commands a client sends (what the server is asked to do)."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name != "endSessions":  # pymongo closing its sessions, not our work
            self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...
    def failed(self, event: monitoring.CommandFailedEvent) -> None: ...


@pytest.fixture
def watched(store: Store, mongo_service) -> Iterator[tuple[Store, CommandLog]]:
    """The test's database through a client that records every command it sends."""
    log = CommandLog()
    client = MongoClient(mongo_service.uri, tz_aware=True, event_listeners=[log])
    yield Store(client, store.db.name), log
    client.close()


def test_unchanged_batch_costs_one_read_and_no_write(store: Store, watched: tuple[Store, CommandLog]) -> None:
    jobs = [make_job(i) for i in range(50)]
    store.jobs.upsert_batch(jobs, feed_url="f1", token="a", now=NOW)
    other, log = watched
    counts = other.jobs.upsert_batch(jobs, feed_url="f1", token="b", now=NOW + timedelta(hours=1))
    assert counts.unchanged == 50
    assert log.commands == ["find"]  # seen again within LAST_SEEN_REFRESH_S: nothing to write


def test_unchanged_jobs_are_touched_after_the_refresh_interval_or_from_a_new_feed(
    store: Store, watched: tuple[Store, CommandLog]
) -> None:
    jobs = [make_job(i) for i in range(4)]
    store.jobs.upsert_batch(jobs, feed_url="f1", token="r1", now=NOW)
    other, log = watched
    soon = NOW + timedelta(seconds=LAST_SEEN_REFRESH_S - 60)
    later = NOW + timedelta(seconds=LAST_SEEN_REFRESH_S + 60)

    counts = other.jobs.upsert_batch(jobs[:2], feed_url="f2", token="r2", now=soon)  # a second feed of the board
    assert counts.unchanged == 2 and log.commands == ["find", "update"]  # one statement for the batch
    assert store.db.jobs.find_one({"externalId": jobs[0].externalId})["feeds"] == ["f1", "f2"]
    assert store.db.jobs.find_one({"externalId": jobs[3].externalId})["feeds"] == ["f1"]

    log.commands.clear()
    counts = other.jobs.upsert_batch(jobs, feed_url="f1", token="r3", now=later)
    assert counts.unchanged == 4 and log.commands == ["find", "update"]
    seen = {doc["externalId"]: doc["lastSeenAt"] for doc in store.db.jobs.find()}
    assert [seen[job.externalId] for job in jobs] == [soon, soon, later, later]  # 0, 1 were stamped at `soon`
    assert {doc["lastWrite"]["token"] for doc in store.db.jobs.find()} == {"r1"}  # touched, never rewritten


def test_new_jobs_are_plain_inserts(watched: tuple[Store, CommandLog]) -> None:
    other, log = watched
    counts = other.jobs.upsert_batch([make_job(i) for i in range(3)], feed_url="f1", token="r1", now=NOW)
    assert (counts.new, log.commands) == (3, ["find", "insert"])  # not upserts: ~3x cheaper for the server
    doc = other.db.jobs.find_one({"externalId": "https://jobicy.com/?p=0"}, {"_id": 0, "lastWrite": 0})
    assert doc["descriptionText"] == "line one\nline two"  # derived from the HTML when written
    assert (doc["firstSeenAt"], doc["lastSeenAt"], doc["lastChangedAt"], doc["feeds"]) == (NOW, NOW, NOW, ["f1"])


def test_database_rejects_one_item_the_rest_import(store: Store) -> None:
    huge = replace(make_job(1), descriptionHtml="x" * (17 * 1024 * 1024), contentHash="huge")  # > 16 MB BSON
    counts = store.jobs.upsert_batch([make_job(0), huge, make_job(2)], feed_url="f", token="t", now=NOW)
    assert (counts.new, counts.failed) == (2, 1)
    assert counts.failures[0].reason.value == "item_invalid"
    assert counts.failures[0].itemKey == huge.externalId


def test_import_log_finishes_once(store: Store) -> None:
    log_id = store.logs.open(feed_url="https://x.example/f", feed_name="x", flow_run_id="r1", started_at=NOW)
    assert store.logs.get(log_id)["status"] == "running"
    done = store.logs.finish(log_id, finished_at=NOW + timedelta(seconds=2), fields={"status": "success"})
    assert done["status"] == "success" and done["durationMs"] == 2000 and done["timestamp"] == done["finishedAt"]
    assert store.logs.finish(log_id, finished_at=NOW, fields={"status": "failed"}) is None
    assert store.logs.latest(limit=5)[0]["status"] == "success"


@pytest.mark.parametrize(
    ("statuses", "failures", "has_success"),
    [
        (["failed", "failed"], 2, False),
        (["failed", "success"], 0, True),
        (["not_modified"], 0, True),
        # partial neither adds to a streak nor ends one: only `failed` counts, only OK statuses reset
        (["failed", "partial", "failed"], 2, False),
        (["failed", "failed", "partial"], 2, False),
        (["partial"], 0, False),
        (["failed", "partial", "not_modified"], 0, True),
    ],
)
def test_feed_state_streaks(store: Store, statuses: list[str], failures: int, has_success: bool) -> None:
    for status in statuses:
        store.feeds.record_run("u", name="n", status=status, now=NOW, conditional=None, error_reason=None)
    doc = store.feeds.get("u")
    assert doc["consecutiveFailures"] == failures
    assert ("lastSuccessAt" in doc) is has_success
    assert doc["lastStatus"] == statuses[-1]


def test_conditional_state_saved_only_when_given(store: Store) -> None:
    store.feeds.record_run(
        "u",
        name="n",
        status=LogStatus.SUCCESS.value,
        now=NOW,
        conditional=ConditionalState('"e1"', "Mon, 01 Jan 2026 00:00:00 GMT", "h1"),
        error_reason=None,
    )
    store.feeds.record_run(
        "u", name="n", status=LogStatus.FAILED.value, now=NOW, conditional=None, error_reason="db_error"
    )
    assert store.feeds.conditional_state("u") == ConditionalState('"e1"', "Mon, 01 Jan 2026 00:00:00 GMT", "h1")


def test_recording_the_same_run_twice_counts_once(store: Store) -> None:
    for log_id in ("log-1", "log-1", "log-2", "log-2"):  # each run's record task retried once
        store.feeds.record_run(
            "u", name="n", status="failed", now=NOW, conditional=None, error_reason="http_5xx", log_id=log_id
        )
        store.dead_letters.add(
            key="item:x",
            reason="item_invalid",
            message="m",
            feed="u",
            payload={},
            attempts=1,
            now=NOW,
            attempt_id=log_id,
        )
    assert store.feeds.get("u")["consecutiveFailures"] == 2
    assert store.dead_letters.pending()[0]["attempts"] == 2


def test_ensure_indexes_creates_the_declared_ones_and_drops_retired_ones(store: Store) -> None:
    from jobfeed.store.indexes import INDEXES, RETIRED, ensure_indexes

    store.db.jobs.create_index([("source", 1), ("publishedAt", -1)], name="source_publishedAt")  # an older version's
    first = ensure_indexes(store.db)
    again = ensure_indexes(store.db)  # idempotent
    assert first.dropped == ["jobs.source_publishedAt"] and first.created == []  # the `store` fixture made them
    assert again.created == again.dropped == [] and len(again.existing) == sum(map(len, INDEXES.values()))
    names = set(store.db.jobs.index_information())
    assert {model.document["name"] for model in INDEXES["jobs"]} <= names
    assert not names & set(RETIRED["jobs"])
    assert store.db.jobs.index_information()["source_externalId"].get("unique") is True  # the contract's identity
