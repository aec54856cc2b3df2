"""The database fails under a running import: a restart within the retries, a server gone for good,
writes that keep failing, racing writers, and a run that died without a trace in Prefect."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pymongo.errors import AutoReconnect

from jobfeed.pipeline.spool import FeedSpool, spool_root
from tests.support.feeds import item, many_items_feed, rss
from tests.support.gated_server import GatedFeedServer
from tests.support.pipeline import FlowResult, Pipeline, check_log, in_thread, wait_until

pytestmark = pytest.mark.timeout(150)


def start_flow(pipeline: Pipeline, urls: list[str]) -> tuple[threading.Thread, list[Any]]:
    """Run the flow in a thread (the test thread injects the fault); results[0] is the final state."""
    from flows.import_feeds import import_feeds

    results: list[Any] = []

    def target() -> None:
        try:
            results.append(import_feeds(feed_urls=urls, return_state=True))
        except BaseException as exc:
            results.append(exc)

    return in_thread(target), results


def task_runs_of(flow_run_id: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])))


def mongo_counter(service: Any) -> Any:
    """A count of `jobs` on the private server, through a client of its own (None while it is down)."""
    client = service.client(serverSelectionTimeoutMS=500)

    def count() -> int | None:
        try:
            return client["reliability"].jobs.estimated_document_count()
        except Exception:
            return None

    return count


# --- (a) killed mid-run, back within the retry window ------------------------------------------------


def test_mongo_killed_during_upserts_and_restarted_counts_exactly(
    own_mongo: Any, own_pipeline: Pipeline, gated: GatedFeedServer, set_env: Any
) -> None:
    total = 3000
    # 3 batches of 1,000, all in flight together (~1.5 s of writes): the kill at 600 jobs breaks off
    # each of them halfway. The production backoff (1, 2, 4 s + jitter; the suite runs with 0): the
    # first retry lands while the server restarts and waits for it (server selection, 5 s)
    set_env(BATCH_SIZE="1000", RETRY_BACKOFF_S="1")
    url = gated.set("big.xml", many_items_feed("kill", total))
    count = mongo_counter(own_mongo)

    thread, results = start_flow(own_pipeline, [url])
    at_kill = wait_until(lambda: (n := count()) is not None and n >= 600 and n, 60, "upserts to be under way")
    own_mongo.kill()  # SIGKILL, like a crash or an OOM kill: in-flight bulk writes break off
    threading.Event().wait(1.0)  # down for a second: the first retries land on a dead server
    own_mongo.start()  # same port, same data
    thread.join(timeout=120)
    assert results and not isinstance(results[0], BaseException), results
    state = results[0]
    assert at_kill < total  # the kill really landed before the last batch
    assert state.is_completed(), state

    result = own_pipeline.result_of(state)
    log = result[url]
    check_log(log)
    assert (log["status"], log["newJobs"], log["updatedJobs"], log["unchangedJobs"], log["failedJobs"]) == (
        "success", total, 0, 0, 0)  # fmt: skip
    store = own_pipeline.store
    assert store.jobs.count() == total
    # every job carries a write stamp of this run: nothing was written twice under another name
    assert store.db.jobs.count_documents({"lastWrite.token": {"$regex": f"^{result.flow_run_id}:"}}) == total
    assert store.db.dead_letters.count_documents({}) == 0
    assert store.feeds.get(url)["bodyHash"]  # the body was stored in full: its state was saved
    retried = [t for t in task_runs_of(result.flow_run_id) if t.name.startswith("upsert") and t.run_count > 1]
    assert retried, "no upsert batch was retried: the kill missed the writes"


# --- (b) killed for good ----------------------------------------------------------------------------


def test_mongo_gone_for_good_fails_the_run_visibly_then_the_next_run_recovers(
    own_mongo: Any,
    own_pipeline: Pipeline,
    gated: GatedFeedServer,
    set_env: Any,
    fast_db_timeouts: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    total = 1200
    set_env(BATCH_SIZE="400")  # 3 batches, all in flight at the kill: partly written
    url = gated.set("big.xml", many_items_feed("gone", total))
    count = mongo_counter(own_mongo)
    thread, results = start_flow(own_pipeline, [url])
    wait_until(lambda: (n := count()) is not None and n >= 100, 60, "upserts to be under way")
    own_mongo.kill()
    thread.join(timeout=120)
    assert results, "the flow run never ended"
    state = results[0]
    assert not isinstance(state, BaseException), state
    assert state.is_failed() or state.is_crashed(), state  # visible in Prefect, not a quiet success
    crashed_run = str(state.state_details.flow_run_id)

    own_mongo.start()
    store = own_pipeline.store
    from jobfeed.ops.locks import get_locks
    from jobfeed.settings import get_settings

    locks = get_locks(get_settings().redis_url, get_settings().lock_ttl_s)
    assert locks.holder(url) == crashed_run  # the dead run could not give its lock back (30 min hold)
    (stale,) = store.logs.for_flow_run(crashed_run)
    assert stale["status"] == "running"  # no log claims success: it could not even be finished
    partly_written = store.jobs.count()
    assert 0 < partly_written < total

    again = own_pipeline.run([url])
    recovered = store.logs.get(str(stale["_id"]))
    assert recovered["status"] == "failed" and recovered["error"]["reason"] == "run_crashed"
    check_log(recovered)
    assert recovered["totalFetched"] == 0
    log = again[url]
    assert log["status"] == "success" and log["failedJobs"] == 0  # its lock was freed, not waited out
    # converged: every job exactly once; what the dead run wrote is found again, unchanged
    assert store.jobs.count() == total
    assert (log["newJobs"], log["unchangedJobs"], log["updatedJobs"]) == (total - partly_written, partly_written, 0)


def test_lock_of_a_run_known_crashed_is_freed_by_the_next_run(pipeline: Pipeline, served: Any) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Failed

    from flows.import_feeds import import_feeds
    from jobfeed.ops.locks import get_locks
    from jobfeed.settings import get_settings

    # what the test above leaves when the database is back before the lock's hold ends: a flow run
    # Prefect knows failed, its `running` log, and its lock (the token is the flow run id)
    with get_client(sync_client=True) as client:
        dead = client.create_flow_run(import_feeds, name="db-gone", state=Failed())
    url = served.url("single_item_feed.xml?t=dead-holder")
    pipeline.store.logs.open(feed_url=url, feed_name="x", flow_run_id=str(dead.id), started_at=datetime.now(UTC))
    locks = get_locks(get_settings().redis_url, get_settings().lock_ttl_s)
    assert locks.acquire(url, str(dead.id)).acquired
    try:
        result = pipeline.run([url])
        assert result[url]["status"] == "success" and result[url]["newJobs"] == 1
    finally:
        locks.release(url, str(dead.id))


# --- writes that keep failing after every retry ---------------------------------------------------------


def test_batch_failing_after_retries_is_a_dead_letter_and_is_imported_next_time(
    pipeline: Pipeline, gated: GatedFeedServer, set_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobfeed import constants as C
    from jobfeed.store.jobs import JobRepo

    set_env(BATCH_SIZE="2")
    broken = gated.set("broken.xml", many_items_feed("dl", 5))  # batches of 2, 2, 1
    fine = gated.set("fine.xml", many_items_feed("ok", 3))
    attempts: list[str] = []
    real = JobRepo.upsert_batch

    def flaky_database(self: JobRepo, jobs: Any, *, feed_url: str, token: str, now: datetime) -> Any:
        if feed_url == broken and token.endswith(":1"):  # batch 1 of one feed never gets through
            attempts.append(token)
            raise AutoReconnect("connection closed (injected)")
        return real(self, jobs, feed_url=feed_url, token=token, now=now)

    monkeypatch.setattr(JobRepo, "upsert_batch", flaky_database)
    first = pipeline.run([broken, fine])
    assert len(attempts) == C.UPSERT_RETRIES + 1  # retried, then given up on
    log = first[broken]
    assert (log["status"], log["newJobs"], log["failedJobs"]) == ("partial", 3, 2)
    assert log["failuresByReason"] == {"db_error": 2}
    assert first[fine]["status"] == "success" and first[fine]["newJobs"] == 3
    store = pipeline.store
    (letter,) = store.db.dead_letters.find({})
    assert letter["reason"] == "db_error" and letter["attempts"] == C.UPSERT_RETRIES + 1
    assert [job["externalId"] for job in letter["payload"]["jobs"]] == ["dl-2", "dl-3"]
    assert store.feeds.get(broken).get("etag") is None  # not saved: the next run must not say not_modified

    monkeypatch.setattr(JobRepo, "upsert_batch", real)  # the database is healthy again
    second = pipeline.run([broken, fine])
    assert (second[broken]["status"], second[broken]["newJobs"], second[broken]["unchangedJobs"]) == ("success", 2, 3)
    assert second[fine]["status"] == "not_modified"
    assert store.jobs.count() == 8


# --- (c) two feeds of one board racing on the same jobs ---------------------------------------------------


@pytest.fixture
def race_probe(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Makes the first two reads of `jobs` in a run wait for each other, so both feeds see the shared
    jobs missing and both try to insert them: a duplicate-key race every time, not by luck. Also
    counts the jobs the writes sent round again (lost races)."""
    from jobfeed.store.jobs import JobRepo

    probe: dict[str, Any] = {"barrier": None, "reads": 0, "lost": 0, "lock": threading.Lock()}
    real_read, real_write = JobRepo._read_existing, JobRepo._write

    def read(self: JobRepo, jobs: Any) -> Any:
        found = real_read(self, jobs)
        with probe["lock"]:
            probe["reads"] += 1
            first_two = probe["reads"] <= 2
        if first_two and probe["barrier"] is not None:
            probe["barrier"].wait(timeout=30)
        return found

    def write(self: JobRepo, ops: Any, op_jobs: Any, counts: Any) -> Any:
        retry = real_write(self, ops, op_jobs, counts)
        with probe["lock"]:
            probe["lost"] += len(retry)
        return retry

    monkeypatch.setattr(JobRepo, "_read_existing", read)
    monkeypatch.setattr(JobRepo, "_write", write)
    return probe


@pytest.mark.parametrize("forced", [True, False], ids=["lockstep", "interleaved"])
def test_feeds_of_one_board_racing_on_shared_jobs_count_each_job_once(
    pipeline: Pipeline, gated: GatedFeedServer, race_probe: dict[str, Any], set_env: Any, forced: bool
) -> None:
    shared_n, own_n, rounds = 40, 10, 3
    if not forced:
        set_env(BATCH_SIZE="7")  # many small batches of both feeds interleave freely
    lost = 0
    for r in range(rounds):  # fresh jobs every round: every shared job is raced for anew
        shared = [item(f"r{r}-shared-{i}", f"Shared {i}") for i in range(shared_n)]
        bodies = {
            name: rss("\n".join(shared + [item(f"r{r}-{name}-{i}", f"Own {i}") for i in range(own_n)]))
            for name in ("a", "b")
        }
        urls = [gated.set(f"round{r}-{name}.xml", body) for name, body in bodies.items()]
        race_probe["reads"] = 0
        race_probe["lost"] = 0
        race_probe["barrier"] = threading.Barrier(2) if forced else None
        result = pipeline.run(urls)
        a, b = (result[url] for url in urls)
        assert a["failedJobs"] == b["failedJobs"] == 0, (a["failures"], b["failures"])
        assert a["status"] == b["status"] == "success"
        assert a["newJobs"] + b["newJobs"] == shared_n + 2 * own_n  # each job inserted, and counted, once
        assert a["unchangedJobs"] + b["unchangedJobs"] == shared_n  # the loser of each race saw it unchanged
        assert a["updatedJobs"] == b["updatedJobs"] == 0
        store = pipeline.store
        assert store.db.jobs.count_documents({"externalId": {"$regex": f"^r{r}-"}}) == shared_n + 2 * own_n
        assert (
            store.db.jobs.count_documents({"externalId": {"$regex": f"^r{r}-shared-"}, "feeds": {"$all": urls}})
            == shared_n
        )
        lost += race_probe["lost"]
        if forced:
            assert race_probe["lost"] > 0  # the race happened in this round, and was resolved
    assert pipeline.store.db.dead_letters.count_documents({}) == 0


# --- a run killed without Prefect noticing -----------------------------------------------------------


def test_log_of_a_run_killed_without_prefect_noticing_is_recovered(pipeline: Pipeline, served: Any) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    from flows.import_feeds import import_feeds

    # what `kill -9` of a worker leaves behind: a flow run that stays Running in Prefect, and its log
    with get_client(sync_client=True) as client:
        zombie = client.create_flow_run(import_feeds, name="killed-worker", state=Running())
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    url = served.url("single_item_feed.xml?t=zombie")
    log_id = pipeline.store.logs.open(feed_url=url, feed_name="zombie", flow_run_id=str(zombie.id), started_at=long_ago)
    leftovers = FeedSpool(spool_root(os.environ["SPOOL_DIR"]), log_id).reset()  # the killed run's working files
    (leftovers.dir / "batch-00000.pickle").write_bytes(b"half-written")

    pipeline.run([url])
    stale = pipeline.store.logs.get(log_id)
    assert stale["status"] == "failed" and stale["error"]["reason"] == "run_crashed"
    assert not leftovers.dir.exists()  # removed with the recovery, not a day later


def test_log_of_a_run_prefect_knows_failed_is_recovered(pipeline: Pipeline, served: Any) -> None:
    """The case start-run does handle: the flow run is final (or unknown) but its log says running."""
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    from flows.import_feeds import import_feeds

    with get_client(sync_client=True) as client:
        dead = client.create_flow_run(import_feeds, name="crashed-run", state=Crashed())
    url = served.url("single_item_feed.xml?t=crashed")
    known = pipeline.store.logs.open(
        feed_url=url, feed_name="x", flow_run_id=str(dead.id), started_at=datetime.now(UTC)
    )
    unknown = pipeline.store.logs.open(
        feed_url=url, feed_name="x", flow_run_id="00000000-0000-0000-0000-000000000000", started_at=datetime.now(UTC)
    )
    result: FlowResult = pipeline.run([url])
    assert result[url]["status"] == "success"
    for log_id in (known, unknown):
        log = pipeline.store.logs.get(log_id)
        check_log(log)
        assert log["status"] == "failed" and log["error"]["reason"] == "run_crashed"
