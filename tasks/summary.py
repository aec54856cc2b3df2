"""Task: the run's summary in the Prefect UI (markdown artifact), its summary log line and its event."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from jobfeed.importlog import ImportLog
from jobfeed.ops.events import report_run
from jobfeed.ops.report import run_outcome, summary_markdown
from jobfeed.settings import get_settings

SUMMARY_KEY = "import-feeds-summary"


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary(logs: list[ImportLog]) -> None:
    """Failures grouped by reason with links to the dashboard, then one row per feed (no ids or URLs but the
    dashboard's: artifacts are widely readable); then the run's summary line and `jobfeed.run.finished`."""
    create_markdown_artifact(
        key=SUMMARY_KEY,
        markdown=summary_markdown(logs, get_settings().dashboard_url),
        description=f"jobfeed import: {run_outcome(logs).message}",
    )
    report_run(logs, flow_run.get_id())
