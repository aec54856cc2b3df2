"""Running the import flow from the CLI: point Prefect at the right server, show progress, collect logs."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobfeed.importlog import ImportLog, LogField, is_failing
from jobfeed.reasons import FailureReason
from jobfeed.redact import redact_text
from jobfeed.settings import Settings

NETWORK_REASONS = {FailureReason.DNS_ERROR, FailureReason.NETWORK_ERROR, FailureReason.TIMEOUT}
POLL_S = 0.5  # progress refresh: fast enough to feel live, cheap for the database


@dataclass
class ImportResult:
    """What the CLI prints and exits with."""

    logs: list[dict[str, Any]]
    flow_run_id: str | None
    exit_code: int
    notes: list[str] = field(default_factory=list)


def use_prefect_server(settings: Settings) -> str | None:
    """Point this process at a Prefect API: PREFECT_API_URL, else the local stack's; None = temporary."""
    from jobfeed.ops.prefect import prefect_api_url

    url = prefect_api_url(settings)
    if url:
        os.environ["PREFECT_API_URL"] = url
    return url


def run_import(
    settings: Settings,
    *,
    feeds_file: str | None,
    feed_urls: list[str] | None,
    feed_count: int,
    quiet: bool,
    console: Console,
) -> ImportResult:
    """Run flow `import-feeds` in this process and wait; read back this run's ImportLogs."""
    notes: list[str] = []
    if use_prefect_server(settings) is None:
        notes.append(
            "[yellow]No Prefect server running: used a temporary one (slower). `jobfeed stack up` starts one.[/yellow]"
        )

    from flows.import_feeds import import_feeds  # after the env is set: Prefect reads it at import
    from jobfeed.store import get_store

    store = get_store(settings)
    started = datetime.now(UTC)
    stop = threading.Event()
    watcher = None
    if not quiet:
        watcher = threading.Thread(target=_show_progress, args=(store, started, feed_count, stop, console), daemon=True)
        watcher.start()
    try:
        with _without_heartbeats():
            state = import_feeds(feeds_file=feeds_file, feed_urls=feed_urls, return_state=True)
    finally:
        stop.set()
        if watcher:
            watcher.join(timeout=5)
    flow_run_id = str(state.state_details.flow_run_id) if state.state_details.flow_run_id else None
    logs = store.logs.for_flow_run(flow_run_id) if flow_run_id else []
    logs.sort(key=lambda doc: doc.get(LogField.FEED_NAME) or "")
    typed = [ImportLog.from_doc(doc) for doc in logs]
    flow_failed = state.is_failed() or state.is_crashed()
    exit_code = exit_code_of(typed, flow_completed=not flow_failed)
    if flow_failed:
        message = redact_text(state.message or "")[:300]
        notes.append(f"[red]flow run ended {state.type.value}:[/red] {message}")
    notes.extend(network_notes(typed))
    return ImportResult(logs=logs, flow_run_id=flow_run_id, exit_code=exit_code, notes=notes)


def network_notes(logs: Iterable[ImportLog]) -> list[str]:
    """Hints for feeds that failed with a network reason: "no internet here?" for feeds on other hosts; for
    feeds on this machine or a private network (127.0.0.1:8765, localhost, 10.x), whether that server runs."""
    local: list[str] = []
    remote = False
    for log in logs:
        if not (log.error and log.error.reason in NETWORK_REASONS):
            continue
        where = _local_netloc(log.file_name)
        if where is None:
            remote = True
        elif where not in local:
            local.append(where)
    notes = []
    if remote:
        notes.append(
            "Feeds failed with a network reason: no internet here? `make demo` imports the bundled samples offline."
        )
    if local:
        notes.append(f"Nothing answered at {', '.join(local)} (this machine or its network): is that server running?")
    return notes


def _local_netloc(url: str) -> str | None:
    """`host:port` of a URL on loopback, a private network or `localhost`; None for any other host."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    from jobfeed.fetch.netguard import forbidden_reason

    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    try:
        local = host == "localhost" or host.endswith(".localhost") or forbidden_reason(ip_address(host)) is not None
    except ValueError:  # a name, not an address: somewhere else
        local = False
    if not local:
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


def exit_code_of(logs: Iterable[ImportLog], *, flow_completed: bool = True) -> int:
    """The exit code of a finished import (contract): 1 when the flow run did not complete or any feed is
    failing (failed, partial), else 0 (every feed success, not_modified or skipped)."""
    return 0 if flow_completed and not any(is_failing(log.status) for log in logs) else 1


def _without_heartbeats() -> AbstractContextManager[Any]:
    """No flow-run heartbeats for an import run in this process, unless the operator asked for them.

    Prefect's heartbeats feed an automation that marks zombie runs of *deployments* crashed (the
    hourly schedule and `run-now` go through the worker, where they stay on). A CLI run is watched by
    its own terminal, and a killed one is recovered by the next run's start-run (via Prefect's state
    or the lock TTL). The heartbeat thread sleeps in 1 s steps and is joined at exit: ~1 s on every
    `jobfeed import` (bench/README.md, fixed costs), a third of a run where nothing changed.
    """
    if os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY") or os.environ.get("PREFECT_RUNNER_HEARTBEAT_FREQUENCY"):
        return nullcontext()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _show_progress(store: Any, started: datetime, total: int, stop: threading.Event, console: Console) -> None:
    """Count this run's finished ImportLogs while the flow runs (a separate thread, read-only)."""
    with Progress(
        TextColumn("importing feeds"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        bar = progress.add_task("feeds", total=total)
        while not stop.wait(POLL_S):
            try:
                done = store.logs.count_finished_since(started)
            except Exception:  # noqa: BLE001 - progress is best effort; the flow reports real errors
                continue
            progress.update(bar, completed=min(done, total))
