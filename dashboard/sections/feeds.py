"""Feeds: health per feed (last status, failure streak, last success, success rate), charts, enable/disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import actions, queries
from dashboard.sections.common import act, feed_label, fmt_time, load, md_escape, timezone
from jobfeed.importlog import LogStatus

OK_STATUSES = (LogStatus.SUCCESS.value, LogStatus.NOT_MODIFIED.value)  # the feed answered and all jobs stored
WINDOWS_DAYS = (7, 30, 90)
STATUS_COLORS = {"success": "#2e7d32", "not_modified": "#0097a7", "partial": "#f9a825", "failed": "#c62828",
                 "skipped": "#8e24aa"}  # fmt: skip


def success_rates(stats: list[dict[str, Any]]) -> dict[str, tuple[float | None, int]]:
    """Per feed URL: (share of runs that ended success/not_modified, runs counted); skipped runs don't count."""
    runs: dict[str, int] = {}
    ok: dict[str, int] = {}
    for row in stats:
        if row["status"] == LogStatus.SKIPPED.value:
            continue
        runs[row["feed"]] = runs.get(row["feed"], 0) + row["runs"]
        if row["status"] in OK_STATUSES:
            ok[row["feed"]] = ok.get(row["feed"], 0) + row["runs"]
    return {feed: (ok.get(feed, 0) / n if n else None, n) for feed, n in runs.items()}


def health_frame(feeds: list[dict[str, Any]], rates: dict[str, tuple[float | None, int]], tz: str) -> pd.DataFrame:
    """One row per feed: state from `feeds`, rate and run count from the chart window."""
    records = []
    for doc in feeds:
        rate, n = rates.get(doc["url"], (None, 0))
        records.append({
            "feed": doc.get("name") or "",
            "enabled": not doc.get("disabled", False),
            "last status": doc.get("lastStatus") or "",
            "consecutive failures": doc.get("consecutiveFailures", 0),
            "success rate": None if rate is None else round(rate * 100, 1),
            "runs": n,
            "last success": fmt_time(doc.get("lastSuccessAt"), tz),
            "last run": fmt_time(doc.get("lastRunAt"), tz),
            "last error": doc.get("lastErrorReason") or "",
            "url": feed_label(doc["url"]),  # last: health first, without scrolling sideways
        })  # fmt: skip
    return pd.DataFrame.from_records(records)


def charts(stats: list[dict[str, Any]], names: dict[str, str]) -> None:
    """Runs per day by status, success rate per day and feed, and jobs per day (Altair).

    `day` is already a day of the viewer's zone ("2026-03-10"); read as a UTC date it is shown as is,
    where a plain temporal axis would shift it into the browser's zone.
    """
    frame = pd.DataFrame.from_records(stats)
    frame["feed"] = [names.get(url) or feed_label(url) for url in frame["feed"]]
    color = alt.Color("status:N", scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())))
    runs = alt.Chart(frame, title="Runs per day by status").mark_bar().encode(
        x=alt.X("utcyearmonthdate(day):T", title="day"), y=alt.Y("sum(runs):Q", title="runs"), color=color,
        tooltip=[alt.Tooltip("day:N", title="day"), "feed:N", "status:N", "runs:Q"],
    )  # fmt: skip
    st.altair_chart(runs, width="stretch")
    counted = frame[frame["status"] != LogStatus.SKIPPED.value].assign(
        ok=lambda f: f["runs"].where(f["status"].isin(OK_STATUSES), 0)
    )
    daily = counted.groupby(["day", "feed"], as_index=False)[["ok", "runs"]].sum()
    daily["success rate"] = (daily["ok"] / daily["runs"] * 100).round(1)
    rate = alt.Chart(daily, title="Success rate per day (%)").mark_line(point=True).encode(
        x=alt.X("utcyearmonthdate(day):T", title="day"), y=alt.Y("success rate:Q", scale=alt.Scale(domain=[0, 100])),
        color="feed:N", tooltip=[alt.Tooltip("day:N", title="day"), "feed:N", "success rate:Q", "runs:Q"],
    )  # fmt: skip
    st.altair_chart(rate, width="stretch")
    # summed over feeds in pandas: an Altair aggregate would also group by any per-feed tooltip field
    jobs = frame.groupby("day", as_index=False)[["newJobs", "updatedJobs", "failedJobs"]].sum()
    long = jobs.melt(id_vars=["day"], var_name="kind", value_name="jobs")
    counts = alt.Chart(long, title="Jobs per day, all feeds (new, updated, failed)").mark_line(point=True).encode(
        x=alt.X("utcyearmonthdate(day):T", title="day"), y=alt.Y("jobs:Q", title="jobs"), color="kind:N",
        tooltip=[alt.Tooltip("day:N", title="day"), "kind:N", "jobs:Q"],
    )  # fmt: skip
    st.altair_chart(counts, width="stretch")


def toggle(feeds: list[dict[str, Any]]) -> None:
    """Enable or disable one feed (disabled feeds are skipped by runs)."""
    st.subheader("Enable / disable")
    by_url = {doc["url"]: doc for doc in feeds}
    url = st.selectbox(
        "Feed", list(by_url), format_func=lambda u: feed_label(u, by_url[u].get("name")), key="toggle-feed"
    )
    if url is None:
        return
    disabled = bool(by_url[url].get("disabled"))
    label = "Enable this feed" if disabled else "Disable this feed"
    if st.button(label, key="toggle-button", type="secondary" if disabled else "primary"):
        act(actions.set_feed_disabled, queries.store(), url, not disabled, doing="Saving")
        queries.clear()
        st.toast(f"{'Enabled' if disabled else 'Disabled'} {md_escape(feed_label(url, by_url[url].get('name')))}")
        st.rerun()


def render() -> None:
    """The Feeds page."""
    st.title("Feeds")
    tz = timezone()
    feeds = load(queries.feed_list, what="feeds")
    if not feeds:
        st.info("No feeds yet: a feed appears here after its first import (`jobfeed import`).")
        return
    days = st.segmented_control("Window", WINDOWS_DAYS, default=7, format_func=lambda d: f"{d} days") or 7
    since = datetime.now(UTC) - timedelta(days=days)
    stats = load(queries.feed_daily_stats, since, tz, what="run statistics")
    st.dataframe(
        health_frame(feeds, success_rates(stats), tz), hide_index=True,
        column_config={"success rate": st.column_config.ProgressColumn(
            "success rate", help=f"runs ending success/not_modified, last {days} days", format="%.1f%%",
            min_value=0, max_value=100)},
    )  # fmt: skip
    st.caption(f"Times in {tz}. Success rate and runs: the last {days} days (skipped runs not counted).")
    if stats:
        charts(stats, {doc["url"]: doc.get("name") or "" for doc in feeds})
    else:
        st.info(f"No finished run in the last {days} days.")
    toggle(feeds)
