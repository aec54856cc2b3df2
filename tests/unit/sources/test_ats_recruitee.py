"""Recruitee Careers Site API: offer fields, a remote offer without a location."""

from __future__ import annotations

from datetime import UTC, datetime

from jobfeed.models import FeedFormat, FeedSpec
from tests.support.sources import board_jobs, by_id, parse

SPEC = FeedSpec(kind="recruitee", company="acme")


def test_offer_maps_every_field() -> None:
    result = board_jobs(SPEC, "offers.json")
    assert not result.failures
    job = by_id(result.jobs)["991"]
    assert job.source == "recruitee:acme"
    assert job.title == "Operations Manager"
    assert job.company == "Acme B.V."
    assert job.location == "Amsterdam, Netherlands"
    assert job.remote is False
    assert job.department == "Operations"
    assert job.jobType == "fulltime_permanent"
    assert job.url == "https://acme.recruitee.com/o/operations-manager"
    assert job.descriptionHtml == "<p>Run operations.</p><ul><li>Dutch and English</li></ul>"
    assert job.publishedAt == datetime(2026, 1, 12, 9, 15, tzinfo=UTC)


def test_remote_offer_without_location() -> None:
    job = by_id(board_jobs(SPEC, "offers.json").jobs)["992"]
    assert job.location is None and job.department is None
    assert job.remote is True
    assert job.title == "Développeur·se Elixir"


def test_empty_board() -> None:
    assert parse(FeedFormat.RECRUITEE, "empty.json").items == []
