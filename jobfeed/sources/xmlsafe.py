"""Hardened XML intake: the streaming driver of the DTD-refusing expat over a body in memory or spooled.

It re-exports the intake's other parts, so callers find them here: encoding detection and control-character
cleanup (sources/xmlencoding.py) and the hardened parser itself (sources/safeexpat.py). Every XML feed goes through `stream_elements`, which feeds the body in chunks to an expat parser
that refuses any DOCTYPE before it reads a single declaration from it, and builds each item the way
xmltodict's streaming mode (`item_depth` + `item_callback`) would (sources/itembuilder.py, checked
against xmltodict itself in tests/unit/sources/test_itembuilder.py), with ~60 % of its CPU and flat
memory (bench/README.md, "XML item builder vs xmltodict streaming"). No entity is ever
expanded, nothing is read from the network, and memory stays at one item whatever the body's size.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.parsers import expat

import xmltodict

from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources.itembuilder import ItemBuilder
from jobfeed.sources.namespaces import prefix_postprocessor
from jobfeed.sources.safeexpat import ForbiddenMarkupError, SafeExpat  # re-exported: one place for XML intake
from jobfeed.sources.xmlencoding import (
    UnknownEncodingError,
    decode_head,
    detect_encoding,
    strip_control_bytes,
    strip_control_chars,
)

__all__ = [
    "READ_CHUNK_BYTES",
    "XML_BUILDER_ENV",
    "Element",
    "ForbiddenMarkupError",
    "OnElement",
    "SafeExpat",
    "Source",
    "UnknownEncodingError",
    "collect_elements",
    "decode_head",
    "detect_encoding",
    "prepared_chunks",
    "stream_elements",
    "strip_control_bytes",
    "strip_control_chars",
]

# Expat decodes these itself, so their bytes go to the parser untouched (the fast path).
# US-ASCII is read as UTF-8, its superset: a stray non-ASCII byte should not fail a whole feed.
_EXPAT_NATIVE = {"utf-8": "utf-8", "ascii": "utf-8", "iso8859-1": "iso-8859-1"}
# Bytes 0x80-0x9F are C1 controls in ISO-8859-1 but punctuation (smart quotes, dashes) in
# windows-1252; feeds labelled ISO-8859-1 that contain them were written in windows-1252.
_C1_BYTES = re.compile(rb"[\x80-\x9f]")

# --- Driving the parser ------------------------------------------------------------------------

_ERR_INVALID_TOKEN = expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]
_ERR_UNBOUND_PREFIX = expat.errors.codes[expat.errors.XML_ERROR_UNBOUND_PREFIX]
READ_CHUNK_BYTES = 1024 * 1024  # bytes handed to expat per call: few Python calls, memory stays flat

Element = tuple[str, Any]  # (local name, value as xmltodict would build it)
Source = bytes | Path  # a body in memory, or spooled to a file
OnElement = Callable[[str, Any], None]
# A benchmark switch, not a setting (bench/README.md, `--only xml`): "xmltodict" builds the items
# with xmltodict's own streaming mode (item_depth + item_callback) on the same hardened parser and
# chunks, so the benchmark can compare it with ItemBuilder. Anything else (or unset): ItemBuilder.
XML_BUILDER_ENV = "JOBFEED_XML_BUILDER"


def _raw_chunks(source: Source) -> Iterator[bytes]:
    """The body in READ_CHUNK_BYTES pieces, from memory or from its spool file."""
    if isinstance(source, bytes):
        for start in range(0, len(source), READ_CHUNK_BYTES):
            yield source[start : start + READ_CHUNK_BYTES]
        return
    with open(source, "rb") as body:
        while chunk := body.read(READ_CHUNK_BYTES):
            yield chunk


def _has_c1_bytes(source: Source) -> bool:
    return any(_C1_BYTES.search(chunk) for chunk in _raw_chunks(source))


def _native_chunks(source: Source) -> Iterator[bytes]:
    """Bytes for expat as they are, minus illegal control bytes and whitespace before the prolog."""
    leading = True
    for raw in _raw_chunks(source):
        chunk = raw
        if leading:  # a newline before <?xml (a classic WordPress bug) is fatal to expat
            chunk = raw.lstrip()
            if not chunk:
                continue
            leading = False
        yield strip_control_bytes(chunk)


def _decoded_chunks(source: Source, codec: str) -> Iterator[str]:
    """Text for expat (fed as UTF-8): decoded incrementally, bad bytes replaced, controls removed."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    leading = True
    for chunk in _raw_chunks(source):
        text = decoder.decode(chunk)
        if leading:
            text = text.lstrip("\ufeff \t\r\n")
            if not text:
                continue
            leading = False
        yield strip_control_chars(text)
    yield strip_control_chars(decoder.decode(b"", final=True))


def prepared_chunks(source: Source, codec: str) -> tuple[Iterator[bytes] | Iterator[str], str]:
    """A body as (chunks, encoding) for expat: native encodings stay bytes, others become text.

    The encoding returned overrides the document's own declaration inside expat, which is how a
    windows-1252 document decoded here is re-fed as UTF-8 although its prolog still says 1252.
    """
    if codec == "iso8859-1" and _has_c1_bytes(source):
        codec = "cp1252"
    native = _EXPAT_NATIVE.get(codec)
    if native is not None:
        return _native_chunks(source), native
    return _decoded_chunks(source, codec), "utf-8"


def _run(
    chunks: Iterator[bytes] | Iterator[str],
    encoding: str,
    depth: int,
    wanted: frozenset[str],
    namespaces: Mapping[str, str] | None,
    on_element: OnElement,
) -> None:
    """One streaming pass of the hardened expat over the chunks; wanted elements go to on_element."""
    if os.environ.get(XML_BUILDER_ENV) == "xmltodict":  # read per feed: the benchmark sets it per run
        _run_xmltodict(chunks, encoding, depth, wanted, namespaces, on_element)
        return
    parser = SafeExpat.ParserCreate(encoding, ":" if namespaces is not None else None)
    ItemBuilder(depth=depth, wanted=wanted, namespaces=namespaces, on_element=on_element).attach(parser)
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _run_xmltodict(
    chunks: Iterator[bytes] | Iterator[str],
    encoding: str,
    depth: int,
    wanted: frozenset[str],
    namespaces: Mapping[str, str] | None,
    on_element: OnElement,
) -> None:
    """_run with xmltodict's own streaming mode instead of ItemBuilder: same parser, chunks and values."""

    def on_item(path: list[tuple[str, Any]], value: Any) -> bool:
        name = path[-1][0]
        name = name[name.rfind(":") + 1 :]
        if name in wanted:
            on_element(name, value)
        return True  # keep parsing

    xmltodict.parse(
        (chunk for chunk in chunks),  # xmltodict streams a generator only (inspect.isgenerator)
        encoding=encoding,
        expat=SafeExpat,
        process_namespaces=namespaces is not None,
        namespaces=namespaces,
        postprocessor=None if namespaces is not None else prefix_postprocessor,
        # xmltodict's entity refusal replaces SafeExpat's, but SafeExpat's DOCTYPE refusal fires
        # first: an entity can only be declared inside a DOCTYPE.
        disable_entities=True,
        item_depth=depth,
        item_callback=on_item,
    )


def _is_valid_utf8(source: Source) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _raw_chunks(source):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def stream_elements(
    source: Source,
    codec: str,
    *,
    depth: int,
    wanted: frozenset[str],
    namespaces: Mapping[str, str],
    on_element: OnElement,
    on_restart: Callable[[], None] = lambda: None,
) -> None:
    """Parse an XML feed safely, calling on_element(local name, value) for wanted elements at `depth`.

    Memory stays flat: the body is read in chunks and each element is handed over, then forgotten.
    Raises FeedError(XML_FORBIDDEN) for a DOCTYPE or entity declaration and FeedError(XML_MALFORMED)
    with line and column for a document that is not well-formed (nothing is salvaged from it: a
    truncated feed may end in a truncated item, so the caller must drop what it got). Two real-world
    defects are repaired by parsing once more from the top (on_restart is called first, so the
    caller can drop the elements of the failed pass): bytes that are not valid UTF-8 in a UTF-8 feed
    (replaced by U+FFFD) and namespace prefixes used without a declaration (parsed without namespace
    processing). A clean feed is read once.
    """
    ns: Mapping[str, str] | None = namespaces
    replace_bad_utf8 = False  # once set, a UTF-8 body is decoded here with bad bytes as U+FFFD
    chunks: Iterator[bytes] | Iterator[str]
    for attempt in range(3):
        if replace_bad_utf8:
            chunks, encoding = _decoded_chunks(source, "utf-8"), "utf-8"
        else:
            chunks, encoding = prepared_chunks(source, codec)
        try:
            _run(chunks, encoding, depth, wanted, ns, on_element)
            return
        except ForbiddenMarkupError as exc:
            raise FeedError(
                FailureReason.XML_FORBIDDEN,
                f"refused {exc} (DTDs and entities are never processed)",
            ) from None
        except expat.ExpatError as exc:
            if attempt < 2 and exc.code == _ERR_UNBOUND_PREFIX and ns is not None:
                ns = None
            elif (
                attempt < 2
                and exc.code == _ERR_INVALID_TOKEN
                and not replace_bad_utf8
                and _EXPAT_NATIVE.get(codec) == "utf-8"
                and not _is_valid_utf8(source)
            ):
                replace_bad_utf8 = True
            else:
                raise FeedError(FailureReason.XML_MALFORMED, _describe(exc)) from None
            on_restart()
    raise AssertionError("unreachable: every attempt returns or raises")  # pragma: no cover


def collect_elements(source: Source, codec: str, **options: Any) -> list[Element]:
    """stream_elements into a list (small bodies, tests)."""
    found: list[Element] = []
    stream_elements(
        source, codec, on_element=lambda name, value: found.append((name, value)), on_restart=found.clear, **options
    )
    return found


def _describe(exc: expat.ExpatError) -> str:
    """A short message for an expat error: what, and where (line, 1-based column)."""
    what = expat.errors.messages.get(exc.code, "parse error")
    return f"XML is not well-formed: {what} at line {exc.lineno}, column {exc.offset + 1}"
