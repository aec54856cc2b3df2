"""Session-wide real services for the tests: a MongoDB wire-protocol server, a feed HTTP server, Prefect.

The environment below is set before anything imports jobfeed or Prefect, because both read it once.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.support import netseal
from tests.support.paths import FEED_FIXTURES

# Before anything opens a socket: this process and the Python processes the tests start reach only
# 127.0.0.0/8 and ::1 and never ask a DNS server (tests/support/netseal.py says why and how).
netseal.seal(blocked=SocketConnectBlockedError)
netseal.seal_subprocesses(os.environ)

os.environ.update(
    {
        "RETRY_BACKOFF_S": "0",  # retries happen, without the production 1-2-4 s waits
        "FETCH_ALLOW_HOSTS": "127.0.0.1",  # feeds come from the local FeedServer
        "HTTP_TIMEOUT_S": "10",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "JOBFEED_STATE_DIR": "/nonexistent-jobfeed-state",  # tests never touch a developer's stack
        "PREFECT_API_URL": "",  # tests use prefect_test_harness, never a developer's server
        "SPOOL_DIR": tempfile.mkdtemp(prefix="jobfeed-test-spool-"),  # runs' working files, watched by tests
    }
)
os.environ.pop("PREFECT_API_URL")


@pytest.fixture(scope="session")
def mongo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real secantusd-py server for the whole session (each test gets its own database)."""
    from tests.support.services import MongoService

    with MongoService(storage_path=tmp_path_factory.mktemp("mongo")) as service:
        os.environ["MONGODB_URI"] = service.uri
        yield service


@pytest.fixture(scope="session", autouse=True)
def redis_service() -> Iterator[object]:
    """One real Redis for the session (feed locks); REDIS_URL points at it for every test."""
    from tests.support.services import RedisService

    with RedisService() as service:
        os.environ["REDIS_URL"] = service.url
        yield service


@pytest.fixture
def db_name(request: pytest.FixtureRequest, mongo_service: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database name for one test, exported as MONGODB_DB so tasks and the CLI use it."""
    from jobfeed.settings import reset_settings
    from jobfeed.store import close_stores

    name = "t_" + re.sub(r"[^A-Za-z0-9]", "_", request.node.name)[-50:]
    client = mongo_service.client()  # type: ignore[attr-defined]
    client.drop_database(name)
    monkeypatch.setenv("MONGODB_DB", name)
    reset_settings()
    yield name
    close_stores()
    reset_settings()
    client.drop_database(name)


@pytest.fixture
def store(db_name: str) -> object:
    """The jobfeed Store on this test's fresh database, indexes created (as `stack up` / the flow's start do)."""
    from jobfeed.store import get_store

    store = get_store()
    store.ensure_indexes()
    return store


@pytest.fixture(scope="session")
def feed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real local HTTP server serving a private copy of tests/fixtures/feeds (tests may edit it)."""
    from tests.support.feed_server import FeedServer

    root = tmp_path_factory.mktemp("served")
    shutil.copytree(FEED_FIXTURES, root, dirs_exist_ok=True)
    with FeedServer(root) as server:
        yield server


@pytest.fixture
def served(feed_server: Any) -> Iterator[Any]:
    """The session FeedServer; overrides, flaky counters and the request log are reset before and after."""
    feed_server.reset()
    yield feed_server
    feed_server.reset()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect API for the session (~10 s, once)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's spool directory (runs clean up their own; a killed one may not)."""
    shutil.rmtree(os.environ.get("SPOOL_DIR", ""), ignore_errors=True)
