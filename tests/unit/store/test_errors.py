"""A database error in one line for people: the server's own words, no topology dump, no secret."""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from jobfeed.stack.procs import free_port
from jobfeed.store.errors import MAX_ERROR_CHARS, describe_db_error


def _real_error(uri: str) -> PyMongoError:
    client: MongoClient[dict[str, object]] = MongoClient(uri, serverSelectionTimeoutMS=300, connect=False)
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        return exc
    finally:
        client.close()
    raise AssertionError("the ping found a server")


def test_server_selection_timeout_is_the_servers_error_only() -> None:
    port = free_port()  # nothing listens there
    exc = _real_error(f"mongodb://app:hunter2@127.0.0.1:{port}/?directConnection=true")
    assert "Topology Description" in str(exc)  # what pymongo says
    line = describe_db_error(exc)
    assert line.startswith(f"127.0.0.1:{port}: ") and "Connection refused" in line
    for raw in ("Topology", "configured timeouts", "Timeout:", "hunter2", "\n"):
        assert raw not in line, raw


def test_operation_failure_is_its_errmsg_and_code() -> None:
    exc = OperationFailure(
        "ignored", code=13, details={"errmsg": "not authorized on jobfeed", "ok": 0, "big": "x" * 900}
    )
    assert describe_db_error(exc) == "not authorized on jobfeed (code 13)"


def test_long_messages_are_capped() -> None:
    line = describe_db_error(PyMongoError("y" * 2000))
    assert len(line) == MAX_ERROR_CHARS and line.endswith("…")
