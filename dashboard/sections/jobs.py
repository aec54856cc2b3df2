"""Jobs: search by title/company/location, filter by board and open/closed, collapse cross-board duplicates,
page through, and open one job (its detail and timeline: `job_detail.py`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.sections.common import fmt_time, load, pager, timezone
from dashboard.sections.job_detail import detail_link, sanitize, show_detail
from jobfeed.constants import LAST_SEEN_REFRESH_S
from jobfeed.store.reads import COUNT_CAP, MAX_QUERY_CHARS

__all__ = ["jobs_frame", "render", "sanitize"]
STATUSES = {"open": "open", "closed": "closed", "all": "open and closed"}  # the filter's value -> its label
COLUMNS = ["title", "company", "location", "source", "status", "published", "last seen", "detail"]
LINK = {"detail": st.column_config.LinkColumn("detail", display_text="open", width="small")}


def jobs_frame(rows: list[dict[str, Any]], tz: str, *, collapsed: bool = False) -> pd.DataFrame:
    """The result table: what a job is, where, from which board(s), open or closed, and when it was seen."""
    records = [
        {"title": d.get("title") or "", "company": d.get("company") or "", "location": d.get("location") or "",
         "source": ", ".join(d["boards"]) if collapsed and d.get("boards") else d.get("source") or "",
         "status": d.get("status") or "open", "published": fmt_time(d.get("publishedAt"), tz),
         "last seen": fmt_time(d.get("lastSeenAt"), tz), "detail": detail_link(d["_id"])}
        for d in rows
    ]  # fmt: skip
    columns = COLUMNS
    if collapsed:
        for record, doc in zip(records, rows, strict=True):
            record["copies"] = doc.get("copies", 1)
        columns = [*COLUMNS[:4], "copies", *COLUMNS[4:]]
    return pd.DataFrame.from_records(records, columns=columns)


def render() -> None:
    """The Jobs page."""
    st.title("Jobs")
    tz = timezone()
    left, middle, right = st.columns([3, 1, 1])
    q = left.text_input("Search title, company or location", max_chars=MAX_QUERY_CHARS, key="job-q").strip()
    sources = load(queries.job_sources, what="boards")
    source = middle.selectbox("Source", [None, *sources], format_func=lambda s: s or "all boards", key="job-source")
    chosen_status = right.selectbox("Status", list(STATUSES), format_func=lambda s: STATUSES[s], key="job-status")
    status = None if chosen_status == "all" else chosen_status
    collapse = st.toggle(
        "One row per job across boards", key="job-collapse",
        help="Jobs with the same company, title and place on several boards (docs/duplicates.md) show as one "
        "row: the most recently seen copy, with every board it is on.",
    )  # fmt: skip
    total = load(queries.count_jobs, q, source, status, collapse, what="jobs")
    if total == 0:
        if q or source or (status is not None and load(queries.count_jobs, "", None, what="jobs")):
            st.info("No job matches this search.")
        else:
            st.info("No jobs yet: run `jobfeed import`.")
        return
    capped = total >= COUNT_CAP
    page = pager(total, key=f"jobs-page-{q}-{source}-{status}-{collapse}", capped=capped)
    rows = load(queries.search_jobs, q, source, page, status, collapse, what="jobs")
    st.dataframe(jobs_frame(rows, tz, collapsed=collapse), hide_index=True, column_config=LINK)
    st.caption(
        f"“last seen” is refreshed at most every {LAST_SEEN_REFRESH_S // 3600} hours while a job stays "
        "in its feeds, so hourly imports do not rewrite unchanged jobs. A job missing from its feeds "
        "for a few runs is closed; it reopens when it comes back."
    )
    ids = [str(d["_id"]) for d in rows]
    titles = {str(d["_id"]): f"{d.get('title') or '(no title)'} — {d.get('company') or d.get('source')}" for d in rows}
    chosen = st.selectbox(
        "Open a job",
        [None, *ids],
        format_func=lambda i: "—" if i is None else titles[i],
        key=f"job-open-{q}-{source}-{status}-{collapse}-{page}",
    )
    if chosen:
        show_detail(chosen, tz)
