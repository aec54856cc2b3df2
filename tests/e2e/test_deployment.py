"""The hourly deployment for real: a Prefect server and a worker started like `jobfeed stack up --worker`,
`jobfeed deploy`, `jobfeed run-now`, pause/resume of the work pool, and the schedule's future runs."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobfeed.settings import Settings
from jobfeed.stack import local as stack
from jobfeed.stack.procs import free_port
from tests.support.cli import jobfeed

pytestmark = pytest.mark.slow


@pytest.fixture
def deployed(tmp_path: Path, db_name: str, feed_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Prefect server + worker on free ports (Mongo/Redis: the session's), deployment created."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: {feed_server.url('jobspresso_wpjm_job_feed.xml')}\n    name: jobspresso\n")
    api = f"http://127.0.0.1:{free_port()}/api"
    pool = f"pool-{db_name[-20:].replace('_', '-')}".lower()
    env = {
        "FEEDS_FILE": str(feeds),
        "PREFECT_API_URL": api,
        "WORK_POOL": pool,
        "JOBFEED_STATE_DIR": str(tmp_path / "state"),
        "MONGODB_DB": db_name,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # the worker inherits them, as it would from the operator's shell
    settings = Settings()
    try:
        statuses = stack.up(settings, prefect=True, worker=False)
        assert {s.name: s.state for s in statuses}["prefect"] == "started", statuses
        cli_env = dict(os.environ)
        deploy = jobfeed(cli_env, "deploy", timeout=300)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        assert "import-feeds/hourly" in deploy.stdout
        assert f"No worker is polling work pool {pool}" in deploy.stdout  # none started yet
        assert "replay-import/on-demand" in deploy.stdout and "prune-archive/daily" in deploy.stdout
        statuses = stack.up(settings, prefect=True, worker=True)
        assert {s.name: s.state for s in statuses}["worker"] == "started", statuses
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api}):  # wins over a session's test harness
            yield cli_env
    finally:
        stack.down(settings)


def _flow_run_state(run_id: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state.type.value


def _wait_for(run_id: str, states: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    state = _flow_run_state(run_id)
    while state not in states and time.monotonic() < deadline:
        time.sleep(1)
        state = _flow_run_state(run_id)
    return state


def test_deploy_run_now_pause_resume_and_schedule(deployed: dict[str, str], store) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )

    from jobfeed.cli import deploy

    # deploy again, now that a worker polls the pool: it says so instead of asking for one
    pool = os.environ["WORK_POOL"]
    again = jobfeed(deployed, "deploy", timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"1 worker online on work pool {pool}" in again.stdout and "Start one" not in again.stdout

    # run-now --watch: the worker runs the flow; a line per state and per finished feed, then the table
    run = jobfeed(deployed, "run-now", "--watch", timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    logs = store.logs.latest(limit=5)
    assert len(logs) == 1 and logs[0]["status"] == "success" and logs[0]["newJobs"] == 3
    assert logs[0]["flowRunId"] in run.stdout
    assert _flow_run_state(logs[0]["flowRunId"]) == "COMPLETED"
    lines = run.stdout.splitlines()
    assert "jobspresso: success, 3 fetched: 3 new, 0 updated, 0 unchanged, 0 failed" in run.stdout
    assert any(line.endswith(": Running") for line in lines) and any(line.endswith(": Completed") for line in lines)

    # a replay of that run's archived body, queued as the dashboard's Replay button does, run by the worker
    from jobfeed.ops.replay import submit_replay

    replay = submit_replay(Settings(), str(logs[0]["_id"]), source="test")
    assert replay.deployment == "replay-import/on-demand"
    assert _wait_for(replay.id, {"COMPLETED", "FAILED", "CRASHED"}, timeout=120) == "COMPLETED"
    (replayed,) = store.logs.for_flow_run(replay.id)
    assert (replayed["replayOf"], replayed["dryRun"], replayed["unchangedJobs"]) == (str(logs[0]["_id"]), False, 3)

    # the schedule: future runs at the top of the hour
    with get_client(sync_client=True) as client:
        scheduled = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["hourly"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["SCHEDULED"]))),
            limit=10,
        )
    assert scheduled, "the hourly schedule created no future runs"
    assert all(r.expected_start_time.minute == 0 and r.expected_start_time.second == 0 for r in scheduled)

    # pause: a run triggered now waits, and --watch says why instead of waiting silently; --timeout ends the
    # watch (exit 1), not the run. resume: it starts and completes
    deploy.set_pool_paused(pool, True)
    watched = jobfeed(deployed, "run-now", "--watch", "--timeout", "8s", timeout=120)
    assert watched.returncode == 1, watched.stdout + watched.stderr
    assert f"work pool {pool} is paused: the run waits until `jobfeed resume`" in watched.stdout
    assert "stopped watching after --timeout" in watched.stderr
    waiting_id = next(line.split("(")[1].split(")")[0] for line in watched.stdout.splitlines()
                      if line.startswith("flow run "))  # fmt: skip
    assert _flow_run_state(waiting_id) in {"SCHEDULED", "PENDING"}
    deploy.set_pool_paused(pool, False)
    assert _wait_for(waiting_id, {"COMPLETED", "FAILED", "CRASHED"}, timeout=120) == "COMPLETED"
    assert store.logs.for_flow_run(waiting_id)[0]["status"] == "not_modified"
