"""The runs API: start import runs (priority, delay, idempotency key), follow them, cancel them.

Runs are Prefect flow runs of `import-feeds/on-demand` (jobfeed/ops/runs.py); a run's per-feed
ImportLogs carry its id (`flowRunId`). Prefect is the record of runs: this module keeps no state.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
import httpx
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from jobfeed.api.auth import AUTH_RESPONSES, Authorizer, Scope
from jobfeed.api.common import MAX_LIMIT, IsoDateTime, Problem, public, utc
from jobfeed.feeds_config import ConfigError, select_feeds
from jobfeed.importlog import LogField
from jobfeed.ops import runs as R
from jobfeed.ops.prefect import PrefectUnavailableError
from jobfeed.settings import Settings
from jobfeed.store import Store

MAX_DELAY_S = 30 * 86_400  # a month: further ahead is a schedule, not a run
EVENT_POLL_S = 0.5  # how often the event stream looks at the run and its logs
TOTAL_FIELDS = ("totalFetched", "newJobs", "updatedJobs", "unchangedJobs", "failedJobs", "closedJobs")
RUN_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    503: {"model": Problem, "description": "Prefect (or the database) is unavailable, or not deployed"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "no run with this id"}}


class RunRequest(BaseModel):
    """What to run: which feeds (names or URLs of feeds.yaml; null = every enabled feed), how urgent, when."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[Annotated[str, Field(min_length=1, max_length=2000)]] | None = Field(default=None, max_length=1000)
    priority: R.Priority = R.Priority.NORMAL
    startAt: IsoDateTime | None = Field(default=None, description="ISO 8601; not with delaySeconds")
    delaySeconds: int | None = Field(default=None, ge=0, le=MAX_DELAY_S, description="not with startAt")


def _invalid(field: str, message: str, value: Any = None) -> RequestValidationError:
    """A 422 naming the field, in FastAPI's own error shape."""
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error", "input": value}])


def runs_router(settings: Callable[[], Settings], store: Callable[[], Store], auth: Authorizer) -> APIRouter:
    """The /api/runs routes on the given settings and store."""
    router = APIRouter(prefix="/api/runs", tags=["runs"], responses=RUN_RESPONSES)
    reader = [Depends(auth.require(Scope.READ))]
    writer = [Depends(auth.require(Scope.RUNS_WRITE))]

    def links(request: Request, view: R.RunView) -> dict[str, str]:
        return {"self": str(request.url_for("get_run", run_id=view.id)), "prefect": view.url}

    def prefect_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(settings(), *args, **kwargs)
        except R.RunNotFoundError:
            raise HTTPException(404, "no run with this id") from None
        except PrefectUnavailableError as exc:  # also DeploymentMissingError
            raise HTTPException(503, str(exc)) from None
        except httpx.HTTPError as exc:  # PREFECT_API_URL names a server that does not answer (down, restarting)
            raise HTTPException(503, f"Prefect server not reachable: {type(exc).__name__}") from None

    @router.post(
        "",
        status_code=202,
        dependencies=writer,
        summary="Start an import run",
        responses={
            200: {"description": "the run created earlier with this Idempotency-Key"},
            # FastAPI's own answer, before any check of ours, when the body cannot be decoded (not UTF-8)
            400: {"model": Problem, "description": "the body cannot be read as JSON"},
        },
    )
    def create_run(
        body: RunRequest,
        request: Request,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200, description="same key, same run")] = None,
    ) -> dict[str, Any]:
        """Queue a run of `import-feeds/on-demand` in the work queue of its priority: now, at `startAt`, or
        after `delaySeconds` (a Prefect Scheduled run). 202 with the new run; 200 with the earlier run when
        the `Idempotency-Key` was used before."""
        now = datetime.now(UTC)
        when = _start_time(body, now)
        feed_urls = None if body.feeds is None else _feed_urls(settings(), body.feeds)
        key = f"api:{idempotency_key}" if idempotency_key else None  # apart from Prefect's own schedule keys
        view, created = prefect_call(
            R.submit_run, feed_urls=feed_urls, priority=body.priority, scheduled_for=when, idempotency_key=key
        )
        response.status_code = 202 if created else 200
        response.headers["Location"] = str(request.url_for("get_run", run_id=view.id))
        return {**view.to_json(), "links": links(request, view)}

    @router.get("", dependencies=reader, summary="Runs of the import flow, newest first")
    def list_runs(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        state: Annotated[str | None, Query(description="a Prefect state type, e.g. RUNNING, COMPLETED")] = None,
    ) -> dict[str, Any]:
        """Every import run (scheduled, on-demand, `jobfeed import`); the schedules' future runs are left out
        unless `state=SCHEDULED`."""
        if state and state.upper() not in R.STATE_TYPES:
            raise RequestValidationError(
                [{"loc": ("query", "state"), "msg": f"one of {', '.join(R.STATE_TYPES)}", "type": "value_error"}]
            )
        views = prefect_call(R.list_runs, limit=limit, state=state)
        return {"items": [{**v.to_json(), "links": links(request, v)} for v in views]}

    @router.get("/{run_id}", dependencies=reader, summary="One run with its ImportLogs", responses=NOT_FOUND)
    def get_run(run_id: str, request: Request) -> dict[str, Any]:
        """The run's state, times and parameters, the ImportLogs of its feeds and their totals."""
        view = prefect_call(R.read_run, run_id)
        docs = sorted(store().logs.for_flow_run(view.id), key=lambda d: d.get(LogField.STARTED_AT) or now_utc())
        return {**view.to_json(), "links": links(request, view), **_logs_and_totals(docs)}

    @router.post(
        "/{run_id}/cancel",
        status_code=202,
        dependencies=writer,
        summary="Cancel a run",
        responses={**NOT_FOUND, 409: {"model": Problem, "description": "the run is over already"}},
    )
    def cancel_run(run_id: str, request: Request) -> dict[str, Any]:
        """A run that has not started is cancelled at once; a running one is stopped by its worker, its
        running ImportLogs end `failed` with reason `cancelled` and its feed locks are freed."""
        try:
            view = prefect_call(R.cancel_run, run_id)
        except R.RunFinishedError as exc:
            raise HTTPException(409, str(exc)) from None
        return {**view.to_json(), "links": links(request, view)}

    @router.get(
        "/{run_id}/events",
        dependencies=reader,
        summary="Server-Sent Events of one run",
        response_class=EventSourceResponse,
        responses={**NOT_FOUND, 200: {"content": {"text/event-stream": {}}, "description": "the event stream"}},
    )
    async def run_events(run_id: str) -> EventSourceResponse:
        """`importlog` events (one per change of one of the run's ImportLogs: opened, finished), then one
        `state` event with the run's final state; then the stream closes."""
        await run_in_threadpool(prefect_call, R.read_run, run_id)  # 404 before the stream starts
        return EventSourceResponse(_events(run_id, settings, store), ping=15)

    return router


async def _events(
    run_id: str, settings: Callable[[], Settings], store: Callable[[], Store]
) -> AsyncIterator[dict[str, str]]:
    seen: dict[str, tuple[Any, ...]] = {}
    number = 0
    while True:
        # the state first: once it is terminal, the logs read after it are final (the cancellation hook and
        # the record tasks finish them before the run ends)
        view = await run_in_threadpool(R.read_run, settings(), run_id)
        docs = await run_in_threadpool(store().logs.for_flow_run, run_id)
        for doc in sorted(docs, key=lambda d: (d.get(LogField.STARTED_AT) or now_utc(), str(d.get("_id")))):
            key = (doc.get(LogField.STATUS), doc.get(LogField.FINISHED_AT))
            if seen.get(str(doc["_id"])) != key:
                seen[str(doc["_id"])] = key
                number += 1
                yield {"event": "importlog", "id": str(number), "data": json.dumps(public(doc))}
        if view.terminal:
            yield {"event": "state", "id": str(number + 1), "data": json.dumps(view.to_json())}
            return
        await anyio.sleep(EVENT_POLL_S)


def now_utc() -> datetime:
    return datetime.now(UTC)


def _start_time(body: RunRequest, now: datetime) -> datetime | None:
    if body.startAt is not None and body.delaySeconds is not None:
        raise _invalid("delaySeconds", "give either startAt or delaySeconds, not both", body.delaySeconds)
    if body.delaySeconds:
        return now + timedelta(seconds=body.delaySeconds)
    start = utc(body.startAt)
    if start is not None and start < now:
        raise _invalid("startAt", "startAt is in the past", body.startAt.isoformat() if body.startAt else None)
    return start


def _feed_urls(settings: Settings, wanted: list[str]) -> list[str]:
    """Public URLs of the named feeds (what the run's parameters carry: no secret goes to Prefect)."""
    if not wanted:
        raise _invalid("feeds", "name at least one feed, or send null for every enabled feed", wanted)
    try:
        specs, unknown = select_feeds(settings.feeds_file, wanted)
    except ConfigError as exc:
        raise HTTPException(503, str(exc)) from None
    if unknown:
        raise RequestValidationError(
            [
                {"loc": ("body", "feeds", i), "msg": f"unknown feed {wanted[i]!r}", "type": "value_error"}
                for i in unknown
            ]
        )
    return [spec.public_url for spec in specs]


def _logs_and_totals(docs: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {name: sum(int(d.get(name) or 0) for d in docs) for name in TOTAL_FIELDS}
    by_status: dict[str, int] = {}
    for doc in docs:
        status = str(doc.get(LogField.STATUS))
        by_status[status] = by_status.get(status, 0) + 1
    totals.update(feeds=len(docs), byStatus=by_status)
    return {"importLogs": [public(doc) for doc in docs], "totals": totals}
