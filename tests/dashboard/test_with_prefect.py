"""Pages against real Prefect: a real import's ImportLogs in the history, and Run now on a real deployment."""

from __future__ import annotations

import pytest

from jobfeed.settings import reset_settings
from jobfeed.store import Store
from tests.dashboard.conftest import no_exception
from tests.dashboard.seed import texts

pytestmark = pytest.mark.usefixtures("prefect_harness")


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
    at = open_page("views/run_detail.py", query={"log": log_id})
    no_exception(at)
    assert "http_5xx" in at.error[0].value
    assert at.get("link_button")[0].proto.url.endswith(f"/runs/flow-run/{flow_run_id}")
    assert list(at.dataframe[-1].value["fileName"]) == [good]  # the other feed of the same flow run


def test_run_now_without_then_with_the_deployment(open_page, monkeypatch) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    # AppTest runs the script in its own thread, outside the harness's settings context: say it in the env
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    monkeypatch.setenv("PREFECT_UI_URL", "http://prefect.example")
    reset_settings()
    at = open_page("views/run_now.py")
    at.button(key="run-now").click().run()
    no_exception(at)
    assert "No deployment `import-feeds/hourly`" in at.warning[0].value and "jobfeed deploy" in at.warning[0].value

    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("import-feeds")
        deployment_id = client.create_deployment(flow_id=flow_id, name="hourly")
        try:
            at.button(key="run-now").click().run()
            no_exception(at)
            assert at.success[0].value.startswith("Started flow run ")
            url = at.get("link_button")[0].proto.url
            run_id = url.removeprefix("http://prefect.example/runs/flow-run/")
            flow_run = client.read_flow_run(run_id)
            assert flow_run.deployment_id == deployment_id and flow_run.state.is_scheduled()
            assert f"Flow run `{run_id}`" in texts(at)
        finally:
            client.delete_deployment(deployment_id)
