"""Dialect extractors: one raw item (as the parser built it) -> the fields of a job, before cleaning.

One function per family of formats (RSS 2.0/1.0 with WP Job Manager and weworkremotely extensions,
Atom, jobicy's JSON API). They only pick fields; jobfeed/normalize.py cleans, checks and hashes them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import xmltodict  # type: ignore[import-untyped]

from jobfeed.constants import MAX_TEXT_FIELD_CHARS
from jobfeed.models import FeedFormat
from jobfeed.sources.values import text_of, texts_of
from jobfeed.sources.xmlsafe import strip_control_chars
from jobfeed.text import html_to_text

WWR_HOST = "weworkremotely.com"  # its titles read "Company: Title" and it has no company element
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LOCATION_PIN = "⚲"  # jobspresso prefixes the location in dc:creator with this map pin


@dataclass(slots=True)
class RawJob:
    """The fields one dialect extractor found, before cleaning (any may be None)."""

    identity: str | None
    title: str | None
    company: str | None = None
    location: str | None = None
    job_type: str | None = None
    category: str | None = None
    url: str | None = None
    description_html: str | None = None
    published: Any = None


def clean_line(value: str | None, clean: Callable[[str], str] = strip_control_chars) -> str | None:
    """A one-line text field: entities decoded, whitespace collapsed, capped; blank -> None."""
    if not value:
        return None
    if "&" in value:  # feeds often escape twice (&amp;amp;, &#038; inside CDATA)
        value = html.unescape(value)  # drops the character references of C0 controls
    value = " ".join(clean(value).split())
    return value[:MAX_TEXT_FIELD_CHARS] or None


def link_text(value: Any) -> str | None:
    """A link's target whether it is RSS text or an Atom <link href=...>."""
    return text_of(value) or _atom_href(value)


def first(*values: str | None) -> str | None:
    """The first candidate that is not blank."""
    for value in values:
        if value and not value.isspace():
            return value
    return None


def _join(values: list[str]) -> str | None:
    """Distinct values joined with ", " (several <category>, a jobType list)."""
    distinct = list(dict.fromkeys(value.strip() for value in values if value.strip()))
    return ", ".join(distinct) or None


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


def _rss(item: dict[str, Any], source: str) -> RawJob:
    """RSS 2.0 / RSS 1.0 item: standard elements, WP Job Manager and weworkremotely extensions."""
    get = item.get
    guid = text_of(get("guid"))
    link = first(text_of(get("link"))) or _atom_href(get("atom:link"))
    title = text_of(get("title"))
    company = first(text_of(get("company")))  # WP Job Manager, any namespace URI
    location = first(text_of(get("location")))
    if company is None or location is None:  # only then is dc:creator worth splitting
        creator_company, creator_location = _split_creator(text_of(get("dc:creator")))
        company = company or creator_company
        location = location or creator_location
    if location is None:  # weworkremotely
        location = _join([text_of(get(key)) or "" for key in ("region", "country", "state")])
    if company is None and source == WWR_HOST and title and ": " in title:
        company, title = title.split(": ", 1)
    return RawJob(
        identity=first(guid, link, text_of(get("@rdf:about"))),
        title=title,
        company=company,
        location=location,
        job_type=first(text_of(get("job_type")), text_of(get("type"))),
        category=first(_join(texts_of(get("category"))), text_of(get("job_category"))),
        url=link or (guid if _is_permalink(get("guid")) else None),
        description_html=first(text_of(get("content:encoded")), text_of(get("description"))),
        published=first(text_of(get("pubDate")), text_of(get("dc:date"))),
    )


def _is_permalink(guid: Any) -> bool:
    """RSS 2.0: a guid is the item's URL unless isPermaLink="false"."""
    text = text_of(guid) or ""
    attr = guid.get("@isPermaLink", "true") if isinstance(guid, dict) else "true"
    return attr.strip().lower() != "false" and text.startswith(("http://", "https://"))


def _atom(item: dict[str, Any], source: str) -> RawJob:
    """Atom entry: id, link[@rel=alternate], author/name as company, content or summary."""
    link = _atom_href(item.get("link"))
    categories = item.get("category")
    return RawJob(
        identity=first(text_of(item.get("id")), link),
        title=text_of(item.get("title")),
        company=first(text_of(item.get("company")), _atom_author(item.get("author"))),
        location=text_of(item.get("location")),
        job_type=text_of(item.get("job_type")),
        category=_join([_atom_term(c) or "" for c in (categories if isinstance(categories, list) else [categories])]),
        url=link,
        description_html=first(_atom_html(item.get("content")), _atom_html(item.get("summary"))),
        published=first(text_of(item.get("published")), text_of(item.get("updated"))),
    )


def _atom_href(links: Any) -> str | None:
    """The rel="alternate" (or rel-less) link's href, else the first href."""
    fallback = None
    for link in links if isinstance(links, list) else [links]:
        if isinstance(link, dict):
            href, rel = link.get("@href"), link.get("@rel", "alternate")
        else:
            href, rel = text_of(link), "alternate"
        if not isinstance(href, str) or not href.strip():
            continue
        if rel == "alternate":
            return href
        fallback = fallback or href
    return fallback


def _atom_author(author: Any) -> str | None:
    """The first author's name."""
    first = author[0] if isinstance(author, list) and author else author
    return text_of(first.get("name")) if isinstance(first, dict) else text_of(first)


def _atom_term(category: Any) -> str | None:
    """An Atom category's human label, else its term."""
    if isinstance(category, dict):
        return first(category.get("@label"), category.get("@term"), text_of(category))
    return text_of(category)


def _atom_html(value: Any) -> str | None:
    """Atom text construct as HTML; type="xhtml" content is serialized back from its <div>.

    Lossy: xmltodict's dicts cannot keep the order of mixed content, so text around inline
    elements moves after them. Job boards publish type="html", which is kept exactly.
    """
    if isinstance(value, dict) and "div" in value and "#text" not in value:
        return str(xmltodict.unparse({"div": value["div"]}, full_document=False))
    return text_of(value)


def _json(item: dict[str, Any], source: str) -> RawJob:
    """jobicy API v2 job object."""
    job_id = item.get("id")
    return RawJob(
        identity=first(text_of(job_id) if not isinstance(job_id, bool) else None, text_of(item.get("url"))),
        title=text_of(item.get("jobTitle")),
        company=text_of(item.get("companyName")),
        location=_join(texts_of(item.get("jobGeo"))),
        job_type=_join(texts_of(item.get("jobType"))),
        category=_join(texts_of(item.get("jobIndustry"))),
        url=text_of(item.get("url")),
        description_html=text_of(item.get("jobDescription")),
        published=item.get("pubDate"),
    )


EXTRACTORS: dict[FeedFormat, Callable[[dict[str, Any], str], RawJob]] = {
    FeedFormat.RSS: _rss,
    FeedFormat.RDF: _rss,
    FeedFormat.ATOM: _atom,
    FeedFormat.JOBICY_JSON: _json,
}
