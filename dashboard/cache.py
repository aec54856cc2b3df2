"""The dashboard's cache of read-only queries: how long each kind of answer lives, what keys it, how to clear it.

Every cached query (dashboard/queries.py: the database and the feeds file; dashboard/prefect_queries.py: Prefect's
runs) is an `st.cache_data` function whose key includes the database's identity (`db_key()`) or the Prefect server
(`prefect_key()`), so two databases or servers never share an entry. Write actions (dashboard/actions.py) call
`clear()`.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from jobfeed.settings import get_settings
from jobfeed.store import Store, get_store

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


def db_key() -> DbId:
    """Which database a query reads: part of its cache key."""
    settings = get_settings()
    return settings.mongodb_uri, settings.mongodb_db


def prefect_key() -> tuple[str | None, str | None]:
    """Which Prefect server the run-control queries ask: part of their cache keys."""
    return os.environ.get("PREFECT_API_URL"), get_settings().prefect_api_url
