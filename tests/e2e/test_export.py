"""`jobfeed export` as a user runs it: a real process on the real database, each format read back."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jobfeed.store import Store
from jobfeed.store.export import COLUMN_NAMES
from tests.support.paths import ROOT
from tests.support.seed import FEEDS, SECRET, T0, make_job, seed_jobs

WWR = list(FEEDS)[1]


def jobfeed(db_name: str, *args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environ.update(MONGODB_DB=db_name, **env)
    return subprocess.run([sys.executable, "-m", "jobfeed", *args], check=False, env=environ, cwd=cwd,
                          capture_output=True, timeout=120)  # fmt: skip


@pytest.fixture
def seeded(store: Store) -> Store:
    """12 jobicy jobs (3 closed, seen long ago) and 4 WWR jobs; salary and remote on one of them."""
    seed_jobs(store, [make_job(i) for i in range(12)], now=T0)
    seed_jobs(store, [make_job(i, source="weworkremotely.com", location="Berlin") for i in range(4)], feed_url=WWR,
              now=T0 + timedelta(days=2))  # fmt: skip
    old = [f"https://jobicy.com/?p={i}" for i in range(3)]
    store.jobs.coll.update_many({"externalId": {"$in": old}}, {"$set": {"status": "closed", "closedAt": T0}})
    store.jobs.coll.update_many({"source": "jobicy.com", "externalId": {"$nin": old}}, {"$set": {"status": "open"}})
    store.jobs.coll.update_one(
        {"externalId": "https://jobicy.com/?p=5"},
        {"$set": {"salary": {"min": 50000, "max": 70000.5, "currency": "EUR", "period": "year"}, "remote": True}},
    )
    return store


def test_csv_of_every_job_with_every_column(seeded: Store, db_name: str, tmp_path: Path) -> None:
    out = tmp_path / "jobs.csv"
    done = jobfeed(db_name, "export", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    assert b"exported 16 job(s) as csv" in done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 16 and tuple(rows[0]) == COLUMN_NAMES
    by_id = {row["externalId"]: row for row in rows}
    assert by_id["https://jobicy.com/?p=0"]["status"] == "closed"
    assert by_id["https://jobicy.com/?p=0"]["closedAt"] == "2026-03-10T12:00:00Z"
    assert by_id["https://weworkremotely.com/?p=1"]["status"] == "open"  # no status yet: open
    salaried = by_id["https://jobicy.com/?p=5"]
    assert (salaried["salaryMin"], salaried["salaryMax"], salaried["salaryCurrency"]) == ("50000", "70000.5", "EUR")
    assert salaried["remote"] == "true" and by_id["https://jobicy.com/?p=6"]["remote"] == ""
    assert salaried["descriptionText"].startswith("line one") and "descriptionHtml" not in rows[0]
    assert SECRET not in out.read_text(encoding="utf-8") and "token=***" in salaried["feeds"]
    assert not list(tmp_path.glob(".*partial*"))  # written under a temporary name, then renamed


def test_jsonl_filters_by_status_source_and_since(seeded: Store, db_name: str) -> None:
    done = jobfeed(db_name, "export", "--format", "jsonl", "--status", "open", "--source", "jobicy.com", "--out", "-")
    assert done.returncode == 0, done.stderr.decode()
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert (
        len(lines) == 9 and {r["status"] for r in lines} == {"open"} and {r["source"] for r in lines} == {"jobicy.com"}
    )
    assert list(lines[0]) == list(COLUMN_NAMES) and lines[0]["publishedAt"].endswith("Z")

    closed = jobfeed(db_name, "export", "--format", "jsonl", "--status", "closed", "--out", "-", "-q")
    assert [json.loads(x)["externalId"] for x in closed.stdout.decode().splitlines()] == [
        f"https://jobicy.com/?p={i}" for i in range(3)
    ]
    recent = jobfeed(db_name, "export", "--format", "jsonl", "--since", "2026-03-11", "--out", "-")
    assert {json.loads(x)["source"] for x in recent.stdout.decode().splitlines()} == {"weworkremotely.com"}


def test_parquet_reads_back_with_types(seeded: Store, db_name: str, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "jobs.parquet"
    done = jobfeed(db_name, "export", "--format", "parquet", "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    table = pq.read_table(out)
    assert table.num_rows == 16 and tuple(table.schema.names) == COLUMN_NAMES
    assert str(table.schema.field("lastSeenAt").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("feeds").type) == "list<element: string>"
    rows = {r["externalId"]: r for r in table.to_pylist()}
    assert rows["https://jobicy.com/?p=5"]["salaryMax"] == 70000.5 and rows["https://jobicy.com/?p=5"]["remote"] is True
    assert rows["https://jobicy.com/?p=0"]["closedAt"] == T0


def test_default_file_name_empty_export_and_bad_usage(store: Store, db_name: str, tmp_path: Path) -> None:
    done = jobfeed(db_name, "export", "--format", "parquet", EXPORT_DIR=str(tmp_path / "exports"))
    assert done.returncode == 0, done.stderr.decode()
    (written,) = (tmp_path / "exports").glob("jobs-*.parquet")
    assert pq.read_table(written).num_rows == 0  # an empty database still gives a valid file with the columns
    assert tuple(pq.read_schema(written).names) == COLUMN_NAMES

    assert jobfeed(db_name, "export", "--format", "csv", "--since", "yesterday").returncode == 2
    assert jobfeed(db_name, "export", "--format", "xml").returncode == 2
    assert jobfeed(db_name, "export", "--format", "csv", "--out", str(tmp_path)).returncode == 2  # a directory


def test_unreachable_database_is_one_line_and_exit_1(db_name: str, tmp_path: Path) -> None:
    from jobfeed.stack.procs import free_port

    uri = f"mongodb://127.0.0.1:{free_port()}/?directConnection=true&serverSelectionTimeoutMS=500"
    done = jobfeed(db_name, "export", "--format", "csv", "--out", str(tmp_path / "x.csv"), MONGODB_URI=uri)
    assert done.returncode == 1 and b"database unreachable" in done.stderr
    assert not list(tmp_path.iterdir())  # no half file
