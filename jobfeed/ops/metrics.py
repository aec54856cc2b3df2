"""Prometheus metrics read from MongoDB at scrape time, so they are right whichever process ran the import.

Counters are totals over every finished ImportLog (runs, jobs by outcome, durations, failures by reason). Finished logs never change (logs.finish finishes
once), so logs finished more than METRICS_SETTLE_S ago are summed once and cached; each scrape then
aggregates only the logs finished since (index `finishedAt`). Gauges come from the `feeds` and
`dead_letters` collections, which are small. Every query is a named function of `jobfeed/store/stats.py`;
the exporter only reads, never creating an index.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client import make_wsgi_app as _prom_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from pymongo.errors import PyMongoError

from jobfeed import constants as C
from jobfeed.quality import DriftKind
from jobfeed.redact import redact_text, redact_url
from jobfeed.store import stats

if TYPE_CHECKING:
    from jobfeed.store import Store

log = logging.getLogger("jobfeed.ops.metrics")

JOB_OUTCOMES = {"new": "newJobs", "updated": "updatedJobs", "unchanged": "unchangedJobs", "failed": "failedJobs"}
# Lifecycle counts are not outcomes of fetched items (a closed job was *not* in the feed), so they are counters
# of their own, beside `jobfeed_jobs_total`: jobfeed_jobs_closed_total, jobfeed_jobs_reopened_total.
JOB_LIFECYCLE = {"closed": "closedJobs", "reopened": "reopenedJobs"}
LOG_SUM_FIELDS = [*JOB_OUTCOMES.values(), *JOB_LIFECYCLE.values()]
HISTOGRAMS = {  # metric prefix -> (ImportLog field in ms, bucket upper bounds in seconds)
    "fetch": ("fetchMs", C.FETCH_DURATION_BUCKETS_S),
    "run": ("durationMs", C.RUN_DURATION_BUCKETS_S),
}
Sums = dict[str, float]  # aggregate field -> value, for one (feed, status)
FAILURE_KINDS = {  # kind of failures_by_reason rows -> (metric name, help)
    "feed": ("jobfeed_feed_failures", "feed runs that failed as a whole, by feed and error reason"),
    "item": ("jobfeed_item_failures", "items that failed, by feed and reason (exact counts, not the capped list)"),
}


@dataclass
class Totals:
    """Additive numbers over finished ImportLogs: sums per (feed, status), failures per (feed, kind, reason)."""

    logs: dict[tuple[str, str], Sums] = field(default_factory=dict)
    failures: dict[tuple[str, str, str], float] = field(default_factory=dict)
    drifts: dict[tuple[str, str], float] = field(default_factory=dict)  # (feed, drift kind) -> findings

    def copy(self) -> Totals:
        logs: dict[tuple[str, str], Sums] = {key: defaultdict(float, sums) for key, sums in self.logs.items()}
        return Totals(logs, dict(self.failures), dict(self.drifts))

    def add_drifts(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            key = (redact_url(str(row["_id"].get("feed") or "")), str(row["_id"].get("kind") or "unknown"))
            self.drifts[key] = self.drifts.get(key, 0) + (row.get("count") or 0)

    def add(self, sums: Iterable[dict[str, Any]], failures: Iterable[dict[str, Any]]) -> None:
        for row in sums:
            key = (redact_url(str(row["_id"].get("feed") or "")), str(row["_id"].get("status") or "unknown"))
            into = self.logs.setdefault(key, defaultdict(float))
            for name, value in row.items():
                if name != "_id":
                    into[name] += value or 0
        for row in failures:
            ids = row["_id"]
            fkey = (redact_url(str(ids.get("feed") or "")), str(ids.get("kind")), str(ids.get("reason") or "unknown"))
            self.failures[fkey] = self.failures.get(fkey, 0) + (row.get("count") or 0)


class JobfeedCollector(Collector):
    """Reads import_logs, feeds and dead_letters at each scrape; totals of settled logs are cached."""

    def __init__(self, store_factory: Callable[[], Store] | None = None, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 settle_s: float = C.METRICS_SETTLE_S) -> None:  # fmt: skip
        self._store_factory = store_factory or _default_store
        self._clock = clock
        self._settle = timedelta(seconds=settle_s)
        self._lock = threading.Lock()  # the HTTP server scrapes from several threads
        self._settled = Totals()
        self._watermark: datetime | None = None  # logs with finishedAt <= this are in _settled

    @staticmethod
    def _fold(into: Totals, store: Store, *, after: datetime | None, until: datetime | None) -> None:
        sums = stats.finished_log_sums(store, after=after, until=until, fields=LOG_SUM_FIELDS, histograms=HISTOGRAMS)
        into.add(sums, stats.finished_failure_counts(store, after=after, until=until))
        into.add_drifts(stats.finished_drift_counts(store, after=after, until=until))

    def totals(self, store: Store) -> Totals:
        """Sums per (feed label, status) and failures per (feed label, kind, reason) over every finished ImportLog."""
        with self._lock:
            settle_at = self._clock() - self._settle
            if self._watermark is None or settle_at > self._watermark:
                self._fold(self._settled, store, after=self._watermark, until=settle_at)
                self._watermark = settle_at
            result = self._settled.copy()
            watermark = self._watermark
        self._fold(result, store, after=watermark, until=None)  # `running` logs have no finishedAt
        return result

    def describe(self) -> Iterator[Metric]:
        """Nothing: registering must not query MongoDB (names are checked at scrape time instead)."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        """Every jobfeed metric, read now; `jobfeed_store_up 0` alone when MongoDB cannot be read."""
        started = time.perf_counter()
        up = GaugeMetricFamily("jobfeed_store_up", "1 when MongoDB answered this scrape")
        try:
            store = self._store_factory()
            families = [*self._log_families(self.totals(store)), *self._state_families(store)]
        except PyMongoError as exc:
            log.warning("metrics scrape could not read MongoDB: %s", redact_text(str(exc)))
            families = []
        up.add_metric([], 1 if families else 0)
        elapsed = GaugeMetricFamily("jobfeed_metrics_collect_seconds", "time this scrape spent reading MongoDB")
        elapsed.add_metric([], time.perf_counter() - started)
        yield from (*families, up, elapsed)

    def _log_families(self, totals: Totals) -> list[Metric]:
        jobs = CounterMetricFamily(
            "jobfeed_jobs", "jobs by feed and outcome, over every finished run", labels=["feed", "outcome"]
        )
        runs = CounterMetricFamily(
            "jobfeed_runs", "finished feed runs (ImportLogs) by feed and status", labels=["feed", "status"]
        )
        per_feed: dict[str, Sums] = defaultdict(lambda: defaultdict(float))
        for (feed, status), sums in sorted(totals.logs.items()):
            runs.add_metric([feed, status], sums["runs"])
            for name, value in sums.items():
                per_feed[feed][name] += value
        lifecycle = {
            event: CounterMetricFamily(f"jobfeed_jobs_{event}", f"jobs {event} by runs of a feed", labels=["feed"])
            for event in JOB_LIFECYCLE
        }
        for feed, sums in per_feed.items():
            for outcome, log_field in JOB_OUTCOMES.items():
                jobs.add_metric([feed, outcome], sums[log_field])
            for event, log_field in JOB_LIFECYCLE.items():
                lifecycle[event].add_metric([feed], sums[log_field])  # logs from before the lifecycle count 0
        families: list[Metric] = [jobs, *lifecycle.values(), runs]
        for prefix, (_, buckets) in HISTOGRAMS.items():
            what = "fetch (HTTP request and body)" if prefix == "fetch" else "feed run (fetch, parse, upserts)"
            hist = HistogramMetricFamily(f"jobfeed_{prefix}_duration_seconds", f"duration of a {what}", labels=["feed"])
            for feed, sums in per_feed.items():
                bucket_counts = [(_le(upper), sums[f"{prefix}Le{i}"]) for i, upper in enumerate(buckets)]
                bucket_counts.append(("+Inf", sums[f"{prefix}Count"]))
                hist.add_metric([feed], bucket_counts, sums[f"{prefix}SumMs"] / 1000)
            families.append(hist)
        return [*families, *_failure_families(totals, per_feed), _drift_family(totals, per_feed)]

    def _state_families(self, store: Store) -> list[Metric]:
        last_ok = GaugeMetricFamily(
            "jobfeed_last_success_timestamp_seconds", "when a feed last ran healthy (unix time)", labels=["feed"]
        )
        streak = GaugeMetricFamily("jobfeed_feed_consecutive_failures", "failed runs in a row", labels=["feed"])
        disabled = GaugeMetricFamily("jobfeed_feed_disabled", "1 when runs skip the feed", labels=["feed"])
        info = GaugeMetricFamily("jobfeed_feed_info", "feed URL (redacted) to name", labels=["feed", "feed_name"])
        for doc in stats.feed_states(store):
            feed = redact_url(str(doc.get("url") or ""))
            if isinstance(doc.get("lastSuccessAt"), datetime):
                last_ok.add_metric([feed], doc["lastSuccessAt"].timestamp())
            streak.add_metric([feed], int(doc.get("consecutiveFailures") or 0))
            disabled.add_metric([feed], 1 if doc.get("disabled") else 0)
            info.add_metric([feed, str(doc.get("name") or feed)], 1)
        running = GaugeMetricFamily("jobfeed_runs_in_progress", "ImportLogs still `running`")
        running.add_metric([], stats.runs_in_progress(store))
        letters = GaugeMetricFamily(
            "jobfeed_dead_letters_pending", "dead letters not yet re-driven, by reason", labels=["reason"]
        )
        for reason, count in stats.pending_dead_letters(store).items():
            letters.add_metric([str(reason)], count)
        return [last_ok, streak, disabled, info, running, letters]


def _failure_families(totals: Totals, per_feed: dict[str, Sums]) -> list[Metric]:
    """Failures by reason; every feed with a finished run gets a `reason="none"` 0 sample, so that the
    family is on /metrics (and `rate()` has a series) before the first failure."""
    families: list[Metric] = []
    for kind, (name, help_text) in FAILURE_KINDS.items():
        family = CounterMetricFamily(name, help_text, labels=["feed", "reason"])
        counts = {(feed, reason): n for (feed, k, reason), n in totals.failures.items() if k == kind}
        for feed in per_feed:
            if not any(f == feed for f, _ in counts):
                counts[(feed, "none")] = 0
        for (feed, reason), n in sorted(counts.items()):
            family.add_metric([feed, reason], n)
        families.append(family)
    return families


def _drift_family(totals: Totals, per_feed: dict[str, Sums]) -> Metric:
    """Drift findings stored on ImportLogs, by feed and kind (jobfeed/quality.py); every kind of every feed
    with a finished run has a sample (0 until its first drift), so that `increase()` has a series to watch."""
    family = CounterMetricFamily(
        "jobfeed_feed_drifts", "drifts of a feed's body from its baseline, by feed and kind (one per run it lasts)",
        labels=["feed", "kind"],
    )  # fmt: skip
    counts = dict.fromkeys(((feed, kind.value) for feed in per_feed for kind in DriftKind), 0.0)
    counts.update(totals.drifts)
    for (feed, kind), n in sorted(counts.items()):
        family.add_metric([feed, kind], n)
    return family


def _le(upper_s: float) -> str:
    return repr(float(upper_s))  # Prometheus bucket labels: "0.1", "1.0", "60.0"


def _default_store() -> Store:
    from jobfeed.store import get_store  # late: building a Store reads settings, which tests set first

    return get_store()


def build_registry(store_factory: Callable[[], Store] | None = None, **collector_options: Any) -> CollectorRegistry:
    """A registry holding only the jobfeed collector (no process metrics: they would describe the scraper)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobfeedCollector(store_factory, **collector_options))
    return registry


def make_wsgi_app(registry: CollectorRegistry | None = None) -> Callable[..., Any]:
    """A WSGI app serving the metrics (mount it in the API, or serve it alone with serve_metrics)."""
    return _prom_wsgi_app(registry or build_registry())


def serve_metrics(host: str = "127.0.0.1", port: int = C.METRICS_PORT,
                  registry: CollectorRegistry | None = None) -> tuple[WSGIServer, threading.Thread]:  # fmt: skip
    """Serve /metrics on host:port in a daemon thread; returns the server (call .shutdown()) and thread."""
    return start_http_server(port, addr=host, registry=registry or build_registry())


def main(argv: list[str] | None = None) -> None:
    """`python -m jobfeed.ops.metrics [--host H] [--port P]`: serve metrics until interrupted."""
    from jobfeed.ops.logs import configure_logging
    from jobfeed.settings import get_settings

    ops = get_settings()
    parser = argparse.ArgumentParser(prog="python -m jobfeed.ops.metrics", description=main.__doc__)
    parser.add_argument("--host", default=ops.metrics_host)
    parser.add_argument("--port", type=int, default=ops.metrics_port)
    args = parser.parse_args(argv)
    configure_logging(ops)
    server, thread = serve_metrics(args.host, args.port)
    log.info("serving metrics on http://%s:%s/metrics", args.host, args.port)
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
