"""Real servers for tests: secantusdb (MongoDB wire protocol) and Redis on free ports, with fault controls."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import pymongo
import redis

from jobfeed import constants as C
from jobfeed.stack import procs as P
from jobfeed.stack import servers as S


class _ManagedServer:
    """A server process on 127.0.0.1 that a test owns: start, stop, kill -9, restart on the same port/data."""

    name = "server"

    def __init__(self, *, port: int | None = None, base_dir: Path | None = None,
                 start_timeout: float = C.SERVICE_START_TIMEOUT_S) -> None:  # fmt: skip
        self._own_dir = base_dir is None
        self.base_dir = Path(tempfile.mkdtemp(prefix=f"jobfeed-{self.name}-")) if base_dir is None else base_dir
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.port = port if port is not None else P.free_port()
        self._port_fixed = port is not None
        self.start_timeout = start_timeout
        self.log_path = self.base_dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_once = False
        self._clients: list[Any] = []

    def _spawn(self) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def _healthy(self) -> bool:
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server and wait until it answers; raises ServiceStartError with the log tail."""
        if self.running:
            return self
        # Before the first start nobody knows the port yet, so a lost race for it can move to another.
        attempts = 1 if (self._port_fixed or self._started_once) else P.START_ATTEMPTS
        self._proc, self.port = P.start_on_free_port(
            self._spawn_on, lambda _port: self._healthy(), self.name,
            timeout=self.start_timeout, log_path=self.log_path, port=self.port, attempts=attempts,
        )  # fmt: skip
        self._started_once = True
        return self

    def _spawn_on(self, port: int) -> subprocess.Popen[bytes]:
        self.port = port  # _spawn() and _healthy() (overridden by subclasses) read the port from here
        return self._spawn()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM, then SIGKILL after a bound); no-op when not running."""
        if self._proc is not None:
            P.stop_process(self._proc.pid)
            self._proc.wait()
            self._proc = None

    def kill(self) -> None:
        """SIGKILL the server at once, as a crash would (data on disk is kept)."""
        if self._proc is not None:
            P.kill_process(self._proc.pid)
            self._proc.wait()
            self._proc = None

    def restart(self) -> Self:
        """Stop if running, then start again on the same port with the same data."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the server, close clients handed out, and delete the temp dir if we made it."""
        try:
            for client in self._clients:
                client.close()
            self._clients.clear()
        finally:
            if self._own_dir:
                self.kill()  # the data is deleted next, so a graceful (2-3 s) shutdown buys nothing
            self.stop()
            if self._own_dir:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.close()


class MongoService(_ManagedServer):
    """secantusd-py with durable storage (--sync-on-commit) in a temp dir, on a free port."""

    name = "mongo"

    def __init__(self, *, storage_path: Path | None = None, base_dir: Path | None = None, **kwargs: Any) -> None:
        if storage_path is not None and base_dir is None:
            base_dir = storage_path.parent  # the caller owns both; close() deletes nothing
        super().__init__(base_dir=base_dir, **kwargs)
        # the WiredTiger directory: survives stop/kill/restart, so fault tests can check durability
        self.storage_path = storage_path if storage_path is not None else self.base_dir / "data"
        self.log_path = self.base_dir / f"{self.storage_path.name}.log"  # unique when the parent is shared

    @property
    def uri(self) -> str:
        """Connection string (directConnection: it presents itself as a replica set; no retryable writes)."""
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def client(self, **kwargs: Any) -> pymongo.MongoClient[dict[str, Any]]:
        """A new MongoClient for this server, closed by close()."""
        kwargs.setdefault("serverSelectionTimeoutMS", C.MONGO_SERVER_SELECTION_TIMEOUT_MS)
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(self.uri, **kwargs)
        self._clients.append(client)
        return client

    def _spawn(self) -> subprocess.Popen[bytes]:
        return S.start_mongo_process(self.port, self.storage_path, self.log_path)

    def _healthy(self) -> bool:
        return S.mongo_ping(self.uri)


class RedisService(_ManagedServer):
    """redis-server without persistence on a free port, optionally requiring a password."""

    name = "redis"

    def __init__(self, *, password: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.password = password

    @property
    def url(self) -> str:
        """redis:// URL for this server, carrying the password when there is one."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self, **kwargs: Any) -> redis.Redis:
        """A new redis client for this server (authenticated), closed by close()."""
        client = redis.Redis.from_url(self.url, **kwargs)
        self._clients.append(client)
        return client

    def _spawn(self) -> subprocess.Popen[bytes]:
        return S.start_redis_process(self.port, self.base_dir / "data", self.log_path, self.password)

    def _healthy(self) -> bool:
        return S.redis_ping(self.url)


class AuthMongoService(MongoService):
    """A MongoService that enable_auth() restarts with `--auth` once it has a root user `user`;
    from then on it is reached (and health-checked) through auth_uri()."""

    def __init__(self, *, user: str, password: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user, self.password = user, password
        self.auth = False

    def auth_uri(self, password: str | None = None) -> str:
        """The URI with the user's credentials (or a wrong `password`, to test the refusal)."""
        secret = quote(self.password if password is None else password, safe="")
        return (
            f"mongodb://{self.user}:{secret}@127.0.0.1:{self.port}/"
            "?authSource=admin&directConnection=true&retryWrites=false"
        )

    def enable_auth(self) -> None:
        client = self.client()
        client.admin.command("createUser", self.user, pwd=self.password, roles=[{"role": "root", "db": "admin"}])
        client.close()
        self.stop()  # graceful: the user must be on disk before the restart
        self.auth = True
        self.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        # started from its argv, not S.start_mongo_process: that one has no way to add --auth
        self.storage_path.mkdir(parents=True, exist_ok=True)
        config = self.storage_path.parent / f"{self.storage_path.name}.secantusd.toml"
        if not config.exists():
            config.write_text("# empty on purpose\n")
        argv = S.mongo_argv(self.port, self.storage_path, config) + (["--auth"] if self.auth else [])
        return P.spawn(argv, self.log_path)

    def _healthy(self) -> bool:
        return S.mongo_ping(self.auth_uri() if self.auth else self.uri)
