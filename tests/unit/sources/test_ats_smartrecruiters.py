"""SmartRecruiters Posting API: list fields, the detail answer, and paging by offset/limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from jobfeed.models import FeedFormat, FeedSpec
from jobfeed.sources import smartrecruiters
from tests.support.sources import board_jobs, by_id, fixture, parse

SPEC = FeedSpec(kind="smartrecruiters", company="smartrecruiters")


def test_documented_posting_maps_every_list_field() -> None:
    result = board_jobs(SPEC, "postings_page1.json")
    assert not result.failures
    job = by_id(result.jobs)["75551135"]
    assert job.source == "smartrecruiters:smartrecruiters"
    assert job.title == "Director, Customer Engagement"
    assert job.company == "SmartRecruiters Inc"
    assert job.location == "San Francisco, CA, us"
    assert job.remote is True
    assert job.department == "Marketing"
    assert job.jobType == "Full-time"
    assert job.category == "Marketing"
    assert job.publishedAt == datetime(2014, 2, 19, 19, 36, 42, 346000, tzinfo=UTC)
    assert job.url is None and job.descriptionHtml is None  # only in the detail answer


def test_posting_without_location() -> None:
    job = by_id(board_jobs(SPEC, "postings_page1.json").jobs)["75551136"]
    assert job.location is None and job.remote is None and job.department is None
    assert job.category == "Internet"  # no function: the industry
    assert job.title == "Kundenberater (m/w/d) – München"


def test_detail_answer_completes_a_posting() -> None:
    item = parse(FeedFormat.SMARTRECRUITERS, "postings_page1.json").items[0]
    list_url = smartrecruiters.first_request(SPEC.url)
    assert smartrecruiters.detail_url(item, list_url) == (
        "https://api.smartrecruiters.com/v1/companies/smartrecruiters/postings/75551135"
    )
    merged = smartrecruiters.SOURCE.with_detail(item, json.loads(fixture("smartrecruiters", "posting_detail.json")))
    raw = smartrecruiters.extract(merged, SPEC.source)
    assert raw.url == "https://jobs.smartrecruiters.com/smartrecruiters/75551135-director-customer-engagement"
    assert raw.description_html == (
        "<h3>Company Description</h3><p>We hire.</p><h3>Job Description</h3><p>Lead engagement.</p>"
        "<h3>Qualifications</h3><ul><li>10 years</li></ul>"
    )


def test_paging() -> None:
    first = smartrecruiters.first_request(SPEC.url)
    assert first == "https://api.smartrecruiters.com/v1/companies/smartrecruiters/postings?offset=0&limit=100"
    page1 = json.loads(fixture("smartrecruiters", "postings_page1.json"))  # 2 of 3, limit 2
    assert smartrecruiters.next_request(first, page1) == (
        "https://api.smartrecruiters.com/v1/companies/smartrecruiters/postings?offset=2&limit=2"
    )
    page2 = json.loads(fixture("smartrecruiters", "postings_page2.json"))  # the short last page
    assert smartrecruiters.next_request(first, page2) is None
    assert smartrecruiters.next_request(first, json.loads(fixture("smartrecruiters", "empty.json"))) is None
    assert [job.location for job in board_jobs(SPEC, "postings_page2.json").jobs] == ["Kraków, pl"]
