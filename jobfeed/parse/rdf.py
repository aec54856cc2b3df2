"""RSS 1.0 (and 0.90) feeds: rdf:RDF with channel and item elements as siblings."""

from __future__ import annotations

from jobfeed.models import FeedFormat, ParsedFeed
from jobfeed.parse.values import as_item, text_of
from jobfeed.parse.xmlsafe import NS_RSS_090, NS_RSS_10, namespace_map, stream_elements

ITEM_DEPTH = 2  # rdf:RDF (1) / item (2)
# RSS 1.0's own namespace is the default one: its elements get bare names like RSS 2.0's.
_NAMESPACES = namespace_map({NS_RSS_10: "", NS_RSS_090: ""})
_WANTED = frozenset({"item", "channel"})


def parse_rdf(body: bytes, codec: str) -> ParsedFeed:
    """Parse an RSS 1.0 body into raw items (item elements are children of rdf:RDF)."""
    items = []
    title = None
    for name, value in stream_elements(
        body, codec, depth=ITEM_DEPTH, wanted=_WANTED, namespaces=_NAMESPACES
    ):
        if name == "item":
            items.append(as_item(value))
        elif title is None and isinstance(value, dict):
            title = text_of(value.get("title"))
    return ParsedFeed(format=FeedFormat.RDF, items=items, title=title)
