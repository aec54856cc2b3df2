"""Raw feed items -> Job values: identity, field mapping per dialect, text, dates, content hash.

Every item ends as exactly one Job or one ItemFailure (nothing is dropped silently), and a bad
item never stops the rest of the feed.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import xmltodict  # type: ignore[import-untyped]

from jobfeed.constants import EXCERPT_CHARS, MAX_IDENTITY_CHARS, MAX_TEXT_FIELD_CHARS
from jobfeed.dates import parse_date
from jobfeed.models import FeedFormat, ItemFailure, Job, NormalizedFeed, ParsedFeed
from jobfeed.parse.values import text_of, texts_of
from jobfeed.parse.xmlsafe import strip_control_chars
from jobfeed.reasons import FailureReason
from jobfeed.text import html_to_text

__all__ = ["content_hash", "normalize_items", "parse_date", "source_for"]

# One encoder for all items: json.dumps() with options builds a new encoder on every call.
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
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


class _InvalidItemError(Exception):
    """An item that cannot become a Job: message for the ItemFailure."""


# --- Public helpers ----------------------------------------------------------------------------


def source_for(feed_url: str) -> str:
    """The board a feed belongs to: its host, lower-cased, without a leading `www.`."""
    host = urlsplit(feed_url.strip()).hostname  # hostname is already lower-cased, port dropped
    if not host:
        raise ValueError(f"feed URL has no host: {feed_url[:EXCERPT_CHARS]!r}")
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


def content_hash(
    *,
    title: str,
    company: str | None,
    location: str | None,
    jobType: str | None,  # noqa: N803 - the Job field's own name
    category: str | None,
    url: str | None,
    descriptionHtml: str | None,  # noqa: N803
    publishedAt: datetime | None,  # noqa: N803
) -> str:
    """sha256 hex of a canonical JSON of the content fields (never fetch time): stable across runs.

    The description enters as its own sha256: JSON-escaping kilobytes of HTML per item cost more
    than the rest of normalization, while hashing it is C-speed and changes just as surely.
    """
    description_digest = None
    if descriptionHtml is not None:
        description_digest = hashlib.sha256(_utf8(descriptionHtml)).hexdigest()
    canonical = _CANONICAL_JSON.encode(
        [
            title,
            company,
            location,
            jobType,
            category,
            url,
            description_digest,
            publishedAt.astimezone(UTC).isoformat() if publishedAt else None,
        ]
    )
    return hashlib.sha256(_utf8(canonical)).hexdigest()


def _utf8(text: str) -> bytes:
    """UTF-8 bytes of any str, even one holding a lone surrogate (from a JSON \\ud800 escape)."""
    return text.encode("utf-8", errors="surrogatepass")


def normalize_items(
    parsed: ParsedFeed,
    feed_url: str,
    *,
    now: datetime | None = None,
    raise_unexpected: bool = False,
) -> NormalizedFeed:
    """Turn every raw item into a Job or an ItemFailure; the first of two same-identity items wins.

    `now` bounds plausible dates (default: the current time). `raise_unexpected` lets tests see a
    bug instead of an ITEM_INVALID failure; production keeps it False so bad input never crashes
    the feed.
    """
    source = source_for(feed_url)
    extract = _EXTRACTORS[parsed.format]
    now = now or datetime.now(UTC)
    result = NormalizedFeed()
    seen: set[str] = set()
    for index, item in enumerate(parsed.items):
        try:
            outcome: Job | ItemFailure = _to_job(extract(item, source), source, now)
        except _InvalidItemError as exc:
            outcome = ItemFailure(FailureReason.ITEM_INVALID, str(exc), _item_key(item, index), raw=item)
        except Exception as exc:
            if raise_unexpected:
                raise
            message = f"{type(exc).__name__}: {str(exc)[:EXCERPT_CHARS]}"
            outcome = ItemFailure(FailureReason.ITEM_INVALID, message, _item_key(item, index), raw=item)
        if isinstance(outcome, ItemFailure):
            result.failures.append(outcome)
        elif outcome.externalId in seen:
            result.failures.append(
                ItemFailure(
                    FailureReason.DUPLICATE_IN_FEED,
                    "same identity as an earlier item of this feed",
                    outcome.externalId,
                )
            )
        else:
            seen.add(outcome.externalId)
            result.jobs.append(outcome)
    return result


# --- From raw fields to a Job ------------------------------------------------------------------


def _to_job(raw: RawJob, source: str, now: datetime) -> Job:
    """Clean, check and hash one item's fields (raises _InvalidItemError for an unusable item)."""
    # C0 control characters: XML bodies lose them before parsing (parse/xmlsafe.py); JSON strings
    # (and entities such as &#11;) can still carry them, and a NUL in a title helps nobody
    identity = strip_control_chars(raw.identity or "").strip()
    title = _clean_line(raw.title)
    if not identity:
        raise _InvalidItemError("item has no guid, link or id")
    if len(identity) > MAX_IDENTITY_CHARS:
        raise _InvalidItemError(f"item identity is longer than {MAX_IDENTITY_CHARS} characters")
    if not title:
        raise _InvalidItemError("item has an empty title")
    description_html = _first(raw.description_html)  # kept as published, only capped
    description_text = None
    if description_html is not None:
        description_html = strip_control_chars(description_html[:MAX_TEXT_FIELD_CHARS])
        description_text = html_to_text(description_html)[:MAX_TEXT_FIELD_CHARS]
    fields: dict[str, Any] = {
        "title": title,
        "company": _clean_line(raw.company),
        "location": _clean_line(raw.location),
        "jobType": _clean_line(raw.job_type),
        "category": _clean_line(raw.category),
        "url": _clean_url(raw.url),
        "descriptionHtml": description_html,
        "publishedAt": parse_date(raw.published, now=now),
    }
    return Job(
        source=source,
        externalId=identity,
        descriptionText=description_text or None,
        contentHash=content_hash(**fields),
        **fields,
    )


def _clean_line(value: str | None) -> str | None:
    """A one-line text field: entities decoded, whitespace collapsed, capped; blank -> None."""
    if not value:
        return None
    if "&" in value:  # feeds often escape twice (&amp;amp;, &#038; inside CDATA)
        value = html.unescape(value)
    value = " ".join(strip_control_chars(value).split())
    return value[:MAX_TEXT_FIELD_CHARS] or None


def _clean_url(value: str | None) -> str | None:
    """A URL field: stripped, capped like an identity; blank -> None."""
    if not value:
        return None
    value = strip_control_chars(value).strip()
    return value[:MAX_IDENTITY_CHARS] or None


def _item_key(item: Any, index: int) -> str:
    """The best name for an item in a failure report: an identity, else the title, else #index."""
    try:
        if isinstance(item, dict):
            for key in ("guid", "link", "id", "url", "title", "jobTitle"):
                text = text_of(item.get(key)) if key != "link" else _link_text(item.get(key))
                if text and text.strip():
                    return text.strip()[:MAX_IDENTITY_CHARS]
    except Exception:  # a failure report must never fail itself
        pass
    return f"#{index}"


def _link_text(value: Any) -> str | None:
    """A link's target whether it is RSS text or an Atom <link href=...>."""
    return text_of(value) or _atom_href(value)


# --- Dialect extractors ------------------------------------------------------------------------


def _first(*values: str | None) -> str | None:
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
    company = _clean_line(html_to_text(parts[0]))
    location = None
    if len(parts) > 1:
        location = _clean_line(html_to_text(parts[1]).lstrip(_LOCATION_PIN))
    return company, location


def _rss(item: dict[str, Any], source: str) -> RawJob:
    """RSS 2.0 / RSS 1.0 item: standard elements, WP Job Manager and weworkremotely extensions."""
    get = item.get
    guid = text_of(get("guid"))
    link = _first(text_of(get("link"))) or _atom_href(get("atom:link"))
    title = text_of(get("title"))
    company = _first(text_of(get("company")))  # WP Job Manager, any namespace URI
    location = _first(text_of(get("location")))
    if company is None or location is None:  # only then is dc:creator worth splitting
        creator_company, creator_location = _split_creator(text_of(get("dc:creator")))
        company = company or creator_company
        location = location or creator_location
    if location is None:  # weworkremotely
        location = _join([text_of(get(key)) or "" for key in ("region", "country", "state")])
    if company is None and source == WWR_HOST and title and ": " in title:
        company, title = title.split(": ", 1)
    return RawJob(
        identity=_first(guid, link, text_of(get("@rdf:about"))),
        title=title,
        company=company,
        location=location,
        job_type=_first(text_of(get("job_type")), text_of(get("type"))),
        category=_first(_join(texts_of(get("category"))), text_of(get("job_category"))),
        url=link or (guid if _is_permalink(get("guid")) else None),
        description_html=_first(text_of(get("content:encoded")), text_of(get("description"))),
        published=_first(text_of(get("pubDate")), text_of(get("dc:date"))),
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
        identity=_first(text_of(item.get("id")), link),
        title=text_of(item.get("title")),
        company=_first(text_of(item.get("company")), _atom_author(item.get("author"))),
        location=text_of(item.get("location")),
        job_type=text_of(item.get("job_type")),
        category=_join(
            [
                _atom_term(c) or ""
                for c in (categories if isinstance(categories, list) else [categories])
            ]
        ),
        url=link,
        description_html=_first(_atom_html(item.get("content")), _atom_html(item.get("summary"))),
        published=_first(text_of(item.get("published")), text_of(item.get("updated"))),
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
        return _first(category.get("@label"), category.get("@term"), text_of(category))
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
        identity=_first(
            text_of(job_id) if not isinstance(job_id, bool) else None, text_of(item.get("url"))
        ),
        title=text_of(item.get("jobTitle")),
        company=text_of(item.get("companyName")),
        location=_join(texts_of(item.get("jobGeo"))),
        job_type=_join(texts_of(item.get("jobType"))),
        category=_join(texts_of(item.get("jobIndustry"))),
        url=text_of(item.get("url")),
        description_html=text_of(item.get("jobDescription")),
        published=item.get("pubDate"),
    )


_EXTRACTORS: dict[FeedFormat, Callable[[dict[str, Any], str], RawJob]] = {
    FeedFormat.RSS: _rss,
    FeedFormat.RDF: _rss,
    FeedFormat.ATOM: _atom,
    FeedFormat.JOBICY_JSON: _json,
}
