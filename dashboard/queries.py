"""The dashboard's cached, read-only queries of the database and the feeds file: typed Streamlit wrappers over
`jobfeed.store.reads`.

The queries themselves are plain functions on a Store (`jobfeed/store/reads.py`, shared with the read API
and testable without Streamlit). Each gets a short-lived `st.cache_data` entry here, keyed by the
database's identity and its arguments, so two databases never share an entry (dashboard/cache.py). Pages call
the public functions; the `_cached_*` ones exist because the key must include the database, which pages never
pass. Prefect's runs are dashboard/prefect_queries.py; both are re-exported here with the cache's `store()` and
`clear()`, so pages find every query in this module. Write actions live in `dashboard/actions.py` and call
`clear()`. Nothing here creates an index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import streamlit as st

from dashboard.cache import LIST_TTL_S, LIVE_TTL_S, SLOW_TTL_S, DbId, Doc, clear, db_key, store
from dashboard.prefect_queries import Runs, deployment_of, next_runs, recent_runs  # re-exported for the pages
from jobfeed.feeds_config import ConfigError, feed_index, load_feeds_file
from jobfeed.models import FeedSpec
from jobfeed.settings import get_settings
from jobfeed.store import job_reads, quality_reads, reads
from jobfeed.store.reads import LogFilter

__all__ = [
    "FeedFile",
    "Runs",
    "any_running",
    "body_archived",
    "clear",
    "count_dead_letters",
    "count_jobs",
    "count_logs",
    "dead_letter_counts",
    "dead_letter_page",
    "deployment_of",
    "duplicate_groups",
    "feed_daily_stats",
    "feed_file",
    "feed_list",
    "get_job",
    "get_job_with_history",
    "get_log",
    "job_sources",
    "log_page",
    "next_runs",
    "profile_history",
    "recent_runs",
    "run_logs",
    "search_jobs",
    "store",
]


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
    return _cached_body_archived(db_key(), f"{settings.archive}:{settings.archive_path}", sha256)


def log_page(flt: LogFilter, page: int) -> list[Doc]:
    """One history page (20 ImportLogs), newest first."""
    return _cached_log_page(db_key(), flt, page)


def count_logs(flt: LogFilter) -> int:
    """ImportLogs matching the history filters."""
    return _cached_count_logs(db_key(), flt)


def any_running() -> bool:
    """True while an import is in progress."""
    return _cached_any_running(db_key())


def get_log(log_id: str) -> Doc | None:
    """One ImportLog with its failures."""
    return _cached_get_log(db_key(), log_id)


def run_logs(flow_run_id: str) -> list[Doc]:
    """The ImportLogs of one flow run."""
    return _cached_run_logs(db_key(), flow_run_id)


def feed_list() -> list[Doc]:
    """Per-feed health documents."""
    return _cached_feed_list(db_key())


def feed_daily_stats(since: datetime, tz: str) -> list[Doc]:
    """Runs per feed, day (in `tz`) and status since a time."""
    return _cached_feed_daily_stats(db_key(), since, tz)


def profile_history(since: datetime, feed: str | None = None) -> list[Doc]:
    """Logs of parsed bodies since a time, oldest first: their field coverage, shape size and drift."""
    return _cached_profile_history(db_key(), since, feed)


def search_jobs(q: str, source: str | None, page: int, status: str | None = None, collapse: bool = False) -> list[Doc]:
    """One page of jobs matching a search (open/closed/all); `collapse`: one row per duplicate group."""
    return _cached_search_jobs(db_key(), q, source, status, page, collapse)


def count_jobs(q: str, source: str | None, status: str | None = None, collapse: bool = False) -> int:
    """Jobs (or, collapsed, rows) matching a search, up to `reads.COUNT_CAP`."""
    return _cached_count_jobs(db_key(), q, source, status, collapse)


def job_sources() -> list[str]:
    """Boards present in `jobs`."""
    return _cached_job_sources(db_key())


def get_job(job_id: str) -> Doc | None:
    """One job with its description."""
    return _cached_get_job(db_key(), job_id)


def get_job_with_history(job_id: str) -> Doc | None:
    """One job with its description, `history` (newest first) and `otherBoards` (same dupKey, other board)."""
    return _cached_job_with_history(db_key(), job_id)


def duplicate_groups(status: str | None = None) -> list[Doc]:
    """Jobs listed on more than one board, grouped by duplicate key, most recently seen first."""
    return _cached_duplicate_groups(db_key(), status)


def dead_letter_counts() -> dict[str, int]:
    """Pending dead letters per reason."""
    return _cached_dead_letter_counts(db_key())


def dead_letter_page(reason: str | None, page: int) -> list[Doc]:
    """One page of pending dead letters, oldest first."""
    return _cached_dead_letter_page(db_key(), reason, page)


def count_dead_letters(reason: str | None) -> int:
    """Pending dead letters, optionally of one reason."""
    return _cached_count_dead_letters(db_key(), reason)


def feed_file() -> FeedFile:
    """The feeds of FEEDS_FILE (re-read when the file changes)."""
    path = get_settings().feeds_file
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _cached_feed_file(str(path), mtime)
