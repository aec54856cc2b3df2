"""SourceKind: everything about one feed format, as its module exports it and the registry holds it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from jobfeed.models import FeedFormat
from jobfeed.sources.fields import RawJob
from jobfeed.sources.xmlsafe import Source

OnItem = Callable[[dict[str, Any]], None]
# (raw item, the jobs' source: the board's host, or "<kind>:<board>" for a job-board kind) -> fields
Extract = Callable[[dict[str, Any], str], RawJob]
# Paged APIs: (the URL just requested, that page's decoded JSON) -> the next URL, or None after the last page
NextRequest = Callable[[str, Any], str | None]
# APIs whose list lacks fields: (raw item, the list URL it came from) -> the posting's own URL, or None
DetailUrl = Callable[[dict[str, Any], str], str | None]


def merge_detail(item: dict[str, Any], detail: Any) -> dict[str, Any]:
    """A list item completed by its detail document (the detail's fields win: they are the fuller ones)."""
    return {**item, **detail} if isinstance(detail, dict) else item


class Stream(Protocol):
    """Hand a body's raw items to on_item in document order; return the feed's title.

    Raises FeedError for a whole-feed problem. on_restart is called when the parser starts over from
    the top (see xmlsafe.stream_elements): the items handed over before it must then be dropped.
    """

    def __call__(self, source: Source, codec: str, on_item: OnItem, on_restart: Callable[[], None]) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SourceKind:
    """One feed format: what it answers to, how its body becomes raw items, how an item becomes a RawJob."""

    format: FeedFormat
    # XML root elements it answers to, as usually written ("rdf:RDF"); matched by local name,
    # whatever the prefix. Empty for a JSON kind.
    roots: tuple[str, ...]
    stream: Stream
    extract: Extract
    # A JSON body: detected by its first byte ({ or [), not by a root element. JSON strings may
    # carry raw C0 control characters, which XML bodies lose before the parser sees them.
    json: bool = False
    # False for job-board APIs: chosen by a feeds.yaml `kind:`, never recognised from a body.
    detected: bool = True
    # A detected JSON kind that can tell its own bodies from other JSON (JSON Feed's "version"):
    # given the start of the body as text. The one detected JSON kind without it reads all other JSON.
    sniff: Callable[[str], bool] | None = None
    # Phase 2 (paged fetching, detail requests), pure functions of URLs and decoded pages:
    first_request: Callable[[str], str] | None = None  # the feed URL -> the first page's URL
    next_request: NextRequest | None = None
    detail_url: DetailUrl | None = None
    with_detail: Callable[[dict[str, Any], Any], dict[str, Any]] = merge_detail
