"""The fetch window: at most `window` feeds submitted at once, the next only after the caller's follow-up work."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from prefect.futures import PrefectConcurrentFuture

from jobfeed import constants as C
from jobfeed.settings import get_settings
from tasks.pool import FeedThreadPool, completed_in_window


def test_window_bounds_what_is_in_flight_and_yields_every_item() -> None:
    lock, running, peak, events = threading.Lock(), [0], [0], []
    gate = threading.Semaphore(0)  # each submitted item finishes only when the test releases it

    def work(item: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        gate.acquire()
        with lock:
            running[0] -= 1
        return item * 10

    with ThreadPoolExecutor(max_workers=8) as pool:

        def submit(item: int) -> PrefectConcurrentFuture[int]:
            events.append(("submit", item))
            return PrefectConcurrentFuture(uuid.uuid4(), pool.submit(work, item))

        completions = completed_in_window(submit, list(range(7)), window=3)
        results = {}
        for _ in range(7):
            gate.release()  # let one in-flight item finish
            item, future = next(completions)
            events.append(("done", item))
            results[item] = future.wrapped_future.result()
        assert next(completions, None) is None
    assert results == {i: i * 10 for i in range(7)}
    assert peak[0] <= 3
    submits = [i for kind, i in events if kind == "submit"]
    assert submits == list(range(7))  # in the given order
    # the 4th item is submitted only after the caller came back for the 2nd completion
    first_done = events.index(("done", next(i for kind, i in events if kind == "done")))
    assert events.index(("submit", 3)) > first_done


def test_pool_has_write_lanes_beyond_the_fetch_concurrency() -> None:
    runner = FeedThreadPool().duplicate()
    assert runner._max_workers == get_settings().max_concurrency + C.WRITE_LANES
