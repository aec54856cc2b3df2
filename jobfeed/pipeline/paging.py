"""What to request for a feed: its one body, a board's list pages, and a posting's detail when it needs one.

The source module says what to request next (`first_request`, `next_request`, `detail_url`: pure
functions of URLs and decoded answers); jobfeed/fetch/pages.py requests it under the feed limits.
A board is one snapshot only when every page and detail arrived: any failed request raises
RequestError, which fails the run with its reason (a failed run closes nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from jobfeed.fetch.client import make_client
from jobfeed.fetch.fetcher import fetch_feed
from jobfeed.fetch.pages import Budget, RequestError, fetch_detail, fetch_pages
from jobfeed.models import ConditionalState, FeedFormat, FeedSpec, FetchStatus
from jobfeed.pipeline.ingest import Detail
from jobfeed.reasons import FeedError
from jobfeed.settings import Settings
from jobfeed.sources.boards import load_json
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.registry import kind_of


@dataclass(frozen=True, slots=True)
class Body:
    """A feed's body as fetched: its files (one, or a board's pages in order) and the HTTP facts."""

    paths: list[Path]
    content_type: str | None
    conditional: ConditionalState
    not_modified: bool
    http_status: int | None
    fetch_ms: int


@dataclass(frozen=True, slots=True)
class Board:
    """A job-board feed's kind and the connection and byte budget all its requests share."""

    kind: SourceKind
    client: httpx.Client
    budget: Budget


def board_kind(feed: FeedSpec) -> SourceKind | None:
    """The job-board kind of a feeds.yaml entry, or None for a feed whose format comes from its body."""
    return kind_of(FeedFormat(feed.kind)) if feed.kind else None


@contextmanager
def board_session(kind: SourceKind | None, settings: Settings) -> Iterator[Board | None]:
    """One client and one byte budget for a board that makes more than one request (else None)."""
    if kind is None or (kind.first_request is None and kind.detail_url is None):
        yield None
        return
    client = make_client(settings)
    try:
        yield Board(kind, client, Budget(settings.max_feed_bytes))
    finally:
        client.close()


def fetch_body(url: str, board: Board | None, *, state: ConditionalState, settings: Settings, body_path: Path) -> Body:
    """A feed's body into the spool: its pages when the board is paged, else one conditional GET.

    Raises FeedError (RequestError for a board's page) like fetch_feed.
    """
    first = board.kind.first_request if board is not None else None
    if board is not None and first is not None:
        kind = board.kind
        pages = fetch_pages(
            first(url),
            lambda current, path: _next_page(kind, current, path),
            state=state,
            settings=settings,
            spool_dir=body_path.parent,
            client=board.client,
            budget=board.budget,
        )
        return Body(
            pages.paths, pages.content_type, pages.conditional, pages.not_modified, pages.http_status, pages.elapsed_ms
        )
    client = board.client if board is not None else None
    result = fetch_feed(url, state=state, settings=settings, client=client, body_path=body_path)
    if board is not None:
        board.budget.spend(result)
    conditional = ConditionalState(result.etag, result.last_modified, result.body_hash or state.body_hash)
    not_modified = result.status is FetchStatus.NOT_MODIFIED
    return Body([body_path], result.content_type, conditional, not_modified, result.http_status, result.elapsed_ms)


def detail_of(board: Board | None, list_url: str, settings: Settings) -> Detail | None:
    """How a posting of this board gets its detail answer, when the kind's list lacks fields."""
    if board is None or board.kind.detail_url is None:
        return None
    kind, detail_url = board.kind, board.kind.detail_url

    def complete(item: dict[str, Any]) -> dict[str, Any]:
        url = detail_url(item, list_url)
        if url is None:
            return item  # no usable id: the normalizer reports the item
        body = fetch_detail(url, settings=settings, client=board.client, budget=board.budget)
        try:
            detail = load_json(body, f"{kind.format.value} detail")
        except FeedError as exc:
            raise RequestError.of(exc) from None
        return kind.with_detail(item, detail)

    return complete


def _next_page(kind: SourceKind, url: str, path: Path) -> str | None:
    """The next page's URL after the page spooled at `path` (its JSON decoded once more, page-sized)."""
    assert kind.next_request is not None
    try:
        page = load_json(path, kind.format.value)
    except FeedError as exc:
        raise RequestError.of(exc) from None
    return kind.next_request(url, page)
