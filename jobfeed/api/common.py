"""What the read API's route modules share: limits, the ISO date-time parameter, and the public shape of a document."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator

from jobfeed.redact import redact_text, redact_url
from jobfeed.store.reads import json_safe

MAX_LIMIT = 200  # one response stays small enough to hold in memory on both ends
# A date and a time at least: pydantic alone would also take "1700000000" (epoch seconds) or "2026-03-10".
_ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d")


class Problem(BaseModel):
    """The body of an error response."""

    detail: str


# Documented on every guarded route, so clients (and schemathesis) know these answers.
GUARDED_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "API_TOKEN is set and the bearer token is missing or wrong"},
    503: {"model": Problem, "description": "the database is unavailable"},
}


def _iso_only(value: object) -> object:
    """Reject a query-string date-time that is not ISO 8601 (422), before pydantic's lenient parsing."""
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-03-10T12:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def utc(value: datetime | None) -> datetime | None:
    """Query-string datetimes without an offset are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe (ids as strings, dates as ISO 8601 Z) with secrets in URLs and messages masked."""
    out: dict[str, Any] = json_safe(doc)
    for key in ("fileName", "url", "feed"):
        if isinstance(out.get(key), str):
            out[key] = redact_url(out[key])
    if isinstance(out.get("feeds"), list):
        out["feeds"] = [redact_url(u) for u in out["feeds"] if isinstance(u, str)]
    for holder in (out.get("error"), *(out.get("failures") or [])):
        if isinstance(holder, dict) and isinstance(holder.get("message"), str):
            holder["message"] = redact_text(holder["message"])
    return out
