"""Data quality: each feed's field coverage over time, the latest coverage of every feed, and the drifts of their
bodies from their baselines (jobfeed/quality.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.sections.common import feed_label, fmt_time, load, md_escape, timezone
from jobfeed.quality import COVERAGE_DROP, COVERAGE_FIELDS, ELEMENT_PRESENT, drifts_from, show_value

WINDOWS_DAYS = (7, 30, 90)
RUN_PAGE = "run"  # url_path of the run-detail page (dashboard/app.py)
DRIFT_COLUMNS = ["when", "feed", "kind", "field", "before", "now", "detail"]


def _percent(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def latest_frame(docs: list[dict[str, Any]], names: dict[str, str]) -> pd.DataFrame:
    """One row per feed: its latest parsed body's items, format and coverage (%), and its drifts in the window."""
    latest: dict[str, dict[str, Any]] = {}
    drifts: dict[str, int] = {}
    for doc in docs:  # oldest first: the last one seen is the latest
        latest[doc["fileName"]] = doc
        drifts[doc["fileName"]] = drifts.get(doc["fileName"], 0) + len(doc.get("drift") or [])
    rows = []
    for url, doc in latest.items():
        coverage = doc.get("fieldCoverage") or {}
        shape = doc.get("shape") or {}
        row = {"feed": names.get(url) or "", "format": shape.get("format") or "", "items": shape.get("items", 0)}
        row.update({name: _percent(coverage.get(name)) for name in COVERAGE_FIELDS})
        row.update({"drifts": drifts[url], "feed url": feed_label(url)})  # `url` is a field
        rows.append(row)
    return pd.DataFrame.from_records(rows, columns=["feed", "format", "items", *COVERAGE_FIELDS, "drifts", "feed url"])


def coverage_frame(docs: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    """Long form for the chart: one row per (run, field) with its coverage in %; runs without coverage left out.

    `time` is the run's wall-clock time in `tz` written as UTC, for a `utc` scale that shows it as it is.
    """
    zone = ZoneInfo(tz)
    rows = []
    for doc in docs:
        coverage = doc.get("fieldCoverage")
        if not coverage:
            continue
        when = doc["startedAt"].astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
        rows += [{"time": when, "field": name, "coverage": _percent(coverage.get(name))} for name in COVERAGE_FIELDS]
    return pd.DataFrame.from_records(rows, columns=["time", "field", "coverage"])


def drift_frame(docs: list[dict[str, Any]], names: dict[str, str], tz: str) -> pd.DataFrame:
    """One row per drift of the window, newest run first, with a link to the run's detail page."""
    rows = [
        {"when": fmt_time(doc["startedAt"], tz), "feed": names.get(doc["fileName"]) or feed_label(doc["fileName"]),
         "kind": drift.kind.value, "field": drift.field, "before": show_value(drift.before),
         "now": show_value(drift.now), "detail": f"{RUN_PAGE}?log={doc['_id']}"}
        for doc in reversed(docs) for drift in drifts_from(doc.get("drift"))
    ]  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=DRIFT_COLUMNS)


def coverage_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    """A line per field: its share of items (%) run by run."""
    chart: alt.Chart = (
        alt.Chart(frame, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("time:T", title="run started", scale=alt.Scale(type="utc")),
            y=alt.Y("coverage:Q", title="items with the field (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("field:N", sort=list(COVERAGE_FIELDS)),
            tooltip=[alt.Tooltip("utcyearmonthdatehoursminutesseconds(time):T", title="run started"),
                     "field:N", "coverage:Q"],
        )
    )  # fmt: skip
    return chart


def render_run_quality(doc: dict[str, Any]) -> None:
    """Run detail's part: how the run's body drifted from the feed's baseline, and its field coverage."""
    drift = drifts_from(doc.get("drift"))
    if drift:  # element names come from the feed: escaped
        st.warning("**The body drifted from the feed's baseline:** " + "; ".join(md_escape(d.text) for d in drift))
    coverage = doc.get("fieldCoverage")
    if coverage:
        shares = " · ".join(f"{name} {_percent(coverage.get(name)) or 0:g} %" for name in COVERAGE_FIELDS)
        st.caption(f"Field coverage of the body's {(doc.get('shape') or {}).get('items', 0)} items: {shares}")


def render() -> None:
    """The Data quality page."""
    st.title("Data quality")
    tz = timezone()
    days = st.segmented_control("Window", WINDOWS_DAYS, default=30, format_func=lambda d: f"{d} days",
                                key="quality-window") or 30  # fmt: skip
    since = (datetime.now(UTC) - timedelta(days=days)).replace(second=0, microsecond=0)  # a minute-stable cache key
    docs = load(queries.profile_history, since, what="field coverage")
    if not docs:
        st.info(f"No feed body was parsed in the last {days} days: coverage and drift are measured on every run "
                "that fetched a new body (`not_modified` runs have nothing to measure).")  # fmt: skip
        return
    names = {doc["fileName"]: doc.get("feedName") or "" for doc in docs}
    st.subheader("Latest coverage per feed (%)")
    st.dataframe(latest_frame(docs, names), hide_index=True)
    url = st.selectbox("Feed", list(names), format_func=lambda u: feed_label(u, names[u]), key="quality-feed")
    if url is not None:
        frame = coverage_frame([doc for doc in docs if doc["fileName"] == url], tz)
        if frame.empty:
            st.info("No run of this feed read any item's fields in this window.")
        else:
            st.altair_chart(coverage_chart(frame, f"Field coverage of {names[url] or url}"), width="stretch")
    st.subheader("Drifts")
    drifts = drift_frame(docs, names, tz)
    if drifts.empty:
        st.success(f"No drift in the last {days} days: every parsed body looked like its feed's baseline.")
    else:
        st.dataframe(drifts, hide_index=True,
                     column_config={"detail": st.column_config.LinkColumn("detail", display_text="open", width="small")})  # fmt: skip
    st.caption(
        f"Times in {tz}. A body is compared with its feed's last 5 earlier parsed bodies: `coverage_drop` when a "
        f"field's share falls {COVERAGE_DROP:g} or more below their median, `element_missing` when an element "
        f"{ELEMENT_PRESENT:.0%} of their items carried is in fewer now, `format_changed`, `item_element_changed`, "
        "`namespace_changed`. A drift is notified once and stored on every run it lasts."
    )
