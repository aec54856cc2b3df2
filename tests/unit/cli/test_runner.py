"""The CLI process: the flow runs without a heartbeat thread unless asked, and the process exits fast."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prefect.settings import get_current_settings

from jobfeed.cli.runner import _without_heartbeats, network_notes
from jobfeed.importlog import FeedFailure, ImportLog, LogStatus
from jobfeed.reasons import FailureReason


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


def _failed(url: str, reason: FailureReason) -> ImportLog:
    return ImportLog(file_name=url, feed_name=url, flow_run_id="r", started_at=datetime.now(UTC),
                     status=LogStatus.FAILED, error=FeedFailure(reason, "connection refused"))  # fmt: skip


def test_a_refused_local_server_is_not_blamed_on_the_internet() -> None:
    notes = network_notes([_failed("http://127.0.0.1:8765/a.xml", FailureReason.NETWORK_ERROR),
                           _failed("http://127.0.0.1:8765/b.xml", FailureReason.TIMEOUT),
                           _failed("http://[::1]:9/c.xml", FailureReason.NETWORK_ERROR)])  # fmt: skip
    assert notes == [
        "Nothing answered at 127.0.0.1:8765, [::1]:9 (this machine or its network): is that server running?"
    ]
    assert not any("internet" in note for note in notes)


def test_remote_network_failures_suggest_the_offline_demo() -> None:
    notes = network_notes([_failed("https://jobicy.com/?feed=job_feed", FailureReason.DNS_ERROR),
                           _failed("http://localhost/x", FailureReason.NETWORK_ERROR),
                           _failed("https://example.com/x", FailureReason.HTTP_5XX)])  # fmt: skip
    assert len(notes) == 2
    assert "no internet here?" in notes[0] and "make demo" in notes[0]
    assert notes[1].startswith("Nothing answered at localhost (")
    assert network_notes([_failed("https://example.com/x", FailureReason.HTTP_5XX)]) == []
