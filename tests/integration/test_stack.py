"""`jobfeed stack up|down|status` against real servers, in a temp state dir on free ports."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
import redis

from jobfeed.ops.prefect import local_prefect_api_url
from jobfeed.redact import redact_url
from jobfeed.settings import Settings
from jobfeed.stack import local as stack
from jobfeed.stack import procs as P
from jobfeed.stack.services import local_port
from tests.support.indexes import declared_indexes, extra_indexes


def _settings(state_dir: Path, mongo_uri: str, redis_url: str, prefect_api_url: str) -> Settings:
    return Settings(
        _env_file=None,  # a developer's .env must not leak into these tests
        mongodb_uri=mongo_uri,
        redis_url=redis_url,
        prefect_api_url=prefect_api_url,
        JOBFEED_STATE_DIR=state_dir,
    )


def _local_settings(state_dir: Path, *, redis_password: str = "") -> Settings:
    auth = f":{redis_password}@" if redis_password else ""
    return _settings(
        state_dir,
        f"mongodb://127.0.0.1:{P.free_port()}/?directConnection=true&retryWrites=false",
        f"redis://{auth}127.0.0.1:{P.free_port()}/0",
        f"http://127.0.0.1:{P.free_port()}/api",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Local-stack settings; whatever a test starts is stopped afterwards, even when it fails."""
    settings = _local_settings(tmp_path / "state", redis_password="pw-s3cret")
    try:
        yield settings
    finally:
        stack.down(settings)


def _by_name(statuses: list[stack.ServiceStatus]) -> dict[str, stack.ServiceStatus]:
    return {s.name: s for s in statuses}


def _port(url: str) -> int:
    return int(url.split("127.0.0.1:")[1].split("/", maxsplit=1)[0])


def test_up_status_idempotent_down(settings: Settings) -> None:
    started = _by_name(stack.up(settings, prefect=False))
    assert set(started) == {"mongo", "redis"}, "prefect=False must not even consider Prefect"
    assert {s.state for s in started.values()} == {"started"}
    assert all(s.pid and (settings.state_dir / "run" / f"{s.name}.pid").exists() for s in started.values())
    assert "pw-s3cret" not in started["redis"].url and ":***@" in started["redis"].url

    # the servers really answer, with the settings' own URLs; `up` created the database's indexes
    with pymongo.MongoClient(settings.mongodb_uri, serverSelectionTimeoutMS=2000) as client:
        client.jobfeed.probe.insert_one({"_id": "kept"})
        assert extra_indexes(client[settings.mongodb_db]) == declared_indexes()
    assert f"indexes of `{settings.mongodb_db}`: " in started["mongo"].detail
    assert redis.Redis.from_url(settings.redis_url).ping() is True

    status = _by_name(stack.status(settings))
    assert status["mongo"].state == status["redis"].state == "running"
    assert status["prefect"].state == "not running"
    assert status["mongo"].pid == started["mongo"].pid

    again = _by_name(stack.up(settings, prefect=False))
    assert {s.state for s in again.values()} == {"running"}
    assert {n: s.pid for n, s in again.items()} == {n: s.pid for n, s in started.items()}

    stopped = _by_name(stack.down(settings))
    assert stopped["mongo"].state == stopped["redis"].state == "stopped"
    assert stopped["prefect"].state == "not running"
    assert not any(P.process_alive(s.pid or 0) for s in started.values())
    assert not list((settings.state_dir / "run").glob("*.pid"))
    assert {s.state for s in stack.status(settings)} == {"not running"}

    # a second `up` reopens the same storage: the data survives a stack restart
    assert {s.state for s in stack.up(settings, prefect=False)} == {"started"}
    with pymongo.MongoClient(settings.mongodb_uri, serverSelectionTimeoutMS=2000) as client:
        assert client.jobfeed.probe.find_one({"_id": "kept"}) == {"_id": "kept"}


def test_stale_pid_file_is_cleaned_up_and_service_started(settings: Settings) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    run = settings.state_dir / "run"
    P.write_pid_file(run / "mongo.pid", dead.pid, ["secantusd-py", "--port"])

    status = _by_name(stack.status(settings))
    assert status["mongo"].state == "not running" and "stale pid file" in status["mongo"].detail
    assert (run / "mongo.pid").exists(), "status must not change anything"

    mongo = _by_name(stack.up(settings, prefect=False))["mongo"]
    assert mongo.state == "started" and "removed stale pid file" in mongo.detail
    assert mongo.pid != dead.pid and P.read_pid_file(run / "mongo.pid") == P.PidRecord(
        mongo.pid or 0, ("secantusd-py", f"--port {_port(settings.mongodb_uri)}")
    )


def test_down_never_kills_a_process_it_did_not_start(settings: Settings) -> None:
    # a pid file whose pid now belongs to another program (pid reuse, or a hand-edited file)
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        P.write_pid_file(settings.state_dir / "run" / "redis.pid", stranger.pid, ["redis-server", "1"])
        redis_status = _by_name(stack.down(settings))["redis"]
        assert redis_status.state == "not running" and "left alone" in redis_status.detail
        assert stranger.poll() is None, "down must not signal a process whose cmdline does not match"
        assert not (settings.state_dir / "run" / "redis.pid").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_port_taken_by_a_foreign_process_fails_clearly(settings: Settings) -> None:
    mongo_port = _port(settings.mongodb_uri)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", mongo_port))
        squatter.listen()
        result = _by_name(stack.up(settings, prefect=False))
        status = _by_name(stack.status(settings))
    assert result["mongo"].state == "failed" and result["mongo"].pid is None
    assert f"port {mongo_port}" in result["mongo"].detail and "did not start" in result["mongo"].detail
    assert "MONGODB_URI" in result["mongo"].detail
    assert not (settings.state_dir / "run" / "mongo.pid").exists()
    assert result["redis"].state == "started", "one failed service must not block the others"
    assert status["mongo"].state == "not running" and f"port {mongo_port}" in status["mongo"].detail
    assert not result["mongo"].ok and result["redis"].ok


# The reachability probes try 10.255.255.1 and the SRV lookup's DNS server: the sealed test network
# (tests/support/netseal.py) refuses both at once, which is all "not reachable" needs.
@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_external_urls_start_nothing(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path / "state",
        "mongodb+srv://app:hunter2@cluster0.example.invalid/jobfeed",
        "redis://:hunter2@10.255.255.1:6379/0",  # not loopback, so external; never actually reached
        "https://prefect.example.invalid/api",
    )
    try:
        results = _by_name(stack.up(settings, prefect=True))
        assert {s.state for s in results.values()} == {"external"}
        assert all(s.pid is None and s.log_path is None for s in results.values())
        assert all("hunter2" not in s.url for s in results.values())
        assert "not reachable" in results["redis"].detail
        assert not list(settings.state_dir.glob("run/*.pid"))
        assert {s.state for s in stack.status(settings)} == {"external"}
        assert {s.state for s in stack.down(settings)} == {"external"}
        assert local_prefect_api_url(settings) is None
    finally:
        stack.down(settings)


def test_prefect_server_up_health_down(tmp_path: Path) -> None:
    settings = _local_settings(tmp_path / "state")
    api_url = settings.prefect_api_url or ""
    try:
        results = _by_name(stack.up(settings, prefect=True))
        assert results["prefect"].state == "started", results["prefect"].detail
        assert results["mongo"].state == results["redis"].state == "started"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{api_url}/health", timeout=5) as response:
            assert response.status == 200 and response.read().strip() == b"true"
        assert local_prefect_api_url(settings) == api_url
        assert (settings.state_dir / "prefect" / "prefect.db").exists(), "its SQLite DB lives in the state dir"
        assert _by_name(stack.status(settings))["prefect"].state == "running"
    finally:
        stopped = _by_name(stack.down(settings))
    assert stopped["prefect"].state == "stopped"
    assert not P.port_in_use(_port(api_url))
    assert local_prefect_api_url(settings) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mongodb://u:p%40ss@127.0.0.1:27117/db?x=1", "mongodb://u:***@127.0.0.1:27117/db?x=1"),
        ("redis://:secret@localhost:6479/0", "redis://:***@localhost:6479/0"),
        ("mongodb://a:b@h1:1,h2:2/?replicaSet=rs", "mongodb://a:***@h1:1,h2:2/?replicaSet=rs"),
        ("http://127.0.0.1:4200/api", "http://127.0.0.1:4200/api"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("mongodb://127.0.0.1:27117/?directConnection=true", 27117),
        ("mongodb://user:pw@localhost/db", 27017),
        ("mongodb://127.0.0.1:1,127.0.0.1:2/", None),  # a seed list
        ("mongodb+srv://cluster0.example.net/", None),
        ("mongodb://db.internal:27017/", None),
    ],
)
def test_only_single_loopback_mongo_uris_are_local(url: str, port: int | None) -> None:
    assert local_port(url, ("mongodb",), 27017) == port
