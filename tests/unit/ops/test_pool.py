"""What `jobfeed deploy` and `run-now --watch` say about the work pool (the server side: tests/e2e/test_deployment)."""

from __future__ import annotations

from jobfeed.ops.pool import PoolStatus, waiting_reason, worker_advice


def test_why_a_run_does_not_start() -> None:
    assert waiting_reason(PoolStatus("p", exists=True, online_workers=1)) is None
    assert "`jobfeed resume`" in str(waiting_reason(PoolStatus("p", exists=True, paused=True, online_workers=1)))
    no_worker = str(waiting_reason(PoolStatus("p", exists=True)))
    assert no_worker.startswith("no worker is polling work pool p") and "jobfeed stack up --worker" in no_worker
    assert "jobfeed deploy" in str(waiting_reason(PoolStatus("p", exists=False)))


def test_deploy_names_a_running_worker_instead_of_asking_for_one() -> None:
    assert worker_advice(PoolStatus("p", exists=True, online_workers=2)) == (
        "2 workers online on work pool p: the deployments run."
    )
    assert worker_advice(PoolStatus("p", exists=True, online_workers=1)).startswith("1 worker online")
    assert "Start one" in worker_advice(PoolStatus("p", exists=True))
    assert "paused" in worker_advice(PoolStatus("p", exists=True, paused=True, online_workers=1))
