"""What the JSON job-board API modules (greenhouse, lever, ashby, ...) share: reading a body, a stream
over its job list, places, pay, and paging URLs. Each API's own field mapping stays in its module."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jobfeed.models import Salary
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources.fields import join_distinct
from jobfeed.sources.kind import OnItem, Stream
from jobfeed.sources.values import text_of
from jobfeed.sources.xmlsafe import Source

PLACE_SEPARATOR = "; "  # between whole places; ", " stays inside one ("Berlin, Germany")

# What a pay period is called by the APIs (Ashby "1 YEAR", Lever "per-year-salary", Indeed "per year").
_PERIODS = {
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "annum": "year",
    "month": "month", "monthly": "month",
    "week": "week", "weekly": "week",
    "day": "day", "daily": "day",
    "hour": "hour", "hourly": "hour",
}  # fmt: skip


def load_json(source: Source, what: str) -> Any:
    """A whole JSON body, decoded; FeedError(XML_MALFORMED) when it is not JSON (as for jobicy)."""
    body = source if isinstance(source, bytes) else source.read_bytes()
    try:
        # bytes: json finds UTF-8/16/32 and skips a BOM; strict=False lets raw control characters in
        # strings through (normalize strips them from JSON kinds' fields)
        return json.loads(body, strict=False)
    except json.JSONDecodeError as exc:
        message = f"{what} JSON is not well-formed: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise FeedError(FailureReason.XML_MALFORMED, message) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise FeedError(FailureReason.XML_MALFORMED, f"{what} JSON is unreadable: {type(exc).__name__}") from None


def job_list(data: Any, key: str | None, what: str) -> list[dict[str, Any]]:
    """The list of job objects under `key` (None: the body is the list); FeedError when it is not one."""
    jobs = data if key is None else (data.get(key) if isinstance(data, dict) else None)
    if not isinstance(jobs, list):
        where = "a list" if key is None else f"an object with a {key!r} list"
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, f"{what} answer is not {where}")
    if not all(isinstance(job, dict) for job in jobs):
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, f"{what} job list holds non-object entries")
    return jobs


def json_stream(what: str, key: str | None, *, title: Callable[[Any], str | None] = lambda _data: None) -> Stream:
    """A SourceKind stream for an API that answers one JSON document holding a job list.

    Board answers are parsed whole: one board (or one page of it) is far below MAX_FEED_BYTES.
    """

    def stream(source: Source, codec: str, on_item: OnItem, on_restart: Callable[[], None]) -> str | None:
        data = load_json(source, what)
        for job in job_list(data, key, what):
            on_item(job)
        return title(data)

    return stream


def name_of(value: Any) -> str | None:
    """A named thing's name: the text itself, or a {"name"|"label"|"text": ...} object's."""
    if isinstance(value, dict):
        for key in ("name", "label", "text"):
            text = text_of(value.get(key))
            if text and text.strip():
                return text
        return None
    return text_of(value)


def names_of(values: Any) -> str | None:
    """Several named things (departments, offices) joined: "Engineering, Platform"."""
    entries = values if isinstance(values, list) else [values]
    return join_distinct([name for name in map(name_of, entries) if name])


def place(*parts: Any) -> str | None:
    """One place from its parts, blanks and repeats dropped: "Berlin, Berlin, DE" -> "Berlin, DE"."""
    return join_distinct([text for text in map(text_of, parts) if text])


def places(values: list[str | None]) -> str | None:
    """Every place of a job, distinct, joined with "; " (a place itself may hold commas)."""
    distinct = list(dict.fromkeys(value.strip() for value in values if value and value.strip()))
    return PLACE_SEPARATOR.join(distinct) or None


def flag(value: Any) -> bool | None:
    """A JSON boolean as a bool; anything else (missing, null, "yes") is not a statement: None."""
    return value if isinstance(value, bool) else None


def number(value: Any) -> float | None:
    """A finite JSON number (not a bool) as a float, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def period(value: Any) -> str | None:
    """A pay period in one word ("year", "hour", ...), or the API's own word lower-cased."""
    text = text_of(value)
    if not text or not text.strip():
        return None
    words = text.lower().replace("-", " ").replace("_", " ").split()
    for word in words:
        if word in _PERIODS:
            return _PERIODS[word]
    return text.strip().lower()


def salary(low: Any, high: Any, currency: Any = None, per: Any = None) -> Salary | None:
    """A Salary from the numbers an API gives; None when it gives neither bound."""
    low_number, high_number = number(low), number(high)
    if low_number is None and high_number is None:
        return None
    code = text_of(currency)
    return Salary(low_number, high_number, code.strip().upper() if code and code.strip() else None, period(per))


def with_query(url: str, **params: int | str) -> str:
    """The URL with these query parameters set (others kept, in order)."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in params]
    query += [(key, str(value)) for key, value in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_int(url: str, name: str) -> int | None:
    """An integer query parameter of a URL (the last one given), or None."""
    value = None
    for key, text in parse_qsl(urlsplit(url).query):
        if key == name:
            value = text
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def detail_path(list_url: str, posting_id: Any, **params: int | str) -> str | None:
    """The URL of one posting below a list URL's path (`.../jobs` -> `.../jobs/<id>`), host kept.

    Built from the list URL, not from a link in the item, so that a feeds.yaml `url:` (a proxy, a
    test server) serves the details too.
    """
    text = text_of(posting_id) if not isinstance(posting_id, bool) else None
    if not text or not text.strip() or "/" in text:
        return None
    parts = urlsplit(list_url)
    path = parts.path.rstrip("/") + "/" + text.strip()
    return urlunsplit(parts._replace(path=path, query=urlencode(list(params.items())), fragment=""))


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else (a missing or null field reads as empty)."""
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    """A JSON array, or [] for anything else."""
    return value if isinstance(value, list) else []
