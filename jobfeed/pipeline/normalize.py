"""Raw feed items -> Job values: identity, cleaned fields, dates, content hash (fields: jobfeed/sources/<kind>.py).

Every item ends as exactly one Job or one ItemFailure (nothing is dropped silently), and a bad
item never stops the rest of the feed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from jobfeed.constants import EXCERPT_CHARS, MAX_IDENTITY_CHARS, MAX_TEXT_FIELD_CHARS
from jobfeed.dates import parse_date
from jobfeed.models import FeedFormat, ItemFailure, Job, NormalizedFeed, ParsedFeed, Salary, source_for
from jobfeed.reasons import FailureReason
from jobfeed.sources.fields import RawJob, clean_line, first, link_text
from jobfeed.sources.registry import kind_of
from jobfeed.sources.values import text_of
from jobfeed.sources.xmlsafe import strip_control_chars

__all__ = ["Normalizer", "content_hash", "normalize_items", "parse_date", "source_for"]

# One encoder for all items: json.dumps() with options builds a new encoder on every call.
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class _InvalidItemError(Exception):
    """An item that cannot become a Job: message for the ItemFailure."""


# --- Public helpers ----------------------------------------------------------------------------


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
    remote: bool | None = None,
    department: str | None = None,
    salary: Salary | None = None,
    salaryText: str | None = None,  # noqa: N803
) -> str:
    """sha256 hex of a canonical JSON of the content fields (never fetch time): stable across runs.

    The description enters as its own sha256: JSON-escaping kilobytes of HTML per item cost more
    than the rest of normalization, while hashing it is C-speed and changes just as surely.
    The fields added for job-board APIs enter only when set, so that the hash of every job that
    lacks them (all RSS, Atom and jobicy jobs) is the one it had before they existed.
    """
    extra = {
        name: value
        for name, value in (
            ("remote", remote),
            ("department", department),
            ("salary", [salary.min, salary.max, salary.currency, salary.period] if salary else None),
            ("salaryText", salaryText),
        )
        if value is not None
    }
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
            *([extra] if extra else []),
        ]
    )
    return hashlib.sha256(_utf8(canonical)).hexdigest()


def _utf8(text: str) -> bytes:
    """UTF-8 bytes of any str, even one holding a lone surrogate (from a JSON \\ud800 escape)."""
    return text.encode("utf-8", errors="surrogatepass")


class Normalizer:
    """Turns the raw items of one feed, one at a time, into Jobs or ItemFailures.

    Streaming imports hand it each item as the parser finishes it; it remembers only the identities
    seen so far (the first of two same-identity items wins, the second is DUPLICATE_IN_FEED).
    """

    def __init__(
        self,
        feed_url: str,
        format: FeedFormat,
        *,
        source: str | None = None,
        now: datetime | None = None,
        raise_unexpected: bool = False,
    ) -> None:
        # `source` is FeedSpec.source: "<kind>:<board>" for a job-board kind; else the feed's host
        self.source = source or source_for(feed_url)
        kind = kind_of(format)
        self.extract = kind.extract
        # C0 control characters can only come from JSON: XML bodies lose them before expat reads
        # them, and expat refuses their character references (sources/xmlsafe.py). Skipping the scan
        # for XML saves a regex pass over every description.
        self.clean: Callable[[str], str] = strip_control_chars if kind.json else _as_is
        self.now = now or datetime.now(UTC)
        self.raise_unexpected = raise_unexpected
        self.seen: set[str] = set()
        self.index = 0

    def reset(self) -> None:
        """Forget every item (the parser starts over from the top of the body)."""
        self.seen.clear()
        self.index = 0

    def add(self, item: Any) -> Job | ItemFailure:
        """The Job for one raw item, or the ItemFailure saying why there is none."""
        index, self.index = self.index, self.index + 1
        try:
            job = _to_job(self.extract(item, self.source), self.source, self.now, self.clean)
        except _InvalidItemError as exc:
            return ItemFailure(
                FailureReason.ITEM_INVALID, str(exc), _item_key(item, index), raw=item, source=self.source
            )
        except Exception as exc:
            if self.raise_unexpected:
                raise
            message = f"{type(exc).__name__}: {str(exc)[:EXCERPT_CHARS]}"
            return ItemFailure(
                FailureReason.ITEM_INVALID, message, _item_key(item, index), raw=item, source=self.source
            )
        if job.externalId in self.seen:
            return ItemFailure(
                FailureReason.DUPLICATE_IN_FEED, "same identity as an earlier item of this feed", job.externalId
            )
        self.seen.add(job.externalId)
        return job


def normalize_items(
    parsed: ParsedFeed,
    feed_url: str,
    *,
    source: str | None = None,
    now: datetime | None = None,
    raise_unexpected: bool = False,
) -> NormalizedFeed:
    """Turn every raw item into a Job or an ItemFailure; the first of two same-identity items wins.

    `now` bounds plausible dates (default: the current time). `raise_unexpected` lets tests see a
    bug instead of an ITEM_INVALID failure; production keeps it False so bad input never crashes
    the feed.
    """
    normalizer = Normalizer(feed_url, parsed.format, source=source, now=now, raise_unexpected=raise_unexpected)
    result = NormalizedFeed()
    for item in parsed.items:
        outcome = normalizer.add(item)
        if isinstance(outcome, ItemFailure):
            result.failures.append(outcome)
        else:
            result.jobs.append(outcome)
    return result


# --- From raw fields to a Job ------------------------------------------------------------------


def _to_job(raw: RawJob, source: str, now: datetime, clean: Callable[[str], str]) -> Job:
    """Clean, check and hash one item's fields (raises _InvalidItemError for an unusable item)."""
    identity = clean(raw.identity or "").strip()
    title = clean_line(raw.title, clean)
    if not identity:
        raise _InvalidItemError("item has no guid, link or id")
    if len(identity) > MAX_IDENTITY_CHARS:
        raise _InvalidItemError(f"item identity is longer than {MAX_IDENTITY_CHARS} characters")
    if not title:
        raise _InvalidItemError("item has an empty title")
    description_html = first(raw.description_html)  # kept as published, only capped
    if description_html is not None:
        description_html = clean(description_html[:MAX_TEXT_FIELD_CHARS])
    fields: dict[str, Any] = {
        "title": title,
        "company": clean_line(raw.company, clean),
        "location": clean_line(raw.location, clean),
        "jobType": clean_line(raw.job_type, clean),
        "category": clean_line(raw.category, clean),
        "url": _clean_url(raw.url, clean),
        "descriptionHtml": description_html,
        "publishedAt": parse_date(raw.published, now=now),
    }
    extra: dict[str, Any] = {
        "remote": raw.remote if isinstance(raw.remote, bool) else None,
        "department": clean_line(raw.department, clean),
        "salary": _clean_salary(raw.salary, clean),
        "salaryText": clean_line(raw.salary_text, clean),
    }
    fields.update({name: value for name, value in extra.items() if value is not None})
    # descriptionText is not made here: Job derives it when the job is written (models.Job)
    return Job(source=source, externalId=identity, contentHash=content_hash(**fields), **fields)


def _as_is(text: str) -> str:
    return text


def _clean_salary(salary: Salary | None, clean: Callable[[str], str]) -> Salary | None:
    """A pay range with short one-line words; None when it has no bound."""
    if salary is None or (salary.min is None and salary.max is None):
        return None
    currency = clean_line(salary.currency, clean)
    period = clean_line(salary.period, clean)
    return Salary(salary.min, salary.max, currency[:16] if currency else None, period[:32] if period else None)


def _clean_url(value: str | None, clean: Callable[[str], str]) -> str | None:
    """A URL field: stripped, capped like an identity; blank -> None."""
    if not value:
        return None
    value = clean(value).strip()
    return value[:MAX_IDENTITY_CHARS] or None


def _item_key(item: Any, index: int) -> str:
    """The best name for an item in a failure report: an identity, else the title, else #index."""
    try:
        if isinstance(item, dict):
            for key in ("guid", "link", "id", "url", "title", "jobTitle"):
                text = text_of(item.get(key)) if key != "link" else link_text(item.get(key))
                if text and text.strip():
                    return text.strip()[:MAX_IDENTITY_CHARS]
    except Exception:  # noqa: BLE001 - a failure report must never fail itself
        pass
    return f"#{index}"
