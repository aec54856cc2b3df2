"""Sniff what a body is before parsing it: JSON, a feed format we read, an HTML page, empty, or text.

Only the start of the body is looked at (the XML prolog up to the root element's name), so a
20 MB feed costs a 4 KB decode here. Which XML roots are feeds, and of which format, is the
registry's answer (jobfeed/sources/registry.py); this module knows only what is not a feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from jobfeed.constants import EXCERPT_CHARS, MAX_PROLOG_SCAN_BYTES, SNIFF_BYTES
from jobfeed.models import FeedFormat
from jobfeed.sources.registry import format_for_root
from jobfeed.sources.xmlsafe import decode_head, detect_encoding


class BodyKind(StrEnum):
    """What a body looks like from its first bytes, when it is not an XML feed of a registered format."""

    EMPTY = "empty"  # 0 bytes or whitespace only
    JSON = "json"  # the registry's JSON kind reads it (its shape is checked when it is parsed)
    HTML = "html"  # a web page where a feed was expected (bot challenge, login wall)
    DOCTYPE = "doctype"  # an XML prolog with a (non-HTML) DOCTYPE: refused, never parsed
    NO_ROOT = "no_root"  # a prolog that ends before any root element (truncated)
    BAD_MARKUP = "bad_markup"  # starts with "<" but no element can start there
    UNKNOWN_XML = "unknown_xml"  # well-formed-looking XML with a root we do not read
    TEXT = "text"  # not markup, not JSON
    TOO_LONG_PROLOG = "too_long_prolog"  # no root within MAX_PROLOG_SCAN_BYTES


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The verdict of `sniff`: the format (an XML root we read) or other kind, the codec, the name seen."""

    kind: FeedFormat | BodyKind
    codec: str = "utf-8"
    name: str = ""  # root element qname, DOCTYPE name, or a short excerpt for TEXT


_HTML_ROOTS = frozenset({"html", "head", "body"})  # no feed has these roots, whatever its type
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_LEADING_SPACE = "\ufeff \t\r\n"

# Whitespace, processing instructions (incl. <?xml ...?>) and comments may precede the root.
_PROLOG_SKIP = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_DOCTYPE = re.compile(r"<!DOCTYPE\s+([^\s>\[]+)", re.IGNORECASE)
_ROOT = re.compile(r"<([A-Za-z_][^\s/>]*)")
_WHITESPACE = re.compile(r"\s+")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A one-line, length-capped quote of untrusted text for an error message."""
    flat = _WHITESPACE.sub(" ", text[: limit * 4]).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return repr(flat)


def is_html_type(content_type: str | None) -> bool:
    """True when a Content-Type header names an HTML document."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES


def sniff(body: bytes, content_type: str | None = None, *, size: int | None = None) -> Sniffed:
    """Classify a body by its first bytes (may raise xmlsafe.UnknownEncodingError).

    `body` may be just the start of a spooled body (at least MAX_PROLOG_SCAN_BYTES of it, when it
    is that long); `size` is then the whole body's length.
    """
    size = len(body) if size is None else size
    if not body or body.isspace():  # isspace() stops at the first non-space byte: no copy
        return Sniffed(BodyKind.EMPTY if size <= len(body) else BodyKind.TOO_LONG_PROLOG)
    codec = detect_encoding(body, content_type)
    html_type = is_html_type(content_type)
    head = decode_head(body, codec, SNIFF_BYTES).lstrip(_LEADING_SPACE)
    complete = size <= SNIFF_BYTES
    if not head and not complete:  # a huge run of leading whitespace: look further
        head = decode_head(body, codec, MAX_PROLOG_SCAN_BYTES).lstrip(_LEADING_SPACE)
        complete = size <= MAX_PROLOG_SCAN_BYTES
    if not head:
        return Sniffed(BodyKind.EMPTY if complete else BodyKind.TOO_LONG_PROLOG, codec)
    first = head[0]
    if first in "{[":
        return Sniffed(BodyKind.JSON, codec)
    if first != "<":
        return Sniffed(BodyKind.HTML if html_type else BodyKind.TEXT, codec, excerpt(head))
    verdict = _scan_prolog(head, complete)
    if verdict is None and not complete:  # a long comment before the root: read further
        head = decode_head(body, codec, MAX_PROLOG_SCAN_BYTES).lstrip(_LEADING_SPACE)
        complete = size <= MAX_PROLOG_SCAN_BYTES
        verdict = _scan_prolog(head, complete)
    if verdict is None:
        return Sniffed(BodyKind.TOO_LONG_PROLOG, codec)
    kind, name = verdict
    return Sniffed(_classify(kind, name, html_type), codec, name)


def _scan_prolog(text: str, complete: bool) -> tuple[str, str] | None:
    """Find what follows the prolog: ("doctype"|"root"|"none"|"junk", name); None if cut short."""
    pos = _PROLOG_SKIP.match(text).end()  # type: ignore[union-attr]  # can match empty: never None
    rest = text[pos : pos + 9]
    if not rest:
        return ("none", "") if complete else None
    if rest.startswith(("<?", "<!--")):  # an unterminated PI or comment
        return ("none", "") if complete else None
    if rest.upper().startswith("<!DOCTYPE"):
        doctype = _DOCTYPE.match(text, pos)
        if doctype is None or (doctype.end() == len(text) and not complete):
            return ("doctype", "") if complete else None
        return "doctype", doctype.group(1)
    root = _ROOT.match(text, pos)
    if root is None:
        return "junk", ""
    if root.end() == len(text) and not complete:  # the name itself may be cut
        return None
    return "root", root.group(1)


def _classify(kind: str, name: str, html_type: bool) -> FeedFormat | BodyKind:
    """Map a prolog finding to a feed format or a BodyKind; an HTML page wins over any other reading."""
    if kind == "doctype":
        return BodyKind.HTML if name.lower() == "html" else BodyKind.DOCTYPE
    if kind == "none":
        return BodyKind.NO_ROOT
    if kind == "junk":
        return BodyKind.HTML if html_type else BodyKind.BAD_MARKUP
    feed_format = format_for_root(name)
    if feed_format is not None:
        return feed_format  # a real feed served as text/html is still a feed
    if name[name.rfind(":") + 1 :].lower() in _HTML_ROOTS or html_type:
        return BodyKind.HTML
    return BodyKind.UNKNOWN_XML
