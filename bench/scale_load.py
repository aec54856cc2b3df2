"""The cost curve's load test: locust against `jobfeed api` on the largest database of the curve.

ImportLogs are topped up to `logs` (bench.dashboard_queries.log_doc: one per feed per hourly run), the read
API is started on a free loopback port (no auth configured), and locust runs headless twice (bench/locustfile.py):
`ApiUser` + `DashboardUser` (`users` in all, think time 0.5-2 s) for `seconds`, then `SearchUser` alone
(`/api/jobs?q=`, a substring search that scans the collection on any MongoDB) with a few users, so that
the scan does not distort the other routes' figures. Every process it starts is stopped in `finally`.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.dashboard_queries import log_doc
from bench.stack import BenchStack
from jobfeed.stack import procs as P
from jobfeed.stack import servers as S

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
SEARCH_USERS, SEARCH_SECONDS = 5, 20
INSERT_BATCH = 5_000


def seed_logs(stack: BenchStack, db: str, want: int) -> int:
    """Top `import_logs` up to `want` documents (synthetic hourly history); returns how many were added."""
    client = stack.client()
    try:
        coll = client[db]["import_logs"]
        have = coll.estimated_document_count()
        rng, now = random.Random(7), datetime.now(UTC).replace(microsecond=0)
        for start in range(have, want, INSERT_BATCH):
            coll.insert_many(
                [log_doc(i, now, rng) for i in range(start, min(want, start + INSERT_BATCH))], ordered=False
            )
        return max(0, want - have)
    finally:
        client.close()


def _locust(url: str, users: list[str], count: int, seconds: int, csv_prefix: Path, env: dict[str, str]) -> str:
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "-u",
        str(count),
        "-r",
        str(max(1, count // 5)),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--host",
        url,
        "--csv",
        str(csv_prefix),
        "--loglevel",
        "WARNING",
        *users,
    ]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False)
    return proc.stderr[-800:] if proc.returncode not in (0, 1) else ""  # 1: some requests failed (reported)


def _stats(csv_prefix: Path) -> dict[str, dict[str, Any]]:
    """Per request name: count, failures, p50/p95 in ms, requests per second (locust's _stats.csv)."""
    out: dict[str, dict[str, Any]] = {}
    with Path(f"{csv_prefix}_stats.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "Aggregated":
                continue
            out[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "rps": float(row["Requests/s"] or 0),
            }
    return out


def _phase(
    env: dict[str, str], work: Path, name: str, users: list[str], count: int, seconds: int
) -> tuple[dict[str, Any], str]:
    """One locust phase against a fresh `jobfeed api` (a slow phase's backlog must not leak into the next)."""
    port = P.free_port()
    log = work / f"api-{name}.log"
    api = P.spawn([sys.executable, "-m", "jobfeed", "api", "--port", str(port)], log, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        P.wait_until(lambda: S.http_ok(url + "/healthz"), 120, "jobfeed api", proc=api, log_path=log)
        error = _locust(url, users, count, seconds, work / f"locust-{name}", env)
        return _stats(work / f"locust-{name}"), error
    finally:
        P.stop_process(api.pid)


def load_test(
    stack: BenchStack, db: str, *, jobs: int, logs: int, users: int, seconds: int, work: Path
) -> dict[str, Any]:
    """Seed logs, then locust: the main mix, then search alone; the figures per request name."""
    added = seed_logs(stack, db, logs)
    env = stack.env(db)
    env.update({"LOCUST_MONGODB_URI": stack.mongo_uri, "LOCUST_MONGODB_DB": db})
    result: dict[str, Any] = {
        "users": users,
        "seconds": seconds,
        "jobs": jobs,
        "logs": logs,
        "logs_added": added,
        "search_users": SEARCH_USERS,
        "search_seconds": SEARCH_SECONDS,
        "stats": {},
    }
    errors = []
    try:
        for name, classes, count, secs in (
            ("main", ["ApiUser", "DashboardUser"], users, seconds),
            ("search", ["SearchUser"], SEARCH_USERS, SEARCH_SECONDS),
        ):
            stats, error = _phase(env, work, name, classes, count, secs)
            result["stats"].update(stats)
            errors.append(error)
    except (OSError, P.ServiceStartError, subprocess.SubprocessError) as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:800])
    if any(errors):
        result["error"] = "; ".join(e for e in errors if e)
    return result
