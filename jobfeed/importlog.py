"""The ImportLog: the typed record and its document form; its statuses and field names (jobfeed/logfields.py)
and arithmetic (jobfeed/logcounts.py) are re-exported here, so callers import the record's parts from one place.

Everything that knows what an `import_logs` document looks like reads it from here: the store writes
`ImportLog.to_doc()` / `finish_fields()`, readers use `LogField` for the names and `ImportLog.from_doc()`
for a typed view. The status sets decide the CLI exit code, feed health and the dashboard colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from jobfeed.logcounts import (  # re-exported: `jobfeed.importlog` is where callers find the record's parts
    FeedFailure,
    FetchFacts,
    UpsertCounts,
    decide_status,
    finish_fields,
    plain_doc,
    summary_fields,
)
from jobfeed.logfields import (
    BODY_SHA256,
    CLOSED_JOBS,
    CONTENT_TYPE,
    FAILING_STATUSES,
    NEUTRAL_STATUSES,
    OK_STATUSES,
    REOPENED_JOBS,
    REPLAY_DRY_RUN,
    REPLAY_OF,
    STATUS_COLOURS,
    LogField,
    LogStatus,
    is_failing,
    is_ok,
    reason_text,
)
from jobfeed.models import ItemFailure
from jobfeed.quality import Drift, Shape, drifts_from
from jobfeed.reasons import FailureReason

__all__ = [
    "BODY_SHA256",
    "CLOSED_JOBS",
    "CONTENT_TYPE",
    "FAILING_STATUSES",
    "NEUTRAL_STATUSES",
    "OK_STATUSES",
    "REOPENED_JOBS",
    "REPLAY_DRY_RUN",
    "REPLAY_OF",
    "STATUS_COLOURS",
    "FeedFailure",
    "FetchFacts",
    "ImportLog",
    "LogField",
    "LogStatus",
    "UpsertCounts",
    "chunked",
    "decide_status",
    "finish_fields",
    "is_failing",
    "is_ok",
    "reason_text",
    "summary_fields",
]


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
    facts: FetchFacts = field(default_factory=FetchFacts)
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
        return plain_doc(doc)

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
