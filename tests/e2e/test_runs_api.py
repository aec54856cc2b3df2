"""The runs API for real: one Prefect server and one worker for the whole module (they are heavy on two cores),
the deployments made by `jobfeed deploy`'s code, the API served by uvicorn, Mongo and Redis of the session.

A held route of a GatedFeedServer keeps a run inside its fetch, so a test knows a run is going when it
queues others behind it or cancels it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobfeed.settings import Settings, reset_settings
from jobfeed.stack import local as stack
from jobfeed.stack.procs import free_port
from tests.support.api_server import ApiServer
from tests.support.gated_server import GatedFeedServer

pytestmark = pytest.mark.slow

HELD = "held.xml"  # a run of this feed waits in its fetch until the test releases it
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


class Env:
    """What the module's tests share: the API client, the store, the feeds and the servers."""

    def __init__(self, api: httpx.Client, store: Any, gated: GatedFeedServer, feeds: dict[str, str], pool: str) -> None:
        self.api, self.store, self.gated, self.feeds, self.pool = api, store, gated, feeds, pool

    def post(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return self.api.post("/api/runs", json=body, headers=headers)

    def wait(self, run_id: str, states: set[str] = TERMINAL, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.api.get(f"/api/runs/{run_id}").json()
            if run["state"] in states or time.monotonic() > deadline:
                return run
            time.sleep(0.5)

    def hold(self) -> None:
        self.gated.set(HELD, FEED_BODY, hold=True)

    def wait_holding(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.gated.holding(HELD) < 1:
            assert time.monotonic() < deadline, "no run reached the held feed"
            time.sleep(0.2)


FEED_BODY = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>held</title>
<item><guid>held-1</guid><title>Held job</title><link>https://example.org/held-1</link></item></channel></rss>"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, mongo_service: Any, feed_server: Any) -> Iterator[Env]:
    """Prefect server + worker on free ports, deployments created, the API served; torn down at the end."""
    tmp = tmp_path_factory.mktemp("runs-api")
    gated = GatedFeedServer()
    feeds = {
        "held": gated.url(HELD),
        "quick": feed_server.url("jobspresso_wpjm_job_feed.xml"),
        "quarter": feed_server.url("rdf_feed.xml"),
    }
    feeds_file = tmp / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n"
        f"  - {{url: '{feeds['held']}', name: held}}\n"
        f"  - {{url: '{feeds['quick']}', name: quick}}\n"
        f"  - {{url: '{feeds['quarter']}', name: quarter, interval: 15m}}\n"
    )
    api_url = f"http://127.0.0.1:{free_port()}/api"
    pool = f"pool-runs-{os.getpid()}"
    db = f"t_runs_api_{os.getpid()}"
    from jobfeed.store import close_stores, get_store

    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "FEEDS_FILE": str(feeds_file),
            "PREFECT_API_URL": api_url,
            "WORK_POOL": pool,
            "JOBFEED_STATE_DIR": str(tmp / "state"),
            "MONGODB_DB": db,
            "PREFECT_WORKER_QUERY_SECONDS": "1",  # the worker inherits these: quick pick-up and cancellation
            "PREFECT_WORKER_PREFETCH_SECONDS": "0",
            "PREFECT_WORKER_CANCELLATION_POLL_SECONDS": "1",
        }.items():
            mp.setenv(key, value)
        reset_settings()
        settings = Settings()
        server = None
        try:
            assert {s.name: s.state for s in stack.up(settings, prefect=True, worker=False)}["prefect"] == "started"
            from prefect.settings import PREFECT_API_URL, temporary_settings

            from jobfeed.cli import deploy

            with temporary_settings(updates={PREFECT_API_URL: api_url}):
                names = deploy.deploy(settings)
                assert {"import-feeds/hourly", "import-feeds/on-demand", "import-feeds/every-15m"} <= set(names)
                assert {s.name: s.state for s in stack.up(settings, prefect=True, worker=True)}["worker"] == "started"
                from jobfeed.api.app import create_app

                server = ApiServer(create_app(settings=settings, ui_settings=settings)).start()
                store = get_store(settings)
                store.ensure_indexes()
                with httpx.Client(base_url=server.url, timeout=30) as client:
                    yield Env(client, store, gated, feeds, pool)
        finally:
            if server is not None:
                server.stop()
            stack.down(settings)
            gated.stop()
            mongo_service.client().drop_database(db)  # type: ignore[attr-defined]
            close_stores()
            reset_settings()


def test_run_by_id_idempotency_and_validation(env: Env) -> None:
    started = env.post({"feeds": ["quick"], "priority": "normal"}, **{"Idempotency-Key": "k-1"})
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["state"] == "SCHEDULED" and run["links"]["self"].endswith(f"/api/runs/{run['id']}")
    assert run["links"]["prefect"].endswith(f"/runs/flow-run/{run['id']}")
    again = env.post({"feeds": ["quick"]}, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == run["id"]

    done = env.wait(run["id"])
    assert done["state"] == "COMPLETED", done
    assert done["deployment"] == "import-feeds/on-demand" and done["priority"] == "normal"
    assert [log["flowRunId"] for log in done["importLogs"]] == [run["id"]]
    assert done["importLogs"][0]["fileName"] == env.feeds["quick"] and done["totals"]["newJobs"] == 3
    assert run["id"] in [r["id"] for r in env.api.get("/api/runs", params={"limit": 5}).json()["items"]]
    assert env.api.get("/api/runs/00000000-0000-0000-0000-000000000000").status_code == 404
    assert env.api.get("/api/runs/not-a-uuid").status_code == 404

    for body, field in (
        ({"feeds": ["nope"]}, ["body", "feeds", 0]),
        ({"startAt": "2030-01-01T00:00:00Z", "delaySeconds": 5}, ["body", "delaySeconds"]),
        ({"startAt": "2020-01-01T00:00:00Z"}, ["body", "startAt"]),
        ({"priority": "urgent"}, ["body", "priority"]),
    ):
        answer = env.post(body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in [error["loc"] for error in answer.json()["detail"]], answer.text

    # a delayed run is a Prefect Scheduled run, expected at request time + delay; cancelled before it starts
    asked = datetime.now(UTC)
    delayed = env.post({"feeds": ["quick"], "delaySeconds": 3}).json()
    assert delayed["state"] == "SCHEDULED"
    expected = datetime.fromisoformat(delayed["scheduledFor"].replace("Z", "+00:00"))
    assert abs((expected - asked).total_seconds() - 3) < 1.0, (asked, expected)
    assert env.api.post(f"/api/runs/{delayed['id']}/cancel").status_code == 202
    assert env.wait(delayed["id"])["state"] == "CANCELLED"
    assert env.api.post(f"/api/runs/{run['id']}/cancel").status_code == 409  # over already


def test_high_priority_run_starts_before_an_earlier_low_one(env: Env) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolUpdate

    with get_client(sync_client=True) as client:
        client.update_work_pool(env.pool, WorkPoolUpdate(concurrency_limit=1))
    try:
        env.hold()
        going = env.post({"feeds": ["held"]}).json()
        env.wait_holding()
        low = env.post({"feeds": ["quick"], "priority": "low"}).json()
        high = env.post({"feeds": ["quick"], "priority": "high"}).json()
        env.gated.release(HELD)
        runs = [env.wait(run["id"]) for run in (going, low, high)]
    finally:
        with get_client(sync_client=True) as client:
            client.update_work_pool(env.pool, WorkPoolUpdate(concurrency_limit=None))
    assert [r["state"] for r in runs] == ["COMPLETED"] * 3, runs
    _, low_run, high_run = runs
    assert (high_run["priority"], low_run["priority"]) == ("high", "low")
    assert high_run["startedAt"] < low_run["startedAt"], (high_run, low_run)


def test_cancel_mid_run_fails_its_logs_and_frees_the_lock(env: Env) -> None:
    from jobfeed.ops.locks import FeedLocks

    env.hold()
    run = env.post({"feeds": ["held"], "priority": "high"}).json()
    env.wait_holding()
    locks = FeedLocks(os.environ["REDIS_URL"], 60)
    assert locks.holder(env.feeds["held"]) == run["id"]
    try:
        cancel = env.api.post(f"/api/runs/{run['id']}/cancel")
        assert cancel.status_code == 202, cancel.text
        done = env.wait(run["id"])
    finally:
        env.gated.release(HELD)
    assert done["state"] == "CANCELLED", done
    [log] = done["importLogs"]
    assert log["status"] == "failed" and log["error"]["reason"] == "cancelled", log
    assert locks.holder(env.feeds["held"]) is None


def test_events_stream_in_order_then_close(env: Env) -> None:
    run = env.post({"feeds": ["quick", "quarter"]}).json()
    events: list[tuple[str, dict[str, Any]]] = []
    with env.api.stream("GET", f"/api/runs/{run['id']}/events", timeout=120) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
    assert events[-1][0] == "state" and events[-1][1]["state"] == "COMPLETED"
    logs = [data for kind, data in events if kind == "importlog"]
    assert all(log["flowRunId"] == run["id"] for log in logs)
    for feed in ("quick", "quarter"):
        statuses = [log["status"] for log in logs if log["fileName"] == env.feeds[feed]]
        assert statuses[-1] in {"success", "not_modified"}, statuses
        assert statuses in (["running", statuses[-1]], [statuses[-1]]), statuses  # opened, then finished: in order
    assert sum(1 for log in logs if log["status"] != "running") == 2


def test_per_feed_schedule_has_its_deployment_and_feeds(env: Env) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        quarter = client.read_deployment_by_name("import-feeds/every-15m")
        hourly = client.read_deployment_by_name("import-feeds/hourly")
        assert [s.schedule.interval.total_seconds() for s in quarter.schedules] == [900]
        assert quarter.parameters["feed_urls"] == [env.feeds["quarter"]]
        assert "jobfeed-managed" in quarter.tags
        assert quarter.global_concurrency_limit is not None and quarter.global_concurrency_limit.limit == 1
        assert quarter.concurrency_options is not None
        assert quarter.concurrency_options.collision_strategy.value == "CANCEL_NEW"
        on_demand = client.read_deployment_by_name("import-feeds/on-demand")
        assert on_demand.schedules == [] and on_demand.concurrency_options is not None
        assert on_demand.concurrency_options.collision_strategy.value == "ENQUEUE"
        assert hourly.parameters["feed_urls"] == [env.feeds["held"], env.feeds["quick"]]
        run = client.create_flow_run_from_deployment(quarter.id, parameters=quarter.parameters)
    done = env.wait(str(run.id))
    assert done["state"] == "COMPLETED" and done["deployment"] == "import-feeds/every-15m"
    assert [log["fileName"] for log in done["importLogs"]] == [env.feeds["quarter"]]


def test_deploy_removes_a_schedule_no_feed_uses(env: Env, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from jobfeed.cli.deploy import sync_schedules
    from jobfeed.feeds_config import load_feeds_file, schedule_groups

    settings = Settings()
    specs = [spec.model_copy(update={"interval": None}) for spec in load_feeds_file(settings.feeds_file)]
    assert sync_schedules(schedule_groups(specs), settings) == []
    with get_client(sync_client=True) as client:
        with pytest.raises(ObjectNotFound):
            client.read_deployment_by_name("import-feeds/every-15m")
        assert client.read_deployment_by_name("import-feeds/hourly").parameters["feed_urls"] is None
        client.read_deployment_by_name("import-feeds/on-demand")  # not a schedule deployment: kept
