"""Per-feed import locks in Redis with an expiring hold, so a crashed holder frees itself.

prefect-redis's lock manager cannot say who holds a lock nor free one from another process (notes/stack.md),
so jobfeed keeps its own tiny one: `SET key token NX PX ttl` to take, a compare-and-delete script to give
back only our own lock.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import cast

import redis
from redis.exceptions import RedisError

from jobfeed.redact import redact_text

log = logging.getLogger(__name__)

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


@dataclass(frozen=True, slots=True)
class LockResult:
    """Whether we hold the feed's lock; who does when we don't; or that Redis could not be asked."""

    acquired: bool
    holder: str | None = None
    unavailable: str | None = None  # Redis unreachable: the run goes on without a lock (and says so)


class FeedLocks:
    """Take and give back per-feed locks; one instance (and connection pool) per process and URL."""

    def __init__(self, url: str, ttl_s: int) -> None:
        self.ttl_ms = ttl_s * 1000
        # replies decoded to str: tokens are text, and callers compare them with the run id
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)

    @staticmethod
    def key(feed_url: str) -> str:
        return "jobfeed:lock:feed:" + hashlib.sha1(feed_url.encode()).hexdigest()

    def acquire(self, feed_url: str, token: str) -> LockResult:
        """Take the feed's lock for `token` unless another run holds it (re-entrant for the same token)."""
        key = self.key(feed_url)
        try:
            if self.client.set(key, token, nx=True, px=self.ttl_ms):
                return LockResult(True)
            holder = self._get_text(key)
            if holder == token:  # a retried start of the same run
                self.client.pexpire(key, self.ttl_ms)
                return LockResult(True)
            return LockResult(False, holder=holder)
        except RedisError as exc:
            message = redact_text(f"{type(exc).__name__}: {exc}")[:200]
            log.warning("feed lock unavailable, importing without it: %s", message)
            return LockResult(True, unavailable=message)

    def release(self, feed_url: str, token: str) -> bool:
        """Give the lock back if it is still ours; never raises (an unreleased lock expires anyway)."""
        try:
            return bool(self.client.eval(_RELEASE, 1, self.key(feed_url), token))
        except RedisError:
            return False

    def holder(self, feed_url: str) -> str | None:
        """Who holds the feed's lock now (tests, the dashboard)."""
        return self._get_text(self.key(feed_url))

    def _get_text(self, key: str) -> str | None:
        # redis-py types every reply as `bytes | str`; this client decodes (decode_responses=True), so it is str
        return cast("str | None", self.client.get(key))


_LOCKS: dict[tuple[str, int], FeedLocks] = {}


def get_locks(url: str, ttl_s: int) -> FeedLocks:
    """The shared FeedLocks for this Redis URL and hold time."""
    key = (url, ttl_s)
    if key not in _LOCKS:
        _LOCKS[key] = FeedLocks(url, ttl_s)
    return _LOCKS[key]
