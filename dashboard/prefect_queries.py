"""The dashboard's cached questions to Prefect: the latest import runs, the next scheduled run of each deployment.

Answers are cached with their failure (dashboard/cache.py): a page must not wait on a down server at every rerun.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import streamlit as st

from dashboard.cache import LIVE_TTL_S, PREFECT_TTL_S, prefect_key
from jobfeed.feeds_config import schedule_name
from jobfeed.models import FeedSpec
from jobfeed.ops import runs
from jobfeed.settings import get_settings


@dataclass(frozen=True)
class Runs:
    """Recent import runs from Prefect, or why there are none to show (no server, not reachable)."""

    items: list[runs.RunView] = field(default_factory=list)
    error: str | None = None


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


def deployment_of(spec: FeedSpec) -> str:
    """The deployment that imports a feed on its schedule: `import-feeds/<schedule_name(spec)>`."""
    return f"{runs.FLOW}/{schedule_name(spec)}"


def next_runs(deployments: list[str]) -> dict[str, datetime | None] | None:
    """When each deployment runs next (None: nothing scheduled); None when no Prefect server answers."""
    return _cached_next_runs(prefect_key(), tuple(sorted(set(deployments))))


def recent_runs(limit: int = 10) -> Runs:
    """The latest import runs (any deployment, `jobfeed import` too), newest first."""
    return _cached_recent_runs(prefect_key(), limit)
