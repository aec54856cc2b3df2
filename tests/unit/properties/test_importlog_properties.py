"""ImportLog arithmetic for any mix of batch outcomes and item failures (pure functions, no database).

A feed's run ends with some items unchanged by its snapshot, some invalid items, and upsert batches
that each either stored (new / updated / unchanged / failed counts) or failed after their retries
(every job of the batch a failure with the batch's reason). Whatever the mix, the finished document
keeps the contract's invariant, caps `failures` without losing the count, and gets the status the
contract's status sets promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jobfeed import constants as C
from jobfeed.importlog import (
    FAILING_STATUSES,
    NEUTRAL_STATUSES,
    OK_STATUSES,
    FeedFailure,
    FetchFacts,
    ImportLog,
    LogStatus,
    UpsertCounts,
    decide_status,
    finish_fields,
    summary_fields,
)
from jobfeed.models import ItemFailure
from jobfeed.reasons import FailureReason
from tests.support.strategies import failure_runs, small_count

STARTED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FEED_ERRORS = [FailureReason.HTTP_5XX, FailureReason.BLOCKED_HTML, FailureReason.XML_MALFORMED]
SKIP_REASONS = [FailureReason.LOCKED, FailureReason.DISABLED]


def failures_of(runs: list[tuple[str, int]], key: str) -> list[ItemFailure]:
    return [
        ItemFailure(FailureReason(reason), f"{reason} #{n}", f"{key}-{run}-{n}")
        for run, (reason, count) in enumerate(runs)
        for n in range(count)
    ]


@dataclass(frozen=True)
class Batch:
    """One upsert batch after its retries: the counts it stored, or the failure that exhausted them."""

    size: int
    counts: UpsertCounts | None
    error: FeedFailure | None


@st.composite
def batches(draw: st.DrawFn, index: int) -> Batch:
    if draw(st.integers(0, 3)) == 0:  # a failed batch: its jobs become failures with the batch's reason
        reason = draw(st.sampled_from([FailureReason.DB_ERROR, FailureReason.INTERNAL_ERROR]))
        return Batch(draw(st.integers(1, 120)), None, FeedFailure(reason, "batch failed after retries"))
    counts = UpsertCounts(
        new=draw(small_count),
        updated=draw(small_count),
        unchanged=draw(small_count),
        failures=failures_of(draw(failure_runs(max_runs=2)), f"batch{index}"),
        reopened=draw(st.integers(0, 3)),
    )
    return Batch(counts.total, counts, None)


@dataclass(frozen=True)
class Run:
    """Everything a feed's run knows at its finish."""

    unchanged_by_snapshot: int
    item_failures: list[ItemFailure]
    batches: list[Batch]
    error: FeedFailure | None
    not_modified: bool
    skipped: bool

    @property
    def items(self) -> int:
        """How many items the body held: every one of them must be counted exactly once."""
        return self.unchanged_by_snapshot + len(self.item_failures) + sum(batch.size for batch in self.batches)


@st.composite
def runs(draw: st.DrawFn) -> Run:
    kind = draw(st.sampled_from(["fetched", "fetched", "fetched", "not_modified", "failed", "skipped"]))
    fetched = kind == "fetched"
    error = None
    if kind in ("failed", "skipped"):
        reason = draw(st.sampled_from(FEED_ERRORS if kind == "failed" else SKIP_REASONS))
        error = FeedFailure(reason, f"feed {kind}")
    count = draw(st.integers(0, 5)) if fetched else 0
    return Run(
        unchanged_by_snapshot=draw(small_count) if fetched else 0,
        item_failures=failures_of(draw(failure_runs()), "item") if fetched else [],
        batches=[draw(batches(index)) for index in range(count)],
        error=error,
        not_modified=kind == "not_modified",
        skipped=kind == "skipped",
    )


def add_up(run: Run) -> UpsertCounts:
    """The feed's counts, by pipeline/finish.py's rule: snapshot-unchanged items and invalid items,
    then each batch's counts, or one failure per job of a batch that failed for good."""
    total = UpsertCounts(unchanged=run.unchanged_by_snapshot, failures=list(run.item_failures))
    for index, batch in enumerate(run.batches):
        if batch.counts is not None:
            total = total.add(batch.counts)
        else:
            assert batch.error is not None
            failed = [ItemFailure(batch.error.reason, batch.error.message, f"b{index}-{n}") for n in range(batch.size)]
            total = total.add(UpsertCounts(failures=failed))
    return total


def finished_log(run: Run) -> tuple[LogStatus, UpsertCounts, dict[str, Any]]:
    counts = add_up(run)
    status = decide_status(error=run.error, not_modified=run.not_modified, skipped=run.skipped, counts=counts)
    fields = finish_fields(status=status, counts=counts, error=run.error, facts=FetchFacts(batches=len(run.batches)))
    opened = ImportLog("https://board.example/feed", "board", "flow-1", STARTED, id="log-1").to_doc()
    finished = STARTED + timedelta(seconds=3)
    doc = {**opened, **fields, "finishedAt": finished, "timestamp": finished, "durationMs": 3000}
    return status, counts, doc


@given(run=runs())
def test_the_counts_add_up_for_any_mix_of_batches(run: Run) -> None:
    _, counts, doc = finished_log(run)
    stored = doc["newJobs"] + doc["updatedJobs"] + doc["unchangedJobs"]
    assert doc["totalFetched"] == stored + doc["failedJobs"]
    assert doc["totalFetched"] == run.items  # every item of the body counted exactly once
    assert doc["totalImported"] == doc["newJobs"] + doc["updatedJobs"]
    assert doc["failedJobs"] == len(counts.failures)
    assert doc["reopenedJobs"] == sum(batch.counts.reopened for batch in run.batches if batch.counts)


@given(run=runs())
def test_failures_are_capped_and_counted_exactly(run: Run) -> None:
    _, counts, doc = finished_log(run)
    failed, listed = doc["failedJobs"], doc["failures"]
    assert len(listed) == min(failed, C.MAX_FAILURES_PER_LOG)
    assert doc["failuresTruncated"] is (failed > C.MAX_FAILURES_PER_LOG)
    assert listed == [failure.to_doc() for failure in counts.failures[: C.MAX_FAILURES_PER_LOG]]  # the first ones
    by_reason: dict[str, int] = doc["failuresByReason"]
    assert sum(by_reason.values()) == failed
    assert all(count > 0 for count in by_reason.values())
    assert {FailureReason(reason) for reason in by_reason} == {failure.reason for failure in counts.failures}


@given(run=runs(), cap=st.integers(0, 150))
def test_any_cap_keeps_the_count_exact(run: Run, cap: int) -> None:
    counts = add_up(run)
    doc = summary_fields(status=LogStatus.PARTIAL, counts=counts, error=None, max_failures=cap)
    assert len(doc["failures"]) == min(counts.failed, cap)
    assert doc["failuresTruncated"] is (counts.failed > cap)
    assert doc["failedJobs"] == sum(doc["failuresByReason"].values()) == counts.failed


@given(run=runs())
def test_status_follows_the_contract(run: Run) -> None:
    status, counts, doc = finished_log(run)
    stored = counts.new + counts.updated + counts.unchanged
    assert status is not LogStatus.RUNNING and doc["status"] == status.value
    assert status in OK_STATUSES | NEUTRAL_STATUSES | FAILING_STATUSES
    if run.skipped:  # a skipped feed is skipped, whatever else is known
        assert status is LogStatus.SKIPPED
    elif run.error is not None:  # the feed itself failed
        assert status is LogStatus.FAILED and doc["error"] == run.error.to_doc()
    elif run.not_modified:
        assert status is LogStatus.NOT_MODIFIED and doc["totalFetched"] == 0
    elif counts.failed == 0:  # every item stored (a valid, empty feed included)
        assert status is LogStatus.SUCCESS
    elif stored == 0:  # every item failed: nothing of this feed is in the database
        assert status is LogStatus.FAILED and doc["error"] is None
    else:
        assert status is LogStatus.PARTIAL
    # and the other way round: the status sets promise what a reader may conclude
    if status in OK_STATUSES:
        assert doc["failedJobs"] == 0 and doc["error"] is None
    if status is LogStatus.PARTIAL:
        assert doc["failedJobs"] > 0 and stored > 0 and doc["error"] is None


@given(run=runs())
def test_the_finished_document_reads_back_as_the_same_log(run: Run) -> None:
    _, counts, doc = finished_log(run)
    log = ImportLog.from_doc(doc)
    assert log.total_fetched == doc["totalFetched"] and log.total_imported == doc["totalImported"]
    assert (log.new, log.updated, log.unchanged, log.failed) == (
        counts.new,
        counts.updated,
        counts.unchanged,
        counts.failed,
    )
    assert ImportLog.from_doc(log.to_doc()) == log
    assert {key: log.to_doc()[key] for key in doc} == doc  # nothing lost or changed on the way


@given(parts=st.lists(batches(0), max_size=6), data=st.data())
def test_adding_batches_in_any_order_gives_the_same_counts(parts: list[Batch], data: st.DataObject) -> None:
    stored = [batch.counts for batch in parts if batch.counts is not None]
    shuffled = data.draw(st.permutations(stored))

    def total(counts: list[UpsertCounts]) -> UpsertCounts:
        result = UpsertCounts()
        for part in counts:
            result = result.add(part)
        return result

    one, two = total(stored), total(shuffled)
    assert (one.new, one.updated, one.unchanged, one.failed, one.reopened) == (
        two.new,
        two.updated,
        two.unchanged,
        two.failed,
        two.reopened,
    )
    assert sorted(f.itemKey or "" for f in one.failures) == sorted(f.itemKey or "" for f in two.failures)
