"""Running flow `import-feeds` in this process and checking what it wrote (the reliability suite's harness)."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest


def forget_process_state() -> None:
    """Drop cached settings, Mongo clients and Redis lock clients (each is rebuilt from the env on use)."""
    from jobfeed.ops import locks
    from jobfeed.settings import reset_settings
    from jobfeed.store import close_stores

    reset_settings()
    close_stores()
    for held in locks._LOCKS.values():
        held.client.close()
    locks._LOCKS.clear()


def in_thread(target: Callable[[], None]) -> threading.Thread:
    """Start target in a daemon thread that sees this thread's Prefect settings (a context copy)."""
    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), daemon=True)
    thread.start()
    return thread


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll until check() is truthy; fail the test (never hang) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def check_log(log: dict[str, Any]) -> None:
    """The ImportLog contract: finished, counts add up, failures listed as counted."""
    assert log["status"] in {"success", "not_modified", "partial", "failed", "skipped"}, log
    assert log["totalFetched"] == log["newJobs"] + log["updatedJobs"] + log["unchangedJobs"] + log["failedJobs"], log
    assert log["totalImported"] == log["newJobs"] + log["updatedJobs"], log
    assert log["finishedAt"] is not None and log["timestamp"] == log["finishedAt"], log
    if not log.get("failuresTruncated"):
        assert len(log["failures"]) == log["failedJobs"], log
    assert sum((log.get("failuresByReason") or {}).values()) == log["failedJobs"], log
    if log["status"] in {"failed", "skipped"} and log.get("error"):
        assert log["error"]["reason"] and log["error"]["message"], log


def import_once(store: Any, urls: list[str]) -> dict[str, dict[str, Any]]:
    """One import-feeds flow run in this process; its ImportLogs by feed URL, each checked against the contract
    and with its working files gone."""
    import os
    from pathlib import Path

    from flows.import_feeds import import_feeds

    state = import_feeds(feed_urls=urls, return_state=True)
    logs = store.logs.for_flow_run(str(state.state_details.flow_run_id))
    assert len(logs) == len(urls), state
    for log in logs:
        check_log(log)
        assert not (Path(os.environ["SPOOL_DIR"]) / str(log["_id"])).exists()
    return {log["fileName"]: log for log in logs}


@dataclass
class FlowResult:
    state: Any
    logs: dict[str, dict[str, Any]]  # this run's ImportLogs by feed URL

    @property
    def flow_run_id(self) -> str:
        return str(self.state.state_details.flow_run_id)

    def __getitem__(self, url: str) -> dict[str, Any]:
        return self.logs[url]


class Pipeline:
    """Runs flow `import-feeds` in this process and reads back what it wrote."""

    @property
    def store(self) -> Any:
        """The Store of the current settings (rebuilt after set_env, like the flow's own)."""
        from jobfeed.store import get_store

        return get_store()

    def run(self, urls: list[str], *, check: bool = True) -> FlowResult:
        from flows.import_feeds import import_feeds

        state = import_feeds(feed_urls=urls, return_state=True)
        result = self.result_of(state)
        if check:
            assert sorted(result.logs) == sorted(urls), (sorted(result.logs), state)
            from jobfeed.importlog import ImportLog
            from jobfeed.ops.report import run_outcome

            # Completed / Partial / Failed as the feeds call for (a bug makes it Failed whatever they say)
            expected = run_outcome([ImportLog.from_doc(log) for log in result.logs.values()])
            assert (state.name, state.message) == (expected.verdict.value, expected.message), state
            for log in result.logs.values():
                check_log(log)
        return result

    def result_of(self, state: Any) -> FlowResult:
        flow_run_id = state.state_details.flow_run_id
        logs = self.store.logs.for_flow_run(str(flow_run_id)) if flow_run_id else []
        return FlowResult(state, {log["fileName"]: log for log in logs})

    def jobs_of(self, url: str) -> list[dict[str, Any]]:
        """Job documents that list this feed URL."""
        return list(self.store.db.jobs.find({"feeds": url}))
