"""Run detail: one feed run's counts, its feed error, its item failures grouped by reason, and its Prefect link."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import actions, queries
from dashboard.sections import provenance
from dashboard.sections.common import feed_label, fmt_duration, fmt_time, load, md_escape, timezone
from dashboard.sections.history import COLUMNS, history_frame
from dashboard.sections.quality import render_run_quality
from jobfeed.importlog import LogStatus
from jobfeed.redact import redact_text
from jobfeed.settings import get_settings
from jobfeed.store.reads import LogFilter

LOG_PARAM = "log"  # ?log=<ImportLog id>, as linked from the history table
COUNTS = [("total", "totalFetched"), ("new", "newJobs"), ("updated", "updatedJobs"), ("unchanged", "unchangedJobs"),
          ("failed", "failedJobs"), ("closed", "closedJobs"), ("reopened", "reopenedJobs")]  # fmt: skip


def failures_by_reason(doc: dict[str, Any]) -> list[tuple[str, int, list[dict[str, Any]]]]:
    """(reason, exact count, listed failures) per reason, most frequent first.

    The log lists at most 100 failures (`failuresTruncated`); `failuresByReason` keeps exact counts.
    """
    listed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for failure in doc.get("failures") or []:
        listed[failure.get("reason") or "unknown"].append(failure)
    counts = {reason: len(items) for reason, items in listed.items()} | dict(doc.get("failuresByReason") or {})
    return sorted(((r, n, listed.get(r, [])) for r, n in counts.items()), key=lambda item: (-item[1], item[0]))


def pick_log_id() -> str | None:
    """The log named in the URL, else a select of the latest runs (which then goes into the URL)."""
    log_id = st.query_params.get(LOG_PARAM)
    if log_id:
        return str(log_id)
    recent = load(queries.log_page, LogFilter(), 1, what="recent runs")
    if not recent:
        st.info("No imports yet: nothing to show. Run `jobfeed import` or use **Run now**.")
        return None
    tz = timezone()
    chosen = st.selectbox(
        "Run", [str(doc["_id"]) for doc in recent],
        format_func=lambda i: next(f"{fmt_time(d.get('startedAt'), tz)} · {d.get('feedName') or feed_label(d.get('fileName'))}"
                                   f" · {d.get('status')}" for d in recent if str(d["_id"]) == i),
    )  # fmt: skip
    return str(chosen) if chosen else None


def render() -> None:
    """The Run detail page: live (a fragment re-reading the log) while the run or a sibling feed of its flow run
    is going, so counts, status and failures fill in place."""
    st.title("Run detail")
    log_id = pick_log_id()
    if log_id is None:
        return
    doc = load(queries.get_log, log_id, what="the import log")
    if doc is None:
        st.warning(f"No import log with id `{log_id}`. Pick a run from **Import history**.")
        return
    every = get_settings().dashboard_refresh_s if going(doc, siblings_of(doc, log_id)) else None

    @st.fragment(run_every=every)
    def detail() -> None:
        current = load(queries.get_log, log_id, what="the import log") or doc
        siblings = siblings_of(current, log_id)
        if every and not going(current, siblings):
            st.rerun()  # it ended: a full rerun redeclares this fragment without its timer
        show(current, siblings)
        if every:
            st.caption(f":material/autorenew: This run is going: this page refreshes every {every:g} s.")

    detail()


def siblings_of(doc: dict[str, Any], log_id: str) -> list[dict[str, Any]]:
    """The other feeds' ImportLogs of the same flow run."""
    flow_run_id = doc.get("flowRunId")
    if not flow_run_id:
        return []
    return [d for d in load(queries.run_logs, str(flow_run_id), what="the flow run") if str(d["_id"]) != log_id]


def going(doc: dict[str, Any], siblings: list[dict[str, Any]]) -> bool:
    """True while this feed run, or another feed of its flow run, is still `running`."""
    return any(d.get("status") == LogStatus.RUNNING.value for d in (doc, *siblings))


def show(doc: dict[str, Any], siblings: list[dict[str, Any]]) -> None:
    """One ImportLog: counts, Prefect link, feed error, failures by reason, the other feeds of its flow run."""
    tz = timezone()
    st.subheader(md_escape(doc.get("feedName") or feed_label(doc.get("fileName"))))
    st.caption(f"{md_escape(feed_label(doc.get('fileName')))} · started {fmt_time(doc.get('startedAt'), tz)} ({tz}) · "
               f"finished {fmt_time(doc.get('finishedAt'), tz) or '—'} · {fmt_duration(doc.get('durationMs')) or 'running'}")  # fmt: skip
    facts = [("status", doc.get("status", "?"))] + [(label, doc.get(field, 0)) for label, field in COUNTS]
    for col, (label, value) in zip(st.columns(len(facts)), facts, strict=True):
        col.metric(label, value)
    flow_run_id = doc.get("flowRunId")
    if flow_run_id:
        url = actions.flow_run_url(str(flow_run_id))
        st.link_button("Open the flow run in the Prefect UI", url)
        st.caption(f"Flow run `{flow_run_id}` · {url}")
    else:
        st.caption("This run has no Prefect flow run id.")
    provenance.render(doc)  # the body it parsed, and a Replay button where the body is archived
    error = doc.get("error")
    if error:
        # the message may quote the feed's own (untrusted) bytes
        st.error(
            f"**The feed failed: `{error.get('reason')}`** — {md_escape(redact_text(str(error.get('message') or '')))}"
        )
    render_failures(doc)
    render_run_quality(doc)  # drift and field coverage of a parsed body (dashboard/sections/quality.py)
    if siblings:
        st.subheader("Other feeds of this flow run")
        st.dataframe(history_frame(siblings, tz), column_config=COLUMNS, hide_index=True)


def render_failures(doc: dict[str, Any]) -> None:
    """Item failures grouped by reason: message and item key of each listed one."""
    groups = failures_by_reason(doc)
    if not groups:
        st.success("No item failed in this run.")
        return
    st.subheader(f"Failures by reason ({sum(n for _, n, _ in groups)})")
    if doc.get("failuresTruncated"):
        st.caption("The log lists the first failures only; the counts per reason are exact.")
    for reason, count, items in groups:
        with st.expander(f"{reason} × {count}", expanded=len(groups) == 1):
            frame = pd.DataFrame(
                [{"message": redact_text(str(f.get("message") or "")), "itemKey": redact_text(str(f.get("itemKey") or ""))}
                 for f in items],
                columns=["message", "itemKey"],
            )  # fmt: skip
            st.dataframe(frame, hide_index=True)
