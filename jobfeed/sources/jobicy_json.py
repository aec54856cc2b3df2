"""jobicy.com REST API v2 responses: {"jobs": [...]} or, as some clients store it, a bare list."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jobfeed.models import FeedFormat, ParsedFeed
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources.fields import RawJob, first, join_distinct
from jobfeed.sources.kind import OnItem, SourceKind
from jobfeed.sources.values import text_of, texts_of
from jobfeed.sources.xmlsafe import Source

# A job object from jobicy carries at least one of these; any other JSON is not this API.
_JOBICY_KEYS = frozenset({"jobTitle", "jobSlug", "companyName", "jobGeo"})


def parse_jobicy_json(body: bytes) -> ParsedFeed:
    """Parse a jobicy API body into raw job dicts; other JSON shapes are UNSUPPORTED_FORMAT."""
    try:
        # bytes input: json detects UTF-8/16/32 and skips a BOM; strict=False lets raw control
        # characters inside strings through (they are harmless in job text).
        data = json.loads(body, strict=False)
    except json.JSONDecodeError as exc:
        raise FeedError(
            FailureReason.XML_MALFORMED,
            f"JSON is not well-formed: {exc.msg} at line {exc.lineno}, column {exc.colno}",
        ) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise FeedError(FailureReason.XML_MALFORMED, f"JSON is unreadable: {type(exc).__name__}") from None
    jobs = _jobs_list(data)
    title = data.get("friendlyName") if isinstance(data, dict) else None
    return ParsedFeed(
        format=FeedFormat.JOBICY_JSON,
        items=jobs,
        title=title if isinstance(title, str) else None,
    )


def _jobs_list(data: Any) -> list[dict[str, Any]]:
    """The list of job objects, or FeedError(UNSUPPORTED_FORMAT) when the shape is not jobicy's."""
    jobs = data.get("jobs") if isinstance(data, dict) else data
    if not isinstance(jobs, list):
        what = "an object without a 'jobs' list" if isinstance(data, dict) else type(data).__name__
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, f"JSON is {what}, not a jobicy job list")
    if not all(isinstance(job, dict) for job in jobs):
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, "JSON job list holds non-object entries")
    if jobs and not any(_JOBICY_KEYS.intersection(job) for job in jobs):
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, "JSON objects are not jobicy jobs")
    return jobs


def stream(source: Source, codec: str, on_item: OnItem, on_restart: Callable[[], None]) -> str | None:
    """Hand each job object to on_item; returns the feed's title (json finds the encoding itself)."""
    # jobicy's API answers are small (one page of jobs): parsed whole, within MAX_FEED_BYTES
    parsed = parse_jobicy_json(source if isinstance(source, bytes) else source.read_bytes())
    for item in parsed.items:
        on_item(item)
    return parsed.title


def extract(item: dict[str, Any], source: str) -> RawJob:
    """jobicy API v2 job object."""
    job_id = item.get("id")
    return RawJob(
        identity=first(text_of(job_id) if not isinstance(job_id, bool) else None, text_of(item.get("url"))),
        title=text_of(item.get("jobTitle")),
        company=text_of(item.get("companyName")),
        location=join_distinct(texts_of(item.get("jobGeo"))),
        job_type=join_distinct(texts_of(item.get("jobType"))),
        category=join_distinct(texts_of(item.get("jobIndustry"))),
        url=text_of(item.get("url")),
        description_html=text_of(item.get("jobDescription")),
        published=item.get("pubDate"),
    )


SOURCE = SourceKind(format=FeedFormat.JOBICY_JSON, roots=(), stream=stream, extract=extract, json=True)
