"""Benchmark: the Import History page's queries on 100,000 ImportLogs (median of 5 runs each).

    .venv/bin/python bench/dashboard_queries.py [--logs 100000] [--uri mongodb://...]

Uses --uri (or BENCH_MONGODB_URI) with a scratch database `jobfeed_bench` that it drops afterwards;
without one it starts a private secantusd-py server (bench.stack.BenchStack, mongo only) in a temp dir.
Not a test: it prints a table, and the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jobfeed.store import Store, reads  # noqa: E402 - after the sys.path line above
from jobfeed.store.reads import LogFilter  # noqa: E402

DB_NAME = "jobfeed_bench"
FEEDS = 30
REPEATS = 5
INSERT_BATCH = 5_000
STATUSES = [("success", 70), ("not_modified", 15), ("partial", 7), ("failed", 7), ("skipped", 1)]


def log_doc(i: int, now: datetime, rng: random.Random) -> dict[str, Any]:
    """An ImportLog as the pipeline writes it: one per feed per hourly run, newest at `now`."""
    feed = i % FEEDS
    started = now - timedelta(hours=i // FEEDS, seconds=feed)
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    new, updated, unchanged = rng.randint(0, 5), rng.randint(0, 3), rng.randint(0, 40)
    failed = rng.randint(1, 3) if status == "partial" else 0
    failures = [
        {"reason": "item_invalid", "message": "no guid and no link", "itemKey": f"k{i}-{n}"} for n in range(failed)
    ]
    return {
        "fileName": f"https://board{feed}.example/?feed=job_feed", "feedName": f"board-{feed}",
        "flowRunId": f"run-{i // FEEDS}", "startedAt": started, "finishedAt": started + timedelta(seconds=3),
        "timestamp": started + timedelta(seconds=3), "durationMs": 3000, "status": status,
        "totalFetched": new + updated + unchanged + failed, "totalImported": new + updated, "newJobs": new,
        "updatedJobs": updated, "unchangedJobs": unchanged, "failedJobs": failed, "failures": failures,
        "failuresTruncated": False, "failuresByReason": {"item_invalid": failed} if failed else {},
        "error": {"reason": "http_5xx", "message": "503"} if status == "failed" else None,
    }  # fmt: skip


def seed(store: Store, n: int) -> float:
    """Insert n logs in batches; returns seconds taken."""
    rng = random.Random(42)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    for start in range(0, n, INSERT_BATCH):
        store.logs.coll.insert_many(
            [log_doc(i, now, rng) for i in range(start, min(n, start + INSERT_BATCH))], ordered=False
        )
    return time.perf_counter() - started


def median_ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Median wall time of REPEATS calls in ms (after one warm-up call), and the last result."""
    result = fn()
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def plan(store: Store, flt: LogFilter) -> str:
    """The winning plan's stages for the history find (IXSCAN name or COLLSCAN)."""
    explained = store.logs.coll.find(flt.query(), reads.HISTORY_FIELDS).sort("startedAt", -1).limit(20).explain()
    stages, node = [], explained.get("queryPlanner", {}).get("winningPlan", {})
    while node:
        stages.append(node.get("stage", "?") + (f"({node['indexName']})" if "indexName" in node else ""))
        node = node.get("inputStage") or {}
    return " > ".join(stages)


def main() -> int:
    """Seed, time, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--uri", default=os.environ.get("BENCH_MONGODB_URI"))
    args = parser.parse_args()
    with ExitStack() as stack:
        uri = args.uri
        if not uri:
            from bench.stack import BenchStack

            uri = stack.enter_context(BenchStack(services=("mongo",))).mongo_uri
        from pymongo import MongoClient

        client: MongoClient = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
        stack.callback(client.close)
        client.drop_database(DB_NAME)
        stack.callback(client.drop_database, DB_NAME)
        store = Store(client, DB_NAME)
        store.ensure_indexes()
        seconds = seed(store, args.logs)
        print(f"seeded {args.logs:,} ImportLogs ({FEEDS} feeds) in {seconds:.1f} s on {uri.split('@')[-1]}\n")
        feed = "https://board7.example/?feed=job_feed"
        week = datetime.now(UTC) - timedelta(days=7)  # the page's default period ("last 7 days")
        cases: list[tuple[str, LogFilter, bool]] = [  # (label, filter, page query? else count)
            ("first page, last 7 days (default)", LogFilter(since=week), True),
            ("page count, last 7 days", LogFilter(since=week), False),
            ("by feed, last 7 days: page 1", LogFilter(feed=feed, since=week), True),
            ("by feed, last 7 days: count", LogFilter(feed=feed, since=week), False),
            ("by status=failed, last 7 days: page 1", LogFilter(status="failed", since=week), True),
            ("by status=failed, last 7 days: count", LogFilter(status="failed", since=week), False),
            ("feed + status, last 7 days: page 1", LogFilter(feed=feed, status="failed", since=week), True),
            ("first page, all time", LogFilter(), True),
            ("page count, all time", LogFilter(), False),
            ("by feed, all time: page 1", LogFilter(feed=feed), True),
            ("by feed, all time: count", LogFilter(feed=feed), False),
            ("by status=failed, all time: page 1", LogFilter(status="failed"), True),
            ("by status=failed, all time: count", LogFilter(status="failed"), False),
        ]
        timed: list[tuple[str, Callable[[], Any], LogFilter | None]] = [
            (label, (lambda f=flt: reads.log_page(store, f, page=1)) if is_page else (lambda f=flt: reads.count_logs(store, f)),
             flt if is_page else None)
            for label, flt, is_page in cases
        ]  # fmt: skip
        timed += [
            ("any import running? (refresh check)", lambda: reads.any_running(store), None),
            ("feeds page: 7-day stats aggregate", lambda: reads.feed_daily_stats(store, since=week), None),
        ]
        rows = []
        for name, fn, flt in timed:
            ms, result = median_ms(fn)
            size = len(result) if isinstance(result, list) else result
            rows.append((name, ms, size, plan(store, flt) if flt is not None else ""))
        width = max(len(r[0]) for r in rows)
        print(f"{'query':<{width}}  {'median ms':>9}  {'result':>8}  plan")
        for name, ms, size, how in rows:
            print(f"{name:<{width}}  {ms:>9.1f}  {size!s:>8}  {how}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
