"""The soak's servers: secantusd, Redis, a Prefect server and one Prefect worker, each killed with -9 and
restarted on the same port and data while imports run; the deployment the worker runs; run bookkeeping.

Everything binds 127.0.0.1 on ports picked at start; state lives in the soak's work dir.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from jobfeed.stack import procs as P
from jobfeed.stack import servers as S

ROOT = Path(__file__).resolve().parents[2]
POOL = "soak"
DEPLOYMENT = "import-feeds/soak"
MARKER = "JOBFEED_SOAK_ID"  # in every process the soak starts: how it finds the flow-run processes it owns
FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})


@dataclass
class Service:
    """One server process on a fixed port (or none, for the worker): start, kill -9, start again."""

    name: str
    spawn: Callable[[], subprocess.Popen[bytes]]
    healthy: Callable[[], bool]
    log_path: Path
    start_timeout_s: float
    proc: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)  # seconds each start took to be healthy

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> float:
        began = time.monotonic()
        self.proc = self.spawn()
        P.wait_until(self.healthy, self.start_timeout_s, self.name, proc=self.proc, log_path=self.log_path)
        took = time.monotonic() - began
        self.starts.append(round(took, 2))
        return took

    def kill(self) -> list[int]:
        """SIGKILL the process, its group and every descendant (a crashed machine); returns the pids."""
        if self.proc is None:
            return []
        pids = kill_tree(self.proc.pid)
        self.proc.wait(timeout=30)
        self.proc = None
        return pids


def kill_tree(pid: int) -> list[int]:
    """SIGKILL a process with its process group and all descendants, and wait (bounded) until they are gone."""
    try:
        family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for proc in family:
        with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL)  # its group: helpers it started in it go too
            else:
                proc.kill()
    psutil.wait_procs(family, timeout=15)
    return [proc.pid for proc in family]


class Cluster:
    """The four servers of one soak, with the environment its flow runs get."""

    def __init__(self, work: Path, *, soak_id: str, run_env: dict[str, str], prefect_env: dict[str, str]) -> None:
        self.work = work
        self.soak_id = soak_id
        self.mongo_port, self.redis_port, self.prefect_port = P.free_port(), P.free_port(), P.free_port()
        self.mongo_uri = f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true&retryWrites=false"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.api_url = f"http://127.0.0.1:{self.prefect_port}/api"
        self.env = {
            **run_env,
            MARKER: soak_id,
            "MONGODB_URI": self.mongo_uri,
            "REDIS_URL": self.redis_url,
            "PREFECT_API_URL": self.api_url,
            "PREFECT_HOME": str(work / "client-home"),
            "JOBFEED_STATE_DIR": str(work / "state"),
            "SPOOL_DIR": str(work / "spool"),
        }
        self.prefect_env = prefect_env
        logs = work / "logs"
        self.services: dict[str, Service] = {
            "mongo": Service(
                "mongo",
                lambda: S.start_mongo_process(self.mongo_port, work / "mongo", logs / "mongo.log"),
                lambda: S.mongo_ping(self.mongo_uri),
                logs / "mongo.log",
                60,
            ),
            "redis": Service(
                "redis",
                lambda: S.start_redis_process(self.redis_port, work / "redis", logs / "redis.log"),
                lambda: S.redis_ping(self.redis_url),
                logs / "redis.log",
                30,
            ),
            "prefect": Service(
                "prefect",
                self._spawn_prefect,
                lambda: S.http_ok(self.api_url + "/health"),
                logs / "prefect.log",
                180,
            ),
            "worker": Service("worker", self._spawn_worker, self._worker_ready, logs / "worker.log", 120),
        }
        self._worker_log_offset = 0

    # --- processes ------------------------------------------------------------------------------

    def _spawn_prefect(self) -> subprocess.Popen[bytes]:
        saved = dict(os.environ)
        os.environ.update({MARKER: self.soak_id, **self.prefect_env})
        try:  # start_prefect_process copies os.environ: the server's own settings go through it
            return S.start_prefect_process(self.prefect_port, self.work / "prefect", self.work / "logs" / "prefect.log")
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def _spawn_worker(self) -> subprocess.Popen[bytes]:
        log = self.services["worker"].log_path
        self._worker_log_offset = log.stat().st_size if log.exists() else 0
        env = {**self.base_env(), **self.env}
        return P.spawn(S.worker_argv(POOL, name=f"soak-worker-{self.soak_id}"), log, env=env, cwd=ROOT)

    def _worker_ready(self) -> bool:
        log = self.services["worker"].log_path
        with log.open("rb") as fh:
            fh.seek(self._worker_log_offset)
            return b"started!" in fh.read()

    @staticmethod
    def base_env() -> dict[str, str]:
        """This process's environment without anything that would point a run elsewhere."""
        dropped = (
            "PREFECT_",
            "MONGODB_",
            "REDIS_",
            "FEEDS_FILE",
            "JOBFEED_STATE_DIR",
            "JOBFEED_XML",
            "SPOOL_DIR",
            "LOCK_TTL",
            "RETRY_",
        )  # JOBFEED_TEST_NETSEAL stays: under pytest the servers' Python processes stay sealed
        return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}

    def start(self, names: tuple[str, ...] = ("mongo", "redis", "prefect")) -> None:
        for name in names:
            self.services[name].start()

    def kill(self, name: str) -> list[int]:
        return self.services[name].kill()

    def restart(self, name: str) -> float:
        if self.services[name].alive:
            self.services[name].kill()
        return self.services[name].start()

    def close(self) -> None:
        for name in ("worker", "prefect", "redis", "mongo"):
            with contextlib.suppress(Exception):  # stop the rest whatever one does
                self.services[name].kill()
        for proc in self.flow_run_processes():
            kill_tree(proc.pid)

    # --- flow runs ------------------------------------------------------------------------------

    def flow_run_processes(self, flow_run_id: str | None = None) -> list[psutil.Process]:
        """Live flow-run processes this soak's workers started (optionally of one flow run)."""
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if "prefect.engine" not in " ".join(proc.info["cmdline"] or ()):
                    continue
                env = proc.environ()
                if env.get(MARKER) != self.soak_id or proc.status() == psutil.STATUS_ZOMBIE:
                    continue
                if flow_run_id is None or env.get("PREFECT__FLOW_RUN_ID") == flow_run_id:
                    found.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return found

    def client(self) -> Any:
        from prefect.client.orchestration import get_client

        return get_client(sync_client=True)

    def state_of(self, flow_run_id: str) -> str | None:
        """The flow run's state type, or None when the Prefect server cannot be asked right now."""
        try:
            with self.client() as client:
                run = client.read_flow_run(flow_run_id)
        except Exception:
            return None
        return run.state.type.value if run.state is not None else None
