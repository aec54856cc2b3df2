"""Export files on disk (jobfeed/store/export_files.py): a run's export into a directory, written atomically."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from jobfeed.store import Store
from jobfeed.store.export import COLUMN_NAMES, ExportFormat
from jobfeed.store.export_files import export_to_dir, run_export_name, write_export_file
from tests.support.seed import T0, make_job, seed_jobs


def test_run_export_writes_every_job_under_the_runs_name(store: Store, tmp_path: Path) -> None:
    seed_jobs(store, [make_job(i) for i in range(7)])
    name = run_export_name("import-20260310-120000", "5b0c1f2e-aaaa-bbbb", ExportFormat.PARQUET, T0)
    assert name == "jobs-20260310T120000Z-5b0c1f2e.parquet"
    done = export_to_dir(store, tmp_path / "exports", ExportFormat.PARQUET, name)
    assert done.path == tmp_path / "exports" / name and done.rows == 7
    table = pq.read_table(done.path)
    assert table.num_rows == 7 and tuple(table.schema.names) == COLUMN_NAMES
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == [name]  # no temporary file left
    assert str(done) == f"wrote 7 job(s) as parquet to {done.path}"
    assert run_export_name(None, None, ExportFormat.CSV, T0) == "jobs-20260310T120000Z-local.csv"


def test_a_failed_write_leaves_the_previous_file_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "jobs.jsonl"
    target.write_text('{"id": "old"}\n')

    def broken() -> Iterator[dict[str, Any]]:
        yield dict.fromkeys(COLUMN_NAMES, "x")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_export_file(ExportFormat.JSONL, broken(), target)
    assert target.read_text() == '{"id": "old"}\n' and [p.name for p in tmp_path.iterdir()] == ["jobs.jsonl"]
    assert write_export_file(ExportFormat.JSONL, iter([dict.fromkeys(COLUMN_NAMES, "y")]), target) == 1
    assert json.loads(target.read_text())["id"] == "y"


def test_a_directory_that_is_a_file_fails(store: Store, tmp_path: Path) -> None:
    blocker = tmp_path / "exports"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        export_to_dir(store, blocker, ExportFormat.CSV, "jobs.csv")
    assert blocker.read_text() == "not a directory"
