"""The cost curve's numbers: a linear fit of time over items, the RSS ratio, the PNG plot, and the tables
that `bench.scale` writes into bench/README.md and docs/reliability.md (between `scale:` markers)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
README = REPO / "bench" / "README.md"
RELIABILITY = REPO / "docs" / "reliability.md"
RSS_TARGET = 1.3
P95_TARGET_MS = 300.0
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """(slope, intercept, R^2) of the least-squares line y = slope * x + intercept."""
    n = len(xs)
    if n < 2:
        return float("nan"), float("nan"), float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    ss_res = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return slope, intercept, 1.0 - ss_res / ss_tot if ss_tot else 1.0


def summarize(points: list[dict[str, Any]], *, rss_base: int) -> dict[str, Any]:
    """Time per item (fit over the successful imports), per-size figures, and the RSS ratio."""
    ok = [p for p in points if p["returncode"] == 0 and not p["timed_out"]]
    slope, intercept, r2 = linear_fit([float(p["items"]) for p in ok], [float(p["seconds"]) for p in ok])
    base = next((p for p in ok if p["items"] == rss_base), None)
    top = max(ok, key=lambda p: p["items"], default=None)
    ratio = round(top["max_rss_mb"] / base["max_rss_mb"], 3) if base and top and top is not base else None
    return {
        "fit": {
            "ms_per_item": round(slope * 1000, 4),
            "intercept_s": round(intercept, 2),
            "r2": round(r2, 4),
            "points": len(ok),
        },
        "per_size": [
            {
                "items": p["items"],
                "seconds": p["seconds"],
                "ms_per_item": round(p["seconds"] / p["items"] * 1000, 4),
                "max_rss_mb": p["max_rss_mb"],
                "jobs": p["jobs"],
                "writes": p.get("writes"),
                "write_commands": {
                    k: v for k, v in (p.get("opcounters") or {}).items() if k in ("insert", "update", "delete")
                },
            }
            for p in points
        ],
        "rss_ratio": {"largest": top["items"] if top else None, "base": rss_base, "ratio": ratio, "target": RSS_TARGET},
    }


def write_plot(result: dict[str, Any], path: Path) -> Path | None:
    """Seconds and peak RSS over items (log-log), with the fitted line; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    points = [p for p in result["points"] if p["returncode"] == 0]
    if not points:
        return None
    xs = [p["items"] for p in points]
    fit = result["summary"]["fit"]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    ax_t.loglog(xs, [p["seconds"] for p in points], "o-", label="measured")
    if fit["points"] >= 2:
        ax_t.loglog(
            xs,
            [max(fit["intercept_s"] + fit["ms_per_item"] / 1000 * x, 1e-3) for x in xs],
            "--",
            label=f"fit: {fit['ms_per_item']:.3f} ms/item, R²={fit['r2']:.3f}",
        )
    ax_t.set(xlabel="items imported (first import)", ylabel="seconds", title="time")
    ax_t.legend()
    ax_m.semilogx(xs, [p["max_rss_mb"] for p in points], "o-")
    ax_m.set(xlabel="items imported", ylabel="MB", title="peak RSS of the flow process", ylim=(0, None))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _load_lines(load: dict[str, Any] | None) -> list[str]:
    if not load:
        return ["Load test: not run."]
    if load.get("error"):
        return [f"Load test: {load['error']}"]
    rows = [
        f"| {name} | {s['requests']:,} | {s['failures']} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['rps']:.1f} |"
        for name, s in load["stats"].items()
    ]
    return [
        f"Load: locust {load['users']} users for {load['seconds']} s on loopback against `jobfeed api` with "
        f"{load['jobs']:,} jobs and {load['logs']:,} ImportLogs stored (search: {load['search_users']} users, "
        f"{load['search_seconds']} s, measured apart). Goal: p95 ≤ {P95_TARGET_MS:.0f} ms for the two API routes.",
        "",
        "| request | count | failures | p50 ms | p95 ms | req/s |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


def tables(result: dict[str, Any], plot: Path | None) -> str:
    """The Markdown block both documents get."""
    summary = result["summary"]
    fit, rss = summary["fit"], summary["rss_ratio"]
    machine = result.get("machine", {})
    lines = [
        f"Measured {machine.get('when', '?')} on {machine.get('cores', '?')} cores (load average "
        f"{'/'.join(f'{x:.1f}' for x in machine.get('loadavg_start') or ())} at the start), "
        f"commit {str(machine.get('git_commit', '?'))[:10]}; `make bench-scale` → `bench/results/scale.json`.",
        "",
        "| items | feeds × items | seconds | ms / item | peak RSS MB | jobs | documents written | write commands |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p, s in zip(result["points"], summary["per_size"], strict=True):
        writes = s.get("writes") or {}
        written = f"{sum(writes.values()):,}" if writes else "n/a"
        commands = ", ".join(f"{k} {v:,}" for k, v in s["write_commands"].items()) or "-"
        lines.append(
            f"| {p['items']:,} | {p['feeds']} × {p['items_per_feed']:,} | {p['seconds']:.1f} | "
            f"{s['ms_per_item']:.3f} | {p['max_rss_mb']:.0f} | {p['jobs']:,} | {written} | {commands} |"
        )
    lines += [
        "",
        f"Linear fit over {fit['points']} sizes: **{fit['ms_per_item']:.3f} ms per item** "
        f"(+ {fit['intercept_s']:.1f} s fixed), R² = {fit['r2']:.4f}. Peak RSS {rss['largest'] or '?':,} ÷ "
        f"{rss['base']:,} items: **{rss['ratio'] if rss['ratio'] is not None else 'n/a'}** (target ≤ {rss['target']}).",
        "",
        *_load_lines(result.get("load")),
    ]
    if plot is not None:
        lines += [
            "",
            f"![cost curve]({plot.relative_to(REPO / 'bench') if plot.is_relative_to(REPO / 'bench') else plot})",
        ]
    return "\n".join(lines)


def _replace_block(path: Path, block: str, *, plot_prefix: str = "") -> None:
    text = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} has no {BEGIN} ... {END} block to fill")
    body = block.replace("](results/", f"]({plot_prefix}results/") if plot_prefix else block
    path.write_text(pattern.sub(lambda _m: f"{BEGIN}\n{body}\n{END}", text))


def update_docs(result: dict[str, Any], plot: Path | None) -> None:
    """Fill the scale blocks of bench/README.md and docs/reliability.md with this run's figures."""
    block = tables(result, plot)
    _replace_block(README, block)
    _replace_block(RELIABILITY, block, plot_prefix="../bench/")
