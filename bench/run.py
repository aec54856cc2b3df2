"""`python -m bench.run [--quick]`: jobfeed vs the no-Prefect baseline on this machine's own servers.

Starts its own secantusd-py (--sync-on-commit), Redis and Prefect server on free 127.0.0.1 ports,
serves generated feeds locally, runs `jobfeed import` and bench.baseline as subprocesses side by
side (interleaved, medians), measures parse throughput in-process, peak RSS, fixed costs and a
profile, then prints the table and writes bench/results/latest.json. Everything it starts is
stopped and its temp dir removed, whatever happens.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import scenarios as S
from bench.measure import median
from bench.reimport import reimport
from bench.report import print_report
from bench.serve import FeedServer
from bench.stack import BenchStack
from bench.xmlbuild import xml_builders

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
BUDGET_S = 560.0  # a full run must end within 10 minutes; runs get timeouts from what is left
RSS_CHECK_S = 45.0  # a complete import of the 20,000-item feed takes ~11 s here
RSS_CHECK_BIG_S = 200.0  # ... of the 200,000-item feed 98 s (2026-11-23), plus generating its 770 MB


def _seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()  # garbage of the previous timing must not be collected inside this one
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def throughput(path: Path, reps: int) -> dict[str, Any]:
    """In-process: jobfeed's parse_feed + normalize_items vs a plain xmltodict.parse of the same bytes."""
    import xmltodict  # type: ignore[import-untyped]

    from jobfeed.pipeline.normalize import normalize_items
    from jobfeed.sources import parse_feed
    from jobfeed.text import html_to_text

    body = path.read_bytes()
    url = "http://127.0.0.1/feed-00.xml"
    raw, parse, norm, text = [], [], [], []
    for _ in range(reps):  # interleaved, so a noisy neighbour hurts both sides alike
        raw.append(_seconds(lambda: xmltodict.parse(body, force_list=("item",)))[0])
        seconds, parsed = _seconds(lambda: parse_feed(body, "application/rss+xml"))
        parse.append(seconds)
        seconds, normalized = _seconds(lambda parsed=parsed: normalize_items(parsed, url))
        norm.append(seconds)
        html = [job.descriptionHtml or "" for job in normalized.jobs]
        text.append(_seconds(lambda html=html: [html_to_text(h) for h in html])[0])
    t_raw, t_parse, t_norm = median(raw), median(parse), median(norm)
    mb = len(body) / 1e6
    return {
        "bytes": len(body), "items": len(normalized.jobs), "reps": reps,
        "xmltodict_s": round(t_raw, 4), "parse_feed_s": round(t_parse, 4), "normalize_s": round(t_norm, 4),
        "html_to_text_s": round(median(text), 4),
        "xmltodict_mb_s": round(mb / t_raw, 1), "jobfeed_mb_s": round(mb / (t_parse + t_norm), 1),
        "ratio": round(t_raw / (t_parse + t_norm), 3),
        # html_to_text moved out of normalize (Job.descriptionText, derived for written jobs only);
        # the ratio as if every job were written, for comparison with runs before that change
        "ratio_with_text": round(t_raw / (t_parse + t_norm + median(text)), 3),
    }  # fmt: skip


def _rss_check(bench: S.Bench, results: dict[str, Any]) -> None:
    """The RSS method's check: complete imports, so no peak after the first stored job goes unseen."""
    for label, needs_s in (("small", RSS_CHECK_S), ("big", RSS_CHECK_BIG_S)):
        if bench.remaining() > needs_s:
            results.setdefault("rss", {}).update(S.rss(bench, (label,), full=True))
        else:
            results.setdefault("rss_check", {})[label] = {
                "skipped": f"only {bench.remaining():.0f} s of the time budget left"
            }


# In priority order: a part that does not fit the time budget any more is skipped (and says so).
PARTS: dict[str, tuple[str, Callable[[S.Bench, dict[str, Any]], None]]] = {
    "throughput": ("throughput (in-process)", lambda b, r: r.update(
        throughput=throughput(b.generate("tput", feeds=1, items=b.sizes.items)[0] / "feed-00.xml", b.sizes.tput_reps))),
    "rss": ("peak RSS: one small vs one big feed", lambda b, r: r.update(rss=S.rss(b))),
    "side": ("side by side: first import, re-import unchanged (304), re-import 10 % changed",
             lambda b, r: r.update(side_by_side=S.side_by_side(b))),
    "reimport": ("re-imports side by side: re-serialized, 10 % changed; then 5 % removed and the closing run",
                 lambda b, r: r.update(reimport=reimport(b))),
    "fixed": ("fixed costs", lambda b, r: r.update(fixed=S.fixed_costs(b))),
    "profile": ("profile (sampled first import)", lambda b, r: r.update(profile=S.profile(b))),
    "check": ("peak RSS check: complete imports of the small and the big feed", _rss_check),
    "xml": ("XML items: ItemBuilder vs xmltodict streaming (first import and peak RSS, beside the baseline)",
            lambda b, r: r.update(xml=xml_builders(b))),
}  # fmt: skip
OPT_IN = {"xml"}  # a decision's measurement, run with --only: not part of the full run's budget


def machine() -> dict[str, Any]:
    """Where and on what code the numbers were taken."""

    def run(*argv: str) -> str:
        try:
            return subprocess.run(
                argv, check=False, cwd=REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    versions = {}
    for dist in ("prefect", "pymongo", "secantusdb", "xmltodict", "httpx"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "host": platform.node(),
        "platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
        "cores": os.cpu_count(), "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "loadavg_start": os.getloadavg(), "git_commit": run("git", "rev-parse", "HEAD"),
        "git_dirty": bool(run("git", "status", "--porcelain", "--untracked-files=no")), "versions": versions,
    }  # fmt: skip


def main() -> None:
    """Run every scenario within the time budget, print the table, write the results JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each: a smoke check")
    parser.add_argument("--only", help=f"comma-separated parts to run (of {','.join(PARTS)}); default all "
                        f"but {','.join(sorted(OPT_IN))}")  # fmt: skip
    parser.add_argument("--out", type=Path, help="results file (default: latest.json; --quick/--only: *.tmp)")
    args = parser.parse_args()
    sizes = S.QUICK if args.quick else S.FULL
    parts = args.only.split(",") if args.only else [part for part in PARTS if part not in OPT_IN]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; choose from {list(PARTS)}")
    partial = args.quick or args.only
    out = args.out or RESULTS / ("partial.tmp" if partial else "latest.json")
    started = time.monotonic()
    results: dict[str, Any] = {"mode": "quick" if args.quick else "full", "parts": parts, "sizes": sizes.__dict__,
                               "machine": machine()}  # fmt: skip
    print(f"jobfeed benchmark ({results['mode']}): starting secantusd, Redis and Prefect ...", flush=True)
    with BenchStack() as stack:
        results["stack_start_s"] = round(time.monotonic() - started, 1)
        feeds_dir = stack.dir / "feeds"
        feeds_dir.mkdir()
        with FeedServer(feeds_dir) as server:
            bench = S.Bench(stack, server, sizes, deadline=started + BUDGET_S)
            try:
                for part in PARTS:
                    if part in parts:
                        print(PARTS[part][0], flush=True)
                        PARTS[part][1](bench, results)
            finally:
                results["runs"] = bench.runs
                results["elapsed_s"] = round(time.monotonic() - started, 1)
                results["machine"]["loadavg_end"] = os.getloadavg()
                results["table_text"] = print_report(results)
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(out.name + ".tmp")
                tmp.write_text(json.dumps(results, indent=1, default=str) + "\n")
                tmp.replace(out)
                print(f"results: {out}  ({results['elapsed_s']:.0f} s)", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
