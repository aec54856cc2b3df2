"""`jobfeed run-now --watch`: follow a queued run to its end, saying what happens while it goes.

One line when the run changes state, one line per feed as its ImportLog finishes, and, while the run has
not started, why not (the work pool is paused, or no worker polls it) instead of waiting silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console

from jobfeed.cli.render import feed_line
from jobfeed.importlog import LogField, LogStatus
from jobfeed.ops.runs import RunView
from jobfeed.settings import Settings

POLL_S = 1.0
POOL_CHECK_S = 5.0  # how often a run that has not started asks why (a worker polls every ~5-15 s)
NOT_STARTED = frozenset({"SCHEDULED", "PENDING", "PAUSED"})


def watch_run(
    settings: Settings,
    run_id: str,
    console: Console,
    *,
    timeout_s: float | None = None,
    state: str = "",
    read_run: Callable[[Settings, str], RunView] | None = None,
    read_logs: Callable[[str], list[dict[str, Any]]] | None = None,
    pool_reason: Callable[[], str | None] | None = None,
    read_states: Callable[[Settings, str], list[str]] | None = None,
) -> RunView:
    """Poll the run until it is over (or timeout_s passed), printing as it goes; returns its last view.

    state: the state name already shown (not repeated). The readers default to the Prefect server, the
    store and the work pool of `settings`. A change is printed from the run's state history, so a state
    shorter than a poll (`Running` of a quick run) is still shown."""
    read_run = read_run or _prefect_run
    read_logs = read_logs or _store_logs(settings)
    pool_reason = pool_reason or _pool_reason(settings)
    read_states = read_states or _prefect_states
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    shown: set[str] = set()
    printed = 0  # entries of the run's state history already accounted for
    said: str | None = None
    next_pool_check = 0.0
    while True:
        view = read_run(settings, run_id)
        if view.state_name != state:
            history = read_states(settings, run_id) or [view.state_name]
            for name in _unseen(history[printed:], state):
                console.print(f"run {view.name}: {name}", highlight=False)
            printed, state = len(history), view.state_name
        for doc in read_logs(run_id):
            key = str(doc.get(LogField.ID))
            if doc.get(LogField.STATUS) != LogStatus.RUNNING.value and key not in shown:
                shown.add(key)
                console.print(feed_line(doc), highlight=False)
        if view.terminal:
            return view
        if view.state in NOT_STARTED and time.monotonic() >= next_pool_check:
            next_pool_check = time.monotonic() + POOL_CHECK_S
            reason = pool_reason()
            if reason and reason != said:
                console.print(f"[yellow]{reason}[/yellow] (Ctrl-C stops watching; the run stays queued)")
            said = reason
        if deadline is not None and time.monotonic() >= deadline:
            return view
        time.sleep(POLL_S)


def _unseen(names: list[str], shown: str) -> list[str]:
    """The state names not printed yet: consecutive repeats and the one already on screen left out."""
    out: list[str] = []
    for name in names:
        if name != (out[-1] if out else shown):
            out.append(name)
    return out


def _prefect_states(settings: Settings, run_id: str) -> list[str]:
    from jobfeed.ops.runs import state_history

    return state_history(settings, run_id)


def _prefect_run(settings: Settings, run_id: str) -> RunView:
    from jobfeed.ops.runs import read_run

    return read_run(settings, run_id)


def _store_logs(settings: Settings) -> Callable[[str], list[dict[str, Any]]]:
    from jobfeed.store import get_store

    store = get_store(settings)
    return lambda run_id: sorted(store.logs.for_flow_run(run_id), key=lambda d: str(d.get(LogField.FINISHED_AT)))


def _pool_reason(settings: Settings) -> Callable[[], str | None]:
    from jobfeed.ops.pool import pool_status, waiting_reason
    from jobfeed.ops.prefect import PrefectUnavailableError

    def reason() -> str | None:
        try:
            return waiting_reason(pool_status(settings))
        except PrefectUnavailableError as exc:
            return str(exc)

    return reason
