"""Atom 1.0 (and 0.3) feeds: root <feed>, feed/entry."""

from __future__ import annotations

from typing import Any

import xmltodict

from jobfeed.models import FeedFormat
from jobfeed.sources.dialect import XmlDialect
from jobfeed.sources.fields import RawJob, atom_href, first, join_distinct
from jobfeed.sources.kind import SourceKind
from jobfeed.sources.namespaces import NS_ATOM, NS_ATOM_03, namespace_map
from jobfeed.sources.values import text_of

ATOM = XmlDialect(
    depth=2,  # feed (1) / entry (2)
    item="entry",
    wanted=frozenset({"entry", "title"}),
    # Atom's namespace is the document's own: its elements get bare names (entry, title, link, ...).
    namespaces=namespace_map({NS_ATOM: "", NS_ATOM_03: ""}),
    title_of=text_of,
)


def extract(item: dict[str, Any], source: str) -> RawJob:
    """Atom entry: id, link[@rel=alternate], author/name as company, content or summary."""
    link = atom_href(item.get("link"))
    categories = item.get("category")
    return RawJob(
        identity=first(text_of(item.get("id")), link),
        title=text_of(item.get("title")),
        company=first(text_of(item.get("company")), _author(item.get("author"))),
        location=text_of(item.get("location")),
        job_type=text_of(item.get("job_type")),
        category=join_distinct(
            [_term(c) or "" for c in (categories if isinstance(categories, list) else [categories])]
        ),
        url=link,
        description_html=first(_html(item.get("content")), _html(item.get("summary"))),
        published=first(text_of(item.get("published")), text_of(item.get("updated"))),
    )


def _author(author: Any) -> str | None:
    """The first author's name."""
    lead = author[0] if isinstance(author, list) and author else author
    return text_of(lead.get("name")) if isinstance(lead, dict) else text_of(lead)


def _term(category: Any) -> str | None:
    """An Atom category's human label, else its term."""
    if isinstance(category, dict):
        return first(category.get("@label"), category.get("@term"), text_of(category))
    return text_of(category)


def _html(value: Any) -> str | None:
    """Atom text construct as HTML; type="xhtml" content is serialized back from its <div>.

    Lossy: xmltodict's dicts cannot keep the order of mixed content, so text around inline
    elements moves after them. Job boards publish type="html", which is kept exactly.
    """
    if isinstance(value, dict) and "div" in value and "#text" not in value:
        return str(xmltodict.unparse({"div": value["div"]}, full_document=False))
    return text_of(value)


SOURCE = SourceKind(format=FeedFormat.ATOM, roots=("feed",), stream=ATOM.stream, extract=extract)
