"""The ImportLog's vocabulary: its statuses (and which count as OK or failing) and its document's field names.

The one definition the store, the CLI, the dashboard, the API and the metrics read; jobfeed/importlog.py
builds the typed record and its arithmetic on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


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
