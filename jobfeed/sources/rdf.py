"""RSS 1.0 (and 0.90) feeds: root <rdf:RDF>, with channel and item elements as siblings."""

from __future__ import annotations

from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources import rss
from jobfeed.sources.dialect import XmlDialect
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.namespaces import NS_RSS_090, NS_RSS_10, namespace_map
from jobfeed.sources.values import text_of


def _channel_title(channel: Any) -> str | None:
    return text_of(channel.get("title")) if isinstance(channel, dict) else None


RDF = XmlDialect(
    depth=2,  # rdf:RDF (1) / item (2)
    item="item",
    wanted=frozenset({"item", "channel"}),
    # RSS 1.0's own namespace is the default one: its elements get bare names like RSS 2.0's.
    namespaces=namespace_map({NS_RSS_10: "", NS_RSS_090: ""}),
    title_of=_channel_title,
)

# An RSS 1.0 item is an RSS 2.0 item by its element names: RSS's extractor reads both (and knows
# rdf:about and dc:date, RSS 1.0's identity and date).
SOURCE = SourceKind(format=FeedFormat.RDF, roots=("rdf:RDF",), stream=RDF.stream, extract=rss.extract)
