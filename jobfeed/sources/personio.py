"""Personio XML feed: GET {company}.jobs.personio.de/xml -> <workzag-jobs><position>...</position></workzag-jobs>.

Chosen by a feeds.yaml `kind: personio` (its root is never detected). A position has no link: its
page is https://{company}.jobs.personio.de/job/{id}, the company being the board of the source.
"""

from __future__ import annotations

from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources import boards
from jobfeed.sources.dialect import XmlDialect
from jobfeed.sources.fields import RawJob, first, join_distinct
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.namespaces import namespace_map
from jobfeed.sources.values import text_of, texts_of

PERSONIO = XmlDialect(
    depth=2,  # workzag-jobs (1) / position (2)
    item="position",
    wanted=frozenset({"position"}),  # the feed has no title
    namespaces=namespace_map(),
    title_of=text_of,
)


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One <position>."""
    get = item.get
    extra = get("additionalOffices")
    identity = text_of(get("id"))
    return RawJob(
        identity=identity,
        title=text_of(get("name")),
        company=text_of(get("subcompany")),
        location=boards.places(
            [text_of(get("office")), *texts_of(extra.get("office") if isinstance(extra, dict) else None)]
        ),
        job_type=join_distinct(texts_of(get("employmentType")) + texts_of(get("schedule"))),
        category=first(text_of(get("recruitingCategory")), text_of(get("occupationCategory"))),
        url=_job_page(source, identity),
        description_html=_descriptions(get("jobDescriptions")),
        published=text_of(get("createdAt")),
        department=text_of(get("department")),
    )


def _descriptions(value: Any) -> str | None:
    """Every <jobDescription> as its <name> heading and its <value> HTML, in order."""
    entries = value.get("jobDescription") if isinstance(value, dict) else None
    parts = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict) and text_of(entry.get("value")):
            name = text_of(entry.get("name"))
            parts.append((f"<h3>{name}</h3>" if name else "") + (text_of(entry.get("value")) or "").strip())
    return "".join(parts) or None


def _job_page(source: str, identity: str | None) -> str | None:
    """The position's page on the company's Personio career site (source is "personio:<company>")."""
    kind, _, company = source.partition(":")
    if kind != FeedFormat.PERSONIO or not company or not identity or not identity.strip().isdigit():
        return None
    return f"https://{company}.jobs.personio.de/job/{identity.strip()}"


SOURCE = SourceKind(
    format=FeedFormat.PERSONIO,
    roots=("workzag-jobs",),
    stream=PERSONIO.stream,
    extract=extract,
    detected=False,
)
