"""Task: the run's summary in the Prefect UI (markdown artifact), its summary log line and its event."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from jobfeed.importlog import ImportLog
from jobfeed.ops.events import report_run
from jobfeed.ops.followups import FollowUp, follow_ups_markdown, with_follow_ups
from jobfeed.ops.report import run_outcome, summary_markdown
from jobfeed.settings import get_settings

SUMMARY_KEY = "import-feeds-summary"


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary(logs: list[ImportLog], follow_ups: list[FollowUp]) -> None:
    """Failures grouped by reason with links to the dashboard, one row per feed, then the follow-ups (no ids or
    URLs but the dashboard's: artifacts are widely readable); then the run's summary line and its event."""
    create_markdown_artifact(
        key=SUMMARY_KEY,
        markdown=summary_markdown(logs, get_settings().dashboard_url) + follow_ups_markdown(follow_ups),
        description=f"jobfeed import: {with_follow_ups(run_outcome(logs).message, follow_ups)}",
    )
    report_run(logs, flow_run.get_id(), follow_ups)
