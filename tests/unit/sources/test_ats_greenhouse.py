"""Greenhouse Job Board API: the documented example, escaped content, a post without a location, pay."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from jobfeed.models import FeedFormat, FeedSpec, Salary
from jobfeed.sources import greenhouse
from tests.support.sources import board_jobs, by_id, fixture, parse

SPEC = FeedSpec(kind="greenhouse", board="vaulttec")


def test_documented_example_maps_every_field() -> None:
    result = board_jobs(SPEC, "jobs.json")
    assert not result.failures
    (job,) = result.jobs
    assert job.source == "greenhouse:vaulttec"
    assert job.externalId == "127817"
    assert job.title == "Vault Designer"
    assert job.company is None  # the list names no company
    assert job.location == "NYC"
    assert job.department == "Department of Departments"
    assert job.jobType is None and job.category is None and job.remote is None
    assert job.url == "https://boards.greenhouse.io/vaulttec/jobs/127817"
    assert job.publishedAt == datetime(2016, 1, 14, 15, 55, 28, tzinfo=UTC)
    # unescaped once: the documentation's example is itself escaped twice
    assert job.descriptionHtml == (
        "This is the job description. &lt;p&gt;Any HTML included through the hosted job application editor will"
        " be automatically converted into corresponding HTML entities.&lt;/p&gt;"
    )
    assert job.salary is None and job.salaryText is None


def test_escaped_content_unicode_and_missing_location() -> None:
    jobs = by_id(board_jobs(SPEC, "edge_cases.json").jobs)
    first = jobs["4001"]
    assert first.descriptionHtml == "<p>Build &amp; ship <strong>Grüße</strong></p>"
    assert first.descriptionText == "Build & ship Grüße"
    assert first.title == "Ingénieure logiciel – Zürich 🚀"
    assert first.location == "Zürich, Schweiz"
    assert first.department == "Engineering, Platform"
    prospect = jobs["4002"]
    assert prospect.location == "Remote office"  # no location name: the offices'
    assert prospect.descriptionHtml is None and prospect.department is None


def test_empty_board() -> None:
    parsed = parse(FeedFormat.GREENHOUSE, "empty.json")
    assert parsed.items == []


def test_detail_url_and_pay_from_the_detail_answer() -> None:
    item = parse(FeedFormat.GREENHOUSE, "edge_cases.json").items[0]
    assert greenhouse.detail_url(item, "http://127.0.0.1:8080/v1/boards/example/jobs?content=true") == (
        "http://127.0.0.1:8080/v1/boards/example/jobs/4001?pay_transparency=true"
    )
    merged = greenhouse.SOURCE.with_detail(item, json.loads(fixture("greenhouse", "job_detail.json")))
    raw = greenhouse.extract(merged, "greenhouse:example")
    assert raw.salary == Salary(50000.0, 75000.0, "USD", None)
    assert greenhouse.detail_url({"id": None}, "https://x.example/jobs") is None
