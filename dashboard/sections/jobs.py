"""Jobs: search by title/company/location, filter by board, page through, and read one job safely."""

from __future__ import annotations

from typing import Any

import nh3
import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.sections.common import feed_label, fmt_time, load, md_escape, pager, timezone
from jobfeed.constants import LAST_SEEN_REFRESH_S
from jobfeed.store.reads import COUNT_CAP, MAX_QUERY_CHARS

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


def jobs_frame(rows: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    """The result table: what a job is, where, from which board, and when it was seen."""
    return pd.DataFrame.from_records(
        [{"title": d.get("title") or "", "company": d.get("company") or "", "location": d.get("location") or "",
          "source": d.get("source") or "", "published": fmt_time(d.get("publishedAt"), tz),
          "last seen": fmt_time(d.get("lastSeenAt"), tz)} for d in rows],
        columns=["title", "company", "location", "source", "published", "last seen"],
    )  # fmt: skip


def show_job(job: dict[str, Any], tz: str) -> None:
    """One job: facts, link, and its description as sanitized HTML (or plain text)."""
    st.subheader(md_escape(job.get("title") or "(no title)"))  # feed text: literal, never markdown
    facts = [job.get("company"), job.get("location"), job.get("jobType"), job.get("category"), job.get("source")]
    published = fmt_time(job.get("publishedAt"), tz) or "—"
    st.caption(" · ".join(md_escape(str(f)) for f in facts if f) + f" · published {published}")
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


def render() -> None:
    """The Jobs page."""
    st.title("Jobs")
    tz = timezone()
    left, right = st.columns([3, 1])
    q = left.text_input("Search title, company or location", max_chars=MAX_QUERY_CHARS, key="job-q").strip()
    sources = load(queries.job_sources, what="boards")
    source = right.selectbox("Source", [None, *sources], format_func=lambda s: s or "all boards", key="job-source")
    total = load(queries.count_jobs, q, source, what="jobs")
    if total == 0:
        st.info("No job matches this search." if q or source else "No jobs yet: run `jobfeed import`.")
        return
    capped = total >= COUNT_CAP
    page = pager(total, key=f"jobs-page-{q}-{source}", capped=capped)
    rows = load(queries.search_jobs, q, source, page, what="jobs")
    st.dataframe(jobs_frame(rows, tz), hide_index=True)
    st.caption(
        f"“last seen” is refreshed at most every {LAST_SEEN_REFRESH_S // 3600} hours while a job stays "
        "in its feeds, so hourly imports do not rewrite unchanged jobs."
    )
    ids = [str(d["_id"]) for d in rows]
    titles = {str(d["_id"]): f"{d.get('title') or '(no title)'} — {d.get('company') or d.get('source')}" for d in rows}
    chosen = st.selectbox(
        "Open a job",
        [None, *ids],
        format_func=lambda i: "—" if i is None else titles[i],
        key=f"job-open-{q}-{source}-{page}",
    )
    if chosen:
        job = load(queries.get_job, chosen, what="the job")
        if job is None:
            st.warning("This job is gone (deleted since the list was loaded).")
        else:
            show_job(job, tz)
