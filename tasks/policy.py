"""Prefect policy in one place: which failures are retried and how long to wait, and how many feeds run at once."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from jobfeed import constants as C
from jobfeed.reasons import FeedError
from jobfeed.settings import get_settings
from jobfeed.store import is_transient_db_error


def _exception_of(state: Any) -> BaseException | None:
    try:
        state.result()
    except BaseException as exc:  # noqa: BLE001 - we only classify it
        return exc
    return None


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only transient reasons (network weather, throttling, database hiccups), never bugs.

    A plain function on purpose: a functools.partial here silently disables retries (notes/stack.md).
    """
    exc = _exception_of(state)
    if isinstance(exc, FeedError):
        return exc.reason.transient
    return exc is not None and is_transient_db_error(exc)


def retry_options(retries: int, backoff_s: float = C.RETRY_BACKOFF_S) -> dict[str, Any]:
    """Task options for `retries` exponential retries (backoff_s, 2x, 4x, ...) with jitter."""
    return {
        "retries": retries,
        "retry_delay_seconds": exponential_backoff(backoff_factor=backoff_s),
        "retry_jitter_factor": C.RETRY_JITTER,
        "retry_condition_fn": retry_transient,
    }


class FeedThreadPool(ThreadPoolTaskRunner):  # type: ignore[type-arg]
    """A thread pool sized by MAX_CONCURRENCY when a flow run starts, not when the flow module is imported.

    Prefect enters a `duplicate()` of the flow's task runner for every run, so reading the setting
    there lets a deployment's worker, the CLI and tests change it between runs.
    """

    def duplicate(self) -> ThreadPoolTaskRunner:  # type: ignore[type-arg]
        return ThreadPoolTaskRunner(max_workers=get_settings().max_concurrency)
