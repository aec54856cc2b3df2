"""One entry of feeds.yaml (`FeedSpec`): a feed URL or a job board, its name, schedule and the jobs' `source`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from jobfeed.constants import EXCERPT_CHARS
from jobfeed.formats import BOARD_ENDPOINTS, BOARD_KEYS
from jobfeed.redact import redact_url
from jobfeed.schedules import MIN_INTERVAL_S, format_duration, normalize_cron, parse_duration

# Letters, digits, '-', '_', '.': safe in a URL path, and (Recruitee, Personio) as a host label.
_BOARD_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9])?")


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
