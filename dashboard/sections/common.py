"""What every page shares: loading with a spinner, the database error state, time zone, pager, labels."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

import streamlit as st
from pymongo.errors import PyMongoError

from jobfeed.redact import redact_url
from jobfeed.settings import get_settings, is_zone
from jobfeed.store.errors import describe_db_error
from jobfeed.store.reads import PAGE_SIZE, page_count

T = TypeVar("T")
# Markdown (and Streamlit's :color[...] / :icon: / $LaTeX$ additions) that untrusted text must not trigger.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=])")
TZ_KEY = "tz"  # session-state key of the sidebar's time-zone select
UTC_NAME = "UTC"


def _guarded(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], spinner: str) -> T:
    with st.spinner(spinner):
        try:
            return fn(*args, **kwargs)
        except PyMongoError as exc:
            failure = exc
    # outside the spinner: it is cleared when its block ends, which a stopped script never reaches
    database_error(failure)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises; this keeps type checkers honest


def load(fn: Callable[..., T], *args: Any, what: str) -> T:
    """Run one query with a spinner; on a database error show the error state and stop the page."""
    return _guarded(fn, args, {}, f"Loading {what}…")


def act(fn: Callable[..., T], *args: Any, doing: str, **kwargs: Any) -> T:
    """Run one write action with a spinner; a database error gets the same error state as a read."""
    return _guarded(fn, args, kwargs, f"{doing}…")


def database_error(exc: BaseException) -> None:
    """A readable, secret-free explanation of an unreachable database (never a traceback)."""
    settings = get_settings()
    st.error(
        f"**The database is unreachable.** `{redact_url(settings.mongodb_uri)}` (database "
        f"`{settings.mongodb_db}`) did not answer: {md_escape(describe_db_error(exc))}"
    )
    st.info("Start the local stack with `jobfeed stack up`, or point `MONGODB_URI` at your server, then reload.")


def default_timezone() -> tuple[str, str]:
    """The zone to show times in and why: DASHBOARD_TZ, else the browser's, else UTC."""
    configured = get_settings().dashboard_tz
    if configured:
        return configured, "DASHBOARD_TZ"
    browser = st.context.timezone
    if is_zone(browser):
        return str(browser), "your browser's zone"
    return UTC_NAME, "UTC: the browser did not say"


def sidebar_timezone() -> str:
    """The sidebar's time-zone select (default from `default_timezone`); returns the chosen zone."""
    default, why = default_timezone()
    zones = [UTC_NAME, *sorted(available_timezones() - {UTC_NAME})]
    chosen = st.sidebar.selectbox("Time zone", zones, index=zones.index(default) if default in zones else 0, key=TZ_KEY)
    st.sidebar.caption(f"Times are shown in **{chosen}**" + (f" (default: {why})." if chosen == default else "."))
    return str(chosen)


def timezone() -> str:
    """The zone chosen in the sidebar (UTC before the sidebar ran)."""
    return str(st.session_state.get(TZ_KEY) or default_timezone()[0])


def fmt_time(value: datetime | None, tz: str) -> str:
    """A stored UTC datetime as `YYYY-MM-DD HH:MM:SS` in `tz` ("" when missing)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(ms: int | None) -> str:
    """Milliseconds as seconds with one decimal ("" while running)."""
    return "" if ms is None else f"{ms / 1000:.1f} s"


def md_escape(text: str) -> str:
    """Feed text (titles, companies, messages) made literal for st.markdown/caption/subheader/alerts."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))  # one line: no headings or lists either


def feed_label(url: str | None, name: str | None = None) -> str:
    """`name — url` with any secret in the URL masked."""
    shown = redact_url(url or "")
    return f"{name} — {shown}" if name and name != url else shown


def pager(total: int, *, key: str, page_size: int = PAGE_SIZE, capped: bool = False) -> int:
    """A page number input with "page X of Y"; `key` should change with the filters (back to page 1)."""
    pages = page_count(total, page_size)
    left, right = st.columns([1, 5], vertical_alignment="bottom")
    page = int(left.number_input("Page", min_value=1, max_value=pages, value=1, step=1, key=key))
    rows = f"{total:,}+" if capped else f"{total:,}"
    right.caption(f"Page {page} of {pages}{'+' if capped else ''} · {rows} rows · {page_size} per page")
    return page
