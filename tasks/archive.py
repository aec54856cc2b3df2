"""Task: prune the raw feed archive (jobfeed/ops/archive.py; the rule is jobfeed/pipeline/archive.py)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.ops import archive
from jobfeed.settings import get_settings
from jobfeed.store import get_store
from tasks.policy import retrying


@task(name="prune-bodies", cache_policy=NO_CACHE, **retrying(C.UPSERT_RETRIES))
def prune_bodies() -> int:
    """Delete bodies last seen more than ARCHIVE_KEEP_DAYS ago that no feed stands on; returns how many."""
    return archive.prune(get_settings(), get_store())
