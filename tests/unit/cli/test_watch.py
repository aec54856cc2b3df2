"""`run-now --watch` prints every state the run went through, even one shorter than its poll."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from jobfeed.cli.watch import watch_run
from jobfeed.ops.runs import RunView
from jobfeed.settings import get_settings


def view(state: str, name: str) -> RunView:
    return RunView(id="r1", name="import-x", state=state, state_name=name, message=None, deployment=None,
                   priority=None, parameters={}, tags=[], created_at=None, scheduled_for=None, started_at=None,
                   finished_at=None)  # fmt: skip


def test_a_state_between_two_polls_is_printed_from_the_history(monkeypatch: Any) -> None:
    monkeypatch.setattr("jobfeed.cli.watch.POLL_S", 0.0)
    polls = iter([view("PENDING", "Pending"), view("COMPLETED", "Completed")])  # Running fell between polls
    history = {"Pending": ["Scheduled", "Pending"], "Completed": ["Scheduled", "Pending", "Running", "Completed"]}
    last: dict[str, RunView] = {}

    def read_run(settings: Any, run_id: str) -> RunView:
        last["view"] = next(polls)
        return last["view"]

    out = io.StringIO()
    ended = watch_run(get_settings(), "r1", Console(file=out, width=200), state="Scheduled", read_run=read_run,
                      read_logs=lambda run_id: [], pool_reason=lambda: None,
                      read_states=lambda settings, run_id: history[last["view"].state_name])  # fmt: skip
    assert ended.state_name == "Completed"
    assert out.getvalue().splitlines() == ["run import-x: Pending", "run import-x: Running", "run import-x: Completed"]
