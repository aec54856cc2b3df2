"""What the data team sees in the Prefect UI, read back through a real Prefect server's API (`prefect server
start`, with its events, triggers and actions services): the WARNING line and the not-green task run of a
failed feed, flow run states for all-ok / some-failed / all-failed runs, events, keyed artifacts, tags, and
the automation of `jobfeed automations install` firing on the third failure in a row (and not otherwise)."""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from jobfeed import constants as C
from jobfeed.ops.report import FeedsFailedError, slug
from jobfeed.stack.procs import free_port
from jobfeed.stack.servers import start_prefect_process
from tests.support.cli import jobfeed, without_prefect
from tests.support.feeds import load
from tests.support.pipeline import wait_until
from tests.support.receivers import WebhookReceiver

pytestmark = pytest.mark.slow

GOOD = "atom_feed.xml"
OTHER = "jobicy_job_feed.xml"
UNRESOLVABLE = "http://feeds.nonexistent.invalid/jobs.xml"  # dns_error: transient, so fetched 1 + retries times


def _drain_prefect_workers() -> None:
    """Stop this process's events and log workers: they keep the API URL they started with (a singleton per
    client type), and the next emit starts new ones at the current URL."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    EventsWorker.drain_all(at_exit=False)
    APILogWorker.drain_all(at_exit=False)


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`prefect server start` on a free port (~10 s), used by this module's flow runs and CLI calls."""
    port = free_port()
    home = tmp_path_factory.mktemp("prefect-ui")
    process = start_prefect_process(port, home / "home", home / "server.log")
    api = f"http://127.0.0.1:{port}/api"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def healthy() -> bool:
        try:
            with opener.open(api + "/health", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        wait_until(healthy, 90, "prefect server healthy", interval=0.5)
        from prefect.settings import PREFECT_API_URL, temporary_settings

        _drain_prefect_workers()
        with temporary_settings(updates={PREFECT_API_URL: api}):
            yield api
            _drain_prefect_workers()
    finally:
        process.terminate()
        process.wait(timeout=30)


def _client() -> Any:
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _run(urls: list[str]) -> Any:
    from flows.import_feeds import import_feeds

    return import_feeds(feed_urls=urls, return_state=True)


def _eventually(read: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """Poll an API read until it returns something truthy (logs and events are written asynchronously)."""
    return wait_until(read, timeout, what, interval=0.5)


def _events(name: str, flow_run_id: str | None = None) -> list[Any]:
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter

    related = EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"]) if flow_run_id else None
    with _client() as client:
        page = client.read_events(EventFilter(event=EventNameFilter(name=[name]), related=related), limit=50)
    return list(page.events)


def test_failed_feed_shows_in_logs_states_events_and_artifacts(prefect_api: str, store: Any, served: Any) -> None:
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
        LogFilterLevel,
    )

    state = _run([served.url(GOOD), UNRESOLVABLE])
    run_id = str(state.state_details.flow_run_id)
    logs = {log["fileName"]: log for log in store.logs.for_flow_run(run_id)}
    failed_name = logs[UNRESOLVABLE]["feedName"]
    assert logs[UNRESOLVABLE]["status"] == "failed" and logs[served.url(GOOD)]["status"] == "success"
    with _client() as client:
        run = client.read_flow_run(UUID(run_id))
        assert (run.state.type.value, run.state.name) == ("COMPLETED", "Partial")
        assert run.state.message == "1 of 2 feeds ok; 1 failed: dns_error ×1"
        assert "manual" in run.tags  # started in-process, not by a schedule or the API

    def final_task_runs() -> list[Any]:  # the server records task runs from their events, a moment later
        with _client() as client:
            found = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)])))
        return found if found and all(t.state and t.state.is_final() for t in found) else []

    task_runs = _eventually(final_task_runs, "task runs recorded")
    mine = [t for t in task_runs if t.name.endswith(f" {failed_name}")]  # task run names carry the feed's name
    fetches = [t for t in mine if t.name.startswith("fetch ")]
    records = [t for t in mine if t.name.startswith("record ")]
    assert len(fetches) == 1 and fetches[0].run_count == 1 + C.FETCH_RETRIES, mine
    assert len(records) == 1 and records[0].run_count == 1  # finished once, no retry of a returned state
    assert (records[0].state.type.value, records[0].state.name) == ("FAILED", "Failed")
    assert fetches[0].state.type.value == "FAILED"  # its retries ran out; the record task then finished the log
    good_runs = [t for t in task_runs if logs[served.url(GOOD)]["feedName"] in t.name]
    assert good_runs and all(t.state.type.value == "COMPLETED" for t in good_runs)

    def warnings() -> list[str]:
        level = LogFilterLevel(ge_=30)
        with _client() as client:
            found = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run_id)]), level=level))
        return [log.message for log in found if log.message.startswith(f"feed {failed_name} failed: dns_error")]

    assert _eventually(warnings, "the failed feed's WARNING line")

    failed = _eventually(lambda: _events("jobfeed.feed.failed", run_id), "jobfeed.feed.failed")
    assert len(failed) == 1
    resource = failed[0].resource
    assert resource.id == f"jobfeed.feed.{slug(failed_name)}"
    assert resource.name == failed_name and resource["consecutiveFailures"] == "1"
    assert resource["jobfeed.feed.url"] == UNRESOLVABLE
    assert failed[0].payload["reason"] == "dns_error"
    finished = _eventually(lambda: _events("jobfeed.run.finished", run_id), "jobfeed.run.finished")
    assert finished[0].payload["verdict"] == "Partial" and finished[0].payload["feeds"] == 2

    with _client() as client:
        feed_artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"feed-{slug(failed_name)}"]))
        )
        summary = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["import-feeds-summary"]))
        )
    assert feed_artifacts and feed_artifacts[0].type == "table"
    assert any(a.flow_run_id == UUID(run_id) for a in feed_artifacts)
    markdown = next(a for a in summary if a.flow_run_id == UUID(run_id))
    assert markdown.type == "markdown" and "### dns_error (1)" in str(markdown.data)


def test_a_drift_is_an_event_with_the_new_drift(prefect_api: str, store: Any, served: Any) -> None:
    path = f"drift-{store.db.name}.xml"
    v1 = load(OTHER)  # a WP Job Manager feed with job_listing:company
    served.set_file(path, v1, "application/rss+xml")
    _run([served.url(path)])
    served.set_file(path, v1.replace(b"job_listing:company", b"job_listing:employer"), "application/rss+xml")
    run_id = str(_run([served.url(path)]).state_details.flow_run_id)
    (drift,) = _eventually(lambda: _events("jobfeed.feed.drift", run_id), "jobfeed.feed.drift")
    assert drift.payload["drift"] == [{"kind": "element_missing", "field": "company", "before": 1.0, "now": 0.0}]
    assert drift.resource.id.startswith("jobfeed.feed.") and drift.payload["status"] == "success"


def test_flow_run_state_says_how_the_feeds_did(prefect_api: str, store: Any, served: Any) -> None:
    ok = _run([served.url(GOOD), served.url(OTHER)])
    assert (ok.type.value, ok.name, ok.message) == ("COMPLETED", "Completed", "2 of 2 feeds ok")
    served.fail_with(GOOD, 404)
    served.fail_with(OTHER, 404)
    bad = _run([served.url(GOOD), served.url(OTHER)])
    assert (bad.type.value, bad.name) == ("FAILED", "Failed")
    assert bad.message == "0 of 2 feeds ok; 2 failed: http_4xx ×2"
    failure = bad.result(raise_on_failure=False)  # what a plain `import_feeds()` call raises, rows kept on it
    assert isinstance(failure, FeedsFailedError) and len(failure.rows) == 2 and str(failure) == bad.message


def test_automation_fires_on_the_third_failure_in_a_row(prefect_api: str, store: Any, served: Any) -> None:
    with WebhookReceiver() as receiver:
        env = without_prefect(PREFECT_API_URL=prefect_api, NOTIFY_WEBHOOK_URL=receiver.url("/hooks/jobfeed"))
        env["MONGODB_DB"] = os.environ["MONGODB_DB"]
        done = jobfeed(env, "automations", "install", "--after", "3", timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "hooks/jobfeed" not in done.stdout  # the webhook URL is a credential
        again = jobfeed(env, "automations", "install", "--after", "3", timeout=120)  # idempotent: replaces it
        assert again.returncode == 0 and "replacing 1" in again.stdout, again.stdout
        time.sleep(2)  # the triggers service loads new automations on its own clock

        a, b = served.url(GOOD), served.url(OTHER)
        # A: fail, fail, fail, fail -> one call (when the count reaches 3); B: fail, ok, fail, fail -> none
        for b_fails in (True, False, True, True):
            served.fail_with(GOOD, 404)
            served.fail_with(OTHER, 404 if b_fails else None)
            state = _run([a, b])
        names = {
            log["fileName"]: log["feedName"] for log in store.logs.for_flow_run(str(state.state_details.flow_run_id))
        }
        posts = _eventually(lambda: receiver.posts, "the automation's webhook call", timeout=45)
        time.sleep(3)  # anything else the automation would send arrives now
        bodies = [post.json() for post in receiver.posts]
        assert len(posts) == 1 and len(bodies) == 1, bodies
        assert bodies[0]["consecutiveFailures"] == "3" and bodies[0]["reason"] == "http_4xx"
        assert bodies[0]["feed"] == names[a]
        assert Path(receiver.posts[0].path).as_posix() == "/hooks/jobfeed"


def test_zombie_automation_crashes_a_run_that_went_silent_and_spares_one_that_ended(prefect_api: str) -> None:
    """`jobfeed automations zombies`: a run whose worker died (-9) stays Running with no heartbeat; the automation
    marks it Crashed once `--within` passed. It starts on Running too: a run killed while it started has sent no
    heartbeat (found by the chaos soak, bench/soak). A run that ended in time is left alone."""
    from prefect import flow
    from prefect.states import Completed, Running

    env = without_prefect(PREFECT_API_URL=prefect_api)
    done = jobfeed(env, "automations", "zombies", "--within", "10", timeout=120)
    assert done.returncode == 0 and "crash zombie flow runs" in done.stdout, done.stdout + done.stderr
    time.sleep(2)  # the triggers service loads new automations on its own clock

    @flow(name="soak-zombie")
    def zombie() -> None: ...

    with _client() as client:
        dead = client.create_flow_run(zombie, state=Running())
        ended = client.create_flow_run(zombie, state=Running())
        client.set_flow_run_state(ended.id, Completed(), force=True)

        def crashed() -> bool:
            return client.read_flow_run(dead.id).state.type.value == "CRASHED"

        _eventually(crashed, "the silent run marked Crashed", timeout=60)
        run = client.read_flow_run(dead.id)
        assert "no heartbeat" in (run.state.message or "")
        assert client.read_flow_run(ended.id).state.type.value == "COMPLETED"
