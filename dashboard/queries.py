"""The dashboard's one module of cached, read-only queries: typed Streamlit wrappers over `jobfeed.store.reads`.

The queries themselves are plain functions on a Store (`jobfeed/store/reads.py`, shared with the read API
and testable without Streamlit). Each gets a short-lived `st.cache_data` entry here, keyed by the
database's identity and its arguments, so two databases never share an entry. Pages call the public
functions; the `_cached_*` ones exist because the key must include the database, which pages never pass.
Write actions live in `dashboard/actions.py` and call `clear()`. Nothing here creates an index.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from jobfeed.feeds_config import ConfigError, feed_index, load_feeds_file, schedule_name
from jobfeed.models import FeedSpec
from jobfeed.ops import runs
from jobfeed.settings import get_settings
from jobfeed.store import Store, get_store, job_reads, quality_reads, reads
from jobfeed.store.reads import LogFilter

LIVE_TTL_S = 2  # history and `running`: below the 5 s self-refresh, so each refresh sees new rows
LIST_TTL_S = 10  # feeds, jobs, dead letters: they change when a run finishes
SLOW_TTL_S = 60  # chart aggregates and the list of boards: a minute old is still the same picture
PREFECT_TTL_S = 30  # next scheduled runs: a schedule moves on once per run; also spares a down server's timeouts

DbId = tuple[str, str]  # (MONGODB_URI, MONGODB_DB): part of every cache key
Doc = dict[str, Any]


def store() -> Store:
    """The shared Store of this process (connects lazily; never creates indexes)."""
    return get_store()


def clear() -> None:
    """Forget every cached result (after a write action, so the next render shows it)."""
    st.cache_data.clear()


def _db() -> DbId:
    settings = get_settings()
    return settings.mongodb_uri, settings.mongodb_db


def _prefect() -> tuple[str | None, str | None]:
    """Which Prefect server the run-control queries ask: part of their cache keys."""
    return os.environ.get("PREFECT_API_URL"), get_settings().prefect_api_url


@dataclass(frozen=True)
class Runs:
    """Recent import runs from Prefect, or why there are none to show (no server, not reachable)."""

    items: list[runs.RunView] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class FeedFile:
    """The feeds file as the dashboard shows it: its feeds, or why it could not be read."""

    specs: list[FeedSpec] = field(default_factory=list)
    error: str | None = None

    def index(self) -> dict[str, FeedSpec]:
        """Each feed under its URL, public URL and name (`feeds_config.feed_index`)."""
        return feed_index(self.specs)


# Every parameter is hashed into the key (a leading underscore would exclude one): `db` keeps test
# databases and a re-pointed MONGODB_URI apart; exceptions are never cached, so an outage is retried.
@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _cached_log_page(db: DbId, flt: LogFilter, page: int) -> list[Doc]:
    return reads.log_page(store(), flt, page=page)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _cached_count_logs(db: DbId, flt: LogFilter) -> int:
    return reads.count_logs(store(), flt)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _cached_any_running(db: DbId) -> bool:
    return reads.any_running(store())


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _cached_get_log(db: DbId, log_id: str) -> Doc | None:
    return reads.get_log(store(), log_id)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _cached_run_logs(db: DbId, flow_run_id: str) -> list[Doc]:
    return reads.run_logs(store(), flow_run_id)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_feed_list(db: DbId) -> list[Doc]:
    return reads.feed_list(store())


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def _cached_feed_daily_stats(db: DbId, since: datetime, tz: str) -> list[Doc]:
    return reads.feed_daily_stats(store(), since=since, tz=tz)


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def _cached_profile_history(db: DbId, since: datetime, feed: str | None) -> list[Doc]:
    return quality_reads.profile_history(store(), since=since, feed=feed)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_search_jobs(
    db: DbId, q: str, source: str | None, status: str | None, page: int, collapse: bool
) -> list[Doc]:
    search = job_reads.search_job_groups if collapse else reads.search_jobs
    return search(store(), q=q, source=source, status=status, page=page)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_count_jobs(db: DbId, q: str, source: str | None, status: str | None, collapse: bool) -> int:
    count = job_reads.count_job_groups if collapse else reads.count_jobs
    return count(store(), q=q, source=source, status=status)


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def _cached_job_sources(db: DbId) -> list[str]:
    return reads.job_sources(store())


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_get_job(db: DbId, job_id: str) -> Doc | None:
    return reads.get_job(store(), job_id)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_job_with_history(db: DbId, job_id: str) -> Doc | None:
    job = job_reads.get_job_with_history(store(), job_id)
    if job is not None:
        job["otherBoards"] = job_reads.other_boards(store(), job)
    return job


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def _cached_duplicate_groups(db: DbId, status: str | None) -> list[Doc]:
    return job_reads.duplicate_groups(store(), status=status)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_dead_letter_counts(db: DbId) -> dict[str, int]:
    return reads.dead_letter_counts(store())


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_dead_letter_page(db: DbId, reason: str | None, page: int) -> list[Doc]:
    return reads.dead_letter_page(store(), reason=reason, page=page)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_count_dead_letters(db: DbId, reason: str | None) -> int:
    return reads.count_dead_letters(store(), reason=reason)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_feed_file(path: str, mtime_ns: int) -> FeedFile:
    try:
        return FeedFile(load_feeds_file(Path(path)))
    except ConfigError as exc:
        return FeedFile(error=str(exc))


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def _cached_body_archived(db: DbId, archive: str, sha256: str) -> bool:
    from jobfeed.ops.archive import get_archive

    kept = get_archive(get_settings(), store())
    return kept is not None and kept.has(sha256)


def body_archived(sha256: str) -> bool:
    """True when the raw feed archive (ARCHIVE) still keeps this body: a replay is possible."""
    settings = get_settings()
    return _cached_body_archived(_db(), f"{settings.archive}:{settings.archive_path}", sha256)


# Prefect answers are cached with their failure: a page must not wait on a down server at every rerun.
@st.cache_data(ttl=PREFECT_TTL_S, show_spinner=False)
def _cached_next_runs(server: tuple[str | None, str | None], deployments: tuple[str, ...]) -> dict[str, Any] | None:
    try:
        found = runs.next_scheduled_runs(get_settings(), deployments)
    except Exception:  # noqa: BLE001 - no server, unreachable, or an error of its own: the page shows "—"
        return None
    return {name: (view.scheduled_for if view else None) for name, view in found.items()}


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _cached_recent_runs(server: tuple[str | None, str | None], limit: int) -> Runs:
    from dashboard.actions import prefect_problem

    try:
        return Runs(runs.list_runs(get_settings(), limit=limit))
    except Exception as exc:  # noqa: BLE001 - as above: the page says why, never a traceback
        return Runs(error=prefect_problem(exc))


def log_page(flt: LogFilter, page: int) -> list[Doc]:
    """One history page (20 ImportLogs), newest first."""
    return _cached_log_page(_db(), flt, page)


def count_logs(flt: LogFilter) -> int:
    """ImportLogs matching the history filters."""
    return _cached_count_logs(_db(), flt)


def any_running() -> bool:
    """True while an import is in progress."""
    return _cached_any_running(_db())


def get_log(log_id: str) -> Doc | None:
    """One ImportLog with its failures."""
    return _cached_get_log(_db(), log_id)


def run_logs(flow_run_id: str) -> list[Doc]:
    """The ImportLogs of one flow run."""
    return _cached_run_logs(_db(), flow_run_id)


def feed_list() -> list[Doc]:
    """Per-feed health documents."""
    return _cached_feed_list(_db())


def feed_daily_stats(since: datetime, tz: str) -> list[Doc]:
    """Runs per feed, day (in `tz`) and status since a time."""
    return _cached_feed_daily_stats(_db(), since, tz)


def profile_history(since: datetime, feed: str | None = None) -> list[Doc]:
    """Logs of parsed bodies since a time, oldest first: their field coverage, shape size and drift."""
    return _cached_profile_history(_db(), since, feed)


def search_jobs(q: str, source: str | None, page: int, status: str | None = None, collapse: bool = False) -> list[Doc]:
    """One page of jobs matching a search (open/closed/all); `collapse`: one row per duplicate group."""
    return _cached_search_jobs(_db(), q, source, status, page, collapse)


def count_jobs(q: str, source: str | None, status: str | None = None, collapse: bool = False) -> int:
    """Jobs (or, collapsed, rows) matching a search, up to `reads.COUNT_CAP`."""
    return _cached_count_jobs(_db(), q, source, status, collapse)


def job_sources() -> list[str]:
    """Boards present in `jobs`."""
    return _cached_job_sources(_db())


def get_job(job_id: str) -> Doc | None:
    """One job with its description."""
    return _cached_get_job(_db(), job_id)


def get_job_with_history(job_id: str) -> Doc | None:
    """One job with its description, `history` (newest first) and `otherBoards` (same dupKey, other board)."""
    return _cached_job_with_history(_db(), job_id)


def duplicate_groups(status: str | None = None) -> list[Doc]:
    """Jobs listed on more than one board, grouped by duplicate key, most recently seen first."""
    return _cached_duplicate_groups(_db(), status)


def dead_letter_counts() -> dict[str, int]:
    """Pending dead letters per reason."""
    return _cached_dead_letter_counts(_db())


def dead_letter_page(reason: str | None, page: int) -> list[Doc]:
    """One page of pending dead letters, oldest first."""
    return _cached_dead_letter_page(_db(), reason, page)


def count_dead_letters(reason: str | None) -> int:
    """Pending dead letters, optionally of one reason."""
    return _cached_count_dead_letters(_db(), reason)


def feed_file() -> FeedFile:
    """The feeds of FEEDS_FILE (re-read when the file changes)."""
    path = get_settings().feeds_file
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _cached_feed_file(str(path), mtime)


def deployment_of(spec: FeedSpec) -> str:
    """The deployment that imports a feed on its schedule: `import-feeds/<schedule_name(spec)>`."""
    return f"{runs.FLOW}/{schedule_name(spec)}"


def next_runs(deployments: list[str]) -> dict[str, datetime | None] | None:
    """When each deployment runs next (None: nothing scheduled); None when no Prefect server answers."""
    return _cached_next_runs(_prefect(), tuple(sorted(set(deployments))))


def recent_runs(limit: int = 10) -> Runs:
    """The latest import runs (any deployment, `jobfeed import` too), newest first."""
    return _cached_recent_runs(_prefect(), limit)
