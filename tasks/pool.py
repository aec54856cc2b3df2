"""How many feeds a flow run works on at once, and the order in which its threads take work."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

from jobfeed import constants as C
from jobfeed.settings import get_settings

R = TypeVar("R")
T = TypeVar("T")


class FeedThreadPool(ThreadPoolTaskRunner[Any]):
    """MAX_CONCURRENCY threads for fetches plus WRITE_LANES for upserts, sized when a flow run starts.

    Prefect enters a `duplicate()` of the flow's task runner for every run, so reading the setting
    there lets a deployment's worker, the CLI and tests change it between runs.
    """

    def duplicate(self) -> ThreadPoolTaskRunner[Any]:  # type: ignore[override]  # a plain pool, sized now
        return ThreadPoolTaskRunner(max_workers=get_settings().max_concurrency + C.WRITE_LANES)


def completed_in_window(
    submit: Callable[[R], PrefectFuture[T]], items: Sequence[R], window: int
) -> Iterator[tuple[R, PrefectFuture[T]]]:
    """Submit at most `window` items at a time; yield each (item, future) as it completes.

    The next item is submitted only when the caller asks for the next completion, after it submitted the
    follow-up work of the one before (its upserts): the pool is first in, first out, so that work starts
    before more fetches and the database writes while other feeds are still parsed (bench/README.md).
    """
    done: queue.SimpleQueue[PrefectFuture[T]] = queue.SimpleQueue()
    pending = list(items)
    waiting: dict[PrefectFuture[T], R] = {}
    while pending or waiting:
        while pending and len(waiting) < window:
            item = pending.pop(0)
            future = submit(item)
            waiting[future] = item
            future.add_done_callback(done.put)
        future = done.get()
        yield waiting.pop(future), future
