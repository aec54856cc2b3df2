"""The ImportLog: its statuses, field names, arithmetic and document form (the one definition).

Everything that knows what an `import_logs` document looks like reads it from here: the store writes
`ImportLog.to_doc()` / `finish_fields()`, readers use `LogField` for the names and `ImportLog.from_doc()`
for a typed view. The status sets decide the CLI exit code, feed health and the dashboard colours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from jobfeed import constants as C
from jobfeed.models import ItemFailure
from jobfeed.quality import Drift, Shape, drifts_from
from jobfeed.reasons import FailureReason


class LogStatus(StrEnum):
    """ImportLog.status values (contract)."""

    RUNNING = "running"
    SUCCESS = "success"
    NOT_MODIFIED = "not_modified"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


# The status sets: the one definition used by the CLI exit code, the dashboard, feed health and the API.
OK_STATUSES = frozenset({LogStatus.SUCCESS, LogStatus.NOT_MODIFIED})  # the feed answered, every job stored
NEUTRAL_STATUSES = frozenset({LogStatus.SKIPPED})  # not tried (disabled, locked): neither good nor bad
FAILING_STATUSES = frozenset({LogStatus.FAILED, LogStatus.PARTIAL})  # `jobfeed import` exits 1 on any of these

# One colour per status: hex for the dashboard's charts, a rich style name for the terminal.
STATUS_COLOURS = {
    LogStatus.SUCCESS: ("#2e7d32", "green"),
    LogStatus.NOT_MODIFIED: ("#0097a7", "cyan"),
    LogStatus.PARTIAL: ("#f9a825", "yellow"),
    LogStatus.FAILED: ("#c62828", "red"),
    LogStatus.SKIPPED: ("#8e24aa", "magenta"),
    LogStatus.RUNNING: ("#1565c0", "blue"),
}


def is_ok(status: str | None) -> bool:
    """True for a status in OK_STATUSES (accepts the stored string)."""
    return status in OK_STATUSES


def is_failing(status: str | None) -> bool:
    """True for a status in FAILING_STATUSES (accepts the stored string)."""
    return status in FAILING_STATUSES


def reason_text(doc: Mapping[str, Any], *, times: str = "×") -> str:
    """The "reason" column of an ImportLog: the feed's error reason, else its item failures by reason."""
    error = doc.get(LogField.ERROR) or {}
    if error.get("reason"):
        return str(error["reason"])
    by_reason = doc.get(LogField.FAILURES_BY_REASON) or {}
    return ", ".join(f"{reason} {times}{count}" for reason, count in by_reason.items())


class LogField(StrEnum):
    """The field names of an `import_logs` document (contract; the camelCase names are the stored ones)."""

    ID = "_id"
    FILE_NAME = "fileName"  # the feed URL (secrets masked)
    FEED_NAME = "feedName"
    FLOW_RUN_ID = "flowRunId"
    STARTED_AT = "startedAt"
    FINISHED_AT = "finishedAt"
    TIMESTAMP = "timestamp"  # = finishedAt (contract)
    DURATION_MS = "durationMs"
    STATUS = "status"
    TOTAL_FETCHED = "totalFetched"
    TOTAL_IMPORTED = "totalImported"
    NEW_JOBS = "newJobs"
    UPDATED_JOBS = "updatedJobs"
    UNCHANGED_JOBS = "unchangedJobs"
    FAILED_JOBS = "failedJobs"
    FAILURES = "failures"
    FAILURES_TRUNCATED = "failuresTruncated"
    FAILURES_BY_REASON = "failuresByReason"
    ERROR = "error"
    HTTP_STATUS = "httpStatus"  # extensions: what the fetch saw, and how the run went
    FORMAT = "format"
    FETCH_MS = "fetchMs"
    BATCHES = "batches"
    LOCK_UNAVAILABLE = "lockUnavailable"
    FIELD_COVERAGE = "fieldCoverage"  # data quality of a parsed body (jobfeed/quality.py); absent otherwise
    SHAPE = "shape"
    DRIFT = "drift"


# Lifecycle counts of a run (docs/architecture.md, "Closed and reopened jobs"): outside the four counts of
# the invariant, because a closed job was not in the body at all and a reopened one is also new/updated/
# unchanged. Kept as plain names (ImportLog.extra on a round trip) so older readers see them as unknown fields.
CLOSED_JOBS = "closedJobs"
REOPENED_JOBS = "reopenedJobs"

# Provenance (docs/provenance.md), plain names kept in ImportLog.extra like the lifecycle counts:
BODY_SHA256 = "bodySha256"  # the SHA-256 of the body parsed (or, on `not_modified`, confirmed): its archive key
CONTENT_TYPE = "contentType"  # the body's Content-Type as served (a replay reads the body with it)
REPLAY_OF = "replayOf"  # on a replay's log: the id of the log whose body it replayed
REPLAY_DRY_RUN = "dryRun"  # on a replay's log: true when its counts are what it would write (an older body)


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
    return _plain(
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


def _plain(doc: Mapping[str, Any]) -> dict[str, Any]:
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
    return _plain(
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


@dataclass(slots=True)
class ImportLog:
    """One feed in one run, typed: the document of `import_logs` as the code sees it.

    Totals are derived from the four counts, so `totalFetched == new + updated + unchanged + failed`
    holds for every log built here. `failures` keeps at most MAX_FAILURES_PER_LOG entries; `failed` and
    `failures_by_reason` stay exact. Fields this model does not know are kept in `extra` on a round trip.
    """

    FIELDS: ClassVar[tuple[LogField, ...]] = tuple(LogField)

    file_name: str
    feed_name: str
    flow_run_id: str | None
    started_at: datetime
    status: LogStatus = LogStatus.RUNNING
    id: str | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[ItemFailure] = field(default_factory=list)
    failures_truncated: bool = False
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    error: FeedFailure | None = None
    facts: FetchFacts = FetchFacts()
    # a parsed body's data quality (jobfeed/quality.py): all three set, or none (no body, or an older log)
    field_coverage: dict[str, float] | None = None
    shape: Shape | None = None
    drift: list[Drift] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_fetched(self) -> int:
        return self.new + self.updated + self.unchanged + self.failed

    @property
    def total_imported(self) -> int:
        return self.new + self.updated

    @property
    def closed_jobs(self) -> int:
        return int(self.extra.get(CLOSED_JOBS) or 0)

    @property
    def reopened_jobs(self) -> int:
        return int(self.extra.get(REOPENED_JOBS) or 0)

    @property
    def reason(self) -> str | None:
        """The feed's own failure reason (failed, skipped), else None."""
        return self.error.reason.value if self.error else None

    def to_doc(self) -> dict[str, Any]:
        """The Mongo document (without `_id` when the log has no id yet)."""
        doc: dict[str, Any] = {
            **self.extra,
            LogField.FILE_NAME: self.file_name,
            LogField.FEED_NAME: self.feed_name,
            LogField.FLOW_RUN_ID: self.flow_run_id,
            LogField.STARTED_AT: self.started_at,
            LogField.FINISHED_AT: self.finished_at,
            LogField.TIMESTAMP: self.finished_at,
            LogField.DURATION_MS: self.duration_ms,
            LogField.STATUS: self.status.value,
            LogField.TOTAL_FETCHED: self.total_fetched,
            LogField.TOTAL_IMPORTED: self.total_imported,
            LogField.NEW_JOBS: self.new,
            LogField.UPDATED_JOBS: self.updated,
            LogField.UNCHANGED_JOBS: self.unchanged,
            LogField.FAILED_JOBS: self.failed,
            LogField.FAILURES: [f.to_doc() for f in self.failures],
            LogField.FAILURES_TRUNCATED: self.failures_truncated,
            LogField.ERROR: self.error.to_doc() if self.error else None,
        }
        if self.status is not LogStatus.RUNNING:  # what a run adds when it finishes
            doc[LogField.FAILURES_BY_REASON] = dict(self.failures_by_reason)
            doc[LogField.HTTP_STATUS] = self.facts.http_status
            doc[LogField.FORMAT] = self.facts.format
            doc[LogField.FETCH_MS] = self.facts.fetch_ms
            doc[LogField.BATCHES] = self.facts.batches
            doc[LogField.LOCK_UNAVAILABLE] = self.facts.lock_unavailable
            if self.shape is not None:
                doc[LogField.FIELD_COVERAGE] = None if self.field_coverage is None else dict(self.field_coverage)
                doc[LogField.SHAPE] = self.shape.to_doc()
                doc[LogField.DRIFT] = [d.to_doc() for d in self.drift]
        if self.id is not None:
            doc[LogField.ID] = self.id
        return _plain(doc)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ImportLog:
        """A typed view of a stored document (`_id` as a string; unknown fields kept in `extra`)."""
        get = doc.get
        known = {str(f) for f in LogField}
        return cls(
            file_name=str(get(LogField.FILE_NAME) or ""),
            feed_name=str(get(LogField.FEED_NAME) or ""),
            flow_run_id=get(LogField.FLOW_RUN_ID),
            started_at=doc[LogField.STARTED_AT],
            status=LogStatus(get(LogField.STATUS) or LogStatus.RUNNING),
            id=str(doc[LogField.ID]) if get(LogField.ID) is not None else None,
            finished_at=get(LogField.FINISHED_AT),
            duration_ms=get(LogField.DURATION_MS),
            new=int(get(LogField.NEW_JOBS) or 0),
            updated=int(get(LogField.UPDATED_JOBS) or 0),
            unchanged=int(get(LogField.UNCHANGED_JOBS) or 0),
            failed=int(get(LogField.FAILED_JOBS) or 0),
            failures=[
                ItemFailure(FailureReason(f["reason"]), str(f.get("message") or ""), f.get("itemKey"))
                for f in get(LogField.FAILURES) or []
            ],
            failures_truncated=bool(get(LogField.FAILURES_TRUNCATED)),
            failures_by_reason=dict(get(LogField.FAILURES_BY_REASON) or {}),
            error=FeedFailure.from_doc(get(LogField.ERROR)),
            facts=FetchFacts(
                http_status=get(LogField.HTTP_STATUS),
                format=get(LogField.FORMAT),
                fetch_ms=get(LogField.FETCH_MS),
                batches=int(get(LogField.BATCHES) or 0),
                lock_unavailable=get(LogField.LOCK_UNAVAILABLE),
            ),
            field_coverage=dict(get(LogField.FIELD_COVERAGE) or {}) or None,
            shape=Shape.from_doc(shape) if isinstance(shape := get(LogField.SHAPE), Mapping) else None,
            drift=drifts_from(get(LogField.DRIFT)),
            extra={k: v for k, v in doc.items() if k not in known},
        )

    def summary_row(self, *, ids: bool = True) -> dict[str, Any]:
        """One row of a run's summary: counts, status and reason (the flow's return value; without ids,
        a row of the Prefect artifact)."""
        row: dict[str, Any] = {
            LogField.FEED_NAME.value: self.feed_name,
            LogField.STATUS.value: self.status.value,
            LogField.TOTAL_FETCHED.value: self.total_fetched,
            LogField.NEW_JOBS.value: self.new,
            LogField.UPDATED_JOBS.value: self.updated,
            LogField.UNCHANGED_JOBS.value: self.unchanged,
            LogField.FAILED_JOBS.value: self.failed,
            CLOSED_JOBS: self.closed_jobs,
            REOPENED_JOBS: self.reopened_jobs,
            LogField.DURATION_MS.value: self.duration_ms,
            "reason": self.reason,
        }
        if ids:
            row.update({"logId": self.id, LogField.FILE_NAME.value: self.file_name})
        return row


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Split items into batches of `size` (the last may be shorter); none for an empty input."""
    if size < 1:
        raise ValueError("batch size must be >= 1")
    return [items[i : i + size] for i in range(0, len(items), size)]
