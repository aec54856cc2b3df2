"""Import History: one row per ImportLog, newest first, with filters, pages and a table that updates in place
(a Streamlit fragment with `run_every`) while an import is going."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.sections.common import feed_label, fmt_duration, fmt_time, load, pager, timezone
from jobfeed.importlog import LogStatus, reason_text
from jobfeed.settings import get_settings
from jobfeed.store.reads import LogFilter

RUN_PAGE = "run"  # url_path of the run-detail page (dashboard/app.py)
COLUMNS = {
    # no fixed width: the grid sizes the column to the longest name on the page, so no name is cut short
    "feed": st.column_config.TextColumn("feed", help="feed name", pinned=True),
    "fileName": st.column_config.TextColumn("fileName", help="feed URL (secrets masked)", width="medium"),
    "started": st.column_config.TextColumn("started", width="medium"),
    "status": st.column_config.TextColumn("status"),  # sized to fit `not_modified`
    "total": st.column_config.NumberColumn("total", help="items fetched", width="small"),
    "new": st.column_config.NumberColumn("new", width="small"),
    "updated": st.column_config.NumberColumn("updated", width="small"),
    "unchanged": st.column_config.NumberColumn("unchanged", width="small"),
    "failed": st.column_config.NumberColumn("failed", width="small"),
    "closed": st.column_config.NumberColumn("closed", help="jobs closed: missing from the feed", width="small"),
    "reopened": st.column_config.NumberColumn("reopened", help="closed jobs back in the feed", width="small"),
    "reason": st.column_config.TextColumn("reason", width="small"),
    "duration": st.column_config.TextColumn("duration", width="small"),
    "detail": st.column_config.LinkColumn("detail", display_text="open", width="small"),
}  # which feed first (its name, then its URL), then when and how it went; the page is wide (app.py)
# While no import runs, the table still looks for one every IDLE_REFRESH_S (one cached count): a run started
# from elsewhere then shows up, and the table switches to DASHBOARD_REFRESH_S until it ends.
IDLE_REFRESH_S = 30
ROW_PX, HEADER_PX = 35, 38  # st.dataframe's row and header heights: size the table to show a whole page


# Periods in whole days of the viewer's zone, ending today. A bounded default keeps the landing page's
# queries on an index range (~100 ms at 100k logs, bench/dashboard_queries.py) instead of every log.
PERIODS: dict[str, int | None] = {"today": 0, "last 7 days": 6, "last 30 days": 29, "all time": None}
CUSTOM = "custom range"
DEFAULT_PERIOD = "last 7 days"


def window(start: date | None, end: date | None, tz: str) -> tuple[datetime | None, datetime | None]:
    """Whole days [start, end] in the viewer's zone, as a UTC [since, until) window (None: open)."""
    zone = ZoneInfo(tz)
    since = datetime.combine(start, time.min, zone).astimezone(UTC) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC) if end else None
    return since, until


def period_days(period: str, custom: object, today: date) -> tuple[date | None, date | None]:
    """First and last day of a period choice; a custom range may have one day picked so far."""
    if period == CUSTOM:
        chosen = list(custom) if isinstance(custom, (tuple, list)) else [custom]
        picked = [d for d in chosen if isinstance(d, date)]
        return (picked[0], picked[-1]) if picked else (None, None)
    back = PERIODS[period]
    return (None, None) if back is None else (today - timedelta(days=back), None)


def filters(tz: str, feeds: list[dict[str, Any]]) -> LogFilter:
    """Feed, status and period widgets; returns the history filter they describe."""
    names = {doc["url"]: doc.get("name") for doc in feeds}
    feed_col, status_col, period_col, range_col = st.columns([3, 2, 2, 2])
    feed = feed_col.selectbox("Feed", [None, *names], key="history-feed",
                              format_func=lambda url: "all feeds" if url is None else feed_label(url, names[url]))  # fmt: skip
    status = status_col.selectbox("Status", [None, *(s.value for s in LogStatus)], key="history-status",
                                  format_func=lambda s: s or "any status")  # fmt: skip
    period = period_col.selectbox("Started", [*PERIODS, CUSTOM], index=list(PERIODS).index(DEFAULT_PERIOD),
                                  key="history-period", help=f"whole days in {tz}")  # fmt: skip
    today = datetime.now(ZoneInfo(tz)).date()
    custom = (
        range_col.date_input("Between", value=(today - timedelta(days=6), today), key="history-range")
        if period == CUSTOM
        else None
    )
    start, end = period_days(period, custom, today)
    since, until = window(start, end, tz)
    return LogFilter(feed=feed, status=status, since=since, until=until)


def history_frame(rows: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    """The table's rows: counts, status, reason, duration and a link to the run's detail page."""
    records = []
    for doc in rows:
        records.append({
            "feed": doc.get("feedName") or "",
            "started": fmt_time(doc.get("startedAt"), tz),
            "total": doc.get("totalFetched", 0),
            "new": doc.get("newJobs", 0),
            "updated": doc.get("updatedJobs", 0),
            "unchanged": doc.get("unchangedJobs", 0),
            "failed": doc.get("failedJobs", 0),
            "closed": doc.get("closedJobs", 0),  # logs from before the job lifecycle have none: 0
            "reopened": doc.get("reopenedJobs", 0),
            "status": doc.get("status", ""),
            "reason": reason_text(doc),
            "duration": fmt_duration(doc.get("durationMs")),
            "detail": f"{RUN_PAGE}?log={doc['_id']}",
            "fileName": feed_label(doc.get("fileName")),
        })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))


def render() -> None:
    """The Import History page."""
    st.title("Import history")
    tz = timezone()
    feeds = load(queries.feed_list, what="feeds")
    flt = filters(tz, feeds)
    running = load(queries.any_running, what="import status")
    every = get_settings().dashboard_refresh_s if running else IDLE_REFRESH_S

    @st.fragment(run_every=every)
    def table() -> None:
        still_running = load(queries.any_running, what="import status")
        if still_running != running:
            st.rerun()  # a run started or ended: a full rerun redeclares this fragment with the other timer
        total = load(queries.count_logs, flt, what="import history")
        if total == 0:
            if not feeds:  # every finished feed run writes its `feeds` document: none means no import ever ran
                st.info("No imports yet. Run `jobfeed import` (or use **Run now**) and they appear here.")
            else:
                st.info("No import matches these filters. Try a longer period (**Started**: all time).")
            return
        page = pager(total, key=f"history-page-{hash(flt)}")
        rows = load(queries.log_page, flt, page, what="import history")
        st.dataframe(history_frame(rows, tz), column_config=COLUMNS, hide_index=True, key="history-table",
                     height=HEADER_PX + ROW_PX * len(rows) + 2)  # fmt: skip
        st.caption(f"Times in {tz}. Newest first. Open a row's detail for its failures and Prefect flow run.")
        if still_running:
            st.caption(f":material/autorenew: An import is running: this table refreshes every {every:g} s.")

    table()
