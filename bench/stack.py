"""The benchmark's own servers (secantusd, Redis, Prefect) on free 127.0.0.1 ports, and server-side counts.

Nothing is shared with a developer's `jobfeed stack`: own ports, own temp dir, removed on close.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psutil
from bson.timestamp import Timestamp
from pymongo import MongoClient

from jobfeed.stack import procs as P
from jobfeed.stack import servers as S

START_TIMEOUT_S = 90.0  # Prefect needs ~10 s to be healthy on 2 idle cores; others' tests may be running
SETTLE_MAX_S = 30.0  # longest wait for the servers to go quiet between two measured runs
SETTLE_CPU_PCT = 15.0  # "quiet": the servers together use less than this much of one core
TOUCH_FIELDS = frozenset({"lastSeenAt", "feeds"})  # an update of only these is a touch, not a content write
DROPPED_ENV = ("PREFECT_", "MONGODB_", "REDIS_", "FEEDS_FILE", "BATCH_SIZE", "MAX_CONCURRENCY", "FETCH_ALLOW",
               "MAX_FEED_BYTES", "HTTP_TIMEOUT", "LOCK_TTL", "RETRY_BACKOFF", "JOBFEED_", "SPOOL_DIR",
               "ARCHIVE")  # fmt: skip


class BenchStack:
    """Start secantusd-py (--sync-on-commit), Redis and a Prefect server; give each run a clean env."""

    def __init__(self, services: tuple[str, ...] = ("mongo", "redis", "prefect")) -> None:
        self.services = services  # which servers start() starts (the dashboard benchmark needs mongo only)
        self.dir = Path(tempfile.mkdtemp(prefix="jobfeed-bench-"))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.mongo_port = self.redis_port = self.prefect_port = 0

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true&retryWrites=false"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def prefect_api(self) -> str:
        return f"http://127.0.0.1:{self.prefect_port}/api"

    def _start(self, name: str, spawn: Callable[[int], subprocess.Popen[bytes]],
               healthy: Callable[[int], bool], log: Path) -> int:  # fmt: skip
        """Start one server on a free port, retrying on another port if it lost the race for it."""
        self.procs[name], port = P.start_on_free_port(spawn, healthy, f"bench {name}", timeout=START_TIMEOUT_S,
                                                      log_path=log)  # fmt: skip
        return port

    def start(self) -> Self:
        """Start the servers named in `services` and wait until each answers."""
        d = self.dir
        if "mongo" in self.services:
            self.mongo_port = self._start(
                "mongo",
                lambda p: S.start_mongo_process(p, d / "mongo", d / "mongo.log"),
                lambda p: S.mongo_ping(f"mongodb://127.0.0.1:{p}/?directConnection=true"),
                d / "mongo.log",
            )
        if "redis" in self.services:
            self.redis_port = self._start(
                "redis",
                lambda p: S.start_redis_process(p, d / "redis", d / "redis.log"),
                lambda p: S.redis_ping(f"redis://127.0.0.1:{p}/0"),
                d / "redis.log",
            )
        if "prefect" in self.services:
            self.prefect_port = self._start(
                "prefect", lambda p: S.start_prefect_process(p, d / "prefect-home", d / "prefect.log"),
                lambda p: S.http_ok(f"http://127.0.0.1:{p}/api/health"), d / "prefect.log")  # fmt: skip
        return self

    def env(self, db: str, **extra: str) -> dict[str, str]:
        """The environment of one measured run: this stack's servers, database `db`, nothing inherited."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV)}
        env.update({
            "MONGODB_URI": self.mongo_uri, "MONGODB_DB": db, "REDIS_URL": self.redis_url,
            "PREFECT_API_URL": self.prefect_api, "PREFECT_HOME": str(self.dir / "client-home"),
            "FETCH_ALLOW_HOSTS": "127.0.0.1", "JOBFEED_STATE_DIR": str(self.dir / "state"),
            "SPOOL_DIR": str(self.dir / "spool"),  # runs the RSS part stops leave their files here, removed with it
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        })  # fmt: skip
        env.update(extra)
        return env

    def client(self) -> MongoClient[dict[str, Any]]:
        return MongoClient(self.mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000)

    def _tree(self, name: str) -> list[psutil.Process]:
        try:
            top = psutil.Process(self.procs[name].pid)
            return [top, *top.children(recursive=True)]  # `prefect server start` runs uvicorn as a child
        except (KeyError, psutil.NoSuchProcess):
            return []

    def server_cpu(self) -> dict[str, float]:
        """CPU seconds each server (with its children) has used so far: deltas show a run's server cost."""
        return {name: sum(_cpu(p) for p in self._tree(name)) for name in self.procs}

    def settle(self) -> float:
        """Wait (bounded) until the servers stop working off the last run; returns seconds waited.

        Prefect records task runs from events after the flow has returned, and a busy server would
        steal CPU from whichever run comes next on 2 cores.
        """
        started = time.monotonic()
        procs = [p for name in self.procs for p in self._tree(name)]
        while time.monotonic() - started < SETTLE_MAX_S:
            before = sum(_cpu(p) for p in procs)
            time.sleep(0.5)
            if (sum(_cpu(p) for p in procs) - before) / 0.5 * 100 < SETTLE_CPU_PCT:
                break
        return time.monotonic() - started

    def close(self) -> None:
        """Stop every server (Mongo killed: its data is deleted next) and remove the temp dir."""
        try:
            for name, proc in self.procs.items():
                if name == "mongo":
                    P.kill_process(proc.pid)
                else:
                    P.stop_process(proc.pid, timeout_s=10)
                proc.wait(timeout=10)
            self.procs.clear()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.close()


def _cpu(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
        return float(times.user + times.system)
    except psutil.Error:
        return 0.0


# --- counting writes on the server ------------------------------------------------------------


def cluster_time(client: MongoClient[dict[str, Any]]) -> Timestamp:
    """The server's latest operation time: writes after it belong to the next run."""
    return client.admin.command("ping")["operationTime"]


def opcounters(client: MongoClient[dict[str, Any]]) -> Counter[str]:
    """serverStatus opcounters (secantusdb counts write *commands*, MongoDB counts statements)."""
    return Counter(client.admin.command("serverStatus")["opcounters"])


def job_writes(client: MongoClient[dict[str, Any]], db: str, after: Timestamp, until: Timestamp,
               max_events: int = 2_000_000) -> dict[str, int]:  # fmt: skip
    """Documents of `db.jobs` the server wrote in (after, until], from its change stream, by kind.

    `insert`, `content` (an update touching anything beyond lastSeenAt/feeds) and `touch`.
    Read after the run, so watching costs the measured run nothing.
    """
    kinds: Counter[str] = Counter()
    pipeline = [{"$match": {"ns.coll": "jobs"}},
                {"$project": {"operationType": 1, "clusterTime": 1, "updateDescription.updatedFields": 1}}]  # fmt: skip
    deadline = time.monotonic() + 120
    idle = 0
    with client[db].watch(pipeline, start_at_operation_time=after, max_await_time_ms=300) as stream:
        for _ in range(max_events):
            if time.monotonic() > deadline:
                break
            event = stream.try_next()
            if event is None:  # an empty batch can come before the end of history: stop at the 3rd
                idle += 1
                if idle >= 3:
                    break
                continue
            idle = 0
            if event["clusterTime"] <= after:
                continue  # start_at_operation_time is inclusive
            if event["clusterTime"] > until:
                break
            op = event["operationType"]
            if op == "update":
                fields = {name.split(".")[0] for name in event.get("updateDescription", {}).get("updatedFields", {})}
                kinds["touch" if fields <= TOUCH_FIELDS else "content"] += 1
            else:
                kinds[op] += 1
    return dict(kinds)
