"""The layout version and its migration on the real server: backfills resume, a current layout costs one read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import monitoring

from jobfeed.dupkey import dupkey
from jobfeed.store import Store
from jobfeed.store import migrate as M

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def old_job(i: int, **extra: Any) -> dict[str, Any]:
    """A job document as 0.1.0 wrote it: no dupKey, no status."""
    return {"source": "old.example", "externalId": f"j{i}", "title": f"Engineer {i}", "company": "Acme Inc.",
            "location": "Berlin", "lastSeenAt": NOW, **extra}  # fmt: skip


def test_an_empty_database_is_version_0_and_a_written_one_without_a_record_is_1(db_name: str) -> None:
    from jobfeed.store import get_store

    store = get_store()
    assert M.found_version(store.db) == 0
    store.db.jobs.insert_one(old_job(1))
    assert M.found_version(store.db) == 1
    report = store.migrate(NOW)
    assert (report.found, report.reached, M.found_version(store.db)) == (1, M.SCHEMA_VERSION, M.SCHEMA_VERSION)


def test_backfill_touches_only_what_lacks_the_field_and_resumes_in_batches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(M, "BACKFILL_BATCH", 3)  # several passes over 8 documents
    store.db.jobs.insert_many([old_job(i) for i in range(7)])
    store.db.jobs.insert_one(old_job(7, dupKey="kept", status="closed"))  # written by 1.0: left alone
    report = store.migrate(NOW)
    assert report.backfilled == {"jobs.dupKey": 7, "jobs.status": 7}
    expected = dupkey("Acme Inc.", "Engineer 3", "Berlin")
    assert store.db.jobs.find_one({"externalId": "j3"}, {"_id": 0, "dupKey": 1, "status": 1}) == {
        "dupKey": expected, "status": "open"}  # fmt: skip
    assert store.db.jobs.find_one({"externalId": "j7"})["dupKey"] == "kept"
    assert store.db.jobs.count_documents({"status": "closed"}) == 1
    assert store.migrate(NOW).backfilled == {"jobs.dupKey": 0, "jobs.status": 0}  # idempotent
    history = store.db.meta.find_one({"_id": "schema"})["history"]
    assert [h["backfilled"]["jobs.dupKey"] for h in history] == [7, 0]


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

    def failed(self, event: monitoring.CommandFailedEvent) -> None: ...


def test_prepare_reads_once_when_current_and_migrates_when_the_indexes_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pymongo import MongoClient

    store.migrate(NOW)
    listener = _Commands()
    client: MongoClient[dict[str, Any]] = MongoClient(_uri(store), event_listeners=[listener])
    try:
        watched = Store(client, store.db.name)
        assert watched.prepare(NOW) is None
        assert listener.names == ["find"]  # the schema record, nothing else
        monkeypatch.setattr(M, "indexes_digest", lambda: "a-new-index-set")
        again = watched.prepare(NOW)
        assert again is not None and len(again.indexes.existing) > 0 and "createIndexes" in listener.names
        assert watched.prepare(NOW) is None  # recorded with the new digest
    finally:
        client.close()


def _uri(store: Store) -> str:
    host, port = store.client.address  # type: ignore[misc]
    return f"mongodb://{host}:{port}/?directConnection=true&retryWrites=false"
