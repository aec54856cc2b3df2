"""Pages against real Prefect: a real import's ImportLogs in the history, and Run now on a real deployment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard.sections.common import fmt_time
from jobfeed.settings import reset_settings
from jobfeed.store import Store
from tests.support.dashboard import no_exception
from tests.support.seed import FEEDS

pytestmark = pytest.mark.usefixtures("prefect_harness")
POOL = f"dashboard-pool-{os.getpid()}"


def test_a_real_import_shows_up_in_history_and_run_detail(open_page, store: Store, feed_server) -> None:
    from flows.import_feeds import import_feeds

    good, broken = feed_server.url("jobspresso_wpjm_job_feed.xml"), feed_server.base_url + "/status/500"
    state = import_feeds(feed_urls=[good, broken], return_state=True)
    flow_run_id = str(state.state_details.flow_run_id)
    at = open_page()
    no_exception(at)
    rows = at.dataframe[0].value.set_index("fileName")
    assert set(rows.index) == {good, broken}
    assert (rows.loc[good, "status"], rows.loc[good, "new"], rows.loc[good, "total"]) == ("success", 3, 3)
    assert (rows.loc[broken, "status"], rows.loc[broken, "reason"]) == ("failed", "http_5xx")

    log_id = rows.loc[broken, "detail"].removeprefix("run?log=")
    at = open_page("run", query={"log": log_id})
    no_exception(at)
    assert "http_5xx" in at.error[0].value
    assert at.get("link_button")[0].proto.url.endswith(f"/runs/flow-run/{flow_run_id}")
    assert list(at.dataframe[-1].value["fileName"]) == [good]  # the other feed of the same flow run


FEEDS_YAML = """feeds:
  - {url: "https://jobicy.com/?feed=job_feed&token=s3cr3t-token", name: jobicy-all, interval: 15m}
  - {url: "https://weworkremotely.com/remote-jobs.rss", name: wwr}
"""


@pytest.fixture
def prefect_env(tmp_path, monkeypatch) -> Iterator[Any]:
    """The harness's server named in the environment (AppTest runs the script in its own thread, outside the
    harness's settings context), a feeds file, and a sync client; the deployments made are deleted after."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    (tmp_path / "feeds.yaml").write_text(FEEDS_YAML)
    monkeypatch.setenv("FEEDS_FILE", str(tmp_path / "feeds.yaml"))
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    monkeypatch.setenv("PREFECT_UI_URL", "http://prefect.example")
    reset_settings()
    with get_client(sync_client=True) as client:
        made = client.read_deployments()
        yield client
        for deployment in client.read_deployments():
            if deployment.id not in {d.id for d in made}:
                client.delete_deployment(deployment.id)


def deployment(client: Any, name: str) -> Any:
    """`import-feeds/<name>` in a process pool with the priority queues, as `jobfeed deploy` makes it."""
    from jobfeed.cli.deploy import ensure_queues, ensure_work_pool

    ensure_work_pool(POOL)
    ensure_queues(POOL)
    return client.create_deployment(flow_id=client.create_flow_from_name("import-feeds"), name=name,
                                    work_pool_name=POOL)  # fmt: skip


def test_run_now_queues_on_demand_runs_and_cancels_them(open_page, prefect_env, timers) -> None:
    client = prefect_env
    at = open_page("run-now")
    at.button(key="run-now").click().run()
    no_exception(at)
    assert "No deployment `import-feeds/on-demand`" in at.warning[0].value and "jobfeed deploy" in at.warning[0].value

    deployment_id = deployment(client, "on-demand")
    at.multiselect(key="run-now-feeds").select("https://weworkremotely.com/remote-jobs.rss").run()
    at.radio(key="run-now-priority").set_value("high").run()
    at.number_input(key="run-now-delay").set_value(60).run()
    at.button(key="run-now").click().run()
    no_exception(at)
    assert at.success[0].value.startswith("Queued run ") and "high priority" in at.success[0].value
    run_id = at.get("link_button")[0].proto.url.removeprefix("http://prefect.example/runs/flow-run/")
    run = client.read_flow_run(run_id)
    assert run.deployment_id == deployment_id and run.state.is_scheduled() and run.work_queue_name == "high"
    assert run.parameters == {"feed_urls": ["https://weworkremotely.com/remote-jobs.rss"]}
    assert "dashboard" in run.tags
    assert (run.expected_start_time - datetime.now(UTC)) > timedelta(minutes=55)

    listed = runs_table(at)
    assert listed["run"].iloc[0] == run.name and listed["state"].iloc[0] == "Scheduled"
    assert listed["deployment"].iloc[0] == "import-feeds/on-demand"
    assert timers.only()[1] == 5  # a run is waiting: the list updates in place

    at.button(key=f"cancel-{run_id}").click().run()
    no_exception(at)
    assert client.read_flow_run(run_id).state.type.value == "CANCELLED"
    assert any("Cancel requested" in s.value for s in at.success)
    assert runs_table(at)["state"].iloc[0] == "Cancelled"
    assert f"cancel-{run_id}" not in [b.key for b in at.button]  # over: nothing to cancel


def runs_table(at: Any) -> Any:
    """The Run now page's list of latest runs."""
    return next(frame.value for frame in at.dataframe if "deployment" in frame.value.columns)


def test_feeds_show_the_next_run_of_their_schedule(open_page, prefect_env, store: Store) -> None:
    from prefect.states import Scheduled

    client = prefect_env
    now = datetime.now(UTC)
    for url, name in list(FEEDS.items())[:2]:
        store.feeds.record_run(url, name=name, status="success", now=now, conditional=None, error_reason=None)
    quarter = deployment(client, "every-15m")
    soon, later = (now + timedelta(minutes=m) for m in (7, 22))
    for when in (later, soon):  # created out of order: the page shows the soonest
        client.create_flow_run_from_deployment(quarter, state=Scheduled(scheduled_time=when))
    at = open_page("feeds")
    no_exception(at)
    frame = at.dataframe[0].value.set_index("feed")
    assert frame.loc["jobicy-all", "schedule"] == "every 15m"
    assert frame.loc["jobicy-all", "next run"] == fmt_time(soon, "UTC")
    assert (frame.loc["wwr", "schedule"], frame.loc["wwr", "next run"]) == ("hourly", "—")  # hourly: not deployed
