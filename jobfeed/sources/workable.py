"""Workable widget API: GET apply.workable.com/api/v1/widget/accounts/{account}?details=true.

The answer is {"name": <account's display name>, "description", "jobs": [...]}; the name is the
company of every job, so the stream hands it along with each job under ACCOUNT_NAME (a raw item
is then whole on its own, e.g. in a dead letter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources import boards
from jobfeed.sources.fields import RawJob, first
from jobfeed.sources.kind import OnItem, SourceKind
from jobfeed.sources.values import text_of
from jobfeed.sources.xmlsafe import Source

ACCOUNT_NAME = "@account_name"  # not a Workable field: "@" marks what the stream added


def stream(source: Source, codec: str, on_item: OnItem, on_restart: Callable[[], None]) -> str | None:
    """Hand each job, with the account's name, to on_item; returns the account's name."""
    data = boards.load_json(source, "workable")
    jobs = boards.job_list(data, "jobs", "workable")
    name = text_of(data.get("name"))
    for job in jobs:
        on_item({**job, ACCOUNT_NAME: name} if name else job)
    return name


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One job of the account."""
    locations = boards.arr(item.get("locations"))
    places = [
        boards.place(entry.get("city"), entry.get("region"), entry.get("country"))
        for entry in locations
        if isinstance(entry, dict) and entry.get("hidden") is not True
    ]
    return RawJob(
        identity=text_of(item.get("shortcode")),
        title=text_of(item.get("title")),
        company=text_of(item.get(ACCOUNT_NAME)),
        location=boards.places(places) or boards.place(item.get("city"), item.get("state"), item.get("country")),
        job_type=text_of(item.get("employment_type")),
        category=first(text_of(item.get("function")), text_of(item.get("industry"))),
        url=first(text_of(item.get("url")), text_of(item.get("shortlink")), text_of(item.get("application_url"))),
        description_html=text_of(item.get("description")),
        published=first(text_of(item.get("published_on")), text_of(item.get("created_at"))),
        remote=boards.flag(item.get("telecommuting")),
        department=text_of(item.get("department")),
    )


SOURCE = SourceKind(format=FeedFormat.WORKABLE, roots=(), stream=stream, extract=extract, json=True, detected=False)
