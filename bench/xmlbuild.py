"""The `xml` part: the first import with jobfeed's ItemBuilder vs xmltodict's own streaming mode.

Both jobfeed variants run the same `jobfeed import` of the main feed set (feeds x items), beside the
baseline in the same run: interleaved (the order rotates per repetition, so each side goes first,
second and last once in three), medians, fresh databases. The xmltodict variant is chosen with the
benchmark switch JOBFEED_XML_BUILDER=xmltodict (jobfeed/sources/xmlsafe.py): the same hardened expat,
the same 1 MB chunks, only the handler that builds the items differs. Peak RSS comes from each run's
wait4, and from the `rss` part's one small vs one big feed, once per variant. The stored jobs of the
first repetition are compared between the variants (externalId, contentHash), so a difference in
what was parsed cannot hide behind a faster time.
"""

from __future__ import annotations

import os
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import scenarios as S
from bench.measure import median

BUILDER, XMLTODICT = "jobfeed", "jobfeed-xmltodict"  # the sides' names in the runs
XMLTODICT_ENV = {"JOBFEED_XML_BUILDER": "xmltodict"}
SCENARIO = "xml-first"
RESERVE_FOR_RSS_S = 80.0  # the four RSS runs (two ~4 s, two ~15 s) and generating ~850 MB of feeds


def xml_builders(bench: S.Bench) -> dict[str, Any]:
    """First imports of the three sides, then the RSS runs of both jobfeed variants."""
    root, infos, feeds_file = bench.main_set()
    sides = (BUILDER, XMLTODICT, S.BASELINE)
    loads = [os.getloadavg()]
    rep_s = 0.0
    done = 0
    for rep in range(bench.sizes.reps):
        if rep and bench.remaining() < rep_s * 1.2 + RESERVE_FOR_RSS_S:
            break
        started = time.monotonic()
        bench.server.set_root(root)
        for side in sides[rep % 3 :] + sides[: rep % 3]:
            db = f"xml_{side.replace('-', '_')}_r{rep}"
            argv = bench.argv(S.BASELINE if side == S.BASELINE else S.JOBFEED, feeds_file, db)
            bench.run(
                SCENARIO, side, feeds_file, db, rep=rep, argv=argv, env=XMLTODICT_ENV if side == XMLTODICT else None
            )
        loads.append(os.getloadavg())
        rep_s = max(rep_s, time.monotonic() - started)
        done += 1
    rss = S.rss(bench, variants={"": {}, "xmltodict": XMLTODICT_ENV})
    loads.append(os.getloadavg())
    return {"items": bench.sizes.feeds * bench.sizes.items, "bytes": sum(i.bytes for i in infos), "reps_done": done,
            "same_jobs": _same_jobs(bench), "loadavg": loads, "rss": rss}  # fmt: skip


def _same_jobs(bench: S.Bench) -> dict[str, Any]:
    """Whether both variants stored the same jobs with the same content hashes (first repetition)."""
    stored = {}
    for side in (BUILDER, XMLTODICT):
        jobs = bench.client[f"xml_{side.replace('-', '_')}_r0"]["jobs"]
        stored[side] = sorted(
            (d["externalId"], d["contentHash"]) for d in jobs.find({}, {"externalId": 1, "contentHash": 1})
        )
    return {"jobs": len(stored[BUILDER]), "identical": stored[BUILDER] == stored[XMLTODICT]}


# --- Report ------------------------------------------------------------------------------------

RULE_RATIO = 0.6  # the issue: xmltodict replaces the builder if its first import stays <= 0.6x the baseline ...
FLAT_RSS = 1.3  # ... and peak RSS stays flat: big/small feed <= 1.3 (the bench's target) ...
SAME_RSS = 1.1  # ... and its first-import peak within 10 % of the builder's


def xml_report(results: dict[str, Any], console: Console) -> None:
    """The comparison table, the RSS ratios and the verdict by the issue's rule."""
    xml = results.get("xml")
    if not xml:
        return
    runs = {side: [r for r in results.get("runs", []) if r["scenario"] == SCENARIO and r["side"] == side]
            for side in (S.BASELINE, BUILDER, XMLTODICT)}  # fmt: skip
    secs = {side: median([r["seconds"] for r in rs]) for side, rs in runs.items()}
    peak = {side: median([r["max_rss_mb"] for r in rs]) for side, rs in runs.items()}
    table = Table(title=f"XML items: first import of {xml['items']:,} items ({xml['bytes'] / 1e6:.0f} MB), "
                  "ItemBuilder vs xmltodict streaming, interleaved", title_justify="left")  # fmt: skip
    for col in ("side", "n", "failed", "median s", "range s", "÷ baseline", "peak RSS MB", "new jobs", "statuses"):
        table.add_column(col, justify="left" if col == "side" else "right")
    labels = {S.BASELINE: "baseline (xmltodict.parse)", BUILDER: "jobfeed, ItemBuilder",
              XMLTODICT: "jobfeed, xmltodict streaming"}  # fmt: skip
    for side, rs in runs.items():
        values = [r["seconds"] for r in rs]
        new = {str((r.get("counts") or {}).get("newJobs", (r.get("counts") or {}).get("new", "?"))) for r in rs}
        table.add_row(labels[side], str(len(rs)), str(sum(1 for r in rs if r["returncode"])), f"{secs[side]:.2f}",
                      f"{min(values, default=float('nan')):.1f}-{max(values, default=float('nan')):.1f}",
                      f"{secs[side] / secs[S.BASELINE]:.2f}", f"{peak[side]:.0f}", ",".join(sorted(new)),
                      ",".join(sorted({st for r in rs for st in r.get("statuses", [])})) or "-")  # fmt: skip
    console.print(table)
    console.print(f"xmltodict streaming ÷ ItemBuilder: time {secs[XMLTODICT] / secs[BUILDER]:.2f}, "
                  f"peak RSS {peak[XMLTODICT] / peak[BUILDER]:.2f}; stored jobs identical: "
                  f"{xml['same_jobs']['identical']} ({xml['same_jobs']['jobs']:,} jobs, externalId + contentHash)")  # fmt: skip
    flat = {}
    for variant, label in (("", "ItemBuilder"), ("_xmltodict", "xmltodict streaming")):
        small, big = xml["rss"].get(f"small_first-batch{variant}"), xml["rss"].get(f"big_first-batch{variant}")
        if small and big:
            flat[variant] = big["max_rss_mb"] / small["max_rss_mb"]
            console.print(f"peak RSS, {label}: one {big['items']:,}-item feed {big['max_rss_mb']:.0f} MB "
                          f"({big['seconds']:.1f} s) ÷ one {small['items']:,}-item feed {small['max_rss_mb']:.0f} MB "
                          f"({small['seconds']:.1f} s) = {flat[variant]:.2f} (each ended after its first stored job)")  # fmt: skip
    ratio = secs[XMLTODICT] / secs[S.BASELINE]
    rss_ok = flat.get("_xmltodict", float("inf")) <= FLAT_RSS and peak[XMLTODICT] <= SAME_RSS * peak[BUILDER]
    clean = all(_clean(r, xml["items"]) for rs in runs.values() for r in rs) and xml["same_jobs"]["identical"]
    use = ratio <= RULE_RATIO and rss_ok and clean
    console.print(f"rule: xmltodict replaces the builder if its first import ÷ baseline <= {RULE_RATIO} "
                  f"({ratio:.2f}) and peak RSS stays within the flatness target (big ÷ small <= {FLAT_RSS}, first-import peak <= "
                  f"{SAME_RSS}x the builder's: {'yes' if rss_ok else 'no'}) -> "
                  f"[bold]{'use xmltodict' if use else 'keep the builder'}[/bold]"
                  f"{'' if clean else ' [red](NOT VALID: a run failed, or the variants stored different jobs)[/red]'}")  # fmt: skip
    console.print(
        "load average (1, 5, 15 min) before, after each repetition, after the RSS runs: "
        + "; ".join("/".join(f"{v:.2f}" for v in load) for load in xml["loadavg"])
    )


def _clean(run: dict[str, Any], items: int) -> bool:
    """The run exited 0 and stored every item as new (jobfeed: newJobs, baseline: new)."""
    counts = run.get("counts") or {}
    return run["returncode"] == 0 and counts.get("newJobs", counts.get("new")) == items
