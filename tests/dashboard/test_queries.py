"""The dashboard's read queries (jobfeed/reads.py) and their cache (dashboard/queries.py), on the real server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dashboard import queries
from jobfeed.settings import reset_settings
from jobfeed.store import Store, reads
from jobfeed.store.reads import LogFilter
from tests.support.seed import FEEDS, T0, make_job, seed_dead_letters, seed_history, seed_jobs

WWR = list(FEEDS)[1]


def stages(explained: dict[str, Any]) -> list[str]:
    """Stage names (with index names) of a winning plan, top to bottom."""
    out, node = [], explained["queryPlanner"]["winningPlan"]
    while node:
        out.append(node["stage"] + (f":{node['indexName']}" if "indexName" in node else ""))
        node = node.get("inputStage") or {}
    return out


def test_log_pages_counts_and_filters(store: Store) -> None:
    ids = seed_history(store, 45)
    assert [str(d["_id"]) for d in reads.log_page(store, LogFilter(), page=1)] == ids[:20]
    assert [str(d["_id"]) for d in reads.log_page(store, LogFilter(), page=3)] == ids[40:]
    assert "failures" not in reads.log_page(store, LogFilter(), page=1)[0]  # the table never ships failure lists
    assert reads.count_logs(store, LogFilter()) == 45
    assert reads.count_logs(store, LogFilter(feed=WWR)) == 15
    assert reads.count_logs(store, LogFilter(status="failed")) == 9
    assert reads.count_logs(store, LogFilter(feed=WWR, status="failed")) == 3
    window = LogFilter(since=T0 - timedelta(hours=9, minutes=30), until=T0 - timedelta(hours=4, minutes=30))
    assert [str(d["_id"]) for d in reads.log_page(store, window)] == ids[5:10]
    assert (reads.page_count(0), reads.page_count(20), reads.page_count(21)) == (1, 1, 2)
    assert not reads.any_running(store)


@pytest.mark.parametrize(
    ("flt", "index"),
    [
        (LogFilter(), "startedAt"),
        (LogFilter(feed=WWR), "fileName_startedAt"),
        (LogFilter(status="failed"), "status_startedAt"),
        (LogFilter(feed=WWR, status="failed"), "fileName_status_startedAt"),
        (LogFilter(since=T0 - timedelta(days=7)), "startedAt"),
    ],
)
def test_history_queries_use_an_index(store: Store, flt: LogFilter, index: str) -> None:
    seed_history(store, 12)
    plan = stages(store.logs.coll.find(flt.query(), reads.HISTORY_FIELDS).sort("startedAt", -1).limit(20).explain())
    assert f"IXSCAN:{index}" in plan and "COLLSCAN" not in plan, plan


def test_job_search_is_escaped_case_insensitive_and_paged(store: Store) -> None:
    seed_jobs(store, [make_job(i, title=f"Engineer {i}") for i in range(25)])
    seed_jobs(
        store, [make_job(1, source="weworkremotely.com", title="C++ (Senior) dev", company="A.B.C")], feed_url=WWR
    )
    assert len(reads.search_jobs(store)) == 20 and len(reads.search_jobs(store, page=2)) == 6
    assert "descriptionHtml" not in reads.search_jobs(store)[0]
    assert [j["title"] for j in reads.search_jobs(store, q="c++ (senior")] == ["C++ (Senior) dev"]
    assert reads.count_jobs(store, q="a.b.c") == 1 and reads.count_jobs(store, q="axbxc") == 0  # "." is literal
    assert reads.count_jobs(store, q=".*") == 0  # no regex injection
    assert reads.count_jobs(store, q="ENGINEER 2") == 1 + 5  # 2, 20..24
    assert reads.count_jobs(store, source="weworkremotely.com") == 1
    assert reads.count_jobs(store, q="engineer", cap=10) == 10
    assert reads.job_sources(store) == ["jobicy.com", "weworkremotely.com"]
    job = reads.search_jobs(store, source="weworkremotely.com")[0]
    assert reads.get_job(store, str(job["_id"]))["descriptionHtml"].startswith("<p>")
    assert reads.get_job(store, "nope") is None and reads.get_log(store, "nope") is None
    plan = stages(store.jobs.coll.find(reads.job_filter(None, "jobicy.com")).sort("lastSeenAt", -1).limit(20).explain())
    # MongoDB picks source_lastSeenAt (no in-memory sort); secantusdb takes the first `source` index, then sorts
    assert any(stage.startswith("IXSCAN:source_") for stage in plan) and "COLLSCAN" not in plan, plan


def test_dead_letter_reads(store: Store) -> None:
    seed_dead_letters(store, {"db_error": 3, "http_5xx": 1})
    store.dead_letters.coll.update_one({"key": "db_error-0"}, {"$set": {"redrivenAt": T0}})
    assert reads.dead_letter_counts(store) == {"db_error": 2, "http_5xx": 1}
    assert [d["key"] for d in reads.dead_letter_page(store)] == ["db_error-1", "db_error-2", "http_5xx-0"]
    assert "jobs" not in reads.dead_letter_page(store)[0]["payload"]  # the batch stays on the server
    assert reads.count_dead_letters(store, reason="db_error") == 2
    plan = stages(store.dead_letters.coll.find({"redrivenAt": None}).sort("firstFailedAt", 1).limit(20).explain())
    assert "COLLSCAN" not in plan, plan


def test_feed_daily_stats_by_day_in_the_viewer_zone(store: Store) -> None:
    seed_history(store, 20)  # 17:00 UTC on 9 March .. 12:00 UTC on 10 March, hourly
    since = T0 - timedelta(days=2)

    def runs_per_day(tz: str) -> dict[str, int]:
        days: dict[str, int] = {}
        for row in reads.feed_daily_stats(store, since=since, tz=tz):
            days[row["day"]] = days.get(row["day"], 0) + row["runs"]
        return days

    assert runs_per_day("UTC") == {"2026-03-09": 7, "2026-03-10": 13}
    assert runs_per_day("Asia/Tokyo") == {"2026-03-10": 20}  # +9 h: 02:00 .. 21:00 on the 10th
    rows = reads.feed_daily_stats(store, since=since)
    assert sum(r["newJobs"] for r in rows) == sum(d["newJobs"] for d in store.logs.coll.find({}, {"newJobs": 1}))
    assert {r["status"] for r in rows} == {"success", "failed", "partial"}
    assert reads.feed_daily_stats(store, since=T0 + timedelta(hours=1)) == []


def test_cached_queries_are_keyed_by_database(store: Store, monkeypatch) -> None:
    seed_history(store, 3)
    assert queries.count_logs(LogFilter()) == 3
    monkeypatch.setenv("MONGODB_DB", store.db.name + "_other")
    reset_settings()
    try:
        assert queries.count_logs(LogFilter()) == 0  # not the first database's cached 3
    finally:
        queries.store().client.drop_database(store.db.name + "_other")
