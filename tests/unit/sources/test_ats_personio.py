"""Personio XML feed: position fields, offices, descriptions, and its root never being detected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobfeed.models import FeedFormat, FeedSpec
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources import detect_feed
from tests.support.sources import board_jobs, by_id, fixture, parse

SPEC = FeedSpec(kind="personio", company="acme")


def test_position_maps_every_field() -> None:
    result = board_jobs(SPEC, "positions.xml")
    assert not result.failures
    job = by_id(result.jobs)["1234567"]
    assert job.source == "personio:acme"
    assert job.title == "Senior Backend Engineer (m/w/d)"
    assert job.company == "Acme GmbH"
    assert job.location == "München; Berlin; Hamburg"
    assert job.department == "Engineering"
    assert job.jobType == "permanent, full-time"
    assert job.category == "Software Development"
    assert job.url == "https://acme.jobs.personio.de/job/1234567"
    assert job.descriptionHtml == (
        "<h3>Deine Aufgaben</h3><ul><li>APIs bauen</li></ul><h3>Dein Profil</h3><p>Erfahrung mit Python &amp; Go</p>"
    )
    assert job.publishedAt == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert job.remote is None


def test_position_without_office() -> None:
    job = by_id(board_jobs(SPEC, "positions.xml").jobs)["1234568"]
    assert job.location is None and job.department is None
    assert job.descriptionHtml == "<h3>Über uns</h3><p>Wir sind Acme.</p>"


def test_empty_feed_and_never_detected() -> None:
    assert parse(FeedFormat.PERSONIO, "empty.xml").items == []
    with pytest.raises(FeedError) as info:
        detect_feed(fixture("personio", "positions.xml"))
    assert info.value.reason is FailureReason.UNSUPPORTED_FORMAT


def test_chosen_kind_still_refuses_other_bodies() -> None:
    with pytest.raises(FeedError, match="not personio's XML"):
        detect_feed(b"<rss/>", expected=FeedFormat.PERSONIO)
    with pytest.raises(FeedError) as info:
        detect_feed(b"<html><title>Just a moment</title></html>", "text/html", expected=FeedFormat.PERSONIO)
    assert info.value.reason is FailureReason.BLOCKED_HTML
    with pytest.raises(FeedError, match="body is JSON"):
        detect_feed(b"{}", expected=FeedFormat.PERSONIO)
    with pytest.raises(FeedError, match="not greenhouse's JSON"):
        detect_feed(b"<rss/>", expected=FeedFormat.GREENHOUSE)
