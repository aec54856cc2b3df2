"""Run detail's Replay button (docs/provenance.md): shown only where the body is archived, and never failing
when Prefect cannot take the replay."""

from __future__ import annotations

import io

import pytest
from bson import ObjectId

from jobfeed.importlog import BODY_SHA256, REPLAY_DRY_RUN, REPLAY_OF
from jobfeed.store import Store
from jobfeed.store.archive import GridFSArchive
from tests.support.dashboard import no_exception
from tests.support.provenance import V1, body, sha256
from tests.support.seed import FEEDS, SECRET, T0, add_log, texts

pytestmark = pytest.mark.usefixtures("db_name")
JOBICY = next(iter(FEEDS))


def log_with_body(store: Store, data: bytes, **extra: object) -> str:
    log_id = add_log(store, url=JOBICY, started=T0)
    store.db.import_logs.update_one({"_id": ObjectId(log_id)}, {"$set": {BODY_SHA256: sha256(data), **extra}})
    return log_id


def test_an_archived_body_offers_a_replay_which_explains_a_missing_prefect_or_deployment(
    open_page, store: Store
) -> None:
    data = body(V1)
    GridFSArchive(store.db).put(sha256(data), io.BytesIO(data))
    log_id = log_with_body(store, data)
    at = open_page("run", query={"log": log_id})
    no_exception(at)
    assert f"Body `{sha256(data)[:12]}…` is archived" in texts(at)
    at.button(key=f"replay-{log_id}").click().run()
    no_exception(at)
    # no server here, or (after a test that started the harness) a server without the deployment: said, not raised
    warning = at.warning[0].value
    assert "No Prefect server is running" in warning or "No deployment `replay-import/on-demand`" in warning
    assert "Queued replay" not in texts(at) and SECRET not in texts(at)


def test_no_replay_for_a_body_that_is_not_archived_and_a_replay_names_its_source(open_page, store: Store) -> None:
    source = log_with_body(store, body(V1))  # the body was never kept (ARCHIVE=off then, or pruned)
    at = open_page("run", query={"log": source})
    no_exception(at)
    assert not [b for b in at.button if b.key == f"replay-{source}"]
    assert "is not archived" in texts(at)
    replay = log_with_body(store, body(V1), **{REPLAY_OF: source, REPLAY_DRY_RUN: True})
    at = open_page("run", query={"log": replay})
    no_exception(at)
    assert f"replay of [import log `{source}`](?log={source}): a dry run" in at.info[0].value


@pytest.mark.usefixtures("prefect_harness")
def test_replay_queues_a_run_of_the_replay_deployment(open_page, store: Store, monkeypatch) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    from jobfeed.cli.deploy import ensure_queues, ensure_work_pool
    from jobfeed.settings import reset_settings

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # AppTest's thread is outside the harness
    reset_settings()
    pool = f"replay-pool-{store.db.name[-20:]}".replace("_", "-").lower()
    ensure_work_pool(pool)
    ensure_queues(pool)
    data = body(V1)
    GridFSArchive(store.db).put(sha256(data), io.BytesIO(data))
    log_id = log_with_body(store, data)
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("replay-import")
        deployment = client.create_deployment(flow_id=flow_id, name="on-demand", work_pool_name=pool)
        try:
            at = open_page("run", query={"log": log_id})
            at.button(key=f"replay-{log_id}").click().run()
            no_exception(at)
            assert "Queued replay" in at.success[0].value
            (run,) = [r for r in client.read_flow_runs() if r.deployment_id == deployment]
            assert run.parameters == {"log_id": log_id} and {"manual", "replay", "dashboard"} <= set(run.tags)
            assert at.get("link_button")[-1].proto.url.endswith(f"/runs/flow-run/{run.id}")
        finally:
            client.delete_deployment(deployment)
