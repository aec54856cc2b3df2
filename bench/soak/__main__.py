"""`python -m bench.soak` (`make soak`): the chaos soak (bench/soak/run.py); exits 1 on a violation."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.soak.plan import SoakConfig
from bench.soak.report import write_reports
from bench.soak.run import RESULTS, Soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="the chaos soak: imports under feed faults and server kills, checked by an oracle"
    )
    defaults = SoakConfig()
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument("--feeds", type=int, default=defaults.feeds)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument("--no-kills", action="store_true", help="faulty feeds only, no server is killed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where soak-report.json/.md go")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (server logs) afterwards")
    args = parser.parse_args(argv)
    config = replace(defaults, runs=args.runs, feeds=args.feeds, seed=args.seed, fault_rate=args.fault_rate)
    work = Path(tempfile.mkdtemp(prefix="jobfeed-soak-"))
    try:
        result = Soak(config, work=work, kills=not args.no_kills).run()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    json_path, md_path = write_reports(result, args.out)
    print(
        f"soak: {len(result['runs'])} runs, {len(result['violations'])} violations, "
        f"{result['elapsed_s']:.0f} s; {json_path}, {md_path}"
    )
    return 1 if result["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
