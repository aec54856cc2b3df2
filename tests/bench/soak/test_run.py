"""The soak harness end to end, small: 2 runs of 3 faulty feeds through a real worker, no server killed.

Keeps `make soak` from rotting (servers, deployment, worker, feed server, oracle and reports wired together);
the real soak (30 runs, kills) is `make soak`, outside the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


def test_two_runs_of_three_feeds_without_kills_report_no_violation(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--runs",
            "2",
            "--feeds",
            "3",
            "--no-kills",
            "--fault-rate",
            "0.5",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "soak-report.json").read_text())
    assert report["violations"] == []
    assert [run["run"] for run in report["runs"]] == [0, 1]
    assert all(run["state"] == "COMPLETED" and sum(run["statuses"].values()) == 3 for run in report["runs"])
    answers = report["faults"]["answers"]
    assert sum(answers.values()) >= 6 and report["faults"]["killed"] == {}
    assert "## Violations\n\nNone." in (tmp_path / "soak-report.md").read_text()
