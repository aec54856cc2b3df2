"""The stack's services as the settings describe them: which ones, where they listen, whether they are ours.

A service is local (a port on 127.0.0.1 that `jobfeed stack` starts and stops) or external (its URL points
elsewhere); each knows how to start its process (jobfeed/stack/servers.py), how to tell it is healthy, and
what its /proc cmdline must contain to still be ours. Starting and stopping them is jobfeed/stack/local.py.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

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
class Service:
    """One service of the stack: where it listens, how to check and start it, how to recognise its process."""

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


def local_port(url: str, schemes: tuple[str, ...], default_port: int) -> int | None:
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


def recorded_workers(settings: Settings) -> list[str]:
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


def services_for(settings: Settings, *, prefect: bool = True, workers: Sequence[str] = ()) -> list[Service]:
    """The stack's services for these settings: the database, Redis, (with `prefect`) Prefect and the workers."""
    state = settings.state_dir.resolve()
    services: list[Service] = []

    port = local_port(settings.mongodb_uri, ("mongodb",), 27017)
    mongo_uri = settings.mongodb_uri if port is None else f"mongodb://127.0.0.1:{port}/?directConnection=true"
    services.append(Service(
        "mongo", redact_url(settings.mongodb_uri), port, "MONGODB_URI",
        lambda: S.mongo_ping(mongo_uri),
        lambda: S.start_mongo_process(port or 0, state / "mongo", state / "logs" / "mongo.log"),
        ("secantusd-py", f"--port {port}"), state,
    ))  # fmt: skip

    port_r = local_port(settings.redis_url, ("redis",), 6379)
    password = urlsplit(settings.redis_url).password if port_r is not None else None
    services.append(Service(
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
        port_p = local_port(api_url, ("http",), 80)
        services.append(Service(
            "prefect", redact_url(api_url), port_p, "PREFECT_API_URL",
            lambda: S.http_ok(api_url.rstrip("/") + "/health"),
            lambda: S.start_prefect_process(port_p or 0, state / "prefect", state / "logs" / "prefect.log"),
            ("prefect", "server start", f"--port {port_p}"), state,
        ))  # fmt: skip
    for name in workers:
        pid_path = state / "run" / f"{name}.pid"
        # One Prefect worker name per process and host: Prefect shows same-named workers on a pool as one.
        worker_name = f"jobfeed-{name}-{socket.gethostname()}"
        services.append(Service(
            name, f"pool {settings.work_pool} -> {redact_url(api_url)}", 0, "PREFECT_API_URL",
            partial(_pid_alive, pid_path),
            partial(S.start_worker_process, api_url, settings.work_pool, state / "logs" / f"{name}.log", PROJECT_DIR,
                    name=worker_name),
            ("prefect", "worker start", f"--pool {settings.work_pool}", f"--name {worker_name}"), state, listens=False,
        ))  # fmt: skip
    return services
