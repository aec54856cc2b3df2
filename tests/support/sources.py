"""Reading a fixture of tests/fixtures/sources/<kind>/ the way an import does: parse, then normalize."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jobfeed.models import FeedFormat, FeedSpec, Job, NormalizedFeed, ParsedFeed
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.sources import parse_feed

SOURCES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def fixture(kind: str, name: str) -> bytes:
    return (SOURCES / kind / name).read_bytes()


def parse(kind: FeedFormat, name: str) -> ParsedFeed:
    """A fixture parsed as its kind (a job-board kind is chosen, never detected)."""
    return parse_feed(fixture(kind.value, name), expected=kind if kind.value in _CHOSEN else None)


def board_jobs(spec: FeedSpec, name: str) -> NormalizedFeed:
    """A fixture's jobs as a feeds.yaml entry imports them (source `<kind>:<board>`)."""
    kind = FeedFormat(spec.kind or "")
    parsed = parse(kind, name)
    return normalize_items(parsed, spec.public_url, source=spec.source, now=NOW, raise_unexpected=True)


def by_id(jobs: list[Job]) -> dict[str, Job]:
    return {job.externalId: job for job in jobs}


_CHOSEN = {"greenhouse", "lever", "ashby", "smartrecruiters", "workable", "recruitee", "personio"}
