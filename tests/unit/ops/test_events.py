"""What a run tells Prefect, decided without Prefect: the run's verdict and message, log lines (redacted),
the summary markdown, which events a finished feed calls for and its resource, and a run's origin tag."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from jobfeed.importlog import FeedFailure, ImportLog, LogStatus
from jobfeed.models import ItemFailure
from jobfeed.ops.drift import drift_hook
from jobfeed.ops.events import (
    FEED_DISABLED,
    FEED_DRIFT,
    FEED_FAILED,
    FEED_RECOVERED,
    FeedWatch,
    feed_events,
    feed_resource,
    origin_of,
)
from jobfeed.ops.report import RunVerdict, feed_line, run_outcome, slug, summary_markdown, warning_line
from jobfeed.quality import Drift, DriftKind
from jobfeed.reasons import FailureReason
from jobfeed.settings import OpsSettings

SECRET_URL = "https://board.example/feed?api_key=s3cr3t"
MISSING = Drift(DriftKind.ELEMENT_MISSING, "company", 1.0, 0.0)


def log(status: LogStatus, name: str = "board", reason: FailureReason | None = None, **kw: Any) -> ImportLog:
    error = FeedFailure(reason, f"cannot fetch {SECRET_URL}") if reason else None
    return ImportLog(SECRET_URL, name, "run-1", datetime(2026, 1, 1, tzinfo=UTC), status=status, error=error, **kw)


def logs_of(ok: int, failed: dict[FailureReason, int], skipped: int = 0, partial: int = 0) -> list[ImportLog]:
    found = [log(LogStatus.SUCCESS) for _ in range(ok)] + [log(LogStatus.SKIPPED) for _ in range(skipped)]
    for reason, n in failed.items():
        found += [log(LogStatus.FAILED, reason=reason) for _ in range(n)]
    return found + [log(LogStatus.PARTIAL, new=1, failed=1) for _ in range(partial)]


@pytest.mark.parametrize(
    ("logs", "verdict", "message"),
    [
        (logs_of(3, {}), RunVerdict.COMPLETED, "3 of 3 feeds ok"),
        (logs_of(2, {}, skipped=1), RunVerdict.COMPLETED, "2 of 3 feeds ok, 1 skipped"),
        ([], RunVerdict.COMPLETED, "0 of 0 feeds ok"),
        (logs_of(7, {FailureReason.DNS_ERROR: 2}), RunVerdict.PARTIAL, "7 of 9 feeds ok; 2 failed: dns_error ×2"),
        (logs_of(1, {}, partial=1), RunVerdict.PARTIAL, "1 of 2 feeds ok; 1 failed: partial ×1"),
        (
            logs_of(0, {FailureReason.HTTP_4XX: 1, FailureReason.DNS_ERROR: 2}),
            RunVerdict.FAILED,
            "0 of 3 feeds ok; 3 failed: dns_error ×2, http_4xx ×1",
        ),
        (
            logs_of(0, {FailureReason.TIMEOUT: 1}, skipped=2),
            RunVerdict.FAILED,
            "0 of 3 feeds ok, 2 skipped; 1 failed: timeout ×1",
        ),
    ],
)
def test_run_outcome(logs: list[ImportLog], verdict: RunVerdict, message: str) -> None:
    outcome = run_outcome(logs)
    assert (outcome.verdict, outcome.message) == (verdict, message)


def test_lines_name_the_feed_and_hide_secrets() -> None:
    failed = log(LogStatus.FAILED, reason=FailureReason.HTTP_5XX)
    assert feed_line(failed).startswith("feed board: failed - fetched 0")
    warning = warning_line(failed)
    assert warning is not None and warning.startswith("feed board failed: http_5xx - cannot fetch")
    assert "s3cr3t" not in warning
    assert warning_line(log(LogStatus.SUCCESS)) is None and warning_line(log(LogStatus.SKIPPED)) is None
    partial = log(
        LogStatus.PARTIAL, new=2, failed=1, failures=[ItemFailure(FailureReason.ITEM_INVALID, "no title", "x")]
    )
    assert warning_line(partial) == "feed board partial: partial - item_invalid: no title"


def test_summary_groups_failures_by_reason_with_dashboard_links() -> None:
    failed = log(LogStatus.FAILED, "a|b", FailureReason.DNS_ERROR, id="L1")
    text = summary_markdown([log(LogStatus.SUCCESS, "ok"), failed], "https://dash.example/")
    assert "# jobfeed import: Partial" in text and "### dns_error (1)" in text
    assert "[a\\|b](https://dash.example/run?log=L1): failed" in text
    assert "s3cr3t" not in text
    assert "| ok | success |" in text
    assert "](http" not in summary_markdown([failed], None)  # no DASHBOARD_URL: no links


@pytest.mark.parametrize(
    ("status", "before", "disabled", "expected"),
    [
        (LogStatus.FAILED, 0, False, [FEED_FAILED]),
        (LogStatus.PARTIAL, 2, False, [FEED_FAILED]),
        (LogStatus.FAILED, 9, True, [FEED_FAILED, FEED_DISABLED]),
        (LogStatus.SUCCESS, 3, False, [FEED_RECOVERED]),
        (LogStatus.NOT_MODIFIED, 1, False, [FEED_RECOVERED]),
        (LogStatus.SUCCESS, 0, False, []),
    ],
)
def test_feed_events(status: LogStatus, before: int, disabled: bool, expected: list[str]) -> None:
    watch = FeedWatch()
    watch.saw({"consecutiveFailures": before}, type("Note", (), {"kind": "disabled"})() if disabled else None)
    assert feed_events(log(status), watch) == expected


def test_new_drift_adds_its_event_whatever_the_status() -> None:
    watch = FeedWatch()
    drift_hook(watch, OpsSettings(_env_file=None, notify_webhook_url=None, smtp_host=None))(
        SECRET_URL, "board", "log-1", [MISSING]
    )  # type: ignore[call-arg]
    watch.saw({"consecutiveFailures": 2}, None)
    assert watch.drift == [MISSING]
    assert feed_events(log(LogStatus.SUCCESS), watch) == [FEED_RECOVERED, FEED_DRIFT]
    assert feed_events(log(LogStatus.SUCCESS), FeedWatch(called=True)) == []  # no new drift: no event


def test_a_skipped_feed_emits_nothing() -> None:
    assert feed_events(log(LogStatus.SKIPPED), FeedWatch()) == []  # after_record is not called for it


def test_feed_resource() -> None:
    resource = feed_resource(log(LogStatus.FAILED, "We Work Remotely!"), 3)
    assert resource["prefect.resource.id"] == "jobfeed.feed.we-work-remotely"
    assert resource["prefect.resource.name"] == "We Work Remotely!"
    assert resource["consecutiveFailures"] == "3"
    assert resource["jobfeed.feed.url"] == "https://board.example/feed?api_key=***"
    assert slug("!!!") == "feed"


@pytest.mark.parametrize(
    ("tags", "auto", "origin"),
    [(["manual", "api"], False, "api"), ([], True, "schedule"), (["manual"], False, "manual"), ([], False, "manual")],
)
def test_origin_of(tags: list[str], auto: bool, origin: str) -> None:
    assert origin_of(tags, auto_scheduled=auto) == origin
