"""Ashby posting API: GET api.ashbyhq.com/posting-api/job-board/{board}?includeCompensation=true -> {"jobs": [...]}.

One answer holds the whole board (no paging). With includeCompensation each job carries
`compensation`: tiers of components, the "Salary" ones in numbers (minValue, maxValue, currencyCode,
interval "1 YEAR"), and summaries as text.
"""

from __future__ import annotations

from typing import Any

from jobfeed.models import FeedFormat, Salary
from jobfeed.sources import boards
from jobfeed.sources.fields import RawJob, first
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.values import text_of


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One job of the board."""
    secondary = boards.arr(item.get("secondaryLocations"))
    pay = boards.obj(item.get("compensation"))
    return RawJob(
        identity=first(text_of(item.get("id")), text_of(item.get("jobUrl"))),
        title=text_of(item.get("title")),
        location=boards.places(
            [text_of(item.get("location"))]
            + [text_of(entry.get("location")) for entry in secondary if isinstance(entry, dict)]
        ),
        job_type=text_of(item.get("employmentType")),
        category=text_of(item.get("team")),
        url=first(text_of(item.get("jobUrl")), text_of(item.get("applyUrl"))),
        description_html=text_of(item.get("descriptionHtml")),
        published=item.get("publishedAt"),
        remote=boards.flag(item.get("isRemote")),
        department=text_of(item.get("department")),
        salary=_salary(pay.get("compensationTiers")),
        salary_text=first(
            text_of(pay.get("scrapeableCompensationSalarySummary")), text_of(pay.get("compensationTierSummary"))
        ),
    )


def _salary(tiers: Any) -> Salary | None:
    """The salary components of every tier as one range: the lowest minimum to the highest maximum."""
    components = [
        component
        for tier in (tiers if isinstance(tiers, list) else [])
        if isinstance(tier, dict) and isinstance(tier.get("components"), list)
        for component in tier["components"]
        if isinstance(component, dict) and text_of(component.get("compensationType")) == "Salary"
    ]
    if not components:
        return None
    lows = [value for value in (boards.number(c.get("minValue")) for c in components) if value is not None]
    highs = [value for value in (boards.number(c.get("maxValue")) for c in components) if value is not None]
    head = components[0]
    return boards.salary(
        min(lows) if lows else None, max(highs) if highs else None, head.get("currencyCode"), head.get("interval")
    )


SOURCE = SourceKind(
    format=FeedFormat.ASHBY,
    roots=(),
    stream=boards.json_stream("ashby", "jobs"),
    extract=extract,
    json=True,
    detected=False,
)
