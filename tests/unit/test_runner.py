"""How the CLI runs the flow in its own process: no heartbeat thread unless the operator wants one."""

from __future__ import annotations

import pytest
from prefect.settings import get_current_settings

from jobfeed.runner import _without_heartbeats


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
