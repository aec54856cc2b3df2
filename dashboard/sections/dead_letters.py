"""Dead letters: pending counts by reason, the letters themselves, and a re-drive action."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import actions, queries
from dashboard.sections.common import act, feed_label, fmt_time, load, pager, timezone
from jobfeed.redact import redact_text

RESULT_KEY = "redrive-result"


def letters_frame(rows: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    """One row per pending letter: why, from which feed, how often tried, since when."""
    return pd.DataFrame.from_records(
        [{"reason": d.get("reason") or "", "feed": feed_label(d.get("feed")),
          "kind": (d.get("payload") or {}).get("kind") or "", "item": (d.get("payload") or {}).get("itemKey") or "",
          "message": redact_text(str(d.get("message") or "")), "attempts": d.get("attempts", 0),
          "first failed": fmt_time(d.get("firstFailedAt"), tz), "last failed": fmt_time(d.get("lastFailedAt"), tz),
          "key": d.get("key") or ""} for d in rows],
        columns=["reason", "feed", "kind", "item", "message", "attempts", "first failed", "last failed", "key"],
    )  # fmt: skip


def render() -> None:
    """The Dead letters page."""
    st.title("Dead letters")
    tz = timezone()
    done = st.session_state.pop(RESULT_KEY, None)  # set by the button below, shown after the rerun
    if done is not None:
        (st.success if done.resolved == done.attempted else st.warning)(done.message)
    counts = load(queries.dead_letter_counts, what="dead letters")
    if not counts:
        st.success("No pending dead letters: every failed batch has been re-driven, or none failed.")
        return
    by_reason = pd.DataFrame(sorted(counts.items(), key=lambda kv: -kv[1]), columns=["reason", "letters"])
    st.bar_chart(by_reason, x="reason", y="letters", horizontal=True, height=max(120, 40 * len(counts)))
    reason = st.selectbox(
        "Reason", [None, *sorted(counts)], format_func=lambda r: "all reasons" if r is None else f"{r} ({counts[r]})"
    )
    total = load(queries.count_dead_letters, reason, what="dead letters")
    page = pager(total, key=f"letters-page-{reason}")
    rows = load(queries.dead_letter_page, reason, page, what="dead letters")
    st.dataframe(letters_frame(rows, tz), hide_index=True)
    st.caption(f"Pending letters, oldest first. Times in {tz}.")
    batch = min(total, actions.REDRIVE_LIMIT)
    scope = f"{batch} oldest `{reason}` letter(s)" if reason else f"{batch} oldest pending letter(s)"
    if st.button(
        f"Re-drive the {scope}",
        key="redrive",
        type="primary",
        help="Re-process them with today's code, as `jobfeed redrive` does; resolved ones leave this list.",
    ):
        result = act(actions.redrive, queries.store(), reason=reason, doing="Re-driving")
        queries.clear()
        st.session_state[RESULT_KEY] = result
        st.rerun()  # so the table shows what the re-drive changed
