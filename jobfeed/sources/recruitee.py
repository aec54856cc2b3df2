"""Recruitee Careers Site API: GET {company}.recruitee.com/api/offers/ -> {"offers": [...]}, the whole board."""

from __future__ import annotations

from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources import boards
from jobfeed.sources.fields import RawJob, first
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.values import text_of


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One offer."""
    description = "".join(text_of(item.get(key)) or "" for key in ("description", "requirements"))
    return RawJob(
        identity=text_of(item.get("id")),
        title=text_of(item.get("title")),
        company=text_of(item.get("company_name")),
        location=first(text_of(item.get("location")), boards.place(item.get("city"), item.get("country"))),
        job_type=text_of(item.get("employment_type_code")),
        url=first(text_of(item.get("careers_url")), text_of(item.get("careers_apply_url"))),
        description_html=description or None,
        published=_utc(first(text_of(item.get("published_at")), text_of(item.get("created_at")))),
        remote=boards.flag(item.get("remote")),
        department=text_of(item.get("department")),
    )


def _utc(value: str | None) -> str | None:
    """Recruitee writes "2026-01-12 09:15:00 UTC": ISO 8601 once the zone is an offset."""
    if value and value.rstrip().endswith(" UTC"):
        return value.rstrip()[: -len(" UTC")] + "+00:00"
    return value


SOURCE = SourceKind(
    format=FeedFormat.RECRUITEE,
    roots=(),
    stream=boards.json_stream("recruitee", "offers"),
    extract=extract,
    json=True,
    detected=False,
)
