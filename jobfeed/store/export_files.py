"""Export files on disk: written under a temporary name beside the target and renamed when complete, so a
reader never sees half a file under the final name; and the run's export (a follow-up of each import run
when `EXPORT_DIR` is set: every job, in `EXPORT_FORMAT`, one new file per run). Rows and formats:
`jobfeed/store/export.py`; columns: docs/exports.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobfeed.store.export import ExportFilter, ExportFormat, iter_rows, write_export

if TYPE_CHECKING:
    from jobfeed.store import Store

_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """What a run's export wrote: the file and how many jobs are in it."""

    path: Path
    rows: int
    format: str

    def __str__(self) -> str:
        return f"wrote {self.rows:,} job(s) as {self.format} to {self.path}"


def write_export_file(fmt: ExportFormat, rows: Iterable[dict[str, Any]], target: Path) -> int:
    """Write rows to `target` atomically (temp file in the same directory, fsync, rename); returns the count.

    The directory is created when missing. On any error the temporary file is removed and the error raised:
    `target` is then either absent or the complete file of an earlier write, never half a file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    written = 0

    def counted() -> Iterable[dict[str, Any]]:
        nonlocal written
        for row in rows:
            written += 1
            yield row

    try:
        with partial.open("wb") as handle:
            write_export(fmt, counted(), handle)
            handle.flush()
            os.fsync(handle.fileno())  # the rename must not publish a file whose bytes are still in the page cache
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def run_export_name(run_name: str | None, run_id: str | None, fmt: ExportFormat, now: datetime) -> str:
    """`jobs-<UTC time>-<run id, 8 chars>.<format>`: sorted by time, one name per run (a retry writes the same)."""
    tag = _NOT_NAME.sub("", run_id or "")[:8] or _NOT_NAME.sub("-", run_name or "local").strip("-")[:40] or "local"
    return f"jobs-{now.strftime('%Y%m%dT%H%M%SZ')}-{tag}.{fmt.value}"


def export_to_dir(store: Store, directory: Path, fmt: ExportFormat, name: str) -> ExportedFile:
    """Every job (open and closed) as `directory/name`, written atomically."""
    target = directory / name
    rows = write_export_file(fmt, iter_rows(store, ExportFilter()), target)
    return ExportedFile(path=target, rows=rows, format=fmt.value)
