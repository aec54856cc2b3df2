"""Tasks: load pending dead letters and re-drive them (one task run per chunk, never per letter)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.pipeline.redrive import redrive_rows
from jobfeed.store import get_store
from jobfeed.store.duplicates import mark_stale
from tasks.policy import retrying


@task(name="load-dead-letters", cache_policy=NO_CACHE, **retrying(C.UPSERT_RETRIES))
def load_dead_letters(reason: str | None, limit: int) -> list[dict[str, Any]]:
    """Pending dead letters, oldest first, optionally of one reason."""
    return get_store().dead_letters.pending(reason=reason, limit=limit)


@task(
    name="redrive-chunk",
    task_run_name="redrive chunk {index}",
    cache_policy=NO_CACHE,
    **retrying(C.UPSERT_RETRIES),
)
def redrive_chunk(letters: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """Re-process a chunk of dead letters; each is marked re-driven only when it now succeeds. Jobs written
    without an ImportLog: the materialized duplicate groups are read as stale until the next import refreshes."""
    mark_stale(get_store())  # before and after writing: readers never trust groups a re-drive may have changed
    rows = redrive_rows(get_store(), letters, now=datetime.now(UTC))
    mark_stale(get_store())
    return rows
