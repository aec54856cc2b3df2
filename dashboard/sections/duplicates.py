"""Duplicates: one position listed on several boards, found by the duplicate key (docs/duplicates.md)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.sections.common import fmt_time, load, md_escape, timezone
from dashboard.sections.job_detail import detail_link
from jobfeed.store.job_reads import MAX_DUPLICATE_GROUPS

STATUSES = {"all": "open and closed", "open": "open", "closed": "closed"}
LINK = {"detail": st.column_config.LinkColumn("detail", display_text="open", width="small")}


def groups_frame(groups: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    """One row per group: the newest copy's title, company and place, the boards, how many copies."""
    records = []
    for group in groups:
        first = (group.get("jobs") or [{}])[0]
        records.append({
            "title": first.get("title") or "", "company": first.get("company") or "",
            "location": first.get("location") or "", "boards": ", ".join(group.get("boards") or []),
            "copies": group.get("count", 0), "last seen": fmt_time(group.get("lastSeenAt"), tz),
        })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=["title", "company", "location", "boards", "copies", "last seen"])


def copies_frame(group: dict[str, Any], tz: str) -> pd.DataFrame:
    """The copies of one group, as each board lists them."""
    return pd.DataFrame.from_records(
        [{"source": j.get("source") or "", "title": j.get("title") or "", "company": j.get("company") or "",
          "location": j.get("location") or "", "status": j.get("status") or "open",
          "last seen": fmt_time(j.get("lastSeenAt"), tz), "detail": detail_link(j["_id"])}
         for j in group.get("jobs") or []],
        columns=["source", "title", "company", "location", "status", "last seen", "detail"],
    )  # fmt: skip


def render() -> None:
    """The Duplicates page."""
    st.title("Duplicates")
    tz = timezone()
    status = st.selectbox("Status", list(STATUSES), format_func=lambda s: STATUSES[s], key="dup-status")
    groups = load(queries.duplicate_groups, None if status == "all" else status, what="duplicates")
    if not groups:
        st.info("No job is listed on more than one board.")
        return
    more = f" (the {MAX_DUPLICATE_GROUPS} most recently seen)" if len(groups) >= MAX_DUPLICATE_GROUPS else ""
    st.caption(
        f"{len(groups)} job(s) on more than one board{more}. Two postings are one job when their company, title "
        "and place match after folding case, punctuation, legal forms (Inc., GmbH) and spellings of places "
        "and of “remote”."
    )
    st.dataframe(groups_frame(groups, tz), hide_index=True, key="dup-groups")
    for group in groups[:50]:  # the newest groups in detail; the table above lists them all
        first = (group.get("jobs") or [{}])[0]
        label = f"{first.get('title') or '?'} — {first.get('company') or '?'} · {', '.join(group.get('boards') or [])}"
        with st.expander(md_escape(label)):
            st.dataframe(copies_frame(group, tz), hide_index=True, column_config=LINK)
