"""JSON Feed 1.0 / 1.1 (https://www.jsonfeed.org/version/1.1/): {"version": ".../version/1.1", "items": [...]}.

Detected from the body by its "version" URL (among the JSON kinds, before jobicy's catch-all).
An item's `id` is its identity; authors (1.1) or author (1.0) name the company, tags the category.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources import boards
from jobfeed.sources.fields import RawJob, first, join_distinct
from jobfeed.sources.kind import OnItem, SourceKind
from jobfeed.sources.values import text_of, texts_of
from jobfeed.sources.xmlsafe import Source

_VERSION = re.compile(r'"version"\s*:\s*"https?://(?:www\.)?jsonfeed\.org/version/1(?:\.\d+)?/?"')


def sniff(head: str) -> bool:
    """Whether the start of a JSON body declares a JSON Feed version."""
    return _VERSION.search(head) is not None


def stream(source: Source, codec: str, on_item: OnItem, on_restart: Callable[[], None]) -> str | None:
    """Hand each item to on_item; returns the feed's title."""
    data = boards.load_json(source, "JSON Feed")
    if not isinstance(data, dict):
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, "JSON Feed is not an object")
    for item in boards.job_list(data, "items", "JSON Feed"):
        on_item(item)
    return text_of(data.get("title"))


def extract(item: dict[str, Any], source: str) -> RawJob:
    """One item."""
    content_text = text_of(item.get("content_text"))
    return RawJob(
        identity=first(text_of(item.get("id")), text_of(item.get("url"))),
        title=text_of(item.get("title")),
        company=_author(item),
        category=join_distinct(texts_of(item.get("tags"))),
        url=first(text_of(item.get("url")), text_of(item.get("external_url"))),
        # plain text is escaped, so that descriptionHtml stays HTML whatever the feed gave
        description_html=first(text_of(item.get("content_html")), html.escape(content_text) if content_text else None),
        published=first(text_of(item.get("date_published")), text_of(item.get("date_modified"))),
    )


def _author(item: dict[str, Any]) -> str | None:
    """The first author's name: `authors` (1.1) or `author` (1.0)."""
    authors = item.get("authors")
    entries = authors if isinstance(authors, list) else [item.get("author")]
    return first(*(boards.name_of(entry) for entry in entries if isinstance(entry, dict)))


SOURCE = SourceKind(format=FeedFormat.JSON_FEED, roots=(), stream=stream, extract=extract, json=True, sniff=sniff)
