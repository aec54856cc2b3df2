"""Task: fetch one feed and normalize its items into batch files (one task run per feed, never per job)."""

from __future__ import annotations

import time

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed import constants as C
from jobfeed.fetch.fetcher import fetch_feed
from jobfeed.importlog import FeedFailure
from jobfeed.models import ConditionalState, FetchStatus
from jobfeed.pipeline.ingest import ingest_body
from jobfeed.pipeline.runs import FeedPayload, FeedRun
from jobfeed.pipeline.spool import BatchWriter, FeedSpool, spool_root
from jobfeed.reasons import FeedError
from jobfeed.settings import Settings, get_settings
from tasks.policy import retry_options
from tasks.record import finish_feed


@task(
    name="fetch-and-normalize",
    task_run_name="fetch {run.feed.name}",
    cache_policy=NO_CACHE,  # inputs are per-run; hashing them would only cost time
    **retry_options(C.FETCH_RETRIES),
)
def fetch_and_normalize(run: FeedRun) -> FeedPayload:
    """Fetch (conditional GET), parse and normalize one feed; permanent failures come back as values.

    A feed with nothing to upsert (not modified, skipped, failed for good, no jobs) is recorded here
    at once (`payload.row`): the hourly run where most feeds answer 304 then costs one task run per
    feed instead of two (bench/README.md, re-import).
    """
    payload = _fetch(run) if run.skip is None else FeedPayload()
    if not payload.batches:
        payload.row = finish_feed(run, payload, [])
    return payload


def _fetch(run: FeedRun) -> FeedPayload:
    settings = get_settings()
    spool = FeedSpool(spool_root(settings.spool_dir), run.log_id).reset()  # a retry starts clean
    try:
        return _fetch_into(spool, run, settings)
    except BaseException:
        spool.remove()  # a retry or the record task owns nothing of this attempt
        raise
    finally:
        spool.remove_body()  # the jobs are in batch files now; the body is not needed again


def _fetch_into(spool: FeedSpool, run: FeedRun, settings: Settings) -> FeedPayload:
    # A payload without batches leaves its spool to finish_feed, which removes it with the run's files.
    try:
        result = fetch_feed(run.feed.url, state=run.state, settings=settings, body_path=spool.body_path)
    except FeedError as exc:
        if exc.reason.transient:
            if exc.retry_after_s:
                time.sleep(min(exc.retry_after_s, C.RETRY_AFTER_CAP_S))  # the board asked us to wait
            raise  # Prefect retries with backoff; the flow turns the last failure into a value
        return FeedPayload(error=FeedFailure(exc.reason, exc.message))
    conditional = ConditionalState(result.etag, result.last_modified, result.body_hash or run.state.body_hash)
    if result.status is FetchStatus.NOT_MODIFIED:
        return FeedPayload(
            not_modified=True, conditional=conditional, http_status=result.http_status, fetch_ms=result.elapsed_ms
        )
    try:
        ingested = ingest_body(
            spool.body_path, result.content_type, run.feed.url, BatchWriter(spool, settings.batch_size)
        )
    except FeedError as exc:
        return FeedPayload(
            error=FeedFailure(exc.reason, exc.message), http_status=result.http_status, fetch_ms=result.elapsed_ms
        )
    return FeedPayload(
        batches=ingested.batches,
        item_failures=ingested.failures,
        conditional=conditional,
        format=ingested.format,
        http_status=result.http_status,
        fetch_ms=result.elapsed_ms,
    )
