"""Run now: queue an import run through run control (the on-demand deployment, a priority, an optional
feed selection and delay), and follow or cancel the latest runs, updated in place while any is going."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import actions, queries
from dashboard.sections.common import fmt_time, md_escape, timezone
from jobfeed.ops.runs import ON_DEMAND, Priority, RunView
from jobfeed.settings import get_settings

RESULT_KEY = "run-now-result"
CANCEL_KEY = "run-cancel-result"
RECENT = 10  # runs listed
MAX_DELAY_MIN = 7 * 24 * 60  # a week: further ahead is a schedule (feeds.yaml), not a run
RUN_COLUMNS = {
    "run": st.column_config.TextColumn("run", width="small"),
    "state": st.column_config.TextColumn("state", width="small"),
    "deployment": st.column_config.TextColumn("deployment", help="`import-feeds/on-demand` = started by hand"),
    "priority": st.column_config.TextColumn("priority", width="small"),
    "scheduled for": st.column_config.TextColumn("scheduled for"),
    "started": st.column_config.TextColumn("started"),
    "finished": st.column_config.TextColumn("finished"),
    "prefect": st.column_config.LinkColumn("prefect", display_text="open", width="small"),
}


def runs_frame(runs: list[RunView], tz: str) -> pd.DataFrame:
    """One row per run: its state (Prefect's own name: `Late`, `Partial`, ...), where it came from and when."""
    return pd.DataFrame.from_records(
        [
            {
                "run": run.name,
                "state": run.state_name,
                "deployment": run.deployment or "jobfeed import",
                "priority": run.priority or "",
                "scheduled for": fmt_time(run.scheduled_for, tz),
                "started": fmt_time(run.started_at, tz),
                "finished": fmt_time(run.finished_at, tz),
                "prefect": run.url,
            }
            for run in runs
        ],
        columns=list(RUN_COLUMNS),
    )


def start_form() -> None:
    """Feeds (none chosen = every enabled feed), priority and delay; the button queues the run."""
    feed_file = queries.feed_file()
    enabled = {spec.public_url: spec.name for spec in feed_file.specs if spec.enabled}
    if feed_file.error:
        st.caption(f"Feed selection unavailable: {md_escape(feed_file.error)}")
    feeds_col, priority_col, delay_col = st.columns([4, 2, 2], vertical_alignment="bottom")
    chosen = feeds_col.multiselect("Feeds", list(enabled), format_func=lambda url: enabled[url] or url,
                                   placeholder="every enabled feed", key="run-now-feeds")  # fmt: skip
    priority = priority_col.radio("Priority", [p.value for p in Priority], index=1, horizontal=True,
                                  key="run-now-priority", help="high runs are taken first")  # fmt: skip
    delay = delay_col.number_input("Start in (minutes)", min_value=0, max_value=MAX_DELAY_MIN, value=0, step=5,
                                   key="run-now-delay", help="0 = now")  # fmt: skip
    if st.button("Run now", key="run-now", type="primary"):
        when = datetime.now(UTC) + timedelta(minutes=int(delay)) if delay else None
        with st.spinner("Asking Prefect for a run…"):
            st.session_state[RESULT_KEY] = actions.submit(
                feed_urls=list(chosen) or None, priority=Priority(str(priority)), scheduled_for=when
            )
        queries.clear()  # the run list and history pick up the new run at once
    result: actions.RunResult | None = st.session_state.get(RESULT_KEY)
    if result is None:
        return
    if result.ok and result.run:
        st.success(result.message)
        st.link_button("Open the run in the Prefect UI", result.run.url)
        st.caption(f"Flow run `{result.run.id}` · {result.run.url}")
    else:
        st.warning(result.message)


def recent(tz: str) -> None:
    """The latest runs and a cancel button per unfinished one; refreshed in place while any is unfinished."""
    listed = queries.recent_runs(RECENT)
    every = get_settings().dashboard_refresh_s if any(not run.terminal for run in listed.items) else None

    @st.fragment(run_every=every)
    def table() -> None:
        runs = queries.recent_runs(RECENT)
        if runs.error:
            st.warning(runs.error)
            return
        if every and all(run.terminal for run in runs.items):
            st.rerun()  # every run ended: a full rerun redeclares this fragment without its timer
        if not runs.items:
            st.info("No import runs yet.")
            return
        st.dataframe(runs_frame(runs.items, tz), column_config=RUN_COLUMNS, hide_index=True, key="runs-table")
        for run in (run for run in runs.items if not run.terminal):
            text_col, button_col = st.columns([5, 1], vertical_alignment="center")
            text_col.write(f"**{md_escape(run.name)}** · {run.state_name} · {md_escape(run.deployment or '')}")
            if button_col.button("Cancel", key=f"cancel-{run.id}"):
                st.session_state[CANCEL_KEY] = actions.cancel(run.id)
                queries.clear()
                st.rerun()
        if every:
            st.caption(f":material/autorenew: A run is going: this list refreshes every {every:g} s.")

    table()
    cancelled: actions.RunResult | None = st.session_state.pop(CANCEL_KEY, None)
    if cancelled is not None:
        (st.success if cancelled.ok else st.warning)(cancelled.message)


def render() -> None:
    """The Run now page."""
    st.title("Run now")
    st.write(
        f"Queues a run of `{ON_DEMAND}`: a worker takes it as soon as one is free (after a run that is going, "
        "never cancelling it). Its import logs appear in **Import history** as it goes."
    )
    start_form()
    st.subheader("Latest runs")
    recent(timezone())
