"""Retry policy in one place: which failures are retried, how often, and how long to wait."""

from __future__ import annotations

from typing import Any, SupportsIndex

from jobfeed import constants as C
from jobfeed.reasons import FeedError
from jobfeed.settings import get_settings
from jobfeed.store import is_transient_db_error


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only transient reasons (network, throttling, database hiccups), never bugs. A plain
    function on purpose: a functools.partial here silently disables retries (notes/stack.md)."""
    try:
        state.result()
    except FeedError as exc:
        return exc.reason.transient
    except BaseException as exc:  # noqa: BLE001 - we only classify it
        return is_transient_db_error(exc)
    return False


class Backoff(list[float]):
    """Delays RETRY_BACKOFF_S, 2x, 4x, ... read when a retry happens (Prefect indexes this list then), not
    at import: a worker, the CLI and the tests (RETRY_BACKOFF_S=0) get theirs without re-declaring a task."""

    def __init__(self, retries: int) -> None:
        super().__init__([C.RETRY_BACKOFF_S * 2**n for n in range(retries)])  # what Prefect's UI shows

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        if isinstance(index, slice):
            return [self[n] for n in range(len(self))[index]]
        return get_settings().retry_backoff_s * 2 ** range(len(self))[index]

    def __iter__(self) -> Any:
        return (self[n] for n in range(len(self)))


def retrying(retries: int, *, any_failure: bool = False) -> dict[str, Any]:
    """@task options for `retries` retries with exponential backoff and jitter: of transient failures only, or
    of `any_failure` for a run's follow-ups (each one whole, idempotent step: a refresh, a file renamed in)."""
    options = {"retries": retries, "retry_delay_seconds": Backoff(retries), "retry_jitter_factor": C.RETRY_JITTER}
    return options if any_failure else {**options, "retry_condition_fn": retry_transient}
