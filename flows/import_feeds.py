"""Flow `import-feeds`: every feed fetched and normalized in parallel, upserted in batches, logged."""

from datetime import UTC, datetime
from typing import Any

from prefect import flow
from prefect.futures import as_completed
from prefect.utilities.annotations import quote

from jobfeed import constants as C
from jobfeed.reasons import FailureReason
from jobfeed.settings import get_settings
from tasks.config import resolve_feed_list
from tasks.fetch import fetch_and_normalize
from tasks.outcomes import batch_outcome, payload_of
from tasks.policy import FeedThreadPool, retry_options
from tasks.record import publish_summary, record_import_log
from tasks.start import start_run
from tasks.upsert import upsert_batch

# Jobs travel between tasks as batch files (jobfeed/spool.py), never as parameters: memory stays flat
# and Prefect has nothing big to walk. quote(): payloads and outcomes go to tasks as they are;
# Prefect would otherwise walk every field looking for futures to resolve (bench/README.md).
# No `from __future__ import annotations` here: Prefect's flow.serve() cannot handle it (notes/stack.md).


def _run_name() -> str:
    return f"import-{datetime.now(UTC):%Y%m%d-%H%M%S}"


@flow(
    name="import-feeds",
    flow_run_name=_run_name,
    task_runner=FeedThreadPool(),  # sized from MAX_CONCURRENCY at run time
)
def import_feeds(feeds_file: str | None = None, feed_urls: list[str] | None = None) -> list[dict[str, Any]]:
    """Import every enabled feed once and write one ImportLog per feed; returns the per-feed summary."""
    settings = get_settings()
    # retry delays from settings at run time (RETRY_BACKOFF_S), not from when the module was imported
    backoff = settings.retry_backoff_s
    start = start_run.with_options(**retry_options(C.START_RETRIES, backoff))
    fetch = fetch_and_normalize.with_options(**retry_options(C.FETCH_RETRIES, backoff))
    upsert = upsert_batch.with_options(**retry_options(C.UPSERT_RETRIES, backoff))
    record = record_import_log.with_options(**retry_options(C.UPSERT_RETRIES, backoff))
    feeds = resolve_feed_list(feeds_file, feed_urls)
    runs = start(feeds)
    fetches = {fetch.submit(run): run for run in runs}
    in_flight = []
    rows = []
    for future in as_completed(list(fetches)):  # upserts of a fast feed start before slow feeds finish
        run = fetches[future]
        payload = payload_of(future)
        if payload.row is not None:  # nothing to write: the fetch task recorded it already
            rows.append(payload.row)
            continue
        now = datetime.now(UTC)  # one stamp per feed, passed in so retries of a batch reuse it
        batches = [(batch, upsert.submit(run, batch, now)) for batch in payload.batches]
        in_flight.append((run, payload, batches))
    records = [
        record.submit(run, quote(payload), quote([batch_outcome(batch, future) for batch, future in batches]))
        for run, payload, batches in in_flight
    ]
    rows += [record.result() for record in records]
    publish_summary(rows)
    bugs = [row for row in rows if row.get("reason") == FailureReason.INTERNAL_ERROR.value]
    if bugs:  # a bug in jobfeed must fail the flow run visibly, after every log was written
        raise RuntimeError(f"internal error while importing {len(bugs)} feed(s); see their ImportLogs")
    return rows
