"""Upgrade: a database written by jobfeed 0.1.0 becomes a 1.0 database through `jobfeed db init`, losing nothing.

The fixture (tests/fixtures/upgrade/v0.1.0) is a dump of what 0.1.0 (commit 3fc6d54) wrote: `jobfeed demo` run
twice on the bundled samples; every collection as canonical extended JSON plus its indexes. See its README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from bson import json_util

from jobfeed.dupkey import dupkey
from jobfeed.importlog import ImportLog
from jobfeed.store import Store, get_store
from jobfeed.store.migrate import SCHEMA_VERSION
from tests.support.cli import jobfeed, user_env
from tests.support.feed_server import FeedServer
from tests.support.paths import ROOT

pytestmark = pytest.mark.usefixtures("prefect_harness")

FIXTURE = ROOT / "tests" / "fixtures" / "upgrade" / "v0.1.0"
SAMPLES = ROOT / "jobfeed" / "samples"


def restore(store: Store) -> dict[str, Any]:
    """Load the 0.1.0 dump (documents and indexes) into the test's empty database; the dump's index listing."""
    listing: dict[str, Any] = json_util.loads((FIXTURE / "indexes.json").read_text())
    for name, meta in listing.items():
        docs = json_util.loads((FIXTURE / f"{name}.json").read_text())
        if docs:
            store.db[name].insert_many(docs)
        for index, spec in meta["indexes"].items():
            if index != "_id_":
                options = {k: v for k, v in spec.items() if k != "key"}
                store.db[name].create_index([tuple(part) for part in spec["key"]], name=index, **options)
    return listing


def test_db_init_upgrades_a_010_database_and_an_import_continues_it(db_name: str, tmp_path: Path) -> None:
    store = get_store()
    listing = restore(store)
    before = {name: store.db[name].count_documents({}) for name in listing}
    assert before["jobs"] > 0 and before["import_logs"] > 0
    assert "dupKey" not in store.db.jobs.index_information()  # 0.1.0 had no duplicate key
    env = user_env(MONGODB_DB=db_name)

    done = jobfeed(env, "db", "init")
    assert done.returncode == 0, done.stderr
    assert "layout version 1 -> 2" in done.stdout and "filled   jobs.dupKey" in done.stdout, done.stdout
    after = {name: store.db[name].count_documents({}) for name in listing}
    assert after == before  # nothing lost
    assert store.db.jobs.count_documents({"dupKey": {"$exists": False}}) == 0
    assert store.db.jobs.count_documents({"status": {"$ne": "open"}}) == 0
    for job in store.db.jobs.find():  # as 1.0 computes it when it writes a job (None without a company)
        assert job["dupKey"] == dupkey(job.get("company"), job.get("title"), job.get("location")), job["_id"]
    assert store.db.jobs.count_documents({"dupKey": {"$type": "string"}}) > 0
    indexes = set(store.db.jobs.index_information())
    assert {"dupKey", "closed_lastSeenAt"} <= indexes
    assert store.db.meta.find_one({"_id": "schema"})["version"] == SCHEMA_VERSION
    for doc in store.db.import_logs.find():
        ImportLog.from_doc(doc)  # every 0.1.0 log reads as today's typed record

    again = jobfeed(env, "db", "init")
    assert again.returncode == 0 and "layout version 2 -> 2" in again.stdout and "filled" not in again.stdout

    # The same boards imported by 1.0: the 0.1.0 jobs are found by their identity, none is stored twice.
    old_log_ids = store.db.import_logs.distinct("_id")
    served = tmp_path / "samples"
    shutil.copytree(SAMPLES, served, ignore=shutil.ignore_patterns("*.md"))
    with FeedServer(served) as server:
        feeds = sorted(p.name for p in served.iterdir())
        imported = jobfeed(env, "import", *(arg for f in feeds for arg in ("--feed", server.url(f))), timeout=300)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert store.db.jobs.count_documents({}) == before["jobs"]
    new_logs = list(store.db.import_logs.find({"_id": {"$nin": old_log_ids}}))
    assert len(new_logs) == len(feeds) and sum(log["newJobs"] for log in new_logs) == 0
    assert os.environ["MONGODB_DB"] == db_name
