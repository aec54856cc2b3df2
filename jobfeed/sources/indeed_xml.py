"""Indeed-style XML job feeds (the format many ATSs syndicate with): <source><job>...</job></source>.

Detected by its root <source>. `referencenumber` is a job's identity; `salary` is free text
(salaryText); `remotetype` ("Fully remote", "Hybrid remote", ...) says whether it is remote.
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

INDEED = XmlDialect(
    depth=2,  # source (1) / job (2)
    item="job",
    wanted=frozenset({"job", "publisher"}),  # jobs, and the publisher's name as the feed's title
    namespaces=namespace_map(),
    title_of=text_of,
)


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One <job>."""
    get = item.get
    return RawJob(
        identity=first(text_of(get("referencenumber")), text_of(get("url"))),
        title=text_of(get("title")),
        company=text_of(get("company")),
        location=boards.place(get("city"), get("state"), get("country"), get("postalcode")),
        job_type=text_of(get("jobtype")),
        category=join_distinct(texts_of(get("category"))),
        url=text_of(get("url")),
        description_html=text_of(get("description")),
        published=text_of(get("date")),
        remote=_remote(text_of(get("remotetype"))),
        salary_text=text_of(get("salary")),
    )


def _remote(value: str | None) -> bool | None:
    """ "Fully remote" -> True, "Hybrid remote" -> False (partly on site); anything else is not said."""
    text = (value or "").lower()
    if "hybrid" in text:
        return False
    return True if "remote" in text else None


SOURCE = SourceKind(format=FeedFormat.INDEED_XML, roots=("source",), stream=INDEED.stream, extract=extract)
