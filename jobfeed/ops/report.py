"""What a run tells the Prefect UI, decided without I/O: log lines, the run's verdict, the summary markdown.

The status sets of jobfeed.importlog are the one rule: OK feeds (success, not_modified) are green,
neutral ones (skipped) count for nothing, failing ones (failed, partial) make their finishing task run
and the flow run say so. Everything here is redacted: Prefect's logs and artifacts are widely readable.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jobfeed.importlog import ImportLog, LogStatus, is_failing, is_ok
from jobfeed.redact import redact_text

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MESSAGE_CHARS = 300  # a feed's error message in a log line or an artifact: enough to act on, not a page


class RunVerdict(StrEnum):
    """How a flow run ends (contract: Completed, Partial, Failed)."""

    COMPLETED = "Completed"
    PARTIAL = "Partial"  # a named completed state: some feeds failed, some were OK
    FAILED = "Failed"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    verdict: RunVerdict
    message: str


class FeedsFailedError(Exception):
    """The data of a `Failed` flow run whose feeds failed (none OK): what `import_feeds()` raises when called
    without `return_state=True`, with the per-feed summary rows kept on it."""

    def __init__(self, message: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(message, rows)  # both in args: the exception pickles as Prefect stores results
        self.message, self.rows = message, rows

    def __str__(self) -> str:
        return self.message


def slug(name: str) -> str:
    """A feed name as a Prefect key part: lowercase letters, digits and dashes (`We Work Remotely` -> `we-work-remotely`)."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-")[:60] or "feed"


def failure_label(log: ImportLog) -> str:
    """What a failing feed's failure is called in groups: its own reason, else its status (`partial`)."""
    return log.reason or log.status.value


def run_outcome(logs: Sequence[ImportLog]) -> RunOutcome:
    """Completed when no feed is failing; Failed when some are and none is OK; otherwise Partial."""
    ok = sum(is_ok(log.status) for log in logs)
    failing = [log for log in logs if is_failing(log.status)]
    head = f"{ok} of {len(logs)} feeds ok"
    skipped = sum(log.status is LogStatus.SKIPPED for log in logs)
    if skipped:
        head += f", {skipped} skipped"
    if not failing:
        return RunOutcome(RunVerdict.COMPLETED, head)
    by_reason = Counter(failure_label(log) for log in failing)
    reasons = ", ".join(f"{reason} ×{n}" for reason, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])))
    message = f"{head}; {len(failing)} failed: {reasons}"
    return RunOutcome(RunVerdict.FAILED if ok == 0 else RunVerdict.PARTIAL, message)


def feed_line(log: ImportLog) -> str:
    """The INFO line of one finished feed: its status and counts."""
    return (
        f"feed {log.feed_name}: {log.status.value} - fetched {log.total_fetched}, new {log.new}, "
        f"updated {log.updated}, unchanged {log.unchanged}, failed {log.failed}, closed {log.closed_jobs}"
        + (f" ({log.duration_ms} ms)" if log.duration_ms is not None else "")
    )


def warning_line(log: ImportLog) -> str | None:
    """The WARNING line of a failing feed (reason and redacted message), None for any other feed."""
    if not is_failing(log.status):
        return None
    if log.error is not None:
        detail = log.error.message
    else:
        detail = "; ".join(f"{f.reason.value}: {f.message}" for f in log.failures[:3])
    detail = redact_text(detail)[:MESSAGE_CHARS]
    return f"feed {log.feed_name} {log.status.value}: {failure_label(log)}" + (f" - {detail}" if detail else "")


def run_detail_url(dashboard_url: str | None, log: ImportLog | str) -> str | None:
    """The dashboard's run-detail page of this ImportLog or log id (dashboard/sections/run_detail.py, `?log=`)."""
    log_id = log if isinstance(log, str) else log.id
    if not dashboard_url or not log_id:
        return None
    return f"{dashboard_url.rstrip('/')}/run?log={log_id}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(logs: Sequence[ImportLog], dashboard_url: str | None) -> str:
    """The run's summary artifact: the verdict, failures grouped by reason with links, then one row per feed."""
    outcome = run_outcome(logs)
    lines = [f"# jobfeed import: {outcome.verdict.value}", "", outcome.message, ""]
    groups: dict[str, list[ImportLog]] = defaultdict(list)
    for log in logs:
        if is_failing(log.status):
            groups[failure_label(log)].append(log)
    if groups:
        lines += ["## Failures by reason", ""]
        for reason, failed in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"### {reason} ({len(failed)})")
            lines.append("")
            for log in failed:
                url = run_detail_url(dashboard_url, log)
                name = f"[{_cell(log.feed_name)}]({url})" if url else _cell(log.feed_name)
                message = redact_text(log.error.message)[:MESSAGE_CHARS] if log.error else ""
                lines.append(f"- {name}: {log.status.value}" + (f" - {_cell(message)}" if message else ""))
            lines.append("")
    lines += ["## Feeds", "", "| feed | status | fetched | new | updated | unchanged | failed | reason |"]
    lines.append("|---|---|---:|---:|---:|---:|---:|---|")
    for log in logs:
        lines.append(
            f"| {_cell(log.feed_name)} | {log.status.value} | {log.total_fetched} | {log.new} | {log.updated} "
            f"| {log.unchanged} | {log.failed} | {_cell(log.reason or '')} |"
        )
    return "\n".join(lines) + "\n"
