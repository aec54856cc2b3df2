"""Atom 1.0 (and 0.3) feeds: feed/entry."""

from __future__ import annotations

from jobfeed.models import FeedFormat, ParsedFeed
from jobfeed.parse.values import as_item, text_of
from jobfeed.parse.xmlsafe import NS_ATOM, NS_ATOM_03, namespace_map, stream_elements

ITEM_DEPTH = 2  # feed (1) / entry (2)
# Atom's namespace is the document's own: its elements get bare names (entry, title, link, ...).
_NAMESPACES = namespace_map({NS_ATOM: "", NS_ATOM_03: ""})
_WANTED = frozenset({"entry", "title"})


def parse_atom(body: bytes, codec: str) -> ParsedFeed:
    """Parse an Atom body into raw entries, streaming one entry at a time."""
    items = []
    title = None
    for name, value in stream_elements(
        body, codec, depth=ITEM_DEPTH, wanted=_WANTED, namespaces=_NAMESPACES
    ):
        if name == "entry":
            items.append(as_item(value))
        elif title is None:
            title = text_of(value)
    return ParsedFeed(format=FeedFormat.ATOM, items=items, title=title)
