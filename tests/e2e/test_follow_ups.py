"""A run's follow-ups as the Prefect API records them: task runs after every feed's finishing task run (their
`wait_for` inputs), each retried on its own, and a failing one that leaves the import and its verdict alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow.parquet as pq
import pytest

from jobfeed import constants as C
from jobfeed.settings import reset_settings
from jobfeed.store import Store
from jobfeed.store import duplicates as D
from tests.support.pipeline import wait_until
from tests.support.receivers import WebhookReceiver

pytestmark = pytest.mark.usefixtures("prefect_harness")

GOOD, OTHER = "atom_feed.xml", "jobicy_job_feed.xml"
REFRESH, EXPORT, NOTIFY = "refresh duplicate groups", "export jobs", "notify run summary"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Any:
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("NOTIFY_WEBHOOK_URL", receiver.url())
        yield receiver
    reset_settings()


def run(monkeypatch: pytest.MonkeyPatch, urls: list[str], **env: str) -> Any:
    from flows.import_feeds import import_feeds

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    return import_feeds(feed_urls=urls, return_state=True)


def task_runs(state: Any, *names: str) -> dict[str, Any]:
    """The run's task runs by name once all are final and the named ones are there (recorded from events)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flt = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))

    def read() -> dict[str, Any]:
        with get_client(sync_client=True) as client:
            found = {t.name: t for t in client.read_task_runs(flow_run_filter=flt)}
        done = all(t.state and t.state.is_final() for t in found.values()) and set(names) <= set(found)
        return found if done else {}

    return wait_until(read, 30, f"task runs {names}", interval=0.3)


def upstream(task_run: Any) -> set[UUID]:
    return {item.id for item in task_run.task_inputs.get("wait_for", [])}


def test_follow_ups_wait_for_every_feed_and_the_summary_for_them(
    store: Store, served: Any, webhook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = served.base_url + "/status/404"  # finished by its fetch task, which ends Failed
    urls = [served.url(GOOD), served.url(OTHER), broken]
    state = run(monkeypatch, urls, EXPORT_DIR=str(tmp_path / "exports"), NOTIFY_RUN_SUMMARY="always")
    assert (state.type.value, state.name, state.message) == (
        "COMPLETED",
        "Partial",
        "2 of 3 feeds ok; 1 failed: http_4xx ×1",
    )

    logs = {log["fileName"]: log for log in store.logs.for_flow_run(str(state.state_details.flow_run_id))}
    names = {url: logs[url]["feedName"] for url in urls}
    found = task_runs(state, REFRESH, EXPORT, NOTIFY)
    finishers = {found[f"record {names[served.url(GOOD)]}"].id, found[f"record {names[served.url(OTHER)]}"].id,
                 found[f"fetch {names[broken]}"].id}  # fmt: skip
    assert found[f"fetch {names[broken]}"].state.type.value == "FAILED"  # a failing feed does not hold them back
    assert upstream(found[REFRESH]) == upstream(found[EXPORT]) == finishers
    assert upstream(found[NOTIFY]) == {found[REFRESH].id, found[EXPORT].id}
    (summary,) = [t for name, t in found.items() if name.startswith("publish-summary")]
    assert upstream(summary) == {found[REFRESH].id, found[EXPORT].id, found[NOTIFY].id}  # it reports them all
    assert all(
        found[name].state.type.value == "COMPLETED" and found[name].run_count == 1 for name in (REFRESH, EXPORT, NOTIFY)
    )

    (exported,) = (tmp_path / "exports").iterdir()
    run_tag = str(state.state_details.flow_run_id).replace("-", "")[:8]
    assert exported.name.startswith("jobs-") and exported.name.endswith(f"-{run_tag}.parquet")
    assert pq.read_table(exported).num_rows == store.jobs.count() == sum(log["newJobs"] for log in logs.values()) > 0
    assert D.is_fresh(store)  # the refresh ran after every log finished

    (post,) = webhook.posts
    text = post.json()["blocks"][1]["text"]["text"]
    assert (
        post.json()["text"].startswith(":warning: jobfeed run import-")
        and "Partial - 2 of 3 feeds ok" in post.json()["text"]
    )
    assert (
        "refresh-duplicate-groups: full refresh" in text and f"export-jobs: wrote {store.jobs.count()} job(s)" in text
    )


def test_a_failing_follow_up_is_retried_named_and_undoes_nothing(
    store: Store, served: Any, webhook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, LogFilterLevel

    not_a_dir = tmp_path / "exports"
    not_a_dir.write_text("a file where EXPORT_DIR should be a directory")
    urls = [served.url(GOOD), served.url(OTHER)]
    state = run(monkeypatch, urls, EXPORT_DIR=str(not_a_dir))  # NOTIFY_RUN_SUMMARY: the default, failures
    assert (state.type.value, state.name) == ("COMPLETED", "Completed")  # the import was fine: not Failed
    assert state.message == "2 of 2 feeds ok; follow-up failed: export-jobs"

    run_id = str(state.state_details.flow_run_id)
    logs = store.logs.for_flow_run(run_id)
    assert sorted(log["status"] for log in logs) == ["success", "success"]
    assert store.jobs.count() == sum(log["newJobs"] for log in logs) > 0  # nothing undone

    found = task_runs(state, REFRESH, EXPORT, NOTIFY)
    assert found[EXPORT].state.type.value == "FAILED" and found[EXPORT].run_count == 1 + C.FOLLOW_UP_RETRIES
    assert found[REFRESH].state.type.value == "COMPLETED" and found[NOTIFY].state.type.value == "COMPLETED"
    assert not_a_dir.read_text().startswith("a file")

    (post,) = webhook.posts  # a follow-up failed: the run summary is sent under the default setting
    assert "export-jobs failed: FileExistsError" in post.json()["blocks"][1]["text"]["text"]

    def warnings() -> list[str]:
        flt = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run_id)]), level=LogFilterLevel(ge_=30))
        with get_client(sync_client=True) as client:
            return [log.message for log in client.read_logs(flt) if log.message.startswith("follow-up export-jobs")]

    assert "the import itself is not affected" in wait_until(warnings, 30, "the follow-up's WARNING line")[0]

    # the next run has a directory again: its export works, the earlier failure changed nothing
    state = run(monkeypatch, urls, EXPORT_DIR=str(tmp_path / "ok"), NOTIFY_RUN_SUMMARY="off")
    assert state.message == "2 of 2 feeds ok" and len(list((tmp_path / "ok").iterdir())) == 1
