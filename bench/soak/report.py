"""The soak's reports: soak-report.json (everything) and soak-report.md (what a reader wants first)."""

from __future__ import annotations

import json
import os
import statistics
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.soak.chaos import FAULT_KINDS


def write_reports(result: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write soak-report.json and soak-report.md into out_dir; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "soak-report.json", out_dir / "soak-report.md"
    json_path.write_text(json.dumps(result, indent=1, default=str) + "\n")
    md_path.write_text(markdown(result))
    return json_path, md_path


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def markdown(result: dict[str, Any]) -> str:
    runs = result["runs"]
    violations = result["violations"]
    seconds = [run["seconds"] for run in runs] or [0.0]
    config = result["config"]
    killed = result["faults"]["killed"]
    served = result["faults"]["served"]
    out = [
        "# Chaos soak report\n",
        f"{result['when']}: {len(runs)} runs of {config['feeds']} feeds, seed {config['seed']}, "
        f"{result['elapsed_s']:.0f} s in all (servers up in {result['setup_s']} s). "
        f"**{len(violations)} violations.**\n",
        "Reproduce: `make soak` (or `python -m bench.soak --seed "
        f"{config['seed']} --runs {config['runs']} --feeds {config['feeds']}`).\n",
        "## Faults injected\n",
        _table(
            ["kind", "count"],
            [[kind, served.get(kind, 0)] for kind in FAULT_KINDS]
            + [[f"kill -9 {name}", n] for name, n in sorted(killed.items())],
        ),
        f"Feed answers in all: {sum(result['faults']['answers'].values())} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(result['faults']['answers'].items()))}). "
        f"Feed changes between runs: {', '.join(f'{k} {v}' for k, v in sorted(result['feed_changes'].items()))}.\n",
        "## Runs\n",
        f"Time per run: median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s "
        f"(trigger to the flow run's end, through the worker).\n",
        _table(
            ["run", "s", "state", "ended", "kills", "ImportLogs", "violations"],
            [
                [
                    r["run"],
                    r["seconds"],
                    r["state"],
                    r["ended"],
                    ", ".join(r["kills"]) or "-",
                    ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items())),
                    r["violations"],
                ]
                for r in runs
            ],
        ),
        "## Recoveries\n",
    ]
    kills = result["kills"]
    if kills:
        out.append(
            _table(
                ["run", "server", "killed after s", "down s", "restart s", "run state at kill"],
                [
                    [
                        k["run"],
                        k["service"],
                        k["delay_s"],
                        k["down_s"],
                        k.get("restart_s", "-"),
                        k.get("run_state_at_kill", "-"),
                    ]
                    for k in kills
                ],
            )
        )
    recovered = sum(run["recovered_logs"] for run in runs)
    bullets = [f"ImportLogs of dead runs finished `failed`/`run_crashed` by a later run: {recovered}.", ""]
    for rec in result["recoveries"]:
        bullets.append(
            f"- run {rec['run']} (first without kills after a kill): {rec['running_logs']} logs running, "
            f"{rec['locks_held']} locks held, {rec['redriven_ok']}/{rec['redriven']} dead letters re-driven "
            "to success"
        )
    for zombie in result["zombies"]:
        after = zombie.get("crashed_after_s")
        bullets.append(
            f"- zombie flow run of run {zombie['run']}: marked Crashed by the automation "
            f"{f'{after} s after its process died' if after is not None else 'never'}"
        )
    out.append("\n".join(bullets) + "\n")
    out.append("## Violations\n")
    if violations:
        by_check = Counter(v["check"] for v in violations)
        out.append(", ".join(f"{k} {n}" for k, n in by_check.items()) + "\n\n")
        out.append(
            _table(
                ["run", "check", "feed", "detail"],
                [[v["run"], v["check"], v.get("feed") or "", v["detail"].replace("|", "/")] for v in violations[:50]],
            )
        )
    else:
        out.append("None.\n")
    out.append("\n## Settings used\n")
    out.append(_table(["setting", "value"], [[k, v] for k, v in result["settings"].items()]))
    return "\n".join(out)


def build_result(
    soak: Any, oracle: Any, server: Any, cluster: Any, setup_s: float | None, elapsed: float
) -> dict[str, Any]:
    """Everything soak-report.json holds (`soak` is the finished bench.soak.run.Soak)."""
    served = Counter(s.kind for s in server.log)
    faults = {kind: n for kind, n in served.items() if kind not in ("ok", "304")}
    killed = Counter(entry["service"] for entry in soak.kill_log if "killed_at" in entry)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {**asdict(soak.config), "items": list(soak.config.items)},
        "settings": {
            **soak.config.run_env(),
            **{f"server:{k}": v for k, v in soak.config.prefect_env().items()},
            "zombie automation within_s": soak.config.zombie_within_s,
        },
        "elapsed_s": round(elapsed, 1),
        "setup_s": round(setup_s, 1) if setup_s is not None else None,
        "runs": soak.runs,
        "violations": oracle.report() if oracle is not None else [{"check": "harness", "detail": "no oracle"}],
        "faults": {"served": faults, "killed": dict(killed), "answers": dict(served)},
        "kills": soak.kill_log,
        "recoveries": soak.recoveries,
        "zombies": list(soak.zombies.values()),
        "feed_changes": dict(soak.changes),
        "restarts_s": {name: svc.starts for name, svc in cluster.services.items()},
        "machine": {"cores": os.cpu_count(), "loadavg_end": os.getloadavg()},
    }
