"""The test servers themselves: durability across kill -9, restart on the same port, Redis auth, clear failures."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from jobfeed.stack import procs as P
from jobfeed.stack import servers as S
from tests.support.services import MongoService, RedisService


@pytest.fixture
def mongo() -> Iterator[MongoService]:
    """A private MongoService (these tests kill it, so it cannot be the shared session one)."""
    with MongoService() as service:  # own temp dir: removed (and killed fast) on close
        yield service


def test_mongo_kill_restart_keeps_acknowledged_writes(mongo: MongoService) -> None:
    client = mongo.client()
    coll = client.jobfeed_test.docs
    for i in range(50):  # single acknowledged writes: the ones a crash would lose without --sync-on-commit
        coll.insert_one({"_id": i, "payload": "x" * 100})
    port, pid = mongo.port, mongo.pid

    mongo.kill()
    assert not mongo.running
    assert pid is not None and not P.process_alive(pid)
    assert not S.mongo_ping(mongo.uri)

    mongo.restart()
    assert mongo.port == port and mongo.pid != pid
    # the same client reconnects by itself once the server is back
    assert coll.count_documents({}) == 50
    assert coll.find_one({"_id": 49}) == {"_id": 49, "payload": "x" * 100}


def test_mongo_graceful_restart_keeps_data_and_port(mongo: MongoService) -> None:
    coll = mongo.client().jobfeed_test.docs
    coll.insert_one({"_id": "a"})
    port = mongo.port
    mongo.restart()
    assert mongo.port == port
    assert coll.find_one({"_id": "a"}) == {"_id": "a"}


def test_mongo_service_takes_an_exact_storage_path(tmp_path: Path) -> None:
    storage = tmp_path / "wt"
    with MongoService(storage_path=storage) as service:
        service.client().jobfeed_test.docs.insert_one({"_id": 1})
        assert (storage / "WiredTiger").exists()
    assert not service.running
    assert storage.exists(), "a caller-owned directory must not be deleted"


def test_owned_temp_dir_is_removed_on_close() -> None:
    with MongoService() as service:
        base = service.base_dir
        assert base.exists()
    assert not base.exists()


def test_redis_with_password_rejects_unauthenticated_ping() -> None:
    password = "s3cr:et/@ x"  # characters that need quoting in a URL and in redis.conf
    with RedisService(password=password) as service:
        anonymous = redis.Redis(host="127.0.0.1", port=service.port, socket_timeout=2, retry=Retry(NoBackoff(), 0))
        try:
            with pytest.raises(redis.AuthenticationError):
                anonymous.ping()
        finally:
            anonymous.close()
        client = service.client()
        assert client.ping() is True
        client.set("k", "v")
        assert client.get("k") == b"v"
        assert password not in P.cmdline(service.pid or 0), "the password must not show in ps"


def test_redis_kill_and_restart_on_same_port() -> None:
    with RedisService() as service:
        port = service.port
        service.kill()
        assert not S.redis_ping(service.url)
        service.restart()
        assert service.port == port and service.client().ping() is True


def test_start_on_a_taken_port_fails_with_the_log_tail(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        service = MongoService(port=port, base_dir=tmp_path / "mongo", start_timeout=20)
        try:
            with pytest.raises(P.ServiceStartError) as err:
                service.start()
        finally:
            service.close()
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "exited with code" in message
    assert "--- last lines of" in message


def test_wait_until_reports_an_exit_and_the_log(tmp_path: Path) -> None:
    log = tmp_path / "boom.log"
    proc = P.spawn([sys.executable, "-c", "print('boom: cannot start', flush=True); raise SystemExit(3)"], log)
    with pytest.raises(P.ServiceStartError, match=r"(?s)exited with code 3.*boom: cannot start"):
        P.wait_until(lambda: False, 30, "boom", proc=proc, log_path=log)


def test_wait_until_times_out_with_the_subject_named() -> None:
    with pytest.raises(P.ServiceStartError, match="thing: not ready after 0 s"):
        P.wait_until(lambda: False, 0.2, "thing")


def test_redis_server_binary_is_executable() -> None:
    binary = S.redis_server_binary()
    assert os.access(binary, os.X_OK)
