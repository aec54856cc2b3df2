"""The dashboard's one module of cached, read-only queries: thin Streamlit wrappers over `jobfeed.store.reads`.

The query functions themselves are plain functions on a Store (`jobfeed/reads.py`, shared with the read
API and unit-testable without Streamlit). Here they get a short-lived `st.cache_data` entry keyed by the
database's identity, the query's name and its arguments, so two databases never share an entry.
Write actions live in `dashboard/actions.py` and call `clear()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from jobfeed.settings import get_settings
from jobfeed.store import Store, get_store, reads
from jobfeed.store.reads import LogFilter

LIVE_TTL_S = 2  # history and `running`: below the 5 s self-refresh, so each refresh sees new rows
LIST_TTL_S = 10  # feeds, jobs, dead letters: they change when a run finishes
SLOW_TTL_S = 60  # chart aggregates and the list of boards: a minute old is still the same picture


def store() -> Store:
    """The shared Store of this process (connects lazily, creates indexes once)."""
    return get_store()


def clear() -> None:
    """Forget every cached result (after a write action, so the next render shows it)."""
    st.cache_data.clear()


def _db_id() -> tuple[str, str]:
    settings = get_settings()
    return settings.mongodb_uri, settings.mongodb_db


def _call(name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    return getattr(reads, name)(store(), *args, **dict(kwargs))


# Parameters are all hashed into the key (a leading underscore would exclude one): db_id keeps test
# databases and a re-pointed MONGODB_URI apart; exceptions are never cached, so an outage is retried.
@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _live(db_id: tuple[str, str], name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    return _call(name, args, kwargs)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _list(db_id: tuple[str, str], name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    return _call(name, args, kwargs)


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def _slow(db_id: tuple[str, str], name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    return _call(name, args, kwargs)


def log_page(flt: LogFilter, page: int) -> list[dict[str, Any]]:
    """One history page (20 ImportLogs), newest first."""
    return _live(_db_id(), "log_page", (flt,), (("page", page),))


def count_logs(flt: LogFilter) -> int:
    """ImportLogs matching the history filters."""
    return _live(_db_id(), "count_logs", (flt,), ())


def any_running() -> bool:
    """True while an import is in progress."""
    return _live(_db_id(), "any_running", (), ())


def get_log(log_id: str) -> dict[str, Any] | None:
    """One ImportLog with its failures."""
    return _live(_db_id(), "get_log", (log_id,), ())


def run_logs(flow_run_id: str) -> list[dict[str, Any]]:
    """The ImportLogs of one flow run."""
    return _live(_db_id(), "run_logs", (flow_run_id,), ())


def feed_list() -> list[dict[str, Any]]:
    """Per-feed health documents."""
    return _list(_db_id(), "feed_list", (), ())


def feed_daily_stats(since: datetime, tz: str) -> list[dict[str, Any]]:
    """Runs per feed, day (in `tz`) and status since a time."""
    return _slow(_db_id(), "feed_daily_stats", (), (("since", since), ("tz", tz)))


def search_jobs(q: str, source: str | None, page: int) -> list[dict[str, Any]]:
    """One page of jobs matching a search."""
    return _list(_db_id(), "search_jobs", (), (("q", q), ("source", source), ("page", page)))


def count_jobs(q: str, source: str | None) -> int:
    """Jobs matching a search, up to `reads.COUNT_CAP`."""
    return _list(_db_id(), "count_jobs", (), (("q", q), ("source", source)))


def job_sources() -> list[str]:
    """Boards present in `jobs`."""
    return _slow(_db_id(), "job_sources", (), ())


def get_job(job_id: str) -> dict[str, Any] | None:
    """One job with its description."""
    return _list(_db_id(), "get_job", (job_id,), ())


def dead_letter_counts() -> dict[str, int]:
    """Pending dead letters per reason."""
    return _list(_db_id(), "dead_letter_counts", (), ())


def dead_letter_page(reason: str | None, page: int) -> list[dict[str, Any]]:
    """One page of pending dead letters, oldest first."""
    return _list(_db_id(), "dead_letter_page", (), (("reason", reason), ("page", page)))


def count_dead_letters(reason: str | None) -> int:
    """Pending dead letters, optionally of one reason."""
    return _list(_db_id(), "count_dead_letters", (), (("reason", reason),))
