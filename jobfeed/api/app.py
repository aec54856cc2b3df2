"""The read API (`jobfeed api`): ImportLogs, feeds and jobs as JSON, for scripts and other services.

Read-only, bounded queries (`jobfeed/store/reads.py`, the dashboard's too); the API never creates an
index. Dates are ISO 8601 UTC with `Z`. When API_TOKEN is set every /api/* route needs
`Authorization: Bearer <token>`; /healthz and /docs stay open (they carry no data). /docs serves Swagger
UI from local assets (the `fastapi-offline` package), so it works offline and loads nothing from a CDN.
Bound to 127.0.0.1 unless API_HOST says otherwise.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pymongo.errors import PyMongoError

import jobfeed
from jobfeed.api.auth import AUTH_RESPONSES, Authorizer, Scope
from jobfeed.api.common import GUARDED_RESPONSES, MAX_LIMIT, IsoDateTime, public, utc
from jobfeed.api.jobs import JobStatus, StatusParam, add_job_routes, status_value
from jobfeed.api.runs import runs_router
from jobfeed.importlog import LogStatus
from jobfeed.settings import Settings, UiSettings, get_settings
from jobfeed.store import Store, get_store, reads
from jobfeed.store.reads import feed_health

HEALTH_TIMEOUT_S = 2.0  # a load balancer's probe must not hang for pymongo's 5 s server selection


DOCS_ASSETS = "/docs-assets"  # Swagger UI / ReDoc JS, CSS and icons


def create_app(settings: Settings | None = None, ui_settings: UiSettings | None = None) -> FastAPI:
    """The FastAPI app on the configured database; `settings` default to the environment's."""
    app = FastAPIOffline(  # /docs and /redoc from the package's own assets, never a CDN: they work offline
        title="jobfeed read API",
        version=jobfeed.__version__,
        description="Import logs, feed health and jobs imported by jobfeed. Read-only.",
        static_url=DOCS_ASSETS,
    )

    def store() -> Store:
        return get_store(settings or get_settings())

    auth = Authorizer(lambda: ui_settings or get_settings())  # API_TOKEN or a JWT with scopes (api/auth.py)
    authorize = auth.require(Scope.READ)

    @app.exception_handler(PyMongoError)
    async def _database_down(request: Request, exc: PyMongoError) -> JSONResponse:
        return JSONResponse({"detail": "database unavailable"}, status_code=503)

    guarded: dict[str, Any] = {
        "dependencies": [Depends(authorize)],
        "responses": {**GUARDED_RESPONSES, **AUTH_RESPONSES},
    }

    @app.get("/api/import-logs", summary="Latest ImportLogs, newest first", **guarded)
    def import_logs(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        feed: Annotated[str | None, Query(description="feed URL (the log's fileName)")] = None,
        status: LogStatus | None = None,
        before: Annotated[IsoDateTime | None, Query(description="only logs started before this (ISO 8601)")] = None,
    ) -> dict[str, Any]:
        """Page backwards with `before` = the previous response's `nextBefore`."""
        docs = store().logs.latest(limit=limit, feed=feed or None, status=status.value if status else None,
                                   before=utc(before))  # fmt: skip
        items = [public(doc) for doc in docs]
        next_before = items[-1]["startedAt"] if len(items) == limit else None
        return {"items": items, "nextBefore": next_before}

    @app.get("/api/feeds", summary="Health of every feed", **guarded)
    def feeds() -> dict[str, Any]:
        """Last status, failure streak, last success and enabled state per feed.

        `health` sums up the last status: `ok` (success, not_modified), `failing` (failed, partial),
        `neutral` (skipped) or `unknown` (never finished).
        """
        return {
            "items": [{**public(doc), "health": feed_health(doc.get("lastStatus"))} for doc in reads.feed_list(store())]
        }

    @app.get("/api/jobs", summary="Search jobs", **guarded)
    def jobs(
        q: Annotated[
            str | None, Query(max_length=reads.MAX_QUERY_CHARS, description="in title, company or location")
        ] = None,
        source: Annotated[str | None, Query(description="board host, e.g. jobicy.com")] = None,
        status: StatusParam = JobStatus.ALL,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> dict[str, Any]:
        """Most recently seen first; case-insensitive substring search; without descriptions (up to 1 MB each).
        `/api/jobs/{id}` has one job with its description and history."""
        docs = reads.search_jobs(store(), q=q, source=source or None, status=status_value(status), page=page,
                                 page_size=limit)  # fmt: skip
        return {"items": [public(doc) for doc in docs], "page": page, "limit": limit}

    add_job_routes(app, store, guarded)  # /api/jobs/export, /api/jobs/{id}, /api/duplicates
    app.include_router(runs_router(lambda: settings or get_settings(), store, auth))  # /api/runs...

    @app.get(
        "/healthz",
        summary="Liveness and database check",
        responses={503: {"description": "the database is unreachable"}},
    )
    def healthz() -> JSONResponse:
        """200 when the database answers a ping, else 503."""
        try:
            store().ping(timeout_s=HEALTH_TIMEOUT_S)
        except PyMongoError:
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app


def serve(host: str | None = None, port: int | None = None) -> int:
    """Run the API with uvicorn until interrupted (`jobfeed api`); returns an exit code."""
    import uvicorn

    ui = get_settings()
    uvicorn.run(create_app(ui_settings=ui), host=host or ui.api_host, port=port or ui.api_port,
                log_level="info", proxy_headers=False)  # fmt: skip
    return 0
