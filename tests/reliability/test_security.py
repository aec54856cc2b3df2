"""Secrets stay secret, URLs stay http(s), and the password-protected servers work through their URLs.

The feeds of the secret run carry a password in their userinfo and a token in their query string, as
boards with private feeds hand them out. Neither may show up in anything jobfeed writes or prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pymongo.errors import AutoReconnect

from tests.support.cli import jobfeed, user_env
from tests.support.pipeline import Pipeline, check_log, forget_process_state
from tests.support.services import AuthMongoService

pytestmark = pytest.mark.timeout(150)

DB = "rel_security"
PASSWORD, TOKEN = "hunter2-pw", "secret123-tok"
SECRETS = (PASSWORD, TOKEN)
BUG_URL = ("BUG: the raw feed URL (password and token included) is stored and shown as the feed's "
           "identity; persist and display redact_url(url) instead")  # fmt: skip


def leaks(value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return [secret for secret in SECRETS if secret in text]


# --- one run over feeds whose URLs carry secrets ----------------------------------------------------


@dataclass
class SecretRun:
    state: Any
    urls: dict[str, str]
    db: Any

    @property
    def flow_run_id(self) -> str:
        return str(self.state.state_details.flow_run_id)


@pytest.fixture(scope="module")
def secret_run(feed_server: Any, mongo_service: Any, prefect_harness: None) -> Iterator[SecretRun]:
    """Imported, failed, partly invalid and dead-lettered feeds, all with secrets in their URLs."""
    from flows.import_feeds import import_feeds
    from jobfeed.redact import redact_url
    from jobfeed.store.jobs import JobRepo

    base = f"http://feeduser:{PASSWORD}@127.0.0.1:{feed_server.port}"
    urls = {
        "imported": f"{base}/jobspresso_wpjm_job_feed.xml?token={TOKEN}",
        "failed": f"{base}/status/404?api_key={TOKEN}",
        "invalid-item": f"{base}/item_without_identity.xml?access_token={TOKEN}",
        "dead-batch": f"{base}/atom_feed.xml?signature={TOKEN}",
    }
    client = mongo_service.client()
    client.drop_database(DB)
    patch = pytest.MonkeyPatch()
    patch.setenv("MONGODB_DB", DB)
    real = JobRepo.upsert_batch

    def database_refuses_one_feed(self: JobRepo, jobs: Any, *, feed_url: str, **kwargs: Any) -> Any:
        if feed_url == redact_url(urls["dead-batch"]):  # jobs are upserted under the public URL
            raise AutoReconnect("127.0.0.1:27017: connection closed")  # as pymongo words it
        return real(self, jobs, feed_url=feed_url, **kwargs)

    patch.setattr(JobRepo, "upsert_batch", database_refuses_one_feed)
    forget_process_state()
    try:
        state = import_feeds(feed_urls=list(urls.values()), return_state=True)
        patch.setattr(JobRepo, "upsert_batch", real)  # the other tests of this module write normally
        yield SecretRun(state, urls, client[DB])
    finally:
        patch.undo()
        forget_process_state()
        client.drop_database(DB)


def test_secret_run_outcomes_and_error_messages_are_redacted(secret_run: SecretRun) -> None:
    assert secret_run.state.is_completed(), secret_run.state
    logs = {log["feedName"]: log for log in secret_run.db.import_logs.find({})}
    assert len(logs) == 4
    by_status = sorted(log["status"] for log in logs.values())
    # imported; 404; one invalid item of three; every job in a batch the database refused
    assert by_status == ["failed", "failed", "partial", "success"], by_status
    for log in logs.values():
        check_log(log)
        # what the product writes itself (messages, failures) never quotes a secret
        assert not leaks([log.get("error"), log["failures"], log.get("lockUnavailable")]), log
    letters = list(secret_run.db.dead_letters.find({}))
    assert {letter["reason"] for letter in letters} == {"db_error", "item_invalid"}
    assert not leaks([letter["message"] for letter in letters])


def test_import_logs_hold_no_secrets(secret_run: SecretRun) -> None:
    docs = list(secret_run.db.import_logs.find({}))
    assert len(docs) == 4 and not leaks(docs)


def test_dead_letters_hold_no_secrets(secret_run: SecretRun) -> None:
    docs = list(secret_run.db.dead_letters.find({}))
    assert len(docs) == 2 and not leaks(docs)


def test_feed_state_and_jobs_hold_no_secrets(secret_run: SecretRun) -> None:
    docs = list(secret_run.db.feeds.find({})) + list(secret_run.db.jobs.find({}, {"feeds": 1}))
    assert docs and not leaks(docs)


def test_prefect_artifacts_and_task_runs_hold_no_secrets(secret_run: SecretRun) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId

    run_id = UUID(secret_run.flow_run_id)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    assert artifacts and task_runs
    assert not leaks([a.data for a in artifacts] + [a.description for a in artifacts])
    assert not leaks([t.name for t in task_runs])


def test_prefect_logs_and_states_hold_no_secrets(secret_run: SecretRun) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)  # logs reach the API in the background
    run_id = UUID(secret_run.flow_run_id)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    assert logs  # the failed fetch and the failed batch were logged, with their errors
    assert not leaks([log.message for log in logs])
    assert not leaks([t.state.message for t in task_runs if t.state])


def test_cli_flow_run_parameters_hold_no_secrets(feed_server: Any, db_name: str, prefect_harness: None) -> None:
    """`jobfeed import --feed URL` passes a private feeds file's path, never the URL, as a parameter.
    (Calling the flow's `feed_urls` parameter directly stores what it is given: keep secrets in files.)"""
    from prefect.client.orchestration import get_client

    url = f"http://feeduser:{PASSWORD}@127.0.0.1:{feed_server.port}/single_item_feed.xml?token={TOKEN}"
    imported = jobfeed(user_env(MONGODB_DB=db_name), "import", "--feed", url, "--json", timeout=120)
    assert imported.returncode == 0, imported.stderr
    flow_run_id = json.loads(imported.stdout)[0]["flowRunId"]
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
    assert run.parameters["feed_urls"] is None and run.parameters["feeds_file"]
    assert not leaks(run.parameters)


def test_cli_output_holds_no_secrets(feed_server: Any, db_name: str, prefect_harness: None) -> None:
    url = f"http://feeduser:{PASSWORD}@127.0.0.1:{feed_server.port}/single_item_feed.xml?token={TOKEN}"
    env = user_env(MONGODB_DB=db_name)
    imported = jobfeed(env, "import", "--feed", url, "--json", timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert len(json.loads(imported.stdout)) == 1
    table = jobfeed(env, "logs", timeout=120)
    assert table.returncode == 0, table.stderr
    assert not leaks(imported.stdout + imported.stderr + table.stdout + table.stderr)


# --- feed URLs must be http(s) ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "javascript:alert(1)",
                                 "http:///no-host", "ftp://127.0.0.1/feed.xml"])  # fmt: skip
def test_non_http_feed_url_is_a_config_error(url: str, tmp_path: Path) -> None:
    env = user_env(MONGODB_URI="mongodb://127.0.0.1:9/?directConnection=true")  # never reached
    by_flag = jobfeed(env, "import", "--feed", url, timeout=120)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: {json.dumps(url)}\n")
    by_file = jobfeed(env, "import", "--feeds-file", str(feeds), timeout=120)
    for result in (by_flag, by_file):
        assert result.returncode == 2, (result.stdout, result.stderr)
        said = " ".join(result.stderr.split())  # rich wraps long lines
        assert "must be http(s)" in said and "Traceback" not in said


def test_non_http_feed_url_never_reaches_a_fetch(pipeline: Pipeline, served: Any) -> None:
    from flows.import_feeds import import_feeds

    state = import_feeds(feed_urls=[served.url("single_item_feed.xml"), "file:///etc/passwd"], return_state=True)
    assert state.is_failed()
    assert pipeline.store.db.import_logs.count_documents({}) == 0  # the whole run refused, nothing half-started
    assert served.requests == []


# --- Redis with requirepass -----------------------------------------------------------------------------


def test_password_protected_redis_through_redis_url(pipeline: Pipeline, served: Any, set_env: Any) -> None:
    from jobfeed.ops.locks import FeedLocks, get_locks
    from jobfeed.settings import get_settings
    from tests.support.services import RedisService

    with RedisService(password=f"redis-{PASSWORD}") as redis:
        set_env(REDIS_URL=redis.url)
        url = served.url("single_item_feed.xml?t=redis-auth")
        locked = pipeline.run([url])
        assert locked[url]["status"] == "success" and locked[url]["lockUnavailable"] is None  # AUTH worked
        assert get_locks(get_settings().redis_url, get_settings().lock_ttl_s).holder(url) is None  # given back
        # the lock really lives in this Redis: a holder there makes the next run skip the feed
        assert redis.client().set(FeedLocks.key(url), "another-run")
        skipped = pipeline.run([url])
        assert skipped[url]["status"] == "skipped" and skipped[url]["error"]["reason"] == "locked"
        redis.client().flushall()

        set_env(REDIS_URL=redis.url.replace(f"redis-{PASSWORD}", "wrong-password"))
        unlocked = pipeline.run([url])
        log = unlocked[url]
        assert log["status"] == "not_modified"  # imports without a lock rather than not at all...
        assert log["lockUnavailable"] and "auth" in log["lockUnavailable"].lower()  # ...and says why
        assert not leaks(log["lockUnavailable"]) and "wrong-password" not in log["lockUnavailable"]


# --- MongoDB with SCRAM authentication ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def auth_mongo(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Any]:
    """A Mongo server of this module that requires SCRAM authentication (user `jobfeed`)."""
    folder = tmp_path_factory.mktemp("auth-mongo")
    service = AuthMongoService(storage_path=folder / "data", user="jobfeed", password=f"mongo-{PASSWORD}")
    with service:
        service.enable_auth()
        yield service
        forget_process_state()
        service.kill()


def test_mongo_with_auth_imports_and_a_wrong_password_fails_clearly(auth_mongo: Any, served: Any, set_env: Any) -> None:
    from flows.import_feeds import import_feeds

    url = served.url("single_item_feed.xml?t=mongo-auth")
    set_env(MONGODB_URI=auth_mongo.auth_uri(), MONGODB_DB="authdb")
    good = Pipeline().run([url])
    assert good[url]["status"] == "success" and good[url]["newJobs"] == 1

    wrong = auth_mongo.auth_uri(f"wrong-{PASSWORD}")
    set_env(MONGODB_URI=wrong)
    state = import_feeds(feed_urls=[url], return_state=True)
    assert state.is_failed(), state
    assert "authentication failed" in (state.message or "").lower(), state.message
    assert not leaks(state.message) and "wrong-" not in (state.message or "")

    env = user_env(MONGODB_URI=wrong, MONGODB_DB="authdb")
    logs = jobfeed(env, "logs", timeout=120)  # the read path says what is wrong, in one line
    assert logs.returncode == 1 and "database unreachable" in logs.stderr
    imported = jobfeed(env, "import", "--feed", url, "--json", timeout=120)
    assert imported.returncode == 1 and imported.stdout == ""
    for result in (logs, imported):
        assert not leaks(result.stdout + result.stderr) and "wrong-" not in result.stdout + result.stderr
        assert "authentication failed" in result.stderr.lower()


def test_cli_import_with_a_refusing_database_says_so_in_one_line(auth_mongo: Any, served: Any) -> None:
    env = user_env(MONGODB_URI=auth_mongo.auth_uri("wrong"), MONGODB_DB="authdb")
    result = jobfeed(env, "import", "--feed", served.url("single_item_feed.xml"), timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 3, result.stderr
