"""The ImportLog model: status rules and sets, the counting invariant, failure capping, the document form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobfeed.importlog import (
    FAILING_STATUSES,
    NEUTRAL_STATUSES,
    OK_STATUSES,
    STATUS_COLOURS,
    FeedFailure,
    FetchFacts,
    ImportLog,
    LogField,
    LogStatus,
    UpsertCounts,
    chunked,
    decide_status,
    finish_fields,
    reason_text,
    summary_fields,
)
from jobfeed.models import ItemFailure
from jobfeed.quality import Drift, DriftKind, Profile, Shape
from jobfeed.reasons import FailureReason

BAD = ItemFailure(FailureReason.ITEM_INVALID, "no identity", "#3")


@pytest.mark.parametrize(
    ("error", "not_modified", "skipped", "counts", "expected"),
    [
        (None, False, False, UpsertCounts(new=3), LogStatus.SUCCESS),
        (None, False, False, UpsertCounts(), LogStatus.SUCCESS),  # a valid, empty feed
        (None, True, False, UpsertCounts(), LogStatus.NOT_MODIFIED),
        (None, False, False, UpsertCounts(unchanged=2, failures=[BAD]), LogStatus.PARTIAL),
        (None, False, False, UpsertCounts(failures=[BAD]), LogStatus.FAILED),
        (FeedFailure(FailureReason.BLOCKED_HTML, "x"), False, False, UpsertCounts(), LogStatus.FAILED),
        (FeedFailure(FailureReason.DISABLED, "x"), False, True, UpsertCounts(), LogStatus.SKIPPED),
    ],
)
def test_decide_status(error, not_modified, skipped, counts, expected) -> None:
    assert decide_status(error=error, not_modified=not_modified, skipped=skipped, counts=counts) is expected


def test_summary_invariant_and_cap() -> None:
    counts = UpsertCounts(new=2, updated=1, unchanged=4, failures=[BAD] * 7)
    doc = summary_fields(status=LogStatus.PARTIAL, counts=counts, error=None, max_failures=5)
    assert doc["totalFetched"] == doc["newJobs"] + doc["updatedJobs"] + doc["unchangedJobs"] + doc["failedJobs"] == 14
    assert doc["totalImported"] == 3
    assert len(doc["failures"]) == 5 and doc["failuresTruncated"] is True
    assert doc["failedJobs"] == 7  # the count stays exact although the list is capped
    assert doc["failuresByReason"] == {"item_invalid": 7}
    assert doc["failures"][0] == {"reason": "item_invalid", "message": "no identity", "itemKey": "#3"}


def test_counts_add() -> None:
    total = UpsertCounts(new=1, failures=[BAD]).add(UpsertCounts(updated=2, unchanged=3))
    assert (total.new, total.updated, total.unchanged, total.failed, total.total) == (1, 2, 3, 1, 7)


@pytest.mark.parametrize(("n", "size", "lengths"), [(0, 3, []), (3, 3, [3]), (7, 3, [3, 3, 1]), (2, 500, [2])])
def test_chunked(n: int, size: int, lengths: list[int]) -> None:
    batches = chunked(list(range(n)), size)
    assert [len(b) for b in batches] == lengths
    assert [x for b in batches for x in b] == list(range(n))


def test_transient_reasons_match_contract() -> None:
    transient = {r.value for r in FailureReason if r.transient}
    assert transient == {"network_error", "timeout", "dns_error", "rate_limited", "http_5xx", "db_error"}


CONTRACT_FIELDS = {
    "fileName", "feedName", "flowRunId", "startedAt", "finishedAt", "timestamp", "durationMs", "status",
    "totalFetched", "totalImported", "newJobs", "updatedJobs", "unchangedJobs", "failedJobs", "failures",
    "failuresTruncated", "error",
}  # fmt: skip


def test_status_sets_partition_the_final_statuses() -> None:
    final = set(LogStatus) - {LogStatus.RUNNING}
    assert final == OK_STATUSES | NEUTRAL_STATUSES | FAILING_STATUSES
    assert not (OK_STATUSES & FAILING_STATUSES or OK_STATUSES & NEUTRAL_STATUSES or NEUTRAL_STATUSES & FAILING_STATUSES)
    assert {LogStatus.FAILED, LogStatus.PARTIAL} == FAILING_STATUSES  # the CLI exits 1 on these (contract)
    assert set(STATUS_COLOURS) == set(LogStatus)


def test_a_running_log_has_every_contract_field() -> None:
    started = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    doc = ImportLog("https://x.example/f", "x", "run-1", started).to_doc()
    assert set(doc) == CONTRACT_FIELDS <= {field.value for field in LogField}
    assert (doc["status"], doc["totalFetched"], doc["finishedAt"], doc["error"]) == ("running", 0, None, None)
    assert all(type(key) is str for key in doc)  # plain keys for BSON and JSON


def test_a_finished_document_round_trips_through_the_model() -> None:
    started = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    counts = UpsertCounts(new=2, updated=1, unchanged=4, failures=[BAD] * 3)
    fields = finish_fields(
        status=LogStatus.PARTIAL, counts=counts, error=None, facts=FetchFacts(200, "rss", 40, 2, None)
    )
    doc = {
        **ImportLog("https://x.example/f", "x", "run-1", started).to_doc(),
        **fields,
        "_id": "log-1",
        "finishedAt": started,
        "timestamp": started,
        "durationMs": 0,
        "closedJobs": 5,  # a field added by a later version: kept, not dropped
    }
    log = ImportLog.from_doc(doc)
    assert (log.status, log.new, log.failed, log.total_fetched, log.total_imported) == (LogStatus.PARTIAL, 2, 3, 10, 3)
    assert log.failures == [BAD] * 3 and log.failures_by_reason == {"item_invalid": 3}
    assert log.facts == FetchFacts(200, "rss", 40, 2, None) and log.extra == {"closedJobs": 5, "reopenedJobs": 0}
    assert log.to_doc() == doc
    assert (log.field_coverage, log.shape, log.drift) == (None, None, [])  # a log from before data quality
    assert "shape" not in log.to_doc()


def test_a_parsed_body_keeps_its_coverage_shape_and_drift() -> None:
    started = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    shape = Shape("rss", "item", ("https://board.example",), 5, {"title": 1.0, "company": 0.2})
    drift = [Drift(DriftKind.ELEMENT_MISSING, "company", 1.0, 0.2)]
    quality = Profile(shape, {"title": 1.0, "company": 1.0}).to_fields(drift)
    fields = finish_fields(status=LogStatus.SUCCESS, counts=UpsertCounts(new=5), error=None, facts=FetchFacts())
    doc = {**ImportLog("https://x.example/f", "x", "run-1", started).to_doc(), **fields, **quality,
           "_id": "log-2", "finishedAt": started, "timestamp": started, "durationMs": 0}  # fmt: skip
    log = ImportLog.from_doc(doc)
    assert (log.field_coverage, log.shape, log.drift) == ({"title": 1.0, "company": 1.0}, shape, drift)
    assert log.extra == {"closedJobs": 0, "reopenedJobs": 0} and log.to_doc() == doc


def test_reason_text_prefers_the_feed_error() -> None:
    failed = summary_fields(
        status=LogStatus.FAILED, counts=UpsertCounts(), error=FeedFailure(FailureReason.TIMEOUT, "t")
    )
    partial = summary_fields(status=LogStatus.PARTIAL, counts=UpsertCounts(new=1, failures=[BAD, BAD]), error=None)
    assert (reason_text(failed), reason_text(partial, times="x")) == ("timeout", "item_invalid x2")
    row = ImportLog.from_doc({**failed, "startedAt": datetime.now(UTC)}).summary_row(ids=False)
    assert row["reason"] == "timeout" and row["status"] == "failed" and "fileName" not in row
