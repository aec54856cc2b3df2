"""`python -m bench.soak`: the chaos soak. Consecutive imports of changing feeds from a faulty local feed
server, through a Prefect deployment on a process worker, while the database, Redis, the Prefect server and
the worker are killed with -9 and restarted; an oracle checks every run (bench/soak/oracle.py).

Seeded and reproducible in its decisions (feed changes, faults per request, which server dies in which run,
how long after the run started and for how long); bounded in time (every wait has a deadline); loopback
only. Writes soak-report.json and soak-report.md; exits 1 when the oracle saw a violation.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.soak.chaos import ChaosFeedServer
from bench.soak.cluster import DEPLOYMENT, FINAL, POOL, ROOT, Cluster, kill_tree
from bench.soak.model import Board
from bench.soak.oracle import Oracle
from bench.soak.plan import Kill, SoakConfig, plan_kills
from bench.soak.report import build_result

RESULTS = ROOT / "bench" / "results"
PROCESS_APPEAR_S = 60.0  # a worker picks a run up and its flow starts running within this (polls every second)
STORM_FRACTION = 0.6  # items edited before the run whose database dies while it writes
STORM_AFTER = 0.3  # of those, edited again and taken back (each) before the next run
ZOMBIE_GONE_S = 4.0  # a flow-run process gone this long without a final state is a dead run


class Soak:
    """One soak: its servers, the feed server, the oracle, and everything it records for the report."""

    def __init__(self, config: SoakConfig, *, work: Path, kills: bool, log: Any = print) -> None:
        self.config, self.work, self.log = config, work, log
        self.rng = random.Random(config.seed)
        self.board = Board(config.feeds, config.items, config.seed)
        self.kills = plan_kills(config, self.rng) if kills else []
        self.runs: list[dict[str, Any]] = []
        self.recoveries: list[dict[str, Any]] = []
        self.kill_log: list[dict[str, Any]] = []
        self.zombies: dict[str, dict[str, Any]] = {}
        self.changes: Counter[str] = Counter()
        self.db: Any = None

    # --- set-up ------------------------------------------------------------------------------------

    def setup_prefect(self, cluster: Cluster) -> None:
        """The work pool, a deployment of import-feeds without a concurrency limit, the zombie automation."""
        from prefect import Flow

        from jobfeed.cli.deploy import ensure_work_pool
        from jobfeed.ops.automations import zombie_automation

        ensure_work_pool(POOL)
        flow = Flow.from_source(source=str(ROOT), entrypoint="flows/import_feeds.py:import_feeds")
        with contextlib.redirect_stdout(io.StringIO()):  # its table of deployments would only be noise here
            flow.deploy(
                name="soak",
                work_pool_name=POOL,
                build=False,
                push=False,
                print_next_steps=False,
                concurrency_limit=None,
                ignore_warnings=True,
            )
        with cluster.client() as client:
            client.create_automation(zombie_automation(self.config.zombie_within_s))

    # --- one run -------------------------------------------------------------------------------------

    def trigger(self, feeds_file: Path) -> str:
        from prefect.deployments import run_deployment

        run = run_deployment(name=DEPLOYMENT, parameters={"feeds_file": str(feeds_file)}, timeout=0)
        return str(run.id)

    def _kill(self, cluster: Cluster, kill: Kill, flow_run_id: str, done: threading.Event) -> None:
        """Wait for the run's process, then kill -9 the server, wait, restart it (recording every step)."""
        entry: dict[str, Any] = asdict(kill)
        try:
            deadline = time.monotonic() + PROCESS_APPEAR_S
            while cluster.state_of(flow_run_id) != "RUNNING" and time.monotonic() < deadline:
                time.sleep(0.2)
            anchored = {  # what shows that the run reached the kill's anchor
                "started": lambda: self.db.import_logs.find_one({"flowRunId": flow_run_id}, {"_id": 1}),
                "upserting": lambda: self.db.jobs.find_one(
                    {"lastWrite.token": {"$regex": f"^{flow_run_id}:"}}, {"_id": 1}
                ),
            }.get(kill.anchor)
            while anchored is not None and time.monotonic() < deadline and not anchored():
                time.sleep(0.05)
            time.sleep(kill.delay_s)
            entry["run_state_at_kill"] = cluster.state_of(flow_run_id) if kill.service != "prefect" else "?"
            entry["pids"] = cluster.kill(kill.service)
            entry["killed_at"] = time.time()
            time.sleep(kill.down_s)
            entry["restart_s"] = round(cluster.restart(kill.service), 2)
        except Exception as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            self.kill_log.append(entry)
            done.set()

    def wait_run(self, cluster: Cluster, flow_run_id: str, kills_done: list[threading.Event]) -> tuple[str | None, str]:
        """(state, how it ended): `final`, `dead` (its process is gone, Prefect still says it runs) or `timeout`."""
        deadline = time.monotonic() + self.config.run_timeout_s
        seen = False
        gone_since: float | None = None
        state: str | None = None
        while time.monotonic() < deadline:
            state = cluster.state_of(flow_run_id) or state
            procs = cluster.flow_run_processes(flow_run_id)
            kills_over = all(event.is_set() for event in kills_done)
            if state in FINAL and kills_over:
                return state, "final"  # its process exits on its own (flushing logs and events): no need to wait
            if procs:
                seen, gone_since = True, None
            elif seen and kills_over:
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since > ZOMBIE_GONE_S:
                    return cluster.state_of(flow_run_id) or state, "dead"
            time.sleep(0.3)
        return state, "timeout"

    def wait_stale(self, db: Any) -> float:
        """Before a run: wait until every `running` log is older than 2 x LOCK_TTL_S, the age at which
        jobfeed's next run recovers it whatever Prefect says (jobfeed.pipeline.start.recover_crashed)."""
        from jobfeed import constants as C

        oldest_ok = datetime.now(UTC) - timedelta(seconds=self.config.lock_ttl_s * C.STALE_RUNNING_TTL_FACTOR + 1)
        newest = db.import_logs.find_one({"status": "running"}, sort=[("startedAt", -1)])
        if newest is None or newest["startedAt"] <= oldest_ok:
            return 0.0
        wait = (newest["startedAt"] - oldest_ok).total_seconds()
        time.sleep(wait)
        return wait

    def redrive(self, cluster: Cluster) -> tuple[list[dict[str, Any]] | None, str | None]:
        """`jobfeed redrive --json` against the soak's servers; (rows, error)."""
        env = {**cluster.base_env(), **cluster.env}
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "jobfeed", "redrive", "--json"],
                env=env,
                cwd=self.work,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, "timed out after 180 s"
        try:
            rows = json.loads(proc.stdout[proc.stdout.index("[") :]) if "[" in proc.stdout else []
        except ValueError:
            return None, f"exit {proc.returncode}, unreadable output: {proc.stdout[-300:]} {proc.stderr[-500:]}"
        return rows, None if proc.returncode in (0, 1) else f"exit {proc.returncode}: {proc.stderr[-500:]}"

    # --- the whole soak ---------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        import pymongo
        import redis

        config = self.config
        started = time.monotonic()
        with ChaosFeedServer(
            self.board, seed=config.seed, fault_rate=config.fault_rate, drip_s=config.drip_s
        ) as server:
            urls = {feed: server.url(feed) for feed in self.board.feeds}
            feeds_file = self.work / "feeds.yaml"
            feeds_file.write_text("feeds:\n" + "".join(f"  - url: {u}\n    name: {f}\n" for f, u in urls.items()))
            cluster = Cluster(
                self.work, soak_id=self.work.name, run_env=config.run_env(), prefect_env=config.prefect_env()
            )
            os.environ.update(
                {
                    "PREFECT_API_URL": cluster.api_url,
                    "PREFECT_HOME": str(self.work / "harness-home"),
                    "PREFECT_LOGGING_LEVEL": "WARNING",
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                }
            )
            mongo: pymongo.MongoClient[dict[str, Any]] | None = None
            oracle: Oracle | None = None
            setup_s: float | None = None
            try:
                self.log(f"soak: starting servers in {self.work} ...")
                cluster.start()
                self.setup_prefect(cluster)
                cluster.services["worker"].start()
                setup_s = time.monotonic() - started
                self.log(
                    f"soak: servers up in {setup_s:.0f} s; {config.runs} runs of {config.feeds} feeds, "
                    f"{len(self.kills)} kills planned"
                )
                mongo = pymongo.MongoClient(cluster.mongo_uri, tz_aware=True, serverSelectionTimeoutMS=60_000)
                db = self.db = mongo["soak"]
                oracle = Oracle(self.board, db, urls)
                locks = redis.Redis.from_url(cluster.redis_url, socket_timeout=5)
                previous_killed = False
                for run in range(config.runs):
                    self.one_run(run, cluster, server, oracle, db, feeds_file)
                    killed = any(kill.run == run for kill in self.kills)
                    if previous_killed and not killed:
                        pending = db.dead_letters.count_documents({"redrivenAt": None})
                        rows, error = self.redrive(cluster) if pending else ([], None)
                        lock_keys = [key.decode() for key in locks.scan_iter("jobfeed:lock:*")]
                        self.recoveries.append(
                            oracle.after_recovery(run, locks=lock_keys, redrive_rows=rows, redrive_error=error)
                        )
                    previous_killed = killed
                self.await_zombies(cluster, oracle)
            finally:
                if mongo is not None:
                    mongo.close()
                cluster.close()
            return build_result(self, oracle, server, cluster, setup_s, time.monotonic() - started)

    def one_run(
        self, run: int, cluster: Cluster, server: ChaosFeedServer, oracle: Oracle, db: Any, feeds_file: Path
    ) -> None:
        kills = [kill for kill in self.kills if kill.run == run]
        if run:
            with server.lock:
                self.changes.update(self.board.after_storm(STORM_AFTER) if self.board.stormed else {})
                self.changes.update(self.board.mutate())
                if any(kill.anchor == "upserting" for kill in kills):
                    self.changes["storm-edited"] += self.board.storm(STORM_FRACTION)
        server.set_epoch(run)
        waited = self.wait_stale(db)
        before = oracle.before_run()
        began = time.monotonic()
        flow_run_id = self.trigger(feeds_file)
        done = [threading.Event() for _ in kills]
        threads = [
            threading.Thread(target=self._kill, args=(cluster, kill, flow_run_id, event), daemon=True)
            for kill, event in zip(kills, done, strict=True)
        ]
        for thread in threads:
            thread.start()
        state, how = self.wait_run(cluster, flow_run_id, done)
        for thread in threads:
            thread.join(timeout=240)
        seconds = time.monotonic() - began
        if how == "timeout":
            oracle.fail(
                run,
                "run-ended",
                f"flow run {flow_run_id} did not end within {self.config.run_timeout_s:.0f} s (state {state})",
            )
        if how != "final":  # never let a run of this epoch overlap the next
            for proc in cluster.flow_run_processes(flow_run_id):
                kill_tree(proc.pid)
        if how == "dead":
            self.zombies[flow_run_id] = {"run": run, "dead_at": time.time(), "state_then": state}
        for entry in self.kill_log:
            if entry.get("run") == run and entry.get("error"):
                oracle.fail(run, "harness", f"kill of {entry['service']} failed: {entry['error']}")
        self.poll_zombies(cluster)
        facts = oracle.after_run(run, flow_run_id, state, clean=not kills, before=before, served=server.served(run))
        served = Counter(s.kind for s in server.served(run))
        row = {
            **asdict(facts),
            "ended": how,
            "seconds": round(seconds, 1),
            "waited_stale_s": round(waited, 1),
            "kills": [k.service for k in kills],
            "served": dict(served),
        }
        self.runs.append(row)
        self.log(
            f"run {run:2d}: {seconds:5.1f} s  {state or '?':<9} {how:<5} kills={row['kills'] or '-'} "
            f"logs={facts.statuses} violations={facts.violations}"
        )

    def poll_zombies(self, cluster: Cluster) -> bool:
        """Note when Prefect's zombie automation marked a dead run Crashed; True while some are not yet."""
        pending = False
        for flow_run_id, zombie in self.zombies.items():
            if "crashed_after_s" in zombie or zombie.get("state_then") in FINAL:
                continue
            if cluster.state_of(flow_run_id) == "CRASHED":
                zombie["crashed_after_s"] = round(time.time() - zombie["dead_at"], 1)
            else:
                pending = True
        return pending

    def await_zombies(self, cluster: Cluster, oracle: Oracle) -> None:
        """Wait (bounded) for Prefect's zombie automation to mark every dead run Crashed."""
        # Prefect's windows follow each other: a run that beat once in one window is crashed at the end of the next
        deadline = time.monotonic() + 2 * self.config.zombie_within_s + 15
        while self.poll_zombies(cluster) and time.monotonic() < deadline:
            time.sleep(1)
        for flow_run_id, zombie in self.zombies.items():
            if "crashed_after_s" not in zombie and zombie.get("state_then") not in FINAL:
                oracle.fail(zombie["run"], "zombie", f"dead flow run {flow_run_id} never marked Crashed")
