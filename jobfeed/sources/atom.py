"""Atom 1.0 (and 0.3) feeds: feed/entry."""

from __future__ import annotations

from jobfeed.models import FeedFormat
from jobfeed.sources.dialect import XmlDialect
from jobfeed.sources.namespaces import NS_ATOM, NS_ATOM_03, namespace_map
from jobfeed.sources.values import text_of

ATOM = XmlDialect(
    format=FeedFormat.ATOM,
    depth=2,  # feed (1) / entry (2)
    item="entry",
    wanted=frozenset({"entry", "title"}),
    # Atom's namespace is the document's own: its elements get bare names (entry, title, link, ...).
    namespaces=namespace_map({NS_ATOM: "", NS_ATOM_03: ""}),
    title_of=text_of,
)
