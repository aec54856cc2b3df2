"""The materialized `duplicate_groups` (jobfeed/store/duplicates.py) on the real Mongo-compatible server: the same
groups as the aggregation over `jobs`, kept up to date by incremental refreshes, read only while fresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jobfeed.store import Store
from jobfeed.store import duplicates as D
from jobfeed.store.job_reads import aggregate_duplicate_groups, duplicate_groups
from tests.support.lifecycle import JOBICY, JOBSPRESSO, WWR, job_id, seed_duplicates
from tests.support.seed import T0, make_job, seed_jobs

DAY = timedelta(days=1)


def shape(groups: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a reader sees of each group: key, boards, count, last seen, its copies' ids in order."""
    return [(g["dupKey"], g["boards"], g["count"], g["lastSeenAt"], [j["_id"] for j in g["jobs"]]) for g in groups]


def assert_same_as_aggregation(store: Store) -> None:
    for status in (None, "open", "closed"):
        materialized = D.materialized_groups(store, limit=50, status=status)
        assert materialized is not None, "expected a fresh collection"
        assert shape(materialized) == shape(aggregate_duplicate_groups(store, limit=50, status=status)), status


def finished_log(store: Store, *, url: str, at: Any, closed: int = 0) -> str:
    """A finished ImportLog as a run writes it (`closedJobs` as pipeline.finish counts it)."""
    log_id = store.logs.open(feed_url=url, feed_name=url, flow_run_id="run-x", started_at=at)
    store.logs.finish(log_id, finished_at=at + timedelta(minutes=1), fields={"status": "success", "closedJobs": closed})
    return log_id


def test_first_refresh_is_full_and_matches_the_aggregation(store: Store) -> None:
    jobs = seed_duplicates(store)
    assert D.materialized_groups(store, limit=50) is None  # never refreshed: not fresh
    report = D.refresh_duplicate_groups(store, now=T0 + DAY)
    assert (report.full, report.groups, report.removed) == (True, 2, 0)

    acme = store.db[D.COLLECTION].find_one({"_id": jobs["acme_jobicy"].dupKey})
    assert acme is not None
    assert (acme["count"], acme["boards"]) == (3, ["jobicy.com", "jobspresso.co", "weworkremotely.com"])
    assert acme["feeds"] == sorted([JOBICY, WWR, JOBSPRESSO]) and acme["updatedAt"] == T0 + DAY
    assert acme["newest"]["_id"] == job_id(store, jobs["acme_jobspresso"])  # jobspresso's run was the latest
    assert sorted(acme["jobIds"]) == sorted(
        job_id(store, jobs[n]) for n in ("acme_jobicy", "acme_wwr", "acme_jobspresso")
    )
    assert acme["open"]["count"] == 3 and "closed" not in acme
    assert store.db[D.COLLECTION].count_documents({"_id": {"$ne": D.STATE_ID}}) == 2  # `solo` is no group
    assert_same_as_aggregation(store)
    assert shape(duplicate_groups(store)) == shape(aggregate_duplicate_groups(store))


def test_incremental_refresh_follows_new_copies_changed_keys_and_closings(store: Store) -> None:
    jobs = seed_duplicates(store)
    D.refresh_duplicate_groups(store, now=T0 + DAY)

    # a run: the solo job appears on a second board, globex's wwr copy changes its title (so its key),
    # and a feed closes acme's jobicy copy
    at = T0 + 2 * DAY
    seed_jobs(store, [make_job(31, source="jobspresso.co", company="Initech", title="Data Engineer",
                               location="Berlin")], feed_url=JOBSPRESSO, now=at)  # fmt: skip
    seed_jobs(store, [make_job(12, source="weworkremotely.com", company="Globex GmbH", title="Staff Data Engineer",
                               location="Berlin")], feed_url=WWR, now=at)  # fmt: skip
    log_id = finished_log(store, url=JOBICY, at=at, closed=1)
    acme = jobs["acme_jobicy"]
    assert store.jobs.close([acme.key], log_id=log_id, now=at, flow_run_id="run-x", feed=JOBICY) == 1
    assert D.materialized_groups(store, limit=50) is None  # a log finished after the refresh: stale
    assert shape(duplicate_groups(store)) == shape(aggregate_duplicate_groups(store))  # the fallback

    report = D.refresh_duplicate_groups(store, now=at + timedelta(hours=1))
    assert not report.full and report.removed == 1  # globex is on one board now
    keys = {doc["_id"] for doc in store.db[D.COLLECTION].find({"_id": {"$ne": D.STATE_ID}})}
    assert keys == {acme.dupKey, jobs["solo"].dupKey}
    assert_same_as_aggregation(store)
    group = store.db[D.COLLECTION].find_one({"_id": acme.dupKey})
    assert (
        group is not None
        and group["closed"]["count"] == 1
        and group["open"]["boards"]
        == [
            "jobspresso.co",
            "weworkremotely.com",
        ]
    )
    assert D.materialized_groups(store, limit=50, status="closed") == []  # one closed copy is no closed group


def test_freshness_and_a_re_drive_marking_it_stale(store: Store) -> None:
    seed_duplicates(store)
    D.refresh_duplicate_groups(store, now=T0 + DAY)
    assert D.is_fresh(store)
    D.mark_stale(store)
    assert not D.is_fresh(store) and D.materialized_groups(store, limit=5) is None
    D.refresh_duplicate_groups(store, now=T0 + 2 * DAY)
    assert D.is_fresh(store)
    finished_log(store, url=JOBICY, at=T0 + 3 * DAY)
    assert not D.is_fresh(store)


def test_full_refresh_removes_what_is_no_group(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_duplicates(store)
    store.db[D.COLLECTION].insert_one({"_id": "f" * 20, "boards": ["a", "b"], "count": 2, "lastSeenAt": T0})
    report = D.refresh_duplicate_groups(store, now=T0 + DAY)  # no state yet: full
    assert report.full and report.removed == 1 and store.db[D.COLLECTION].find_one({"_id": "f" * 20}) is None

    # more touched jobs than the threshold: recomputed whole rather than key by key
    monkeypatch.setattr(D.C, "DUPLICATE_FULL_REFRESH_AFTER", 1)
    seed_jobs(store, [make_job(40 + i, source="jobspresso.co") for i in range(3)], feed_url=JOBSPRESSO,
              now=T0 + 2 * DAY)  # fmt: skip
    again = D.refresh_duplicate_groups(store, now=T0 + 3 * DAY)
    assert again.full and again.groups == 2
    assert_same_as_aggregation(store)
    state = store.db[D.COLLECTION].find_one({"_id": D.STATE_ID})
    assert state is not None and state["fullAt"] == T0 + 3 * DAY and state["stale"] is False
