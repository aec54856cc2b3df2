"""RSS 0.9x/2.0 feeds (incl. WP Job Manager and weworkremotely extensions): rss/channel/item."""

from __future__ import annotations

from jobfeed.models import FeedFormat
from jobfeed.sources.dialect import XmlDialect
from jobfeed.sources.namespaces import namespace_map
from jobfeed.sources.values import text_of

_NAMESPACES = namespace_map()  # unknown URIs (each board's job_listing namespace) -> local names

RSS = XmlDialect(
    format=FeedFormat.RSS,
    depth=3,  # rss (1) / channel (2) / item (3)
    item="item",
    wanted=frozenset({"item", "title"}),  # items, and the channel's own title
    namespaces=_NAMESPACES,
    title_of=text_of,
)
