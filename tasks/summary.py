"""Task: the run's summary as a table artifact in the Prefect UI."""

from __future__ import annotations

from collections import Counter

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from jobfeed.importlog import ImportLog


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary(logs: list[ImportLog]) -> None:
    """One row per feed with its counts, status and reason (no ids or URLs: artifacts are widely readable)."""
    statuses = Counter(log.status.value for log in logs)
    create_table_artifact(
        key="import-feeds-summary",
        table=[log.summary_row(ids=False) for log in logs],
        description=f"jobfeed import: {len(logs)} feeds, "
        + ", ".join(f"{status}={n}" for status, n in sorted(statuses.items())),
    )
