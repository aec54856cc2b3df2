"""Feeds: health per feed (last status, failure streak, last success, success rate, schedule and next run),
charts, enable/disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import actions, queries
from dashboard.sections.common import act, feed_label, fmt_time, load, md_escape, timezone
from jobfeed.feeds_config import HOURLY, schedule_name
from jobfeed.importlog import NEUTRAL_STATUSES, OK_STATUSES, STATUS_COLOURS, LogStatus
from jobfeed.models import FeedSpec

WINDOWS_DAYS = (7, 30, 90)
OK = sorted(status.value for status in OK_STATUSES)  # plain strings for pandas' isin
NEUTRAL = sorted(status.value for status in NEUTRAL_STATUSES)  # not tried: left out of success rates
# Finished statuses only: the chart aggregates never include `running` logs.
CHART_COLOURS = {status.value: hex_ for status, (hex_, _) in STATUS_COLOURS.items() if status != LogStatus.RUNNING}


def success_rates(stats: list[dict[str, Any]]) -> dict[str, tuple[float | None, int]]:
    """Per feed URL: (share of runs that ended OK (success/not_modified), runs counted); skipped runs don't count."""
    runs: dict[str, int] = {}
    ok: dict[str, int] = {}
    for row in stats:
        if row["status"] in NEUTRAL:
            continue
        runs[row["feed"]] = runs.get(row["feed"], 0) + row["runs"]
        if row["status"] in OK:
            ok[row["feed"]] = ok.get(row["feed"], 0) + row["runs"]
    return {feed: (ok.get(feed, 0) / n if n else None, n) for feed, n in runs.items()}


NO_VALUE = "—"  # no schedule known (not in the feeds file) or no next run (no Prefect server, not deployed)


def schedule_text(spec: FeedSpec | None) -> str:
    """How a feed of the feeds file is scheduled, in its own words (`every 15m`, `cron */10 * * * *`)."""
    if spec is None:
        return NO_VALUE  # imported once, but not in the feeds file (any more)
    if not spec.enabled:
        return "disabled in the feeds file"
    if schedule_name(spec) == HOURLY:
        return HOURLY
    return f"every {spec.interval}" if spec.interval else f"cron {spec.schedule}"


def schedules(feeds: list[dict[str, Any]], tz: str) -> dict[str, tuple[str, str]]:
    """Per feed URL: (its schedule, its next run from Prefect); "—" where Prefect does not answer."""
    index = queries.feed_file().index()
    specs = {doc["url"]: index.get(doc["url"]) for doc in feeds}
    deployments = {url: queries.deployment_of(spec) for url, spec in specs.items() if spec and spec.enabled}
    upcoming = queries.next_runs(list(deployments.values())) if deployments else None
    found = {}
    for url, spec in specs.items():
        when = (upcoming or {}).get(deployments.get(url, ""))
        found[url] = (schedule_text(spec), fmt_time(when, tz) if when else NO_VALUE)
    return found


def health_frame(feeds: list[dict[str, Any]], rates: dict[str, tuple[float | None, int]], tz: str,
                 plans: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per feed: state from `feeds`, rate and run count from the chart window, schedule and next run."""
    records = []
    for doc in feeds:
        rate, n = rates.get(doc["url"], (None, 0))
        schedule, next_run = (plans or {}).get(doc["url"], (NO_VALUE, NO_VALUE))
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
            "schedule": schedule,
            "next run": next_run,
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
    color = alt.Color("status:N", scale=alt.Scale(domain=list(CHART_COLOURS), range=list(CHART_COLOURS.values())))
    runs = alt.Chart(frame, title="Runs per day by status").mark_bar().encode(
        x=alt.X("utcyearmonthdate(day):T", title="day"), y=alt.Y("sum(runs):Q", title="runs"), color=color,
        tooltip=[alt.Tooltip("day:N", title="day"), "feed:N", "status:N", "runs:Q"],
    )  # fmt: skip
    st.altair_chart(runs, width="stretch")
    counted = frame[~frame["status"].isin(NEUTRAL)].assign(ok=lambda f: f["runs"].where(f["status"].isin(OK), 0))
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
        health_frame(feeds, success_rates(stats), tz, schedules(feeds, tz)), hide_index=True,
        column_config={"success rate": st.column_config.ProgressColumn(
            "success rate", help=f"runs ending success/not_modified, last {days} days", format="%.1f%%",
            min_value=0, max_value=100)},
    )  # fmt: skip
    st.caption(f"Times in {tz}. Success rate and runs: the last {days} days (skipped runs not counted). "
               "Schedule: from the feeds file; next run: Prefect's next scheduled run of the feed's deployment "
               f"(`jobfeed deploy`), {NO_VALUE} when no Prefect server answers or none is scheduled.")  # fmt: skip
    if stats:
        charts(stats, {doc["url"]: doc.get("name") or "" for doc in feeds})
    else:
        st.info(f"No finished run in the last {days} days.")
    toggle(feeds)
