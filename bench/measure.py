"""Measuring one command: wall-clock, peak RSS of that process alone (wait4), output; Prefect task runs."""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

STDERR_TAIL_CHARS = 2000


@dataclass(frozen=True)
class Measured:
    """One finished command: how long, how much memory at peak, how it ended, what it printed."""

    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr_tail: str
    timed_out: bool = False
    stopped: bool = False  # ended by the caller's stop condition (see run_measured)


def run_measured(
    argv: Sequence[str], *, env: dict[str, str], cwd: Path, timeout_s: float,
    stop_when: Callable[[], bool] | None = None, poll_s: float = 0.25,
) -> Measured:  # fmt: skip
    """Run argv to the end (killed after timeout_s, or once `stop_when()` is true); time and peak RSS.

    Peak RSS comes from wait4 on exactly this child, like `/usr/bin/time -v`: the kernel's
    ru_maxrss of that one process, not the max over every child this benchmark ever ran (which
    RUSAGE_CHILDREN would give). A killed process still reports its high-water mark.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)  # fmt: skip
        expired, stopped, done = threading.Event(), threading.Event(), threading.Event()

        def _watch() -> None:  # kills on timeout or stop condition; ends as soon as the child is reaped
            deadline = time.monotonic() + timeout_s
            while not done.wait(poll_s):
                try:
                    hit = stop_when is not None and stop_when()
                except Exception:
                    hit = False
                if hit or time.monotonic() >= deadline:
                    (stopped if hit else expired).set()
                    with contextlib.suppress(ProcessLookupError):  # it may have exited meanwhile
                        os.killpg(proc.pid, signal.SIGKILL)
                    return

        watcher = threading.Thread(target=_watch, name="bench-run-watch", daemon=True)
        watcher.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            done.set()
            watcher.join(timeout=5)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        return Measured(
            seconds=seconds, max_rss_mb=usage.ru_maxrss / 1024, returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"), stderr_tail=stderr[-STDERR_TAIL_CHARS:],
            timed_out=expired.is_set(), stopped=stopped.is_set(),
        )  # fmt: skip


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def task_runs(api_url: str, flow_run_id: str, *, settle_s: float = 2.0, max_wait_s: float = 60.0) -> Counter[str]:
    """Task runs of one flow run by task name, read via the Prefect client once the count is stable.

    The server records task runs from events after the flow returned, so the count grows for a
    moment; it is read until it has not changed for `settle_s` (bounded by max_wait_s).
    """
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flt = FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)]))
    deadline = time.monotonic() + max_wait_s
    last: Counter[str] | None = None
    stable_since = time.monotonic()
    with SyncPrefectClient(api_url) as client:
        while True:
            names: Counter[str] = Counter()
            for offset in range(0, 100_000, 200):  # bounded paging, 200 per page (the server's cap)
                page = client.read_task_runs(flow_run_filter=flt, limit=200, offset=offset)
                names.update(_task_name(run) for run in page)
                if len(page) < 200:
                    break
            now = time.monotonic()
            if names != last:
                last, stable_since = names, now
            if now - stable_since >= settle_s or now > deadline:
                return last
            time.sleep(0.5)


def _task_name(run: Any) -> str:
    """The task's name (task_key is `name-hash`): fetch-and-normalize, upsert-batch, ..."""
    key = str(getattr(run, "task_key", "") or run.name)
    return key.rsplit("-", 1)[0] if "-" in key else key
