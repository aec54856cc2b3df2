"""Typed values that flow through the pipeline: feeds, fetch results, jobs and per-item outcomes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from jobfeed.constants import EXCERPT_CHARS, MAX_TEXT_FIELD_CHARS
from jobfeed.dupkey import dupkey
from jobfeed.reasons import FailureReason
from jobfeed.redact import redact_url
from jobfeed.text import html_to_text


def source_for(feed_url: str) -> str:
    """The board a feed belongs to (`jobs.source`): its host, lower-cased, without a leading `www.`."""
    host = urlsplit(feed_url.strip()).hostname  # hostname is already lower-cased, port dropped
    if not host:
        raise ValueError(f"feed URL has no host: {feed_url[:EXCERPT_CHARS]!r}")
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


class FeedSpec(BaseModel):
    """One entry of feeds.yaml: a feed URL, or a job board named by `kind` and its board key.

    With a kind, `url` defaults to the kind's endpoint (BOARD_ENDPOINTS) and a given `url` replaces
    only that endpoint (a proxy, a self-hosted board, a test server); the board key is required
    either way because it names the jobs' `source` (`<kind>:<board>`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    name: str = ""
    enabled: bool = True
    kind: str | None = None
    board: str | None = None
    company: str | None = None
    account: str | None = None
    # When this feed is imported: a cron expression or an interval such as `15m` (one of the two; neither =
    # hourly). `jobfeed deploy` makes one Prefect deployment per distinct schedule (jobfeed/feeds_config.py).
    schedule: str | None = None
    interval: str | None = None

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else normalize_cron(value)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> str | None:
        if value is None:
            return None
        seconds = parse_duration(str(value))
        if seconds < MIN_INTERVAL_S:
            raise ValueError(f"interval must be at least {MIN_INTERVAL_S // 60} minute")
        return format_duration(seconds)

    @model_validator(mode="after")
    def _one_schedule(self) -> FeedSpec:
        if self.schedule is not None and self.interval is not None:
            raise ValueError("give either 'schedule' (cron) or 'interval', not both")
        return self

    @model_validator(mode="before")
    @classmethod
    def _endpoint_of_kind(cls, data: Any) -> Any:
        """A kind's entry gets its endpoint as `url` unless one is given; its board key is checked here."""
        if not isinstance(data, dict):
            return data
        kind = data.get("kind")
        given = [key for key in BOARD_KEYS if data.get(key) is not None]
        if kind is None:
            if given:
                raise ValueError(f"{given[0]!r} is only used with 'kind'")
            return data
        endpoint = BOARD_ENDPOINTS.get(str(kind))
        if endpoint is None:
            raise ValueError(f"unknown kind {kind!r} (known: {', '.join(BOARD_ENDPOINTS)})")
        for key in given:
            if key != endpoint.key:
                raise ValueError(f"kind {kind} takes {endpoint.key!r}, not {key!r}")
        board = data.get(endpoint.key)
        if not isinstance(board, str) or not _BOARD_KEY.fullmatch(board.strip()):
            raise ValueError(f"kind {kind} needs {endpoint.key!r}: a board name of letters, digits, '-', '_' or '.'")
        if data.get("url") is None:
            return {**data, "url": endpoint.url_for(board.strip())}
        return data

    @property
    def board_key(self) -> str | None:
        """The board named by the entry's kind (its `board`, `company` or `account`), if it has a kind."""
        return self.board or self.company or self.account

    @property
    def source(self) -> str:
        """`jobs.source` for this feed: `<kind>:<board>` for a job board kind, else the URL's host."""
        board = self.board_key
        if self.kind and board:
            return f"{self.kind}:{board.strip().lower()}"  # board names are case-insensitive hosts/slugs
        return source_for(self.url)

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
        if not self.name and self.kind:
            object.__setattr__(self, "name", self.source)
        if not self.name:
            parts = urlsplit(self.public_url)
            default = parts.hostname or self.url
            if parts.path.strip("/"):  # host+query alone would give every feed of one local server one name
                default += "/" + parts.path.strip("/")
            if parts.query:
                default = f"{default}?{parts.query}"
            object.__setattr__(self, "name", default)


_DURATION = re.compile(r"\s*(\d+)\s*([smhd])\s*")
_DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}  # largest first: format_duration picks the first fit
MIN_INTERVAL_S = 60  # Prefect's scheduler works in minutes; shorter would only pile runs up
_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,?#LW-]+")


def parse_duration(text: str) -> int:
    """Seconds of `30s`, `15m`, `2h`, `30d` (interval schedules, token lifetimes, `run-now --in`)."""
    match = _DURATION.fullmatch(text.lower())
    if not match or int(match[1]) <= 0:
        raise ValueError(f"expected a duration such as 30s, 15m, 2h or 7d, got {text!r}")
    return int(match[1]) * _DURATION_UNITS[match[2]]


def format_duration(seconds: int) -> str:
    """The shortest spelling of a duration in one unit: 900 -> `15m`, 7200 -> `2h`, 90 -> `90s`."""
    unit, size = next((u, n) for u, n in _DURATION_UNITS.items() if seconds % n == 0)
    return f"{seconds // size}{unit}"


def normalize_cron(expression: str) -> str:
    """A cron expression with single spaces and lower-case names, so that equal schedules compare equal.
    Only its shape is checked here (5 fields); Prefect checks the values when the deployment is made."""
    fields = expression.lower().split()
    if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        raise ValueError(f"schedule must be a 5-field cron expression such as '*/15 * * * *', got {expression!r}")
    return " ".join(fields)


class FeedFormat(StrEnum):
    """Which dialect a body was parsed as."""

    RSS = "rss"  # RSS 0.9x / 2.0, incl. WP Job Manager's job_listing:* elements
    RDF = "rdf"  # RSS 1.0
    ATOM = "atom"
    JOBICY_JSON = "jobicy_json"  # jobicy.com REST API v2: {"jobs": [...]} or a bare list
    INDEED_XML = "indeed_xml"  # Indeed-style XML: <source><job>...</job></source>
    JSON_FEED = "json_feed"  # JSON Feed 1.0/1.1 (jsonfeed.org)
    # Job-board APIs, chosen by a feeds.yaml `kind:` (never detected from a body): docs/sources.md
    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    ASHBY = "ashby"
    SMARTRECRUITERS = "smartrecruiters"
    WORKABLE = "workable"
    RECRUITEE = "recruitee"
    PERSONIO = "personio"


@dataclass(frozen=True, slots=True)
class BoardEndpoint:
    """Where a job-board kind lists a board's jobs: the feeds.yaml key naming the board, the URL template."""

    key: str  # "board", "company" or "account"
    template: str  # with {board}, URL-quoted when it is filled in

    def url_for(self, board: str) -> str:
        return self.template.format(board=quote(board, safe=""))


# One row per job-board kind (kept here, beside FeedSpec, because the vocabulary may not import
# jobfeed/sources; each kind's module there holds how its answers are read).
BOARD_ENDPOINTS: Mapping[str, BoardEndpoint] = MappingProxyType(
    {
        FeedFormat.GREENHOUSE: BoardEndpoint(
            "board", "https://boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true"
        ),
        FeedFormat.LEVER: BoardEndpoint("company", "https://api.lever.co/v0/postings/{board}?mode=json"),
        FeedFormat.ASHBY: BoardEndpoint(
            "board", "https://api.ashbyhq.com/posting-api/job-board/{board}?includeCompensation=true"
        ),
        FeedFormat.SMARTRECRUITERS: BoardEndpoint(
            "company", "https://api.smartrecruiters.com/v1/companies/{board}/postings"
        ),
        # details=true: the widget API leaves descriptions out without it
        FeedFormat.WORKABLE: BoardEndpoint(
            "account", "https://apply.workable.com/api/v1/widget/accounts/{board}?details=true"
        ),
        FeedFormat.RECRUITEE: BoardEndpoint("company", "https://{board}.recruitee.com/api/offers/"),
        FeedFormat.PERSONIO: BoardEndpoint("company", "https://{board}.jobs.personio.de/xml"),
    }
)
BOARD_KEYS = ("board", "company", "account")
# Letters, digits, '-', '_', '.': safe in a URL path, and (Recruitee, Personio) as a host label.
_BOARD_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9])?")


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
