"""The ImportLog's arithmetic: a feed's failure, a batch's counts, the status they decide and the finished fields.

`totalFetched == new + updated + unchanged + failed` is built in here (UpsertCounts.total), so every log
written through `finish_fields` keeps the invariant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobfeed import constants as C
from jobfeed.logfields import CLOSED_JOBS, REOPENED_JOBS, LogField, LogStatus
from jobfeed.models import ItemFailure
from jobfeed.reasons import FailureReason


@dataclass(frozen=True, slots=True)
class FeedFailure:
    """Why a whole feed could not be imported."""

    reason: FailureReason
    message: str

    def to_doc(self) -> dict[str, str]:
        return {"reason": self.reason.value, "message": self.message}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> FeedFailure | None:
        if not doc or not doc.get("reason"):
            return None
        return cls(FailureReason(doc["reason"]), str(doc.get("message") or ""))


@dataclass(slots=True)
class UpsertCounts:
    """What one batch (or several, added up) did to the `jobs` collection."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[ItemFailure] = field(default_factory=list)
    reopened: int = 0  # closed jobs listed again (also counted in one of the four above)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.failed

    def add(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            [*self.failures, *other.failures],
            self.reopened + other.reopened,
        )


def decide_status(*, error: FeedFailure | None, not_modified: bool, skipped: bool, counts: UpsertCounts) -> LogStatus:
    """The one rule for a feed's final status, shared by the CLI exit code and the dashboard."""
    if skipped:
        return LogStatus.SKIPPED
    if error is not None:
        return LogStatus.FAILED
    if not_modified:
        return LogStatus.NOT_MODIFIED
    if counts.failed == 0:
        return LogStatus.SUCCESS
    if counts.new + counts.updated + counts.unchanged == 0:
        return LogStatus.FAILED  # every item failed: nothing of this feed is in the database
    return LogStatus.PARTIAL


def summary_fields(
    *,
    status: LogStatus,
    counts: UpsertCounts,
    error: FeedFailure | None,
    max_failures: int = C.MAX_FAILURES_PER_LOG,
) -> dict[str, Any]:
    """The counting part of an ImportLog document; the invariant holds by construction."""
    failures = counts.failures
    return plain_doc(
        {
            LogField.STATUS: status.value,
            LogField.TOTAL_FETCHED: counts.total,
            LogField.TOTAL_IMPORTED: counts.new + counts.updated,
            LogField.NEW_JOBS: counts.new,
            LogField.UPDATED_JOBS: counts.updated,
            LogField.UNCHANGED_JOBS: counts.unchanged,
            LogField.FAILED_JOBS: counts.failed,
            LogField.FAILURES: [f.to_doc() for f in failures[:max_failures]],
            LogField.FAILURES_TRUNCATED: len(failures) > max_failures,
            LogField.FAILURES_BY_REASON: _count_by_reason(failures),
            LogField.ERROR: error.to_doc() if error else None,
        }
    )


def plain_doc(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Plain `str` keys (a LogField is a str, but BSON and JSON encoders deserve the real thing)."""
    return {str(key): value for key, value in doc.items()}


@dataclass(frozen=True, slots=True)
class FetchFacts:
    """What the fetch saw of a feed, recorded on its ImportLog (all optional: a skipped feed saw nothing)."""

    http_status: int | None = None
    format: str | None = None
    fetch_ms: int | None = None
    batches: int = 0
    lock_unavailable: str | None = None  # the run went on without the feed's lock (Redis unreachable)


def finish_fields(
    *, status: LogStatus, counts: UpsertCounts, error: FeedFailure | None, facts: FetchFacts, closed: int = 0
) -> dict[str, Any]:
    """Everything a run sets when it finishes a log (the store adds finishedAt, timestamp, durationMs)."""
    return plain_doc(
        {
            **summary_fields(status=status, counts=counts, error=error),
            LogField.HTTP_STATUS: facts.http_status,
            LogField.FORMAT: facts.format,
            LogField.FETCH_MS: facts.fetch_ms,
            LogField.BATCHES: facts.batches,
            LogField.LOCK_UNAVAILABLE: facts.lock_unavailable,
            CLOSED_JOBS: closed,
            REOPENED_JOBS: counts.reopened,
        }
    )


def _count_by_reason(failures: Iterable[ItemFailure]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for failure in failures:
        counts[failure.reason.value] = counts.get(failure.reason.value, 0) + 1
    return counts
