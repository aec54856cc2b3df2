"""The one Mongo repository of the pipeline: jobs, import_logs, dead_letters, feeds, and their indexes."""

from __future__ import annotations

from functools import cached_property

from pymongo import MongoClient
from pymongo.database import Database

from jobfeed import constants as C
from jobfeed.settings import Settings, get_settings
from jobfeed.store.dead_letters import DeadLetterRepo
from jobfeed.store.errors import is_transient_db_error
from jobfeed.store.feeds import FeedStateRepo
from jobfeed.store.indexes import ensure_indexes
from jobfeed.store.jobs import JobRepo
from jobfeed.store.logs import ImportLogRepo

__all__ = ["Store", "get_store", "is_transient_db_error"]


class Store:
    """All MongoDB access, one object per process: `store.jobs`, `.logs`, `.feeds`, `.dead_letters`."""

    def __init__(self, client: MongoClient, db_name: str) -> None:
        self.client = client
        self.db: Database = client[db_name]

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Connect lazily (pymongo connects on first use) with fail-fast timeouts."""
        client: MongoClient = MongoClient(
            settings.mongodb_uri,
            tz_aware=True,  # every datetime we read back is UTC-aware, like the ones we write
            serverSelectionTimeoutMS=C.MONGO_SERVER_SELECTION_TIMEOUT_MS,
            connectTimeoutMS=C.MONGO_SERVER_SELECTION_TIMEOUT_MS,
            appname="jobfeed",
        )
        return cls(client, settings.mongodb_db)

    @cached_property
    def jobs(self) -> JobRepo:
        return JobRepo(self.db["jobs"])

    @cached_property
    def logs(self) -> ImportLogRepo:
        return ImportLogRepo(self.db["import_logs"])

    @cached_property
    def feeds(self) -> FeedStateRepo:
        return FeedStateRepo(self.db["feeds"])

    @cached_property
    def dead_letters(self) -> DeadLetterRepo:
        return DeadLetterRepo(self.db["dead_letters"])

    def ensure_indexes(self) -> None:
        """Create every index the pipeline, dashboard and API query by (idempotent)."""
        ensure_indexes(self.db)

    def ping(self) -> None:
        """Raise a pymongo error when the server cannot be reached."""
        self.client.admin.command("ping")

    def close(self) -> None:
        self.client.close()


_STORES: dict[tuple[str, str], Store] = {}


def get_store(settings: Settings | None = None) -> Store:
    """One shared Store (and connection pool) per URI+database in this process."""
    settings = settings or get_settings()
    key = (settings.mongodb_uri, settings.mongodb_db)
    store = _STORES.get(key)
    if store is None:
        store = Store.from_settings(settings)
        try:
            store.ensure_indexes()
        except Exception:
            store.close()
            raise  # not cached: the next call tries again (and creates the indexes) once the DB is back
        _STORES[key] = store
    return store


def close_stores() -> None:
    """Close every shared Store (tests and the CLI at exit)."""
    for store in _STORES.values():
        store.close()
    _STORES.clear()
