"""The read API (`jobfeed api`): ImportLogs, feeds and jobs as JSON, for scripts and other services.

Read-only, bounded queries (`jobfeed/reads.py`, the dashboard's too). Dates are ISO 8601 UTC with `Z`.
When API_TOKEN is set every /api/* route needs `Authorization: Bearer <token>`; /healthz and /docs
stay open (they carry no data). Bound to 127.0.0.1 unless API_HOST says otherwise.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pymongo.errors import PyMongoError

import jobfeed
from jobfeed.cli.render import json_safe
from jobfeed.importlog import LogStatus
from jobfeed.redact import redact_text, redact_url
from jobfeed.settings import Settings, UiSettings, get_settings
from jobfeed.store import Store, get_store, reads

MAX_LIMIT = 200  # one response stays small enough to hold in memory on both ends
HEALTH_TIMEOUT_S = 2.0  # a load balancer's probe must not hang for pymongo's 5 s server selection
_bearer = HTTPBearer(auto_error=False, description="API_TOKEN, when the server sets one")


def _utc(value: datetime | None) -> datetime | None:
    """Query-string datetimes without an offset are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe (ids as strings, dates as ISO 8601 Z) with secrets in URLs and messages masked."""
    out = json_safe(doc)
    for key in ("fileName", "url", "feed"):
        if isinstance(out.get(key), str):
            out[key] = redact_url(out[key])
    if isinstance(out.get("feeds"), list):
        out["feeds"] = [redact_url(u) for u in out["feeds"] if isinstance(u, str)]
    for holder in (out.get("error"), *(out.get("failures") or [])):
        if isinstance(holder, dict) and isinstance(holder.get("message"), str):
            holder["message"] = redact_text(holder["message"])
    return out


def create_app(settings: Settings | None = None, ui_settings: UiSettings | None = None) -> FastAPI:
    """The FastAPI app on the configured database; `settings` default to the environment's."""
    app = FastAPI(
        title="jobfeed read API",
        version=jobfeed.__version__,
        description="Import logs, feed health and jobs imported by jobfeed. Read-only.",
    )

    def store() -> Store:
        return get_store(settings or get_settings())

    def authorize(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        token = (ui_settings or get_settings()).api_token
        if token is None:
            return
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode("utf-8"), token.get_secret_value().encode("utf-8")):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(PyMongoError)
    async def _database_down(request: Request, exc: PyMongoError) -> JSONResponse:
        return JSONResponse({"detail": "database unavailable"}, status_code=503)

    guarded = [Depends(authorize)]

    @app.get("/api/import-logs", dependencies=guarded, summary="Latest ImportLogs, newest first")
    def import_logs(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        feed: Annotated[str | None, Query(description="feed URL (the log's fileName)")] = None,
        status: LogStatus | None = None,
        before: Annotated[datetime | None, Query(description="only logs started before this (ISO 8601)")] = None,
    ) -> dict[str, Any]:
        """Page backwards with `before` = the previous response's `nextBefore`."""
        docs = store().logs.latest(limit=limit, feed=feed or None, status=status.value if status else None,
                                   before=_utc(before))  # fmt: skip
        items = [_public(doc) for doc in docs]
        next_before = items[-1]["startedAt"] if len(items) == limit else None
        return {"items": items, "nextBefore": next_before}

    @app.get("/api/feeds", dependencies=guarded, summary="Health of every feed")
    def feeds() -> dict[str, Any]:
        """Last status, failure streak, last success and enabled state per feed."""
        return {"items": [_public(doc) for doc in reads.feed_list(store())]}

    @app.get("/api/jobs", dependencies=guarded, summary="Search jobs")
    def jobs(
        q: Annotated[
            str | None, Query(max_length=reads.MAX_QUERY_CHARS, description="in title, company or location")
        ] = None,
        source: Annotated[str | None, Query(description="board host, e.g. jobicy.com")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> dict[str, Any]:
        """Most recently seen first; case-insensitive substring search; without descriptions (up to 1 MB each)."""
        docs = reads.search_jobs(store(), q=q, source=source or None, page=page, page_size=limit)
        return {"items": [_public(doc) for doc in docs], "page": page, "limit": limit}

    @app.get("/healthz", summary="Liveness and database check")
    def healthz() -> JSONResponse:
        """200 when the database answers a ping, else 503."""
        import pymongo

        try:
            with pymongo.timeout(HEALTH_TIMEOUT_S):
                store().ping()
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
