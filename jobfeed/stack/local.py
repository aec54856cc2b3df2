"""The local stack (`jobfeed stack up|down|status`): Mongo-compatible server, Redis, Prefect server and workers."""

from __future__ import annotations

import dataclasses
import fcntl
import re
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from jobfeed import constants as C
from jobfeed.redact import redact_url
from jobfeed.settings import LOCAL_PREFECT_API_URL, Settings
from jobfeed.stack import procs as P
from jobfeed.stack import servers as S

State = Literal["running", "started", "stopped", "external", "failed", "not running"]
WORKER = "worker"  # the first worker's service name; `up --workers N` adds worker-2 ... worker-N
_WORKER_NAME = re.compile(rf"{WORKER}(?:-([0-9]+))?")  # the service names worker_names() hands out
PROJECT_DIR = Path(__file__).resolve().parents[2]  # the worker runs flows from the checkout


@dataclass(frozen=True)
class ServiceStatus:
    """One service's state as reported to the CLI (url has its password redacted)."""

    name: str
    state: State
    url: str
    pid: int | None = None
    detail: str = ""
    log_path: Path | None = None

    @property
    def ok(self) -> bool:
        """True unless the service failed (external and not-running are not failures of ours)."""
        return self.state != "failed"


@dataclass(frozen=True)
class _Service:
    name: str
    url: str  # redacted, for display
    port: int | None  # None: external, not ours to start or stop
    setting: str  # the environment variable that chose this address, named in error messages
    healthy: Callable[[], bool]
    start: Callable[[], subprocess.Popen[bytes]]
    markers: tuple[str, ...]  # what /proc/<pid>/cmdline must contain for the process to still be ours
    state_dir: Path
    listens: bool = True  # False for the worker: it has no port of its own to check or free

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "run" / f"{self.name}.pid"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "logs" / f"{self.name}.log"

    def status(self, state: State, pid: int | None = None, detail: str = "") -> ServiceStatus:
        return ServiceStatus(self.name, state, self.url, pid, detail, None if self.port is None else self.log_path)


def _local_port(url: str, schemes: tuple[str, ...], default_port: int) -> int | None:
    """The port when url names a single loopback host with one of `schemes`, else None (external)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in schemes:
        return None  # mongodb+srv://, rediss://, unix://, https://: not a server we can run here
    netloc = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if "," in netloc:
        return None  # a replica-set seed list is somebody else's cluster
    try:
        parts = urlsplit(f"http://{netloc}")
        return parts.port or default_port if parts.hostname in P.LOOPBACK_HOSTS else None
    except ValueError:
        return None


def worker_names(count: int) -> list[str]:
    """Service names of `count` workers: the first keeps the single worker's name, then worker-2, worker-3..."""
    return [f"{WORKER}-{i}" if i > 1 else WORKER for i in range(1, count + 1)]


def _recorded_workers(settings: Settings) -> list[str]:
    """Names of the workers with a pid file, in start order: `down` and `status` must see every one."""
    numbered: dict[str, int] = {}
    for path in (settings.state_dir.resolve() / "run").glob(f"{WORKER}*.pid"):
        if match := _WORKER_NAME.fullmatch(path.stem):
            numbered[path.stem] = int(match[1] or 1)
    return sorted(numbered, key=numbered.__getitem__)


def _pid_alive(pid_path: Path) -> bool:
    """True when the pid file names a live process (a worker has no port to ping)."""
    record = P.read_pid_file(pid_path)
    return record is not None and P.process_alive(record.pid)


def _services(settings: Settings, *, prefect: bool = True, workers: Sequence[str] = ()) -> list[_Service]:
    state = settings.state_dir.resolve()
    services: list[_Service] = []

    port = _local_port(settings.mongodb_uri, ("mongodb",), 27017)
    mongo_uri = settings.mongodb_uri if port is None else f"mongodb://127.0.0.1:{port}/?directConnection=true"
    services.append(_Service(
        "mongo", redact_url(settings.mongodb_uri), port, "MONGODB_URI",
        lambda: S.mongo_ping(mongo_uri),
        lambda: S.start_mongo_process(port or 0, state / "mongo", state / "logs" / "mongo.log"),
        ("secantusd-py", f"--port {port}"), state,
    ))  # fmt: skip

    port_r = _local_port(settings.redis_url, ("redis",), 6379)
    password = urlsplit(settings.redis_url).password if port_r is not None else None
    services.append(_Service(
        "redis", redact_url(settings.redis_url), port_r, "REDIS_URL",
        lambda: S.redis_ping(settings.redis_url),
        lambda: S.start_redis_process(
            port_r or 0, state / "redis", state / "logs" / "redis.log", unquote(password) if password else None
        ),
        ("redis-server", str(port_r)),  # redis rewrites its cmdline to "<binary> 127.0.0.1:<port>"
        state,
    ))  # fmt: skip

    api_url = settings.prefect_api_url or LOCAL_PREFECT_API_URL
    if prefect:
        port_p = _local_port(api_url, ("http",), 80)
        services.append(_Service(
            "prefect", redact_url(api_url), port_p, "PREFECT_API_URL",
            lambda: S.http_ok(api_url.rstrip("/") + "/health"),
            lambda: S.start_prefect_process(port_p or 0, state / "prefect", state / "logs" / "prefect.log"),
            ("prefect", "server start", f"--port {port_p}"), state,
        ))  # fmt: skip
    for name in workers:
        pid_path = state / "run" / f"{name}.pid"
        # One Prefect worker name per process and host: Prefect shows same-named workers on a pool as one.
        worker_name = f"jobfeed-{name}-{socket.gethostname()}"
        services.append(_Service(
            name, f"pool {settings.work_pool} -> {redact_url(api_url)}", 0, "PREFECT_API_URL",
            partial(_pid_alive, pid_path),
            partial(S.start_worker_process, api_url, settings.work_pool, state / "logs" / f"{name}.log", PROJECT_DIR,
                    name=worker_name),
            ("prefect", "worker start", f"--pool {settings.work_pool}", f"--name {worker_name}"), state, listens=False,
        ))  # fmt: skip
    return services


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


def _external(svc: _Service) -> ServiceStatus:
    try:
        reachable = svc.healthy()
    except Exception:  # noqa: BLE001 - a report on a server we do not manage must not fail `stack up`/`status`
        reachable = False
    where = "reachable" if reachable else "not reachable from here"
    return svc.status("external", detail=f"{svc.setting} points elsewhere; not managed by jobfeed ({where})")


def _foreign_port(svc: _Service) -> str:
    return (
        f"port {svc.port} on 127.0.0.1 is already in use by a process jobfeed did not start; "
        f"stop it or set {svc.setting} to another port"
    )


def up(settings: Settings, *, prefect: bool = True, worker: bool = False, workers: int = 1) -> list[ServiceStatus]:
    """Start every local service (with `worker`: `workers` Prefect workers) not already running; idempotent."""
    results: dict[str, ServiceStatus] = {}
    with _stack_lock(settings):
        services = _services(settings, prefect=prefect, workers=worker_names(workers) if worker and prefect else ())
        waiting: list[tuple[_Service, int, subprocess.Popen[bytes] | None, str]] = []
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

    port = _local_port(settings.mongodb_uri, ("mongodb",), 27017)
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


def _await_healthy(svc: _Service, pid: int, proc: subprocess.Popen[bytes] | None, note: str) -> ServiceStatus:
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
    stopping: list[tuple[int, _Service, Future[bool]]] = []
    with _stack_lock(settings):
        services = _services(settings, prefect=True, workers=_recorded_workers(settings))
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
    for svc in _services(settings, prefect=True, workers=_recorded_workers(settings)):
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
