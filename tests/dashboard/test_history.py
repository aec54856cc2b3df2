"""Import History page (the landing page) through Streamlit's AppTest, on the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import streamlit as st

from dashboard.sections.history import IDLE_REFRESH_S
from jobfeed.importlog import LogStatus, UpsertCounts, summary_fields
from jobfeed.settings import reset_settings
from jobfeed.store import Store
from tests.support.dashboard import no_exception
from tests.support.seed import FEEDS, SECRET, T0, add_log, seed_history, texts

pytestmark = pytest.mark.usefixtures("db_name")


def all_time(at):
    """Widen the period from the default (last 7 days) to every log: the seeds are dated T0 (March 2026)."""
    return at.selectbox(key="history-period").set_value("all time").run()


def table(at):
    """The history table of the page as a DataFrame."""
    assert len(at.dataframe) == 1, texts(at)
    return at.dataframe[0].value


def test_empty_database_says_so(open_page) -> None:
    at = open_page()
    no_exception(at)
    assert [t.value for t in at.title] == ["Import history"]
    assert "No imports yet" in at.info[0].value
    assert not at.dataframe and not at.error


def test_rows_newest_first_with_counts_and_page_count(open_page, store: Store) -> None:
    seed_history(store, 45)
    at = all_time(open_page())
    no_exception(at)
    rows = table(at)
    assert len(rows) == 20
    assert list(rows["started"]) == sorted(rows["started"], reverse=True)
    assert rows["started"].iloc[0] == T0.strftime("%Y-%m-%d %H:%M:%S")  # UTC: no browser zone in AppTest
    first = rows.iloc[0]
    assert (first["feed"], first["total"], first["new"], first["updated"], first["unchanged"], first["failed"]) == (
        "jobicy-all",
        9,
        3,
        1,
        5,
        0,
    )
    assert first["status"] == "success" and first["duration"] == "2.5 s"
    assert first["detail"].startswith("run?log=")
    assert "Page 1 of 3 · 45 rows" in texts(at)
    assert SECRET not in texts(at)  # the feed URL's token is masked
    assert "token=***" in rows["fileName"].iloc[0]

    at.number_input(key=next(k for k in _keys(at) if k.startswith("history-page-"))).set_value(3).run()
    no_exception(at)
    last = table(at)
    assert len(last) == 5 and "Page 3 of 3" in texts(at)
    assert last["started"].iloc[-1] == (T0 - timedelta(hours=44)).strftime("%Y-%m-%d %H:%M:%S")


def test_feed_name_and_url_come_first_and_the_name_is_never_cut(open_page, store: Store) -> None:
    import json

    seed_history(store, 5)
    at = all_time(open_page())
    no_exception(at)
    assert list(table(at).columns)[:4] == ["feed", "fileName", "started", "status"]
    config = json.loads(at.dataframe[0].proto.columns)
    assert "width" not in config["feed"] and config["feed"]["pinned"]  # sized to the longest name, kept in view


def _keys(at) -> list[str]:
    return [w.key for w in at.number_input]


def test_filters_change_the_rows(open_page, store: Store) -> None:
    seed_history(store, 45)
    at = all_time(open_page())
    wwr = "https://weworkremotely.com/remote-jobs.rss"
    at.selectbox(key="history-feed").set_value(wwr).run()
    rows = table(at)
    assert set(rows["feed"]) == {"wwr"} and len(rows) == 15
    assert "Page 1 of 1 · 15 rows" in texts(at)

    at.selectbox(key="history-status").set_value("failed").run()  # on top of the feed
    rows = table(at)
    assert set(rows["status"]) == {"failed"} and set(rows["feed"]) == {"wwr"}
    assert len(rows) == sum(1 for i in range(45) if i % 3 == 1 and i % 5 == 4)

    at.selectbox(key="history-feed").set_value(None).run()
    at.selectbox(key="history-status").set_value("partial").run()
    assert set(table(at)["status"]) == {"partial"}

    at.selectbox(key="history-status").set_value(None).run()
    at.selectbox(key="history-period").set_value("custom range").run()
    day = (T0 - timedelta(days=1)).date()  # T0 is 12:00 UTC: the previous day holds hours 12..35 back
    at.date_input(key="history-range").set_value((day, day)).run()
    rows = table(at)
    assert "Page 1 of 2 · 24 rows" in texts(at)
    assert len(rows) == 20 and all(s.startswith(day.isoformat()) for s in rows["started"])

    at.date_input(key="history-range").set_value((date(2020, 1, 1), date(2020, 1, 2))).run()
    no_exception(at)
    assert "No import matches these filters." in texts(at)


def _local(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def test_times_follow_the_browser_zone_or_the_setting(open_page, store: Store, monkeypatch) -> None:
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    add_log(store, url=next(iter(FEEDS)), started=started)
    at = open_page(context={"timezone": "Asia/Tokyo"})
    assert table(at)["started"].iloc[0] == _local(started, "Asia/Tokyo")
    assert "Times are shown in **Asia/Tokyo** (default: your browser's zone)." in [c.value for c in at.caption]
    # AppTest drops the entry script's sidebar after the first run (st.navigation), so choose in that run
    at.selectbox(key="tz").set_value("UTC").run()
    assert table(at)["started"].iloc[0] == _local(started, "UTC")

    monkeypatch.setenv("DASHBOARD_TZ", "America/New_York")
    reset_settings()
    at = open_page(context={"timezone": "Asia/Tokyo"})
    assert table(at)["started"].iloc[0] == _local(started, "America/New_York")
    assert "Times are shown in **America/New_York** (default: DASHBOARD_TZ)." in [c.value for c in at.caption]


def test_default_period_is_the_last_seven_days(open_page, store: Store) -> None:
    now = datetime.now(UTC)
    recent = add_log(store, url=next(iter(FEEDS)), started=now - timedelta(days=1))
    add_log(store, url=list(FEEDS)[1], started=now - timedelta(days=10))
    store.feeds.record_run(
        next(iter(FEEDS)), name="jobicy-all", status="success", now=now, conditional=None, error_reason=None
    )
    at = open_page()
    assert at.selectbox(key="history-period").value == "last 7 days"
    assert table(at)["detail"].tolist() == [f"run?log={recent}"]
    assert len(table(all_time(at))) == 2
    at.selectbox(key="history-period").set_value("today").run()
    assert "No import matches these filters" in at.info[0].value


def test_running_import_updates_the_table_in_place(open_page, store: Store, timers) -> None:
    add_log(store, url=next(iter(FEEDS)), started=datetime.now(UTC), status=LogStatus.RUNNING)
    at = open_page()
    rows = table(at)
    assert rows["status"].iloc[0] == "running" and rows["duration"].iloc[0] == ""
    assert "this table refreshes every 5 s" in texts(at)
    assert timers.only()[1] == 5  # a st.fragment with run_every=DASHBOARD_REFRESH_S

    second = add_log(store, url=list(FEEDS)[1], started=datetime.now(UTC), status=LogStatus.RUNNING)
    st.cache_data.clear()  # as the 2 s TTL would have by the next tick
    at = timers.tick(at)
    no_exception(at)
    assert not at.title  # only the fragment ran: the page around it was not redrawn
    assert table(at)["detail"].iloc[0] == f"run?log={second}" and len(table(at)) == 2

    for log_id in (second, *(str(d["_id"]) for d in store.logs.coll.find({"_id": {"$ne": second}}))):
        finish(store, log_id)
    st.cache_data.clear()
    at = timers.tick(at)  # the runs ended: the fragment asks for a full rerun, which slows its timer down
    no_exception(at)
    assert [t.value for t in at.title] == ["Import history"] and set(table(at)["status"]) == {"success"}
    assert timers.only()[1] == IDLE_REFRESH_S and "refreshes every" not in texts(at)


def test_an_import_started_later_shows_up_without_a_reload(open_page, store: Store, timers) -> None:
    add_log(store, url=next(iter(FEEDS)), started=datetime.now(UTC) - timedelta(hours=1))
    at = open_page()
    assert len(table(at)) == 1 and "refreshes every" not in texts(at)
    assert timers.only()[1] == IDLE_REFRESH_S  # idle: it looks for a new run now and then

    add_log(store, url=list(FEEDS)[1], started=datetime.now(UTC), status=LogStatus.RUNNING)
    st.cache_data.clear()
    at = timers.tick(at)
    no_exception(at)
    assert list(table(at)["status"]) == ["running", "success"]
    assert "this table refreshes every 5 s" in texts(at) and timers.only()[1] == 5


def finish(store: Store, log_id: str) -> None:
    """Finish a `running` log as the pipeline does."""
    counts = UpsertCounts(2, 0, 0, [])
    fields = summary_fields(status=LogStatus.SUCCESS, counts=counts, error=None)
    store.logs.finish(log_id, finished_at=datetime.now(UTC), fields=fields)


def test_database_down_shows_an_error_not_a_traceback(open_page, monkeypatch) -> None:
    from jobfeed.stack.procs import free_port

    monkeypatch.setenv("MONGODB_URI", f"mongodb://admin:hunter2@127.0.0.1:{free_port()}/?directConnection=true")
    reset_settings()
    at = open_page()
    no_exception(at)
    assert at.error and "The database is unreachable" in at.error[0].value
    assert "jobfeed stack up" in at.info[0].value
    assert "hunter2" not in texts(at) and "admin:***@" in at.error[0].value
    assert "Connection refused" in at.error[0].value  # the server's own words, one line
    assert "Topology" not in at.error[0].value and "configured timeouts" not in at.error[0].value
    assert not at.dataframe


def test_the_sidebar_footer_names_the_release(open_page) -> None:
    import jobfeed

    at = open_page()  # the first run: AppTest keeps the entry script's sidebar only there
    assert f"jobfeed {jobfeed.__version__}" in [c.value for c in at.sidebar.caption]
