"""Indeed-style XML: detected by its root, referencenumber as identity, places joined, salary as text."""

from __future__ import annotations

from datetime import UTC, datetime

from jobfeed.models import FeedFormat
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.sources import detect_feed, parse_feed
from tests.support.sources import NOW, by_id, fixture

URL = "https://example.com/jobs/indeed.xml"


def test_detected_from_the_body() -> None:
    assert detect_feed(fixture("indeed_xml", "source.xml")).format is FeedFormat.INDEED_XML
    parsed = parse_feed(fixture("indeed_xml", "source.xml"))
    assert parsed.title == "ATS Name" and len(parsed.items) == 2


def test_job_maps_every_field() -> None:
    result = normalize_items(parse_feed(fixture("indeed_xml", "source.xml")), URL, now=NOW, raise_unexpected=True)
    assert not result.failures
    jobs = by_id(result.jobs)
    job = jobs["unique123131"]
    assert job.source == "example.com"  # a URL feed: its host, as for RSS
    assert job.title == "Sales Executive"
    assert job.company == "Big ABC Corporation"
    assert job.location == "Austin, TX, US, 78731"
    assert job.jobType == "fulltime"
    assert job.category == "Sales"
    assert job.url == "http://www.examplesite.com/viewjob.cfm?jobid=unique123131"
    assert job.descriptionHtml == "<p>Sell the best widgets.</p>"
    assert job.publishedAt == datetime(2014, 12, 19, 22, 49, 39, tzinfo=UTC)
    assert job.salaryText == "$50K per year" and job.salary is None
    assert job.remote is True
    second = jobs["unique123132"]
    assert second.location is None and second.remote is False  # "Hybrid remote"
    assert second.title == "Köchin / Koch – Frühschicht"
    assert second.publishedAt == datetime(2014, 12, 19, 22, 49, 39, tzinfo=UTC)


def test_empty_feed() -> None:
    assert parse_feed(fixture("indeed_xml", "empty.xml")).items == []
