"""The dashboard's write actions (dashboard/actions.py) on the real database; Prefect links and failures."""

from __future__ import annotations

from dashboard import actions
from jobfeed.ops.prefect import prefect_ui_url
from jobfeed.settings import Settings
from jobfeed.stack.procs import free_port
from jobfeed.store import Store
from tests.support.seed import FEEDS, T0, seed_dead_letters

JOBICY = next(iter(FEEDS))


def test_disable_and_enable_a_feed(store: Store) -> None:
    actions.set_feed_disabled(store, JOBICY, True)
    assert store.feeds.is_disabled(JOBICY)
    actions.set_feed_disabled(store, JOBICY, False)
    assert not store.feeds.is_disabled(JOBICY)


def test_redrive_processes_pending_letters_of_a_reason_oldest_first(store: Store) -> None:
    keys = seed_dead_letters(store, {"db_error": 3, "http_5xx": 2})
    store.dead_letters.mark_redriven(keys[0], now=T0, result={})  # already re-driven: not again
    result = actions.redrive(store, reason="db_error", limit=1)
    assert (result.attempted, result.resolved) == (1, 1)
    resolved = {d["key"] for d in store.dead_letters.coll.find({"redrivenAt": {"$ne": None}})}
    assert resolved == {"db_error-0", "db_error-1"}
    result = actions.redrive(store)
    assert (result.attempted, result.resolved) == (3, 3) and store.dead_letters.count_by_reason() == {}
    assert actions.redrive(store).attempted == 0


def test_prefect_links() -> None:
    assert prefect_ui_url(Settings(prefect_ui_url="https://prefect.example/")) == "https://prefect.example"
    assert prefect_ui_url(Settings(prefect_api_url="http://10.0.0.5:4200/api")) == "http://10.0.0.5:4200"
    assert prefect_ui_url(Settings()) == "http://127.0.0.1:4200"
    assert actions.flow_run_url("abc", Settings(prefect_ui_url="http://p")) == "http://p/runs/flow-run/abc"


def test_run_control_with_the_prefect_server_down(monkeypatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    for result in (actions.submit(Settings()), actions.cancel("00000000-0000-0000-0000-000000000000", Settings())):
        assert not result.ok and "ConnectError" in result.message and "jobfeed stack up" in result.message
        assert result.run is None


def test_run_control_without_any_prefect_server(monkeypatch) -> None:
    from jobfeed.ops import prefect

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    # other people's local stacks may answer on 127.0.0.1:4200 here: stand in "no healthy local server"
    monkeypatch.setattr(prefect, "local_prefect_api_url", lambda settings: None)
    result = actions.submit(Settings(prefect_api_url=None), feed_urls=["https://jobicy.com/?feed=job_feed"])
    assert not result.ok and result.message.startswith("No Prefect server is running")
    assert "jobfeed stack up" in result.message
