"""Job detail: one job's facts, its sanitized description, the same job on other boards, and its timeline.

Opened from the Jobs page (a row's "detail" link, `job?id=<id>`) or the Duplicates page. The timeline is
the job's `job_changes`, newest first, with the first and last sightings and the closing around them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import nh3
import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.sections.common import feed_label, fmt_time, load, md_escape, timezone

JOB_PARAM = "id"  # ?id=<job id>
JOB_PAGE = "job"  # url_path of this page (dashboard/app.py)
# Feed HTML is untrusted. nh3 keeps formatting and links only: no script/style/iframe/form, no event
# handlers, no `style`, no images (a remote image in a description is a tracking pixel on the admin).
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(html: str) -> str:
    """Description HTML reduced to harmless formatting; links get rel=noopener noreferrer nofollow."""
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow", strip_comments=True,
    )  # fmt: skip


def detail_link(job_id: object) -> str:
    """The relative URL of a job's detail page (a LinkColumn value)."""
    return f"{JOB_PAGE}?{JOB_PARAM}={job_id}"


def status_text(job: dict[str, Any], tz: str) -> str:
    """`open`, or `closed since <time>` (jobs from before the lifecycle have no status: open)."""
    if job.get("status") == "closed":
        return f"closed since {fmt_time(job.get('closedAt'), tz) or '?'}"
    return "open"


def show_job(job: dict[str, Any], tz: str) -> None:
    """One job: facts, status, link, and its description as sanitized HTML (or plain text)."""
    st.subheader(md_escape(job.get("title") or "(no title)"))  # feed text: literal, never markdown
    facts = [job.get("company"), job.get("location"), job.get("jobType"), job.get("category"), job.get("source")]
    published = fmt_time(job.get("publishedAt"), tz) or "—"
    st.caption(" · ".join(md_escape(str(f)) for f in facts if f) + f" · published {published} · "
               f"**{status_text(job, tz)}**")  # fmt: skip
    if (job.get("url") or "").startswith(("http://", "https://")):
        st.link_button("Open the posting", job["url"])
    st.caption("Seen in: " + ", ".join(md_escape(feed_label(u)) for u in job.get("feeds") or []))
    as_text = st.toggle("Show as plain text", key="job-as-text")
    html, text = job.get("descriptionHtml"), job.get("descriptionText")
    if as_text or not html:
        st.text(text or "(no description)")
    else:
        # wrapped in a div: st.html would read a *file* if the body were an existing path such as /etc/passwd
        st.html(f'<div class="job-description">{sanitize(html)}</div>')


def show_other_boards(copies: list[dict[str, Any]], tz: str) -> None:
    """The same position on other boards (same duplicate key)."""
    if not copies:
        return
    st.markdown(f"**Also listed on {len(copies)} other board(s)** (same company, title and place)")
    frame = pd.DataFrame.from_records(
        [{"source": c.get("source") or "", "title": c.get("title") or "", "company": c.get("company") or "",
          "location": c.get("location") or "", "status": c.get("status") or "open",
          "last seen": fmt_time(c.get("lastSeenAt"), tz), "detail": detail_link(c["_id"])} for c in copies],
        columns=["source", "title", "company", "location", "status", "last seen", "detail"],
    )  # fmt: skip
    st.dataframe(frame, hide_index=True, key="job-other-boards",
                 column_config={"detail": st.column_config.LinkColumn("detail", display_text="open")})  # fmt: skip


def timeline_rows(job: dict[str, Any]) -> list[tuple[datetime | None, str, dict[str, Any]]]:
    """(when, what, changes) newest first: the recorded changes, between the first sighting and now."""
    rows: list[tuple[datetime | None, str, dict[str, Any]]] = []
    for change in job.get("history") or []:
        fields = change.get("changes") or {}
        status = (fields.get("status") or {}).get("new")
        what = {"closed": "closed", "open": "reopened"}.get(str(status), "changed")
        rows.append((change.get("at"), what, change))
    rows.append((job.get("firstSeenAt"), "first seen", {}))
    return rows


def show_timeline(job: dict[str, Any], tz: str) -> None:
    """The job's life, newest first: each change with its fields' old → new and the description's diff."""
    rows = timeline_rows(job)
    st.markdown(f"**Timeline** ({len(rows) - 1} change(s), newest first, times in {tz})")
    for at, what, change in rows:
        fields = {k: v for k, v in (change.get("changes") or {}).items() if k not in {"description", "status"}}
        names = ", ".join(sorted(fields) + (["description"] if "description" in (change.get("changes") or {}) else []))
        header = f"{fmt_time(at, tz) or '?'} · {what}" + (f" · {names}" if names else "")
        if not change:
            st.caption(header)
            continue
        with st.expander(header, expanded=False):
            if change.get("feed") or change.get("flowRunId"):
                st.caption(f"Feed {md_escape(feed_label(change.get('feed')))} · flow run `{change.get('flowRunId')}`")
            if fields:
                st.dataframe(
                    pd.DataFrame([{"field": k, "old": _cell(v.get("old"), tz), "new": _cell(v.get("new"), tz)}
                                  for k, v in sorted(fields.items()) if isinstance(v, dict)],
                                 columns=["field", "old", "new"]),
                    hide_index=True,
                )  # fmt: skip
            description = (change.get("changes") or {}).get("description")
            if isinstance(description, dict):
                st.code(description.get("diff") or "(no text difference: the HTML changed)", language="diff")
                if description.get("diffTruncated"):
                    st.caption("The diff is cut at 4 KB.")


def _cell(value: Any, tz: str) -> str:
    return fmt_time(value, tz) if isinstance(value, datetime) else "" if value is None else str(value)


def show_detail(job_id: str, tz: str) -> None:
    """Everything about one job, or a warning when it is gone."""
    job = load(queries.get_job_with_history, job_id, what="the job")
    if job is None:
        st.warning("This job is gone (deleted since the list was loaded), or the id is wrong.")
        return
    show_job(job, tz)
    show_other_boards(job.get("otherBoards") or [], tz)
    show_timeline(job, tz)


def render() -> None:
    """The Job detail page."""
    st.title("Job")
    job_id = st.query_params.get(JOB_PARAM)
    if not job_id:
        st.info("Open a job from **Jobs** (a row's detail link) or from **Duplicates**.")
        return
    show_detail(str(job_id), timezone())
