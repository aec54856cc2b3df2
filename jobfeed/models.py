"""Typed values that flow through the pipeline: feeds, fetch results, jobs and per-item outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator

from jobfeed.constants import MAX_TEXT_FIELD_CHARS
from jobfeed.reasons import FailureReason
from jobfeed.redact import redact_url
from jobfeed.text import html_to_text


class FeedSpec(BaseModel):
    """One entry of feeds.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    name: str = ""
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"feed URL must be http(s) with a host, got {value!r}")
        return value

    @property
    def public_url(self) -> str:
        """The URL as stored and shown everywhere (logs, jobs, feed state, Prefect): secrets masked.
        Only the fetch uses `url` itself."""
        return redact_url(self.url)

    def model_post_init(self, _context: Any) -> None:
        if not self.name:
            parts = urlsplit(self.public_url)
            default = parts.hostname or self.url
            if parts.path.strip("/"):  # host+query alone would give every feed of one local server one name
                default += "/" + parts.path.strip("/")
            if parts.query:
                default = f"{default}?{parts.query}"
            object.__setattr__(self, "name", default)


class FeedFormat(StrEnum):
    """Which dialect a body was parsed as."""

    RSS = "rss"  # RSS 0.9x / 2.0, incl. WP Job Manager's job_listing:* elements
    RDF = "rdf"  # RSS 1.0
    ATOM = "atom"
    JOBICY_JSON = "jobicy_json"  # jobicy.com REST API v2: {"jobs": [...]} or a bare list


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

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Job:
        """A Job from a stored dict (dead-letter payloads); derived or unknown keys are ignored."""
        return cls(**{name: doc.get(name) for name in JOB_FIELDS})


JOB_FIELDS = tuple(Job.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """One item that could not be imported, with a reason and the best key we could find for it."""

    reason: FailureReason
    message: str
    itemKey: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)  # the raw item, kept for a dead letter

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
