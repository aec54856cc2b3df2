"""Targets (PASS/FAIL) and tables from a results dict; returns the printed text for the JSON/README."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import reimport
from bench.measure import median
from bench.xmlbuild import xml_report

JF, BL = "jobfeed", "baseline"


def _runs(results: dict[str, Any], scenario: str, side: str = JF) -> list[dict[str, Any]]:
    return [r for r in results.get("runs", []) if r["scenario"] == scenario and r["side"] == side]


def _med(runs: list[dict[str, Any]], key: str = "seconds") -> float:
    return median([float(r[key]) for r in runs])


def _div(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else float("nan")


def _written(runs: list[dict[str, Any]], kinds: tuple[str, ...]) -> int | None:
    """Most job documents one of these runs wrote, by the server's change stream (None: not counted)."""
    counted = [sum(r["writes"].get(k, 0) for k in kinds) for r in runs if "writes" in r]
    return max(counted) if counted else None


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each issue target: what it asks, what jobfeed measured (baseline for context), PASS/FAIL."""
    rows: list[dict[str, Any]] = []

    def add(name: str, target: str, jobfeed: Any, baseline: Any, ok: bool | None, note: str = "") -> None:
        verdict = "n/a" if ok is None else ("PASS" if ok else "FAIL")
        rows.append(
            {"name": name, "target": target, "jobfeed": jobfeed, "baseline": baseline, "result": verdict, "note": note}
        )

    sbs = results.get("side_by_side") or {}
    first_jf, first_bl = _runs(results, "first"), _runs(results, "first", BL)
    if sbs:
        _side_targets(results, sbs, first_jf, first_bl, add)
    reimport.targets(results, add, _runs)
    tp = results.get("throughput") or {}
    if tp:
        add(
            "parse+normalize throughput / xmltodict.parse",
            ">= 0.7",
            _fmt(tp.get("ratio")),
            f"{tp.get('jobfeed_mb_s')} vs {tp.get('xmltodict_mb_s')} MB/s; {_fmt(tp.get('ratio_with_text'))} if "
            "HTML->text ran for every item (it runs for written jobs only)",
            tp["ratio"] >= 0.7,
        )
    rss = results.get("rss") or {}
    complete = rss.get("big_full") and rss.get("small_full") and not rss["big_full"].get("timed_out")
    mode = "full" if complete else "first-batch"  # complete imports when the check part had the time
    big, small = rss.get(f"big_{mode}") or {}, rss.get(f"small_{mode}") or {}
    if big and small:
        r_rss = _div(big["max_rss_mb"], small["max_rss_mb"])
        how = "complete imports" if complete else "each ended after its first stored job"
        add(
            f"peak RSS, one {big['items']:,}-item feed / one {small['items']:,}-item feed",
            "<= 1.3",
            _fmt(r_rss),
            f"{big['max_rss_mb']:.0f} vs {small['max_rss_mb']:.0f} MB ({how})",
            r_rss <= 1.3,
        )
    tasks = next((r["task_runs"] for r in first_jf if r.get("task_runs")), None)
    if tasks:
        feeds, batches = tasks.get("fetch_and_normalize", 0), tasks.get("upsert_batch", 0)
        total = sum(tasks.values())
        add(
            "Prefect task runs per import",
            f"~ feeds + batches = {feeds + batches}",
            str(total),
            " + ".join(f"{n} {k}" for k, n in sorted(tasks.items(), key=lambda kv: -kv[1])),
            total <= 2 * (feeds + batches),
            "PASS = no per-job tasks (<= 2x feeds + batches)",
        )
    return rows


def _side_targets(results: dict[str, Any], sbs: dict[str, Any], first_jf: list[dict[str, Any]],
                  first_bl: list[dict[str, Any]], add: Callable[..., None]) -> None:  # fmt: skip
    """The side-by-side scenario's targets: first-import ratio, 304 re-import, 10 % changed."""
    ratio = _div(_med(first_jf), _med(first_bl))
    add(
        f"first import {sbs.get('items', '?'):,} items: time jobfeed / baseline",
        "<= 0.6",
        _fmt(ratio),
        f"{_fmt(_med(first_jf), 1)} s vs {_fmt(_med(first_bl), 1)} s",
        None if math.isnan(ratio) else ratio <= 0.6,
        f"medians of {len(first_jf)} and {len(first_bl)} runs, interleaved",
    )
    off = _runs(results, "first-archive-off")
    r_archive = _div(_med(first_jf), _med(off))
    add(
        "first import: archive on (GridFS) / off",
        "<= 1.10",
        _fmt(r_archive),
        f"{_fmt(_med(first_jf), 1)} s vs {_fmt(_med(off), 1)} s",
        None if math.isnan(r_archive) else r_archive <= 1.10,
        f"medians of {len(first_jf)} and {len(off)} runs, interleaved (docs/provenance.md)",
    )
    same_jf, same_bl = _runs(results, "unchanged"), _runs(results, "unchanged", BL)
    plain = _runs(results, "identical-plain", BL)
    r_plain = _div(_med(same_jf), _med(plain))
    add(
        "identical re-import: jobfeed / plain script (no conditional GET)",
        "<= 0.3",
        _fmt(r_plain),
        f"{_fmt(_med(same_jf), 1)} s vs {_fmt(_med(plain), 1)} s",
        None if math.isnan(r_plain) else r_plain <= 0.3,
        f"medians of {len(same_jf)} and {len(plain)} runs; the baseline with conditional GET: {_fmt(_med(same_bl), 1)} s",
    )
    r_jf, r_bl = _div(_med(same_jf), _med(first_jf)), _div(_med(same_bl), _med(first_bl))
    add(
        "re-import, nothing changed (304): time / first import",
        "<= 0.2",
        _fmt(r_jf),
        _fmt(r_bl),
        None if math.isnan(r_jf) else r_jf <= 0.2,
        f"{_fmt(_med(same_jf), 1)} s; mostly fixed cost",
    )
    w_jf, w_bl = _written(same_jf, ("insert", "content", "touch")), _written(same_bl, ("insert", "content", "touch"))
    add(
        "re-import, nothing changed: job documents written",
        "0",
        _fmt(w_jf),
        _fmt(w_bl),
        None if w_jf is None else w_jf == 0,
    )
    changed_items = sbs.get("changed_items") or 0
    ch_jf, ch_bl = _runs(results, "changed"), _runs(results, "changed", BL)
    c_jf, c_bl = _written(ch_jf, ("insert", "content")), _written(ch_bl, ("insert", "content"))
    add(
        f"re-import, {changed_items:,} changed items: docs written / changed",
        "1.0",
        _fmt(_div(c_jf or 0, changed_items), 3),
        _fmt(_div(c_bl or 0, changed_items), 3),
        None if c_jf is None else c_jf == changed_items,
        f"jobfeed: {c_jf} content writes (change stream), lastChangedAt moved on "
        f"{max((r['changed_docs'] for r in ch_jf), default=None)} docs, "
        f"plus {_written(ch_jf, ('touch',))} lastSeenAt-only touches",
    )


def _target_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="jobfeed benchmark: targets", title_justify="left")
    for col in ("scenario", "target", "jobfeed", "baseline / detail", "result"):
        table.add_column(col, overflow="fold")
    for row in rows:
        style = {"PASS": "green", "FAIL": "red"}.get(row["result"], "yellow")
        table.add_row(
            row["name"], row["target"], row["jobfeed"], row["baseline"], f"[{style}]{row['result']}[/{style}]"
        )
    return table


def _runs_table(results: dict[str, Any]) -> Table:
    table = Table(title="runs (median; min-max over n)", title_justify="left")
    for col in ("scenario", "side", "n", "seconds", "range", "peak RSS MB", "mongo CPU s", "prefect CPU s", "statuses"):
        table.add_column(col, justify="left" if col in ("scenario", "side") else "right")
    seen: list[tuple[str, str]] = []
    for r in results.get("runs", []):
        if (r["scenario"], r["side"]) not in seen:
            seen.append((r["scenario"], r["side"]))
    for scenario, side in seen:
        runs = _runs(results, scenario, side)
        secs = [r["seconds"] for r in runs]
        cpu = lambda name, runs=runs: median([r["server_cpu_s"].get(name, 0.0) for r in runs])  # noqa: E731
        flag = " (stopped)" if any(r.get("stopped_early") for r in runs) else ""
        flag = " TIMEOUT" if any(r.get("timed_out") for r in runs) else flag
        table.add_row(scenario + flag, side, str(len(runs)), f"{median(secs):.2f}", f"{min(secs):.1f}-{max(secs):.1f}",
                      f"{_med(runs, 'max_rss_mb'):.0f}", f"{cpu('mongo'):.1f}", f"{cpu('prefect'):.1f}",
                      ",".join(sorted({st for r in runs for st in r.get("statuses", [])})) or "-")  # fmt: skip
    return table


def _details(results: dict[str, Any], console: Console) -> None:
    for key in ("side_by_side", "rss", "fixed", "profile"):
        if (results.get(key) or {}).get("skipped"):
            console.print(f"[yellow]{key} skipped: {results[key]['skipped']}[/yellow]")
    for label, why in (results.get("rss_check") or {}).items():
        console.print(f"[yellow]complete import of the {label} RSS feed skipped: {why['skipped']}[/yellow]")
    imports, tiny = _med(_runs(results, "imports-only")), _med(_runs(results, "tiny-304"))
    if _runs(results, "tiny-304"):
        console.print(f"[bold]fixed costs[/bold] (median): Python + jobfeed/Prefect imports {_fmt(imports)} s; whole "
                      f"`jobfeed import` of one unchanged one-item feed (304) {_fmt(tiny)} s, so flow run + exit "
                      f"~{_fmt(tiny - imports)} s; baseline, same feed: {_fmt(_med(_runs(results, 'tiny-304', BL)))} s")  # fmt: skip
    tp = results.get("throughput") or {}
    if tp:
        console.print(f"[bold]throughput[/bold] ({tp['items']} items, {tp['bytes'] / 1e6:.1f} MB, median of {tp['reps']}): "
                      f"xmltodict.parse {tp['xmltodict_s'] * 1000:.0f} ms; parse_feed {tp['parse_feed_s'] * 1000:.0f} ms + "
                      f"normalize_items {tp['normalize_s'] * 1000:.0f} ms "
                      f"(+ html_to_text ~{tp['html_to_text_s'] * 1000:.0f} ms, paid at write time by new/changed "
                      f"jobs only)")  # fmt: skip
    for key, rec in (results.get("rss") or {}).items():
        how = "ended after its first job was stored" if rec.get("stopped_early") else "complete import"
        how += ", TIMED OUT" if rec.get("timed_out") else ""
        console.print(f"[bold]RSS[/bold] {key}: {rec['items']:,} items, {rec['bytes'] / 1e6:.0f} MB body -> peak "
                      f"{rec['max_rss_mb']:.0f} MB in {rec['seconds']:.1f} s ({how})")  # fmt: skip
    prof = results.get("profile") or {}
    if prof.get("cpu_s"):
        total = sum(prof["cpu_s"].values()) or 1.0
        groups = ", ".join(f"{g} {v:.1f} s ({v / total:.0%})" for g, v in prof["cpu_s"].items())
        console.print(f"[bold]profile[/bold] of one first import ({prof.get('wall_s')} s wall): jobfeed process CPU "
                      f"{total:.1f} s = {groups}; servers during it: {prof.get('server_cpu_s')}")  # fmt: skip
        console.print(
            "    costliest innermost functions per group (they lean toward GIL release points, see bench/sampler.py):"
        )
        for group in prof["cpu_s"]:
            for top in [t for t in prof.get("top", []) if t["group"] == group][:3]:
                console.print(f"    {top['cpu_s']:6.2f} s  {top['group']:<13} {top['function']}")


def print_report(results: dict[str, Any]) -> str:
    """Print the tables and notes; store the targets in results; return the text as printed."""
    console = Console(record=True, width=130)
    results["targets"] = targets(results)
    console.print(_target_table(results["targets"]))
    for row in results["targets"]:
        if row["note"]:
            console.print(f"  {row['name']}: {row['note']}")
    console.print(_runs_table(results))
    _details(results, console)
    reimport.details(results, console)
    xml_report(results, console)
    m = results.get("machine", {})
    console.print(f"machine: {m.get('cpu')} x{m.get('cores')}, {m.get('mem_gb')} GB, load {m.get('loadavg_start')} -> "
                  f"{m.get('loadavg_end')}; commit {str(m.get('git_commit'))[:10]}{' (dirty)' if m.get('git_dirty') else ''}; "
                  f"elapsed {results.get('elapsed_s')} s")  # fmt: skip
    return console.export_text()
