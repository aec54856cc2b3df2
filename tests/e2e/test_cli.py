"""The `jobfeed` command as a user runs it: a real process, real servers, exit codes and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import jobfeed, user_env, without_prefect


@pytest.fixture
def cli_env(db_name: str, prefect_harness: None) -> dict[str, str]:
    """The environment of a user pointed at the test servers (Prefect: the harness's API)."""
    return user_env(MONGODB_DB=db_name)


def write_feeds(tmp_path: Path, urls: list[str]) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n" + "".join(f"  - url: {u}\n" for u in urls))
    return path


def test_import_json_then_rerun_then_logs(cli_env, feed_server, tmp_path: Path) -> None:
    urls = [feed_server.url("jobspresso_wpjm_job_feed.xml"), feed_server.url("single_item_feed.xml")]
    feeds = write_feeds(tmp_path, urls)
    first = jobfeed(cli_env, "import", "--feeds-file", str(feeds), "--json")
    assert first.returncode == 0, first.stderr
    docs = json.loads(first.stdout)
    assert {d["fileName"] for d in docs} == set(urls)
    by_url = {d["fileName"]: d for d in docs}
    assert by_url[urls[0]]["newJobs"] == 3 and by_url[urls[1]]["newJobs"] == 1
    for doc in docs:
        assert doc["status"] == "success"
        assert doc["totalFetched"] == doc["newJobs"] + doc["updatedJobs"] + doc["unchangedJobs"] + doc["failedJobs"]
        assert doc["startedAt"].endswith("Z") and doc["flowRunId"]

    second = jobfeed(cli_env, "import", "--feeds-file", str(feeds))
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("not_modified") == 2  # the table says it: nothing changed

    logs = jobfeed(cli_env, "logs", "--limit", "3", "--json")
    assert logs.returncode == 0, logs.stderr
    latest = json.loads(logs.stdout)
    assert len(latest) == 3 and latest[0]["status"] == "not_modified"
    assert latest[0]["startedAt"] >= latest[-1]["startedAt"]


def test_failed_feed_exits_1_with_reason(cli_env, feed_server) -> None:
    result = jobfeed(cli_env, "import", "--feed", feed_server.base_url + "/html-challenge?code=200")
    assert result.returncode == 1
    assert "blocked_html" in result.stdout


@pytest.mark.parametrize(
    ("args", "env_extra", "message"),
    [
        (["import", "--feeds-file", "/nonexistent/feeds.yaml"], {}, "cannot read feeds file"),
        (["import", "--feed", "ftp://example.com/x"], {}, "must be http"),
        (["import"], {"BATCH_SIZE": "zero"}, "BATCH_SIZE"),
        (["import"], {"FETCH_ALLOW_HOSTS": "10.0.0.0/99"}, "FETCH_ALLOW_HOSTS"),
    ],
)
def test_bad_config_exits_2_with_one_line(cli_env, args: list[str], env_extra: dict[str, str], message: str) -> None:
    result = jobfeed({**cli_env, **env_extra}, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_db_init_creates_the_indexes_and_says_so(db_name: str, mongo_service) -> None:
    from tests.support.indexes import declared_indexes, extra_indexes

    env = without_prefect(MONGODB_DB=db_name)
    db = mongo_service.client()[db_name]
    assert extra_indexes(db) == {}  # a fresh database: nothing until someone asks
    first = jobfeed(env, "db", "init")
    assert first.returncode == 0, first.stderr
    declared = declared_indexes()
    assert extra_indexes(db) == declared
    total = sum(len(names) for names in declared.values())
    assert (
        f"{total} index(es) created, 0 already present" in first.stdout
        and "created  jobs.source_externalId" in first.stdout
    )
    again = jobfeed(env, "db", "init")  # idempotent
    assert again.returncode == 0 and f"0 index(es) created, {total} already present" in again.stdout


def test_db_init_on_an_unreachable_database_exits_1(db_name: str) -> None:
    from jobfeed.stack.procs import free_port

    uri = f"mongodb://app:hunter2@127.0.0.1:{free_port()}/?directConnection=true"
    env = without_prefect(MONGODB_URI=uri)
    result = jobfeed(env, "db", "init")
    assert result.returncode == 1 and "cannot reach MongoDB" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_a_refused_local_feed_is_not_blamed_on_the_internet(cli_env) -> None:
    from jobfeed.stack.procs import free_port

    port = free_port()  # nothing listens there: the connection is refused
    result = jobfeed(cli_env, "import", "--feed", f"http://127.0.0.1:{port}/feed.xml")
    assert result.returncode == 1
    assert "network_error" in result.stdout
    assert f"Nothing answered at 127.0.0.1:{port}" in result.stdout and "no internet" not in result.stdout


def test_logs_tell_runs_apart(cli_env, feed_server) -> None:
    url = feed_server.url("single_item_feed.xml")
    for _ in range(2):
        assert jobfeed(cli_env, "import", "--feed", url).returncode == 0
    logs = json.loads(jobfeed(cli_env, "logs", "--json").stdout)
    table = jobfeed(cli_env, "logs").stdout
    assert "started" in table and " run " in table
    for doc in logs:  # each run's row shows its start and its run id's first characters
        assert doc["flowRunId"][:8] in table


@pytest.mark.parametrize(("command", "path"), [("dashboard", "/_stcore/health"), ("api", "/healthz")])
def test_sigterm_stops_the_server_and_its_children(db_name: str, tmp_path: Path, command: str, path: str) -> None:
    import os
    import signal
    import subprocess

    from jobfeed.stack.procs import free_port
    from tests.support.cli import JOBFEED
    from tests.support.ports import wait_until_answering, wait_until_closed

    port = free_port()
    env = without_prefect(MONGODB_DB=db_name)
    log = (tmp_path / f"{command}.log").open("wb")
    proc = subprocess.Popen([*JOBFEED, command, "--port", str(port)], env=env, cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        assert wait_until_answering(f"http://127.0.0.1:{port}{path}", timeout_s=90), (
            tmp_path / f"{command}.log"
        ).read_text()
        os.kill(proc.pid, signal.SIGTERM)  # this process alone, as `kill PID` or a process manager does
        # stopped by the signal: an exit code (0, 143) or, as uvicorn re-raises it after its shutdown, the signal
        assert proc.wait(timeout=30) in {0, 128 + signal.SIGTERM, -signal.SIGTERM}
        assert wait_until_closed("127.0.0.1", port, timeout_s=30), f"something still serves on {port}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
