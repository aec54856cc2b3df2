"""The XML parser alone, ItemBuilder vs xmltodict streaming: CPU seconds and peak RSS per feed file.

`python -m bench.parsealone FEED.xml [FEED.xml ...] [--reps 3]` runs `xmlsafe.stream_elements` over
each (spooled) feed in a fresh process per variant and repetition, interleaved, dropping every item
as it arrives, and prints the median CPU time (process time: a busy neighbour slows the wall clock,
much less the CPU a process needs) and the peak RSS (`ru_maxrss`). No servers, no normalization:
what the `xml` part's whole imports cannot separate from the rest. Feeds: `python -m bench.generate`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.measure import median

VARIANTS = {"ItemBuilder": "", "xmltodict streaming": "xmltodict"}  # JOBFEED_XML_BUILDER values


def _child(path: Path) -> None:
    from jobfeed.sources import xmlsafe
    from jobfeed.sources.rss import RSS

    count = 0

    def on_element(_name: str, _value: Any) -> None:
        nonlocal count
        count += 1

    started = time.process_time()
    xmlsafe.stream_elements(path, "utf-8", depth=RSS.depth, wanted=RSS.wanted, namespaces=RSS.namespaces,
                            on_element=on_element)  # fmt: skip
    cpu = time.process_time() - started
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"elements": count, "cpu_s": cpu, "maxrss_mb": maxrss}))


def measure(path: Path, variant: str) -> dict[str, Any]:
    env = {**os.environ, "JOBFEED_XML_BUILDER": variant, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-m", "bench.parsealone", "--child", str(path)], env=env, check=True,
                         capture_output=True, text=True, timeout=900).stdout  # fmt: skip
    return dict(json.loads(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("feeds", nargs="+", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.feeds[0])
        return
    print(f"load average before: {os.getloadavg()}")
    for path in args.feeds:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
        for rep in range(args.reps):
            names = list(VARIANTS) if rep % 2 == 0 else list(reversed(VARIANTS))  # alternate who goes first
            for name in names:
                runs[name].append(measure(path, VARIANTS[name]))
        cpu = {name: median([r["cpu_s"] for r in rs]) for name, rs in runs.items()}
        for name, rs in runs.items():
            print(f"{path} ({path.stat().st_size / 1e6:.0f} MB, {rs[0]['elements']:,} elements) {name:<20} "
                  f"CPU {cpu[name]:6.2f} s (median of {len(rs)}), peak RSS {max(r['maxrss_mb'] for r in rs):6.1f} MB")  # fmt: skip
        print(f"  xmltodict streaming ÷ ItemBuilder CPU: {cpu['xmltodict streaming'] / cpu['ItemBuilder']:.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
