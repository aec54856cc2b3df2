"""Workable widget API: the account's name as company, all locations, the remote flag."""

from __future__ import annotations

from datetime import UTC, datetime

from jobfeed.models import FeedFormat, FeedSpec
from tests.support.sources import board_jobs, by_id, parse

SPEC = FeedSpec(kind="workable", account="acme")


def test_job_maps_every_field() -> None:
    result = board_jobs(SPEC, "account.json")
    assert not result.failures
    job = by_id(result.jobs)["A1B2C3D4E5"]
    assert job.source == "workable:acme"
    assert job.title == "Firmware Engineer"
    assert job.company == "Acme Robotics"
    assert job.location == "Athens, Attica, Greece; München, Bayern, Germany"
    assert job.remote is True
    assert job.department == "Engineering"
    assert job.jobType == "Full-time"
    assert job.category == "Engineering"
    assert job.url == "https://apply.workable.com/j/A1B2C3D4E5"
    assert job.descriptionHtml == "<p>Write firmware.</p>"
    assert job.publishedAt == datetime(2026, 2, 1, tzinfo=UTC)


def test_job_without_location() -> None:
    job = by_id(board_jobs(SPEC, "account.json").jobs)["F6G7H8I9J0"]
    assert job.location is None and job.department is None
    assert job.remote is False


def test_empty_account() -> None:
    parsed = parse(FeedFormat.WORKABLE, "empty.json")
    assert parsed.items == [] and parsed.title == "Acme Robotics"
