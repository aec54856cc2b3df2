"""What every source kind's extractor returns (RawJob) and the field helpers the kinds share.

An extractor only picks fields out of one raw item; jobfeed/pipeline/normalize.py cleans, checks
and hashes them. The helpers here are the ones more than one kind (or normalize) needs.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobfeed.constants import MAX_TEXT_FIELD_CHARS
from jobfeed.models import Salary
from jobfeed.sources.values import text_of
from jobfeed.sources.xmlsafe import strip_control_chars


@dataclass(slots=True)
class RawJob:
    """The fields one extractor found, before cleaning (any may be None)."""

    identity: str | None
    title: str | None
    company: str | None = None
    location: str | None = None
    job_type: str | None = None
    category: str | None = None
    url: str | None = None
    description_html: str | None = None
    published: Any = None
    # Job-board APIs and Indeed-style XML (every other kind leaves them None)
    remote: bool | None = None
    department: str | None = None
    salary: Salary | None = None
    salary_text: str | None = None


def clean_line(value: str | None, clean: Callable[[str], str] = strip_control_chars) -> str | None:
    """A one-line text field: entities decoded, whitespace collapsed, capped; blank -> None."""
    if not value:
        return None
    if "&" in value:  # feeds often escape twice (&amp;amp;, &#038; inside CDATA)
        value = html.unescape(value)  # drops the character references of C0 controls
    value = " ".join(clean(value).split())
    return value[:MAX_TEXT_FIELD_CHARS] or None


def first(*values: str | None) -> str | None:
    """The first candidate that is not blank."""
    for value in values:
        if value and not value.isspace():
            return value
    return None


def join_distinct(values: list[str]) -> str | None:
    """Distinct values joined with ", " (several <category>, a jobType list)."""
    distinct = list(dict.fromkeys(value.strip() for value in values if value.strip()))
    return ", ".join(distinct) or None


def atom_href(links: Any) -> str | None:
    """An Atom <link>'s target: the rel="alternate" (or rel-less) link's href, else the first href.

    Shared: Atom entries carry these, and so do RSS items (atom:link) when they have no <link>.
    """
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


def link_text(value: Any) -> str | None:
    """A link's target whether it is RSS text or an Atom <link href=...>."""
    return text_of(value) or atom_href(value)
