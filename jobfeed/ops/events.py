"""A finished feed and a finished run, told to Prefect: run-logger lines, events for automations, artifacts, tags.

Called from the tasks that finish a feed (tasks/record.py) and from the flow. Best effort throughout: an
events or artifacts hiccup is logged and never fails a run (the ImportLog in MongoDB is the record).
Events (contract): `jobfeed.feed.failed`, `jobfeed.feed.recovered`, `jobfeed.feed.disabled`,
`jobfeed.feed.drift` (payload `drift`: the new drifts) with the feed as resource (`jobfeed.feed.<slug>`, label `consecutiveFailures`), and `jobfeed.run.finished` with the
totals; Prefect's events worker adds the flow run, task run, flow and deployment as related resources.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jobfeed.importlog import ImportLog, is_failing, is_ok
from jobfeed.ops.followups import FollowUp, with_follow_ups
from jobfeed.ops.report import failure_label, feed_line, run_outcome, slug, warning_line
from jobfeed.quality import Drift
from jobfeed.redact import redact_text, redact_url

if TYPE_CHECKING:
    from jobfeed.store import Store

log = logging.getLogger("jobfeed.ops.events")

FEED_FAILED = "jobfeed.feed.failed"
FEED_RECOVERED = "jobfeed.feed.recovered"
FEED_DISABLED = "jobfeed.feed.disabled"
FEED_DRIFT = "jobfeed.feed.drift"  # a feed's body drifted from its baseline (new drift only: jobfeed/quality.py)
RUN_FINISHED = "jobfeed.run.finished"
FAILURES_LABEL = "consecutiveFailures"
ORIGIN_TAGS = ("schedule", "manual", "api")  # how a flow run started


@dataclass(slots=True)
class FeedWatch:
    """pipeline.finish's after_record hook, wrapped: keeps the state from before the run and what notify
    decided (a `disabled` notification means this run disabled the feed)."""

    previous: Mapping[str, Any] | None = None
    disabled: bool = False
    called: bool = False
    drift: list[Drift] = field(default_factory=list)  # new drift of this run (the on_drift hook)

    def saw(self, previous: Mapping[str, Any] | None, notification: Any) -> None:
        self.called = True
        self.previous = previous
        self.disabled = getattr(notification, "kind", None) == "disabled"


def feed_events(log_: ImportLog, watch: FeedWatch) -> list[str]:
    """The events one finished feed calls for (pure). A skipped feed's run says nothing about its health."""
    if not watch.called:
        return []
    before = int((watch.previous or {}).get(FAILURES_LABEL) or 0)
    names = []
    if is_failing(log_.status):
        names.append(FEED_FAILED)
    elif is_ok(log_.status) and before > 0:
        names.append(FEED_RECOVERED)
    if watch.disabled:
        names.append(FEED_DISABLED)
    if watch.drift:
        names.append(FEED_DRIFT)
    return names


def feed_resource(log_: ImportLog, consecutive_failures: int) -> dict[str, str]:
    """The feed as an event resource (labels are strings; the URL redacted: a query may hold an API key)."""
    return {
        "prefect.resource.id": f"jobfeed.feed.{slug(log_.feed_name)}",
        "prefect.resource.name": log_.feed_name,
        "jobfeed.feed.url": redact_url(log_.file_name),
        "jobfeed.status": log_.status.value,
        FAILURES_LABEL: str(consecutive_failures),
    }


def _flow_run_related(flow_run_id: str | None) -> list[dict[str, str]]:
    if not flow_run_id:
        return []
    return [{"prefect.resource.id": f"prefect.flow-run.{flow_run_id}", "prefect.resource.role": "flow-run"}]


def _payload(log_: ImportLog) -> dict[str, Any]:
    return {
        "status": log_.status.value,
        "reason": failure_label(log_) if is_failing(log_.status) else None,
        "message": redact_text(log_.error.message)[:300] if log_.error else None,
        "logId": log_.id,
        "fetched": log_.total_fetched,
        "new": log_.new,
        "updated": log_.updated,
        "failed": log_.failed,
    }


def report_feed(log_: ImportLog, watch: FeedWatch, *, store: Store) -> None:
    """Log the feed's lines to the run logger, emit its events and add a row to its keyed artifact."""
    from prefect import get_run_logger

    logger = get_run_logger()
    logger.info(feed_line(log_))
    warning = warning_line(log_)
    if warning:
        logger.warning(warning)
    try:
        names = feed_events(log_, watch)
        if names:
            failures = int((store.feeds.get(log_.file_name) or {}).get(FAILURES_LABEL) or 0)
            _emit(names, log_, failures, watch.drift)
        _feed_artifact(log_)
    except Exception as exc:  # noqa: BLE001 - telling Prefect is best effort; the ImportLog is the record
        log.warning("could not report feed %s to Prefect: %s", log_.feed_name, redact_text(str(exc))[:300])


def _emit(names: Sequence[str], log_: ImportLog, failures: int, drift: Sequence[Drift] = ()) -> None:
    from prefect.events import emit_event

    for name in names:
        payload = _payload(log_)
        if name == FEED_DRIFT:
            payload["drift"] = [d.to_doc() for d in drift]
        emit_event(
            event=name,
            resource=feed_resource(log_, failures),
            related=_flow_run_related(log_.flow_run_id),
            payload=payload,
        )


def _feed_artifact(log_: ImportLog) -> None:
    """One keyed table per feed (`feed-<slug>`): each run adds a version, so the Artifacts page has its history."""
    from prefect.artifacts import create_table_artifact
    from prefect.runtime import flow_run

    row = {"run": flow_run.get_name(), "finishedAt": str(log_.finished_at), **log_.summary_row(ids=False)}
    create_table_artifact(
        key=f"feed-{slug(log_.feed_name)}", table=[row], description=f"{log_.feed_name}: {log_.status.value}"
    )


def report_run(logs: Sequence[ImportLog], flow_run_id: str | None, follow_ups: Sequence[FollowUp] = ()) -> None:
    """The run's summary line in the run logger and its `jobfeed.run.finished` event with the totals."""
    from prefect import get_run_logger
    from prefect.events import emit_event

    outcome = run_outcome(logs)
    message = with_follow_ups(outcome.message, follow_ups)
    get_run_logger().info("run %s: %s", outcome.verdict.value, message)
    statuses = Counter(log_.status.value for log_ in logs)
    try:
        emit_event(
            event=RUN_FINISHED,
            resource={
                "prefect.resource.id": f"jobfeed.run.{flow_run_id or 'local'}",
                "jobfeed.verdict": outcome.verdict.value,
            },
            related=_flow_run_related(flow_run_id),
            payload={
                "verdict": outcome.verdict.value,
                "message": message,
                "followUpsFailed": [f.name for f in follow_ups if not f.ok],
                "feeds": len(logs),
                "statuses": dict(statuses),
                "new": sum(log_.new for log_ in logs),
                "updated": sum(log_.updated for log_ in logs),
                "failedJobs": sum(log_.failed for log_ in logs),
            },
        )
    except Exception as exc:  # noqa: BLE001 - best effort, as above
        log.warning("could not emit %s: %s", RUN_FINISHED, redact_text(str(exc))[:300])


def origin_of(tags: Sequence[str], *, auto_scheduled: bool) -> str:
    """How a flow run started: `api` (tagged by the run API), `schedule` (made by the scheduler), else `manual`."""
    if "api" in tags:
        return "api"
    if auto_scheduled:
        return "schedule"
    return "manual"


def tag_flow_run(flow_run_id: str | None) -> list[str]:
    """Add the run's origin and `deployment:<name>` to its tags; returns the tags added. Never raises."""
    if not flow_run_id:
        return []
    from uuid import UUID

    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(flow_run_id))
            added = [origin_of(run.tags or [], auto_scheduled=bool(run.auto_scheduled))]
            if run.deployment_id is not None:
                added.append(f"deployment:{client.read_deployment(run.deployment_id).name}")
            new = [tag for tag in added if tag not in (run.tags or [])]
            if new:
                client.update_flow_run(run.id, tags=[*(run.tags or []), *new])
            return new
    except Exception as exc:  # noqa: BLE001 - a tag is a convenience, never a reason to fail the run
        log.warning("could not tag flow run %s: %s", flow_run_id, redact_text(str(exc))[:300])
        return []
