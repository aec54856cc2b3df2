"""Flow `import-feeds`: every feed fetched and normalized in parallel, upserted in batches, logged."""

from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from prefect import State, flow
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed, Failed
from prefect.utilities.annotations import allow_failure, quote

from jobfeed.importlog import ImportLog
from jobfeed.ops.cancelled import on_cancellation
from jobfeed.ops.events import tag_flow_run
from jobfeed.ops.followups import (
    EXPORT_JOBS,
    NOTIFY_RUN_SUMMARY,
    REFRESH_DUPLICATES,
    FollowUp,
    wants_run_summary,
    with_follow_ups,
)
from jobfeed.ops.report import FeedsFailedError, RunVerdict, run_outcome
from jobfeed.pipeline.runs import Fetched, Finished
from jobfeed.reasons import FailureReason
from jobfeed.settings import get_settings
from tasks.config import resolve_feed_list
from tasks.duplicates import refresh_duplicates
from tasks.export import export_jobs
from tasks.fetch import fetch_and_normalize
from tasks.followups import follow_ups_of
from tasks.notify import notify_run_summary
from tasks.outcomes import batch_outcome, outcome_of
from tasks.pool import FeedThreadPool, completed_in_window
from tasks.record import record_import_log
from tasks.start import start_run
from tasks.summary import publish_summary
from tasks.upsert import upsert_batch

# Jobs travel between tasks as batch files (jobfeed/pipeline/spool.py), never as parameters: memory stays
# flat and Prefect has nothing big to walk. _as_is(): outcomes and logs go to tasks as they are; Prefect
# would otherwise walk every field looking for futures to resolve (bench/README.md).
# Retry delays are read from the settings at each retry (tasks/policy.py), so nothing is re-declared here.
# No `from __future__ import annotations` here: Prefect's flow.serve() cannot handle it (notes/stack.md).


T = TypeVar("T")


def _as_is(value: T) -> T:
    """The value, marked for Prefect to pass as it is (quote) rather than walk it for futures."""
    return cast(T, quote(value))


def _run_name() -> str:
    return f"import-{datetime.now(UTC):%Y%m%d-%H%M%S}"


@flow(
    name="import-feeds",
    flow_run_name=_run_name,
    task_runner=FeedThreadPool(),  # type: ignore[arg-type]  # Prefect types runners invariantly; sized at run time
    on_cancellation=[on_cancellation],  # a cancelled run's running ImportLogs end `cancelled`, its locks freed
)
def import_feeds(feeds_file: str | None = None, feed_urls: list[str] | None = None) -> State[list[dict[str, Any]]]:
    """Import every enabled feed once and write one ImportLog per feed; returns the per-feed summary.

    Task runs per import: feeds + batches + feeds with batches + 4 (resolve, start, refresh-duplicate-groups,
    summary), + 1 with EXPORT_DIR set (export-jobs), + 1 when a run summary is sent (notify-run-summary). A
    feed with nothing to upsert is finished by its fetch task (`Finished`); every other outcome, a fetch
    that failed after its retries included, goes to record-import-log. Both run pipeline.finish, and
    end Failed (returned, so the flow goes on) for a failing feed. The run ends `Completed` when no feed
    is failing, `Failed` when some are and none is OK (or on an internal error), else `Partial`. The
    follow-ups (_follow_up) never change that verdict; a failed one is named in the state's message.
    """
    tag_flow_run(flow_run.get_id())  # schedule / manual / api, and the deployment
    started = datetime.now(UTC)
    feeds = resolve_feed_list(feeds_file, feed_urls)
    runs = start_run(feeds)
    # Task runs are not tagged with their feed: a tagged task run takes a tag-concurrency slot (API calls and a
    # lease) in Prefect 3.8, measured +2 s on a 304 run of 7 feeds; each task run's name holds the feed's name.
    logs: list[ImportLog] = []
    finishers = []  # the task run that finished each feed: the follow-ups wait for every one of them
    to_record = []
    # A feed's upserts are queued before the next fetch: the database writes while other feeds are parsed.
    for run, future in completed_in_window(fetch_and_normalize.submit, runs, get_settings().max_concurrency):
        outcome = outcome_of(future)
        if isinstance(outcome, Finished):
            logs.append(outcome.log)
            finishers.append(future)
            continue
        now = datetime.now(UTC)  # one stamp per feed, passed in so retries of a batch reuse it
        batches = outcome.batches if isinstance(outcome, Fetched) else []
        to_record.append((run, outcome, [(batch, upsert_batch.submit(run, batch, now)) for batch in batches]))
    records = [
        record_import_log.submit(run, _as_is(outcome), _as_is([batch_outcome(batch, future) for batch, future in ups]))
        for run, outcome, ups in to_record
    ]
    logs += [_log_of(record.result(raise_on_failure=False)) for record in records]
    follow_ups, followers = _follow_up(logs, [*finishers, *records], started)
    publish_summary(
        _as_is(logs), _as_is(follow_ups), wait_for=[allow_failure(f) for f in followers], return_state=False
    )
    bugs = [log for log in logs if log.reason == FailureReason.INTERNAL_ERROR.value]
    if bugs:  # a bug in jobfeed must fail the flow run visibly, after every log was written
        raise RuntimeError(f"internal error while importing {len(bugs)} feed(s); see their ImportLogs")
    rows = [log.summary_row() for log in logs]
    ended = run_outcome(logs)
    message = with_follow_ups(ended.message, follow_ups)
    if ended.verdict is RunVerdict.FAILED:
        return Failed(message=message, data=FeedsFailedError(message, rows))  # raised by a plain call
    return Completed(name=ended.verdict.value, message=message, data=rows)


def _follow_up(
    logs: list[ImportLog], finishers: list[Any], started: datetime
) -> tuple[list[FollowUp], list[PrefectFuture[Any]]]:
    """The run-level follow-ups, after every feed finished, each its own task run with its own retries:

        all feeds finished ─┬─► refresh-duplicate-groups ─┬─► notify-run-summary (NOTIFY_RUN_SUMMARY)
                            └─► export-jobs (EXPORT_DIR) ─┘

    `allow_failure`: a failing feed's finishing task run ends Failed, which must not hold a follow-up back;
    and the notification reports a failed refresh or export instead of waiting on them. Nothing here raises.
    Returns what each did and their futures (the summary comes last and waits for them too).
    """
    settings = get_settings()
    after_feeds = [allow_failure(future) for future in finishers]
    futures: dict[str, PrefectFuture[Any]] = {
        REFRESH_DUPLICATES: refresh_duplicates.submit(wait_for=after_feeds, return_state=False)
    }
    if settings.export_dir is not None:
        futures[EXPORT_JOBS] = export_jobs.submit(started, wait_for=after_feeds, return_state=False)
    done = follow_ups_of(futures)
    if settings.has_notify_channel and wants_run_summary(settings.notify_run_summary, logs, done):
        after = [allow_failure(future) for future in futures.values()]
        futures[NOTIFY_RUN_SUMMARY] = notify_run_summary.submit(
            _as_is(logs), _as_is(done), wait_for=after, return_state=False
        )
        done += follow_ups_of({NOTIFY_RUN_SUMMARY: futures[NOTIFY_RUN_SUMMARY]})
    return done, list(futures.values())


def _log_of(value: object) -> ImportLog:
    """A record task's ImportLog (a failing feed's Failed state carries it as data); its error when it raised."""
    if isinstance(value, BaseException):
        raise value  # the ImportLog could not be finished even after retries: the run must not look fine
    assert isinstance(value, ImportLog), value
    return value
