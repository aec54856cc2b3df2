"""Two import runs at once, and a lock whose holder died: each feed is imported by exactly one run."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.support.feeds import many_items_feed
from tests.support.gated_server import GatedFeedServer
from tests.support.pipeline import FlowResult, Pipeline, check_log, in_thread, wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def lock_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every finished FeedLocks.acquire call (a spy): tells the test when both runs have decided."""
    from jobfeed.ops.locks import FeedLocks

    calls: list[Any] = []
    real = FeedLocks.acquire

    def spy(self: FeedLocks, feed_url: str, token: str) -> Any:
        result = real(self, feed_url, token)
        calls.append((feed_url, token, result))
        return result

    monkeypatch.setattr(FeedLocks, "acquire", spy)
    return calls


def run_in_thread(pipeline: Pipeline, urls: list[str], results: list[FlowResult | BaseException]) -> threading.Thread:
    def target() -> None:
        try:
            results.append(pipeline.run(urls, check=False))
        except BaseException as exc:  # reported by the test, never lost in the thread
            results.append(exc)

    return in_thread(target)


def test_two_runs_at_once_import_each_feed_exactly_once(
    pipeline: Pipeline, gated: GatedFeedServer, lock_calls: list[Any]
) -> None:
    # feeds whose answers are held until both runs have taken (or been refused) every lock: the runs
    # overlap for certain, whatever order Prefect starts them in
    urls = [gated.set(f"feed-{n}.xml", many_items_feed(f"conc-{n}", 3), hold=True) for n in range(3)]
    results: list[FlowResult | BaseException] = []
    threads = [run_in_thread(pipeline, urls, results) for _ in range(2)]
    wait_until(lambda: len(lock_calls) == 2 * len(urls), 60, "both runs to ask for every feed's lock")
    # each feed is fetched by its one lock holder: exactly one request per feed is waiting
    wait_until(lambda: all(gated.holding(f"feed-{n}.xml") == 1 for n in range(3)), 30, "the holders' fetches")
    for n in range(3):
        gated.release(f"feed-{n}.xml")
    for thread in threads:
        thread.join(timeout=90)
    assert len(results) == 2 and not any(isinstance(r, BaseException) for r in results), results
    first, second = results  # type: ignore[misc]
    assert first.flow_run_id != second.flow_run_id
    for url in urls:
        logs = [first[url], second[url]]
        for log in logs:
            check_log(log)
        imported = [log for log in logs if log["status"] == "success"]
        skipped = [log for log in logs if log["status"] == "skipped"]
        assert len(imported) == 1 and len(skipped) == 1, logs
        assert imported[0]["newJobs"] == 3 and imported[0]["failedJobs"] == 0
        assert skipped[0]["error"]["reason"] == "locked" and skipped[0]["totalFetched"] == 0
        assert imported[0]["flowRunId"] in skipped[0]["error"]["message"]  # names the run that holds it
        assert len(gated.requests_to(urlsplit_path(url))) == 1  # the skipping run never fetched it
    assert pipeline.store.jobs.count() == 9
    assert sum(log["newJobs"] for r in (first, second) for log in r.logs.values()) == 9
    from jobfeed.ops.locks import get_locks
    from jobfeed.settings import get_settings

    settings = get_settings()
    assert all(get_locks(settings.redis_url, settings.lock_ttl_s).holder(url) is None for url in urls)  # all given back


def test_lock_of_a_crashed_holder_frees_itself(
    pipeline: Pipeline, served: Any, set_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobfeed.ops.locks import FeedLocks, get_locks
    from jobfeed.settings import get_settings

    # A hold no run outlasts, however loaded the machine: the "while the hold lasts" step below must not
    # race the expiry (with 5 s it did). The expiry itself is then brought forward in Redis, not waited for.
    set_env(LOCK_TTL_S="600")
    url = served.url("single_item_feed.xml?t=crashed-holder")
    # run 1 takes the lock and dies before giving it back (its release never happens)
    dead = True
    real_release = FeedLocks.release
    monkeypatch.setattr(FeedLocks, "release", lambda self, u, t: False if dead else real_release(self, u, t))
    crashed = pipeline.run([url])
    assert crashed[url]["status"] == "success" and crashed[url]["newJobs"] == 1
    dead = False  # later runs give their locks back normally
    locks = get_locks(get_settings().redis_url, get_settings().lock_ttl_s)
    assert locks.holder(url) == crashed.flow_run_id

    blocked = pipeline.run([url])  # while the dead run's hold lasts, the feed is skipped, not imported twice
    assert blocked[url]["status"] == "skipped" and blocked[url]["error"]["reason"] == "locked"
    assert crashed.flow_run_id in blocked[url]["error"]["message"]

    key = FeedLocks.key(url)
    assert 0 < locks.client.pttl(key) <= 600_000  # the dead run's hold ends by itself: Redis expires it
    locks.client.pexpire(key, 1)  # ... as it would 600 s from now (real expiry: tests/integration/test_locks.py)
    wait_until(lambda: locks.holder(url) is None, 30, "the dead holder's lock to expire", interval=0.05)
    requests_before = len(served.requests_to("single_item_feed.xml"))
    after = pipeline.run([url])
    assert after[url]["status"] == "not_modified"  # imported again: fetched (a 304), nothing to write
    assert len(served.requests_to("single_item_feed.xml")) == requests_before + 1
    assert pipeline.store.jobs.count() == 1
    assert locks.holder(url) is None


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
