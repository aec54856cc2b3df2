"""Typed values that flow through the pipeline: fetch results, parsed feeds, jobs and per-item outcomes.

Feeds (`FeedSpec`: jobfeed/feedspec.py), formats and board endpoints (jobfeed/formats.py) and the spelling
of durations and schedules (jobfeed/schedules.py) are re-exported here, so callers import every record from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from jobfeed.constants import MAX_TEXT_FIELD_CHARS
from jobfeed.dupkey import dupkey
from jobfeed.feedspec import FeedSpec, source_for  # re-exported: `jobfeed.models` is where callers find records
from jobfeed.formats import BOARD_ENDPOINTS, FeedFormat
from jobfeed.reasons import FailureReason
from jobfeed.schedules import format_duration, normalize_cron, parse_duration
from jobfeed.text import html_to_text

__all__ = [
    "BOARD_ENDPOINTS",
    "JOB_FIELDS",
    "SALARY_FIELDS",
    "ConditionalState",
    "FeedFormat",
    "FeedSpec",
    "FetchResult",
    "FetchStatus",
    "ItemFailure",
    "Job",
    "NormalizedFeed",
    "ParsedFeed",
    "Salary",
    "format_duration",
    "normalize_cron",
    "parse_duration",
    "source_for",
]


class FetchStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"


@dataclass(frozen=True, slots=True)
class ConditionalState:
    """What we remember about a feed to make the next request conditional."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful HTTP exchange: a body (status OK) or a 304 / same-body (NOT_MODIFIED)."""

    status: FetchStatus
    url: str  # the final URL after redirects
    http_status: int
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    elapsed_ms: int = 0
    body_path: str | None = None  # the body is in this file instead of `body` (spooled fetch)
    body_size: int = 0  # decoded bytes received


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A body parsed into raw items (dicts as xmltodict/json produced them, keys by local name)."""

    format: FeedFormat
    items: list[dict[str, Any]]
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Salary:
    """A pay range as a job-board API states it in numbers (`jobs.salary`); free text goes to salaryText."""

    min: float | None
    max: float | None
    currency: str | None = None  # ISO 4217 as given ("USD")
    period: str | None = None  # "year", "month", "week", "day", "hour", or the API's own word


SALARY_FIELDS = ("min", "max", "currency", "period")


@dataclass(frozen=True, slots=True)
class Job:
    """One normalized job posting: the contract's `jobs` fields that come from the feed."""

    source: str
    externalId: str
    title: str
    company: str | None
    location: str | None
    jobType: str | None
    category: str | None
    url: str | None
    descriptionHtml: str | None
    publishedAt: datetime | None
    contentHash: str
    # From job-board APIs and Indeed-style XML; None where a source does not say (every RSS job).
    remote: bool | None = None
    department: str | None = None
    salary: Salary | None = None
    salaryText: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.externalId)

    @property
    def descriptionText(self) -> str | None:  # noqa: N802 - the stored field's name
        """Plain text of the description, derived on demand: only jobs being written need it, so an
        unchanged job never pays for HTML-to-text (it was half of normalization, bench/README.md)."""
        if self.descriptionHtml is None:
            return None
        return html_to_text(self.descriptionHtml)[:MAX_TEXT_FIELD_CHARS] or None

    @property
    def dupKey(self) -> str | None:  # noqa: N802 - the stored field's name
        """The cross-board duplicate fingerprint (company + title + location, folded): jobfeed/dupkey.py."""
        return dupkey(self.company, self.title, self.location)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Job:
        """A Job from a stored dict (dead-letter payloads); derived or unknown keys are ignored."""
        fields: dict[str, Any] = {name: doc.get(name) for name in JOB_FIELDS}  # older documents lack the newer fields
        if isinstance(fields["salary"], dict):
            fields["salary"] = Salary(**{key: fields["salary"].get(key) for key in SALARY_FIELDS})
        return cls(**fields)


JOB_FIELDS = tuple(Job.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """One item that could not be imported, with a reason and the best key we could find for it."""

    reason: FailureReason
    message: str
    itemKey: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)  # the raw item, kept for a dead letter
    # the jobs' source the item was read for ("<kind>:<board>" of a job board): a re-drive needs it
    source: str | None = field(default=None, compare=False, repr=False)

    def to_doc(self) -> dict[str, Any]:
        return {"reason": self.reason.value, "message": self.message, "itemKey": self.itemKey}


@dataclass(slots=True)
class NormalizedFeed:
    """Every item of one feed body, each either a Job or an ItemFailure (nothing dropped silently)."""

    jobs: list[Job] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.jobs) + len(self.failures)
