"""Locust users for the cost curve's load test (bench/scale_load.py starts locust with this file).

- ApiUser: the two API routes with a latency goal (p95 <= 300 ms): `/api/import-logs` and unfiltered `/api/jobs`.
- DashboardUser: the dashboard's first page (Import History, default filter "last 7 days"), timed as the
  queries its render runs (`feed_list`, `any_running`, `count_logs`, `log_page`) through jobfeed's own read
  functions, uncached: Streamlit draws over a websocket, so an HTTP GET of the page would time only its shell.
- SearchUser: `/api/jobs?q=` alone (a case-insensitive substring search scans the collection on any MongoDB;
  a text index on MongoDB, or Atlas Search, would serve it; secantusdb has no text index).

The database comes from LOCUST_MONGODB_URI / LOCUST_MONGODB_DB.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, User, between, events, task

WORDS = ("engineer", "senior", "data", "product", "remote", "lead", "design", "zzz-no-match")


class ApiUser(HttpUser):
    weight = 4
    wait_time = between(0.5, 2.0)

    @task
    def import_logs(self) -> None:
        self.client.get("/api/import-logs", name="/api/import-logs")

    @task
    def jobs(self) -> None:
        self.client.get("/api/jobs", name="/api/jobs")


class SearchUser(HttpUser):
    wait_time = between(0.5, 2.0)

    @task
    def search(self) -> None:
        self.client.get(f"/api/jobs?q={random.choice(WORDS)}", name="/api/jobs?q=")


class DashboardUser(User):
    weight = 1
    wait_time = between(0.5, 2.0)
    _store: Any = None

    def on_start(self) -> None:
        if DashboardUser._store is None:
            from pymongo import MongoClient

            from jobfeed.store import Store

            client: MongoClient[dict[str, Any]] = MongoClient(os.environ["LOCUST_MONGODB_URI"], tz_aware=True)
            DashboardUser._store = Store(client, os.environ["LOCUST_MONGODB_DB"])

    @task
    def first_page(self) -> None:
        from jobfeed.store import reads
        from jobfeed.store.reads import LogFilter

        store = DashboardUser._store
        started = time.perf_counter()
        error: Exception | None = None
        try:
            flt = LogFilter(since=datetime.now(UTC) - timedelta(days=7))
            reads.feed_list(store)
            reads.any_running(store)
            reads.count_logs(store, flt)
            reads.log_page(store, flt, page=1)
        except Exception as exc:
            error = exc
        events.request.fire(
            request_type="mongo",
            name="dashboard: first page",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
