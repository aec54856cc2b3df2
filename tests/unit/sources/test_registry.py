"""The source-kind registry: every FeedFormat has a module, and each module reads a real fixture."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from jobfeed.models import BOARD_ENDPOINTS, FeedFormat, ParsedFeed
from jobfeed.reasons import FeedError
from jobfeed.sources import detect_feed, parse_feed, registry
from jobfeed.sources.detect import sniff
from jobfeed.sources.fields import RawJob
from jobfeed.sources.registry import KINDS, kind_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FEEDS = FIXTURES / "feeds"
SOURCES = FIXTURES / "sources"  # one folder per format; a job-board kind's are parsed as that kind


def _feeds_by_format() -> dict[FeedFormat, list[tuple[str, ParsedFeed]]]:
    """Every fixture that parses, by the format it was detected as (hostile ones are refused: skipped)."""
    found: dict[FeedFormat, list[tuple[str, ParsedFeed]]] = {}
    paths = sorted(FEEDS.iterdir()) + sorted(SOURCES.glob("*/*"))
    for path in paths:
        if path.suffix not in {".xml", ".json"}:
            continue
        folder = path.parent.name
        expected = FeedFormat(folder) if folder in BOARD_ENDPOINTS else None
        try:
            parsed = parse_feed(path.read_bytes(), expected=expected)
        except FeedError:
            continue
        found.setdefault(parsed.format, []).append((path.name, parsed))
    return found


PARSED = _feeds_by_format()


@pytest.mark.parametrize("feed_format", list(FeedFormat))
def test_every_format_has_a_registered_kind(feed_format: FeedFormat) -> None:
    kind = kind_of(feed_format)
    assert kind.format is feed_format
    assert kind.json or kind.roots  # detect_feed can recognise it (or check a chosen kind's shape)
    assert kind.detected is (feed_format not in BOARD_ENDPOINTS)


def test_nothing_is_registered_without_a_format() -> None:
    assert set(KINDS) == set(FeedFormat)


@pytest.mark.parametrize("feed_format", list(FeedFormat))
def test_each_kind_parses_and_extracts_a_fixture(feed_format: FeedFormat) -> None:
    feeds = [(name, parsed) for name, parsed in PARSED.get(feed_format, []) if parsed.items]
    assert feeds, f"no fixture under tests/fixtures/{{feeds,sources}} parses as {feed_format} with items: add one"
    name, parsed = feeds[0]
    raw = kind_of(feed_format).extract(parsed.items[0], "example.com")
    assert isinstance(raw, RawJob)
    assert raw.identity and raw.title, f"{name}: its first item has no identity or title"


@pytest.mark.parametrize(
    ("feed_format", "root"),
    [(kind.format, root) for kind in KINDS.values() for root in kind.roots if kind.detected],
)
def test_each_declared_root_is_detected_as_its_format(feed_format: FeedFormat, root: str) -> None:
    body = f"<?xml version='1.0'?><{root}/>".encode()
    assert sniff(body).kind is feed_format
    assert detect_feed(body).format is feed_format


@pytest.mark.parametrize("board_format", [FeedFormat(kind) for kind in BOARD_ENDPOINTS])
def test_job_board_kinds_are_never_detected_from_a_body(board_format: FeedFormat) -> None:
    kind = kind_of(board_format)
    for root in kind.roots:
        assert sniff(f"<{root}/>".encode()).kind is not board_format
    assert detect_feed(b'{"jobs": [], "content": [], "offers": []}').format is not board_format


def test_json_is_read_by_the_json_kind() -> None:
    assert registry.JSON_KIND is not None
    assert detect_feed(b'{"jobs": []}').format is registry.JSON_KIND.format
    assert registry.format_for_json('{"version": "https://jsonfeed.org/version/1.1"}') is FeedFormat.JSON_FEED


def test_refused_root_message_lists_the_registered_roots() -> None:
    assert registry.root_names() == "rss, feed, rdf:RDF or source"
    with pytest.raises(FeedError, match="is not rss, feed, rdf:RDF or source"):
        detect_feed(b"<urlset/>")


def test_a_registry_that_cannot_tell_kinds_apart_is_refused_at_import() -> None:
    rss = kind_of(FeedFormat.RSS)
    other_root = dataclasses.replace(kind_of(FeedFormat.ATOM), roots=("x:rss",))  # same local name
    with pytest.raises(ValueError, match="root is claimed by two kinds"):
        registry._check((rss, other_root))
    with pytest.raises(ValueError, match="registered twice"):
        registry._check((rss, rss))
    second_json = dataclasses.replace(kind_of(FeedFormat.JOBICY_JSON), format=FeedFormat.RSS)
    with pytest.raises(ValueError, match="two JSON kinds"):
        registry._check((kind_of(FeedFormat.JOBICY_JSON), second_json))
    sniffing = kind_of(FeedFormat.JSON_FEED)
    registry._check((kind_of(FeedFormat.JOBICY_JSON), sniffing))  # one catch-all, one that sniffs: fine
    detected_board = dataclasses.replace(kind_of(FeedFormat.LEVER), detected=True)
    with pytest.raises(ValueError, match="chosen, never detected"):
        registry._check((detected_board,))
