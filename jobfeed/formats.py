"""The formats jobfeed reads (`FeedFormat`) and where each job-board kind lists a board's jobs (`BOARD_ENDPOINTS`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import quote


class FeedFormat(StrEnum):
    """Which dialect a body was parsed as."""

    RSS = "rss"  # RSS 0.9x / 2.0, incl. WP Job Manager's job_listing:* elements
    RDF = "rdf"  # RSS 1.0
    ATOM = "atom"
    JOBICY_JSON = "jobicy_json"  # jobicy.com REST API v2: {"jobs": [...]} or a bare list
    INDEED_XML = "indeed_xml"  # Indeed-style XML: <source><job>...</job></source>
    JSON_FEED = "json_feed"  # JSON Feed 1.0/1.1 (jsonfeed.org)
    # Job-board APIs, chosen by a feeds.yaml `kind:` (never detected from a body): docs/sources.md
    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    ASHBY = "ashby"
    SMARTRECRUITERS = "smartrecruiters"
    WORKABLE = "workable"
    RECRUITEE = "recruitee"
    PERSONIO = "personio"


@dataclass(frozen=True, slots=True)
class BoardEndpoint:
    """Where a job-board kind lists a board's jobs: the feeds.yaml key naming the board, the URL template."""

    key: str  # "board", "company" or "account"
    template: str  # with {board}, URL-quoted when it is filled in

    def url_for(self, board: str) -> str:
        return self.template.format(board=quote(board, safe=""))


# One row per job-board kind (kept in the vocabulary, for FeedSpec, because the vocabulary may not import
# jobfeed/sources; each kind's module there holds how its answers are read).
BOARD_ENDPOINTS: Mapping[str, BoardEndpoint] = MappingProxyType(
    {
        FeedFormat.GREENHOUSE: BoardEndpoint(
            "board", "https://boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true"
        ),
        FeedFormat.LEVER: BoardEndpoint("company", "https://api.lever.co/v0/postings/{board}?mode=json"),
        FeedFormat.ASHBY: BoardEndpoint(
            "board", "https://api.ashbyhq.com/posting-api/job-board/{board}?includeCompensation=true"
        ),
        FeedFormat.SMARTRECRUITERS: BoardEndpoint(
            "company", "https://api.smartrecruiters.com/v1/companies/{board}/postings"
        ),
        # details=true: the widget API leaves descriptions out without it
        FeedFormat.WORKABLE: BoardEndpoint(
            "account", "https://apply.workable.com/api/v1/widget/accounts/{board}?details=true"
        ),
        FeedFormat.RECRUITEE: BoardEndpoint("company", "https://{board}.recruitee.com/api/offers/"),
        FeedFormat.PERSONIO: BoardEndpoint("company", "https://{board}.jobs.personio.de/xml"),
    }
)
BOARD_KEYS = ("board", "company", "account")
