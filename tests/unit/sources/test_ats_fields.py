"""The fields job-board kinds add to a Job: absent from older jobs' hash and documents, present when set."""

from __future__ import annotations

from dataclasses import asdict, replace

from jobfeed.models import FeedFormat, Job, ParsedFeed, Salary
from jobfeed.pipeline.normalize import content_hash, normalize_items
from tests.support.sources import NOW

ITEM = {"guid": "g1", "title": "Engineer", "link": "https://board.example/jobs/1", "description": "<p>x</p>"}


def _rss_job() -> Job:
    result = normalize_items(ParsedFeed(FeedFormat.RSS, [ITEM]), "https://board.example/feed", now=NOW)
    return result.jobs[0]


def test_unset_new_fields_leave_the_hash_as_it_was() -> None:
    job = _rss_job()
    assert (job.remote, job.department, job.salary, job.salaryText) == (None, None, None, None)
    before = content_hash(
        title=job.title, company=job.company, location=job.location, jobType=job.jobType, category=job.category,
        url=job.url, descriptionHtml=job.descriptionHtml, publishedAt=job.publishedAt,
    )  # fmt: skip
    assert job.contentHash == before


def test_each_new_field_changes_the_hash_when_set() -> None:
    job = _rss_job()
    base = {name: getattr(job, name) for name in ("title", "company", "location", "jobType", "category", "url")}
    base |= {"descriptionHtml": job.descriptionHtml, "publishedAt": job.publishedAt}
    hashes = {
        content_hash(**base),
        content_hash(**base, remote=True),
        content_hash(**base, remote=False),
        content_hash(**base, department="Engineering"),
        content_hash(**base, salary=Salary(1.0, 2.0, "EUR", "year")),
        content_hash(**base, salary=Salary(1.0, 3.0, "EUR", "year")),
        content_hash(**base, salaryText="€1-2"),
    }
    assert len(hashes) == 7


def test_from_doc_reads_old_and_new_documents() -> None:
    job = _rss_job()
    old_doc = {
        name: value
        for name, value in asdict(job).items()
        if name not in {"remote", "department", "salary", "salaryText"}
    }
    assert Job.from_doc(old_doc) == job
    board_job = replace(job, remote=True, department="Ops", salary=Salary(10.0, None, "USD", "hour"), salaryText="$10+")
    doc = asdict(board_job)
    assert doc["salary"] == {"min": 10.0, "max": None, "currency": "USD", "period": "hour"}
    assert Job.from_doc(doc) == board_job


def test_source_is_the_kind_and_board_when_given() -> None:
    parsed = ParsedFeed(FeedFormat.RSS, [ITEM])
    job = normalize_items(parsed, "http://127.0.0.1:9/feed", source="greenhouse:acme", now=NOW).jobs[0]
    assert job.source == "greenhouse:acme"
