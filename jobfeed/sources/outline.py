"""The outline of a feed body for its shape statistics (jobfeed/quality.py): the item element of its format,
and the namespace URIs its root element declares.

Namespaces are read from the start of the body only (SNIFF_BYTES x 16), by the hardened expat with
namespace processing, which stops at the root element's start tag: the declarations of a feed are made
there (`xmlns:job_listing="https://board.example"` of a WP Job Manager board). Cheap: one small parse per
body, nothing per item.
"""

from __future__ import annotations

from pathlib import Path
from xml.parsers import expat

from jobfeed.constants import SNIFF_BYTES
from jobfeed.models import FeedFormat
from jobfeed.quality import MAX_NAMESPACES
from jobfeed.sources.dialect import XmlDialect
from jobfeed.sources.registry import kind_of
from jobfeed.sources.xmlsafe import ForbiddenMarkupError, SafeExpat, Source, decode_head, strip_control_chars

HEAD_BYTES = SNIFF_BYTES * 16  # 64 KB: a prolog with a long comment still fits


class _RootReachedError(Exception):
    """Raised from the start-element handler: everything wanted was read."""


def item_element(format: FeedFormat) -> str | None:
    """The element each item of an XML format is (`item`, `entry`, `job`, `position`); None for JSON."""
    dialect = getattr(kind_of(format).stream, "__self__", None)  # an XML kind's stream is its dialect's
    return dialect.item if isinstance(dialect, XmlDialect) else None


def declared_namespaces(source: Source, format: FeedFormat, codec: str) -> tuple[str, ...] | None:
    """A body's namespace URIs: none for a JSON format, else those its root element declares."""
    return () if kind_of(format).json else root_namespaces(source, codec)


def root_namespaces(source: Source, codec: str) -> tuple[str, ...] | None:
    """The namespace URIs declared on the root element, sorted; None when the root is not readable there."""
    if isinstance(source, bytes):
        head = source[:HEAD_BYTES]
    else:
        with Path(source).open("rb") as body:
            head = body.read(HEAD_BYTES)
    text = strip_control_chars(decode_head(head, codec, HEAD_BYTES)).lstrip("\ufeff \t\r\n")
    uris: set[str] = set()

    def declare(_prefix: str | None, uri: str | None) -> None:
        if uri:
            uris.add(uri)

    def start(_name: str, _attrs: object) -> None:
        raise _RootReachedError

    parser = SafeExpat.ParserCreate("utf-8", ":")  # the text is decoded: its own declaration must not count
    parser.StartNamespaceDeclHandler = declare
    parser.StartElementHandler = start
    try:
        parser.Parse(text, False)
    except _RootReachedError:
        return tuple(sorted(uris))[:MAX_NAMESPACES]
    except (expat.ExpatError, ForbiddenMarkupError, ValueError):
        return None
    return None  # no root element within the head
