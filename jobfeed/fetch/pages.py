"""A job board fetched request by request: its list pages into the spool, then one detail answer at a time.

Each request is one `fetch_feed` exchange, so every page and detail gets the same limits as a feed:
the address guard on every hop, the per-request deadline, Retry-After on 429/5xx, the decoded-size
cap. On top, one byte budget covers the whole board (all pages and details together, the feed cap
MAX_FEED_BYTES) and MAX_BOARD_PAGES bounds a board that never stops paging. Which URL comes next is
the source module's pure `next_request(url, page)`; this module only requests it.

A multi-page board has no validators that speak for all its pages (a 304 for page 1 says nothing of
page 3), so its pages are fetched unconditionally and the board counts as not modified only when the
hash of all its pages together equals the last run's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jobfeed.fetch.fetcher import fetch_feed
from jobfeed.models import ConditionalState, FetchResult, FetchStatus
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.redact import redact_url
from jobfeed.settings import Settings

MAX_BOARD_PAGES = 200  # 20,000 postings at 100 a page: far above any real board, and a loop ends here


class RequestError(FeedError):
    """A page or detail request of a board that failed: the run fails with its reason (or retries, if transient).

    Raised from inside parsing (a detail is requested while the list streams), so it is told apart from
    a FeedError about the body itself, which is never retried.
    """

    @classmethod
    def of(cls, exc: FeedError) -> RequestError:
        return exc if isinstance(exc, RequestError) else cls(exc.reason, exc.message, retry_after_s=exc.retry_after_s)


@dataclass(slots=True)
class Budget:
    """The bytes a board may still take (pages and details together)."""

    left: int

    def settings_for(self, settings: Settings) -> Settings:
        """Settings whose size cap is what is left of the board's budget (never more than one feed's cap)."""
        if self.left <= 0:
            raise RequestError(FailureReason.TOO_LARGE, f"the board is over the {settings.max_feed_bytes:,}-byte limit")
        return settings.model_copy(update={"max_feed_bytes": min(settings.max_feed_bytes, self.left)})

    def spend(self, result: FetchResult) -> None:
        self.left -= result.body_size


@dataclass(slots=True)
class Pages:
    """A board's list pages, spooled: the files in order and what the exchange said."""

    paths: list[Path] = field(default_factory=list)
    content_type: str | None = None
    conditional: ConditionalState = field(default_factory=ConditionalState)
    not_modified: bool = False
    http_status: int | None = None
    elapsed_ms: int = 0


# (the URL just requested, the file its page went to) -> the next page's URL, or None after the last
NextPage = Callable[[str, Path], str | None]


def fetch_pages(
    first: str,
    next_page: NextPage,
    *,
    state: ConditionalState,
    settings: Settings,
    spool_dir: Path,
    client: httpx.Client,
    budget: Budget,
) -> Pages:
    """Every list page of a paged board, from `first` on, into spool_dir (page-0000, ...); RequestError
    for a failed one. Not modified (page files removed) when the combined hash of all pages equals
    state.body_hash.
    """
    pages = Pages()
    combined = hashlib.sha256()
    seen: set[str] = set()
    current: str | None = first
    while current is not None:
        if len(pages.paths) >= MAX_BOARD_PAGES or current in seen:
            what = "asks for a page again" if current in seen else f"has more than {MAX_BOARD_PAGES} pages"
            raise RequestError(FailureReason.TOO_LARGE, f"the board at {redact_url(first)} {what}")
        seen.add(current)
        path = spool_dir / f"page-{len(pages.paths):04d}"
        result = _request(current, settings, client, budget, path)
        pages.paths.append(path)
        pages.content_type = pages.content_type or result.content_type
        pages.http_status = result.http_status
        pages.elapsed_ms += result.elapsed_ms
        combined.update(f"{result.body_hash}\n".encode())  # the hash of each page, in order: all pages together
        current = next_page(current, path)
    digest = combined.hexdigest()
    pages.conditional = ConditionalState(None, None, digest)
    if state.body_hash is not None and digest == state.body_hash:
        pages.not_modified = True
        for path in pages.paths:
            path.unlink(missing_ok=True)
    return pages


def fetch_detail(url: str, *, settings: Settings, client: httpx.Client, budget: Budget) -> bytes:
    """One posting's own answer (held in memory: one posting is kilobytes); RequestError if it fails."""
    return _request(url, settings, client, budget, None).body


def _request(url: str, settings: Settings, client: httpx.Client, budget: Budget, path: Path | None) -> FetchResult:
    """One unconditional GET under the feed limits and the board's budget."""
    try:
        result = fetch_feed(url, settings=budget.settings_for(settings), client=client, body_path=path)
    except FeedError as exc:
        raise RequestError.of(exc) from None
    if result.status is not FetchStatus.OK:  # unconditional: only a body, never a 304, can come back
        raise RequestError(FailureReason.HTTP_4XX, f"unexpected HTTP {result.http_status} for {redact_url(url)}")
    budget.spend(result)
    return result
