"""Task: fetch one feed and normalize its items (one task run per feed, never per job)."""

from __future__ import annotations

import time

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.fetch import fetch_feed
from jobfeed.importlog import FeedFailure
from jobfeed.models import ConditionalState, FetchStatus
from jobfeed.normalize import normalize_items
from jobfeed.parse import parse_feed
from jobfeed.reasons import FeedError
from jobfeed.runs import FeedPayload, FeedRun
from jobfeed.settings import get_settings
from tasks.policy import retry_options


@task(
    name="fetch-and-normalize",
    task_run_name="fetch {run.feed.name}",
    cache_policy=NO_CACHE,  # inputs are per-run; hashing them would only cost time
    **retry_options(C.FETCH_RETRIES),
)
def fetch_and_normalize(run: FeedRun) -> FeedPayload:
    """Fetch (conditional GET), parse and normalize one feed; permanent failures come back as values."""
    if run.skip is not None:
        return FeedPayload()
    settings = get_settings()
    try:
        result = fetch_feed(run.feed.url, state=run.state, settings=settings)
    except FeedError as exc:
        if exc.reason.transient:
            if exc.retry_after_s:
                time.sleep(min(exc.retry_after_s, C.RETRY_AFTER_CAP_S))  # the board asked us to wait
            raise  # Prefect retries with backoff; the flow turns the last failure into a value
        return FeedPayload(error=FeedFailure(exc.reason, exc.message))
    conditional = ConditionalState(result.etag, result.last_modified, result.body_hash or run.state.body_hash)
    if result.status is FetchStatus.NOT_MODIFIED:
        return FeedPayload(not_modified=True, conditional=conditional, http_status=result.http_status, fetch_ms=result.elapsed_ms)
    try:
        parsed = parse_feed(result.body, result.content_type)
    except FeedError as exc:
        return FeedPayload(error=FeedFailure(exc.reason, exc.message), http_status=result.http_status, fetch_ms=result.elapsed_ms)
    normalized = normalize_items(parsed, run.feed.url)
    return FeedPayload(
        jobs=normalized.jobs,
        item_failures=normalized.failures,
        conditional=conditional,
        format=parsed.format,
        http_status=result.http_status,
        fetch_ms=result.elapsed_ms,
    )
