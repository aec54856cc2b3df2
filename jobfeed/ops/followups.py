"""A run's follow-ups, decided without I/O: what each did, how the run's state message, summary artifact and log
name a failed one, and the run-summary message (sent by tasks/notify.py through jobfeed/ops/channels.py).

Follow-ups run after every feed of the run finished (docs/architecture.md has the graph). A failed one never
changes the run's verdict: the run stays Completed / Partial / Failed by its feeds, and its state message
names the follow-up (`3 of 3 feeds ok; follow-up failed: export-jobs`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobfeed.importlog import ImportLog, is_failing
from jobfeed.ops.channels import slack_message
from jobfeed.ops.prefect import flow_run_url
from jobfeed.ops.report import MESSAGE_CHARS, RunOutcome, failure_label, run_outcome, warning_line
from jobfeed.redact import redact_text
from jobfeed.settings import Settings

REFRESH_DUPLICATES = "refresh-duplicate-groups"
EXPORT_JOBS = "export-jobs"
NOTIFY_RUN_SUMMARY = "notify-run-summary"
MAX_FEEDS_LISTED = 20  # failing feeds named in one message; the rest are counted
_ICONS = {"Completed": ":white_check_mark:", "Partial": ":warning:", "Failed": ":x:"}


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How one follow-up ended: `ok`, and what it did or (redacted, capped) why it failed."""

    name: str
    ok: bool
    detail: str

    @classmethod
    def failed(cls, name: str, error: BaseException | str) -> FollowUp:
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        return cls(name, False, redact_text(text)[:MESSAGE_CHARS])

    @property
    def line(self) -> str:
        """`export-jobs: wrote 12 job(s) ...` or `export-jobs failed: PermissionError: ...`."""
        return f"{self.name}: {self.detail}" if self.ok else f"{self.name} failed: {self.detail}"


def with_follow_ups(message: str, follow_ups: Sequence[FollowUp]) -> str:
    """The run's state message, naming the follow-ups that failed (their details are in the log and summary)."""
    failed = [f.name for f in follow_ups if not f.ok]
    return f"{message}; follow-up failed: {', '.join(failed)}" if failed else message


def follow_up_warning(follow_up: FollowUp) -> str:
    """The WARNING line of a follow-up that failed after its retries."""
    return f"follow-up {follow_up.line} (after its retries; the import itself is not affected)"


def follow_ups_markdown(follow_ups: Sequence[FollowUp]) -> str:
    """The summary artifact's section on the follow-ups ('' when none ran)."""
    if not follow_ups:
        return ""
    rows = [f"| {f.name} | {'ok' if f.ok else 'failed'} | {f.detail.replace('|', '/')} |" for f in follow_ups]
    return "\n".join(["## Follow-ups", "", "| follow-up | result | detail |", "|---|---|---|", *rows, ""])


def wants_run_summary(mode: str, logs: Sequence[ImportLog], follow_ups: Sequence[FollowUp]) -> bool:
    """NOTIFY_RUN_SUMMARY: `always`, `off`, or `failures` (a feed failed or partial, or a follow-up failed)."""
    if mode == "off":
        return False
    return mode == "always" or any(is_failing(log.status) for log in logs) or any(not f.ok for f in follow_ups)


@dataclass(frozen=True)
class RunSummary:
    """One message per run: the verdict, the job totals, the failing feeds, the follow-ups, a link to the run."""

    run_name: str
    outcome: RunOutcome
    totals: dict[str, int]
    failing: list[str]
    follow_ups: list[FollowUp] = field(default_factory=list)
    link: str | None = None

    @property
    def title(self) -> str:
        return f"jobfeed run {self.run_name}: {self.outcome.verdict.value} - {self.outcome.message}"

    @property
    def about(self) -> str:
        return f"run summary of {self.run_name}"

    @property
    def text(self) -> str:
        t = self.totals
        lines = [
            f"{self.title}.",
            f"Jobs: {t['new']} new, {t['updated']} updated, {t['unchanged']} unchanged, {t['failed']} failed, "
            f"{t['closed']} closed ({t['fetched']} fetched from {t['feeds']} feed(s)).",
        ]
        if self.failing:
            lines += ["Failing feeds:", *(f"- {line}" for line in self.failing)]
        if self.follow_ups:
            lines += ["Follow-ups:", *(f"- {f.line}" for f in self.follow_ups)]
        if self.link:
            lines.append(f"Run: {self.link}")
        return "\n".join(lines)

    def slack_payload(self) -> dict[str, Any]:
        icon = _ICONS.get(self.outcome.verdict.value, ":information_source:")
        return slack_message(icon, self.title, self.text)


def run_summary(
    logs: Sequence[ImportLog], follow_ups: Sequence[FollowUp], *, run_name: str, link: str | None = None
) -> RunSummary:
    """The run-summary message of these ImportLogs and follow-ups (every text redacted)."""
    totals = {
        "feeds": len(logs),
        "fetched": sum(log.total_fetched for log in logs),
        "new": sum(log.new for log in logs),
        "updated": sum(log.updated for log in logs),
        "unchanged": sum(log.unchanged for log in logs),
        "failed": sum(log.failed for log in logs),
        "closed": sum(log.closed_jobs for log in logs),
    }
    failing = [log for log in logs if is_failing(log.status)]
    lines = [warning_line(log) or f"{log.feed_name}: {failure_label(log)}" for log in failing[:MAX_FEEDS_LISTED]]
    lines = [line.removeprefix("feed ") for line in lines]
    if len(failing) > MAX_FEEDS_LISTED:
        lines.append(f"... and {len(failing) - MAX_FEEDS_LISTED} more")
    return RunSummary(run_name, run_outcome(logs), totals, lines, list(follow_ups), link)


def run_summary_link(flow_run_id: str | None, settings: Settings, api_url: str | None = None) -> str | None:
    """The run in the Prefect UI, when a UI is known (PREFECT_UI_URL, or a Prefect API that is not in-process)."""
    api = api_url if api_url is not None else os.environ.get("PREFECT_API_URL") or settings.prefect_api_url
    if not flow_run_id or not (settings.prefect_ui_url or api):
        return None
    return flow_run_url(flow_run_id, settings, api)
