"""The measured scenarios: jobfeed's own `import` and the baseline as subprocesses, side by side."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import FeedInfo, write_feed_set
from bench.measure import run_measured, task_runs
from bench.serve import FeedServer
from bench.stack import BenchStack, cluster_time, job_writes, opcounters

PY = sys.executable
JOBFEED = "jobfeed"
BASELINE = "baseline"
FIRST_ARCHIVE_OFF = "first-archive-off"  # jobfeed's first import with ARCHIVE=off (side_by_side)
RUN_TIMEOUT_S = 300.0  # one import of 20 x 1,000 items takes ~20-60 s here; 5x headroom
MIN_LEFT_FOR_FIXED_S = 40.0  # ~8 short runs
RESERVE_AFTER_SIDE_S = 30.0  # what the fixed-cost runs need at least, after the side-by-side reps
MIN_LEFT_FOR_PROFILE_S = 90.0  # one first import (~40-60 s) under the sampler
BIG_FEED_ENV = {"MAX_FEED_BYTES": str(2 * 1024**3), "HTTP_TIMEOUT_S": "600"}  # a 200k-item feed is ~800 MB


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is (full run vs --quick)."""

    feeds: int
    items: int
    reps: int
    changed_fraction: float
    rss_small: int
    rss_big: int
    tput_reps: int


FULL = Sizes(feeds=20, items=1000, reps=3, changed_fraction=0.1, rss_small=20_000, rss_big=200_000, tput_reps=5)
QUICK = Sizes(feeds=4, items=250, reps=1, changed_fraction=0.1, rss_small=2_000, rss_big=20_000, tput_reps=2)


class Bench:
    """Runs one measured command against the bench stack and records everything about it.

    Every run writes to a database of its own name. None is dropped: secantusdb took ~15 s to drop
    20,000 documents of 7 KB, and the server's whole temp dir is deleted at the end anyway.
    """

    def __init__(self, stack: BenchStack, server: FeedServer, sizes: Sizes, deadline: float) -> None:
        self.stack, self.server, self.sizes, self.deadline = stack, server, sizes, deadline
        self.work = stack.dir
        self.client = stack.client()
        self.runs: list[dict[str, Any]] = []

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def generate(self, name: str, **kwargs: Any) -> tuple[Path, list[FeedInfo]]:
        """Generate a feed set under the work dir (see bench.generate.write_feed_set)."""
        out = self.work / "feeds" / name
        return out, write_feed_set(out, **kwargs)

    def main_set(self) -> tuple[Path, list[FeedInfo], Path]:
        """The first-import feed set (feeds x items, base content): its dir, files and feeds YAML."""
        root = self.work / "feeds" / "v1"
        if not (root / "manifest.json").exists():
            self.generate("v1", feeds=self.sizes.feeds, items=self.sizes.items)
        infos = [FeedInfo(**info) for info in json.loads((root / "manifest.json").read_text())]
        return root, infos, self.feeds_file("main", infos)

    def feeds_file(self, name: str, infos: list[FeedInfo]) -> Path:
        """A jobfeed feeds YAML listing these files at the feed server's URLs (read by both sides)."""
        path = self.work / f"{name}.yaml"
        path.write_text(
            "feeds:\n" + "".join(f"  - url: {self.server.url(i.name)}\n    name: {i.name}\n" for i in infos)
        )
        return path

    def argv(self, side: str, feeds_file: Path, db: str) -> list[str]:
        if side == JOBFEED:
            return [PY, "-m", "jobfeed", "import", "--feeds-file", str(feeds_file), "--json"]
        return [
            PY,
            "-m",
            "bench.baseline",
            "--feeds-file",
            str(feeds_file),
            "--mongodb-uri",
            self.stack.mongo_uri,
            "--db",
            db,
        ]

    def run(self, scenario: str, side: str, feeds_file: Path, db: str, *, rep: int = 0, writes: bool = False,
            tasks: bool = False, env: dict[str, str] | None = None, argv: list[str] | None = None,
            stop_when: Callable[[], bool] | None = None, timeout_s: float = RUN_TIMEOUT_S) -> dict[str, Any]:  # fmt: skip
        """Run one import and return its record (also kept in self.runs)."""
        t0, ops0, cpu0 = cluster_time(self.client), opcounters(self.client), self.stack.server_cpu()
        started_at = datetime.now(UTC)
        timeout = max(30.0, min(timeout_s, self.remaining()))
        m = run_measured(argv or self.argv(side, feeds_file, db), env=self.stack.env(db, **(env or {})),
                         cwd=self.work, timeout_s=timeout, stop_when=stop_when)  # fmt: skip
        t1, ops1, cpu1 = cluster_time(self.client), opcounters(self.client), self.stack.server_cpu()
        rec: dict[str, Any] = {
            "scenario": scenario, "side": side, "rep": rep, "db": db, "seconds": round(m.seconds, 3),
            "max_rss_mb": round(m.max_rss_mb, 1), "returncode": m.returncode, "timed_out": m.timed_out,
            "stopped_early": m.stopped, "opcounters": dict(ops1 - ops0),
            "server_cpu_s": {k: round(cpu1[k] - cpu0.get(k, 0.0), 2) for k in cpu1},
            "changed_docs": self.client[db]["jobs"].count_documents({"lastChangedAt": {"$gte": started_at}}),
        }  # fmt: skip
        if m.returncode != 0 and not m.stopped:
            rec["stderr_tail"] = m.stderr_tail[-800:]
        if writes:
            rec["writes"] = job_writes(self.client, db, t0, t1)
        rec.update(_counts(side, m.stdout))
        if tasks and rec.get("flow_run_id"):
            rec["task_runs"] = dict(task_runs(self.stack.prefect_api, rec["flow_run_id"]))
        rec["settle_s"] = round(self.stack.settle(), 2)
        self.runs.append(rec)
        status = "stopped" if m.stopped else ("TIMEOUT" if m.timed_out else f"rc={m.returncode}")
        print(f"  {scenario:<14} {side:<8} rep {rep}: {m.seconds:6.1f} s  {m.max_rss_mb:7.0f} MB  {status}", flush=True)
        return rec


def _counts(side: str, stdout: str) -> dict[str, Any]:
    """What the importer says it did: jobfeed's ImportLogs (summed) or the baseline's JSON."""
    try:
        data = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        return {"output_error": stdout[-300:]}
    if side == BASELINE:
        return {"counts": data} if isinstance(data, dict) else {}
    logs = data if isinstance(data, list) else []
    keys = ("totalFetched", "newJobs", "updatedJobs", "unchangedJobs", "failedJobs")
    return {
        "counts": {k: sum(int(log.get(k) or 0) for log in logs) for k in keys},
        "statuses": sorted({str(log.get("status")) for log in logs}),
        "flow_run_id": next((log.get("flowRunId") for log in logs if log.get("flowRunId")), None),
    }


def side_by_side(bench: Bench) -> dict[str, Any]:
    """First import, re-import with nothing changed (304) and with 10 % changed; interleaved ABBA. Each rep also
    runs jobfeed's first import with ARCHIVE=off (before the pair on odd reps, after it on even ones).

    Reps after the first run only while the time budget has room for one more (the count of runs
    behind each median is in the report).
    """
    s = bench.sizes
    v1, infos, feeds_file = bench.main_set()
    v2, changed = bench.generate("v2", feeds=s.feeds, items=s.items, changed_fraction=s.changed_fraction)
    rep_s = 0.0
    done = 0
    for rep in range(s.reps):
        if rep and bench.remaining() < rep_s * 1.2 + RESERVE_AFTER_SIDE_S:
            break
        started = time.monotonic()
        order = (JOBFEED, BASELINE) if rep % 2 == 0 else (BASELINE, JOBFEED)  # alternate who goes first
        dbs = {side: f"{side}_r{rep}" for side in order}
        bench.server.set_root(v1)
        if rep % 2:  # the first import with ARCHIVE=off (docs/provenance.md), on the other side of the pair
            archive_off(bench, feeds_file, rep)
        for side in order:  # documents written are counted by lastChangedAt (exact for both sides)
            bench.run("first", side, feeds_file, dbs[side], rep=rep, tasks=rep == 0 and side == JOBFEED)
        if not rep % 2:
            archive_off(bench, feeds_file, rep)
        for side in order:
            bench.run("unchanged", side, feeds_file, dbs[side], rep=rep, writes=True)
        # the same identical bytes for a plain script without conditional GET (issues 11/20's "plain script")
        plain = [*bench.argv(BASELINE, feeds_file, dbs[BASELINE]), "--no-conditional"]
        bench.run("identical-plain", BASELINE, feeds_file, dbs[BASELINE], rep=rep, writes=True, argv=plain)
        rep_s = max(rep_s, time.monotonic() - started)
        if rep == 0:  # a count target: one run each is exact; more would only cost minutes
            bench.server.set_root(v2)
            for side in order:
                bench.run("changed", side, feeds_file, dbs[side], rep=rep, writes=True, tasks=side == JOBFEED)
        done += 1
    return {"items": s.feeds * s.items, "changed_items": sum(i.changed for i in changed), "reps_done": done,
            "bytes": sum(i.bytes for i in infos), "feeds": [asdict(i) for i in infos[:1]]}  # fmt: skip


def archive_off(bench: Bench, feeds_file: Path, rep: int) -> dict[str, Any]:
    """jobfeed's first import with the raw feed archive off: `first` (ARCHIVE=gridfs, the default) over this is
    what keeping every parsed body costs (the report's "archive on / off")."""
    return bench.run(FIRST_ARCHIVE_OFF, JOBFEED, feeds_file, f"{JOBFEED}_archive_off_r{rep}", rep=rep,
                     env={"ARCHIVE": "off"})  # fmt: skip


def fixed_costs(bench: Bench) -> dict[str, Any]:
    """What every run pays before any feed work: imports, then a whole 304 import of a one-item feed."""
    if bench.remaining() < MIN_LEFT_FOR_FIXED_S:
        return {"skipped": f"only {bench.remaining():.0f} s of the time budget left"}
    root, infos = bench.generate("tiny", feeds=1, items=1)
    bench.server.set_root(root)
    feeds_file = bench.feeds_file("tiny", infos)
    for side in (JOBFEED, BASELINE):  # prime: the next imports of the same bytes are 304s
        bench.run("tiny-prime", side, feeds_file, f"{side}_tiny")
    importing = [PY, "-c", "import jobfeed.cli, jobfeed.cli.runner, flows.import_feeds"]
    for rep in range(bench.sizes.reps):
        bench.run("imports-only", JOBFEED, feeds_file, "unused", rep=rep, argv=importing)
        bench.run("tiny-304", JOBFEED, feeds_file, f"{JOBFEED}_tiny", rep=rep, tasks=rep == 0)
        bench.run("tiny-304", BASELINE, feeds_file, f"{BASELINE}_tiny", rep=rep)
    return {}


def profile(bench: Bench) -> dict[str, Any]:
    """One jobfeed first import under bench.sampler: CPU by stage, plus the servers' CPU."""
    if bench.remaining() < MIN_LEFT_FOR_PROFILE_S:
        return {"skipped": f"only {bench.remaining():.0f} s of the time budget left"}
    root, _infos, feeds_file = bench.main_set()
    bench.server.set_root(root)
    out = bench.work / "profile.json"
    argv = [PY, "-m", "bench.sampler", str(out), "--", "import", "--feeds-file", str(feeds_file), "--json"]
    rec = bench.run("profiled-first", JOBFEED, feeds_file, "profiled", argv=argv)
    report = json.loads(out.read_text()) if out.exists() else {}
    before = os.environ.get("BENCH_BEFORE_TREE")  # the same profile of the code before a change (bench/reimport.py)
    if before and bench.remaining() > MIN_LEFT_FOR_PROFILE_S:
        old = bench.work / "profile-before.json"
        argv = [PY, "-m", "bench.sampler", str(old), "--", "import", "--feeds-file", str(feeds_file), "--json"]
        env = {"PYTHONPATH": f"{before}:{Path(__file__).resolve().parents[1]}"}
        rec_old = bench.run("profiled-first", "jobfeed-before", feeds_file, "profiled_before", argv=argv, env=env)
        if old.exists():
            report["before"] = {**json.loads(old.read_text()), "server_cpu_s": rec_old["server_cpu_s"]}
    return {**report, "server_cpu_s": rec["server_cpu_s"], "run_seconds": rec["seconds"]}


def rss(bench: Bench, labels: tuple[str, ...] = ("small", "big"), *, full: bool = False,
        variants: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:  # fmt: skip
    """Peak RSS of jobfeed importing one feed of rss_small vs one of rss_big items.

    By default each run is ended once its first job is stored: that covers fetching, parsing and
    normalizing the whole feed (streamed to disk, so memory should not grow with it). `full=True`
    runs a complete import instead (the `check` part), which also covers the upserts. `variants`
    (name -> extra env; default: just jobfeed as it is) runs each feed once per variant, the feed
    generated once and served under one more name per variant.
    """
    out: dict[str, Any] = {}
    for label in labels:
        items = bench.sizes.rss_small if label == "small" else bench.sizes.rss_big
        # its own file name: a stopped run keeps its feed's Redis lock, which must not skip the next run
        prefix = f"rss-{label}-{'full' if full else 'first'}"
        root, infos = bench.generate(prefix, feeds=1, items=items, prefix=prefix)
        bench.server.set_root(root)
        mode = "full" if full else "first-batch"
        for variant, env in (variants or {"": {}}).items():
            suffix = f"-{variant}" if variant else ""
            info = replace(infos[0], name=f"{prefix}{suffix}.xml") if suffix else infos[0]
            if suffix:  # a hard link: same bytes under another URL, so another feed lock
                (root / info.name).hardlink_to(root / infos[0].name)
            db = f"rss_{label}_{mode.replace('-', '_')}{suffix.replace('-', '_')}"
            jobs = bench.client[db]["jobs"]
            stop = None if full else (lambda jobs=jobs: jobs.estimated_document_count() > 0)
            rec = bench.run(f"rss-{label}-{mode}{suffix}", JOBFEED, bench.feeds_file(prefix + suffix, [info]), db,
                            env={**BIG_FEED_ENV, **env}, stop_when=stop, timeout_s=600.0)  # fmt: skip
            out[f"{label}_{mode}{suffix.replace('-', '_')}"] = {
                "items": items, "bytes": info.bytes, "max_rss_mb": rec["max_rss_mb"], "seconds": rec["seconds"],
                "stopped_early": rec["stopped_early"], "timed_out": rec["timed_out"], "statuses": rec.get("statuses"),
            }  # fmt: skip
        for path in root.glob(f"{prefix}*.xml"):
            path.unlink()  # ~800 MB for the big one: free the disk at once
    return out
