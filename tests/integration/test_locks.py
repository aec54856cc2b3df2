"""Per-feed locks on a real Redis: exclusive, re-entrant for one run, expiring, fail-open when down."""

from __future__ import annotations

import time

from jobfeed.ops.locks import FeedLocks


def test_exclusive_and_released_only_by_owner(redis_service) -> None:
    locks = FeedLocks(redis_service.url, ttl_s=30)
    url = "https://jobicy.com/?feed=job_feed&t=excl"
    assert locks.acquire(url, "run-a").acquired
    other = locks.acquire(url, "run-b")
    assert not other.acquired and other.holder == "run-a"
    assert locks.acquire(url, "run-a").acquired  # the same run may take it again (retried start)
    assert not locks.release(url, "run-b")  # not b's to give back
    assert locks.holder(url) == "run-a"
    assert locks.release(url, "run-a")
    assert locks.acquire(url, "run-b").acquired
    locks.release(url, "run-b")


def test_crashed_holder_lock_expires(redis_service) -> None:
    locks = FeedLocks(redis_service.url, ttl_s=1)
    url = "https://jobicy.com/?feed=job_feed&t=ttl"
    assert locks.acquire(url, "crashed-run").acquired  # never released: the holder "crashed"
    remaining = locks.client.pttl(FeedLocks.key(url))  # -1 would be a hold without expiry; -2: already gone
    assert remaining == -2 or 0 < remaining <= 1000, remaining
    # Wait for the expiry itself, with a deadline far past the 1 s hold (a loaded machine may be slow to ask).
    deadline = time.monotonic() + 30
    while locks.holder(url) is not None:
        assert time.monotonic() < deadline, "the crashed holder's lock never expired"
        time.sleep(0.05)
    assert locks.acquire(url, "next-run").acquired
    locks.release(url, "next-run")


def test_password_protected_redis(tmp_path) -> None:
    from tests.support.services import RedisService

    with RedisService(password="s3cret-pw") as service:
        assert "s3cret-pw" in service.url
        ok = FeedLocks(service.url, ttl_s=5).acquire("https://x.example/f", "r1")
        assert ok.acquired and ok.unavailable is None
        bad_url = service.url.replace("s3cret-pw", "wrong")
        denied = FeedLocks(bad_url, ttl_s=5).acquire("https://x.example/f", "r2")
        assert denied.acquired and denied.unavailable  # fails open, and says why
        assert "wrong" not in denied.unavailable  # credentials never in messages


def test_unreachable_redis_fails_open_with_a_note() -> None:
    result = FeedLocks("redis://127.0.0.1:9/0", ttl_s=5).acquire("https://x.example/f", "r")
    assert result.acquired and result.unavailable
