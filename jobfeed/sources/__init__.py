"""Feed body -> raw items: detect the format, parse it safely, or raise a classified FeedError.

`detect_feed` + `stream_items` hand items over one at a time from a body in memory or spooled to a
file (memory stays flat however big the feed); `parse_feed` collects them into a ParsedFeed. Each
format is one module (rss, atom, rdf, indeed_xml, jobicy_json, json_feed, and one per job-board API) found
through jobfeed/sources/registry.py.
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
from jobfeed.sources.detect import BodyKind, Sniffed, excerpt, sniff
from jobfeed.sources.kind import OnItem, SourceKind
from jobfeed.sources.registry import format_for_json, kind_of, root_names
from jobfeed.sources.xmlsafe import Source, UnknownEncodingError

__all__ = ["Detected", "detect_feed", "parse_feed", "stream_items"]

# How much of a JSON body a sniffing kind sees: JSON Feed puts "version" first, by custom.
JSON_SNIFF_BYTES = 64 * 1024

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Detected:
    """A body recognised as a feed we read: its format and character encoding."""

    format: FeedFormat
    codec: str = "utf-8"


def parse_feed(body: bytes, content_type: str | None = None, *, expected: FeedFormat | None = None) -> ParsedFeed:
    """Parse a whole feed body into a ParsedFeed of raw items: RSS 2.0, RSS 1.0, Atom, Indeed-style
    XML, JSON Feed or jobicy JSON detected from the body, or the job-board API named by `expected`.

    Raises FeedError for a whole-feed problem: XML_MALFORMED (empty, truncated, not well-formed),
    XML_FORBIDDEN (DTD/entities), BLOCKED_HTML (a web page instead of a feed) or
    UNSUPPORTED_FORMAT (anything else). A valid feed with no items is a valid, empty ParsedFeed.
    """
    detected = detect_feed(body, content_type, expected=expected)
    items: list[dict[str, Any]] = []
    title = stream_items(body, detected, items.append, on_restart=items.clear)
    return ParsedFeed(format=detected.format, items=items, title=title)


def detect_feed(source: Source, content_type: str | None = None, *, expected: FeedFormat | None = None) -> Detected:
    """Which feed format a body is, from its first bytes; FeedError (as parse_feed) when it is none.

    `expected` is the format a feeds.yaml `kind:` chose (a job-board API, never detected): the body
    is then only checked to be of its shape (JSON, or its XML root), so that an HTML challenge page
    or an empty body is refused as it would be for any feed.
    """
    start, size = _start_of(source)
    try:
        sniffed = sniff(start, content_type, size=size)
    except UnknownEncodingError as exc:
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, f"unknown character encoding {str(exc)!r}") from None
    if expected is not None:
        return _as_expected(sniffed, start, kind_of(expected))
    if isinstance(sniffed.kind, FeedFormat):  # an XML root the registry knows
        return Detected(sniffed.kind, sniffed.codec)
    if sniffed.kind is BodyKind.JSON:
        json_format = format_for_json(_json_head(start))
        if json_format is not None:
            return Detected(json_format)  # json finds its encoding itself (UTF-8/16/32)
    raise _refusal(sniffed, start)


def _as_expected(sniffed: Sniffed, start: bytes, kind: SourceKind) -> Detected:
    """The chosen kind when the body has its shape; else the refusal any feed would get."""
    is_xml = sniffed.kind is BodyKind.UNKNOWN_XML or isinstance(sniffed.kind, FeedFormat)
    if kind.json and sniffed.kind is BodyKind.JSON:
        return Detected(kind.format)
    if not kind.json and is_xml and _local(sniffed.name) in {_local(root) for root in kind.roots}:
        return Detected(kind.format, sniffed.codec)
    if sniffed.kind is BodyKind.JSON or is_xml:
        what = "JSON" if sniffed.kind is BodyKind.JSON else f"XML with root {excerpt(sniffed.name, 40)}"
        wanted = "JSON" if kind.json else f"XML with root {' or '.join(kind.roots)}"
        raise FeedError(FailureReason.UNSUPPORTED_FORMAT, f"body is {what}, not {kind.format}'s {wanted}")
    raise _refusal(sniffed, start)


def _local(name: str) -> str:
    return name[name.rfind(":") + 1 :]


def _json_head(start: bytes) -> str:
    """The start of a JSON body as text, for a sniffing kind (JSON Feed is UTF-8 by its spec)."""
    return start[:JSON_SNIFF_BYTES].decode("utf-8", errors="replace")


def stream_items(
    source: Source, detected: Detected, on_item: OnItem, *, on_restart: Callable[[], None] = lambda: None
) -> str | None:
    """Call on_item for each raw item of a detected feed, in document order; returns the feed's title.

    Raises FeedError as parse_feed does; the items already handed over must then be dropped (a
    truncated feed may end in a truncated item). on_restart is called when the parser starts over
    from the top (see xmlsafe.stream_elements): the items handed over before it must be dropped too.
    """
    return kind_of(detected.format).stream(source, detected.codec, on_item, on_restart)


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
            f"XML root {excerpt(sniffed.name, 40)} is not {root_names()}",
        )
    if kind is BodyKind.JSON:  # only when no detected JSON kind reads it
        return FeedError(FailureReason.UNSUPPORTED_FORMAT, "body is JSON, and no JSON feed format is registered")
    if kind is BodyKind.TEXT:
        return FeedError(FailureReason.UNSUPPORTED_FORMAT, f"body is not a feed: {sniffed.name}")
    return FeedError(FailureReason.UNSUPPORTED_FORMAT, "no root element near the start of the body")


def _html_message(body: bytes) -> str:
    """Name the page (its <title>, capped): tells an operator a bot challenge from a login wall."""
    head = body[:8192].decode("utf-8", errors="replace")
    title = _HTML_TITLE.search(head)
    named = f" titled {excerpt(title.group(1), 60)}" if title and title.group(1).strip() else ""
    return f"got an HTML page{named} instead of a feed (bot challenge or login wall?)"
