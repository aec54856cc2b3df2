"""Lever Postings API: fields, the remote flag, salary, and paging by skip/limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from jobfeed.models import FeedFormat, FeedSpec, Salary
from jobfeed.sources import lever
from tests.support.sources import board_jobs, by_id, fixture, parse

SPEC = FeedSpec(kind="lever", company="leverdemo")


def test_posting_maps_every_field() -> None:
    result = board_jobs(SPEC, "postings_page1.json")
    assert not result.failures
    job = by_id(result.jobs)["5ac21346-8e0c-4494-8e7a-3eb92ff77902"]
    assert job.source == "lever:leverdemo"
    assert job.title == "Senior Backend Engineer"
    assert job.location == "San Francisco"
    assert job.jobType == "Full-time"
    assert job.category == "Platform"
    assert job.department == "Engineering"
    assert job.remote is True
    assert job.url == "https://jobs.lever.co/leverdemo/5ac21346-8e0c-4494-8e7a-3eb92ff77902"
    assert job.descriptionHtml == (
        "<div>Join us.</div><div>Build the postings API.</div>"
        "<h3>Requirements</h3><ul><li>Go or Python</li><li>SQL</li></ul><div>We offer equity.</div>"
    )
    assert job.publishedAt == datetime(2026, 1, 1, tzinfo=UTC)
    assert job.salary == Salary(150000.0, 190000.0, "USD", "year")
    assert job.salaryText == "Base pay, plus equity."


def test_posting_without_location_or_department() -> None:
    job = by_id(board_jobs(SPEC, "postings_page1.json").jobs)["b1e3f2a0-0000-4000-8000-000000000002"]
    assert job.location is None
    assert job.department == "Design"  # the team, when no department
    assert job.remote is None  # "unspecified"
    assert job.title == "Produktdesignerin (m/w/d)"
    assert job.publishedAt is None and job.salary is None


def test_second_page_and_empty_board() -> None:
    assert [job.remote for job in board_jobs(SPEC, "postings_page2.json").jobs] == [False]
    assert parse(FeedFormat.LEVER, "empty.json").items == []


def test_paging() -> None:
    url = lever.first_request(SPEC.url)
    assert url == "https://api.lever.co/v0/postings/leverdemo?mode=json&skip=0&limit=100"
    small = "https://api.lever.co/v0/postings/leverdemo?mode=json&skip=0&limit=2"
    full_page = json.loads(fixture("lever", "postings_page1.json"))
    assert lever.next_request(small, full_page) == "https://api.lever.co/v0/postings/leverdemo?mode=json&skip=2&limit=2"
    short_page = json.loads(fixture("lever", "postings_page2.json"))
    assert lever.next_request("https://h.example/p?mode=json&skip=2&limit=2", short_page) is None
    assert lever.next_request(small, []) is None
    assert lever.next_request(SPEC.url, full_page) is None  # no limit: Lever answered everything
