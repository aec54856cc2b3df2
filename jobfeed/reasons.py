"""The one list of failure reasons, shared by import logs, dead letters, the CLI and the dashboard."""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    """Why a feed or an item failed. Values are stable strings stored in MongoDB: never rename."""

    NETWORK_ERROR = "network_error"
    TIMEOUT = "timeout"
    DNS_ERROR = "dns_error"
    TLS_ERROR = "tls_error"
    HTTP_4XX = "http_4xx"
    RATE_LIMITED = "rate_limited"
    HTTP_5XX = "http_5xx"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    FORBIDDEN_ADDRESS = "forbidden_address"
    BLOCKED_HTML = "blocked_html"
    XML_MALFORMED = "xml_malformed"
    XML_FORBIDDEN = "xml_forbidden"
    UNSUPPORTED_FORMAT = "unsupported_format"
    ITEM_INVALID = "item_invalid"
    DUPLICATE_IN_FEED = "duplicate_in_feed"  # extension: same identity twice in one feed body
    DB_ERROR = "db_error"
    RUN_CRASHED = "run_crashed"  # extension: a `running` ImportLog whose flow run died without finishing
    LOCKED = "locked"  # extension: another run holds this feed's lock; this run skipped it
    DISABLED = "disabled"  # extension: the feed is disabled in the `feeds` collection
    INTERNAL_ERROR = "internal_error"  # extension: a bug in jobfeed, not in the feed (always a failed run)
    CANCELLED = "cancelled"  # the run was cancelled (API, CLI, Prefect UI) while this feed was importing

    @property
    def transient(self) -> bool:
        """True when retrying later may succeed (network weather, throttling, database hiccups)."""
        return self in TRANSIENT_REASONS


TRANSIENT_REASONS: frozenset[FailureReason] = frozenset(
    {
        FailureReason.NETWORK_ERROR,
        FailureReason.TIMEOUT,
        FailureReason.DNS_ERROR,
        FailureReason.RATE_LIMITED,
        FailureReason.HTTP_5XX,
        FailureReason.DB_ERROR,
    }
)


class FeedError(Exception):
    """A classified failure of a whole feed (fetch or parse). Carries a reason and a safe message."""

    def __init__(self, reason: FailureReason, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.message = message
        self.retry_after_s = retry_after_s  # from a 429/503 Retry-After header, already capped
