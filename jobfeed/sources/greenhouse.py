"""Greenhouse Job Board API: GET boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true -> {"jobs": [...]}.

`content` is the posting's HTML escaped once more ("&lt;p&gt;"): unescaped once here. The list has
no pay; a posting's own answer (`/jobs/{id}?pay_transparency=true`) has `pay_input_ranges`.
"""

from __future__ import annotations

import html
from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources import boards
from jobfeed.sources.fields import RawJob, first
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.values import text_of


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One job post of the list (completed by its detail answer, when fetched)."""
    content = text_of(item.get("content"))
    offices = boards.arr(item.get("offices"))
    office_places = [boards.name_of(office.get("location")) or boards.name_of(office) for office in offices]
    return RawJob(
        identity=text_of(item.get("id")),  # the job post's id (internal_job_id names the job behind it)
        title=text_of(item.get("title")),
        location=first(boards.name_of(item.get("location")), boards.places(office_places)),
        department=boards.names_of(item.get("departments")),
        url=text_of(item.get("absolute_url")),
        description_html=html.unescape(content) if content else None,
        published=item.get("updated_at"),  # the list's only date
        salary=_pay(item.get("pay_input_ranges")),
    )


def _pay(ranges: Any) -> Any:
    """The first pay range of a posting's detail answer (amounts in cents, no period given)."""
    if not isinstance(ranges, list) or not ranges or not isinstance(ranges[0], dict):
        return None
    pay = ranges[0]
    low, high = boards.number(pay.get("min_cents")), boards.number(pay.get("max_cents"))
    return boards.salary(
        low / 100 if low is not None else None, high / 100 if high is not None else None, pay.get("currency_type")
    )


def detail_url(item: dict[str, Any], list_url: str) -> str | None:
    """The job post's own answer, with its pay ranges: `.../jobs/{id}?pay_transparency=true`."""
    return boards.detail_path(list_url, item.get("id"), pay_transparency="true")


SOURCE = SourceKind(
    format=FeedFormat.GREENHOUSE,
    roots=(),
    stream=boards.json_stream("greenhouse", "jobs"),
    extract=extract,
    json=True,
    detected=False,
    detail_url=detail_url,
)
