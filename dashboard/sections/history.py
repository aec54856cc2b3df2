"""Import History: one row per ImportLog, newest first, with filters, pages and a live refresh."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.sections.common import feed_label, fmt_duration, fmt_time, load, pager, timezone
from jobfeed.importlog import LogStatus
from jobfeed.reads import LogFilter
from jobfeed.ui_settings import get_ui_settings

RUN_PAGE = "run"  # url_path of the run-detail page (dashboard/app.py)
COLUMNS = {
    "feed": st.column_config.TextColumn("feed", help="feed name"),
    "fileName": st.column_config.TextColumn("fileName", help="feed URL (secrets masked)"),
    "started": st.column_config.TextColumn("started"),
    "total": st.column_config.NumberColumn("total", help="items fetched"),
    "new": st.column_config.NumberColumn("new"),
    "updated": st.column_config.NumberColumn("updated"),
    "unchanged": st.column_config.NumberColumn("unchanged"),
    "failed": st.column_config.NumberColumn("failed"),
    "status": st.column_config.TextColumn("status"),
    "reason": st.column_config.TextColumn("reason"),
    "duration": st.column_config.TextColumn("duration"),
    "detail": st.column_config.LinkColumn("detail", display_text="open"),
}


def window(start: date | None, end: date | None, tz: str) -> tuple[datetime | None, datetime | None]:
    """Whole days [start, end] in the viewer's zone, as a UTC [since, until) window."""
    zone = ZoneInfo(tz)
    since = datetime.combine(start, time.min, zone).astimezone(UTC) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC) if end else None
    return since, until


def filters(tz: str) -> LogFilter:
    """Feed, status and date-range widgets; returns the history filter they describe."""
    feeds = load(queries.feed_list, what="feeds")
    names = {doc["url"]: doc.get("name") for doc in feeds}
    left, middle, right = st.columns(3)
    feed = left.selectbox("Feed", [None, *names], format_func=lambda url: "all feeds" if url is None else feed_label(url, names[url]))
    status = middle.selectbox("Status", [None, *(s.value for s in LogStatus)], format_func=lambda s: s or "any status")
    days = right.date_input("Started between", value=(), help=f"days in {tz}")
    start, end = (tuple(days) + (None, None))[:2] if isinstance(days, (tuple, list)) else (days, days)
    since, until = window(start, end or start, tz)
    return LogFilter(feed=feed, status=status, since=since, until=until)


def history_frame(rows: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    """The table's rows: counts, status, reason, duration and a link to the run's detail page."""
    records = []
    for doc in rows:
        error = doc.get("error") or {}
        reasons = ", ".join(f"{k} ×{v}" for k, v in (doc.get("failuresByReason") or {}).items())
        records.append({
            "feed": doc.get("feedName") or "",
            "fileName": feed_label(doc.get("fileName")),
            "started": fmt_time(doc.get("startedAt"), tz),
            "total": doc.get("totalFetched", 0),
            "new": doc.get("newJobs", 0),
            "updated": doc.get("updatedJobs", 0),
            "unchanged": doc.get("unchangedJobs", 0),
            "failed": doc.get("failedJobs", 0),
            "status": doc.get("status", ""),
            "reason": error.get("reason") or reasons,
            "duration": fmt_duration(doc.get("durationMs")),
            "detail": f"{RUN_PAGE}?log={doc['_id']}",
        })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))


def render() -> None:
    """The Import History page."""
    st.title("Import history")
    tz = timezone()
    flt = filters(tz)
    running = load(queries.any_running, what="import status")
    every = get_ui_settings().dashboard_refresh_s if running else None

    @st.fragment(run_every=every)
    def table() -> None:
        still_running = load(queries.any_running, what="import status")
        if running and not still_running:
            st.rerun()  # the run ended: a full rerun redeclares this fragment without its timer
        total = load(queries.count_logs, flt, what="import history")
        if total == 0:
            if flt == LogFilter():
                st.info("No imports yet. Run `jobfeed import` (or use **Run now**) and they appear here.")
            else:
                st.info("No import matches these filters.")
            return
        page = pager(total, key=f"history-page-{hash(flt)}")
        rows = load(queries.log_page, flt, page, what="import history")
        st.dataframe(history_frame(rows, tz), column_config=COLUMNS, hide_index=True, key="history-table")
        st.caption(f"Times in {tz}. Newest first. Open a row's detail for its failures and Prefect flow run.")
        if still_running:
            st.caption(f"⏳ An import is running: this table refreshes every {every:g} s.")

    table()
