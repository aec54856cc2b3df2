"""The job lifecycle in the dashboard (AppTest, real database): open/closed filter, collapsed duplicates, the job
detail with its timeline, the Duplicates page, and closed/reopened counts on History and Run detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from jobfeed.store import Store
from tests.support.dashboard import no_exception
from tests.support.lifecycle import add_change, close, job_id, seed_duplicates
from tests.support.seed import SECRET, T0, make_job, seed_history, seed_jobs, texts

pytestmark = pytest.mark.usefixtures("db_name")


def test_jobs_page_filters_open_and_closed(open_page, store: Store) -> None:
    jobs = [make_job(i) for i in range(6)]
    seed_jobs(store, jobs)
    for job in jobs[:2]:
        close(store, job, T0)
    at = open_page("jobs")
    no_exception(at)
    table = at.dataframe[0].value
    assert len(table) == 4 and set(table["status"]) == {"open"}  # open by default; no status yet = open
    assert all(link.startswith("job?id=") for link in table["detail"])
    at.selectbox(key="job-status").set_value("closed").run()
    assert sorted(at.dataframe[0].value["title"]) == ["Engineer 0", "Engineer 1"]
    at.selectbox(key="job-status").set_value("all").run()
    assert len(at.dataframe[0].value) == 6

    at.text_input(key="job-q").input("Engineer 4").run()
    at.selectbox(key="job-status").set_value("closed").run()
    assert "No job matches this search." in at.info[0].value


def test_jobs_page_says_when_every_job_is_closed(open_page, store: Store) -> None:
    job = make_job(1)
    seed_jobs(store, [job])
    close(store, job, T0)
    at = open_page("jobs")
    assert "No job matches this search." in at.info[0].value  # not "no jobs yet": there is a closed one


def test_jobs_page_collapses_duplicate_groups(open_page, store: Store) -> None:
    seed_duplicates(store)
    at = open_page("jobs")
    assert len(at.dataframe[0].value) == 6
    at.toggle(key="job-collapse").set_value(True).run()
    no_exception(at)
    table = at.dataframe[0].value
    rows = dict(zip(table["company"], zip(table["source"], table["copies"], strict=True), strict=True))
    assert rows == {
        "Acme, Inc": ("jobicy.com, jobspresso.co, weworkremotely.com", 3),  # the most recently seen copy
        "Globex GmbH": ("jobicy.com, weworkremotely.com", 2),
        "Initech": ("jobicy.com", 1),
    }
    assert "Page 1 of 1 · 3 rows" in texts(at)


def test_job_detail_shows_status_other_boards_and_timeline(open_page, store: Store) -> None:
    jobs = seed_duplicates(store)
    acme = jobs["acme_jobicy"]
    add_change(store, acme, T0 + timedelta(hours=1), {"title": {"old": "Backend Engineer", "new": acme.title}})
    diff = {"diff": "--- old\n+++ new\n-line one\n+line 1", "diffTruncated": True, "oldHash": "a", "newHash": "b"}
    add_change(store, acme, T0 + timedelta(hours=2), {"description": diff}, feed=f"https://x.example/?token={SECRET}")
    add_change(store, acme, T0 + timedelta(hours=3), {"status": {"old": "open", "new": "closed"}})
    close(store, acme, T0 + timedelta(hours=3))
    at = open_page("job", query={"id": str(job_id(store, acme))})
    no_exception(at)
    assert at.subheader[0].value.startswith("Sr\\. Backend Engineer")
    page = texts(at)
    assert "closed since 2026-03-10 15:00:00" in page and "Also listed on 2 other board(s)" in page
    others = at.dataframe[0].value
    assert sorted(others["source"]) == ["jobspresso.co", "weworkremotely.com"]
    assert all(link.startswith("job?id=") for link in others["detail"])
    labels = [e.label for e in at.expander]
    assert labels == [
        "2026-03-10 15:00:00 · closed",
        "2026-03-10 14:00:00 · changed · description",
        "2026-03-10 13:00:00 · changed · title",
    ]  # newest first
    assert "2026-03-10 12:00:00 · first seen" in page and "Timeline** (3 change(s)" in page
    assert at.code[0].value.endswith("+line 1") and "The diff is cut at 4 KB." in page
    title_change = at.dataframe[1].value
    assert list(title_change.iloc[0]) == ["title", "Backend Engineer", "Sr. Backend Engineer"]
    assert SECRET not in page


def test_job_detail_without_or_with_a_wrong_id(open_page, store: Store) -> None:
    at = open_page("job")
    no_exception(at)
    assert "Open a job from **Jobs**" in at.info[0].value
    at = open_page("job", query={"id": "nope"})
    assert "This job is gone" in at.warning[0].value


def test_jobs_page_opens_the_detail_inline(open_page, store: Store) -> None:
    jobs = seed_duplicates(store)
    at = open_page("jobs")
    chosen = str(job_id(store, jobs["globex_wwr"]))
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("job-open-"))).set_value(chosen).run()
    no_exception(at)
    assert at.subheader[0].value == "Data Engineer" and "Also listed on 1 other board(s)" in texts(at)


def test_duplicates_page_lists_groups(open_page, store: Store) -> None:
    jobs = seed_duplicates(store)
    at = open_page("duplicates")
    no_exception(at)
    groups = at.dataframe[0].value
    assert list(groups["boards"]) == ["jobicy.com, jobspresso.co, weworkremotely.com", "jobicy.com, weworkremotely.com"]
    assert list(groups["copies"]) == [3, 2] and len(at.expander) == 2
    close(store, jobs["globex_wwr"], T0)
    at.selectbox(key="dup-status").set_value("open").run()
    assert list(at.dataframe[0].value["copies"]) == [3]


def test_duplicates_page_when_none(open_page, store: Store) -> None:
    seed_jobs(store, [make_job(i) for i in range(3)])
    at = open_page("duplicates")
    no_exception(at)
    assert "No job is listed on more than one board." in at.info[0].value


def test_history_and_run_detail_show_closed_and_reopened(open_page, store: Store) -> None:
    ids = seed_history(store, 3)
    store.logs.coll.update_one({"_id": ObjectId(ids[0])}, {"$set": {"closedJobs": 7, "reopenedJobs": 2}})
    at = open_page()
    at.selectbox(key="history-period").set_value("all time").run()  # the seeded logs are older than a week
    table = at.dataframe[0].value
    assert list(table["closed"]) == [7, 0, 0] and list(table["reopened"]) == [2, 0, 0]  # older logs: 0
    at = open_page("run", query={"log": ids[0]})
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["closed"] == "7" and metrics["reopened"] == "2"
