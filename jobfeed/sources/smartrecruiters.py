"""SmartRecruiters Posting API: GET api.smartrecruiters.com/v1/companies/{company}/postings, paged by offset/limit.

A list page is {"offset", "limit", "totalFound", "content": [posting, ...]}; its postings lack the job
ad and the links, which a posting's own answer (`.../postings/{id}`) has: `jobAd.sections`,
`postingUrl`, `applyUrl`.
"""

from __future__ import annotations

from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources import boards
from jobfeed.sources.fields import RawJob, first
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.values import text_of

PAGE_SIZE = 100  # the API's maximum limit
_SECTIONS = ("companyDescription", "jobDescription", "qualifications", "additionalInformation")


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One posting of a list page (completed by its detail answer, when fetched)."""
    location = boards.obj(item.get("location"))
    return RawJob(
        identity=text_of(item.get("id")),
        title=text_of(item.get("name")),
        company=boards.name_of(item.get("company")),
        location=boards.place(location.get("city"), location.get("region"), location.get("country")),
        job_type=boards.name_of(item.get("typeOfEmployment")),
        category=first(boards.name_of(item.get("function")), boards.name_of(item.get("industry"))),
        url=first(text_of(item.get("postingUrl")), text_of(item.get("applyUrl"))),
        description_html=_job_ad(item.get("jobAd")),
        published=item.get("releasedDate"),
        remote=boards.flag(location.get("remote")),
        department=boards.name_of(item.get("department")),
    )


def _job_ad(job_ad: Any) -> str | None:
    """The detail answer's job ad: each section's title and HTML text, in the ad's order."""
    sections = job_ad.get("sections") if isinstance(job_ad, dict) else None
    if not isinstance(sections, dict):
        return None
    parts = []
    for key in _SECTIONS:
        section = sections.get(key)
        if isinstance(section, dict) and text_of(section.get("text")):
            title = text_of(section.get("title"))
            parts.append((f"<h3>{title}</h3>" if title else "") + (text_of(section.get("text")) or ""))
    return "".join(parts) or None


def first_request(url: str) -> str:
    """The first page: offset 0 and the largest limit (kept when the URL names one)."""
    return boards.with_query(url, offset=0, limit=boards.query_int(url, "limit") or PAGE_SIZE)


def next_request(url: str, page: Any) -> str | None:
    """After a list page: the next offset, or None once `totalFound` postings (or a short page) arrived."""
    content = page.get("content") if isinstance(page, dict) else None
    if not isinstance(content, list) or not content:
        return None
    offset = boards.number(page.get("offset"))
    offset = int(offset) if offset is not None else boards.query_int(url, "offset") or 0
    limit = boards.number(page.get("limit"))
    limit = int(limit) if limit is not None else boards.query_int(url, "limit") or PAGE_SIZE
    total = boards.number(page.get("totalFound"))
    after = offset + len(content)
    if len(content) < limit or (total is not None and after >= total):
        return None
    return boards.with_query(url, offset=after, limit=limit)


def detail_url(item: dict[str, Any], list_url: str) -> str | None:
    """The posting's own answer: `.../postings/{id}` below the list URL."""
    return boards.detail_path(list_url, item.get("id"))


SOURCE = SourceKind(
    format=FeedFormat.SMARTRECRUITERS,
    roots=(),
    stream=boards.json_stream("smartrecruiters", "content"),
    extract=extract,
    json=True,
    detected=False,
    first_request=first_request,
    next_request=next_request,
    detail_url=detail_url,
)
