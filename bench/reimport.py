"""The `reimport` part: re-imports that the feed snapshot makes cheap, beside the baseline.

First one import of the main feed set (feeds x items) per side, into a database of its own, to have
something to re-import. Then per repetition (interleaved, the order alternating):
1. `re-serialized`: the same items in new bytes (`lastBuildDate` moved): no 304, every body parsed;
2. `10 % changed`: 10 % of the items edited (the next repetition edits them back).
Documents written are counted by the server (its change stream on `jobs`). Then each jobfeed side
runs once more under bench.sampler, re-serialized and 10 % changed, for the per-phase breakdown (CPU
of the flow process by stage, CPU of the servers). Then once, jobfeed only (the baseline has no
lifecycle): `5 % removed` — the base set without 5 % of its items, which must write no job (first
miss) — and the `closing` run of the same bytes (a 304), which must write exactly the removed jobs.

`BENCH_BEFORE_TREE=DIR` adds a third side, `jobfeed-before`: the jobfeed, tasks and flows packages
of DIR (e.g. `git archive <commit> jobfeed tasks flows | tar -x -C DIR`) on the same servers, to
measure a change against the code before it in one interleaved run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import scenarios as S
from bench.measure import median

FIRST, RESERIALIZED, CHANGED = "ri-first", "re-serialized", "10% changed"
REMOVED, CLOSING = "5% removed", "closing run"
BEFORE = "jobfeed-before"
REPO = Path(__file__).resolve().parents[1]
REMOVED_FRACTION = 0.05
RESERVE_S = 60.0  # the removal and closing runs after the repetitions
WRITES = ("insert", "content", "touch")


def reimport(bench: S.Bench) -> dict[str, Any]:
    """One first import per side, the repetitions, the profiles, then the removal scenario.

    The databases go back and forth between the base set A and the 10 %-changed set B, so one first
    import serves every repetition: in state A, A in new bytes is re-serialized and B is 10 % changed;
    in state B, B in new bytes and then A. Returns what the report needs beside the runs.
    """
    s = bench.sizes
    base, _infos, feeds_file = bench.main_set()
    changed, changed_infos = bench.generate("ri-changed", feeds=s.feeds, items=s.items, changed_fraction=0.1)
    sets = {
        "A": (base, bench.generate("ri-base-tagged", feeds=s.feeds, items=s.items, build_tag=1)[0], changed, "B"),
        "B": (changed, bench.generate("ri-changed-tagged", feeds=s.feeds, items=s.items, changed_fraction=0.1,
                                      build_tag=1)[0], base, "A"),
    }  # fmt: skip
    before = os.environ.get("BENCH_BEFORE_TREE")
    sides = (S.JOBFEED, S.BASELINE, *((BEFORE,) if before else ()))
    env = {BEFORE: {"PYTHONPATH": f"{before}:{REPO}"}} if before else {}
    dbs = {side: f"ri_{side.replace('-', '_')}" for side in sides}
    bench.server.set_root(base)
    for side in sides:
        _run(bench, FIRST, side, feeds_file, dbs[side], env, rep=0, tasks=side == S.JOBFEED)
    state, rep_s, done = "A", 0.0, 0
    for rep in range(s.reps):
        if rep and bench.remaining() < rep_s * 1.2 + RESERVE_S:
            break
        started = time.monotonic()
        order = sides[rep % len(sides) :] + sides[: rep % len(sides)]  # each side first once per cycle
        _current, tagged, other, next_state = sets[state]
        for scenario, root in ((RESERIALIZED, tagged), (CHANGED, other)):
            bench.server.set_root(root)
            for side in order:
                _run(bench, scenario, side, feeds_file, dbs[side], env, rep=rep, tasks=rep == 0 and side == S.JOBFEED)
        state = next_state
        rep_s = max(rep_s, time.monotonic() - started)
        done += 1
    out: dict[str, Any] = {"items": s.feeds * s.items, "changed_items": sum(i.changed for i in changed_infos),
                           "reps_done": done}  # fmt: skip
    if bench.remaining() < RESERVE_S:
        return {**out, "removal_skipped": f"only {bench.remaining():.0f} s of the time budget left"}
    out["profiles"] = _profiles(bench, feeds_file, dbs, env, sets[state])
    state = sets[state][3]  # the profiles' 10 %-changed run moved the databases to the other set
    removed, removed_infos = bench.generate("ri-removed", feeds=s.feeds, items=s.items, removed_fraction=REMOVED_FRACTION,
                                            changed_fraction=0.1 if state == "B" else 0.0)  # fmt: skip
    bench.server.set_root(removed)
    db = dbs[S.JOBFEED]
    for scenario in (REMOVED, CLOSING):
        rec = bench.run(scenario, S.JOBFEED, feeds_file, db, writes=True)
        out[scenario] = {"closed": bench.client[db]["jobs"].count_documents({"status": "closed"}),
                         "seconds": rec["seconds"]}  # fmt: skip
    out["removed_items"] = sum(i.removed for i in removed_infos)
    return out


def _run(bench: S.Bench, scenario: str, side: str, feeds_file: Path, db: str, env: dict[str, dict[str, str]],
         **kwargs: Any) -> dict[str, Any]:  # fmt: skip
    argv = bench.argv(S.BASELINE if side == S.BASELINE else S.JOBFEED, feeds_file, db)
    return bench.run(scenario, side, feeds_file, db, writes=scenario != FIRST, argv=argv, env=env.get(side), **kwargs)


def _profiles(
    bench: S.Bench, feeds_file: Path, dbs: dict[str, str], env: dict[str, dict[str, str]], now: tuple[Any, ...]
) -> dict[str, Any]:
    """Each jobfeed side's re-serialized and 10 %-changed re-import once more, under bench.sampler."""
    _current, tagged, other, _next = now
    out: dict[str, Any] = {}
    for scenario, root in ((RESERIALIZED, tagged), (CHANGED, other)):
        bench.server.set_root(root)
        for side in (side for side in (S.JOBFEED, BEFORE) if side in dbs):
            path = bench.work / f"profile-{side}-{scenario.replace(' ', '').replace('%', '')}.json"
            argv = [S.PY, "-m", "bench.sampler", str(path), "--", "import", "--feeds-file", str(feeds_file), "--json"]
            rec = bench.run(f"profiled {scenario}", side, feeds_file, dbs[side], argv=argv, env=env.get(side))
            report = json.loads(path.read_text()) if path.exists() else {}
            out[f"{side}: {scenario}"] = {"wall_s": report.get("wall_s"), "cpu_s": report.get("cpu_s"),
                                          "top": (report.get("top") or [])[:12], "server_cpu_s": rec["server_cpu_s"]}  # fmt: skip
    return out


def targets(results: dict[str, Any], add: Callable[..., None], runs: Callable[..., list[dict[str, Any]]]) -> None:
    """The re-import issue's targets: time ÷ baseline and documents written, per scenario."""
    ri = results.get("reimport") or {}
    if not ri:
        return
    for scenario, limit, expect in ((RESERIALIZED, 0.8, 0), (CHANGED, 0.8, ri.get("changed_items"))):
        jf, bl = runs(results, scenario), runs(results, scenario, S.BASELINE)
        ratio = median([r["seconds"] for r in jf]) / (median([r["seconds"] for r in bl]) or float("nan"))
        written = max((sum(r["writes"].get(k, 0) for k in WRITES) for r in jf if "writes" in r), default=None)
        written_bl = max((sum(r["writes"].get(k, 0) for k in WRITES) for r in bl if "writes" in r), default=None)
        add(f"re-import {scenario}: time jobfeed / baseline", f"<= {limit}", f"{ratio:.2f}",
            f"{median([r['seconds'] for r in jf]):.1f} s vs {median([r['seconds'] for r in bl]):.1f} s",
            ratio <= limit, f"medians of {len(jf)} and {len(bl)} runs, interleaved")  # fmt: skip
        add(f"re-import {scenario}: job documents written", f"= {expect}", str(written), f"baseline {written_bl}",
            None if written is None else written == expect, "server change stream: inserts + updates + touches")  # fmt: skip
    for scenario in (FIRST, RESERIALIZED, CHANGED):  # the code before the change, when measured beside
        old, bl = runs(results, scenario, BEFORE), runs(results, scenario, S.BASELINE)
        if old and bl:
            ratio = median([r["seconds"] for r in old]) / median([r["seconds"] for r in bl])
            written = max((sum(r["writes"].get(k, 0) for k in WRITES) for r in old if "writes" in r), default=None)
            add(f"{scenario}, code before (BENCH_BEFORE_TREE): time / baseline", "(context)", f"{ratio:.2f}",
                f"{median([r['seconds'] for r in old]):.1f} s; job documents written {written}", None)  # fmt: skip
    first_jf, first_bl = runs(results, FIRST), runs(results, FIRST, S.BASELINE)
    if first_jf and first_bl:
        ratio = median([r["seconds"] for r in first_jf]) / median([r["seconds"] for r in first_bl])
        add("first import (reimport part): time jobfeed / baseline", "<= 0.6", f"{ratio:.2f}", "", ratio <= 0.6)
    removed = ri.get("removed_items")
    for scenario, expect in ((REMOVED, 0), (CLOSING, removed)):
        rec = next(iter(runs(results, scenario)), None)
        if rec is None or "writes" not in rec:
            continue
        written = sum(rec["writes"].get(k, 0) for k in WRITES)
        add(f"re-import {scenario} ({removed} of {ri['items']} items gone): job documents written", f"= {expect}",
            str(written), f"closed jobs afterwards: {ri.get(scenario, {}).get('closed')}", written == expect)  # fmt: skip


def details(results: dict[str, Any], console: Console) -> None:
    ri = results.get("reimport") or {}
    if ri.get("removal_skipped"):
        console.print(f"[yellow]reimport removal scenario skipped: {ri['removal_skipped']}[/yellow]")
    for name, prof in (ri.get("profiles") or {}).items():
        cpu = prof.get("cpu_s") or {}
        total = sum(cpu.values()) or 1.0
        groups = ", ".join(f"{g} {v:.2f} s" for g, v in cpu.items() if v >= 0.01)
        servers = ", ".join(f"{k} {v:.2f} s" for k, v in (prof.get("server_cpu_s") or {}).items())
        console.print(f"[bold]profile[/bold] {name} ({prof.get('wall_s')} s wall): flow process CPU {total:.2f} s = "
                      f"{groups}; servers: {servers}")  # fmt: skip
