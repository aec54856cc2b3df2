"""The run's follow-ups as the run reports them: state message, summary section, when a run summary is sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobfeed.importlog import ImportLog, LogStatus
from jobfeed.ops.followups import (
    FollowUp,
    follow_up_warning,
    follow_ups_markdown,
    run_summary,
    run_summary_link,
    wants_run_summary,
    with_follow_ups,
)
from jobfeed.settings import Settings

OK = FollowUp("refresh-duplicate-groups", True, "full refresh of 2 dupKey(s): 2 group(s) written, 0 removed")
BAD = FollowUp.failed("export-jobs", NotADirectoryError(20, "Not a directory", "/srv/exports/jobs.parquet"))


def log(status: str) -> ImportLog:
    return ImportLog(file_name="https://a.example/f", feed_name="a", flow_run_id="r",
                     started_at=datetime(2026, 1, 1, tzinfo=UTC), status=LogStatus(status))  # fmt: skip


def test_the_state_message_names_failed_follow_ups_only() -> None:
    assert with_follow_ups("3 of 3 feeds ok", [OK]) == "3 of 3 feeds ok"
    assert with_follow_ups("3 of 3 feeds ok", [OK, BAD]) == "3 of 3 feeds ok; follow-up failed: export-jobs"
    assert BAD.detail == "NotADirectoryError: [Errno 20] Not a directory: '/srv/exports/jobs.parquet'"
    assert follow_up_warning(BAD).startswith("follow-up export-jobs failed: NotADirectoryError")


def test_a_failure_text_is_redacted_and_capped() -> None:
    failed = FollowUp.failed("notify-run-summary", "posting to https://u:hunter2@hooks.example/x" + "!" * 1000)
    assert "hunter2" not in failed.detail and len(failed.detail) <= 300


def test_the_summary_section_lists_every_follow_up() -> None:
    assert follow_ups_markdown([]) == ""
    section = follow_ups_markdown([OK, BAD])
    assert "| refresh-duplicate-groups | ok | full refresh" in section and "| export-jobs | failed | NotADir" in section


@pytest.mark.parametrize(
    ("mode", "statuses", "follow_ups", "sent"),
    [
        ("off", ["failed"], [BAD], False),
        ("always", ["success"], [OK], True),
        ("failures", ["success", "not_modified", "skipped"], [OK], False),
        ("failures", ["success", "partial"], [OK], True),
        ("failures", ["success"], [OK, BAD], True),
    ],
)
def test_when_a_run_summary_is_sent(mode: str, statuses: list[str], follow_ups: list[FollowUp], sent: bool) -> None:
    assert wants_run_summary(mode, [log(s) for s in statuses], follow_ups) is sent


def test_summary_message_totals_and_link() -> None:
    summary = run_summary([log("success"), log("failed")], [OK, BAD], run_name="import-1")
    assert summary.title == "jobfeed run import-1: Partial - 1 of 2 feeds ok; 1 failed: failed ×1"
    assert "- a failed: failed" in summary.text and "- export-jobs failed: NotADirectoryError" in summary.text
    assert summary.slack_payload()["text"].startswith(":warning: jobfeed run import-1")
    settings = Settings(_env_file=None, prefect_ui_url="http://ui.example/")  # type: ignore[call-arg]
    assert run_summary_link("abc", settings, api_url="") == "http://ui.example/runs/flow-run/abc"
    assert run_summary_link("abc", Settings(_env_file=None), api_url="") is None  # type: ignore[call-arg]
    assert run_summary_link(None, settings) is None
