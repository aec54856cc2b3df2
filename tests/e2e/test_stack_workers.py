"""`jobfeed stack up --worker --workers 2` for real: two named workers on one pool, seen and stopped by the stack."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobfeed.stack import procs as P
from tests.support.cli import jobfeed, without_prefect

pytestmark = pytest.mark.slow


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A user's environment for a private stack: every server on a free port, state in tmp_path."""
    env = without_prefect()
    env.update({
        "MONGODB_URI": f"mongodb://127.0.0.1:{P.free_port()}/?directConnection=true&retryWrites=false",
        "REDIS_URL": f"redis://127.0.0.1:{P.free_port()}/0",
        "PREFECT_API_URL": f"http://127.0.0.1:{P.free_port()}/api",
        "PREFECT_HOME": str(tmp_path / "client-home"),  # the workers' own Prefect home, not ~/.prefect
        "JOBFEED_STATE_DIR": str(tmp_path / "state"),
        "WORK_POOL": "stack-workers-test",
    })  # fmt: skip
    try:
        yield env
    finally:
        jobfeed(env, "stack", "down")  # stops whatever the test left running; a no-op after its own down


def _pool_worker_names(api: str, pool: str, expected: int, timeout: float = 30) -> set[str]:
    """Names of the workers the Prefect server knows on `pool` (waits until `expected` have checked in)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{api}/work_pools/{pool}/workers/filter", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        try:
            with opener.open(request, timeout=5) as response:
                names = {worker["name"] for worker in json.load(response)}
        except OSError:
            names = set()  # the pool does not exist until the first worker created it
        if len(names) >= expected or time.monotonic() > deadline:
            return names
        time.sleep(1)


def test_two_named_workers_up_status_down(stack_env: dict[str, str]) -> None:
    run = Path(stack_env["JOBFEED_STATE_DIR"]) / "run"
    up = jobfeed(stack_env, "stack", "up", "--worker", "--workers", "2")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "worker-2" in up.stdout and "failed" not in up.stdout

    records = {name: P.read_pid_file(run / f"{name}.pid") for name in ("worker", "worker-2")}
    assert all(record is not None and P.is_ours(record) for record in records.values()), records
    cmdlines = {name: P.cmdline(record.pid) for name, record in records.items() if record is not None}
    assert "--name jobfeed-worker-" in cmdlines["worker"] and "--name jobfeed-worker-2-" in cmdlines["worker-2"]
    assert (run.parent / "logs" / "worker.log").exists() and (run.parent / "logs" / "worker-2.log").exists()
    names = _pool_worker_names(stack_env["PREFECT_API_URL"], stack_env["WORK_POOL"], expected=2)
    assert len(names) == 2 and all(name.startswith("jobfeed-worker") for name in names), names

    # idempotent, and --workers N > 1 alone implies --worker
    again = jobfeed(stack_env, "stack", "up", "--workers", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "started" not in again.stdout and again.stdout.count("already running") == 5

    status = jobfeed(stack_env, "stack", "status")
    assert status.returncode == 0 and "worker-2" in status.stdout and status.stdout.count("running") == 5

    down = jobfeed(stack_env, "stack", "down")
    assert down.returncode == 0 and down.stdout.count("stopped") == 5, down.stdout
    assert not any(P.process_alive(record.pid) for record in records.values() if record is not None)
    assert not list(run.glob("*.pid"))
