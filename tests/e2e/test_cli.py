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
