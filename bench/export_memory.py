"""Benchmark: peak RSS of `jobfeed export` for 20,000 and 200,000 jobs, per format (the goal: 200k ≤ 1.3 × 20k).

    .venv/bin/python bench/export_memory.py [--small 20000] [--large 200000] [--formats csv,parquet,jsonl]

Starts a private secantusd-py server (bench.stack.BenchStack, mongo only) in a temp dir, seeds one database
per size with jobs shaped like the pipeline's (descriptions of ~3 KB HTML and ~2 KB text), and runs the real
command (`python -m jobfeed export --format F --out FILE --quiet`) in its own process for each size and
format; peak RSS is that process's ru_maxrss (bench.measure.run_measured). Prints a table and writes
bench/results/export-memory.json. Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import run_measured  # noqa: E402 - after the sys.path line above
from bench.stack import BenchStack  # noqa: E402

INSERT_BATCH = 5_000
RESULTS = ROOT / "bench" / "results" / "export-memory.json"
BOARDS = ("jobicy.com", "weworkremotely.com", "jobspresso.co", "greenhouse:acme")
WORDS = ("python", "data", "remote", "senior", "backend", "engineer", "product", "design", "team", "cloud", "platform",
         "customer")  # fmt: skip


def job_doc(i: int, now: datetime, rng: random.Random) -> dict[str, Any]:
    """A job as the pipeline stores it (with lifecycle fields), ~5 KB with its description."""
    source = BOARDS[i % len(BOARDS)]
    text = " ".join(rng.choice(WORDS) for _ in range(300))  # ~2 KB of plain text
    seen = now - timedelta(minutes=i % 10_000)
    return {
        "source": source, "externalId": f"https://{source}/jobs/{i}", "title": f"{rng.choice(WORDS).title()} Engineer {i}",
        "company": f"Company {i % 997}", "location": rng.choice(["Remote", "Berlin, Germany", "USA", None]),
        "jobType": "full-time", "category": "dev", "url": f"https://{source}/jobs/{i}",
        "descriptionHtml": f"<div><p>{text}</p><ul><li>{text[:800]}</li></ul></div>", "descriptionText": text,
        "publishedAt": seen - timedelta(days=1), "contentHash": f"{i:064x}", "firstSeenAt": seen, "lastSeenAt": seen,
        "lastChangedAt": seen, "feeds": [f"https://{source}/feed"], "status": "closed" if i % 10 == 0 else "open",
        "closedAt": seen if i % 10 == 0 else None, "dupKey": f"{i % 50_000:020x}",
        "lastWrite": {"token": "bench", "op": "insert", "at": seen},
    }  # fmt: skip


def seed(uri: str, db: str, count: int) -> None:
    """Insert `count` jobs into `db` (run in a child process: see `seed_apart`)."""
    from pymongo import MongoClient

    rng = random.Random(count)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    client: MongoClient[dict[str, Any]] = MongoClient(uri, tz_aware=True)
    try:
        coll = client[db]["jobs"]
        for start in range(0, count, INSERT_BATCH):
            coll.insert_many([job_doc(i, now, rng) for i in range(start, min(count, start + INSERT_BATCH))])
    finally:
        client.close()


def seed_apart(stack: BenchStack, db: str, count: int) -> float:
    """Seed in a child process; returns its seconds.

    Linux keeps a process's peak RSS across fork + exec (ru_maxrss of the exported child would include
    this process's RSS at the fork), so the measuring process must stay small: it never holds the jobs.
    """
    measured = run_measured([sys.executable, __file__, "--seed", stack.mongo_uri, db, str(count)],
                            env=stack.env(db), cwd=ROOT, timeout_s=1800)  # fmt: skip
    if measured.returncode != 0:
        raise SystemExit(f"seeding failed: {measured.stderr_tail}")
    return measured.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--formats", default="csv,parquet,jsonl")
    parser.add_argument("--seed", nargs=3, metavar=("URI", "DB", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        uri, db, count = args.seed
        seed(uri, db, int(count))
        return
    formats = args.formats.split(",")
    sizes = (args.small, args.large)
    rows: list[dict[str, Any]] = []
    with BenchStack(("mongo",)) as stack, tempfile.TemporaryDirectory(prefix="jobfeed-export-") as out_dir:
        for size in sizes:
            db = f"export_{size}"
            print(f"seeding {size:,} jobs ... {seed_apart(stack, db, size):.1f} s", flush=True)
            for fmt in formats:
                out = Path(out_dir) / f"jobs-{size}.{fmt}"
                argv = [sys.executable, "-m", "jobfeed", "export", "--format", fmt, "--out", str(out), "--quiet"]
                measured = run_measured(argv, env=stack.env(db), cwd=ROOT, timeout_s=1800)
                if measured.returncode != 0:
                    raise SystemExit(f"export failed ({fmt}, {size}): {measured.stderr_tail}")
                rows.append({"jobs": size, "format": fmt, "seconds": round(measured.seconds, 1),
                             "peak_rss_mb": round(measured.max_rss_mb, 1),
                             "file_mb": round(out.stat().st_size / 1e6, 1)})  # fmt: skip
                print(f"  {fmt:8} {measured.seconds:6.1f} s  peak RSS {measured.max_rss_mb:6.1f} MB", flush=True)
                out.unlink()
    ratios = {
        fmt: round(next(r["peak_rss_mb"] for r in rows if r["format"] == fmt and r["jobs"] == args.large)
                   / next(r["peak_rss_mb"] for r in rows if r["format"] == fmt and r["jobs"] == args.small), 3)
        for fmt in formats
    }  # fmt: skip
    print("\n| format | jobs | seconds | peak RSS (MB) | file (MB) |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['format']} | {r['jobs']:,} | {r['seconds']} | {r['peak_rss_mb']} | {r['file_mb']} |")
    print("\npeak RSS, large ÷ small: " + ", ".join(f"{fmt} {ratio}" for fmt, ratio in ratios.items()))
    print(f"(this measuring process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB peak)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"measured": datetime.now(UTC).isoformat(), "runs": rows, "ratio": ratios}, indent=1))


if __name__ == "__main__":
    main()
