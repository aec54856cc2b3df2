"""Pure ImportLog arithmetic: per-feed outcomes in, one contract-shaped summary out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from jobfeed import constants as C
from jobfeed.models import ItemFailure
from jobfeed.reasons import FailureReason


class LogStatus(StrEnum):
    """ImportLog.status values (contract)."""

    RUNNING = "running"
    SUCCESS = "success"
    NOT_MODIFIED = "not_modified"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


OK_STATUSES = frozenset({LogStatus.SUCCESS, LogStatus.NOT_MODIFIED})  # `jobfeed import` exits 0 on these


@dataclass(frozen=True, slots=True)
class FeedFailure:
    """Why a whole feed could not be imported."""

    reason: FailureReason
    message: str

    def to_doc(self) -> dict[str, str]:
        return {"reason": self.reason.value, "message": self.message}


@dataclass(slots=True)
class UpsertCounts:
    """What one batch (or several, added up) did to the `jobs` collection."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[ItemFailure] = field(default_factory=list)

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
    return {
        "status": status.value,
        "totalFetched": counts.total,
        "totalImported": counts.new + counts.updated,
        "newJobs": counts.new,
        "updatedJobs": counts.updated,
        "unchangedJobs": counts.unchanged,
        "failedJobs": counts.failed,
        "failures": [f.to_doc() for f in failures[:max_failures]],
        "failuresTruncated": len(failures) > max_failures,
        "failuresByReason": _count_by_reason(failures),
        "error": error.to_doc() if error else None,
    }


def _count_by_reason(failures: Iterable[ItemFailure]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for failure in failures:
        counts[failure.reason.value] = counts.get(failure.reason.value, 0) + 1
    return counts


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Split items into batches of `size` (the last may be shorter); none for an empty input."""
    if size < 1:
        raise ValueError("batch size must be >= 1")
    return [items[i : i + size] for i in range(0, len(items), size)]
