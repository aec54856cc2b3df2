"""JSON Feed 1.0/1.1: detected by its version, beside jobicy's JSON; items as jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobfeed.models import FeedFormat
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.sources import detect_feed, parse_feed
from tests.support.sources import NOW, by_id, fixture

URL = "https://jobs.example.org/feed.json"


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', FeedFormat.JSON_FEED),
        (b'{"version":"http://jsonfeed.org/version/1","items":[]}', FeedFormat.JSON_FEED),
        (b'{"jobs": []}', FeedFormat.JOBICY_JSON),
        (b'{"version": "2", "jobs": []}', FeedFormat.JOBICY_JSON),
    ],
)
def test_detected_by_its_version(body: bytes, fmt: FeedFormat) -> None:
    assert detect_feed(body).format is fmt


def test_item_maps_every_field() -> None:
    parsed = parse_feed(fixture("json_feed", "feed.json"))
    assert parsed.format is FeedFormat.JSON_FEED and parsed.title == "Example Jobs"
    result = normalize_items(parsed, URL, now=NOW, raise_unexpected=True)
    assert not result.failures
    jobs = by_id(result.jobs)
    job = jobs["https://jobs.example.org/2026/data-engineer"]
    assert job.source == "jobs.example.org"
    assert job.title == "Data Engineer"
    assert job.company == "Example Org"
    assert job.category == "Engineering, Data"
    assert job.url == "https://jobs.example.org/2026/data-engineer"
    assert job.descriptionHtml == "<p>Pipelines, please.</p>"
    assert job.publishedAt == datetime(2026, 2, 1, 14, 0, tzinfo=UTC)
    assert job.location is None and job.remote is None
    plain = jobs["2"]
    assert plain.descriptionHtml == "Accueil &lt;du&gt; public"  # content_text, escaped
    assert plain.company == "Hôtel Exemple"  # JSON Feed 1.0's author
    assert plain.url == "https://hotel.example.ch/jobs/2"
    assert plain.publishedAt == datetime(2026, 2, 3, 10, 0, tzinfo=UTC)


def test_empty_feed_and_a_feed_without_items() -> None:
    assert parse_feed(fixture("json_feed", "empty.json")).items == []
    with pytest.raises(Exception, match="'items' list"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}')
