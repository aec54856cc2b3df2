"""Prometheus metrics read from MongoDB at scrape time, so they are right whichever process ran the import.

Counters are totals over every finished ImportLog. Finished logs never change (logs.finish finishes
once), so logs finished more than METRICS_SETTLE_S ago are summed once and cached; each scrape then
aggregates only the logs finished since (index `finishedAt`). Gauges come from the `feeds` and
`dead_letters` collections, which are small.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client import make_wsgi_app as _prom_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from pymongo.errors import PyMongoError

from jobfeed import constants as C
from jobfeed.redact import redact_text, redact_url

if TYPE_CHECKING:
    from jobfeed.store import Store

log = logging.getLogger("jobfeed.ops.metrics")

JOB_OUTCOMES = {"new": "newJobs", "updated": "updatedJobs", "unchanged": "unchangedJobs", "failed": "failedJobs"}
HISTOGRAMS = {  # metric prefix -> (ImportLog field in ms, bucket upper bounds in seconds)
    "fetch": ("fetchMs", C.FETCH_DURATION_BUCKETS_S),
    "run": ("durationMs", C.RUN_DURATION_BUCKETS_S),
}
Sums = dict[str, float]  # aggregate field -> value, for one (feed, status)


def _group_stage() -> dict[str, Any]:
    """One $group computing every additive number of a (feed, status): runs, job counts, histogram buckets."""
    group: dict[str, Any] = {"_id": {"feed": "$fileName", "status": "$status"}, "runs": {"$sum": 1}}
    for field in JOB_OUTCOMES.values():
        group[field] = {"$sum": f"${field}"}  # $sum skips missing and non-numeric values
    for prefix, (field, buckets) in HISTOGRAMS.items():
        is_number = {
            "$isNumber": f"${field}"
        }  # null sorts below numbers: without this a null would fall in every bucket
        group[f"{prefix}Count"] = {"$sum": {"$cond": [is_number, 1, 0]}}
        group[f"{prefix}SumMs"] = {"$sum": f"${field}"}
        for index, upper_s in enumerate(buckets):
            within = {"$and": [is_number, {"$lte": [f"${field}", upper_s * 1000]}]}
            group[f"{prefix}Le{index}"] = {"$sum": {"$cond": [within, 1, 0]}}
    return group


def _add(into: dict[tuple[str, str], Sums], rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        key = (redact_url(str(row["_id"].get("feed") or "")), str(row["_id"].get("status") or "unknown"))
        sums = into.setdefault(key, defaultdict(float))
        for name, value in row.items():
            if name != "_id":
                sums[name] += value or 0


class JobfeedCollector(Collector):
    """Reads import_logs, feeds and dead_letters at each scrape; totals of settled logs are cached."""

    def __init__(self, store_factory: Callable[[], Store] | None = None, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 settle_s: float = C.METRICS_SETTLE_S) -> None:  # fmt: skip
        self._store_factory = store_factory or _default_store
        self._clock = clock
        self._settle = timedelta(seconds=settle_s)
        self._lock = threading.Lock()  # the HTTP server scrapes from several threads
        self._settled: dict[tuple[str, str], Sums] = {}
        self._watermark: datetime | None = None  # logs with finishedAt <= this are in _settled

    def _aggregate(self, store: Store, finished: dict[str, datetime]) -> list[dict[str, Any]]:
        return list(store.logs.coll.aggregate([{"$match": {"finishedAt": finished}}, {"$group": _group_stage()}]))

    def totals(self, store: Store) -> dict[tuple[str, str], Sums]:
        """Sums per (feed label, status) over every finished ImportLog."""
        with self._lock:
            settle_at = self._clock() - self._settle
            if self._watermark is None:
                _add(self._settled, self._aggregate(store, {"$lte": settle_at}))
                self._watermark = settle_at
            elif settle_at > self._watermark:
                _add(self._settled, self._aggregate(store, {"$gt": self._watermark, "$lte": settle_at}))
                self._watermark = settle_at
            result: dict[tuple[str, str], Sums] = {key: defaultdict(float, sums) for key, sums in self._settled.items()}
            watermark = self._watermark
        _add(result, self._aggregate(store, {"$gt": watermark}))  # $gt never matches null: `running` logs stay out
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

    def _log_families(self, totals: dict[tuple[str, str], Sums]) -> list[Metric]:
        jobs = CounterMetricFamily(
            "jobfeed_jobs", "jobs by feed and outcome, over every finished run", labels=["feed", "outcome"]
        )
        runs = CounterMetricFamily(
            "jobfeed_runs", "finished feed runs (ImportLogs) by feed and status", labels=["feed", "status"]
        )
        per_feed: dict[str, Sums] = defaultdict(lambda: defaultdict(float))
        for (feed, status), sums in sorted(totals.items()):
            runs.add_metric([feed, status], sums["runs"])
            for name, value in sums.items():
                per_feed[feed][name] += value
        for feed, sums in per_feed.items():
            for outcome, field in JOB_OUTCOMES.items():
                jobs.add_metric([feed, outcome], sums[field])
        families: list[Metric] = [jobs, runs]
        for prefix, (_, buckets) in HISTOGRAMS.items():
            what = "fetch (HTTP request and body)" if prefix == "fetch" else "feed run (fetch, parse, upserts)"
            hist = HistogramMetricFamily(f"jobfeed_{prefix}_duration_seconds", f"duration of a {what}", labels=["feed"])
            for feed, sums in per_feed.items():
                bucket_counts = [(_le(upper), sums[f"{prefix}Le{i}"]) for i, upper in enumerate(buckets)]
                bucket_counts.append(("+Inf", sums[f"{prefix}Count"]))
                hist.add_metric([feed], bucket_counts, sums[f"{prefix}SumMs"] / 1000)
            families.append(hist)
        return families

    def _state_families(self, store: Store) -> list[Metric]:
        last_ok = GaugeMetricFamily(
            "jobfeed_last_success_timestamp_seconds", "when a feed last ran healthy (unix time)", labels=["feed"]
        )
        streak = GaugeMetricFamily("jobfeed_feed_consecutive_failures", "failed runs in a row", labels=["feed"])
        disabled = GaugeMetricFamily("jobfeed_feed_disabled", "1 when runs skip the feed", labels=["feed"])
        info = GaugeMetricFamily("jobfeed_feed_info", "feed URL (redacted) to name", labels=["feed", "feed_name"])
        projection = {"url": 1, "name": 1, "lastSuccessAt": 1, "consecutiveFailures": 1, "disabled": 1}
        for doc in store.feeds.coll.find({}, projection).sort("url", 1):
            feed = redact_url(str(doc.get("url") or ""))
            if isinstance(doc.get("lastSuccessAt"), datetime):
                last_ok.add_metric([feed], doc["lastSuccessAt"].timestamp())
            streak.add_metric([feed], int(doc.get("consecutiveFailures") or 0))
            disabled.add_metric([feed], 1 if doc.get("disabled") else 0)
            info.add_metric([feed, str(doc.get("name") or feed)], 1)
        running = GaugeMetricFamily("jobfeed_runs_in_progress", "ImportLogs still `running`")
        running.add_metric([], store.logs.coll.count_documents({"status": "running"}))  # index status_startedAt
        letters = GaugeMetricFamily(
            "jobfeed_dead_letters_pending", "dead letters not yet re-driven, by reason", labels=["reason"]
        )
        pending = store.dead_letters.coll.aggregate(
            [{"$match": {"redrivenAt": None}}, {"$group": {"_id": "$reason", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
        )  # index reason_redrivenAt
        for row in pending:
            letters.add_metric([str(row["_id"])], row["n"])
        return [last_ok, streak, disabled, info, running, letters]


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
