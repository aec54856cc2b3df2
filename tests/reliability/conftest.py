"""Fixtures of the reliability suite: a flow runner with invariant checks, a feed server whose responses
can be held back until the test says so, a private Mongo server that tests may kill, and settings that
are rebuilt around every test. Their helpers and classes live in tests/support/ (pipeline, gated_server).

The session's shared Mongo server (`mongo_service`) is never killed here: database-fault tests start
their own with `own_mongo`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.gated_server import GatedFeedServer
from tests.support.pipeline import Pipeline, forget_process_state

# --- settings ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_process_state() -> Iterator[None]:
    """Autouse, so it is set up first and torn down last: after monkeypatch restored the environment,
    the next test rebuilds settings, stores and lock clients from that restored environment."""
    forget_process_state()
    yield
    forget_process_state()


@pytest.fixture(scope="module", autouse=True)
def no_flow_heartbeats(prefect_harness: None) -> Iterator[None]:
    """Flow-run heartbeats off for this suite's in-process runs: each run otherwise spends ~1 s at exit
    joining its heartbeat thread (notes/stack.md), and nothing here watches heartbeats. Production
    keeps them on. Inside the harness's settings (it is set up first), so the nesting unwinds cleanly.
    Threads a test starts must run in a copy of this context (`in_thread`)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture
def set_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """set_env(NAME=value, ...): change settings for this test (undone afterwards)."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        forget_process_state()

    return apply


# --- running the flow ----------------------------------------------------------------------------


@pytest.fixture
def pipeline(store: Any, prefect_harness: None) -> Pipeline:
    """The flow on this test's fresh database (the session's Mongo server)."""
    return Pipeline()


# --- a private Mongo server that a test may kill -------------------------------------------------


@pytest.fixture
def own_mongo(tmp_path: Path, set_env: Callable[..., None], prefect_harness: None) -> Iterator[Any]:
    """A MongoService of this test alone (kill/restart freely); MONGODB_URI points at it."""
    from tests.support.services import MongoService

    service = MongoService(storage_path=tmp_path / "mongo-data")
    with service:
        set_env(MONGODB_URI=service.uri, MONGODB_DB="reliability")
        yield service
        forget_process_state()  # close pooled clients before the server goes
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
    forget_process_state()


# --- a feed server whose answers the test can hold back ------------------------------------------


@pytest.fixture
def gated() -> Iterator[GatedFeedServer]:
    server = GatedFeedServer()
    try:
        yield server
    finally:
        server.stop()
