"""Task (a run's follow-up, when EXPORT_DIR is set): every job exported to EXPORT_DIR, one new file per run."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from jobfeed import constants as C
from jobfeed.ops.followups import EXPORT_JOBS
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from jobfeed.store.export import ExportFormat
from jobfeed.store.export_files import ExportedFile, export_to_dir, run_export_name
from tasks.policy import retrying


@task(name=EXPORT_JOBS, task_run_name="export jobs", cache_policy=NO_CACHE,
      **retrying(C.FOLLOW_UP_RETRIES, any_failure=True))  # fmt: skip
def export_jobs(started: datetime) -> ExportedFile:
    """EXPORT_DIR/jobs-<run start>-<run id>.<EXPORT_FORMAT>, written under a temporary name and renamed."""
    settings = get_settings()
    if settings.export_dir is None:
        raise ValueError("EXPORT_DIR is not set")  # the flow submits this task only when it is
    fmt = ExportFormat(settings.export_format)
    name = run_export_name(flow_run.get_name(), flow_run.get_id(), fmt, started)
    return export_to_dir(get_store(), settings.export_dir, fmt, name)
