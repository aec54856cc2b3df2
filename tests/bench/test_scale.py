"""`make bench-scale`'s arithmetic: sizes and feed layout, the linear fit, the RSS ratio, the doc block."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.scale import layout, parse_size
from bench.scale_report import BEGIN, END, _replace_block, linear_fit, summarize, tables


def test_sizes_read_as_the_issue_writes_them_and_split_into_feeds_of_20k() -> None:
    assert [parse_size(s) for s in ("1k", "10k", "100k", "1M", "2500")] == [1_000, 10_000, 100_000, 1_000_000, 2_500]
    assert layout(1_000_000) == (50, 20_000) and layout(100_000) == (5, 20_000) and layout(1_000) == (1, 1_000)
    with pytest.raises(ValueError, match="multiple of 20,000"):
        layout(30_000)


def test_linear_fit_recovers_a_line_and_says_how_well_it_fits() -> None:
    xs = [1_000.0, 10_000.0, 100_000.0]
    slope, intercept, r2 = linear_fit(xs, [2.0 + 0.0008 * x for x in xs])
    assert (round(slope, 7), round(intercept, 4), round(r2, 6)) == (0.0008, 2.0, 1.0)
    assert linear_fit(xs, [5.0, 1.0, 9.0])[2] < 0.9


def _point(items: int, seconds: float, rss: float) -> dict[str, object]:
    return {"items": items, "feeds": max(1, items // 20_000), "items_per_feed": min(items, 20_000),
            "seconds": seconds, "max_rss_mb": rss, "jobs": items, "returncode": 0, "timed_out": False,
            "writes": {"insert": items}, "opcounters": {"insert": items // 500 + 1, "query": 9}}  # fmt: skip


def test_summary_and_doc_block(tmp_path: Path) -> None:
    points = [_point(1_000, 3.0, 130.0), _point(20_000, 18.0, 160.0), _point(100_000, 82.0, 176.0)]
    summary = summarize(points, rss_base=20_000)
    assert summary["rss_ratio"]["ratio"] == 1.1 and summary["fit"]["points"] == 3
    assert summary["per_size"][1]["write_commands"] == {"insert": 41}
    result = {"points": points, "summary": summary, "machine": {"when": "now", "cores": 2, "loadavg_start": [1, 1, 1]}}
    doc = tmp_path / "README.md"
    doc.write_text(f"before\n{BEGIN}\npending\n{END}\nafter\n")
    _replace_block(doc, tables(result, None))
    text = doc.read_text()
    assert "pending" not in text and "| 100,000 | 5 × 20,000 | 82.0 |" in text and "**1.1**" in text
    assert text.startswith("before\n") and text.endswith(f"{END}\nafter\n") and "Load test: not run." in text
