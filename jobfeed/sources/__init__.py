"""Feed body -> raw items: detect the format, parse it safely, or raise a classified FeedError.

`detect_feed` + `stream_items` hand items over one at a time from a body in memory or spooled to a
file (memory stays flat however big the feed); `parse_feed` collects them into a ParsedFeed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobfeed.constants import MAX_PROLOG_SCAN_BYTES
from jobfeed.models import FeedFormat, ParsedFeed
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources.atom import ATOM
from jobfeed.sources.detect import BodyKind, Sniffed, excerpt, sniff
from jobfeed.sources.jobicy_json import parse_jobicy_json
from jobfeed.sources.rdf import RDF
from jobfeed.sources.rss import RSS
from jobfeed.sources.values import as_item
from jobfeed.sources.xmlsafe import Source, UnknownEncodingError, stream_elements

__all__ = ["Detected", "detect_feed", "parse_feed", "stream_items"]

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_XML_DIALECTS = {BodyKind.RSS: RSS, BodyKind.ATOM: ATOM, BodyKind.RDF: RDF}
_DIALECTS = {dialect.format: dialect for dialect in _XML_DIALECTS.values()}
OnItem = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Detected:
    """A body recognised as a feed we read: its format and character encoding."""

    format: FeedFormat
    codec: str = "utf-8"


def parse_feed(body: bytes, content_type: str | None = None) -> ParsedFeed:
    """Parse a whole feed body (RSS 2.0, RSS 1.0, Atom or jobicy JSON) into a ParsedFeed of raw items.

    Raises FeedError for a whole-feed problem: XML_MALFORMED (empty, truncated, not well-formed),
    XML_FORBIDDEN (DTD/entities), BLOCKED_HTML (a web page instead of a feed) or
    UNSUPPORTED_FORMAT (anything else). A valid feed with no items is a valid, empty ParsedFeed.
    """
    detected = detect_feed(body, content_type)
    items: list[dict[str, Any]] = []
    title = stream_items(body, detected, items.append, on_restart=items.clear)
    return ParsedFeed(format=detected.format, items=items, title=title)


def detect_feed(source: Source, content_type: str | None = None) -> Detected:
    """Which feed format a body is, from its first bytes; FeedError (as parse_feed) when it is none."""
    start, size = _start_of(source)
    try:
        sniffed = sniff(start, content_type, size=size)
    except UnknownEncodingError as exc:
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, f"unknown character encoding {str(exc)!r}") from None
    dialect = _XML_DIALECTS.get(sniffed.kind)
    if dialect is not None:
        return Detected(dialect.format, sniffed.codec)
    if sniffed.kind is BodyKind.JSON:
        return Detected(FeedFormat.JOBICY_JSON)
    raise _refusal(sniffed, start)


def stream_items(
    source: Source, detected: Detected, on_item: OnItem, *, on_restart: Callable[[], None] = lambda: None
) -> str | None:
    """Call on_item for each raw item of a detected feed, in document order; returns the feed's title.

    Raises FeedError as parse_feed does; the items already handed over must then be dropped (a
    truncated feed may end in a truncated item). on_restart is called when the parser starts over
    from the top (see xmlsafe.stream_elements): the items handed over before it must be dropped too.
    """
    if detected.format is FeedFormat.JOBICY_JSON:
        # jobicy's API answers are small (one page of jobs): parsed whole, within MAX_FEED_BYTES
        parsed = parse_jobicy_json(source if isinstance(source, bytes) else source.read_bytes())
        for item in parsed.items:
            on_item(item)
        return parsed.title
    dialect = _DIALECTS[detected.format]
    title: str | None = None
    seen_title = False

    def on_element(name: str, value: Any) -> None:
        nonlocal title, seen_title
        if name == dialect.item:
            on_item(as_item(value))
        elif not seen_title:
            title, seen_title = dialect.title_of(value), True

    def restart() -> None:
        nonlocal title, seen_title
        title, seen_title = None, False
        on_restart()

    stream_elements(
        source,
        detected.codec,
        depth=dialect.depth,
        wanted=dialect.wanted,
        namespaces=dialect.namespaces,
        on_element=on_element,
        on_restart=restart,
    )
    return title


def _start_of(source: Source) -> tuple[bytes, int]:
    """Enough of the body's start for sniffing, and the body's whole size."""
    if isinstance(source, bytes):
        return source, len(source)
    with open(source, "rb") as body:
        return body.read(MAX_PROLOG_SCAN_BYTES + 1), Path(source).stat().st_size


def _refusal(sniffed: Sniffed, body: bytes) -> FeedError:
    """The FeedError for a body that is not a feed we read."""
    kind = sniffed.kind
    if kind is BodyKind.EMPTY:
        return FeedError(FailureReason.XML_MALFORMED, "empty body")
    if kind is BodyKind.HTML:
        return FeedError(FailureReason.BLOCKED_HTML, _html_message(body))
    if kind is BodyKind.DOCTYPE:
        return FeedError(
            FailureReason.XML_FORBIDDEN,
            f"refused DOCTYPE {excerpt(sniffed.name, 40)} (DTDs and entities are never processed)",
        )
    if kind is BodyKind.NO_ROOT:
        return FeedError(FailureReason.XML_MALFORMED, "XML has no root element (truncated?)")
    if kind is BodyKind.BAD_MARKUP:
        return FeedError(FailureReason.XML_MALFORMED, "XML is not well-formed: no element at the start")
    if kind is BodyKind.UNKNOWN_XML:
        return FeedError(
            FailureReason.UNSUPPORTED_FORMAT,
            f"XML root {excerpt(sniffed.name, 40)} is not rss, feed or rdf:RDF",
        )
    if kind is BodyKind.TEXT:
        return FeedError(FailureReason.UNSUPPORTED_FORMAT, f"body is not a feed: {sniffed.name}")
    return FeedError(FailureReason.UNSUPPORTED_FORMAT, "no root element near the start of the body")


def _html_message(body: bytes) -> str:
    """Name the page (its <title>, capped): tells an operator a bot challenge from a login wall."""
    head = body[:8192].decode("utf-8", errors="replace")
    title = _HTML_TITLE.search(head)
    named = f" titled {excerpt(title.group(1), 60)}" if title and title.group(1).strip() else ""
    return f"got an HTML page{named} instead of a feed (bot challenge or login wall?)"
