"""The soak's oracle: a model of what the feed server served, checked against the database after every run.

Checks (each failure is a violation with the run, the check's name and what was seen):

- `invariant`: every finished ImportLog has totalFetched = new + updated + unchanged + failed,
  totalImported = new + updated, and failuresByReason adding up to failedJobs;
- `outcome` (runs without a server kill): each feed's ImportLog says what the server did to it: the last
  answer decides the status and reason, a transient fault is retried, a permanent one is not;
- `counts` (same runs, `success` feeds): new / updated / unchanged exactly as the database before the run
  and the served body say;
- `latest`: every job of each feed's latest complete snapshot (a `success` or `not_modified` run) is
  stored exactly once, with that snapshot's content or a later served one, and open while no later
  snapshot may have closed it;
- `acknowledged`: no finished ImportLog changes or disappears, no job of a complete snapshot and no
  dead letter disappears, whatever was killed;
- `recovered` (after the first run without kills that follows one with kills): no ImportLog left
  `running`, no feed lock held, and every pending dead letter re-driven to success by `jobfeed redrive`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.soak.chaos import REASON_OF, TRANSIENT, Served
from bench.soak.model import Board, Version
from jobfeed import constants as C

Key = tuple[str, str]
SOURCE = "127.0.0.1"  # every soak feed is on the loopback host: one board, one `source`
COUNT_FIELDS = ("totalFetched", "totalImported", "newJobs", "updatedJobs", "unchangedJobs", "failedJobs")


@dataclass(frozen=True)
class Violation:
    run: int
    check: str
    detail: str
    feed: str | None = None


@dataclass
class RunFacts:
    """What one run did, as the oracle saw it (for the report)."""

    run: int
    flow_run_id: str | None
    state: str | None
    statuses: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    recovered_logs: int = 0  # `running` logs of dead runs this run finished as run_crashed
    violations: int = 0


class Oracle:
    """Holds the model's view across runs; `after_run` checks one run, `after_recovery` the recovery."""

    def __init__(self, board: Board, db: Any, urls: dict[str, str], fetch_retries: int = C.FETCH_RETRIES) -> None:
        self.board, self.db, self.urls = board, db, urls
        self.feed_of_url = {url: feed for feed, url in urls.items()}
        self.attempts_max = fetch_retries + 1
        self.violations: list[Violation] = []
        self._hashes: dict[tuple[str, str], dict[Key, str]] = {}
        self.finished: dict[str, tuple[Any, ...]] = {}  # log id -> what it said when first seen finished
        self.latest: dict[str, tuple[Version, int]] = {}  # feed -> latest complete snapshot and its run
        self.last_snapshot_run: dict[str, int] = {}  # feed -> last run whose log was a snapshot (incl. partial)
        self.confirmed: set[Key] = set()
        self.letters: set[str] = set()
        self.crashed = 0  # ImportLogs finished `failed`/`run_crashed` so far (dead runs recovered)

    # --- helpers ----------------------------------------------------------------------------------

    def fail(self, run: int, check: str, detail: str, feed: str | None = None) -> None:
        self.violations.append(Violation(run, check, detail[:600], feed))

    def hashes(self, version: Version) -> dict[Key, str]:
        """Content hash per job key of one served version, by jobfeed's own parser and normalizer."""
        cache_key = (version.feed, version.etag)
        if cache_key not in self._hashes:
            from jobfeed.pipeline.normalize import normalize_items
            from jobfeed.sources import parse_feed

            jobs = normalize_items(parse_feed(version.body, "application/rss+xml"), self.urls[version.feed]).jobs
            self._hashes[cache_key] = {job.key: job.contentHash for job in jobs}
        return self._hashes[cache_key]

    def stored(self) -> dict[Key, list[dict[str, Any]]]:
        """Every job document by key (a list: the oracle counts duplicates itself)."""
        found: dict[Key, list[dict[str, Any]]] = {}
        for doc in self.db.jobs.find({}, {"source": 1, "externalId": 1, "contentHash": 1, "status": 1}):
            found.setdefault((doc["source"], doc["externalId"]), []).append(doc)
        return found

    def before_run(self) -> dict[Key, str]:
        """The content hash of every stored job, read just before a run (the base of its exact counts)."""
        return {key: docs[0].get("contentHash") for key, docs in self.stored().items()}

    # --- after every run --------------------------------------------------------------------------

    def after_run(
        self,
        run: int,
        flow_run_id: str | None,
        state: str | None,
        *,
        clean: bool,
        before: dict[Key, str],
        served: list[Served],
    ) -> RunFacts:
        """Check one run; `clean` = no server was killed during it (its outcomes must match the model)."""
        start = len(self.violations)
        logs = list(self.db.import_logs.find({"flowRunId": flow_run_id})) if flow_run_id else []
        facts = RunFacts(run, flow_run_id, state)
        facts.statuses = dict(Counter(log["status"] for log in logs))
        facts.reasons = dict(Counter((log.get("error") or {}).get("reason") for log in logs if log.get("error")))
        by_feed: dict[str, list[dict[str, Any]]] = {}
        for log in logs:
            by_feed.setdefault(self.feed_of_url.get(log["fileName"], "?"), []).append(log)
        attempts: dict[str, list[Served]] = {}
        for answer in sorted(served, key=lambda s: s.attempt):
            attempts.setdefault(answer.feed, []).append(answer)
        for feed in self.urls:
            feed_logs = by_feed.get(feed, [])
            if len(feed_logs) > 1:
                self.fail(run, "one-log-per-feed", f"{len(feed_logs)} ImportLogs in one run", feed)
            if clean and len(feed_logs) != 1:
                self.fail(run, "one-log-per-feed", f"{len(feed_logs)} ImportLogs in a run without kills", feed)
            for log in feed_logs:
                self._check_log(run, feed, log, attempts.get(feed, []), clean=clean, before=before)
        self._check_acknowledged(run)
        self._check_latest(run)
        crashed = self.db.import_logs.count_documents({"error.reason": "run_crashed"})
        facts.recovered_logs, self.crashed = crashed - self.crashed, crashed
        facts.violations = len(self.violations) - start
        return facts

    def _check_log(
        self, run: int, feed: str, log: dict[str, Any], attempts: list[Served], *, clean: bool, before: dict[Key, str]
    ) -> None:
        status = log["status"]
        if status == "running":
            if clean:
                self.fail(run, "finished", "ImportLog left running by a run without kills", feed)
            return
        self._invariant(run, feed, log)
        version = self._version_of(feed, attempts)
        if status in ("success", "not_modified", "partial") and version is not None:
            self.last_snapshot_run[feed] = run
            if status != "partial":
                self.latest[feed] = (version, run)
                self.confirmed |= set(self.hashes(version))
        if clean:
            self._check_outcome(run, feed, log, attempts)
            if status == "success" and version is not None:
                self._check_counts(run, feed, log, version, before)

    def _invariant(self, run: int, feed: str, log: dict[str, Any]) -> None:
        n = {name: int(log.get(name) or 0) for name in COUNT_FIELDS}
        parts = n["newJobs"] + n["updatedJobs"] + n["unchangedJobs"] + n["failedJobs"]
        if n["totalFetched"] != parts:
            self.fail(
                run, "invariant", f"totalFetched {n['totalFetched']} != new+updated+unchanged+failed {parts}", feed
            )
        if n["totalImported"] != n["newJobs"] + n["updatedJobs"]:
            self.fail(run, "invariant", f"totalImported {n['totalImported']} != new+updated", feed)
        by_reason = sum((log.get("failuresByReason") or {}).values())
        if by_reason != n["failedJobs"]:
            self.fail(run, "invariant", f"failuresByReason adds up to {by_reason}, failedJobs {n['failedJobs']}", feed)

    def _version_of(self, feed: str, attempts: list[Served]) -> Version | None:
        """The version the feed's last complete answer (a 200 body or a 304) of this run carried."""
        for answer in reversed(attempts):
            if answer.etag is not None:
                return self.board.version(feed, answer.etag)
            break  # the last answer was a fault: no version reached jobfeed whole
        return None

    def _check_outcome(self, run: int, feed: str, log: dict[str, Any], attempts: list[Served]) -> None:
        status, reason = log["status"], (log.get("error") or {}).get("reason")
        if not attempts:
            self.fail(run, "outcome", f"no request reached the server, log says {status}/{reason}", feed)
            return
        kinds = [a.kind for a in attempts]
        if len(attempts) > self.attempts_max:
            self.fail(run, "outcome", f"{len(attempts)} requests (at most {self.attempts_max}): {kinds}", feed)
        if any(kind not in TRANSIENT for kind in kinds[:-1]):
            self.fail(run, "outcome", f"retried after a permanent answer: {kinds}", feed)
        last = kinds[-1]
        if last in TRANSIENT and len(attempts) < self.attempts_max:
            self.fail(run, "outcome", f"gave up after {len(attempts)} transient faults: {kinds}", feed)
        if last in ("ok", "slow"):
            want: set[tuple[str, str | None]] = {("success", None), ("not_modified", None)}
        elif last == "304":
            want = {("not_modified", None)}
        else:
            want = {("failed", REASON_OF[last])}
        if (status, reason) not in want:
            self.fail(run, "outcome", f"server answered {kinds}, log says {status}/{reason}", feed)

    def _check_counts(self, run: int, feed: str, log: dict[str, Any], version: Version, before: dict[Key, str]) -> None:
        served = self.hashes(version)
        new = sum(1 for key in served if key not in before)
        updated = sum(1 for key, h in served.items() if key in before and before[key] != h)
        want = {
            "totalFetched": len(served),
            "newJobs": new,
            "updatedJobs": updated,
            "unchangedJobs": len(served) - new - updated,
            "failedJobs": 0,
        }
        got = {name: int(log.get(name) or 0) for name in want}
        if got != want:
            self.fail(run, "counts", f"version {version.number}: want {want}, log says {got}", feed)

    def _check_acknowledged(self, run: int) -> None:
        seen = {}
        for log in self.db.import_logs.find({}, {"status": 1, **dict.fromkeys(COUNT_FIELDS, 1), "error": 1}):
            seen[str(log["_id"])] = log
            if log["status"] != "running":
                said = (log["status"], *(log.get(name) for name in COUNT_FIELDS))
                first = self.finished.setdefault(str(log["_id"]), said)
                if first != said:
                    self.fail(run, "acknowledged", f"finished ImportLog {log['_id']} changed: {first} -> {said}")
        for log_id in self.finished:
            if log_id not in seen:
                self.fail(run, "acknowledged", f"finished ImportLog {log_id} disappeared")
        keys = set(self.stored())
        lost = self.confirmed - keys
        if lost:
            self.fail(
                run, "acknowledged", f"{len(lost)} jobs of complete snapshots disappeared, e.g. {sorted(lost)[:3]}"
            )
        letters = {doc["key"] for doc in self.db.dead_letters.find({}, {"key": 1})}
        if self.letters - letters:
            self.fail(run, "acknowledged", f"dead letters disappeared: {sorted(self.letters - letters)[:3]}")
        self.letters |= letters

    def _check_latest(self, run: int) -> None:
        stored = self.stored()
        for feed, (version, at_run) in self.latest.items():
            feed_versions = [v for v in self.board.feeds[feed].versions if v.number >= version.number]
            acceptable: dict[Key, set[str]] = {}
            for later in feed_versions:
                for key, h in self.hashes(later).items():
                    acceptable.setdefault(key, set()).add(h)
            must_be_open = self.last_snapshot_run.get(feed) == at_run
            missing, doubled, stale, closed = [], [], [], []
            for key in self.hashes(version):
                docs = stored.get(key, [])
                if not docs:
                    missing.append(key[1])
                    continue
                if len(docs) > 1:
                    doubled.append(key[1])
                if docs[0].get("contentHash") not in acceptable[key]:
                    stale.append(key[1])
                if must_be_open and docs[0].get("status") != "open":
                    closed.append(key[1])
            for name, bad in (
                ("missing", missing),
                ("stored more than once", doubled),
                ("with content older than the snapshot", stale),
                ("closed though listed", closed),
            ):
                if bad:
                    self.fail(
                        run,
                        "latest",
                        f"{len(bad)} jobs of version {version.number} (run {at_run}) {name}: {bad[:3]}",
                        feed,
                    )

    # --- after the first run without kills that follows kills -------------------------------------

    def after_recovery(
        self, run: int, *, locks: Iterable[str], redrive_rows: list[dict[str, Any]] | None, redrive_error: str | None
    ) -> dict[str, Any]:
        """No `running` log, no held lock, every dead letter re-driven to success, content still latest."""
        running = self.db.import_logs.count_documents({"status": "running"})
        if running:
            self.fail(run, "recovered", f"{running} ImportLogs still running after the recovery run")
        held = list(locks)
        if held:
            self.fail(run, "recovered", f"{len(held)} feed locks still held: {held[:3]}")
        if redrive_error:
            self.fail(run, "recovered", f"jobfeed redrive failed: {redrive_error}")
        rows = redrive_rows or []
        unresolved = [row for row in rows if not row.get("resolved")]
        if unresolved:
            self.fail(run, "recovered", f"{len(unresolved)} dead letters not re-driven to success: {unresolved[:2]}")
        pending = self.db.dead_letters.count_documents({"redrivenAt": None})
        if pending:
            self.fail(run, "recovered", f"{pending} dead letters still pending after jobfeed redrive")
        self._check_latest(run)  # a re-drive must not bring old content back
        self._check_acknowledged(run)
        return {
            "run": run,
            "running_logs": running,
            "locks_held": len(held),
            "redriven": len(rows),
            "redriven_ok": len(rows) - len(unresolved),
        }

    def report(self) -> list[dict[str, Any]]:
        return [asdict(v) for v in self.violations]
