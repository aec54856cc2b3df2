"""Retry policy: one declaration per task, delays read from RETRY_BACKOFF_S when a retry happens."""

from __future__ import annotations

import pytest

from jobfeed.settings import reset_settings
from tasks.policy import Backoff, retrying


def test_delays_follow_the_setting_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    delays = Backoff(3)
    monkeypatch.setenv("RETRY_BACKOFF_S", "0")
    reset_settings()
    assert (len(delays), list(delays), delays[2]) == (3, [0.0, 0.0, 0.0], 0.0)
    monkeypatch.setenv("RETRY_BACKOFF_S", "1.5")
    reset_settings()
    assert (list(delays), delays[-1], delays[1:]) == ([1.5, 3.0, 6.0], 6.0, [3.0, 6.0])
    monkeypatch.undo()  # the session's RETRY_BACKOFF_S=0 again, for the tests after this one
    reset_settings()


def test_declared_tasks_keep_the_run_time_delays() -> None:
    from tasks.fetch import fetch_and_normalize
    from tasks.upsert import upsert_batch

    for task, options in ((fetch_and_normalize, retrying(2)), (upsert_batch, retrying(3))):
        assert task.retries == options["retries"] and isinstance(task.retry_delay_seconds, Backoff)
        assert task.retry_condition_fn is options["retry_condition_fn"]
        assert isinstance(task.with_options(name="copy").retry_delay_seconds, Backoff)  # survives with_options
