"""The one Mongo repository of the pipeline: jobs, import_logs, dead_letters, feeds, feed snapshots,
job_changes, and their indexes.

Connecting never creates an index: read-only clients (dashboard, API, metrics) must not build or drop
indexes on a production database as a side effect of a page view. Indexes are made by an explicit step
(`Store.migrate`, `Store.prepare`: jobfeed/store/migrate.py): `jobfeed stack up`, `jobfeed db init` and, when the
recorded layout is older, the import flow's start.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

import pymongo
from pymongo import MongoClient
from pymongo.database import Database

from jobfeed import constants as C
from jobfeed.settings import Settings, get_settings
from jobfeed.store import migrate as layout
from jobfeed.store.changes import ChangeRepo
from jobfeed.store.dead_letters import DeadLetterRepo
from jobfeed.store.errors import is_transient_db_error
from jobfeed.store.feeds import FeedStateRepo
from jobfeed.store.indexes import IndexReport, ensure_indexes
from jobfeed.store.jobs import JobRepo
from jobfeed.store.logs import ImportLogRepo
from jobfeed.store.migrate import MigrationReport
from jobfeed.store.snapshots import SnapshotRepo

Doc = dict[str, Any]  # a stored document as pymongo returns it

__all__ = ["IndexReport", "Store", "get_store", "is_transient_db_error"]


class Store:
    """All MongoDB access, one object per process: `store.jobs`, `.logs`, `.feeds`, `.dead_letters`,
    `.snapshots` (what each feed lists), `.changes` (job history)."""

    def __init__(self, client: MongoClient[Doc], db_name: str) -> None:
        self.client = client
        self.db: Database[Doc] = client[db_name]

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Connect lazily (pymongo connects on first use) with fail-fast timeouts."""
        client: MongoClient[Doc] = MongoClient(
            settings.mongodb_uri,
            tz_aware=True,  # every datetime we read back is UTC-aware, like the ones we write
            serverSelectionTimeoutMS=C.MONGO_SERVER_SELECTION_TIMEOUT_MS,
            connectTimeoutMS=C.MONGO_SERVER_SELECTION_TIMEOUT_MS,
            appname="jobfeed",
        )
        return cls(client, settings.mongodb_db)

    @cached_property
    def jobs(self) -> JobRepo:
        return JobRepo(self.db["jobs"], self.changes)

    @cached_property
    def changes(self) -> ChangeRepo:
        return ChangeRepo(self.db["job_changes"])

    @cached_property
    def snapshots(self) -> SnapshotRepo:
        return SnapshotRepo(self.db["feed_snapshots"], self.db["feed_snapshot_chunks"], self.db["jobs"])

    @cached_property
    def logs(self) -> ImportLogRepo:
        return ImportLogRepo(self.db["import_logs"])

    @cached_property
    def feeds(self) -> FeedStateRepo:
        return FeedStateRepo(self.db["feeds"])

    @cached_property
    def dead_letters(self) -> DeadLetterRepo:
        return DeadLetterRepo(self.db["dead_letters"])

    def ensure_indexes(self) -> IndexReport:
        """Create every index the pipeline, dashboard and API query by, drop retired ones (idempotent)."""
        return ensure_indexes(self.db)

    def migrate(self, now: datetime) -> MigrationReport:
        """Bring the database's layout to this version: indexes and backfills (jobfeed/store/migrate.py)."""
        return layout.migrate(self.db, now=now)

    def prepare(self, now: datetime) -> MigrationReport | None:
        """`migrate` when the recorded layout is older than this version's, else one read and nothing more."""
        return layout.prepare(self.db, now=now)

    def ping(self, timeout_s: float | None = None) -> None:
        """Raise a pymongo error when the server cannot be reached (within `timeout_s`, when given)."""
        if timeout_s is None:
            self.client.admin.command("ping")
            return
        with pymongo.timeout(timeout_s):  # bounds server selection too, unlike a per-command maxTimeMS
            self.client.admin.command("ping")

    def close(self) -> None:
        self.client.close()


_STORES: dict[tuple[str, str], Store] = {}


def get_store(settings: Settings | None = None) -> Store:
    """One shared Store (and connection pool) per URI+database in this process; connects lazily.

    Creates no index (see the module's docstring): call `ensure_indexes()` where indexes are wanted.
    """
    settings = settings or get_settings()
    key = (settings.mongodb_uri, settings.mongodb_db)
    store = _STORES.get(key)
    if store is None:
        store = _STORES[key] = Store.from_settings(settings)
    return store


def close_stores() -> None:
    """Close every shared Store (tests and the CLI at exit)."""
    for store in _STORES.values():
        store.close()
    _STORES.clear()
