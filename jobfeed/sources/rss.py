"""RSS 0.9x/2.0 feeds (incl. WP Job Manager and weworkremotely extensions): root <rss>, rss/channel/item.

Its extractor also reads RSS 1.0 items (jobfeed/sources/rdf.py): same element names, plus
rdf:about and dc:date.
"""

from __future__ import annotations

import re
from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.sources.dialect import XmlDialect
from jobfeed.sources.fields import RawJob, atom_href, clean_line, first, join_distinct
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.namespaces import namespace_map
from jobfeed.sources.values import text_of, texts_of
from jobfeed.text import html_to_text

WWR_HOST = "weworkremotely.com"  # its titles read "Company: Title" and it has no company element
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LOCATION_PIN = "⚲"  # jobspresso prefixes the location in dc:creator with this map pin

_NAMESPACES = namespace_map()  # unknown URIs (each board's job_listing namespace) -> local names

RSS = XmlDialect(
    depth=3,  # rss (1) / channel (2) / item (3)
    item="item",
    wanted=frozenset({"item", "title"}),  # items, and the channel's own title
    namespaces=_NAMESPACES,
    title_of=text_of,
)


def extract(item: dict[str, Any], source: str) -> RawJob:
    """RSS 2.0 / RSS 1.0 item: standard elements, WP Job Manager and weworkremotely extensions."""
    get = item.get
    guid = text_of(get("guid"))
    link = first(text_of(get("link"))) or atom_href(get("atom:link"))
    title = text_of(get("title"))
    company = first(text_of(get("company")))  # WP Job Manager, any namespace URI
    location = first(text_of(get("location")))
    if company is None or location is None:  # only then is dc:creator worth splitting
        creator_company, creator_location = _split_creator(text_of(get("dc:creator")))
        company = company or creator_company
        location = location or creator_location
    if location is None:  # weworkremotely
        location = join_distinct([text_of(get(key)) or "" for key in ("region", "country", "state")])
    if company is None and source == WWR_HOST and title and ": " in title:
        company, title = title.split(": ", 1)
    return RawJob(
        identity=first(guid, link, text_of(get("@rdf:about"))),
        title=title,
        company=company,
        location=location,
        job_type=first(text_of(get("job_type")), text_of(get("type"))),
        category=first(join_distinct(texts_of(get("category"))), text_of(get("job_category"))),
        url=link or (guid if _is_permalink(get("guid")) else None),
        description_html=first(text_of(get("content:encoded")), text_of(get("description"))),
        published=first(text_of(get("pubDate")), text_of(get("dc:date"))),
    )


def _is_permalink(guid: Any) -> bool:
    """RSS 2.0: a guid is the item's URL unless isPermaLink="false"."""
    text = text_of(guid) or ""
    attr = guid.get("@isPermaLink", "true") if isinstance(guid, dict) else "true"
    return attr.strip().lower() != "false" and text.startswith(("http://", "https://"))


def _split_creator(value: str | None) -> tuple[str | None, str | None]:
    """jobspresso's dc:creator "Company<br>⚲&nbsp;Location" -> (company, location)."""
    if not value:
        return None, None
    parts = _BR.split(value, maxsplit=1)
    company = clean_line(html_to_text(parts[0]))
    location = None
    if len(parts) > 1:
        location = clean_line(html_to_text(parts[1]).lstrip(_LOCATION_PIN))
    return company, location


SOURCE = SourceKind(format=FeedFormat.RSS, roots=("rss",), stream=RSS.stream, extract=extract)
