"""Run detail, Feeds, Jobs and Dead letters pages through AppTest, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import streamlit as st

from dashboard.sections.common import fmt_time, md_escape
from jobfeed.importlog import FeedFailure, LogStatus, UpsertCounts, summary_fields
from jobfeed.models import ItemFailure
from jobfeed.reasons import FailureReason
from jobfeed.settings import reset_settings
from jobfeed.store import Store
from tests.support.dashboard import no_exception
from tests.support.seed import FEEDS, SECRET, T0, add_log, make_job, seed_dead_letters, seed_history, seed_jobs, texts

pytestmark = pytest.mark.usefixtures("db_name")
JOBICY = next(iter(FEEDS))


# --- Run detail --------------------------------------------------------------------------------
def test_run_detail_groups_failures_and_links_to_prefect(open_page, store: Store, monkeypatch) -> None:
    monkeypatch.setenv("PREFECT_UI_URL", "http://prefect.example:4200/")
    reset_settings()
    failures = [ItemFailure(FailureReason.ITEM_INVALID, f"no guid {i}", f"item-{i}") for i in range(3)]
    failures.append(ItemFailure(FailureReason.DB_ERROR, "write failed at mongodb://u:topsecret@db/", "job-9"))
    log_id = add_log(store, url=JOBICY, started=T0, status=LogStatus.PARTIAL, failures=failures, flow_run_id="abc-123")
    add_log(store, url=list(FEEDS)[1], started=T0, flow_run_id="abc-123")
    at = open_page("run", query={"log": log_id})
    no_exception(at)
    assert at.title[0].value == "Run detail" and at.subheader[0].value == md_escape("jobicy-all")
    expanders = [e.label for e in at.expander]
    assert expanders == ["item_invalid × 3", "db_error × 1"]
    frames = [d.value for d in at.dataframe]
    assert list(frames[0]["itemKey"]) == ["item-0", "item-1", "item-2"]
    assert list(frames[0]["message"]) == ["no guid 0", "no guid 1", "no guid 2"]
    assert "topsecret" not in texts(at) and SECRET not in texts(at)
    assert at.get("link_button")[0].proto.url == "http://prefect.example:4200/runs/flow-run/abc-123"
    assert "Other feeds of this flow run" in [s.value for s in at.subheader]
    assert list(frames[-1]["feed"]) == ["wwr"]


def test_run_detail_of_a_failed_feed_and_of_unknown_ids(open_page, store: Store) -> None:
    error = FeedFailure(FailureReason.BLOCKED_HTML, "an HTML challenge page instead of a feed")
    log_id = add_log(store, url=JOBICY, started=T0, status=LogStatus.FAILED, error=error, new=0, updated=0, unchanged=0)
    at = open_page("run", query={"log": log_id})
    no_exception(at)
    assert "blocked_html" in at.error[0].value and "HTML challenge" in at.error[0].value
    assert "No item failed in this run." in texts(at)

    for bad in ("000000000000000000000000", "not-an-id"):
        at = open_page("run", query={"log": bad})
        no_exception(at)
        assert f"No import log with id `{bad}`" in at.warning[0].value


def test_run_detail_without_id_offers_recent_runs(open_page, store: Store) -> None:
    ids = seed_history(store, 4)
    at = open_page("run")
    no_exception(at)
    assert at.selectbox[0].options[0].startswith("2026-03-10 12:00:00 · jobicy-all · success")
    at.selectbox[0].set_value(ids[3]).run()
    assert at.subheader[0].value == md_escape("jobicy-all") and at.metric[0].value == "success"


def test_run_detail_updates_in_place_while_its_flow_run_goes(open_page, store: Store, timers) -> None:
    log_id = add_log(store, url=JOBICY, started=datetime.now(UTC), status=LogStatus.RUNNING, flow_run_id="live-1")
    at = open_page("run", query={"log": log_id})
    no_exception(at)
    assert at.metric[0].value == "running" and timers.only()[1] == 5
    assert "This run is going: this page refreshes every 5 s." in texts(at)

    # the log finishes while a sibling feed of the same flow run starts: the page stays live
    counts = UpsertCounts(4, 1, 0, [ItemFailure(FailureReason.ITEM_INVALID, "no guid", "item-7")])
    store.logs.finish(log_id, finished_at=datetime.now(UTC),
                      fields=summary_fields(status=LogStatus.PARTIAL, counts=counts, error=None))  # fmt: skip
    sibling = add_log(store, url=list(FEEDS)[1], started=datetime.now(UTC), status=LogStatus.RUNNING,
                      flow_run_id="live-1")  # fmt: skip
    st.cache_data.clear()  # as the 2 s TTL would have by the next tick
    at = timers.tick(at)
    no_exception(at)
    assert not at.title  # the fragment alone redrew: counts, failures and the sibling, in place
    assert [m.value for m in at.metric][:3] == ["partial", "6", "4"]
    assert [e.label for e in at.expander] == ["item_invalid × 1"]
    assert list(at.dataframe[-1].value["status"]) == ["running"]

    store.logs.finish(sibling, finished_at=datetime.now(UTC),
                      fields=summary_fields(status=LogStatus.SUCCESS, counts=UpsertCounts(), error=None))  # fmt: skip
    st.cache_data.clear()
    at = timers.tick(at)  # all done: a full rerun drops the timer
    no_exception(at)
    assert at.title[0].value == "Run detail" and timers.declared == {}
    assert "refreshes every" not in texts(at)


def test_a_finished_run_detail_has_no_timer(open_page, store: Store, timers) -> None:
    log_id = add_log(store, url=JOBICY, started=T0)
    at = open_page("run", query={"log": log_id})
    assert at.metric[0].value == "success" and timers.declared == {}


# --- Feeds -------------------------------------------------------------------------------------
def test_feeds_health_charts_and_disable(open_page, store: Store) -> None:
    t0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    seed_history(store, 3, t0=t0 - timedelta(days=20))  # outside the 7-day window
    seed_history(store, 30, t0=t0)
    at = open_page("feeds")
    no_exception(at)
    frame = at.dataframe[0].value.set_index("feed")
    assert set(frame.index) == set(FEEDS.values())
    jobicy = frame.loc["jobicy-all"]
    assert jobicy["last status"] == "success" and jobicy["consecutive failures"] == 0 and jobicy["enabled"]
    # jobicy has i = 0, 3, ..., 27 in the last 7 days: failed at 9 and 24, partial at 6 and 27
    assert jobicy["runs"] == 10 and jobicy["success rate"] == 60.0
    assert frame.loc["jobspresso"]["last success"] == fmt_time(t0 - timedelta(hours=2), "UTC")
    wwr = frame.loc["wwr"]  # i = 1, 4 (failed), 7, ...: its newest run succeeded
    assert wwr["last status"] == "success" and wwr["last error"] == ""
    assert len(at.get("vega_lite_chart")) == 3
    assert SECRET not in texts(at)
    at.segmented_control[0].set_value(30).run()  # now with the run 20 days back (i = 0: success)
    assert at.dataframe[0].value.set_index("feed").loc["jobicy-all"]["runs"] == 11
    assert at.dataframe[0].value.set_index("feed").loc["jobicy-all"]["success rate"] == round(7 / 11 * 100, 1)

    at.selectbox(key="toggle-feed").set_value(JOBICY).run()
    at.button(key="toggle-button").click().run()
    no_exception(at)
    assert store.feeds.is_disabled(JOBICY)
    assert not at.dataframe[0].value.set_index("feed").loc["jobicy-all"]["enabled"]
    at.button(key="toggle-button").click().run()
    assert not store.feeds.is_disabled(JOBICY)


FEEDS_YAML = """feeds:
  - {url: "https://jobicy.com/?feed=job_feed&token=s3cr3t-token", name: jobicy-all, interval: 15m}
  - {url: "https://weworkremotely.com/remote-jobs.rss", name: wwr}
  - {url: "https://jobspresso.co/?feed=job_feed", name: jobspresso, enabled: false}
"""


@pytest.fixture
def feeds_file(tmp_path, monkeypatch) -> None:
    """FEEDS_FILE with the seeded feeds (one every 15 min, one hourly, one disabled); Prefect down."""
    from jobfeed.stack.procs import free_port

    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS_YAML)
    monkeypatch.setenv("FEEDS_FILE", str(path))
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")  # nothing answers there
    reset_settings()


@pytest.mark.usefixtures("feeds_file")
def test_feeds_show_their_schedule_and_a_dash_when_prefect_does_not_answer(open_page, store: Store) -> None:
    seed_history(store, 3, t0=datetime.now(UTC) - timedelta(hours=1))
    at = open_page("feeds")
    no_exception(at)
    frame = at.dataframe[0].value.set_index("feed")
    assert frame["schedule"].to_dict() == {"jobicy-all": "every 15m", "wwr": "hourly",
                                           "jobspresso": "disabled in the feeds file"}  # fmt: skip
    assert set(frame["next run"]) == {"—"} and not at.error and not at.warning


@pytest.mark.usefixtures("feeds_file")
def test_run_now_without_prefect_explains_and_never_fails(open_page) -> None:
    at = open_page("run-now")
    no_exception(at)
    assert at.multiselect(key="run-now-feeds").options == ["jobicy-all", "wwr"]  # the enabled feeds, by name
    assert at.radio(key="run-now-priority").value == "normal"
    assert "Could not reach Prefect" in at.warning[0].value  # the list of latest runs
    at.multiselect(key="run-now-feeds").select("wwr").run()
    at.button(key="run-now").click().run()
    no_exception(at)
    assert "Could not reach Prefect" in at.warning[0].value and "jobfeed deploy" in at.warning[0].value
    assert SECRET not in texts(at)


def test_feeds_page_when_empty(open_page) -> None:
    at = open_page("feeds")
    no_exception(at)
    assert "No feeds yet" in at.info[0].value


# --- Jobs --------------------------------------------------------------------------------------
def test_jobs_search_filter_and_pages(open_page, store: Store) -> None:
    seed_jobs(store, [make_job(i) for i in range(25)])
    seed_jobs(store, [make_job(i, source="weworkremotely.com", title=f"Python (Senior) dev {i}", company="Py.Co",
                               location="Berlin") for i in range(3)], feed_url=list(FEEDS)[1])  # fmt: skip
    at = open_page("jobs")
    no_exception(at)
    assert len(at.dataframe[0].value) == 20 and "Page 1 of 2 · 28 rows" in texts(at)
    assert "refreshed at most every 6 hours" in texts(at)  # what "last seen" means, said where it is shown
    at.number_input[0].set_value(2).run()
    assert len(at.dataframe[0].value) == 8

    at.text_input(key="job-q").input("(senior)").run()  # regex metacharacters are matched literally
    assert set(at.dataframe[0].value["company"]) == {"Py.Co"} and "3 rows" in texts(at)
    at.text_input(key="job-q").input("py.co").run()  # company, case-insensitive
    assert len(at.dataframe[0].value) == 3
    at.text_input(key="job-q").input("py.c.").run()  # "." is not a wildcard
    assert "No job matches this search." in at.info[0].value
    at.text_input(key="job-q").input("berlin").run()  # location
    assert len(at.dataframe[0].value) == 3

    at.text_input(key="job-q").input("").run()
    at.selectbox(key="job-source").set_value("weworkremotely.com").run()
    assert set(at.dataframe[0].value["source"]) == {"weworkremotely.com"} and len(at.dataframe[0].value) == 3


def test_job_description_is_sanitized(open_page, store: Store) -> None:
    html = ('<p onclick="x()">Build <b>things</b><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
            '<a href="javascript:alert(1)">bad</a> <a href="https://ok.example/apply">apply</a><iframe src="https://evil"></iframe></p>')  # fmt: skip
    title = "XSS [probe](javascript:alert(1)) :red[**loud**] $x$"
    seed_jobs(store, [make_job(1, title=title, html=html)])
    at = open_page("jobs")
    job_id = str(store.db.jobs.find_one({})["_id"])
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("job-open-"))).set_value(job_id).run()
    no_exception(at)
    # the title is feed text: every markdown/Streamlit directive character is escaped, so it shows literally
    assert at.subheader[0].value == md_escape(title)
    assert "\\[probe\\]\\(javascript\\:" in at.subheader[0].value and "\\*\\*loud" in at.subheader[0].value
    body = at.get("html")[0].proto.body
    assert "<b>things</b>" in body and 'href="https://ok.example/apply"' in body and "noopener" in body
    for bad in ("<script", "__pwned", "onerror", "onclick", "javascript:", "<iframe", "<img"):
        assert bad not in body, bad
    at.toggle(key="job-as-text").set_value(True).run()
    text = at.text[0].value  # descriptionText, derived from the HTML when the job was written
    assert text.startswith("Build things") and "<" not in text and "__pwned" not in text and not at.get("html")


def test_jobs_page_when_empty(open_page) -> None:
    at = open_page("jobs")
    no_exception(at)
    assert "No jobs yet" in at.info[0].value


# --- Dead letters ------------------------------------------------------------------------------
def test_dead_letters_counts_items_and_redrive(open_page, store: Store) -> None:
    seed_dead_letters(store, {"db_error": 23, "http_5xx": 1}, broken_items=1)
    at = open_page("dead-letters")
    no_exception(at)
    assert len(at.get("vega_lite_chart")) == 1
    assert at.selectbox[0].options == ["all reasons", "db_error (23)", "http_5xx (1)", "item_invalid (1)"]
    rows = at.dataframe[0].value
    assert len(rows) == 20 and "Page 1 of 2 · 25 rows" in texts(at)
    assert list(rows["key"][:3]) == ["db_error-0", "db_error-1", "db_error-2"]  # oldest first
    assert set(rows["kind"]) == {"batch"} and "pw" not in "".join(rows["message"]) and SECRET not in texts(at)

    at.selectbox[0].set_value("db_error").run()
    assert at.button(key="redrive").label == "Re-drive the 23 oldest `db_error` letter(s)"
    at.button(key="redrive").click().run()
    no_exception(at)
    assert at.success[0].value == "Re-drove 23 letter(s): 23 resolved, 0 still failing."
    assert store.dead_letters.count_by_reason() == {"http_5xx": 1, "item_invalid": 1}
    assert store.jobs.count() == 23  # the parked batches are in `jobs` now
    assert at.selectbox[0].options == ["all reasons", "http_5xx (1)", "item_invalid (1)"]

    at.selectbox[0].set_value(None).run()
    at.button(key="redrive").click().run()
    assert at.warning[0].value.startswith("Re-drove 2 letter(s): 1 resolved, 1 still failing. First: item_invalid")
    assert list(at.dataframe[0].value["kind"]) == ["item"]


def test_dead_letters_page_when_empty(open_page) -> None:
    at = open_page("dead-letters")
    no_exception(at)
    assert "No pending dead letters" in at.success[0].value


@pytest.mark.parametrize("page", ["run_detail", "feeds", "jobs", "duplicates", "dead_letters", "run_now"])
def test_every_page_shows_the_database_error_state(page: str, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from jobfeed.stack.procs import free_port
    from tests.support.dashboard import RUN_TIMEOUT_S, render_alone

    monkeypatch.setenv("MONGODB_URI", f"mongodb://127.0.0.1:{free_port()}/?directConnection=true")
    reset_settings()
    # the section on its own (app.py would first render the history page): one run, one server-selection wait
    at = AppTest.from_function(render_alone, args=(page,), default_timeout=RUN_TIMEOUT_S).run()
    no_exception(at)
    if page == "run_now":  # reads nothing until the button is pressed
        assert at.button(key="run-now") and not at.error
    else:
        assert "The database is unreachable" in at.error[0].value


def test_pages_create_no_index(open_page, db_name: str, mongo_service) -> None:
    from tests.support.indexes import extra_indexes

    for page in (None, "run", "feeds", "jobs", "job", "duplicates", "dead-letters"):  # None: the landing page (history)
        no_exception(open_page(page))
    assert extra_indexes(mongo_service.client()[db_name]) == {}  # creating them is `jobfeed db init`'s job
