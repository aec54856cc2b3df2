"""Lever Postings API: GET api.lever.co/v0/postings/{company}?mode=json -> [posting, ...], paged by skip/limit.

Fields as Lever's postings-api README documents them; `createdAt` (milliseconds since 1970) is not
in that table but is in the answers, and is the only date a posting has.
"""

from __future__ import annotations

from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources import boards
from jobfeed.sources.fields import RawJob, first
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.values import text_of

PAGE_SIZE = 100  # postings per request; a page shorter than its limit is the last
_WORKPLACE_REMOTE = {"remote": True, "on-site": False, "hybrid": False}  # "unspecified": not said


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One posting."""
    categories = boards.obj(item.get("categories"))
    pay = boards.obj(item.get("salaryRange"))
    workplace = (text_of(item.get("workplaceType")) or "").strip().lower()
    return RawJob(
        identity=text_of(item.get("id")),
        title=text_of(item.get("text")),
        location=boards.places([text_of(categories.get("location"))]),
        job_type=text_of(categories.get("commitment")),
        category=text_of(categories.get("team")),
        url=first(text_of(item.get("hostedUrl")), text_of(item.get("applyUrl"))),
        description_html=_description(item),
        published=item.get("createdAt"),
        remote=_WORKPLACE_REMOTE.get(workplace),
        department=first(text_of(categories.get("department")), text_of(categories.get("team"))),
        salary=boards.salary(pay.get("min"), pay.get("max"), pay.get("currency"), pay.get("interval")),
        salary_text=text_of(item.get("salaryDescriptionPlain")),
    )


def _description(item: dict[str, Any]) -> str | None:
    """The whole posting: description (opening + body), its lists (requirements, ...), the closing."""
    parts = [text_of(item.get("description")) or ""]
    for entry in boards.arr(item.get("lists")):
        if isinstance(entry, dict) and text_of(entry.get("content")):
            parts.append(f"<h3>{text_of(entry.get('text')) or ''}</h3><ul>{text_of(entry.get('content'))}</ul>")
    parts.append(text_of(item.get("additional")) or "")
    return "".join(parts) or None


def first_request(url: str) -> str:
    """The first page: skip=0 and a limit (kept when the URL names one)."""
    return boards.with_query(url, skip=0, limit=boards.query_int(url, "limit") or PAGE_SIZE)


def next_request(url: str, page: Any) -> str | None:
    """After a page (a JSON list): the next skip, or None when the page was short, empty or unpaged."""
    limit = boards.query_int(url, "limit")
    if limit is None or not isinstance(page, list) or len(page) < limit:
        return None  # without a limit Lever answers every posting at once
    return boards.with_query(url, skip=(boards.query_int(url, "skip") or 0) + len(page), limit=limit)


SOURCE = SourceKind(
    format=FeedFormat.LEVER,
    roots=(),
    stream=boards.json_stream("lever", None),
    extract=extract,
    json=True,
    detected=False,
    first_request=first_request,
    next_request=next_request,
)
