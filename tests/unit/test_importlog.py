"""ImportLog arithmetic: status rules, the counting invariant, failure capping, batching."""

from __future__ import annotations

import pytest

from jobfeed.importlog import FeedFailure, LogStatus, UpsertCounts, chunked, decide_status, summary_fields
from jobfeed.models import ItemFailure
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
