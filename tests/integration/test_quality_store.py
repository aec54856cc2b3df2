"""Data-quality reads on the real server: the drift baseline (store/logs.py) and the dashboard's history
(store/quality_reads.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jobfeed.quality import Profile, Shape
from jobfeed.store import Store, quality_reads
from tests.support.metrics import import_log

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FEED = "https://board.example/feed"
OTHER = "https://other.example/feed"


def parsed(feed: str, started: datetime, items: int = 5, **extra: Any) -> dict[str, Any]:
    """An ImportLog of a parsed body of `items` items."""
    quality = Profile(Shape("rss", "item", (), items, {"title": 1.0}), {"title": 1.0}).to_fields([])
    return {**import_log(feed, "success", started + timedelta(minutes=1)), "startedAt": started, **quality, **extra}


def test_the_baseline_is_the_latest_earlier_parsed_logs_across_widening_windows(store: Store) -> None:
    ages_days = [1, 2, 20, 61, 400, 800]  # the last is beyond the 2-year reach
    store.logs.coll.insert_many([parsed(FEED, NOW - timedelta(days=d), items=d) for d in ages_days])
    store.logs.coll.insert_many([
        {**import_log(FEED, "not_modified", NOW), "startedAt": NOW - timedelta(hours=h)} for h in range(1, 30)
    ])  # fmt: skip
    store.logs.coll.insert_many([
        parsed(FEED, NOW - timedelta(hours=5), replayOf="x"),  # a replay of an archived body
        parsed(OTHER, NOW - timedelta(hours=1)),  # another feed
        parsed(FEED, NOW + timedelta(hours=1)),  # a later run
    ])  # fmt: skip
    found = store.logs.profiled_before(FEED, before=NOW, limit=5)
    assert [doc["shape"]["items"] for doc in found] == [1, 2, 20, 61, 400]  # newest first
    assert set(found[0]) == {"_id", "startedAt", "fieldCoverage", "shape", "drift"}  # only what drift needs
    assert [doc["shape"]["items"] for doc in store.logs.profiled_before(FEED, before=NOW, limit=2)] == [1, 2]
    assert len(store.logs.profiled_before(FEED, before=NOW, limit=10)) == 5  # 800 days: out of reach
    assert store.logs.profiled_before(FEED, before=NOW - timedelta(days=900), limit=5) == []


def test_profile_history_lists_parsed_bodies_oldest_first(store: Store) -> None:
    store.logs.coll.insert_many([
        parsed(FEED, NOW - timedelta(days=3)),
        parsed(FEED, NOW - timedelta(days=1), items=7),
        {**import_log(FEED, "not_modified", NOW), "startedAt": NOW - timedelta(hours=2)},
        parsed(OTHER, NOW - timedelta(hours=3)),
        parsed(FEED, NOW - timedelta(days=40)),  # before the window
    ])  # fmt: skip
    rows = quality_reads.profile_history(store, since=NOW - timedelta(days=7))
    assert [(row["fileName"], row["shape"]["items"]) for row in rows] == [(FEED, 5), (FEED, 7), (OTHER, 5)]
    assert "elements" not in rows[0]["shape"] and rows[0]["fieldCoverage"] == {"title": 1.0}
    one = quality_reads.profile_history(store, since=NOW - timedelta(days=7), feed=OTHER)
    assert [row["fileName"] for row in one] == [OTHER]
