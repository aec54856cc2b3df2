"""The local stack (`jobfeed stack up|down|status`): Mongo-compatible server, Redis, Prefect server and workers.

Starting, waiting for, stopping and reporting the services that jobfeed/stack/services.py describes.
"""

from __future__ import annotations

import dataclasses
import fcntl
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

from jobfeed import constants as C
from jobfeed.settings import Settings
from jobfeed.stack import procs as P
from jobfeed.stack.services import (  # ServiceStatus re-exported: up, down and status return it
    Service,
    ServiceStatus,
    local_port,
    recorded_workers,
    services_for,
    worker_names,
)

__all__ = ["ServiceStatus", "down", "status", "up"]


@contextmanager
def _stack_lock(settings: Settings) -> Iterator[None]:
    """Serialise `up` and `down`, so two terminals cannot start the same server twice."""
    path = settings.state_dir.resolve() / "run" / "stack.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _external(svc: Service) -> ServiceStatus:
    try:
        reachable = svc.healthy()
    except Exception:  # noqa: BLE001 - a report on a server we do not manage must not fail `stack up`/`status`
        reachable = False
    where = "reachable" if reachable else "not reachable from here"
    return svc.status("external", detail=f"{svc.setting} points elsewhere; not managed by jobfeed ({where})")


def _foreign_port(svc: Service) -> str:
    return (
        f"port {svc.port} on 127.0.0.1 is already in use by a process jobfeed did not start; "
        f"stop it or set {svc.setting} to another port"
    )


def up(settings: Settings, *, prefect: bool = True, worker: bool = False, workers: int = 1) -> list[ServiceStatus]:
    """Start every local service (with `worker`: `workers` Prefect workers) not already running; idempotent."""
    results: dict[str, ServiceStatus] = {}
    with _stack_lock(settings):
        services = services_for(settings, prefect=prefect, workers=worker_names(workers) if worker and prefect else ())
        waiting: list[tuple[Service, int, subprocess.Popen[bytes] | None, str]] = []
        for svc in services:  # start everything first, then wait: the servers boot in parallel
            if svc.port is None:
                results[svc.name] = _external(svc)
                continue
            note = ""
            record = P.read_pid_file(svc.pid_path)
            if record is not None and P.is_ours(record):
                waiting.append((svc, record.pid, None, ""))  # ours: maybe healthy, maybe still booting
                continue
            if record is not None:
                svc.pid_path.unlink(missing_ok=True)
                note = f"removed stale pid file (pid {record.pid} is gone or another program); "
            if svc.listens and P.port_in_use(svc.port):
                results[svc.name] = svc.status("failed", detail=note + _foreign_port(svc))
                continue
            try:
                proc = svc.start()
            except OSError as exc:  # a missing binary or an unwritable state dir
                results[svc.name] = svc.status("failed", detail=f"{note}could not start: {exc}")
                continue
            P.write_pid_file(svc.pid_path, proc.pid, svc.markers)
            waiting.append((svc, proc.pid, proc, note))
        for svc, pid, spawned, note in waiting:  # spawned: None when the process was already running
            results[svc.name] = _await_healthy(svc, pid, spawned, note)
        if results["mongo"].state in ("started", "running"):
            results["mongo"] = _with_indexes(settings, results["mongo"])
    return [results[svc.name] for svc in services]


def _with_indexes(settings: Settings, mongo: ServiceStatus) -> ServiceStatus:
    """Create the database's indexes on the stack's own server, now that it answers (idempotent).

    Here and not in the clients: the dashboard, the API and the metrics exporter only read.
    """
    from pymongo.errors import PyMongoError

    from jobfeed.store import Store

    port = local_port(settings.mongodb_uri, ("mongodb",), 27017)
    # the address the health check used: the server presents itself as a replica set (directConnection)
    local = settings.model_copy(update={"mongodb_uri": f"mongodb://127.0.0.1:{port}/?directConnection=true"})
    store = Store.from_settings(local)
    try:
        report = store.migrate(datetime.now(UTC)).indexes  # the layout of this version, older data upgraded
    except PyMongoError as exc:
        return dataclasses.replace(mongo, state="failed", detail=f"{mongo.detail}; could not create indexes: {exc}")
    finally:
        store.close()
    made = f"indexes of `{settings.mongodb_db}`: {len(report.created)} created, {len(report.existing)} present"
    return dataclasses.replace(mongo, detail=f"{mongo.detail}; {made}" if mongo.detail else made)


def _await_healthy(svc: Service, pid: int, proc: subprocess.Popen[bytes] | None, note: str) -> ServiceStatus:
    """Wait (bounded) for a service to answer; a fresh process that does not is stopped again."""
    what = f"{svc.name} on 127.0.0.1:{svc.port}" if svc.listens else svc.name
    try:
        P.wait_until(svc.healthy, C.SERVICE_START_TIMEOUT_S, what, proc=proc, log_path=svc.log_path)
    except P.ServiceStartError as exc:
        if proc is not None:  # leave nothing half-started behind
            P.stop_process(pid)
            svc.pid_path.unlink(missing_ok=True)
        return svc.status("failed", pid if proc is None else None, note + str(exc))
    if proc is None:
        return svc.status("running", pid, "already running")
    return svc.status("started", pid, note + f"logs: {svc.log_path}")


def down(settings: Settings) -> list[ServiceStatus]:
    """Stop the servers this stack started (pid file written by us and cmdline still matching)."""
    results: list[ServiceStatus] = []
    stopping: list[tuple[int, Service, Future[bool]]] = []
    with _stack_lock(settings):
        services = services_for(settings, prefect=True, workers=recorded_workers(settings))
        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            for svc in services:
                # Go by pid files, not by the current URLs: a server started before MONGODB_URI changed
                # must still be stoppable.
                record = P.read_pid_file(svc.pid_path)
                if record is not None and P.is_ours(record):
                    # stopped in parallel: each clean shutdown takes 1-3 s
                    killed = pool.submit(P.stop_process, record.pid)
                    results.append(svc.status("stopped", record.pid))
                    stopping.append((len(results) - 1, svc, killed))
                elif record is not None:
                    svc.pid_path.unlink(missing_ok=True)
                    detail = f"removed stale pid file (pid {record.pid} is gone or another program; left alone)"
                    results.append(svc.status("not running", None, detail))
                elif not svc.listens:
                    continue  # no worker was started: nothing to report
                elif svc.port is None:
                    detail = f"{svc.setting} points elsewhere; not managed by jobfeed"
                    results.append(svc.status("external", detail=detail))
                else:
                    results.append(svc.status("not running"))
            for index, svc, killed in stopping:
                if killed.result():
                    detail = f"did not exit within {C.SERVICE_STOP_TIMEOUT_S:.0f} s; killed"
                    results[index] = dataclasses.replace(results[index], detail=detail)
                svc.pid_path.unlink(missing_ok=True)
    return results


def status(settings: Settings) -> list[ServiceStatus]:
    """Report each service's state; starts and stops nothing, and removes nothing."""
    results: list[ServiceStatus] = []
    for svc in services_for(settings, prefect=True, workers=recorded_workers(settings)):
        if svc.port is None:
            results.append(_external(svc))
            continue
        if not svc.listens and not svc.pid_path.exists():
            continue  # no worker was started: nothing to report
        record = P.read_pid_file(svc.pid_path)
        if record is not None and P.is_ours(record):
            try:
                healthy = svc.healthy()
            except Exception:  # noqa: BLE001 - `stack status` reports an unhealthy service, it never raises
                healthy = False
            if healthy:
                results.append(svc.status("running", record.pid))
            else:
                detail = P.with_log_tail(
                    f"process {record.pid} is alive but not answering (still starting?)", svc.log_path
                )
                results.append(svc.status("failed", record.pid, detail))
            continue
        detail = f"stale pid file (pid {record.pid} is gone)" if record is not None else ""
        if svc.listens and P.port_in_use(svc.port):
            detail = (detail + "; " if detail else "") + _foreign_port(svc)
        results.append(svc.status("not running", None, detail))
    return results
