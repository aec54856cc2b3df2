"""The CLI process: the flow runs without a heartbeat thread unless asked, and the process exits fast."""

from __future__ import annotations

import pytest
from prefect.settings import get_current_settings

from jobfeed.cli.runner import _without_heartbeats


def test_cli_runs_have_no_flow_heartbeats_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", raising=False)
    monkeypatch.delenv("PREFECT_RUNNER_HEARTBEAT_FREQUENCY", raising=False)
    before = get_current_settings().flows.heartbeat_frequency
    with _without_heartbeats():
        assert get_current_settings().flows.heartbeat_frequency is None  # Prefect then starts no thread
    assert get_current_settings().flows.heartbeat_frequency == before


@pytest.mark.parametrize("name", ["PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY"])
def test_an_operators_heartbeat_setting_is_kept(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "60")
    with _without_heartbeats():  # left to Prefect, which reads the variable itself
        assert get_current_settings().flows.heartbeat_frequency is not None


def test_exit_now_runs_atexit_handlers_flushes_and_keeps_the_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    marker = tmp_path / "flushed"
    script = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('yes'))\n"
        "sys.stdout.write('buffered output')\n"
        "from jobfeed.cli.common import exit_now\n"
        "exit_now(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, marker.read_text()) == (3, "buffered output", "yes")


@pytest.mark.parametrize(
    ("statuses", "flow_completed", "code"),
    [
        (["success", "not_modified"], True, 0),
        (["success", "skipped"], True, 0),  # skipped is neutral: not tried, nothing failed
        ([], True, 0),
        (["success", "partial"], True, 1),  # some jobs of a feed did not make it
        (["not_modified", "failed"], True, 1),
        (["success"], False, 1),  # the flow run itself failed or crashed
    ],
)
def test_exit_code_follows_the_failing_statuses(statuses: list[str], flow_completed: bool, code: int) -> None:
    from datetime import UTC, datetime

    from jobfeed.cli.runner import exit_code_of
    from jobfeed.importlog import ImportLog, LogStatus

    logs = [ImportLog("https://x.example/f", "x", "r", datetime.now(UTC), LogStatus(s)) for s in statuses]
    assert exit_code_of(logs, flow_completed=flow_completed) == code
