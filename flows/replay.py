"""Flow `replay-import`: an archived body through today's parse -> normalize path, with no request
(docs/provenance.md). One feed, one ImportLog (`replayOf` = the source log), under the feed's lock."""

from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from prefect import State, flow
from prefect.states import Completed, Failed
from prefect.utilities.annotations import quote

from jobfeed.importlog import BODY_SHA256, REPLAY_DRY_RUN, REPLAY_OF, ImportLog
from jobfeed.ops.cancelled import on_cancellation
from jobfeed.ops.report import FeedsFailedError, RunVerdict, run_outcome
from jobfeed.pipeline.runs import Fetched, Finished
from tasks.outcomes import batch_outcome, outcome_of
from tasks.record import record_import_log
from tasks.replay import replay_batch, replay_body, start_replay

# No `from __future__ import annotations` here: Prefect's flow.serve() cannot handle it (notes/stack.md).

T = TypeVar("T")


def _as_is(value: T) -> T:
    """The value, marked for Prefect to pass as it is (quote) rather than walk it for futures."""
    return cast(T, quote(value))


def _run_name() -> str:
    return f"replay-{datetime.now(UTC):%Y%m%d-%H%M%S}"


@flow(name="replay-import", flow_run_name=_run_name, on_cancellation=[on_cancellation])
def replay_import(log_id: str | None = None, feed: str | None = None, at: str | None = None) -> State[dict[str, Any]]:
    """Replay the body of ImportLog `log_id`, or of the latest run of `feed` (name or URL) at or before `at`
    (ISO 8601). Writes jobs only for the feed's latest body; an older one is a dry run. Returns its summary row.
    """
    run = start_replay(log_id, feed, at)
    outcome = outcome_of(replay_body.submit(run))
    assert not isinstance(outcome, Finished), outcome  # replay-body never finishes the log itself
    now = datetime.now(UTC)  # one stamp, so retries of a batch reuse it
    batches = outcome.batches if isinstance(outcome, Fetched) else []
    futures = [(batch, replay_batch.submit(run, batch, now)) for batch in batches]
    record = record_import_log.submit(run, _as_is(outcome), _as_is([batch_outcome(b, f) for b, f in futures]))
    log = record.result(raise_on_failure=False)
    if isinstance(log, BaseException):
        raise log  # the ImportLog could not be finished
    assert isinstance(log, ImportLog), log
    row = {**log.summary_row(), **{k: log.extra.get(k) for k in (REPLAY_OF, REPLAY_DRY_RUN, BODY_SHA256)}}
    ended = run_outcome([log])
    if ended.verdict is RunVerdict.FAILED:
        return Failed(message=ended.message, data=FeedsFailedError(ended.message, [row]))
    return Completed(name=ended.verdict.value, message=ended.message, data=row)
