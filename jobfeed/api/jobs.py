"""The read API's job routes beyond the search: one job with its history, duplicates, and the streamed export.

Declared by `add_job_routes` on the app of `jobfeed/api/app.py`, with its store and its guard (token and
documented error answers), so these routes behave like the others. `/api/jobs/export` is declared before
`/api/jobs/{job_id}`, which would otherwise take "export" for an id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from itertools import chain
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import StreamingResponse

from jobfeed.api.common import MAX_LIMIT, IsoDateTime, Problem, public, utc
from jobfeed.store import Store, job_reads
from jobfeed.store.export import ExportFilter, csv_chunks, iter_rows, jsonl_chunks


class JobStatus(StrEnum):
    """`jobs.status` as a filter: open, closed, or all (the default)."""

    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


class StreamFormat(StrEnum):
    """Formats the API streams (Parquet needs a whole file: `jobfeed export --format parquet`)."""

    CSV = "csv"
    JSONL = "jsonl"


MEDIA_TYPES = {StreamFormat.CSV: "text/csv; charset=utf-8", StreamFormat.JSONL: "application/x-ndjson"}
StatusParam = Annotated[JobStatus, Query(description="open, closed or all")]


def status_value(status: JobStatus | None) -> str | None:
    """The store's status filter: None for all."""
    return None if status in (None, JobStatus.ALL) else str(status.value)


def _with(guarded: dict[str, Any], responses: dict[int | str, dict[str, Any]]) -> dict[str, Any]:
    """The guard's route options with more documented responses."""
    return {**guarded, "responses": {**guarded.get("responses", {}), **responses}}


def add_job_routes(app: FastAPI, store: Callable[[], Store], guarded: dict[str, Any]) -> None:
    """Declare the export, job detail and duplicates routes on `app`."""

    @app.get(
        "/api/jobs/export",
        summary="Export jobs as CSV or JSON Lines (streamed)",
        response_class=StreamingResponse,
        **_with(guarded, {200: {"content": {"text/csv": {}, "application/x-ndjson": {}}, "description": "the rows"}}),
    )
    def export_jobs(
        format: Annotated[StreamFormat, Query(description="csv or jsonl")] = StreamFormat.CSV,
        status: StatusParam = JobStatus.ALL,
        since: Annotated[IsoDateTime | None, Query(description="only jobs seen since (lastSeenAt, ISO 8601)")] = None,
        source: Annotated[str | None, Query(description="board, e.g. jobicy.com")] = None,
    ) -> StreamingResponse:
        """Every matching job, one row each, in the columns of docs/exports.md; streamed as it is read."""
        rows = iter_rows(store(), ExportFilter(status=status_value(status), since=utc(since), source=source or None))
        first = next(rows, None)  # reads the first batch now: a database error is a 503, not a cut-off body
        all_rows: Iterator[dict[str, Any]] = chain([first], rows) if first is not None else iter(())
        chunks = csv_chunks(all_rows) if format is StreamFormat.CSV else jsonl_chunks(all_rows)
        return StreamingResponse(
            chunks,
            media_type=MEDIA_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="jobs.{format.value}"'},
        )

    @app.get(
        "/api/jobs/{job_id}",
        summary="One job with its history",
        **_with(guarded, {404: {"model": Problem, "description": "no job with this id"}}),
    )
    def job_detail(
        job_id: str,
        history: Annotated[int, Query(ge=0, le=job_reads.MAX_HISTORY, description="changes to include")] = 50,
    ) -> dict[str, Any]:
        """The job with its description, `history` (its recorded changes, newest first: `at`, `flowRunId`,
        `feed`, `changes` as `{field: {old, new}}`, the description as `{diff, oldHash, newHash}`), and
        `otherBoards`: the same position on other boards (same `dupKey`)."""
        job = job_reads.get_job_with_history(store(), job_id, limit=history)
        if job is None:
            raise HTTPException(404, "no job with this id")
        copies = job_reads.other_boards(store(), job)
        out = public({key: value for key, value in job.items() if key != "history"})
        out["history"] = [public(change) for change in job["history"]]
        out["otherBoards"] = [public(copy) for copy in copies]
        return out

    @app.get("/api/duplicates", summary="Jobs listed on more than one board", **guarded)
    def duplicates(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        status: StatusParam = JobStatus.ALL,
    ) -> dict[str, Any]:
        """Groups of jobs sharing a duplicate key (normalized company + title + location, docs/duplicates.md)
        on more than one board, most recently seen first: `dupKey`, `boards`, `count`, `lastSeenAt` and
        the copies (`jobs`, at most 20 per group)."""
        groups = job_reads.duplicate_groups(store(), limit=limit, status=status_value(status))
        return {"items": [{**public(g), "jobs": [public(j) for j in g["jobs"]]} for g in groups]}
