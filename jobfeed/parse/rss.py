"""RSS 0.9x/2.0 feeds (incl. WP Job Manager and weworkremotely extensions): rss/channel/item."""

from __future__ import annotations

from jobfeed.models import FeedFormat, ParsedFeed
from jobfeed.parse.values import as_item, text_of
from jobfeed.parse.xmlsafe import namespace_map, stream_elements

ITEM_DEPTH = 3  # rss (1) / channel (2) / item (3)
_NAMESPACES = namespace_map()  # unknown URIs (each board's job_listing namespace) -> local names
_WANTED = frozenset({"item", "title"})  # items, and the channel's own title


def parse_rss(body: bytes, codec: str) -> ParsedFeed:
    """Parse an RSS 2.0 body into raw items, streaming one item at a time."""
    items = []
    title = None
    for name, value in stream_elements(
        body, codec, depth=ITEM_DEPTH, wanted=_WANTED, namespaces=_NAMESPACES
    ):
        if name == "item":
            items.append(as_item(value))
        elif title is None:
            title = text_of(value)
    return ParsedFeed(format=FeedFormat.RSS, items=items, title=title)
