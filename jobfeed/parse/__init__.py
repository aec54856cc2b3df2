"""Bytes -> raw items: detect the format, parse it safely, or raise a classified FeedError."""

from __future__ import annotations

import re

from jobfeed.models import ParsedFeed
from jobfeed.parse.atom import parse_atom
from jobfeed.parse.detect import BodyKind, Sniffed, excerpt, sniff
from jobfeed.parse.jobicy_json import parse_jobicy_json
from jobfeed.parse.rdf import parse_rdf
from jobfeed.parse.rss import parse_rss
from jobfeed.parse.xmlsafe import UnknownEncodingError
from jobfeed.reasons import FailureReason, FeedError

__all__ = ["parse_feed"]

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_XML_PARSERS = {BodyKind.RSS: parse_rss, BodyKind.ATOM: parse_atom, BodyKind.RDF: parse_rdf}


def parse_feed(body: bytes, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed body (RSS 2.0, RSS 1.0, Atom or jobicy JSON) into a ParsedFeed of raw items.

    Raises FeedError for a whole-feed problem: XML_MALFORMED (empty, truncated, not well-formed),
    XML_FORBIDDEN (DTD/entities), BLOCKED_HTML (a web page instead of a feed) or
    UNSUPPORTED_FORMAT (anything else). A valid feed with no items is a valid, empty ParsedFeed.
    """
    try:
        sniffed = sniff(body, content_type)
    except UnknownEncodingError as exc:
        raise FeedError(
            FailureReason.UNSUPPORTED_FORMAT, f"unknown character encoding {str(exc)!r}"
        ) from None
    xml_parser = _XML_PARSERS.get(sniffed.kind)
    if xml_parser is not None:
        return xml_parser(body, sniffed.codec)
    if sniffed.kind is BodyKind.JSON:
        return parse_jobicy_json(body)
    raise _refusal(sniffed, body)


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
        return FeedError(
            FailureReason.XML_MALFORMED, "XML is not well-formed: no element at the start"
        )
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
