"""Starting and finishing feeds on the real servers: the session's Mongo-compatible server and Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobfeed.models import FeedSpec
from jobfeed.ops.locks import FeedLocks
from jobfeed.pipeline.runs import FeedRun
from jobfeed.pipeline.spool import spool_root
from jobfeed.pipeline.start import start_run

LOCK_TTL_S = 60


@pytest.fixture
def locks(redis_service: Any) -> FeedLocks:
    """Real per-feed locks on the session's Redis."""
    return FeedLocks(redis_service.url, ttl_s=LOCK_TTL_S)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    """This test's spool root (runs' working files)."""
    return spool_root(tmp_path / "spool")


@pytest.fixture
def feed(db_name: str) -> Callable[[str], FeedSpec]:
    """Feeds with URLs of this test alone: locks live in the one shared Redis, keyed by URL."""
    return lambda name: FeedSpec(url=f"https://{name}.example/{db_name}/feed.xml", name=name)


@pytest.fixture
def begin(store: Any, locks: FeedLocks, spool: Path) -> Callable[..., list[FeedRun]]:
    """pipeline.start.start_run with this test's store, locks and spool; Prefect knows no live run."""

    def begin(
        *feeds: FeedSpec,
        flow_run_id: str | None = "run-1",
        now: datetime | None = None,
        alive: Callable[[str | None], bool] = lambda _: False,
        lock_ttl_s: int = LOCK_TTL_S,
        with_locks: Any = None,
    ) -> list[FeedRun]:
        return start_run(
            list(feeds),
            store=store,
            locks=with_locks or locks,
            flow_run_id=flow_run_id,
            now=now or datetime.now(UTC),
            spool=spool,
            lock_ttl_s=lock_ttl_s,
            flow_run_is_alive=alive,
        )

    return begin
