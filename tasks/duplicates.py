"""Task (a run's follow-up): refresh the materialized duplicate groups for the dupKeys the run touched."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.ops.followups import REFRESH_DUPLICATES
from jobfeed.store import get_store
from jobfeed.store.duplicates import RefreshReport, refresh_duplicate_groups
from tasks.policy import retrying


@task(name=REFRESH_DUPLICATES, task_run_name="refresh duplicate groups", cache_policy=NO_CACHE,
      **retrying(C.FOLLOW_UP_RETRIES, any_failure=True))  # fmt: skip
def refresh_duplicates() -> RefreshReport:
    """`duplicate_groups` up to date with `jobs` (jobfeed/store/duplicates.py); whole on the first run."""
    return refresh_duplicate_groups(get_store(), now=datetime.now(UTC))
