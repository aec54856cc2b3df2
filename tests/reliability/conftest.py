"""Fixtures of the reliability suite: a flow runner with invariant checks, a feed server whose responses
can be held back until the test says so, a private Mongo server that tests may kill, and settings that
are rebuilt around every test.

The session's shared Mongo server (`mongo_service`) is never killed here: database-fault tests start
their own with `own_mongo`.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

MAX_HOLD_S = 30.0  # longest a held response waits for release(): a forgotten gate never pins a test


# --- settings ------------------------------------------------------------------------------------


def _forget_process_state() -> None:
    """Drop cached settings, Mongo clients and Redis lock clients (each is rebuilt from the env on use)."""
    from jobfeed.ops import locks
    from jobfeed.settings import reset_settings
    from jobfeed.store import close_stores

    reset_settings()
    close_stores()
    for held in locks._LOCKS.values():
        held.client.close()
    locks._LOCKS.clear()


@pytest.fixture(autouse=True)
def fresh_process_state() -> Iterator[None]:
    """Autouse, so it is set up first and torn down last: after monkeypatch restored the environment,
    the next test rebuilds settings, stores and lock clients from that restored environment."""
    _forget_process_state()
    yield
    _forget_process_state()


@pytest.fixture(scope="module", autouse=True)
def no_flow_heartbeats(prefect_harness: None) -> Iterator[None]:
    """Flow-run heartbeats off for this suite's in-process runs: each run otherwise spends ~1 s at exit
    joining its heartbeat thread (notes/stack.md), and nothing here watches heartbeats. Production
    keeps them on. Inside the harness's settings (it is set up first), so the nesting unwinds cleanly.
    Threads a test starts must run in a copy of this context (`in_thread`)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def in_thread(target: Callable[[], None]) -> threading.Thread:
    """Start target in a daemon thread that sees this thread's Prefect settings (a context copy)."""
    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), daemon=True)
    thread.start()
    return thread


@pytest.fixture
def set_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """set_env(NAME=value, ...): change settings for this test (undone afterwards)."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        _forget_process_state()

    return apply


# --- running the flow ----------------------------------------------------------------------------


def check_log(log: dict[str, Any]) -> None:
    """The ImportLog contract: finished, counts add up, failures listed as counted."""
    assert log["status"] in {"success", "not_modified", "partial", "failed", "skipped"}, log
    assert log["totalFetched"] == log["newJobs"] + log["updatedJobs"] + log["unchangedJobs"] + log["failedJobs"], log
    assert log["totalImported"] == log["newJobs"] + log["updatedJobs"], log
    assert log["finishedAt"] is not None and log["timestamp"] == log["finishedAt"], log
    if not log.get("failuresTruncated"):
        assert len(log["failures"]) == log["failedJobs"], log
    assert sum((log.get("failuresByReason") or {}).values()) == log["failedJobs"], log
    if log["status"] in {"failed", "skipped"} and log.get("error"):
        assert log["error"]["reason"] and log["error"]["message"], log


@dataclass
class FlowResult:
    state: Any
    logs: dict[str, dict[str, Any]]  # this run's ImportLogs by feed URL

    @property
    def flow_run_id(self) -> str:
        return str(self.state.state_details.flow_run_id)

    def __getitem__(self, url: str) -> dict[str, Any]:
        return self.logs[url]


class Pipeline:
    """Runs flow `import-feeds` in this process and reads back what it wrote."""

    @property
    def store(self) -> Any:
        """The Store of the current settings (rebuilt after set_env, like the flow's own)."""
        from jobfeed.store import get_store

        return get_store()

    def run(self, urls: list[str], *, check: bool = True) -> FlowResult:
        from flows.import_feeds import import_feeds

        state = import_feeds(feed_urls=urls, return_state=True)
        result = self.result_of(state)
        if check:
            assert state.is_completed(), state
            assert sorted(result.logs) == sorted(urls), (sorted(result.logs), state)
            for log in result.logs.values():
                check_log(log)
        return result

    def result_of(self, state: Any) -> FlowResult:
        flow_run_id = state.state_details.flow_run_id
        logs = self.store.logs.for_flow_run(str(flow_run_id)) if flow_run_id else []
        return FlowResult(state, {log["fileName"]: log for log in logs})

    def jobs_of(self, url: str) -> list[dict[str, Any]]:
        """Job documents that list this feed URL."""
        return list(self.store.db.jobs.find({"feeds": url}))


@pytest.fixture
def pipeline(store: Any, prefect_harness: None) -> Pipeline:
    """The flow on this test's fresh database (the session's Mongo server)."""
    return Pipeline()


@pytest.fixture
def served(feed_server: Any) -> Iterator[Any]:
    """The session FeedServer; overrides, flaky counters and the request log are reset afterwards."""
    feed_server.reset()
    yield feed_server
    feed_server.reset()


# --- a private Mongo server that a test may kill -------------------------------------------------


@pytest.fixture
def own_mongo(tmp_path: Path, set_env: Callable[..., None], prefect_harness: None) -> Iterator[Any]:
    """A MongoService of this test alone (kill/restart freely); MONGODB_URI points at it."""
    from tests.support.services import MongoService

    service = MongoService(storage_path=tmp_path / "mongo-data")
    with service:
        set_env(MONGODB_URI=service.uri, MONGODB_DB="reliability")
        yield service
        _forget_process_state()  # close pooled clients before the server goes
        service.kill()  # the data dir is tmp: a graceful 3 s shutdown buys nothing


@pytest.fixture
def own_pipeline(own_mongo: Any) -> Pipeline:
    """The flow on the private Mongo server of `own_mongo`."""
    return Pipeline()


@pytest.fixture
def fast_db_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Server selection gives up after 0.5 s instead of 5 s, so a dead database fails a test in seconds."""
    from jobfeed import constants as C

    monkeypatch.setattr(C, "MONGO_SERVER_SELECTION_TIMEOUT_MS", 500)
    _forget_process_state()


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll until check() is truthy; fail the test (never hang) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class AuthMongoService:
    """Factory of a MongoService variant started with `--auth` once a root user exists."""

    @staticmethod
    def create(storage_path: Path, user: str, password: str) -> Any:
        from jobfeed.stack import procs as P
        from jobfeed.stack import servers as S
        from tests.support.services import MongoService

        class _Auth(MongoService):
            auth = False

            def auth_uri(self, pw: str | None = None) -> str:
                secret = quote(password if pw is None else pw, safe="")
                return (
                    f"mongodb://{user}:{secret}@127.0.0.1:{self.port}/"
                    "?authSource=admin&directConnection=true&retryWrites=false"
                )

            def _spawn(self) -> Any:
                self.storage_path.mkdir(parents=True, exist_ok=True)
                config = self.storage_path.parent / f"{self.storage_path.name}.secantusd.toml"
                if not config.exists():
                    config.write_text("# empty on purpose\n")
                argv = S.mongo_argv(self.port, self.storage_path, config) + (["--auth"] if self.auth else [])
                return P.spawn(argv, self.log_path)

            def _healthy(self) -> bool:
                return S.mongo_ping(self.auth_uri() if self.auth else self.uri)

            def enable_auth(self) -> None:
                client = self.client()
                client.admin.command("createUser", user, pwd=password, roles=[{"role": "root", "db": "admin"}])
                client.close()
                self.stop()  # graceful: the user must be on disk before the restart
                self.auth = True
                self.start()

        return _Auth(storage_path=storage_path)


# --- a feed server whose answers the test can hold back ------------------------------------------


@dataclass
class _Route:
    body: bytes
    content_type: str
    gate: threading.Event | None  # set -> answer; None -> answer at once
    delay_s: float


class GatedFeedServer:
    """An HTTP server on 127.0.0.1 serving registered bodies. A route registered with hold=True keeps
    each request waiting (headers not yet sent) until the test calls release(path), bounded by
    MAX_HOLD_S: that is how a test knows a run sits inside its fetch when it kills a database or
    starts a second run."""

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._requests: list[str] = []
        self._holding: dict[str, int] = {}
        self.stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner._serve(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def set(self, path: str, body: bytes, *, content_type: str = "application/rss+xml",
            hold: bool = False, delay_s: float = 0.0) -> str:  # fmt: skip
        """Serve body at path (held until release() when hold); returns the absolute URL."""
        with self._lock:
            self._routes["/" + path.lstrip("/")] = _Route(
                body, content_type, threading.Event() if hold else None, delay_s
            )
        return self.url(path)

    def release(self, path: str) -> None:
        """Let held requests of path (and later ones) be answered."""
        route = self._routes["/" + path.lstrip("/")]
        if route.gate is not None:
            route.gate.set()

    def holding(self, path: str) -> int:
        """How many requests of path are waiting for release() right now."""
        with self._lock:
            return self._holding.get("/" + path.lstrip("/"), 0)

    def requests_to(self, path: str) -> list[str]:
        want = "/" + path.lstrip("/")
        with self._lock:
            return [p for p in self._requests if urlsplit(p).path == want]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        with self._lock:
            self._requests.append(handler.path)
            route = self._routes.get(path)
        try:
            if route is None:
                body = b"not found"
                handler.send_response(404)
                handler.send_header("Content-Type", "text/plain")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
                return
            if route.gate is not None:
                with self._lock:
                    self._holding[path] = self._holding.get(path, 0) + 1
                try:
                    deadline = time.monotonic() + MAX_HOLD_S
                    while not route.gate.wait(0.05):
                        if self.stopping.is_set() or time.monotonic() > deadline:
                            return
                finally:
                    with self._lock:
                        self._holding[path] -= 1
            if route.delay_s and self.stopping.wait(min(route.delay_s, MAX_HOLD_S)):
                return
            handler.send_response(200)
            handler.send_header("Content-Type", route.content_type)
            handler.send_header("Content-Length", str(len(route.body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(route.body)
            handler.close_connection = True
        except OSError:  # the client went away
            handler.close_connection = True

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def gated() -> Iterator[GatedFeedServer]:
    server = GatedFeedServer()
    try:
        yield server
    finally:
        server.stop()


# --- feed bodies -----------------------------------------------------------------------------------


def rss(items: str, *, title: str = "Reliability feed", decl: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    """An RSS 2.0 document around the given <item> markup."""
    return (
        f'{decl}\n<rss version="2.0"><channel><title>{title}</title><link>https://jobs.example/</link>'
        f"<description>d</description>\n{items}\n</channel></rss>\n"
    )


def item(guid: str, title: str = "Engineer", *, description: str = "Build things.",
         pub: str = "Mon, 03 Nov 2025 10:00:00 +0000", link: str | None = None) -> str:  # fmt: skip
    """One RSS <item>; pass guid="" for an item without identity."""
    guid_el = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
    link_el = f"<link>{link}</link>" if link else ""
    return (
        f"<item><title>{title}</title>{link_el}{guid_el}<pubDate>{pub}</pubDate>"
        f"<description>{description}</description></item>"
    )


def many_items_feed(prefix: str, count: int, *, title: str = "Engineer") -> bytes:
    """A feed of `count` distinct jobs with guids prefix-0 .. prefix-(count-1)."""
    return rss("\n".join(item(f"{prefix}-{i}", f"{title} {i}") for i in range(count))).encode()
