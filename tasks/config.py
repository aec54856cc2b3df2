"""Task: resolve which feeds this run imports (so a bad feeds file shows up in the Prefect UI)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobfeed.feeds_config import resolve_feeds
from jobfeed.models import FeedSpec
from jobfeed.settings import get_settings


@task(name="resolve-feeds", cache_policy=NO_CACHE)
def resolve_feed_list(feeds_file: str | None, feed_urls: list[str] | None) -> list[FeedSpec]:
    """The enabled feeds from --feed URLs, the given file, or FEEDS_FILE."""
    return resolve_feeds(feeds_file, feed_urls, get_settings().feeds_file)
