"""Task (a run's follow-up): the run-summary message through the configured channels (NOTIFY_RUN_SUMMARY)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run, task_run

from jobfeed import constants as C
from jobfeed.importlog import ImportLog
from jobfeed.ops.channels import deliver
from jobfeed.ops.followups import NOTIFY_RUN_SUMMARY, FollowUp, run_summary, run_summary_link
from jobfeed.settings import get_settings
from tasks.policy import retrying

_SENT: dict[str, set[str]] = {}  # channels that took this task run's message: a retry sends only to the others


class NotDeliveredError(RuntimeError):
    """A configured channel did not take the run summary (retried, then reported as a failed follow-up)."""


@task(name=NOTIFY_RUN_SUMMARY, task_run_name="notify run summary", cache_policy=NO_CACHE,
      **retrying(C.FOLLOW_UP_RETRIES, any_failure=True))  # fmt: skip
def notify_run_summary(logs: list[ImportLog], follow_ups: list[FollowUp]) -> str:
    """Send one message with the run's totals, failing feeds and follow-ups; raise when a channel refused it."""
    settings, run_id = get_settings(), flow_run.get_id()
    summary = run_summary(logs, follow_ups, run_name=flow_run.get_name() or "local",
                          link=run_summary_link(run_id, settings))  # fmt: skip
    sent = _SENT.setdefault(task_run.get_id() or "", set())
    results = deliver(summary, settings, skip=frozenset(sent))
    sent.update(channel for channel, ok in results.items() if ok)
    failed = sorted(channel for channel, ok in results.items() if not ok)
    if failed:
        raise NotDeliveredError(f"not taken by {', '.join(failed)} (sent: {', '.join(sorted(sent)) or 'none'})")
    _SENT.pop(task_run.get_id() or "", None)
    return f"sent by {', '.join(sorted(sent)) or 'no channel'}"
