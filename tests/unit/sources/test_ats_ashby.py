"""Ashby posting API: every field of the documented example, compensation, a job without a location."""

from __future__ import annotations

from datetime import UTC, datetime

from jobfeed.models import FeedFormat, FeedSpec, Salary
from tests.support.sources import board_jobs, by_id, parse

SPEC = FeedSpec(kind="ashby", board="example")


def test_documented_example_maps_every_field() -> None:
    result = board_jobs(SPEC, "job_board.json")
    assert not result.failures
    job = by_id(result.jobs)["7458d4e9-da2e-47bd-98cb-adfda43d42b2"]
    assert job.source == "ashby:example"
    assert job.title == "Product Manager"
    assert job.location == "Houston, TX; San Francisco"
    assert job.remote is True
    assert job.department == "Product"
    assert job.category == "Growth"
    assert job.jobType == "FullTime"
    assert job.url == "https://jobs.ashbyhq.com/example_job"
    assert job.descriptionHtml == "<p>Join our team</p>"
    assert job.publishedAt == datetime(2021, 4, 30, 16, 21, 55, 393000, tzinfo=UTC)
    assert job.salary == Salary(81000.0, 87000.0, "USD", "year")  # the Salary component, not equity
    assert job.salaryText == "$81K - $87K"


def test_job_without_location_or_compensation() -> None:
    job = by_id(board_jobs(SPEC, "job_board.json").jobs)["0b6a2c1e-0000-4000-8000-00000000abcd"]
    assert job.location is None and job.category is None
    assert job.remote is False
    assert job.salary is None and job.salaryText is None
    assert job.title == "Büroleiter:in – Zürich"


def test_empty_board() -> None:
    assert parse(FeedFormat.ASHBY, "empty.json").items == []
