"""Parse + normalize never raise on any body: a FeedError with a FailureReason, or every item accounted for.

Bodies are arbitrary bytes, bytes that start like a feed, and real feeds damaged the ways real
feeds are (cut off, bytes flipped, closing tags lost, encoding mislabelled): see tests/support/strategies.py.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st

from jobfeed.models import ItemFailure, Job, NormalizedFeed, ParsedFeed
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources import detect_feed, parse_feed, stream_items
from tests.support.strategies import REAL_FEEDS, any_body, content_types, feedlike_bytes, mutated_feeds

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FEED_URL = "https://board.example/feed"
ITEM_REASONS = {FailureReason.ITEM_INVALID, FailureReason.DUPLICATE_IN_FEED}
# What parsing a body (not fetching it) may answer with.
PARSE_REASONS = {
    FailureReason.XML_MALFORMED,
    FailureReason.XML_FORBIDDEN,
    FailureReason.BLOCKED_HTML,
    FailureReason.UNSUPPORTED_FORMAT,
}


def parse_or_error(body: bytes, content_type: str | None) -> ParsedFeed | FeedError:
    """parse_feed's answer; any exception but a FeedError fails the property."""
    try:
        return parse_feed(body, content_type)
    except FeedError as error:
        return error


def check_error(error: FeedError) -> None:
    assert isinstance(error.reason, FailureReason)
    assert error.reason in PARSE_REASONS, error
    assert isinstance(error.message, str) and error.message
    assert len(error.message) < 400  # a message, never the body


def check_normalized(parsed: ParsedFeed, result: NormalizedFeed) -> None:
    """Every item is exactly one Job or one ItemFailure, each well formed."""
    assert result.total == len(parsed.items)
    for job in result.jobs:
        assert isinstance(job, Job)
        assert job.source == "board.example"
        assert job.externalId and job.externalId == job.externalId.strip()
        assert job.title and job.title.strip() == job.title
        assert len(job.contentHash) == 64 and int(job.contentHash, 16) >= 0
        assert job.publishedAt is None or (job.publishedAt.tzinfo is not None and job.publishedAt <= NOW)
    assert len({job.externalId for job in result.jobs}) == len(result.jobs)  # duplicates became failures
    for failure in result.failures:
        assert isinstance(failure, ItemFailure)
        assert failure.reason in ITEM_REASONS
        assert failure.message


def note_outcome(outcome: str) -> None:
    """Count outcomes (`--hypothesis-show-statistics`): shows whether the strategies reach deep parses."""
    if currently_in_test_context():
        event(outcome)


def check_body(body: bytes, content_type: str | None) -> ParsedFeed | FeedError:
    """The whole property for one body: parse, then normalize as production does."""
    parsed = parse_or_error(body, content_type)
    if isinstance(parsed, FeedError):
        check_error(parsed)
        note_outcome(f"refused: {parsed.reason.value}")
        return parsed
    note_outcome(f"parsed {parsed.format.value}, {'some' if parsed.items else 'no'} items")
    assert all(isinstance(item, dict) for item in parsed.items)
    assert parsed.title is None or isinstance(parsed.title, str)
    check_normalized(parsed, normalize_items(parsed, FEED_URL, now=NOW))
    return parsed


@given(body=st.binary(max_size=2000), content_type=content_types)
def test_arbitrary_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    check_body(body, content_type)


@given(body=feedlike_bytes(), content_type=content_types)
def test_feedlike_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    check_body(body, content_type)


@given(body=mutated_feeds(), content_type=content_types)
def test_mutated_real_feeds_never_raise(body: bytes, content_type: str | None) -> None:
    check_body(body, content_type)


@given(body=st.one_of(feedlike_bytes(), mutated_feeds()))
def test_normalize_raises_no_unexpected_error(body: bytes) -> None:
    """Production turns an unexpected exception into ITEM_INVALID; tests see it as the bug it is."""
    parsed = parse_or_error(body, None)
    if isinstance(parsed, ParsedFeed):
        result = normalize_items(parsed, FEED_URL, now=NOW, raise_unexpected=True)
        check_normalized(parsed, result)


@pytest.mark.parametrize("index", range(len(REAL_FEEDS)))
def test_every_undamaged_real_feed_passes_the_property(index: int) -> None:
    # The mutations start from these bodies: each must itself hold, as a parse or a classified refusal.
    check_body(REAL_FEEDS[index], None)


# --- The streaming path: a spooled file reads exactly as the body in memory --------------------


@pytest.fixture(scope="module")
def spool_file() -> Iterator[Path]:
    """One scratch file reused by every example (a function-scoped tmp_path would be shared anyway)."""
    handle, name = tempfile.mkstemp(prefix="jobfeed-prop-", suffix=".body")
    os.close(handle)
    yield Path(name)
    os.unlink(name)


def stream_or_error(path: Path, content_type: str | None) -> tuple[str | None, list[dict[str, Any]]] | FeedError:
    items: list[dict[str, Any]] = []
    try:
        detected = detect_feed(path, content_type)
        title = stream_items(path, detected, items.append, on_restart=items.clear)
    except FeedError as error:
        return error
    return title, items


@given(body=any_body, content_type=content_types)
def test_streaming_a_file_matches_parsing_the_body(spool_file: Path, body: bytes, content_type: str | None) -> None:
    spool_file.write_bytes(body)
    streamed = stream_or_error(spool_file, content_type)
    parsed = check_body(body, content_type)
    if isinstance(parsed, FeedError):
        assert isinstance(streamed, FeedError), "the file streamed, the body failed"
        assert streamed.reason is parsed.reason
    else:
        assert not isinstance(streamed, FeedError), f"the body parsed, the file failed: {streamed}"
        assert streamed == (parsed.title, parsed.items)


# --- Regressions the properties found ------------------------------------------------------------


# HTTP charset=utf-16/utf-32 on a BOM-less body once let a UnicodeError escape parse_feed (found by hypothesis):
# the byte order now comes from the zero bytes, and ASCII-looking bytes mean the header lied.
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\x00", "text/plain; charset=utf-16"),  # as Hypothesis shrank it
        (b'<rss version="2.0"><channel></channel></rss>', "application/rss+xml; charset=utf-16"),
        ('<rss version="2.0"><channel></channel></rss>'.encode("utf-16-le"), "text/xml; charset=utf-16"),
        (b'<rss version="2.0"><channel></channel></rss>', "text/xml; charset=utf-32"),
    ],
    ids=["shrunk", "ascii-utf16", "utf16le-utf16", "ascii-utf32"],
)
def test_http_charset_utf16_without_bom_is_a_classified_error(body: bytes, content_type: str) -> None:
    check_body(body, content_type)
    if body.startswith((b"<rss", b"<\x00r")):  # a real (empty) feed, whatever the header said
        assert parse_feed(body, content_type).items == []
