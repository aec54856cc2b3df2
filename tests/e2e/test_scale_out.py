"""Scale-out for real: one Prefect server, TWO process workers on one pool, 4 runs triggered at once.

Proves: both workers take runs; every run writes one ImportLog per feed; a feed is never imported by
two runs at the same time (the overlapping run logs `skipped`/`locked`, from jobfeed/locks.py); the
jobs collection holds exactly the distinct jobs of the feeds; the count invariant holds in every log.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobfeed.stack import procs as P
from jobfeed.stack import servers as S

ROOT = Path(__file__).resolve().parents[2]
RUNS = 4
WORKERS = 2
# ~700 bytes dripped 1 byte / 10 ms: every run's fetch takes ~7-10 s, and a run holds all its feeds'
# locks until its slowest fetch is done, so runs started together must collide on every feed.
DRIP = "drip?interval=0.01&bytes=700"
STATIC = ("jobspresso_wpjm_job_feed.xml", "jobicy_job_feed.xml", "atom_feed.xml")
RAN = re.compile(r"View at \S+/runs/flow-run/([0-9a-f-]{36})")
OVERLAP_SLACK_S = 2.0  # a run stamps startedAt a moment before it asks for the lock (see the check below)

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Cluster:
    api: str
    pool: str
    worker_logs: tuple[Path, ...]


def _deploy_without_limit(pool: str) -> str:
    """A second deployment of the same flow, without `hourly`'s concurrency limit of 1.

    from_source(<the checkout>) makes the pull step "set working directory to the checkout": no image
    is built and nothing is pushed; the process worker runs flows/import_feeds.py from here.
    """
    from prefect import Flow

    flow = Flow.from_source(source=str(ROOT), entrypoint="flows/import_feeds.py:import_feeds")
    deployment_id = flow.deploy(
        name="scale-test", work_pool_name=pool, build=False, push=False, print_next_steps=False,
        concurrency_limit=None, tags=["scale-test"], ignore_warnings=True,
    )  # fmt: skip
    return str(deployment_id)


@pytest.fixture
def cluster(tmp_path: Path, db_name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """Prefect server + two workers on one pool, all on free ports, all stopped in `finally`."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from jobfeed.cli.deploy import ensure_work_pool

    port = P.free_port()
    api = f"http://127.0.0.1:{port}/api"
    pool = f"scale-{db_name[-16:].replace('_', '-')}".lower()
    # The workers (and so the flow runs) inherit these, as from an operator's shell.
    for key, value in {
        "PREFECT_API_URL": api,
        "JOBFEED_STATE_DIR": str(tmp_path / "state"),
        "HTTP_TIMEOUT_S": "45",  # the dripped feed takes ~7-10 s on a busy 2-core box; conftest's 10 s is too tight
        "PREFECT_WORKER_QUERY_SECONDS": "2",  # pick runs up quickly (default 10 s)
        # conftest's WARNING would hide the runs' INFO lines ("View at .../flow-run/<id>"): our evidence of who ran what
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO",
    }.items():
        monkeypatch.setenv(key, value)
    procs: list[int] = []
    try:
        server = S.start_prefect_process(port, tmp_path / "prefect", tmp_path / "prefect.log")
        procs.append(server.pid)
        P.wait_until(
            lambda: S.http_ok(api + "/health"), 120, "prefect server", proc=server, log_path=tmp_path / "prefect.log"
        )
        with temporary_settings(updates={PREFECT_API_URL: api}):  # wins over a session's test harness
            ensure_work_pool(pool)
            _deploy_without_limit(pool)
            logs = tuple(tmp_path / f"worker-{i}.log" for i in range(1, WORKERS + 1))
            for i, log in enumerate(logs, 1):
                # --limit 2: without it the first worker to poll takes all four runs and the other idles.
                worker = S.start_worker_process(api, pool, log, ROOT, limit=RUNS // WORKERS, name=f"scale-worker-{i}")
                procs.append(worker.pid)
            for log in logs:  # both polling before any run exists, so both get a share
                P.wait_until(
                    lambda log=log: "started" in log.read_text().lower(), 60, f"worker {log.name}", log_path=log
                )
            yield Cluster(api, pool, logs)
    finally:
        for pid in reversed(procs):  # workers first (they would cancel their runs), then the server
            P.stop_process(pid)


def _wait_terminal(run_ids: list[str], timeout: float) -> dict[str, Any]:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            runs = {rid: client.read_flow_run(rid) for rid in run_ids}
            if all(r.state is not None and r.state.is_final() for r in runs.values()) or time.monotonic() > deadline:
                return runs
            time.sleep(1)


def _expected_keys(feed_server: Any, urls: list[str]) -> set[tuple[str, str]]:
    """The distinct job keys of the served feeds, computed with jobfeed's own parser (not via Mongo)."""
    from jobfeed.pipeline.normalize import normalize_items
    from jobfeed.sources import parse_feed
    from tests.support.feed_routes import padded_feed

    keys: set[tuple[str, str]] = set()
    for url, name in zip(urls, [DRIP, *STATIC], strict=True):
        found = feed_server.lookup("/" + name)
        body, ctype = (padded_feed(700), "application/rss+xml") if found is None else found[:2]
        keys |= {job.key for job in normalize_items(parse_feed(body, ctype), url).jobs}
    return keys


def test_two_workers_share_runs_and_feed_locks_keep_imports_apart(cluster: Cluster, feed_server, store) -> None:
    from prefect.deployments import run_deployment

    urls = [feed_server.url(DRIP), *(feed_server.url(f) for f in STATIC)]
    started = time.monotonic()
    run_ids = [
        str(run_deployment(name="import-feeds/scale-test", parameters={"feed_urls": urls}, timeout=0).id)
        for _ in range(RUNS)
    ]
    runs = _wait_terminal(run_ids, timeout=180)  # ~15 s normally; under the suite-wide 300 s timeout
    took = time.monotonic() - started
    states = {rid: r.state.type.value if r.state else None for rid, r in runs.items()}
    assert set(states.values()) == {"COMPLETED"}, (states, [log.read_text()[-3000:] for log in cluster.worker_logs])

    # Both workers ran runs. A run's own output lands in the log of the worker that started its process,
    # and the run prints "View at .../flow-run/<id>" when it begins. ("submitting flow run <id>" is no
    # proof: both workers race to submit the same run and the server aborts the loser's attempt.)
    taken = [set(RAN.findall(log.read_text())) & set(run_ids) for log in cluster.worker_logs]
    assert all(taken), f"a worker ran no flow run: {taken}"
    assert set().union(*taken) == set(run_ids) and sum(map(len, taken)) == RUNS, (
        f"a run ran twice or not at all: {taken}"
    )

    # Every run wrote exactly one ImportLog per feed, each finished, each with the count invariant.
    by_run = {rid: store.logs.for_flow_run(rid) for rid in run_ids}
    logs = [log for docs in by_run.values() for log in docs]
    assert all(sorted(d["fileName"] for d in docs) == sorted(urls) for docs in by_run.values()), by_run
    for log in logs:
        assert log["status"] != "running" and log["finishedAt"] is not None, log
        assert log["totalFetched"] == log["newJobs"] + log["updatedJobs"] + log["unchangedJobs"] + log["failedJobs"], (
            log
        )

    # Per feed: a run either imported it or skipped it because another run held its lock; the
    # imports of one feed never overlap. A run stamps startedAt just before asking for the lock, so
    # a run that got the lock right after the holder released may start up to OVERLAP_SLACK_S early;
    # two truly concurrent imports would overlap by a whole dripped fetch (~7 s).
    skipped_locked = 0
    for url in urls:
        per_feed = sorted((log for log in logs if log["fileName"] == url), key=lambda d: d["startedAt"])
        imported = [log for log in per_feed if log["status"] != "skipped"]
        for log in per_feed:
            if log["status"] == "skipped":
                assert (log.get("error") or {}).get("reason") == "locked", log
                skipped_locked += 1
        assert imported, f"no run imported {url}"
        for earlier, later in itertools.pairwise(imported):
            overlap = (earlier["finishedAt"] - later["startedAt"]).total_seconds()
            assert overlap < OVERLAP_SLACK_S, f"{url} imported by two runs at once ({overlap:.1f} s): {earlier} {later}"
    assert skipped_locked > 0, "no run was ever locked out: the runs did not overlap, so nothing was tested"

    # Exactly the distinct jobs of the feeds, each counted new exactly once over all runs.
    expected = _expected_keys(feed_server, urls)
    stored = {(doc["source"], doc["externalId"]) for doc in store.jobs.coll.find({}, {"source": 1, "externalId": 1})}
    assert stored == expected
    assert sum(log["newJobs"] for log in logs) == len(expected)
    print(
        f"\n{RUNS} runs on {WORKERS} workers in {took:.1f} s; taken per worker: {[len(t) for t in taken]}; "
        f"feed imports skipped as locked: {skipped_locked}/{len(logs)}"
    )


def test_expected_keys_cover_every_feed(feed_server) -> None:
    """Guards the assertion above: the chosen feeds really have distinct jobs to count."""
    urls = [feed_server.url(DRIP), *(feed_server.url(f) for f in STATIC)]
    assert len(_expected_keys(feed_server, urls)) >= 2 + 3
